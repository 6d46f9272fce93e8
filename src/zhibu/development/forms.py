"""Forms of the development pages: parse and check input shape only; the rules live in services/rules."""

from django import forms
from django.db.models import Q

from zhibu.accounts.models import User
from zhibu.development.models import ParticipantRole, StepDef, VoteKind
from zhibu.members.models import ETHNICITIES, Education, Gender
from zhibu.members.rules import birth_date_from_id, gender_from_id, id_number_error
from zhibu.orgs.models import Organization, OrgType

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ACCEPT_LABEL = "我已知悉，仍然记录"


def find_account(text: str) -> User | None:
    """An active account by username or mobile number."""
    text = (text or "").strip()
    if not text:
        return None
    return User.objects.filter(Q(username=text) | Q(mobile=text), is_active=True).first()


class CaseForm(forms.Form):
    org = forms.ModelChoiceField(label="所在党支部", queryset=Organization.objects.none())
    group = forms.ModelChoiceField(label="党小组", queryset=Organization.objects.none(), required=False)
    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(
        label="身份证号", max_length=18, required=False, help_text="填写后自动带出出生日期和性别"
    )
    gender = forms.ChoiceField(label="性别", choices=[("", "—"), *Gender.choices], required=False)
    birth_date = forms.DateField(label="出生日期", required=False, widget=DATE)
    ethnicity = forms.ChoiceField(label="民族", choices=ETHNICITIES, initial="01")
    education = forms.ChoiceField(label="学历", choices=[("", "—"), *Education.choices], required=False)
    mobile = forms.CharField(label="手机号", max_length=11, required=False)
    work_unit = forms.CharField(label="工作单位及职务", max_length=150, required=False)
    applied_on = forms.DateField(label="递交入党申请书日期", widget=DATE)
    account = forms.CharField(
        label="关联账户（可选）",
        max_length=150,
        required=False,
        help_text="填写本人账户的用户名或手机号，本人即可在手机上提交思想汇报",
    )
    note = forms.CharField(label="备注", max_length=300, required=False)
    accept_warnings = forms.BooleanField(label=ACCEPT_LABEL, required=False)

    def __init__(self, *args, branches=None, **kwargs):
        super().__init__(*args, **kwargs)
        branches = branches if branches is not None else Organization.objects.none()
        self.fields["org"].queryset = branches
        self.fields["org"].label_from_instance = lambda o: f"{o.name}（{o.code}）"
        paths = list(branches.values_list("path", flat=True))
        groups = Organization.objects.none()
        if paths:
            q = Q()
            for path in paths:
                q |= Q(path__startswith=path)
            groups = Organization.objects.filter(q, org_type=OrgType.GROUP, status="active").order_by("path")
        self.fields["group"].queryset = groups

    def clean_id_number(self):
        value = self.cleaned_data["id_number"].strip().upper()
        if value:
            error = id_number_error(value)
            if error:
                raise forms.ValidationError(error)
        return value or None

    def clean_account(self):
        text = self.cleaned_data["account"].strip()
        if not text:
            return None
        user = find_account(text)
        if user is None:
            raise forms.ValidationError("未找到该账户，请核对用户名或手机号")
        return user

    def clean(self):
        data = super().clean()
        id_number = data.get("id_number")
        if id_number:
            data["birth_date"] = data.get("birth_date") or birth_date_from_id(id_number)
            data["gender"] = data.get("gender") or gender_from_id(id_number)
        else:
            if not data.get("birth_date") and "birth_date" not in self.errors:
                self.add_error("birth_date", "未填写身份证号时，请填写出生日期")
            if not data.get("gender"):
                self.add_error("gender", "未填写身份证号时，请选择性别")
        org, group = data.get("org"), data.get("group")
        if org and group and not group.path.startswith(org.path):
            self.add_error("group", "该党小组不属于所选党支部")
        return data

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["user"] = data.pop("account")
        return data


