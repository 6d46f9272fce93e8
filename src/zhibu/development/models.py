"""发展党员: a versioned rule set of 25 steps in 5 stages, and one case per person going through them."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q

from zhibu.accounts.models import mobile_validator
from zhibu.members.models import ETHNICITIES, Education, Gender
from zhibu.members.rules import id_number_validator


class RuleSet(models.Model):
    """A version of the development rules (e.g. 细则 2014). Cases keep the version they started under;
    a revised regulation is a new row (with its steps), not an edit."""

    code = models.CharField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=100)
    source = models.CharField("依据", max_length=200)
    effective_from = models.DateField("生效日期")
    # Rule numbers (see development.rules.Params for the keys and their defaults).
    params = models.JSONField("规则参数", default=dict, encoder=DjangoJSONEncoder)
    is_current = models.BooleanField("新建档案默认使用", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "发展党员规则版本"
        ordering = ["-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=Q(is_current=True), name="one_current_ruleset"
            )
        ]

    def __str__(self):
        return self.name


class Stage(models.IntegerChoices):
    APPLICATION = 1, "申请入党"
    ACTIVIST = 2, "入党积极分子的确定和培养教育"
    CANDIDATE = 3, "发展对象的确定和考察"
    ADMISSION = 4, "预备党员的接收"
    PROBATION = 5, "预备党员的教育考察和转正"


class StepDef(models.Model):
    """One of the steps of a rule set (细则 2014: 25 steps), with the documents it needs."""

    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="steps")
    number = models.PositiveSmallIntegerField("序号")
    stage = models.PositiveSmallIntegerField("阶段", choices=Stage.choices)
    code = models.CharField("代码", max_length=40)
    name = models.CharField("名称", max_length=100)
    documents = models.JSONField("所需材料", default=list, blank=True)
    source = models.CharField("依据", max_length=200, blank=True)
    # Who usually records it: "branch" (支部) or "superior" (上级党委).
    actor = models.CharField("办理主体", max_length=20, default="branch")

    class Meta:
        verbose_name = "发展步骤"
        ordering = ["rule_set", "number"]
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "number"], name="step_number_unique"),
            models.UniqueConstraint(fields=["rule_set", "code"], name="step_code_unique"),
        ]

    def __str__(self):
        return f"{self.number}. {self.name}"


class CaseStatus(models.TextChoices):
    ACTIVE = "active", "进行中"
    CONVERTED = "converted", "已转正"
    STOPPED = "stopped", "已终止"  # not continued (e.g. withdrew, did not pass a vote)
    CANCELLED = "cancelled", "取消预备党员资格"


class Case(models.Model):
    """One person's development file (入党申请人 → 积极分子 → 发展对象 → 预备党员 → 正式党员).

    Key dates are copied from the step records so boards and deadlines are plain column queries.
    """

    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="cases")
    org = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="dev_cases", verbose_name="所在支部"
    )
    group = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="党小组",
    )
    name = models.CharField("姓名", max_length=50)
    gender = models.CharField("性别", max_length=10, choices=Gender.choices)
    birth_date = models.DateField("出生日期")
    id_number = models.CharField(
        "身份证号", max_length=18, null=True, blank=True, validators=[id_number_validator]
    )
    ethnicity = models.CharField("民族", max_length=2, choices=ETHNICITIES, default="01")
    education = models.CharField("学历", max_length=20, choices=Education.choices, blank=True)
    mobile = models.CharField("手机号", max_length=11, blank=True, validators=[mobile_validator])
    work_unit = models.CharField("工作单位及职务", max_length=150, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dev_cases",
        verbose_name="账户",
    )
    member = models.OneToOneField(
        "members.Member",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dev_case",
        verbose_name="党员档案",
    )
    status = models.CharField("状态", max_length=20, choices=CaseStatus.choices, default=CaseStatus.ACTIVE)
    status_reason = models.CharField("终止/取消原因", max_length=200, blank=True)
    stage = models.PositiveSmallIntegerField("阶段", choices=Stage.choices, default=Stage.APPLICATION)
    last_step = models.PositiveSmallIntegerField("已完成至第几步", default=0)
    # Key dates (from step records)
    applied_on = models.DateField("递交申请日期")
    talked_on = models.DateField("谈话日期", null=True, blank=True)
    activist_on = models.DateField("确定为积极分子日期", null=True, blank=True)
    candidate_on = models.DateField("确定为发展对象日期", null=True, blank=True)
    training_days = models.DecimalField("集中培训天数", max_digits=4, decimal_places=1, null=True, blank=True)
    training_hours = models.DecimalField(
        "集中培训学时", max_digits=5, decimal_places=1, null=True, blank=True
    )
    admitted_on = models.DateField("支部大会通过接收日期", null=True, blank=True)
    approved_on = models.DateField("上级党委审批日期", null=True, blank=True)
    extension_months = models.PositiveSmallIntegerField("延长预备期（月）", default=0)
    conversion_vote_on = models.DateField("支部大会讨论转正日期", null=True, blank=True)
    conversion_approved_on = models.DateField("上级党委批准转正日期", null=True, blank=True)
    converted_on = models.DateField("转正日期（党龄起算）", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "发展党员档案"
        ordering = ["org", "stage", "applied_on"]
        indexes = [models.Index(fields=["org", "status", "stage"])]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"], condition=Q(status="active"), name="one_active_case_per_id_number"
            ),
            models.CheckConstraint(condition=Q(extension_months__lte=12), name="extension_at_most_12"),
        ]

    def __str__(self):
        return self.name


class StepRecord(models.Model):
    """A step done: when, recorded by whom, with notes and step-specific details (e.g. training hours)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="records")
    step = models.ForeignKey(StepDef, on_delete=models.PROTECT, related_name="+")
    done_on = models.DateField("办理日期")
    note = models.CharField("说明", max_length=300, blank=True)
    data = models.JSONField("详情", default=dict, blank=True, encoder=DjangoJSONEncoder)
    # Warnings the rules raised when it was recorded (kept: the officer went ahead knowingly).
    warnings = models.JSONField("记录时的提示", default=list, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "发展步骤记录"
        ordering = ["case", "step__number"]
        constraints = [models.UniqueConstraint(fields=["case", "step"], name="one_record_per_step")]

    def __str__(self):
        return f"{self.case} {self.step}"


class ParticipantRole(models.TextChoices):
    MENTOR = "mentor", "培养联系人"
    SPONSOR = "sponsor", "入党介绍人"


class Participant(models.Model):
    """A full member involved in a case: 1–2 mentors (step ⑤), exactly two sponsors (step ⑨)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="participants")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    role = models.CharField("角色", max_length=20, choices=ParticipantRole.choices)
    assigned_on = models.DateField("确定日期")
    ended_on = models.DateField("结束日期", null=True, blank=True)

    class Meta:
        verbose_name = "培养联系人/入党介绍人"
        constraints = [
            models.UniqueConstraint(
                fields=["case", "member", "role"], condition=Q(ended_on__isnull=True), name="participant_once"
            )
        ]

    def __str__(self):
        return f"{self.get_role_display()} {self.member}"


class Assessment(models.Model):
    """A periodic assessment (积极分子每半年考察一次, ⑥; 预备期教育考察, ㉑)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="assessments")
    stage = models.PositiveSmallIntegerField("阶段", choices=Stage.choices)
    assessed_on = models.DateField("考察日期")
    result = models.CharField("考察意见", max_length=300)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "考察记录"
        ordering = ["case", "assessed_on"]

    def __str__(self):
        return f"{self.case} {self.assessed_on}"


