from django.apps import AppConfig


class PointsConfig(AppConfig):
    name = "zhibu.points"
    label = "points"
    verbose_name = "积分管理"

    def ready(self):
        from zhibu.points import sources

        sources.register_defaults()
