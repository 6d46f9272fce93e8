from zhibu.points import views

app_name = "points"
urlpatterns = views.urlpatterns
