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
from zhibu.development.models import Case
from zhibu.development.walk import DEFAULT_APPLIED_ON, DEFAULT_VOTE, FIELD_STEPS, schedule, walk_case

__all__ = ["DEFAULT_APPLIED_ON", "DEFAULT_VOTE", "FIELD_STEPS", "make_case", "schedule"]


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
    people = [MemberFactory(org=org) for _ in range(2)] if (mentors is None or sponsors is None) else []
    s = schedule(**dates)
    return walk_case(
        org,
        stage_up_to,
        mentors=mentors if mentors is not None else people[:1],
        sponsors=sponsors if sponsors is not None else people,
        actor=actor,
        user=user,
        group=group,
        vote=vote,
        reports=reports,
        reports_until=s[stage_up_to],
        accept_warnings=accept_warnings,
        person={
            "name": name,
            "gender": gender,
            "birth_date": birth_date,
            "id_number": id_number or make_id_number(birth_date, gender == "male"),
        },
        **dates,
    )
