"""Pages for transfers (组织关系转接), letters, 流动党员 and 失联党员. Thin: parse, call, render."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from zhibu.core import access
from zhibu.core.access import Perm
from zhibu.core.errors import ValidationError
from zhibu.core.forms import apply_errors, errors_text
from zhibu.members import todos, transfers
from zhibu.members.models import (
    ETHNICITIES,
    Category,
    Education,
    Employment,
    Gender,
    Member,
    MemberStatus,
    TransferDirection,
)
from zhibu.orgs.models import Organization

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TABS = [("out", "转出中"), ("in", "待我接收"), ("letters", "介绍信"), ("done", "已完成")]


def _today():
    return timezone.localdate()


class _NameChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class _GroupChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.code}）"


# --- forms ------------------------------------------------------------------------------------------


class InternalTransferForm(forms.Form):
    to_org = _NameChoice(
        label="接收党支部", queryset=Organization.objects.none(), empty_label="请选择接收党支部"
    )
    issued_on = forms.DateField(label="申请日期", widget=DATE)
    reason = forms.CharField(label="转接原因", max_length=200, help_text="如：工作调动、居住地变更")

    def __init__(self, *args, branches=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_org"].queryset = branches


class LetterForm(forms.Form):
    external_org = forms.CharField(label="接收党组织（系统外）", max_length=150)
    issued_on = forms.DateField(label="开具日期", widget=DATE)
    validity_months = forms.IntegerField(
        label="有效期（月）",
        min_value=1,
        max_value=12,
        required=False,
        help_text="留空按本组织配置（默认3个月）",
    )
    reason = forms.CharField(label="转接原因", max_length=200)


class NoteForm(forms.Form):
    note = forms.CharField(label="原因/说明", max_length=200)


class ConfirmForm(forms.Form):
    received_on = forms.DateField(label="接收日期", widget=DATE)
    group = forms.IntegerField(label="编入党小组", required=False)


class ReceiptForm(forms.Form):
    receipt_on = forms.DateField(label="回执日期", widget=DATE)


class MobileForm(forms.Form):
    destination = forms.CharField(label="流动去向", max_length=100, help_text="外出所在地及单位")
    since = forms.DateField(label="外出日期", widget=DATE)
    certificate_no = forms.CharField(label="流动党员活动证号", max_length=40, required=False)
    reason = forms.CharField(label="外出原因", max_length=200, required=False)


class DatedNoteForm(forms.Form):
    on = forms.DateField(label="日期", widget=DATE)
    note = forms.CharField(label="情况说明", max_length=300, widget=forms.Textarea(attrs={"rows": 3}))


class LostForm(forms.Form):
    since = forms.DateField(
        label="失联日期", widget=DATE, help_text="最后一次能联系上之后、开始无法联系的日期"
    )
    note = forms.CharField(label="失联情况说明", max_length=300, widget=forms.Textarea(attrs={"rows": 3}))


class IncomingForm(forms.Form):
    to_org = _NameChoice(label="接收党支部", queryset=Organization.objects.none(), empty_label="请选择")
    group = _GroupChoice(
        label="编入党小组", queryset=Organization.objects.none(), required=False, empty_label="（暂不编入）"
    )
    letter_no = forms.CharField(label="介绍信编号", max_length=40)
    from_external = forms.CharField(label="转出党组织", max_length=150)
    letter_issued_on = forms.DateField(label="介绍信开具日期", widget=DATE, required=False)
    received_on = forms.DateField(label="报到日期", widget=DATE)
    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(
        label="身份证号", max_length=18, required=False, help_text="填写后自动核对出生日期和性别"
    )
    gender = forms.ChoiceField(label="性别", choices=[("", "按身份证号"), *Gender.choices], required=False)
    birth_date = forms.DateField(label="出生日期", widget=DATE, required=False)
    ethnicity = forms.ChoiceField(label="民族", choices=ETHNICITIES, initial="01")
    category = forms.ChoiceField(label="党员类别", choices=Category.choices)
    joined_on = forms.DateField(label="入党日期", widget=DATE, required=False)
    converted_on = forms.DateField(label="转正日期", widget=DATE, required=False)
    mobile = forms.CharField(label="手机号", max_length=11, required=False)
    education = forms.ChoiceField(label="学历", choices=[("", "—"), *Education.choices], required=False)
    employment = forms.ChoiceField(label="人员类别", choices=Employment.choices)
    work_unit = forms.CharField(label="工作单位", max_length=100, required=False)

    def __init__(self, *args, branches=None, groups=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_org"].queryset = branches
        self.fields["group"].queryset = groups


# --- helpers ----------------------------------------------------------------------------------------


def _member(request, pk: int) -> Member:
    """A member in the user's view scope (else 404) whose branch the user manages (else 403)."""
    member = (
        Member.objects.filter(access.scope_q(request.user, Perm.MEMBER_VIEW, prefix="org__"))
        .select_related("org", "group")
        .filter(pk=pk)
        .first()
    )
    if member is None:
        raise Http404("未找到该党员，或您无权查看")
    access.require(request.user, Perm.MEMBER_MANAGE, member.org)
    return member


