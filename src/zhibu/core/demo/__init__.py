"""Demo organization builder: realistic structure, generated Chinese names (not real people).

Dates are relative to today so the demo always shows a term ending soon, an overdue term and a
vacancy, whenever it is loaded.
"""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from zhibu.accounts.models import Role, RoleAssignment, User
from zhibu.accounts.services import create_user
from zhibu.core.demo.orglife import build_orglife
from zhibu.core.demo.points import build_points
from zhibu.core.demo.records import build_development, build_transfers, enrich_members
from zhibu.core.demo.reviews import build_reviews_and_talks
from zhibu.members.models import Category, Gender, Member, MemberStatus
from zhibu.members.rules import id_check_digit
from zhibu.orgs import services as org_services
from zhibu.orgs.models import BranchKind, CommitteeTerm, Organization, OrgType, Position, Sector
from zhibu.orgs.rules import add_months, add_years

DEMO_PASSWORD = "Zhibu@2026"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN_M = "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘"
GIVEN_F = "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝丽阳妮宝贝初程梵罡恒鸿桦骅剑娇纪宽苛灵玛媚琪晴容睿烁堂唯威韦雯苇萱阅彦宇雨洋忠宗曼紫逸贤蝶菡绿蓝儿翠烟"
REGIONS = ("330102", "330106", "330108", "330110", "330122", "320102", "310104", "110105", "340104", "360102")

# (code suffix, name, type, kind, sector, host unit, size, groups, retired)
BRANCHES = [
    (
        "Z1-01",
        "研发中心第一党支部",
        OrgType.BRANCH,
        BranchKind.REGULAR,
        Sector.ENTERPRISE,
        "研发中心软件部",
        42,
        3,
        False,
    ),
    (
        "Z1-02",
        "研发中心第二党支部",
        OrgType.BRANCH,
        BranchKind.REGULAR,
        Sector.ENTERPRISE,
        "研发中心硬件部",
        24,
        2,
        False,
    ),
    (
        "Z1-03",
        "研发中心第三党支部",
        OrgType.BRANCH,
        BranchKind.REGULAR,
        Sector.ENTERPRISE,
        "研发中心测试部",
        11,
        0,
        False,
    ),
    (
        "J-01",
        "机关第一党支部",
        OrgType.BRANCH,
        BranchKind.REGULAR,
        Sector.ENTERPRISE,
        "集团办公室、人力资源部",
        28,
        2,
        False,
    ),
    (
        "J-02",
        "机关第二党支部",
        OrgType.BRANCH,
        BranchKind.REGULAR,
        Sector.ENTERPRISE,
        "财务部、审计部",
        14,
        0,
        False,
    ),
    (
        "S-01",
        "生产车间党支部",
        OrgType.BRANCH,
        BranchKind.REGULAR,
        Sector.ENTERPRISE,
        "智能制造车间",
        46,
        3,
        False,
    ),
    (
        "L-01",
        "离退休党支部",
        OrgType.BRANCH,
        BranchKind.REGULAR,
        Sector.ENTERPRISE,
        "离退休人员管理中心",
        21,
        2,
        True,
    ),
    (
        "LH-01",
        "物流园区联合党支部",
        OrgType.BRANCH,
        BranchKind.JOINT,
        Sector.ENTERPRISE,
        "华科物流、园区物业等4家单位",
        7,
        0,
        False,
    ),
    (
        "LS-01",
        "新厂区建设项目临时党支部",
        OrgType.BRANCH,
        BranchKind.TEMPORARY,
        Sector.ENTERPRISE,
        "新厂区项目部",
        5,
        0,
        False,
    ),
]
UNDER_GENERAL_BRANCH = {"Z1-01", "Z1-02", "Z1-03"}


class _People:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used_names: set[str] = set()
        self.used_ids: set[str] = set()
        self.used_mobiles: set[str] = set()

    def name(self, gender: str) -> str:
        pool = GIVEN_M if gender == Gender.MALE else GIVEN_F
        while True:
            given = self.rng.choice(pool) + (self.rng.choice(pool) if self.rng.random() < 0.7 else "")
            name = self.rng.choice(SURNAMES) + given
            if name not in self.used_names:
                self.used_names.add(name)
                return name

    def id_number(self, birth: dt.date, gender: str) -> str:
        while True:
            seq = (
                self.rng.randrange(0, 100) * 10
                + self.rng.randrange(0, 5) * 2
                + (1 if gender == Gender.MALE else 0)
            )
            body = f"{self.rng.choice(REGIONS)}{birth:%Y%m%d}{seq:03d}"
            number = body + id_check_digit(body)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def mobile(self) -> str:
        while True:
            number = (
                self.rng.choice(("138", "139", "150", "186", "177", "135", "158"))
                + f"{self.rng.randrange(10**8):08d}"
            )
            if number not in self.used_mobiles:
                self.used_mobiles.add(number)
                return number


