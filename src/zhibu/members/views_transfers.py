"""Placeholder: replaced by the transfers work."""

from django.http import HttpResponse
from django.urls import path


def _todo(request, **kw):
    return HttpResponse("建设中")


urlpatterns = [path("transfers/", _todo, name="transfers")]
