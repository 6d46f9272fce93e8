"""组织生活: meetings (三会一课, 主题党日, 组织生活会…) from plan to record, attendance and check-in, minutes,
votes; 民主评议党员 as a yearly process; 谈心谈话 records; compliance requirements (versioned data)."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q


class Attendees(models.TextChoices):
    """Who is expected at a meeting type."""

    BRANCH = "branch", "支部全体党员"
    COMMITTEE = "committee", "支部委员"
    GROUP = "group", "党小组成员"


class MeetingType(models.Model):
    """A kind of meeting. System types (org null) are seeded; an org may define its own (e.g. 支部书记讲党课
    as a separate type, or 专题学习会) for itself and below."""

    org = models.ForeignKey(
        "orgs.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField("代码", max_length=40)
    name = models.CharField("名称", max_length=40)
    attendees = models.CharField("应参加人员", max_length=20, choices=Attendees.choices)
    can_vote = models.BooleanField("可进行表决", default=False)
    # The points rule for attending (orglife.* in the points catalogue); empty: attendance scores nothing.
    points_rule = models.CharField("出席积分规则", max_length=40, blank=True)
    # Default agenda items for the minutes, one per line (the per-type template).
    minutes_template = models.TextField("会议记录模板", blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "会议类型"
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "code"], name="orglife_type_code"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(org__isnull=True), name="orglife_type_default_code"
            ),
        ]

    def __str__(self):
        return self.name


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", "已计划"
    NOTIFIED = "notified", "已通知"
    HELD = "held", "已召开"
    RECORDED = "recorded", "已记录"
    ARCHIVED = "archived", "已归档"
    CANCELLED = "cancelled", "已取消"


HELD_STATUSES = (MeetingStatus.HELD, MeetingStatus.RECORDED, MeetingStatus.ARCHIVED)


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Meeting(models.Model):
    """One meeting of a branch (or of a 党小组: org is the group). Compliance counts held meetings."""

    org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="meetings")
    type = models.ForeignKey(MeetingType, on_delete=models.PROTECT, related_name="meetings")
    status = models.CharField(
        "状态", max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED
    )
    topic = models.CharField("主题", max_length=150)
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    place = models.CharField("地点", max_length=150, blank=True)
    online_link = models.URLField("线上会议链接", blank=True)
    host = models.ForeignKey(
        "members.Member",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="主持人",
    )
    recorder = models.ForeignKey(
        "members.Member",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="记录人",
    )
    lecturer = models.CharField("授课人", max_length=50, blank=True)  # 党课
    agenda = models.TextField("议程", blank=True)  # one item per line
    checkin_token = models.CharField(max_length=64, unique=True, default=new_token)
    notified_at = models.DateTimeField("通知时间", null=True, blank=True)
    held_at = models.DateTimeField("确认召开时间", null=True, blank=True)
    recorded_at = models.DateTimeField("记录完成时间", null=True, blank=True)
    archived_at = models.DateTimeField("归档时间", null=True, blank=True)
    cancel_reason = models.CharField("取消原因", max_length=200, blank=True)
    summary = models.TextField("会议小结", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "会议"
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["org", "starts_at"]),
            # Compliance: held meetings of a type in a period, for every org under a committee.
            models.Index(fields=["status", "type", "starts_at"], name="orglife_meeting_compliance"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="meeting_ends_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.topic}（{self.type.name}）"

    @property
    def is_held(self) -> bool:
        return self.status in HELD_STATUSES

    @property
    def is_locked(self) -> bool:
        return self.status in (MeetingStatus.ARCHIVED, MeetingStatus.CANCELLED)


class AttendanceStatus(models.TextChoices):
    PENDING = "pending", "待确认"
    PRESENT = "present", "出席"
    LATE = "late", "迟到"
    ABSENT = "absent", "缺席"


class AbsenceReason(models.TextChoices):
    SICK = "sick", "病假"
    PERSONAL = "personal", "事假"
    OFFICIAL = "official", "公假"
    OTHER = "other", "其他"
    UNEXCUSED = "unexcused", "无故缺席"


class CheckinVia(models.TextChoices):
    QR = "qr", "扫码签到"
    RECORDER = "recorder", "记录人登记"


class Attendance(models.Model):
    """An expected attendee of a meeting (created when the meeting is notified) and what happened.

    Points follow the status through `orglife.services`: attending scores the type's rule, an unexcused
    absence deducts; a correction reverses the earlier entry (`points_rev` numbers the sources).
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="attendances")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="attendances")
    status = models.CharField(
        "出席情况", max_length=20, choices=AttendanceStatus.choices, default=AttendanceStatus.PENDING
    )
    absence_reason = models.CharField("缺席原因", max_length=20, choices=AbsenceReason.choices, blank=True)
    absence_note = models.CharField("缺席说明", max_length=200, blank=True)
    checked_in_at = models.DateTimeField("签到时间", null=True, blank=True)
    via = models.CharField("登记方式", max_length=20, choices=CheckinVia.choices, blank=True)
    makeup_on = models.DateField("补学日期", null=True, blank=True)
    makeup_note = models.CharField("补学内容", max_length=200, blank=True)
    # Points bookkeeping: the rule code currently scored for this attendance ("" none) and the revision.
    scored_rule = models.CharField(max_length=40, blank=True)
    points_rev = models.PositiveSmallIntegerField(default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "出席记录"
        ordering = ["meeting", "member__name"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="orglife_one_attendance"),
            models.CheckConstraint(
                condition=~Q(status="absent") | ~Q(absence_reason=""), name="orglife_absence_has_reason"
            ),
        ]
        indexes = [models.Index(fields=["member", "status"])]

    def __str__(self):
        return f"{self.member} {self.get_status_display()}"