class StepForm(forms.Form):
    """Record one step. Step-specific fields are shown for the steps that use them (see `extra_fields`)."""

    number = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=99)
    done_on = forms.DateField(label="办理日期", widget=DATE)
    notice_start = forms.DateField(
        label="公示开始日期", required=False, widget=DATE, help_text="公示期按工作日计算，节假日不计"
    )
    training_days = forms.DecimalField(label="集中培训天数", required=False, min_value=0, max_digits=4)
    training_hours = forms.DecimalField(label="集中培训学时", required=False, min_value=0, max_digits=5)
    note = forms.CharField(label="说明", max_length=300, required=False)
    accept_warnings = forms.BooleanField(label=ACCEPT_LABEL, required=False)

    EXTRA = {7: ("notice_start",), 11: ("training_days", "training_hours"), 14: ("notice_start",)}

    def __init__(self, *args, number: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        number = number or self.initial.get("number")
        if self.is_bound:
            try:
                number = int(self.data.get("number") or number)
            except (TypeError, ValueError):
                pass
        self.step_number = number
        for name in ("notice_start", "training_days", "training_hours"):
            if name not in self.EXTRA.get(number, ()):
                del self.fields[name]
        if number == 11:
            self.fields["training_days"].required = True
            self.fields["training_hours"].required = True

    def clean(self):
        data = super().clean()
        if self.step_number == 11:
            days, hours = data.get("training_days"), data.get("training_hours")
            if days is None and hours is None:
                raise forms.ValidationError("请填写集中培训天数或学时")
        return data

    def step_data(self) -> dict:
        data = {}
        cd = self.cleaned_data
        if cd.get("notice_start"):
            data["notice_start"] = cd["notice_start"].isoformat()
        for name in ("training_days", "training_hours"):
            if cd.get(name) is not None:
                value = cd[name]
                data[name] = int(value) if value == int(value) else float(value)
        return data


class VoteForm(forms.Form):
    kind = forms.ChoiceField(label="表决事项", choices=VoteKind.choices)
    held_on = forms.DateField(label="支部党员大会日期", widget=DATE)
    expected = forms.IntegerField(
        label="应到有表决权的正式党员", min_value=0, help_text="预备党员和受留党察看处分的党员没有表决权"
    )
    present = forms.IntegerField(label="实到有表决权的正式党员", min_value=0)
    in_favour = forms.IntegerField(label="赞成", min_value=0)
    against = forms.IntegerField(label="反对", min_value=0, initial=0)
    abstain = forms.IntegerField(label="弃权", min_value=0, initial=0)
    written_in_favour = forms.IntegerField(
        label="因故缺席党员书面表示赞成", min_value=0, initial=0, required=False
    )
    note = forms.CharField(label="说明", max_length=300, required=False)
    accept_warnings = forms.BooleanField(label=ACCEPT_LABEL, required=False)
    # The 支部党员大会 record (组织生活) the vote was taken at, when it came from the meeting page.
    meeting = forms.IntegerField(required=False, widget=forms.HiddenInput)

    NUMBERS = ("expected", "present", "in_favour", "against", "abstain", "written_in_favour")

    def clean_written_in_favour(self):
        return self.cleaned_data.get("written_in_favour") or 0


class ParticipantForm(forms.Form):
    role = forms.ChoiceField(label="角色", choices=ParticipantRole.choices)
    member = forms.ModelChoiceField(label="党员", queryset=None)
    assigned_on = forms.DateField(label="确定日期", widget=DATE)

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members


class EndParticipantForm(forms.Form):
    ended_on = forms.DateField(label="结束日期", widget=DATE)


class AssessmentForm(forms.Form):
    assessed_on = forms.DateField(label="考察日期", widget=DATE)
    result = forms.CharField(label="考察意见", max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class ExtendForm(forms.Form):
    months = forms.IntegerField(
        label="延长期限（月）", min_value=1, max_value=12, help_text="6至12个月，只能延长一次"
    )
    decided_on = forms.DateField(label="支部大会决定日期", widget=DATE)
    reason = forms.CharField(label="延长原因", max_length=200)


class StopForm(forms.Form):
    on = forms.DateField(label="日期", widget=DATE)
    reason = forms.CharField(label="原因", max_length=200)


ALLOWED_UPLOADS = ".pdf,.jpg,.jpeg,.png,.doc,.docx"


class DocumentForm(forms.Form):
    title = forms.CharField(label="材料名称", max_length=100)
    step = forms.ModelChoiceField(label="所属步骤", queryset=StepDef.objects.none(), required=False)
    file = forms.FileField(
        label="文件",
        help_text="PDF、图片或Word文档，不超过20MB",
        widget=forms.ClearableFileInput(attrs={"accept": ALLOWED_UPLOADS}),
    )

    def __init__(self, *args, rule_set=None, **kwargs):
        super().__init__(*args, **kwargs)
        if rule_set is not None:
            self.fields["step"].queryset = StepDef.objects.filter(rule_set=rule_set).order_by("number")
        self.fields["step"].label_from_instance = lambda s: f"{s.number}. {s.name}"


class ThoughtReportForm(forms.Form):
    title = forms.CharField(label="标题", max_length=100)
    content = forms.CharField(label="内容", widget=forms.Textarea(attrs={"rows": 10}))


class ReviewForm(forms.Form):
    comment = forms.CharField(label="阅评意见", max_length=300, widget=forms.Textarea(attrs={"rows": 2}))
