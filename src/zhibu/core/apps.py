from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "zhibu.core"
    label = "core"
    verbose_name = "基础"

    def ready(self):
        # Load the Celery app so shared tasks bind to it (eager when no broker is configured).
        from zhibu import celery  # noqa: F401
        from zhibu.core import signals  # noqa: F401
