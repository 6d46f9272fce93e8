from django.urls import path

from zhibu.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("audit/", views.audit_log, name="audit"),
    path("audit/<int:pk>/", views.audit_detail, name="audit_detail"),
]
