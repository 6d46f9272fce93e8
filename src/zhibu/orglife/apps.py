from django.apps import AppConfig


class OrglifeConfig(AppConfig):
    name = "zhibu.orglife"
    label = "orglife"
    verbose_name = "组织生活"

    def ready(self):
        from django.urls import reverse

        from zhibu.points import sources

        def meeting_of_attendance(pk: str) -> str | None:
            from zhibu.orglife.models import Attendance

            meeting_id = Attendance.objects.filter(pk=int(str(pk).split("-")[0])).values_list(
                "meeting_id", flat=True
            )
            return reverse("orglife:meeting", args=[meeting_id[0]]) if meeting_id else None

        sources.register("orglife.attendance", "组织生活考勤", meeting_of_attendance)
        sources.register("orglife.absence", "组织生活缺席", meeting_of_attendance)