def _form_page(
    request, member, form, on_valid, *, title, intro="", danger=False, done="已保存", success_url=None
):
    if request.method == "POST" and form.is_valid():
        try:
            on_valid(form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect(success_url or todos.member_url(member.pk))
    back = todos.member_url(member.pk)
    context = {
        "member": member,
        "member_url": back,
        "cancel_url": back,
        "form": form,
        "title": title,
        "intro": intro,
        "danger": danger,
    }
    return render(request, "members/transfers/form.html", context, status=400 if form.errors else 200)


# --- the transfers page -----------------------------------------------------------------------------


@login_required
def transfers_page(request):
    user = request.user
    if not access.has_perm(user, Perm.MEMBER_VIEW):
        raise PermissionDenied("您没有查看党员信息的权限")
    lists = todos.transfer_lists(user)
    tab = request.GET.get("tab") or ("in" if lists.pending_in else "out")
    if tab not in dict(TABS):
        tab = "out"
    finished = Paginator(todos.finished_transfers(user), 30).get_page(request.GET.get("page"))
    if tab == "done":
        todos.annotate_sides(user, finished.object_list)
    groups = todos.groups_of({t.to_org.pk: t.to_org for t in lists.pending_in}.values())
    for t in lists.pending_in:
        t.groups = groups.get(t.to_org_id, [])
    context = {
        "lists": lists,
        "tab": tab,
        "tabs": TABS,
        "counts": {
            "out": len(lists.pending_out),
            "in": len(lists.pending_in),
            "letters": len(lists.letters),
            "done": finished.paginator.count,
        },
        "finished": finished,
        "today": _today(),
        "can_manage": access.has_perm(user, Perm.MEMBER_MANAGE),
    }
    return render(request, "members/transfers/index.html", context)


@login_required
@require_POST
def transfer_action(request, pk: int, op: str):
    """confirm / reject (receiving side), cancel / receipt (sending side); errors come back as messages."""
    transfer = todos.get_transfer(request.user, pk)
    form_class = {"confirm": ConfirmForm, "reject": NoteForm, "cancel": NoteForm, "receipt": ReceiptForm}.get(
        op
    )
    if form_class is None:
        raise Http404("未知操作")
    tab = {"confirm": "in", "reject": "in", "receipt": "letters"}.get(
        op, "letters" if transfer.direction == TransferDirection.OUT else "out"
    )
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, errors_text(form))
        return redirect(f"{reverse('members:transfers')}?tab={tab}")
    data, user = form.cleaned_data, request.user
    try:
        if op == "confirm":
            group = None
            if data.get("group"):
                group = Organization.objects.filter(pk=data["group"], org_type="group").first()
                if group is None:
                    raise ValidationError("党小组不存在")
            transfers.confirm_transfer(user, transfer, received_on=data["received_on"], group=group)
            done = f"已接收{transfer.member.name}的组织关系"
        elif op == "reject":
            transfers.reject_transfer(user, transfer, note=data["note"])
            done = "已退回"
        elif op == "cancel":
            transfers.cancel_transfer(user, transfer, note=data["note"])
            done = "已撤销"
        else:
            transfers.confirm_receipt(user, transfer, receipt_on=data["receipt_on"])
            done = f"已登记回执，{transfer.member.name}的组织关系已转出"
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect(f"{reverse('members:transfers')}?tab={tab}")


@login_required
def letter_pdf(request, pk: int):
    transfer = todos.get_transfer(request.user, pk)
    if transfer.direction != TransferDirection.OUT:
        raise Http404("该转接没有介绍信")
    transfers.record_letter_export(request.user, transfer)
    response = HttpResponse(transfers.letter_pdf(transfer), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, f"介绍信{transfer.letter_no}.pdf")
    return response


@login_required
def incoming(request):
    user = request.user
    if not access.has_perm(user, Perm.MEMBER_MANAGE):
        raise PermissionDenied("您没有办理组织关系转接的权限")
    branches = todos.target_branches().filter(access.scope_q(user, Perm.MEMBER_MANAGE))
    groups = Organization.objects.filter(
        access.scope_q(user, Perm.MEMBER_MANAGE), org_type="group", status="active"
    ).order_by("path")
    initial = {"received_on": _today(), "category": Category.FULL, "employment": Employment.EMPLOYED}
    if branches.count() == 1:
        initial["to_org"] = branches.first()
    form = IncomingForm(request.POST or None, branches=branches, groups=groups, initial=initial)
    result = {}

    def register(data):
        result["transfer"] = transfers.register_incoming(
            user,
            to_org=data.pop("to_org"),
            letter_no=data.pop("letter_no"),
            from_external=data.pop("from_external"),
            received_on=data.pop("received_on"),
            group=data.pop("group"),
            letter_issued_on=data.pop("letter_issued_on"),
            **{k: v for k, v in data.items() if v not in ("", None)},
        )

    if request.method == "POST" and form.is_valid():
        try:
            register(dict(form.cleaned_data))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            member = result["transfer"].member
            messages.success(request, f"已登记{member.name}从系统外转入")
            return redirect(todos.member_url(member.pk))
    context = {
        "member": None,
        "cancel_url": reverse("members:transfers"),
        "form": form,
        "title": "登记系统外转入",
        "intro": "党员持系统外党组织开具的介绍信前来报到时登记。"
        "曾从本系统转出的党员（身份证号相同）将恢复原有档案，不会重复建档。",
        "col": "col-12 col-md-6",
    }
    return render(request, "members/transfers/form.html", context, status=400 if form.errors else 200)


