"""Forms of the meeting pages: parse and check the shape of input only; the rules live in services/rules."""

import re

from django import forms

from zhibu.orglife.models import AbsenceReason, AttendanceStatus, ExclusionReason

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
UPLOADS = ".pdf,.jpg,.jpeg,.png,.doc,.docx,.xls,.xlsx,.ppt,.pptx"
MAX_UPLOAD_MB = 20
MARKABLE = [
    (AttendanceStatus.PRESENT, "出席"),
    (AttendanceStatus.LATE, "迟到"),
    (AttendanceStatus.ABSENT, "缺席"),
]


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class MeetingForm(forms.Form):
    """Plan or edit a meeting. `types` are the org's meeting types (plan only: the type is fixed after),
    `people` the branch's members for host and recorder."""

    type = forms.TypedChoiceField(label="会议类型", coerce=int)
    topic = forms.CharField(
        label="会议主题",
        max_length=150,
        widget=forms.TextInput(attrs={"placeholder": "如：学习贯彻上级会议精神"}),
    )
    starts_at = forms.DateTimeField(label="开始时间", widget=DATETIME)
    ends_at = forms.DateTimeField(label="结束时间", widget=DATETIME)
    place = forms.CharField(
        label="地点", max_length=150, required=False, help_text="地点和线上会议链接至少填一项"
    )
    online_link = forms.URLField(label="线上会议链接", max_length=200, required=False, assume_scheme="https")
    host = MemberChoiceField(label="主持人", queryset=None, required=False, empty_label="（未定）")
    recorder = MemberChoiceField(label="记录人", queryset=None, required=False, empty_label="（未定）")
    lecturer = forms.CharField(label="授课人", max_length=50, required=False, help_text="党课填写")
    agenda = forms.CharField(
        label="议程",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="每行一项；会议记录按议程逐项填写。留空则使用该类会议的记录模板",
    )

    SERVICE_FIELDS = ("topic", "starts_at", "ends_at", "place", "online_link", "host", "recorder", "lecturer")

    def __init__(self, *args, types=None, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        if types is None:
            del self.fields["type"]
        else:
            self.types = {t.pk: t for t in types}
            self.fields["type"].choices = [(t.pk, t.name) for t in types]
        for name in ("host", "recorder"):
            self.fields[name].queryset = people

    def chosen_type(self):
        return self.types.get(self.cleaned_data["type"]) if "type" in self.fields else None

    def service_kwargs(self) -> dict:
        data = {f: self.cleaned_data[f] for f in self.SERVICE_FIELDS}
        data["agenda"] = self.cleaned_data["agenda"].strip()
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="取消原因",
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="将记录在会议档案中",
    )


class AttendanceRowForm(forms.Form):
    """One attendee's row on the attendance page (prefixed with the member id)."""

    status = forms.ChoiceField(label="出席情况", choices=MARKABLE, required=False, widget=forms.RadioSelect)
    absence_reason = forms.ChoiceField(
        label="缺席原因", choices=[("", "缺席原因"), *AbsenceReason.choices], required=False
    )
    absence_note = forms.CharField(label="缺席说明", max_length=200, required=False)
    makeup_on = forms.DateField(label="补学日期", required=False, widget=DATE)
    makeup_note = forms.CharField(label="补学内容", max_length=200, required=False)

    def mark(self) -> dict | None:
        """What to send to services.mark_attendance for this row (None: left as it was)."""
        data = self.cleaned_data
        if not data.get("status"):
            return None
        return {
            "status": data["status"],
            "absence_reason": data["absence_reason"],
            "absence_note": data["absence_note"],
            "makeup_on": data["makeup_on"],
            "makeup_note": data["makeup_note"],
        }


class AddAttendeeForm(forms.Form):
    member = MemberChoiceField(label="党员", queryset=None, empty_label="选择本支部党员")

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = people


class MinutesItemForm(forms.Form):
    title = forms.CharField(label="议题", max_length=150, required=False)
    discussion = forms.CharField(label="讨论情况", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    resolution = forms.CharField(label="决议/结论", required=False, widget=forms.Textarea(attrs={"rows": 2}))


MinutesFormSet = forms.formset_factory(MinutesItemForm, extra=3, max_num=60, absolute_max=60)


class SummaryForm(forms.Form):
    summary = forms.CharField(
        label="会议小结", required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="可选"
    )


class ResolutionForm(forms.Form):
    subject = forms.CharField(label="表决事项", max_length=200)
    in_favour = forms.IntegerField(label="赞成", min_value=0)
    against = forms.IntegerField(label="反对", min_value=0, initial=0)
    abstain = forms.IntegerField(label="弃权", min_value=0, initial=0)


CANDIDATE_LINE = re.compile(r"^(?P<name>.+?)[\s:：,，]+(?P<votes>\d+)\s*票?$")


class ElectionForm(forms.Form):
    subject = forms.CharField(label="选举事项", max_length=200, initial="选举支部委员会委员")
    seats = forms.IntegerField(label="应选人数", min_value=1, max_value=15)
    candidates = forms.CharField(
        label="候选人得票",
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "张三 23\n李四 21"}),
        help_text="每行一位候选人：姓名 得票数",
    )

    def clean_candidates(self) -> dict[str, int]:
        result: dict[str, int] = {}
        for i, line in enumerate(self.cleaned_data["candidates"].splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            match = CANDIDATE_LINE.match(line)
            if match is None:
                raise forms.ValidationError(f"第{i}行请按“姓名 得票数”填写")
            name = match["name"].strip()
            if name in result:
                raise forms.ValidationError(f"候选人“{name}”重复")
            result[name] = int(match["votes"])
        if not result:
            raise forms.ValidationError("请填写候选人及得票数")
        return result


class ExclusionForm(forms.Form):
    """不计入应到人数 (domain-rules §2): an absent voting member, the reason and who approved it."""

    member = MemberChoiceField(label="党员", queryset=None, empty_label="选择未到会的党员")
    reason = forms.ChoiceField(label="原因", choices=[("", "选择原因"), *ExclusionReason.choices])
    approved_by = forms.CharField(label="批准组织/负责人", max_length=100)

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = people


class AttachmentForm(forms.Form):
    title = forms.CharField(label="名称", max_length=100, required=False, help_text="不填则用文件名")
    file = forms.FileField(
        label="文件",
        help_text=f"照片、PDF、Office文档，不超过{MAX_UPLOAD_MB}MB；附件可选，不是必需的",
        widget=forms.ClearableFileInput(attrs={"accept": UPLOADS}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(tuple(UPLOADS.split(","))):
            raise forms.ValidationError("只能上传照片、PDF或Office文档")
        if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(f"附件不能超过{MAX_UPLOAD_MB}MB")
        return upload
