"""Placeholder: filled in by the members issue."""

urlpatterns = []
