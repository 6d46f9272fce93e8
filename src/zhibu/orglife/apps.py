from django.apps import AppConfig


class OrglifeConfig(AppConfig):
    name = "zhibu.orglife"
    label = "orglife"
    verbose_name = "组织生活"

    def ready(self):
        from django.urls import reverse

        from zhibu.points import sources

        def link(source_id: str) -> str:
            return reverse("orglife:attendance_source", args=[source_id])

        sources.register("orglife.attendance", "组织生活考勤", link)
        sources.register("orglife.absence", "组织生活缺席", link)
