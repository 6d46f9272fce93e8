"""Forms of the points pages: parse and check input shape only; the rules live in services/rules."""

import uuid
from decimal import Decimal

from django import forms
from django.utils import timezone

from zhibu.points.models import Awarder, Category

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
UPLOADS = ".pdf,.jpg,.jpeg,.png,.doc,.docx"
MAX_UPLOAD_MB = 20


def new_request_key() -> str:
    """The idempotency key a form carries: a repeated submission of the same page writes once."""
    return uuid.uuid4().hex


def number(value) -> str:
    """A Decimal without trailing zeros: 2.00 → 2, 0.50 → 0.5."""
    text = f"{Decimal(value).normalize():f}"
    return text


def rule_help(rule) -> str:
    """One line explaining a rule on the forms: score per unit, caps, evidence and approval."""
    sign = "+" if rule.points > 0 else ""
    size = "" if rule.unit_size == 1 else number(rule.unit_size)
    parts = [f"每{size}{rule.unit}{sign}{number(rule.points)}分"]
    caps = [
        f"{label}最多{number(cap)}分"
        for label, cap in (
            ("每日", rule.cap_day),
            ("每周", rule.cap_week),
            ("每月", rule.cap_month),
            ("每年", rule.cap_year),
        )
        if cap is not None
    ]
    if caps:
        parts.append("、".join(caps))
    if rule.needs_evidence:
        parts.append("需佐证材料")
    if rule.needs_approval:
        parts.append("需审核")
    if rule.awarder == Awarder.SUPERIOR:
        parts.append("由上级党组织记分")
    return " · ".join(parts)


class ClaimForm(forms.Form):
    """A member's self-report (申报) or an officer's award/deduct: a rule, how much, when, why, evidence."""

    rule = forms.ChoiceField(label="积分项目", widget=forms.RadioSelect)
    quantity = forms.DecimalField(
        label="数量",
        min_value=Decimal("0.01"),
        max_digits=9,
        decimal_places=2,
        initial=1,
        help_text="按所选项目的计分单位填写，如小时数、次数",
    )
    occurred_at = forms.DateTimeField(label="发生时间", widget=DATETIME)
    reason = forms.CharField(label="事由", max_length=300, widget=forms.Textarea(attrs={"rows": 2}))
    evidence = forms.CharField(
        label="佐证说明",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="如活动名称、组织方、证明人；需要佐证的项目请填写说明或上传附件",
    )
    evidence_file = forms.FileField(
        label="佐证附件（可选）",
        required=False,
        help_text=f"照片、PDF或Word文档，不超过{MAX_UPLOAD_MB}MB",
        widget=forms.ClearableFileInput(attrs={"accept": UPLOADS}),
    )
    request_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, rules=(), **kwargs):
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("request_key", new_request_key())
        initial.setdefault("occurred_at", timezone.localtime().replace(second=0, microsecond=0))
        super().__init__(*args, **kwargs)
        self.rules = list(rules)
        self.fields["rule"].choices = [(r.code, r.name) for r in self.rules]

    def rule_groups(self) -> list[tuple[str, list[dict]]]:
        """The rule choices with their explanation, grouped by category in the catalogue's order."""
        current = self["rule"].value()
        labels = dict(Category.choices)
        groups: dict[str, list[dict]] = {}
        for i, r in enumerate(self.rules):
            row = {"rule": r, "help": rule_help(r), "checked": r.code == current, "id": f"id_rule_{i}"}
            groups.setdefault(r.category, []).append(row)
        return [(labels[c], groups[c]) for c in Category.values if c in groups]

    def clean_evidence_file(self):
        upload = self.cleaned_data.get("evidence_file")
        if upload:
            name = upload.name.lower()
            if not name.endswith(tuple(UPLOADS.split(","))):
                raise forms.ValidationError("只能上传照片、PDF或Word文档")
            if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
                raise forms.ValidationError(f"附件不能超过{MAX_UPLOAD_MB}MB")
        return upload

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "rule_code": data["rule"],
            "occurred_at": data["occurred_at"],
            "reason": data["reason"],
            "request_key": data["request_key"],
            "evidence": data["evidence"],
            "quantity": data["quantity"],
            "evidence_file": data.get("evidence_file") or None,
        }


class DecisionForm(forms.Form):
    """Approve or reject a claim; the note is required for a rejection (the service says so)."""

    # Sent by the button pressed (name="action"), so it is not rendered as a field.
    action = forms.ChoiceField(label="审核结果", choices=[("approve", "通过"), ("reject", "不予通过")])
    note = forms.CharField(
        label="审核意见",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="通过时可不填；不予通过时必须填写理由，党员可以看到",
    )


