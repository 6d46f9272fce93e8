"""Demo data for member records, history, transfers, mobile and lost members, and member development.

Everything goes through the real services (actor None = the system), with dates relative to today, so
the demo always shows to-dos that are due and some that are overdue.
"""

import datetime as dt

from zhibu.development import services as dev_services
from zhibu.development.walk import walk_case
from zhibu.members import transfers
from zhibu.members.models import (
    Education,
    Employment,
    EventKind,
    Gender,
    Member,
    MemberEvent,
    MemberStatus,
)
from zhibu.orgs.rules import add_months, add_years

NATIVE_PLACES = (
    "浙江杭州",
    "浙江宁波",
    "浙江温州",
    "江苏南京",
    "江苏苏州",
    "安徽合肥",
    "江西南昌",
    "上海",
    "山东济南",
)
POSTS = (
    "软件工程师",
    "硬件工程师",
    "测试工程师",
    "项目经理",
    "部门经理",
    "技术员",
    "班组长",
    "行政专员",
    "财务主管",
)
ETHNIC_MINORITIES = ("03", "08", "11", "05", "06", "15")


def enrich_members(rng, today) -> None:
    """Fill the detail fields of the bulk-created members and write their history (建档, 入党, 转正)."""
    members = list(Member.objects.select_related("org"))
    events = []
    for m in members:
        retired = m.work_unit == "已退休" or m.org.code == "HK-L-01"
        m.ethnicity = rng.choice(ETHNIC_MINORITIES) if rng.random() < 0.08 else "01"
        m.native_place = rng.choice(NATIVE_PLACES)
        m.employment = Employment.RETIRED if retired else Employment.EMPLOYED
        if retired:
            m.education = rng.choice(
                (Education.HIGH_SCHOOL, Education.SECONDARY, Education.COLLEGE, Education.JUNIOR)
            )
        else:
            m.education = rng.choices(
                (Education.POSTGRADUATE, Education.BACHELOR, Education.COLLEGE, Education.SECONDARY),
                weights=(3, 6, 2, 1),
            )[0]
        m.degree = {"postgraduate": "master", "bachelor": "bachelor"}.get(m.education, "")
        m.work_post = "" if retired else rng.choice(POSTS)
        m.address = (
            f"{m.native_place[:2]}省某市某区某街道{rng.randint(1, 300)}号"
            if m.native_place != "上海"
            else "上海市某区某路"
        )
        m.dues_start_on = m.joined_on
        m.veteran = bool(m.joined_on and (today - m.joined_on).days >= 50 * 365)
        m.hardship = retired and rng.random() < 0.12
        m.status_since = m.lost_since or m.mobile_since
        base = {"member": m, "org_id": m.org_id}
        events.append(
            MemberEvent(kind=EventKind.CREATED, occurred_on=add_years(today, -1), reason="系统建档", **base)
        )
        if m.joined_on:
            events.append(
                MemberEvent(
                    kind=EventKind.JOINED,
                    occurred_on=m.joined_on,
                    reason="支部党员大会通过接收为预备党员",
                    **base,
                )
            )
        if m.converted_on:
            events.append(
                MemberEvent(
                    kind=EventKind.CONVERTED, occurred_on=m.converted_on, reason="按期转为正式党员", **base
                )
            )
        if m.status in (MemberStatus.LOST, MemberStatus.MOBILE):
            kind = EventKind.LOST if m.status == MemberStatus.LOST else EventKind.MOBILE
            events.append(MemberEvent(kind=kind, occurred_on=m.status_since or today, reason="登记", **base))
        elif m.status not in (MemberStatus.NORMAL,):
            events.append(
                MemberEvent(
                    kind=EventKind.STATUS,
                    occurred_on=add_months(today, -14),
                    reason=f"状态变更为{m.get_status_display()}",
                    data={"status": ["normal", m.status]},
                    **base,
                )
            )
    Member.objects.bulk_update(
        members,
        [
            "ethnicity",
            "native_place",
            "employment",
            "education",
            "degree",
            "work_post",
            "address",
            "dues_start_on",
            "veteran",
            "hardship",
            "status_since",
        ],
        batch_size=500,
    )
    MemberEvent.objects.bulk_create(events, batch_size=500)


