"""Celery app. Without a broker (ZHIBU_CELERY_BROKER_URL / ZHIBU_REDIS_URL) tasks run eagerly inline."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhibu.settings")
app = Celery("zhibu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
