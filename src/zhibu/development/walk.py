"""Walk a development case through the real services on a plausible schedule (demo data, tests).

    schedule(**dates) -> {step number: date}
    walk_case(org, up_to, *, mentors, sponsors, **dates) -> Case

The default schedule passes every rule without warnings: talk after 2 weeks, activist after 3 months,
assessments every ~5 months, candidate a year and ten days after becoming an activist (公示 of 5 working
days before it), 3 days of training, admission 公示, a passed vote, the superior's talk and approval within
3 months, conversion vote 5 days after probation ends, approval 35 days later. Dates move with keywords:
applied_on, talked_on, activist_on, candidate_on, admitted_on (⑮), approved_on (⑰), conversion_vote_on (㉓),
conversion_approved_on (㉔) or any step code of development.seed.STEPS; when only a later anchor is given,
① moves back so the steps before it keep their default spacing.
"""

import datetime as dt

from django.utils import timezone

from zhibu.development import services
from zhibu.development.models import Case, ParticipantRole, VoteKind
from zhibu.development.seed import STEPS
from zhibu.orgs.rules import add_months, add_years

DEFAULT_APPLIED_ON = dt.date(2021, 3, 1)
DEFAULT_VOTE = {"expected": 10, "present": 9, "in_favour": 9, "against": 0, "abstain": 0}
CODES = {code: number for number, _stage, code, *_ in STEPS}
FIELD_STEPS = {
    "applied_on": 1,
    "talked_on": 2,
    "activist_on": 3,
    "candidate_on": 7,
    "admitted_on": 15,
    "approved_on": 17,
    "conversion_vote_on": 23,
    "conversion_approved_on": 24,
}
_ANCHOR_OFFSETS = ((2, 14), (3, 92), (7, 467), (15, 550), (17, 590), (23, 920), (24, 955))


def schedule(**dates) -> dict[int, dt.date]:
    """{step number: date} of the default walk, with the given dates moved (see the module docstring)."""
    over = {}
    for key, value in dates.items():
        number = FIELD_STEPS.get(key) or CODES.get(key)
        if number is None:
            raise TypeError(f"unknown date keyword: {key}")
        over[number] = value
    day = dt.timedelta(days=1)
    if 1 not in over:  # a later anchor moved alone: start early enough to reach it on schedule
        for n, offset in _ANCHOR_OFFSETS:
            if n in over:
                over[1] = over[n] - offset * day
                break
    s: dict[int, dt.date] = {}

    def put(n, default):
        s[n] = over.get(n, default)
        return s[n]

    a = put(1, DEFAULT_APPLIED_ON)
    put(2, a + 14 * day)
    act = put(3, a + 92 * day)
    put(4, act + 9 * day)
    put(5, act + 14 * day)
    put(6, act + 180 * day)
    cand = put(7, act + 375 * day)
    for n, offset in ((8, 10), (9, 10), (10, 20), (11, 30), (12, 50), (13, 60), (14, 65)):
        put(n, cand + offset * day)
    vote = put(15, cand + 83 * day)
    for n, offset in ((16, 9), (17, 40), (18, 50), (19, 55), (20, 60), (21, 280), (22, 355)):
        put(n, vote + offset * day)
    conv = put(23, add_years(vote, 1) + 5 * day)
    put(24, conv + 35 * day)
    put(25, conv + 45 * day)
    return s


def walk_case(
    org,
    up_to: int = 1,
    *,
    mentors,
    sponsors,
    actor=None,
    person: dict,
    user=None,
    group=None,
    vote: dict | None = None,
    reports: bool = False,
    reports_until: dt.date | None = None,
    accept_warnings: bool = False,
    **dates,
) -> Case:
    """Open a case for `person` (open_case keywords: name, gender, birth_date, id_number…) and record
    steps 2…`up_to` through the services. `mentors`/`sponsors` are full members of the branch."""
    s = schedule(**dates)
    kw = {"accept_warnings": accept_warnings}
    case = services.open_case(actor, org=org, applied_on=s[1], user=user, group=group, **person, **kw)
    if reports:  # a thought report every 3 months from ① until `reports_until` (default today; ㉓ at most)
        day, n, end = s[1], 1, reports_until or timezone.localdate()
        while day <= end and (up_to < 23 or day <= s[23]):
            services.submit_thought_report(
                None, case, title=f"第{n}次思想汇报", content=REPORT_TEXT, submitted_on=day
            )
            day, n = add_months(s[1], 3 * n), n + 1
    vote = {**DEFAULT_VOTE, **(vote or {})}
    for n in range(2, up_to + 1):
        if n == 5:
            for m in mentors:
                services.assign_participant(
                    actor, case, member=m, role=ParticipantRole.MENTOR, assigned_on=s[3] + dt.timedelta(10)
                )
        if n == 6:
            for days in (150, 300):
                day = s[3] + dt.timedelta(days)
                if day < s[7] and day <= timezone.localdate():
                    services.add_assessment(actor, case, assessed_on=day, result="表现良好")
        if n == 9:
            for m in sponsors:
                services.assign_participant(
                    actor, case, member=m, role=ParticipantRole.SPONSOR, assigned_on=s[7] + dt.timedelta(5)
                )
        if n in (15, 23):
            kind = VoteKind.ADMISSION if n == 15 else VoteKind.CONVERSION
            services.record_vote(actor, case, kind=kind, held_on=s[n], **vote, **kw)
            continue
        data = None
        if n == 7:
            data = {"notice_start": (s[7] - dt.timedelta(11)).isoformat()}
        elif n == 11:
            data = {"training_days": 3, "training_hours": 24}
        elif n == 14:
            data = {"notice_start": (s[15] - dt.timedelta(14)).isoformat()}
        services.record_step(actor, case, n, done_on=s[n], data=data, **kw)
    return Case.objects.get(pk=case.pk)


REPORT_TEXT = (
    "敬爱的党组织：近一段时间，我认真学习了党章和党的基本理论，参加了支部组织的学习活动，"
    "对党的性质、宗旨有了更深的认识。在工作中，我努力发挥骨干作用，主动承担急难险重任务。"
    "我也认识到自己在理论学习的系统性上还有差距，今后将加强学习，以党员标准严格要求自己。请党组织考验。"
)
