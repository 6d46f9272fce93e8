"""Member records, their history (events, not overwrites) and transfers of party membership."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q

from zhibu.accounts.models import mobile_validator
from zhibu.core.models import AppendOnlyError
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


class Education(models.TextChoices):
    POSTGRADUATE = "postgraduate", "研究生"
    BACHELOR = "bachelor", "大学本科"
    COLLEGE = "college", "大学专科"
    SECONDARY = "secondary", "中等专科"
    HIGH_SCHOOL = "high_school", "高中"
    JUNIOR = "junior", "初中及以下"


class Degree(models.TextChoices):
    NONE = "", "无"
    BACHELOR = "bachelor", "学士"
    MASTER = "master", "硕士"
    DOCTOR = "doctor", "博士"


class Employment(models.TextChoices):
    """Employment category: party dues depend on it (党费规定 2008, domain-rules §5)."""

    EMPLOYED = "employed", "在职"
    RETIRED = "retired", "离退休"
    FARMER = "farmer", "农民"
    STUDENT = "student", "学生"
    UNEMPLOYED = "unemployed", "下岗失业"
    RELIEF = "relief", "低保/救济"
    SELF_EMPLOYED = "self_employed", "个体/灵活就业"
    OTHER = "other", "其他"


# The 56 ethnic groups with their GB/T 3304-1991 codes.
ETHNICITIES = [
    (f"{i:02d}", name)
    for i, name in enumerate(
        "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 "
        "哈尼族 哈萨克族 傣族 黎族 傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 "
        "柯尔克孜族 土族 达斡尔族 仫佬族 羌族 布朗族 撒拉族 毛南族 仡佬族 锡伯族 阿昌族 普米族 "
        "塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 塔塔尔族 独龙族 "
        "鄂伦春族 赫哲族 门巴族 珞巴族 基诺族".split(),
        start=1,
    )
]


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
    ethnicity = models.CharField("民族", max_length=2, choices=ETHNICITIES, default="01")
    native_place = models.CharField("籍贯", max_length=50, blank=True)
    education = models.CharField("学历", max_length=20, choices=Education.choices, blank=True)
    degree = models.CharField("学位", max_length=20, choices=Degree.choices, blank=True)
    work_post = models.CharField("工作岗位/职务", max_length=100, blank=True)
    employment = models.CharField(
        "人员类别", max_length=20, choices=Employment.choices, default=Employment.EMPLOYED
    )
    address = models.CharField("家庭住址", max_length=200, blank=True)
    party_posts = models.CharField("党内职务", max_length=100, blank=True)
    dues_start_on = models.DateField("党费起缴日期", null=True, blank=True)
    status_since = models.DateField("状态起始日期", null=True, blank=True)
    # Flags
    hardship = models.BooleanField("困难党员", default=False)
    veteran = models.BooleanField("老党员", default=False)
    under_party_probation = models.BooleanField("留党察看期间", default=False)
    # 流动党员: where to, since when, the 流动党员活动证 (domain-rules §6)
    mobile_destination = models.CharField("流动去向", max_length=100, blank=True)
    mobile_since = models.DateField("外出流动日期", null=True, blank=True)
    mobile_certificate_no = models.CharField("流动党员活动证号", max_length=40, blank=True)
    # 失联党员: since when contact was lost (§6: 6 months → 停止党籍 proposal; 2 years more → 自行脱党)
    lost_since = models.DateField("失联日期", null=True, blank=True)
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
        indexes = [
            models.Index(fields=["org", "status", "category"]),
            models.Index(fields=["org", "name"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(category="probationary") | Q(converted_on__isnull=True),
                name="probationary_not_converted",
            ),
            models.CheckConstraint(
                condition=~Q(status="lost") | Q(lost_since__isnull=False), name="lost_has_since"
            ),
        ]

    def __str__(self):
        return self.name


class EventKind(models.TextChoices):
    CREATED = "created", "建档"
    JOINED = "joined", "入党"
    CONVERTED = "converted", "转正"
    PROBATION_EXTENDED = "probation_extended", "延长预备期"
    TRANSFER_OUT = "transfer_out", "组织关系转出"
    TRANSFER_IN = "transfer_in", "组织关系转入"
    STATUS = "status", "状态变更"
    CATEGORY = "category", "类别变更"
    POST = "post", "职务变更"
    GROUP = "group", "党小组调整"
    INFO = "info", "信息修改"
    MOBILE = "mobile", "流动登记"
    LOST = "lost", "失联登记"
    FOLLOW_UP = "follow_up", "失联跟进"
    IMPORTED = "imported", "批量导入"
    NOTE = "note", "备注"


class MemberEvent(models.Model):
    """One dated fact in a member's history: who recorded it and why. Never edited, never deleted."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField("事项", max_length=30, choices=EventKind.choices)
    occurred_on = models.DateField("发生日期")
    reason = models.CharField("原因/说明", max_length=300, blank=True)
    # Field changes as {"field": [before, after]} plus any details (e.g. transfer id, destination).
    data = models.JSONField("详情", default=dict, blank=True, encoder=DjangoJSONEncoder)
    org = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name="记录时所在组织"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "党员档案事项"
        ordering = ["member", "-occurred_on", "-id"]
        indexes = [
            models.Index(fields=["member", "occurred_on"]),
            models.Index(fields=["kind", "occurred_on"]),
        ]

    def __str__(self):
        return f"{self.member} {self.get_kind_display()} {self.occurred_on}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("党员档案事项只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("党员档案事项只能追加，不能删除")


class TransferDirection(models.TextChoices):
    INTERNAL = "internal", "系统内转接"
    OUT = "out", "转出到系统外"
    IN = "in", "从系统外转入"


class TransferStatus(models.TextChoices):
    PENDING = "pending", "待接收"
    COMPLETED = "completed", "已完成"
    REJECTED = "rejected", "已退回"
    CANCELLED = "cancelled", "已撤销"


class Transfer(models.Model):
    """A transfer of party membership (组织关系转接). The old org stays responsible until completed.

    internal: from_org → to_org, completed when the receiving org confirms.
    out: from_org → an org outside Zhibu, with an introduction letter (介绍信); completed on receipt (回执).
    in: from outside → to_org, with the letter number the member brings; completed when registered.
    """

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="transfers")
    direction = models.CharField("方式", max_length=20, choices=TransferDirection.choices)
    status = models.CharField(
        "状态", max_length=20, choices=TransferStatus.choices, default=TransferStatus.PENDING
    )
    from_org = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers_out",
        verbose_name="转出组织",
    )
    to_org = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers_in",
        verbose_name="接收组织",
    )
    to_group = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="接收党小组",
    )
    external_org = models.CharField("系统外组织名称", max_length=150, blank=True)
    reason = models.CharField("转接原因", max_length=200, blank=True)
    letter_no = models.CharField("介绍信编号", max_length=40, unique=True, null=True, blank=True)
    issued_on = models.DateField("开具/申请日期")
    valid_until = models.DateField("有效期至", null=True, blank=True)
    receipt_on = models.DateField("回执/接收日期", null=True, blank=True)
    decision_note = models.CharField("处理意见", max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "组织关系转接"
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"], condition=Q(status="pending"), name="one_pending_transfer_per_member"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("issued_on")),
                name="transfer_valid_after_issue",
            ),
        ]
        indexes = [models.Index(fields=["status", "valid_until"])]

    def __str__(self):
        return f"{self.member} {self.get_direction_display()}"
