"""Forms of the member pages. Validation of the record itself lives in members.services."""

from django import forms

from zhibu.accounts.models import mobile_validator
from zhibu.core.masking import mask_id_number, mask_phone
from zhibu.members.models import (
    ETHNICITIES,
    Category,
    Degree,
    Education,
    Employment,
    Gender,
    Member,
    MemberStatus,
)
from zhibu.orgs.models import Organization

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _date(label, required=False, help_text=""):
    return forms.DateField(label=label, required=required, widget=DATE, help_text=help_text)


class OrgChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class GroupChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.branch_name} · {obj.name}" if getattr(obj, "branch_name", "") else obj.name


class MemberInfoForm(forms.Form):
    """Personal, contact, work, education and flag fields (what `update_member` may change)."""

    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(
        label="身份证号",
        max_length=18,
        required=False,
        help_text="18位；填写后出生日期和性别可留空，系统按身份证号识别",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    gender = forms.ChoiceField(
        label="性别", choices=[("", "按身份证号识别"), *Gender.choices], required=False
    )
    birth_date = _date("出生日期")
    ethnicity = forms.ChoiceField(label="民族", choices=ETHNICITIES, initial="01")
    native_place = forms.CharField(label="籍贯", max_length=50, required=False)
    joined_on = _date("入党日期")
    converted_on = _date("转正日期", help_text="预备党员不填")
    dues_start_on = _date("党费起缴日期", help_text="留空则为入党日期（支部大会通过之日）")
    work_unit = forms.CharField(label="工作单位", max_length=100, required=False)
    work_post = forms.CharField(label="工作岗位/职务", max_length=100, required=False)
    employment = forms.ChoiceField(label="人员类别", choices=Employment.choices, help_text="党费按此计算")
    education = forms.ChoiceField(label="学历", choices=[("", "未登记"), *Education.choices], required=False)
    degree = forms.ChoiceField(label="学位", choices=Degree.choices, required=False)
    mobile = forms.CharField(label="手机号", max_length=11, required=False, validators=[mobile_validator])
    address = forms.CharField(label="家庭住址", max_length=200, required=False)
    hardship = forms.BooleanField(label="困难党员", required=False)
    veteran = forms.BooleanField(label="老党员", required=False)
    under_party_probation = forms.BooleanField(label="留党察看期间", required=False)
    mobile_destination = forms.CharField(label="流动去向", max_length=100, required=False)
    mobile_certificate_no = forms.CharField(label="流动党员活动证号", max_length=40, required=False)

    sections = [
        ("基本信息", ["name", "id_number", "gender", "birth_date", "ethnicity", "native_place"]),
        ("党籍信息", ["joined_on", "converted_on", "dues_start_on"]),
        ("工作与学历", ["work_unit", "work_post", "employment", "education", "degree"]),
        ("联系方式", ["mobile", "address"]),
        (
            "标记",
            ["hardship", "veteran", "under_party_probation", "mobile_destination", "mobile_certificate_no"],
        ),
    ]

    def section_fields(self):
        """[(title, [bound fields])] for templates that lay the form out in groups."""
        return [(title, [self[n] for n in names if n in self.fields]) for title, names in self.sections]

    @classmethod
    def from_member(cls, member: Member, data=None):
        initial = {name: getattr(member, name) for name in cls.base_fields if hasattr(member, name)}
        return cls(data, initial=initial)


class MemberCreateForm(MemberInfoForm):
    org = OrgChoiceField(label="所在党支部", queryset=Organization.objects.none(), empty_label="请选择")
    group = GroupChoiceField(
        label="党小组", queryset=Organization.objects.none(), required=False, empty_label="不编入党小组"
    )
    category = forms.ChoiceField(label="党员类别", choices=Category.choices, initial=Category.FULL)
    status = forms.ChoiceField(
        label="状态",
        choices=[(v, label) for v, label in MemberStatus.choices if v != MemberStatus.TRANSFERRED],
        initial=MemberStatus.NORMAL,
    )
    lost_since = _date("失联日期", help_text="状态为失联时必填")
    mobile_since = _date("外出流动日期", help_text="状态为流动时必填")
    party_posts = forms.CharField(label="党内职务", max_length=100, required=False)

    sections = [
        ("所在组织", ["org", "group"]),
        MemberInfoForm.sections[0],
        ("党籍信息", ["category", "joined_on", "converted_on", "dues_start_on", "party_posts"]),
        MemberInfoForm.sections[2],
        MemberInfoForm.sections[3],
        ("状态", ["status", "lost_since", "mobile_since", "mobile_destination", "mobile_certificate_no"]),
        ("标记", ["hardship", "veteran", "under_party_probation"]),
    ]

    def __init__(self, *args, branches=None, groups=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = branches if branches is not None else Organization.objects.none()
        self.fields["group"].queryset = groups if groups is not None else Organization.objects.none()

    def service_data(self) -> dict:
        """cleaned_data as keyword arguments of `services.create_member` (org separately)."""
        data = dict(self.cleaned_data)
        data.pop("org")
        return data


class MemberEditForm(MemberInfoForm):
    mobile_since = _date("外出流动日期")
    reason = forms.CharField(label="修改原因", max_length=200, required=False, help_text="将记入党员档案历史")

    sections = [
        *MemberInfoForm.sections[:4],
        ("标记", [*MemberInfoForm.sections[4][1][:3], "mobile_since", *MemberInfoForm.sections[4][1][3:]]),
        ("说明", ["reason"]),
    ]

    # ID and mobile numbers are never put into the form (that would show them unmasked and unaudited):
    # the current value is shown masked and a blank input leaves it unchanged.
    KEEP_WHEN_BLANK = ("id_number", "mobile")

    @classmethod
    def from_member(cls, member: Member, data=None):
        form = super().from_member(member, data)
        for name in cls.KEEP_WHEN_BLANK:
            form.initial[name] = ""
        current_id, current_mobile = mask_id_number(member.id_number), mask_phone(member.mobile)
        form.fields["id_number"].help_text = (
            f"当前：{current_id}；留空表示不修改，如需更正请填写完整的18位号码"
            if current_id
            else "尚未登记；填写后出生日期和性别按身份证号核对"
        )
        form.fields["mobile"].help_text = (
            f"当前：{current_mobile}；留空表示不修改" if current_mobile else "尚未登记"
        )
        return form

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("reason", None)
        for name in self.KEEP_WHEN_BLANK:
            if not data.get(name):
                data.pop(name, None)
        return data


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label="新状态",
        choices=[(v, label) for v, label in MemberStatus.choices if v != MemberStatus.TRANSFERRED],
    )
    on = forms.DateField(label="变更日期", widget=DATE, help_text="失联时为失去联系之日；流动时为外出之日")
    reason = forms.CharField(
        label="原因/说明",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="停止党籍、出党、去世须填写原因",
    )


class GroupForm(forms.Form):
    group = forms.ModelChoiceField(
        label="党小组", queryset=Organization.objects.none(), required=False, empty_label="不编入党小组"
    )
    on = forms.DateField(label="调整日期", widget=DATE)
    reason = forms.CharField(label="原因/说明", max_length=300, required=False)

    def __init__(self, *args, groups=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups if groups is not None else Organization.objects.none()


class PostForm(forms.Form):
    party_posts = forms.CharField(
        label="党内职务", max_length=100, required=False, help_text="如：支部书记、组织委员；留空表示无"
    )
    on = forms.DateField(label="变更日期", widget=DATE)
    reason = forms.CharField(label="原因/说明", max_length=300, required=False)