class MinutesItem(models.Model):
    """One agenda item of the minutes (会议记录): what was discussed and what was resolved."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="minutes")
    order = models.PositiveSmallIntegerField(default=0)
    title = models.CharField("议题", max_length=150)
    discussion = models.TextField("讨论情况", blank=True)
    resolution = models.TextField("决议/结论", blank=True)

    class Meta:
        verbose_name = "会议记录条目"
        ordering = ["meeting", "order", "id"]

    def __str__(self):
        return self.title


class Attachment(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="attachments")
    title = models.CharField("名称", max_length=100)
    file = models.FileField("文件", upload_to="orglife/%Y/%m/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "会议附件"
        ordering = ["meeting", "uploaded_at"]

    def __str__(self):
        return self.title


class ExclusionReason(models.TextChoices):
    """The five kinds of absent members who may be left out of "expected" with approval (domain-rules §2)."""

    ILL = "ill", "患有严重疾病、生活不能自理"
    ABROAD = "abroad", "出国（境）半年以上自费学习"
    SENTENCED = "sentenced", "受留党察看以外处分或正在服刑"
    BEDRIDDEN = "bedridden", "年老体弱卧床不起"
    AWAY = "away", "外出半年以上、下落不明或待转组织关系"


class VoteExclusion(models.Model):
    """An approved exclusion of a voting member from the expected count of a meeting's votes."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="exclusions")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField("原因", max_length=20, choices=ExclusionReason.choices)
    approved_by = models.CharField("批准组织/人", max_length=100)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "不计入应到人数"
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="orglife_one_exclusion")]

    def __str__(self):
        return f"{self.member} {self.get_reason_display()}"


class VoteKind(models.TextChoices):
    RESOLUTION = "resolution", "一般决议"
    ELECTION = "election", "选举"


