"""Organization tree (materialized path) and committees with their terms, seats and holders."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from treebeard.mp_tree import MP_Node


class OrgType(models.TextChoices):
    COMMITTEE = "committee", "基层党委"
    GENERAL_BRANCH = "general_branch", "党总支"
    BRANCH = "branch", "党支部"
    GROUP = "group", "党小组"


class BranchKind(models.TextChoices):
    REGULAR = "regular", "党支部"
    JOINT = "joint", "联合党支部"
    TEMPORARY = "temporary", "临时党支部"


class Sector(models.TextChoices):
    ORGAN = "organ", "机关"
    INSTITUTION = "institution", "事业单位"
    ENTERPRISE = "enterprise", "企业"
    VILLAGE = "village", "农村"
    COMMUNITY = "community", "社区"
    SCHOOL = "school", "学校"
    OTHER = "other", "其他"


class OrgStatus(models.TextChoices):
    ACTIVE = "active", "正常"
    DISSOLVED = "dissolved", "已撤销"


class Organization(MP_Node):
    """A party organization. `path` (materialized path) makes "everything under X" one prefix query."""

    name = models.CharField("名称", max_length=100)
    short_name = models.CharField("简称", max_length=40, blank=True)
    code = models.CharField("组织代码", max_length=40, unique=True)
    org_type = models.CharField("类型", max_length=20, choices=OrgType.choices)
    branch_kind = models.CharField(
        "支部类别", max_length=20, choices=BranchKind.choices, default=BranchKind.REGULAR
    )
    founded_on = models.DateField("成立日期", null=True, blank=True)
    host_unit = models.CharField("所在单位", max_length=100, blank=True)
    sector = models.CharField("单位类别", max_length=20, choices=Sector.choices, default=Sector.OTHER)
    status = models.CharField("状态", max_length=20, choices=OrgStatus.choices, default=OrgStatus.ACTIVE)
    dissolved_on = models.DateField("撤销日期", null=True, blank=True)
    dissolved_reason = models.CharField("撤销原因", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    node_order_by = ["code"]

    class Meta:
        verbose_name = "党组织"
        indexes = [
            # LIKE 'prefix%' on PostgreSQL needs pattern ops unless the collation is C.
            models.Index(fields=["path"], name="orgs_org_path_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["org_type", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="active") | Q(dissolved_on__isnull=False), name="dissolved_has_date"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def display_type(self) -> str:
        if self.org_type == OrgType.BRANCH and self.branch_kind != BranchKind.REGULAR:
            return self.get_branch_kind_display()
        return self.get_org_type_display()

    @property
    def is_active(self) -> bool:
        return self.status == OrgStatus.ACTIVE

    @property
    def is_branch(self) -> bool:
        return self.org_type == OrgType.BRANCH


class Position(models.TextChoices):
    SECRETARY = "secretary", "书记"
    DEPUTY = "deputy", "副书记"
    ORGANIZATION = "organization", "组织委员"
    PUBLICITY = "publicity", "宣传委员"
    DISCIPLINE = "discipline", "纪检委员"
    OTHER = "other", "委员"


class CommitteeTerm(models.Model):
    """One term (届) of an org's leadership. A new election starts a new term; old terms stay."""

    class Kind(models.TextChoices):
        COMMITTEE = "committee", "委员会"
        SECRETARY_ONLY = "secretary_only", "不设委员会（书记、副书记）"

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="committee_terms")
    number = models.PositiveSmallIntegerField("届次")
    kind = models.CharField("形式", max_length=20, choices=Kind.choices, default=Kind.COMMITTEE)
    started_on = models.DateField("选举（任期开始）日期")
    ends_on = models.DateField("任期届满日期")
    ended_on = models.DateField("实际换届日期", null=True, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "届次"
        ordering = ["org", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["org", "number"], name="term_number_unique_per_org"),
            models.UniqueConstraint(
                fields=["org"], condition=Q(ended_on__isnull=True), name="one_current_term_per_org"
            ),
            models.CheckConstraint(condition=Q(ends_on__gt=F("started_on")), name="term_ends_after_start"),
        ]

    def __str__(self):
        return f"{self.org.name} 第{self.number}届"

    @property
    def is_current(self) -> bool:
        return self.ended_on is None


class CommitteeSeat(models.Model):
    """A seat of a term (e.g. 组织委员). Who holds it over time is in SeatHolding."""

    term = models.ForeignKey(CommitteeTerm, on_delete=models.PROTECT, related_name="seats")
    position = models.CharField("职务", max_length=20, choices=Position.choices)
    title = models.CharField("职务名称", max_length=30, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "委员职位"
        ordering = ["term", "order", "id"]

    def __str__(self):
        return self.display_title

    @property
    def display_title(self) -> str:
        return self.title or self.get_position_display()


class SeatHolding(models.Model):
    """A person holding a seat from a date; ending it keeps the row (history, not overwrites)."""

    seat = models.ForeignKey(CommitteeSeat, on_delete=models.PROTECT, related_name="holdings")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="seat_holdings")
    started_on = models.DateField("任职日期")
    ended_on = models.DateField("离任日期", null=True, blank=True)
    end_reason = models.CharField("离任原因", max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "任职记录"
        ordering = ["seat", "-started_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["seat"], condition=Q(ended_on__isnull=True), name="one_current_holder_per_seat"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="holding_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.seat} {self.member}"
