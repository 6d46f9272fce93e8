"""Development cases built through the real services (development.services), with valid dates.

    make_case(org, stage_up_to=N, **dates) -> Case

walks one person from ① up to and including step N (1–25) on a default schedule that passes every
rule without warnings: talk after 2 weeks, activist after 3 months, two assessments (added with ⑥,
150 and 300 days after ③), candidate one year
and ten days after becoming an activist (公示 of 5 working days ending before it), mentors and sponsors
(two full members of the branch, created here), 3 days of training, admission 公示, a passed vote, the
superior's talk and approval within 3 months, conversion vote 5 days after the probation ends, approval
35 days later. Default ① is 2021-03-01, so every step is in the past.

Dates may be moved with keywords (later dates follow the anchor they depend on; when only a later
anchor is given, ① moves back so that the steps before it keep their default spacing):
  applied_on, talked_on, activist_on, candidate_on, admitted_on (⑮ vote), approved_on (⑰),
  conversion_vote_on (㉓), conversion_approved_on (㉔), or any step code from development.seed.STEPS
  (e.g. activist_filed=..., oath=...). Other keywords: actor (default None = system), user (account
  linked to the case), group, name, birth_date, gender, id_number, accept_warnings (default False: a warning
  fails the factory loudly), vote (dict of numbers for ⑮ and ㉓), mentors / sponsors (lists of
  Members; default two new full members of the branch), reports=True (a thought report every 3 months
  from ① up to the last step; without them the thought-report deadline of an old case is overdue).
"""

import datetime as dt

from tests.factories import MemberFactory, make_id_number
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
        for n, offset in ((2, 14), (3, 92), (7, 467), (15, 550), (17, 590), (23, 920), (24, 955)):
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


def make_case(
    org,
    stage_up_to: int = 1,
    *,
    actor=None,
    user=None,
    name: str = "张发展",
    birth_date: dt.date = dt.date(1998, 5, 20),
    gender: str = "male",
    id_number: str | None = None,
    accept_warnings: bool = False,
    vote: dict | None = None,
    mentors=None,
    sponsors=None,
    group=None,
    reports: bool = False,
    **dates,
) -> Case:
    """A case of `org` walked through the real services up to and including step `stage_up_to`."""
    s = schedule(**dates)
    kw = {"accept_warnings": accept_warnings}
    case = services.open_case(
        actor,
        org=org,
        name=name,
        gender=gender,
        birth_date=birth_date,
        applied_on=s[1],
        id_number=id_number or make_id_number(birth_date, gender == "male"),
        user=user,
        group=group,
        **kw,
    )
    people = None

    def members():
        nonlocal people
        if people is None:
            people = [MemberFactory(org=org) for _ in range(2)]
        return people

    vote = {**DEFAULT_VOTE, **(vote or {})}
    for n in range(2, stage_up_to + 1):
        if n == 5:
            for m in mentors if mentors is not None else members()[:1]:
                services.assign_participant(
                    actor, case, member=m, role=ParticipantRole.MENTOR, assigned_on=s[3] + dt.timedelta(10)
                )
        if n == 6:
            for days in (150, 300):
                day = s[3] + dt.timedelta(days)
                if day < s[7]:
                    services.add_assessment(actor, case, assessed_on=day, result="表现良好")
        if n == 9:
            for m in sponsors if sponsors is not None else members():
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
    if reports:  # a thought report every 3 months from ① to the last step recorded
        day, n = s[1], 1
        while day <= s[stage_up_to] and (stage_up_to < 24 or day <= s[23]):
            services.submit_thought_report(
                None, case, title=f"思想汇报（{n}）", content="学习体会", submitted_on=day
            )
            day, n = add_months(s[1], 3 * n), n + 1
    return Case.objects.get(pk=case.pk)