class ResolveForm(forms.Form):
    decision = forms.ChoiceField(
        label="处理结果",
        choices=[("uphold", "维持原记分"), ("reverse", "申诉成立，冲正该记录")],
        widget=forms.RadioSelect,
    )
    resolution = forms.CharField(
        label="处理意见", max_length=300, widget=forms.Textarea(attrs={"rows": 2}), help_text="党员可以看到"
    )


class AppealForm(forms.Form):
    reason = forms.CharField(
        label="申诉理由",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="说明您认为这条记录哪里不对，党支部会核实处理",
    )


class ClearForm(forms.Form):
    """学习作弊清分: reverse a category's points over a period (domain-rules §8)."""

    category = forms.ChoiceField(
        label="清除类别",
        choices=[(c, label) for c, label in Category.choices if c != Category.NEGATIVE],
        initial=Category.LEARNING,
    )
    start = forms.DateField(label="起始日期", widget=DATE)
    end = forms.DateField(label="截止日期", widget=DATE)
    reason = forms.CharField(
        label="清除理由",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="例如：经查实在线学习、测验中弄虚作假。每条记录追加一条冲正，原记录保留；扣分请另行记分",
    )


class ReverseForm(forms.Form):
    reason = forms.CharField(
        label="冲正理由",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="冲正会追加一条相反分值的记录，原记录保留",
    )


class PublishForm(forms.Form):
    period_kind = forms.CharField(widget=forms.HiddenInput, max_length=10)
    start = forms.DateField(label="起始日期", widget=DATE)
    end = forms.DateField(label="截止日期", widget=DATE)
    title = forms.CharField(label="标题", max_length=100, required=False, help_text="不填则自动生成")
    note = forms.CharField(label="说明", max_length=300, required=False)


class RuleForm(forms.Form):
    """A new version of a catalogue rule (or, with `code`, a new rule of the org's own)."""

    code = forms.CharField(
        label="规则代码",
        max_length=40,
        help_text="字母、数字、点、下划线，如 branch.study_group；建立后不能修改",
    )
    name = forms.CharField(label="名称", max_length=60)
    category = forms.ChoiceField(label="类别", choices=Category.choices)
    points = forms.DecimalField(
        label="分值", max_digits=7, decimal_places=2, help_text="每个计分单位的分值；扣分项填负数"
    )
    unit = forms.CharField(label="计分单位", max_length=10, initial="次")
    unit_size = forms.DecimalField(
        label="每计分单位数量",
        max_digits=7,
        decimal_places=2,
        initial=1,
        help_text="如每学习5分钟计1分：分值1、单位“分钟”、数量5",
    )
    cap_day = forms.DecimalField(label="每日上限", max_digits=8, decimal_places=2, required=False)
    cap_week = forms.DecimalField(label="每周上限", max_digits=8, decimal_places=2, required=False)
    cap_month = forms.DecimalField(label="每月上限", max_digits=8, decimal_places=2, required=False)
    cap_year = forms.DecimalField(
        label="每年上限", max_digits=8, decimal_places=2, required=False, help_text="不设上限请留空"
    )
    awarder = forms.ChoiceField(label="手工记分权限", choices=Awarder.choices, initial=Awarder.BRANCH)
    needs_evidence = forms.BooleanField(label="需要佐证材料", required=False)
    needs_approval = forms.BooleanField(label="需要审核（由另一名支委审核后计分）", required=False)
    self_report = forms.BooleanField(label="党员可申报", required=False)
    active = forms.BooleanField(label="启用（取消勾选即在本组织及下级停用）", required=False, initial=True)
    description = forms.CharField(label="说明", max_length=200, required=False)
    valid_from = forms.DateField(
        label="生效日期", widget=DATE, help_text="新版本自该日起适用；之前的记分仍按原版本解释"
    )

    FIELDS = (
        "name",
        "category",
        "points",
        "unit",
        "unit_size",
        "cap_day",
        "cap_week",
        "cap_month",
        "cap_year",
        "needs_evidence",
        "needs_approval",
        "awarder",
        "self_report",
        "active",
        "description",
    )

    def __init__(self, *args, new: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not new:
            del self.fields["code"]

    def rule_data(self) -> dict:
        return {f: self.cleaned_data[f] for f in self.FIELDS}