class Document(models.Model):
    """A file for a step: uploaded (scan of 入党申请书, 政审结论…) or generated by Zhibu (公示, 通知)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="documents")
    step = models.ForeignKey(StepDef, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    title = models.CharField("材料名称", max_length=100)
    file = models.FileField("文件", upload_to="development/%Y/%m/")
    generated = models.BooleanField("系统生成", default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "发展材料"
        ordering = ["case", "uploaded_at"]

    def __str__(self):
        return self.title


class ThoughtReport(models.Model):
    """A 思想汇报 handed in by the person (usually from a phone); the branch reads and comments."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="thought_reports")
    submitted_on = models.DateField("提交日期")
    title = models.CharField("标题", max_length=100)
    content = models.TextField("内容")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    comment = models.CharField("阅评意见", max_length=300, blank=True)

    class Meta:
        verbose_name = "思想汇报"
        ordering = ["case", "-submitted_on"]

    def __str__(self):
        return self.title


class VoteKind(models.TextChoices):
    ADMISSION = "admission", "接收预备党员"
    CONVERSION = "conversion", "预备党员转正"
    EXTENSION = "extension", "延长预备期"
    CANCELLATION = "cancellation", "取消预备党员资格"


class BranchVote(models.Model):
    """A 支部党员大会 vote on one person (one at a time, secret ballot; domain-rules §2).

    `meeting_id` is where the organizational-life module attaches the 支部党员大会 record; validity and
    result are computed by development.rules.vote_result and stored with the numbers they came from.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="votes")
    org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("表决事项", max_length=20, choices=VoteKind.choices)
    held_on = models.DateField("支部党员大会日期")
    meeting_id = models.BigIntegerField("会议记录", null=True, blank=True)
    expected = models.PositiveIntegerField("应到有表决权党员")
    present = models.PositiveIntegerField("实到有表决权党员")
    in_favour = models.PositiveIntegerField("赞成")
    against = models.PositiveIntegerField("反对")
    abstain = models.PositiveIntegerField("弃权")
    written_in_favour = models.PositiveIntegerField("因故缺席书面赞成", default=0)
    valid = models.BooleanField("会议有效")
    passed = models.BooleanField("通过")
    note = models.CharField("说明", max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "支部大会表决"
        ordering = ["case", "held_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(present__lte=models.F("expected")), name="present_le_expected"
            ),
            models.CheckConstraint(
                condition=Q(in_favour__lte=models.F("present") - models.F("against") - models.F("abstain")),
                name="ballots_le_present",
            ),
        ]

    def __str__(self):
        return f"{self.case} {self.get_kind_display()} {self.held_on}"
