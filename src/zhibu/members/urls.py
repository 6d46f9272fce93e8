"""Member pages: roster and records (views), transfers (views_transfers), Excel (views_excel)."""

from zhibu.members import views, views_excel, views_transfers

app_name = "members"
urlpatterns = views.urlpatterns + views_transfers.urlpatterns + views_excel.urlpatterns