def _make_members(people, rng, branch, groups, size, retired, today) -> list[Member]:
    members = []
    for i in range(size):
        gender = Gender.MALE if rng.random() < 0.58 else Gender.FEMALE
        age = rng.randint(62, 88) if retired else rng.randint(23, 58)
        birth = add_years(today, -age) - dt.timedelta(days=rng.randint(0, 360))
        probationary = not retired and rng.random() < 0.07
        joined = (
            add_years(birth, rng.randint(19, min(40, age - 1)))
            if not probationary
            else today - dt.timedelta(days=rng.randint(30, 330))
        )
        if joined > today:
            joined = today - dt.timedelta(days=400)
        status = MemberStatus.NORMAL
        roll = rng.random()
        if roll < 0.04:
            status = MemberStatus.MOBILE
        elif roll < 0.055:
            status = MemberStatus.LOST
        members.append(
            Member(
                name=people.name(gender),
                gender=gender,
                birth_date=birth,
                id_number=people.id_number(birth, gender),
                mobile=people.mobile(),
                category=Category.PROBATIONARY if probationary else Category.FULL,
                status=status,
                org=branch,
                group=groups[i % len(groups)] if groups else None,
                joined_on=joined,
                converted_on=None if probationary else add_months(joined, 12),
                work_unit=branch.host_unit if not retired else "已退休",
                lost_since=today - dt.timedelta(days=rng.randint(60, 900))
                if status == MemberStatus.LOST
                else None,
                mobile_since=today - dt.timedelta(days=rng.randint(30, 600))
                if status == MemberStatus.MOBILE
                else None,
                mobile_destination=rng.choice(("上海市浦东新区", "深圳市南山区", "成都市高新区"))
                if status == MemberStatus.MOBILE
                else "",
            )
        )
    return members


