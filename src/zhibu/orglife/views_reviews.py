"""民主评议党员 and 谈心谈话 pages. Officers (desktop): the reviews of their branches for a year, one
review with its phase stepper, entries, poll progress and tally, points reference and the propose/confirm
forms; talks of a branch, the coverage matrix, the record form. Members (phone first): their review
(self-assessment, then the poll, then their result) and their own talks with a form to record one.
Thin: parse, call orglife.reviews / orglife.talks, render."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from zhibu.core import access
from zhibu.core.access import Perm
from zhibu.core.errors import ValidationError
from zhibu.core.forms import apply_errors
from zhibu.orglife import reviews, selectors, talks
from zhibu.orglife.models import Grade, ReviewStatus
from zhibu.orgs import selectors as org_selectors
from zhibu.orgs.models import OrgType

PAGE_SIZE = 30
YEARS_BACK = 5
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _today() -> dt.date:
    return timezone.localdate()


def _year(raw) -> int:
    """?year= within [2000, this year], else this year."""
    try:
        year = int(raw)
    except (TypeError, ValueError):
        return _today().year
    return year if 2000 <= year <= _today().year else _today().year


def _years() -> list[int]:
    this = _today().year
    return list(range(this, this - YEARS_BACK - 1, -1))


def _error_text(exc: ValidationError) -> str:
    return "；".join(exc.messages)


def _branch(request, perm: Perm, branches):
    """The branch of ?org= (404 outside the user's scope, 403 without `perm`), else the first one."""
    raw = request.GET.get("org") or request.POST.get("org") or ""
    if raw.strip():
        org = org_selectors.get_org(request.user, raw.strip(), perm)
        if org.org_type != OrgType.BRANCH:
            raise PermissionDenied("请选择党支部")
        return org
    org = branches.first()
    if org is None:
        raise PermissionDenied("您没有可查看的党支部")
    return org


# --- Forms ---------------------------------------------------------------------------------------------


class SelfForm(forms.Form):
    text = forms.CharField(
        label="个人自评",
        max_length=reviews.SELF_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="对照党员标准，从政治思想、学习、工作、作风、发挥作用等方面总结，并查找不足、明确努力方向",
    )


class TalkForm(forms.Form):
    """An officer records a talk of two members of a branch."""

    initiator = forms.ModelChoiceField(label="谈话人", queryset=None, empty_label="请选择")
    partner = forms.ModelChoiceField(label="谈话对象", queryset=None, empty_label="请选择")
    held_on = forms.DateField(label="谈话日期", widget=DATE)
    topic = forms.CharField(label="谈话主题", max_length=talks.TOPIC_MAX)
    notes = forms.CharField(
        label="谈话要点",
        required=False,
        max_length=talks.NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=talks.NOTES_HIDDEN,
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("initiator", "partner"):
            self.fields[name].queryset = members
            self.fields[name].label_from_instance = lambda m: m.name


class MyTalkForm(forms.Form):
    """A member records their own talk with a colleague."""

    ROLE_CHOICES = [("initiator", "我是谈话人"), ("partner", "我是谈话对象")]

    partner = forms.ModelChoiceField(label="谈话的另一方", queryset=None, empty_label="请选择")
    role = forms.ChoiceField(
        label="我在谈话中是", choices=ROLE_CHOICES, initial="initiator", widget=forms.RadioSelect
    )
    held_on = forms.DateField(label="谈话日期", widget=DATE)
    topic = forms.CharField(label="谈话主题", max_length=talks.TOPIC_MAX)
    notes = forms.CharField(
        label="谈话要点",
        required=False,
        max_length=talks.NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=talks.NOTES_HIDDEN,
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = members
        self.fields["partner"].label_from_instance = lambda m: m.name


# --- 民主评议: officers -----------------------------------------------------------------------------------


@login_required
def review_list(request):
    """The reviews of the user's branches for a year: phase and participants; start one where allowed."""
    user = request.user
    if not access.has_perm(user, Perm.ORGLIFE_VIEW):
        if selectors.own_member(user) is not None:
            return redirect("orglife:review_mine")
        raise PermissionDenied("您没有查看民主评议的权限")
    year = _year(request.GET.get("year"))
    branches = reviews.review_branches(user)
    page = Paginator(branches, PAGE_SIZE).get_page(request.GET.get("page"))
    found = reviews.reviews_by_branch(page, year)
    rows = [
        {
            "org": org,
            "review": found.get(org.pk),
            "can_manage": access.has_perm(user, Perm.ORGLIFE_MANAGE, org),
        }
        for org in page
    ]
    context = {
        "year": year,
        "years": _years(),
        "page": page,
        "rows": rows,
        "me": selectors.own_member(user),
    }
    return render(request, "orglife/review_list.html", context)


@login_required
@require_POST
def review_start(request):
    user = request.user
    org = org_selectors.get_org(user, request.POST.get("org", ""), Perm.ORGLIFE_MANAGE)
    year = request.POST.get("year", "")
    try:
        review = reviews.start_review(user, org, year)
    except ValidationError as exc:
        messages.error(request, f"未能发起：{_error_text(exc)}")
        return redirect(f"{reverse('orglife:review_list')}?year={_year(year)}")
    messages.success(request, f"已发起{review.year}年度民主评议党员，党员可在手机上填写个人自评")
    return redirect("orglife:review_detail", pk=review.pk)


def _phases(status: str) -> list[dict]:
    order = [code for code, _ in reviews.PHASES]
    current = order.index(status)
    return [
        {
            "n": i + 1,
            "label": label,
            "state": "done" if i < current else "current" if i == current else "todo",
        }
        for i, (_, label) in enumerate(reviews.PHASES)
    ]


def _detail(request, review, posted=None, status=200):
    user = request.user
    rows, prog = reviews.review_rows(review)
    quota = reviews.quota(review, prog.graded)
    can_manage = access.has_perm(user, Perm.ORGLIFE_MANAGE, review.org)
    for row in rows:
        if posted is not None:
            row.choice = posted.get(row.member.pk, "")
        elif review.status == ReviewStatus.PROPOSED:
            row.choice = row.entry.proposed_grade
        else:
            row.choice = row.entry.proposed_grade or row.suggested
    editing = can_manage and review.status in (ReviewStatus.POLL, ReviewStatus.PROPOSED)
    context = {
        "review": review,
        "phases": _phases(review.status),
        "rows": rows,
        "progress": prog,
        "quota": quota,
        "can_manage": can_manage,
        "editing": editing,
        "grades": Grade.choices,
        "meetings": list(reviews.eligible_meetings(review)[:20])
        if can_manage and review.status == ReviewStatus.PROPOSED
        else [],
        "posted_meeting": (posted or {}).get("meeting"),
        "summary": reviews.grade_summary(
            r.entry.final_grade if review.status == ReviewStatus.CONFIRMED else r.entry.proposed_grade
            for r in rows
        ),
        "ranking_note": "积分仅作参考，不作为评定等次的依据",
    }
    return render(request, "orglife/review_detail.html", context, status=status)


@login_required
def review_detail(request, pk: int):
    return _detail(request, reviews.get_review(request.user, pk))


@login_required
@require_POST
def review_poll(request, pk: int):
    review = reviews.get_review(request.user, pk)
    try:
        reviews.open_poll(request.user, review)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, "民主测评已开始：党员可在手机上对其他党员进行测评")
    return redirect("orglife:review_detail", pk=review.pk)


def _posted_grades(request) -> dict[int, str]:
    grades = {}
    for key, value in request.POST.items():
        if key.startswith("grade_") and key[6:].isdigit():
            grades[int(key[6:])] = value
    return grades


@login_required
@require_POST
def review_propose(request, pk: int):
    review = reviews.get_review(request.user, pk)
    grades = _posted_grades(request)
    try:
        reviews.propose_grades(request.user, review, grades)
    except ValidationError as exc:
        messages.error(request, f"未保存：{_error_text(exc)}")
        review.refresh_from_db()
        return _detail(request, review, posted=grades, status=400)
    messages.success(request, "支委会建议等次已保存，请提交党员大会确定")
    return redirect("orglife:review_detail", pk=review.pk)


@login_required
@require_POST
def review_confirm(request, pk: int):
    review = reviews.get_review(request.user, pk)
    access.require(request.user, Perm.ORGLIFE_MANAGE, review.org)
    grades = _posted_grades(request)
    raw = request.POST.get("meeting", "")
    meeting = reviews.eligible_meetings(review).filter(pk=int(raw)).first() if raw.isdigit() else None
    try:
        reviews.confirm_grades(request.user, review, meeting, grades or None)
    except ValidationError as exc:
        messages.error(request, f"未确定：{_error_text(exc)}")
        review.refresh_from_db()
        return _detail(request, review, posted={**grades, "meeting": raw}, status=400)
    messages.success(request, "评议等次已由党员大会确定，党员可在手机上查看本人结果")
    return redirect("orglife:review_detail", pk=review.pk)


# --- 民主评议: members (phone) -----------------------------------------------------------------------------


def _mine(request, review=None, *, self_form=None, ballot_errors=None, posted=None, status=200):
    user = request.user
    member = selectors.own_member(user)
    if member is None:
        return render(request, "orglife/review_mine.html", {"member": None}, status=status)
    history = list(reviews.my_reviews(member))
    if review is None and history:
        year = request.GET.get("year")
        review = next((r for r in history if str(r.year) == year), history[0])
    context = {
        "member": member,
        "review": review,
        "history": history,
        "officer": access.has_perm(user, Perm.ORGLIFE_VIEW, member.org),
    }
    if review is not None:
        mine = reviews.my_review(review, member)
        for c in mine.colleagues:
            ballot = mine.ballots.get(c.member_id)
            if posted is not None:
                c.my_grade = posted.get(f"grade_{c.member_id}", "")
                c.my_comment = posted.get(f"comment_{c.member_id}", "")
            else:
                c.my_grade = ballot.grade if ballot else ""
                c.my_comment = ballot.comment if ballot else ""
        writable = review.status in (ReviewStatus.SELF, ReviewStatus.POLL)
        context.update(
            {
                "mine": mine,
                "phases": _phases(review.status),
                "grades": Grade.choices,
                "self_form": self_form
                or (SelfForm(initial={"text": mine.entry.self_assessment}) if writable else None),
                "ballot_errors": ballot_errors or [],
            }
        )
    return render(request, "orglife/review_mine.html", context, status=status)


@login_required
def review_mine(request):
    return _mine(request)


@login_required
@require_POST
def review_self(request, pk: int):
    review = reviews.get_my_review(request.user, pk)
    form = SelfForm(request.POST)
    if form.is_valid():
        try:
            reviews.submit_self_assessment(request.user, review, form.cleaned_data["text"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "个人自评已提交")
            return redirect(f"{reverse('orglife:review_mine')}?year={review.year}")
    return _mine(request, review, self_form=form, status=400)


@login_required
@require_POST
def review_ballots(request, pk: int):
    review = reviews.get_my_review(request.user, pk)
    ballots = {}
    for key, value in request.POST.items():
        if key.startswith("grade_") and key[6:].isdigit():
            target = key[6:]
            ballots[target] = (value, request.POST.get(f"comment_{target}", ""))
    # colleagues left without a grade are named by the service
    try:
        count = reviews.submit_ballots(request.user, review, ballots)
    except ValidationError as exc:
        return _mine(request, review, ballot_errors=exc.messages, posted=request.POST, status=400)
    messages.success(request, f"民主测评已提交（{count}人）；测评结束前可以修改")
    return redirect(f"{reverse('orglife:review_mine')}?year={review.year}")


# --- 谈心谈话: officers ----------------------------------------------------------------------------


def _talk_scope(request):
    user = request.user
    if not access.has_perm(user, Perm.ORGLIFE_VIEW):
        return None
    branches = talks.talk_branches(user)
    org = _branch(request, Perm.ORGLIFE_VIEW, branches)
    return {
        "org": org,
        "orgs": list(branches[:500]),
        "year": _year(request.GET.get("year")),
        "years": _years(),
        "can_manage": access.has_perm(user, Perm.ORGLIFE_MANAGE, org),
        "can_notes": access.has_perm(user, Perm.TALK_VIEW, org),
    }


@login_required
def talk_list(request):
    scope = _talk_scope(request)
    if scope is None:
        return redirect("orglife:talk_mine")
    page = Paginator(talks.talks_of(scope["org"], scope["year"]), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = talks.mark_notes(request.user, page.object_list)
    return render(request, "orglife/talk_list.html", {**scope, "page": page})


@login_required
def talk_coverage(request):
    scope = _talk_scope(request)
    if scope is None:
        return redirect("orglife:talk_mine")
    coverage = talks.coverage_of(scope["org"], scope["year"])
    return render(request, "orglife/talk_coverage.html", {**scope, "coverage": coverage})


@login_required
def talk_detail(request, pk: int):
    user = request.user
    talk = talks.get_talk(user, pk)
    talk.notes_visible = talks.can_read_notes(user, talk)
    context = {
        "talk": talk,
        "officer": access.has_perm(user, Perm.ORGLIFE_VIEW, talk.org),
        "hidden_note": talks.NOTES_HIDDEN,
    }
    return render(request, "orglife/talk_detail.html", context)


@login_required
def talk_new(request):
    user = request.user
    if not access.has_perm(user, Perm.ORGLIFE_MANAGE):
        raise PermissionDenied("您没有记录谈心谈话的权限")
    org = _branch(request, Perm.ORGLIFE_MANAGE, reviews.review_branches(user, Perm.ORGLIFE_MANAGE))
    members = talks.branch_members(org)
    form = TalkForm(request.POST or None, members=members, initial={"held_on": _today()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            talk = talks.record_talk(
                user, org, data["initiator"], data["partner"], data["held_on"], data["topic"], data["notes"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已记录：{talk.initiator.name}与{talk.partner.name}的谈心谈话")
            return redirect(f"{reverse('orglife:talk_list')}?org={org.pk}&year={talk.held_on.year}")
    return render(request, "orglife/talk_new.html", {"org": org, "form": form})


# --- 谈心谈话: members (phone) ---------------------------------------------------------------------


@login_required
def talk_mine(request):
    user = request.user
    member = selectors.own_member(user)
    if member is None:
        return render(request, "orglife/talk_mine.html", {"member": None})
    colleagues = talks.branch_members(member.org).exclude(pk=member.pk)
    form = MyTalkForm(request.POST or None, members=colleagues, initial={"held_on": _today()})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            me_first = data["role"] == "initiator"
            initiator, partner = (member, data["partner"]) if me_first else (data["partner"], member)
            try:
                talks.record_talk(
                    user, member.org, initiator, partner, data["held_on"], data["topic"], data["notes"]
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, f"已记录与{data['partner'].name}的谈心谈话")
                return redirect("orglife:talk_mine")
    year = _today().year
    page = Paginator(talks.my_talks(member), PAGE_SIZE).get_page(request.GET.get("page"))
    this_year = talks.my_talks(member).filter(held_on__year=year)
    partners = {t.partner_id if t.initiator_id == member.pk else t.initiator_id for t in this_year}
    context = {
        "member": member,
        "form": form,
        "page": page,
        "year": year,
        "talked": len(partners & set(colleagues.values_list("pk", flat=True))),
        "colleague_count": colleagues.count(),
        "officer": access.has_perm(user, Perm.ORGLIFE_VIEW, member.org),
    }
    return render(request, "orglife/talk_mine.html", context, status=status)


urlpatterns = [
    path("reviews/", review_list, name="review_list"),
    path("reviews/start/", review_start, name="review_start"),
    path("reviews/mine/", review_mine, name="review_mine"),
    path("reviews/<int:pk>/", review_detail, name="review_detail"),
    path("reviews/<int:pk>/poll/", review_poll, name="review_poll"),
    path("reviews/<int:pk>/propose/", review_propose, name="review_propose"),
    path("reviews/<int:pk>/confirm/", review_confirm, name="review_confirm"),
    path("reviews/<int:pk>/self/", review_self, name="review_self"),
    path("reviews/<int:pk>/ballots/", review_ballots, name="review_ballots"),
    path("talks/", talk_list, name="talk_list"),
    path("talks/coverage/", talk_coverage, name="talk_coverage"),
    path("talks/new/", talk_new, name="talk_new"),
    path("talks/mine/", talk_mine, name="talk_mine"),
    path("talks/<int:pk>/", talk_detail, name="talk_detail"),
]
