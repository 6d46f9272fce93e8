from django import forms

from zhibu.orgs.models import BranchKind, CommitteeTerm, Organization, OrgType, Position, Sector

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class OrgForm(forms.Form):
    name = forms.CharField(label="名称", max_length=100)
    short_name = forms.CharField(label="简称", max_length=40, required=False)
    code = forms.CharField(label="组织代码", max_length=40)
    org_type = forms.ChoiceField(label="类型", choices=OrgType.choices)
    branch_kind = forms.ChoiceField(
        label="支部类别", choices=BranchKind.choices, required=False, help_text="仅党支部适用"
    )
    founded_on = forms.DateField(label="成立日期", required=False, widget=DATE)
    host_unit = forms.CharField(label="所在单位", max_length=100, required=False)
    sector = forms.ChoiceField(label="单位类别", choices=Sector.choices)

    @classmethod
    def from_org(cls, org: Organization, data=None):
        initial = {f: getattr(org, f) for f in cls.base_fields}
        return cls(data, initial=initial)


class MoveForm(forms.Form):
    parent = forms.ModelChoiceField(label="新的上级组织", queryset=Organization.objects.none())

    def __init__(self, *args, parents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parents
        self.fields["parent"].label_from_instance = lambda o: f"{'　' * (o.depth - 1)}{o.name}（{o.code}）"


class DissolveForm(forms.Form):
    dissolved_on = forms.DateField(label="撤销日期", widget=DATE)
    reason = forms.CharField(label="撤销原因", max_length=200)


class TermForm(forms.Form):
    kind = forms.ChoiceField(label="形式", choices=CommitteeTerm.Kind.choices)
    started_on = forms.DateField(label="选举日期（任期开始）", widget=DATE)
    ends_on = forms.DateField(
        label="任期届满日期",
        required=False,
        widget=DATE,
        help_text="留空则按规定自动计算（支部、总支3年，党委及村、社区5年）",
    )
    note = forms.CharField(label="备注", max_length=200, required=False)


class TermEndForm(forms.Form):
    ends_on = forms.DateField(label="任期届满日期", widget=DATE)


class SeatForm(forms.Form):
    position = forms.ChoiceField(label="职务", choices=Position.choices)
    title = forms.CharField(label="职务名称（可选）", max_length=30, required=False)


class HolderForm(forms.Form):
    member = forms.ModelChoiceField(label="党员", queryset=None)
    started_on = forms.DateField(label="任职日期", widget=DATE)

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members


class EndHoldingForm(forms.Form):
    ended_on = forms.DateField(label="离任日期", widget=DATE)
    reason = forms.CharField(label="离任原因", max_length=200)


class SettingForm(forms.Form):
    key = forms.ChoiceField(label="配置项")
    value = forms.CharField(
        label="值",
        max_length=2000,
        help_text="整数；开关填“开启”或“关闭”；节假日等日期列表按YYYY-MM-DD填写，用逗号或换行分隔",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    valid_from = forms.DateField(label="生效日期", widget=DATE)
    note = forms.CharField(label="说明（依据的文件等）", max_length=200, required=False)

    def __init__(self, *args, keys=None, **kwargs):
        from zhibu.core.config import KEYS

        super().__init__(*args, **kwargs)
        allowed = KEYS if keys is None else keys
        self.fields["key"].choices = [(k, spec.label) for k, spec in KEYS.items() if k in allowed]