@transaction.atomic
def build_demo(seed: int = 2026) -> dict:
    rng = random.Random(seed)
    people = _People(rng)
    today = timezone.localdate()
    root = org_services.create_org(
        None,
        parent=None,
        name="中共华科智能装备集团有限公司委员会",
        short_name="华科集团党委",
        code="HK",
        org_type=OrgType.COMMITTEE,
        sector=Sector.ENTERPRISE,
        host_unit="华科智能装备集团有限公司",
        founded_on=dt.date(1998, 7, 1),
    )
    general = org_services.create_org(
        None,
        parent=root,
        name="中共华科集团研发中心总支部委员会",
        short_name="研发中心党总支",
        code="HK-Z1",
        org_type=OrgType.GENERAL_BRANCH,
        sector=Sector.ENTERPRISE,
        host_unit="集团研发中心",
        founded_on=dt.date(2010, 5, 12),
    )
    branches: dict[str, object] = {}
    all_members: list[Member] = []
    by_branch: dict[str, list[Member]] = {}
    for suffix, name, org_type, kind, sector, host, size, group_count, retired in BRANCHES:
        parent = general if suffix in UNDER_GENERAL_BRANCH else root
        branch = org_services.create_org(
            None,
            parent=parent,
            name=name,
            code=f"HK-{suffix}",
            org_type=org_type,
            branch_kind=kind,
            sector=sector,
            host_unit=host,
            founded_on=add_years(today, -1)
            if kind == BranchKind.TEMPORARY
            else dt.date(rng.randint(2000, 2018), rng.randint(1, 12), rng.randint(1, 28)),
        )
        groups = [
            org_services.create_org(
                None,
                parent=branch,
                name=f"第{'一二三四'[g]}党小组",
                code=f"HK-{suffix}-G{g + 1}",
                org_type=OrgType.GROUP,
                sector=sector,
            )
            for g in range(group_count)
        ]
        members = _make_members(people, rng, branch, groups, size, retired, today)
        branches[suffix] = branch
        by_branch[suffix] = members
        all_members.extend(members)
    # A few members in the remaining statuses, so every status shows up in the roster.
    extra = [
        (MemberStatus.SUSPENDED, "L-01"),
        (MemberStatus.DECEASED, "L-01"),
        (MemberStatus.LEFT, "S-01"),
        (MemberStatus.TRANSFERRED, "J-01"),
    ]
    for status, suffix in extra:
        gender = Gender.MALE
        birth = add_years(today, -50)
        all_members.append(
            Member(
                name=people.name(gender),
                gender=gender,
                birth_date=birth,
                id_number=people.id_number(birth, gender),
                category=Category.FULL,
                status=status,
                org=branches[suffix],
                joined_on=dt.date(1995, 6, 1),
                converted_on=dt.date(1996, 6, 1),
            )
        )
    Member.objects.bulk_create(all_members)
    for suffix in by_branch:
        by_branch[suffix] = list(
            Member.objects.filter(org=branches[suffix], status="normal", category="full").order_by("id")
        )

    # Committees. Terms relative to today: one ends within 6 months, one is overdue, one has a vacancy.
    def elect(org, started_on, kind, holders, positions=None, vacant=()):
        term = org_services.start_term(None, org, started_on=started_on, kind=kind, positions=positions)
        for seat, member in zip(term.seats.order_by("order"), holders, strict=False):
            if seat.position in vacant:
                continue
            org_services.assign_holder(None, seat, member=member, started_on=started_on)
        return term

    root_pool = by_branch["J-01"][:5] + by_branch["J-02"][:2]
    elect(
        root,
        add_months(today, -26),
        CommitteeTerm.Kind.COMMITTEE,
        root_pool,
        positions=[
            Position.SECRETARY,
            Position.DEPUTY,
            Position.ORGANIZATION,
            Position.PUBLICITY,
            Position.DISCIPLINE,
            Position.OTHER,
            Position.OTHER,
        ],
    )
    elect(
        general,
        add_months(today, -14),
        CommitteeTerm.Kind.COMMITTEE,
        by_branch["Z1-01"][5:8] + by_branch["Z1-02"][5:7],
        positions=[
            Position.SECRETARY,
            Position.ORGANIZATION,
            Position.PUBLICITY,
            Position.DISCIPLINE,
            Position.OTHER,
        ],
    )
    term_started = {
        "Z1-01": add_months(today, -33) + dt.timedelta(days=9),  # ends within 6 months
        "Z1-02": add_months(today, -20),
        "Z1-03": add_months(today, -10),
        "J-01": add_months(today, -38),  # overdue by about 2 months
        "J-02": add_months(today, -8),
        "S-01": add_months(today, -18),  # 纪检委员 vacant (below)
        "L-01": add_months(today, -30),
    }
    z1 = branches["Z1-01"]
    # An earlier term for 研发中心第一党支部, so the committee history shows a 换届.
    elect(z1, add_months(today, -69), CommitteeTerm.Kind.COMMITTEE, by_branch["Z1-01"][3:8])
    for suffix, started in term_started.items():
        elect(
            branches[suffix],
            started,
            CommitteeTerm.Kind.COMMITTEE,
            by_branch[suffix][:5],
            vacant=(Position.DISCIPLINE,) if suffix == "S-01" else (),
        )
    for suffix in ("LH-01", "LS-01"):
        elect(
            branches[suffix], add_months(today, -7), CommitteeTerm.Kind.SECRETARY_ONLY, by_branch[suffix][:1]
        )
    # 生产车间: the 纪检委员 left 3 months ago; seat vacant since.
    s1 = branches["S-01"]
    seat = s1.committee_terms.get(ended_on__isnull=True).seats.get(position=Position.DISCIPLINE)
    org_services.assign_holder(None, seat, member=by_branch["S-01"][6], started_on=add_months(today, -18))
    holding = seat.holdings.get(ended_on__isnull=True)
    org_services.end_holding(None, holding, ended_on=add_months(today, -3), reason="工作调动")

    # Accounts: one per role. The secretary and members are linked to their member records.
    secretary_member = by_branch["Z1-01"][0]
    committee_member = by_branch["Z1-01"][1]
    group_leader_member = by_branch["Z1-01"][2]
    plain_member = by_branch["Z1-01"][10]
    z1_groups = list(Organization.objects.get_children(Organization.objects.get(pk=z1.pk)).order_by("code"))
    accounts = [
        ("admin", "系统管理员", None, root, Role.SYSADMIN, ""),
        ("security", "安全保密员", None, root, Role.SECURITY, ""),
        ("auditor", "审计员", None, root, Role.AUDITOR, ""),
        ("zuzhi", "组织管理员", None, root, Role.ORG_ADMIN, "党委组织部"),
        ("shuji", "支部书记", secretary_member, z1, Role.SECRETARY, "书记"),
        ("zhiwei", "支委", committee_member, z1, Role.COMMITTEE, "组织委员"),
        ("xiaozu", "党小组长", group_leader_member, z1_groups[0], Role.GROUP_LEADER, "组长"),
        ("dangyuan", "党员", plain_member, z1, Role.MEMBER, ""),
        ("qunzhong", "群众", None, z1, Role.PUBLIC, ""),
        ("shenqingren", "入党积极分子", None, z1, Role.PUBLIC, ""),
    ]
    printed = []
    for username, label, member, org, role, position in accounts:
        real_name = (
            member.name if member else people.name(Gender.FEMALE if rng.random() < 0.5 else Gender.MALE)
        )
        user = create_user(
            None,
            username=username,
            real_name=real_name,
            password=DEMO_PASSWORD,
            mobile=member.mobile if member else "",
        )
        RoleAssignment.objects.create(user=user, org=org, role=role, position=position)
        if member is not None:
            member.user = user
            member.save(update_fields=["user"])
        printed.append((username, f"{label}（{real_name}，{org.name}）"))
    enrich_members(rng, today)
    build_transfers(branches, today)
    applicant = User.objects.get(username="shenqingren")
    cases = build_development(people, rng, branches, today, applicant_user=applicant)
    # Meetings before points: attendance scores points, which the points demo's 积分通报 and appeal use.
    build_orglife(rng, branches, today)
    build_points(rng, branches, today)
    build_reviews_and_talks(today)
    from zhibu.orglife.models import Meeting
    from zhibu.points.models import Entry

    return {
        "cases": cases,
        "point_entries": Entry.objects.count(),
        "meetings": Meeting.objects.count(),
        "orgs": Organization.objects.count(),
        "members": Member.objects.count(),
        "accounts": printed,
    }
