"""积分制: a versioned rule catalogue inherited down the org tree, an append-only ledger with one entry
per source, an approval queue for self-reports and manual awards, appeals, and published rankings."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from zhibu.core.models import AppendOnlyError


class Category(models.TextChoices):
    ORGLIFE = "orglife", "组织生活"
    LEARNING = "learning", "学习教育"
    DUES = "dues", "党费"
    VOLUNTEER = "volunteer", "志愿服务"
    ROLE = "role", "作用发挥"
    NEGATIVE = "negative", "负面扣分"
    OTHER = "other", "其他"


class Awarder(models.TextChoices):
    """Who may award a rule by hand (the system, e.g. meeting attendance, always may)."""

    SYSTEM = "system", "仅系统自动记分"
    BRANCH = "branch", "支部委员"
    SUPERIOR = "superior", "上级党组织"


class Rule(models.Model):
    """One version of a catalogue rule for an org (null org = the system default catalogue).

    The effective rule for a member is the one set on the deepest org on their branch's path, then the
    latest `valid_from` on or before the day; a new version is a new row, so entries keep the version they
    were scored under. `active=False` at an org switches an inherited rule off there and below.
    """

    org = models.ForeignKey(
        "orgs.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField("代码", max_length=40)
    version = models.PositiveIntegerField("版本", default=1)
    valid_from = models.DateField("生效日期")
    name = models.CharField("名称", max_length=60)
    category = models.CharField("类别", max_length=20, choices=Category.choices)
    # Points per unit: positive awards, negative deducts. Units: quantity // unit_size (e.g. 1 point per
    # 5 minutes of learning: points=1, unit="分钟", unit_size=5); plain rules count 1 per occurrence.
    points = models.DecimalField("分值", max_digits=7, decimal_places=2)
    unit = models.CharField("计分单位", max_length=10, default="次")
    unit_size = models.DecimalField("每计分单位数量", max_digits=7, decimal_places=2, default=1)
    cap_day = models.DecimalField("每日上限", max_digits=8, decimal_places=2, null=True, blank=True)
    cap_week = models.DecimalField("每周上限", max_digits=8, decimal_places=2, null=True, blank=True)
    cap_month = models.DecimalField("每月上限", max_digits=8, decimal_places=2, null=True, blank=True)
    cap_year = models.DecimalField("每年上限", max_digits=8, decimal_places=2, null=True, blank=True)
    needs_evidence = models.BooleanField("需要佐证材料", default=False)
    needs_approval = models.BooleanField("需要审核", default=False)
    awarder = models.CharField("手工记分权限", max_length=20, choices=Awarder.choices, default=Awarder.BRANCH)
    self_report = models.BooleanField("党员可申报", default=False)
    active = models.BooleanField("启用", default=True)
    description = models.CharField("说明", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "积分规则"
        ordering = ["category", "code", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["org", "code", "version"], name="points_rule_version"),
            models.UniqueConstraint(
                fields=["code", "version"], condition=Q(org__isnull=True), name="points_rule_default_version"
            ),
            models.CheckConstraint(condition=Q(unit_size__gt=0), name="points_rule_unit_positive"),
        ]
        indexes = [models.Index(fields=["code", "valid_from"])]

    def __str__(self):
        return f"{self.name}（{self.code} v{self.version}）"


class EntryKind(models.TextChoices):
    AWARD = "award", "记分"
    REVERSAL = "reversal", "冲正"


class Entry(models.Model):
    """One line of a member's points ledger. Append-only: corrections are reversal entries.

    (member, source_type, source_id) is unique, so the same source never scores twice, also when two
    requests race. A reversal's source is ("points.reversal", id of the entry it reverses).
    """

    # No single-column index: (member, occurred_at) and the source key both start with member.
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="point_entries", db_index=False
    )
    # The member's branch when the entry was made (for history; rankings use current membership).
    org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="entries")
    rule_code = models.CharField("规则代码", max_length=40)
    category = models.CharField("类别", max_length=20, choices=Category.choices)
    kind = models.CharField("类型", max_length=20, choices=EntryKind.choices, default=EntryKind.AWARD)
    quantity = models.DecimalField("数量", max_digits=9, decimal_places=2, default=1)
    base_points = models.DecimalField("应计分", max_digits=8, decimal_places=2)
    points = models.DecimalField("实计分", max_digits=8, decimal_places=2)
    capped_note = models.CharField("封顶说明", max_length=120, blank=True)
    occurred_at = models.DateTimeField("发生时间")
    source_type = models.CharField("来源类型", max_length=40)
    source_id = models.CharField("来源ID", max_length=64)
    source_label = models.CharField("来源", max_length=200, blank=True)
    reason = models.CharField("事由", max_length=300, blank=True)
    evidence = models.CharField("佐证", max_length=500, blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "积分记录"
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "source_type", "source_id"], name="points_entry_source"
            ),
            models.CheckConstraint(
                condition=Q(kind="award", reverses__isnull=True) | Q(kind="reversal", reverses__isnull=False),
                name="points_entry_reversal_link",
            ),
        ]
        indexes = [
            # Rankings and balances: everything in a period, summed per member.
            models.Index(fields=["occurred_at", "member"], include=["points"], name="points_entry_period"),
            # A member's ledger and period totals; `points` included so the per-member SUM of a ranking
            # (one correlated subquery per member) is an index-only scan (bench/points.py).
            models.Index(fields=["member", "occurred_at"], include=["points"], name="points_entry_member"),
            # Caps: this member's entries of one rule in a period.
            models.Index(fields=["member", "rule_code", "occurred_at"], name="points_entry_cap"),
        ]

    def __str__(self):
        return f"{self.member} {self.rule_code} {self.points}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("积分记录只能追加，更正请冲正")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("积分记录只能追加，更正请冲正")


class ClaimKind(models.TextChoices):
    SELF_REPORT = "self_report", "党员申报"
    MANUAL = "manual", "手工记分"


class ClaimStatus(models.TextChoices):
    PENDING = "pending", "待审核"
    APPROVED = "approved", "已通过"
    REJECTED = "rejected", "未通过"
    WITHDRAWN = "withdrawn", "已撤回"


class Claim(models.Model):
    """A self-report (申报) or a manual award that needs approval, waiting for the branch officers.

    Approval scores it through the award service with the claim as the source.
    `request_key` (a form or API idempotency key) makes a repeated submission harmless.
    """

    kind = models.CharField("类型", max_length=20, choices=ClaimKind.choices)
    status = models.CharField("状态", max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.PENDING)
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="point_claims")
    org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField("数量", max_digits=9, decimal_places=2, default=1)
    occurred_at = models.DateTimeField("发生时间")
    reason = models.CharField("事由", max_length=300)
    evidence = models.CharField("佐证说明", max_length=500, blank=True)
    evidence_file = models.FileField("佐证材料", upload_to="points/%Y/%m/", blank=True)
    request_key = models.CharField(max_length=64, unique=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField("提交时间", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    decision_note = models.CharField("审核意见", max_length=300, blank=True)
    entry = models.OneToOneField(Entry, null=True, blank=True, on_delete=models.PROTECT, related_name="claim")

    class Meta:
        verbose_name = "积分申报/审核"
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["org", "status"])]

    def __str__(self):
        return f"{self.member} {self.rule.name}（{self.get_status_display()}）"


class AppealStatus(models.TextChoices):
    OPEN = "open", "待处理"
    UPHELD = "upheld", "维持原记分"
    REVERSED = "reversed", "已冲正"
    WITHDRAWN = "withdrawn", "已撤回"


class Appeal(models.Model):
    """A member disputes an entry; an officer upholds it or reverses the entry."""

    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="appeals")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="point_appeals")
    org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField("申诉理由", max_length=500)
    status = models.CharField("状态", max_length=20, choices=AppealStatus.choices, default=AppealStatus.OPEN)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField("提交时间", auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)
    resolution = models.CharField("处理意见", max_length=300, blank=True)

    class Meta:
        verbose_name = "积分申诉"
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry"], condition=Q(status="open"), name="points_one_open_appeal"
            )
        ]
        indexes = [models.Index(fields=["org", "status"])]

    def __str__(self):
        return f"{self.member} 申诉 {self.entry_id}"


class Snapshot(models.Model):
    """A published ranking (积分通报) of an org for a period. Immutable once written."""

    org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    title = models.CharField("标题", max_length=100)
    period_kind = models.CharField("周期类型", max_length=10)
    start = models.DateField("起始日期")
    end = models.DateField("截止日期")
    member_count = models.PositiveIntegerField("人数")
    note = models.CharField("说明", max_length=300, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField("发布时间", auto_now_add=True)

    class Meta:
        verbose_name = "积分通报"
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "start", "end"], name="points_snapshot_period"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("已发布的积分通报不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("已发布的积分通报不能删除")


class SnapshotRow(models.Model):
    snapshot = models.ForeignKey(Snapshot, on_delete=models.PROTECT, related_name="rows")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    name = models.CharField("姓名", max_length=50)
    org_name = models.CharField("所在组织", max_length=100)
    rank = models.PositiveIntegerField("名次")
    total = models.DecimalField("积分", max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = "积分通报明细"
        ordering = ["snapshot", "rank", "id"]
        constraints = [models.UniqueConstraint(fields=["snapshot", "member"], name="points_snapshot_member")]

    def __str__(self):
        return f"{self.rank}. {self.name} {self.total}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("已发布的积分通报不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("已发布的积分通报不能删除")