# --- per-member forms -------------------------------------------------------------------------------


@login_required
def request_internal(request, pk: int):
    member = _member(request, pk)
    form = InternalTransferForm(
        request.POST or None,
        branches=todos.target_branches(exclude=member.org),
        initial={"issued_on": _today()},
    )
    return _form_page(
        request,
        member,
        form,
        lambda d: transfers.request_transfer(request.user, member, **d),
        title="系统内组织关系转接",
        intro="提交后由接收党支部确认接收；确认前党员仍由本支部管理。",
        done="已提交转接申请，等待接收党支部确认",
    )


@login_required
def issue_letter(request, pk: int):
    member = _member(request, pk)
    form = LetterForm(request.POST or None, initial={"issued_on": _today()})
    return _form_page(
        request,
        member,
        form,
        lambda d: transfers.issue_letter(request.user, member, **d),
        title="开具组织关系介绍信",
        intro="转往本系统以外的党组织时开具。收到回执后请登记回执，党员即转出本支部。",
        done="已开具介绍信，可在“介绍信”中下载打印",
        success_url=f"{reverse('members:transfers')}?tab=letters",
    )


@login_required
def mobile(request, pk: int):
    member = _member(request, pk)
    form = MobileForm(request.POST or None, initial={"since": _today()})
    return _form_page(
        request,
        member,
        form,
        lambda d: transfers.register_mobile(request.user, member, **d),
        title="登记流动党员",
        intro="外出不满6个月或去向不固定的，登记为流动党员并发放流动党员活动证；外出满6个月且去向固定的，应转移组织关系。",
    )


@login_required
def mobile_end(request, pk: int):
    member = _member(request, pk)
    form = DatedNoteForm(request.POST or None, initial={"on": _today()})
    return _form_page(
        request,
        member,
        form,
        lambda d: transfers.end_mobile(request.user, member, **d),
        title="结束流动",
    )


@login_required
def lost(request, pk: int):
    member = _member(request, pk)
    form = LostForm(request.POST or None)
    return _form_page(
        request,
        member,
        form,
        lambda d: transfers.register_lost(request.user, member, **d),
        title="登记失联",
        intro="失联满6个月仍无法取得联系的，可按规定提出停止党籍；停止党籍满2年仍无联系的，可按自行脱党处理。"
        "系统只作提醒，处理须经支部研究决定。",
        danger=True,
    )


@login_required
def follow_up(request, pk: int):
    member = _member(request, pk)
    is_mobile = member.status == MemberStatus.MOBILE
    form = DatedNoteForm(request.POST or None, initial={"on": _today()})
    return _form_page(
        request,
        member,
        form,
        lambda d: transfers.add_follow_up(request.user, member, **d),
        title="记录流动党员汇报" if is_mobile else "记录失联跟进",
        intro="流动党员每年至少向支部汇报一次。" if is_mobile else "记录每一次查找联系的时间、方式和结果。",
    )


@login_required
def found(request, pk: int):
    member = _member(request, pk)
    form = DatedNoteForm(request.POST or None, initial={"on": _today()})
    return _form_page(
        request,
        member,
        form,
        lambda d: transfers.found(request.user, member, **d),
        title="恢复联系",
    )


urlpatterns = [
    path("transfers/", transfers_page, name="transfers"),
    path("transfers/incoming/", incoming, name="transfer_incoming"),
    path("transfers/<int:pk>/letter.pdf", letter_pdf, name="transfer_letter_pdf"),
    path("transfers/<int:pk>/<str:op>/", transfer_action, name="transfer_action"),
    path("<int:pk>/transfer/", request_internal, name="transfer_request"),
    path("<int:pk>/transfer/letter/", issue_letter, name="transfer_letter"),
    path("<int:pk>/mobile/", mobile, name="mobile"),
    path("<int:pk>/mobile/end/", mobile_end, name="mobile_end"),
    path("<int:pk>/lost/", lost, name="lost"),
    path("<int:pk>/lost/follow-up/", follow_up, name="follow_up"),
    path("<int:pk>/lost/found/", found, name="found"),
]
