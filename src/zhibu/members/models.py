"""Member records (the foundation part: identity, branch, category, status; more in the members issue)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from zhibu.accounts.models import mobile_validator
from zhibu.members.rules import id_number_validator


class Gender(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"


class Category(models.TextChoices):
    FULL = "full", "正式党员"
    PROBATIONARY = "probationary", "预备党员"


class MemberStatus(models.TextChoices):
    NORMAL = "normal", "正常"
    MOBILE = "mobile", "流动"
    LOST = "lost", "失联"
    SUSPENDED = "suspended", "停止党籍"
    LEFT = "left", "出党"
    DECEASED = "deceased", "去世"
    TRANSFERRED = "transferred", "已转出"


# Statuses that still count on a branch's roll (组织关系在本支部).
ON_ROLL = (MemberStatus.NORMAL, MemberStatus.MOBILE, MemberStatus.LOST)


class MemberQuerySet(models.QuerySet):
    def on_roll(self):
        return self.filter(status__in=ON_ROLL)

    def full(self):
        return self.filter(category=Category.FULL)

    def under(self, org):
        """Members whose branch (or group) is org or below it: one indexed prefix query."""
        if org.org_type == "group":  # members are registered at their branch, with `group` set
            return self.filter(Q(group=org) | Q(org=org))
        return self.filter(org__path__startswith=org.path)


class Member(models.Model):
    name = models.CharField("姓名", max_length=50)
    gender = models.CharField("性别", max_length=10, choices=Gender.choices)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    id_number = models.CharField(
        "身份证号", max_length=18, unique=True, null=True, blank=True, validators=[id_number_validator]
    )
    mobile = models.CharField("手机号", max_length=11, blank=True, validators=[mobile_validator])
    category = models.CharField("党员类别", max_length=20, choices=Category.choices, default=Category.FULL)
    status = models.CharField(
        "状态", max_length=20, choices=MemberStatus.choices, default=MemberStatus.NORMAL
    )
    org = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="members", verbose_name="所在支部"
    )
    group = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="group_members",
        verbose_name="党小组",
    )
    joined_on = models.DateField("入党日期", null=True, blank=True)
    converted_on = models.DateField("转正日期", null=True, blank=True)
    work_unit = models.CharField("工作单位", max_length=100, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="member",
        verbose_name="账户",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = "党员"
        ordering = ["org", "name"]
        indexes = [models.Index(fields=["org", "status", "category"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(category="probationary") | Q(converted_on__isnull=True),
                name="probationary_not_converted",
            )
        ]

    def __str__(self):
        return self.name