def build_transfers(branches, today) -> None:
    """Pending internal transfers both ways, letters (one expired, one fresh, one returned), lost and mobile."""
    z1, z2 = branches["Z1-01"], branches["Z1-02"]
    z1_normal = list(
        Member.objects.filter(org=z1, status="normal", category="full", user__isnull=True).order_by("-id")[:6]
    )
    z2_member = Member.objects.filter(org=z2, status="normal", category="full").order_by("-id").first()
    transfers.request_transfer(
        None, z1_normal[0], to_org=z2, issued_on=today - dt.timedelta(days=40), reason="调至硬件部工作"
    )
    transfers.request_transfer(
        None, z2_member, to_org=z1, issued_on=today - dt.timedelta(days=2), reason="岗位调整到软件部"
    )
    transfers.issue_letter(
        None,
        z1_normal[1],
        external_org="中共上海市浦东新区张江镇委员会",
        issued_on=add_months(today, -3) - dt.timedelta(days=15),
        reason="调往上海工作",
    )
    transfers.issue_letter(
        None,
        z1_normal[2],
        external_org="中共深圳市南山区粤海街道工作委员会",
        issued_on=today - dt.timedelta(days=5),
        reason="随配偶迁居",
    )
    returned = transfers.issue_letter(
        None,
        z1_normal[3],
        external_org="中共成都高新区党工委",
        issued_on=today - dt.timedelta(days=60),
        reason="工作调动",
    )
    transfers.confirm_receipt(None, returned, receipt_on=today - dt.timedelta(days=30))
    transfers.register_lost(None, z1_normal[4], since=add_months(today, -7), note="电话停机，原住址已搬离")
    transfers.add_follow_up(
        None, z1_normal[4], on=today - dt.timedelta(days=20), note="走访原单位人事部门，无新的联系方式"
    )
    transfers.register_mobile(
        None,
        z1_normal[5],
        destination="杭州市滨江区某科技公司",
        since=add_months(today, -8),
        certificate_no="LD330102-2025-007",
        reason="外派项目",
    )
    for lost in Member.objects.filter(status=MemberStatus.LOST).exclude(pk=z1_normal[4].pk)[:4]:
        transfers.add_follow_up(
            None, lost, on=today - dt.timedelta(days=45), note="电话联系未接通，已请其亲属转告"
        )


def build_development(people, rng, branches, today, applicant_user=None) -> int:
    """Cases at every stage in two branches, some with overdue steps (talk, approval, conversion)."""
    day = dt.timedelta(days=1)
    count = 0

    def person(gender=None, age=None):
        gender = gender or (Gender.MALE if rng.random() < 0.55 else Gender.FEMALE)
        birth = add_years(today, -(age or rng.randint(22, 34))) - rng.randint(0, 300) * day
        return {
            "name": people.name(gender),
            "gender": gender,
            "birth_date": birth,
            "id_number": people.id_number(birth, gender),
            "mobile": people.mobile(),
            "education": rng.choice((Education.BACHELOR, Education.POSTGRADUATE, Education.COLLEGE)),
        }

    for suffix in ("Z1-01", "Z1-02"):
        org = branches[suffix]
        full = list(
            Member.objects.filter(
                org=org, status="normal", category="full", under_party_probation=False
            ).order_by("id")
        )
        vote = {
            "expected": len(full),
            "present": len(full) - 2,
            "in_favour": len(full) - 3,
            "against": 0,
            "abstain": 1,
        }
        helpers = {"mentors": full[3:4], "sponsors": full[4:6], "vote": vote}
        plan = [
            # (up_to, dates, reports) — comments say what the board shows
            (1, {"applied_on": today - 10 * day}, False),  # talk due within a month
            (1, {"applied_on": today - 50 * day}, False),  # talk overdue, no thought report yet
            (5, {"activist_on": today - 150 * day}, True),  # activist, assessment due soon
            (6, {"activist_on": today - 400 * day}, True),  # may become a candidate now
            (11, {"candidate_on": today - 45 * day}, True),  # candidate, trained, awaiting review
            (16, {"admitted_on": today - 100 * day}, True),  # approval overdue (> 3 months after the vote)
            (20, {"admitted_on": today - 200 * day}, True),  # probationary member
            (
                22,
                {"admitted_on": add_years(today, -1) - 12 * day},
                True,
            ),  # probation over, conversion vote due
            (25, {"admitted_on": add_years(today, -2)}, True),  # converted, file archived
        ]
        if suffix == "Z1-02":
            plan = plan[:4]
        for i, (up_to, dates, reports) in enumerate(plan):
            user = applicant_user if (suffix == "Z1-01" and i == 2) else None
            who = person()
            if user is not None:
                who["name"] = user.real_name
            case = walk_case(org, up_to, person=who, user=user, reports=reports, **helpers, **dates)
            count += 1
            if up_to == 6:
                dev_services.add_assessment(
                    None, case, assessed_on=today - 20 * day, result="积极参加支部活动，表现较好"
                )
    stopped = walk_case(
        branches["Z1-02"], 3, person=person(), mentors=[], sponsors=[], applied_on=add_months(today, -20)
    )
    dev_services.stop_case(None, stopped, reason="本人因出国留学申请暂缓", on=today - 60 * day)
    return count + 1