class Vote(models.Model):
    """A vote at a meeting that can carry votes: an ordinary resolution or an election. Admission and
    conversion votes are development.BranchVote rows with meeting_id set to the meeting."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="votes")
    kind = models.CharField("类型", max_length=20, choices=VoteKind.choices)
    subject = models.CharField("表决事项", max_length=200)
    expected = models.PositiveIntegerField("应到有表决权党员")
    present = models.PositiveIntegerField("实到有表决权党员")
    in_favour = models.PositiveIntegerField("赞成", default=0)
    against = models.PositiveIntegerField("反对", default=0)
    abstain = models.PositiveIntegerField("弃权", default=0)
    # Elections: [{"name": "张三", "votes": 12}, ...] and the number of seats.
    candidates = models.JSONField("候选人得票", default=list, blank=True)
    seats = models.PositiveSmallIntegerField("应选人数", default=0)
    valid = models.BooleanField("有效")
    passed = models.BooleanField("通过/选举成功")
    message = models.CharField("结果说明", max_length=400)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "会议表决"
        ordering = ["meeting", "recorded_at"]

    def __str__(self):
        return self.subject


class Frequency(models.TextChoices):
    MONTH = "month", "每月"
    QUARTER = "quarter", "每季度"
    YEAR = "year", "每年"


class AppliesTo(models.TextChoices):
    BRANCH = "branch", "党支部"
    BRANCH_COMMITTEE = "branch_committee", "设支部委员会的党支部"
    GROUP = "group", "党小组"


class Requirement(models.Model):
    """How often a meeting type must be held (domain-rules §1), versioned per org like the points catalogue:
    the deepest org on a branch's path wins, then the latest valid_from; `active=False` switches it off."""

    org = models.ForeignKey(
        "orgs.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField("代码", max_length=40)
    type_code = models.CharField("会议类型", max_length=40)
    frequency = models.CharField("频次", max_length=20, choices=Frequency.choices)
    min_count = models.PositiveSmallIntegerField("最少次数", default=1)
    applies_to = models.CharField("适用于", max_length=20, choices=AppliesTo.choices)
    source = models.CharField("依据", max_length=200)
    valid_from = models.DateField("生效日期")
    active = models.BooleanField("启用", default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "组织生活要求"
        ordering = ["code", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["org", "code", "valid_from"], name="orglife_requirement_version"),
            models.UniqueConstraint(
                fields=["code", "valid_from"],
                condition=Q(org__isnull=True),
                name="orglife_requirement_default",
            ),
            models.CheckConstraint(condition=Q(min_count__gte=1), name="orglife_requirement_min_count"),
        ]

    def __str__(self):
        return f"{self.code} {self.get_frequency_display()}{self.min_count}次"


class Grade(models.TextChoices):
    EXCELLENT = "excellent", "优秀"
    QUALIFIED = "qualified", "合格"
    BASIC = "basic", "基本合格"
    UNQUALIFIED = "unqualified", "不合格"


class ReviewStatus(models.TextChoices):
    SELF = "self", "个人自评"
    POLL = "poll", "民主测评"
    PROPOSED = "proposed", "支委会提出等次"
    CONFIRMED = "confirmed", "党员大会确定"


class Review(models.Model):
    """民主评议党员 of one branch for one year: self-assessment → mutual assessment and democratic poll
    (members from their phones) → the committee proposes grades → the 大会 confirms."""

    org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="reviews")
    year = models.PositiveSmallIntegerField("年度")
    status = models.CharField("阶段", max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.SELF)
    meeting = models.ForeignKey(
        Meeting,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="确定等次的会议",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "民主评议"
        ordering = ["-year", "org"]
        constraints = [models.UniqueConstraint(fields=["org", "year"], name="orglife_one_review_per_year")]

    def __str__(self):
        return f"{self.org} {self.year}年民主评议党员"


class ReviewEntry(models.Model):
    """One member in a review: the self-assessment, the proposed and the final grade (probationary
    members take part but are not graded)."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="entries")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    graded = models.BooleanField("参加定等", default=True)
    self_assessment = models.TextField("个人自评", blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    proposed_grade = models.CharField("建议等次", max_length=20, choices=Grade.choices, blank=True)
    final_grade = models.CharField("评定等次", max_length=20, choices=Grade.choices, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "民主评议对象"
        ordering = ["review", "member__name"]
        constraints = [models.UniqueConstraint(fields=["review", "member"], name="orglife_one_review_entry")]

    def __str__(self):
        return f"{self.review} {self.member}"


class Ballot(models.Model):
    """One member's democratic-poll grade (and mutual-assessment comment) for another member."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="ballots")
    voter = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    grade = models.CharField("测评等次", max_length=20, choices=Grade.choices)
    comment = models.CharField("互评意见", max_length=300, blank=True)
    submitted_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "民主测评票"
        constraints = [
            models.UniqueConstraint(fields=["review", "voter", "target"], name="orglife_one_ballot"),
            models.CheckConstraint(condition=~Q(voter=models.F("target")), name="orglife_ballot_not_self"),
        ]

    def __str__(self):
        return f"{self.voter}→{self.target} {self.get_grade_display()}"


class Talk(models.Model):
    """A 谈心谈话 record: private to the two parties and the branch secretary."""

    org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="talks")
    held_on = models.DateField("谈话日期")
    initiator = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="+", verbose_name="谈话人"
    )
    partner = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="+", verbose_name="谈话对象"
    )
    topic = models.CharField("主题", max_length=150)
    notes = models.TextField("谈话要点", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "谈心谈话"
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["org", "held_on"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(initiator=models.F("partner")), name="orglife_talk_two_people"
            ),
        ]

    def __str__(self):
        return f"{self.initiator}与{self.partner} {self.held_on}"
