"""The system meeting types and compliance requirements (domain-rules §1), seeded by migration 0002.
Organizations add their own types and override requirements (a new version at their org)."""

import datetime as dt

VALID_FROM = dt.date(2000, 1, 1)
S = "《中国共产党支部工作条例（试行）》"

# code, name, attendees, can_vote, points rule, minutes template (agenda items, one per line)
TYPES = [
    (
        "branch_meeting",
        "支部党员大会",
        "branch",
        True,
        "orglife.branch_meeting",
        "传达学习上级精神\n研究讨论支部重要事项\n表决事项",
    ),
    (
        "committee_meeting",
        "支部委员会会议",
        "committee",
        True,
        "orglife.committee_meeting",
        "研究支部近期工作\n讨论需提交党员大会的事项\n工作分工",
    ),
    (
        "group_meeting",
        "党小组会",
        "group",
        False,
        "orglife.group_meeting",
        "学习\n交流思想、工作情况\n落实支部工作安排",
    ),
    ("party_lecture", "党课", "branch", False, "orglife.party_lecture", "党课内容\n学习体会交流"),
    ("theme_day", "主题党日", "branch", False, "orglife.theme_day", "重温入党誓词\n主题活动\n交纳党费"),
    (
        "life_meeting",
        "组织生活会",
        "branch",
        False,
        "orglife.life_meeting",
        "通报班子对照检查情况\n党员个人对照检查发言\n开展批评和自我批评\n明确整改措施",
    ),
    (
        "democratic_review",
        "民主评议党员大会",
        "branch",
        True,
        "orglife.life_meeting",
        "党员个人自评\n党员互评\n民主测评情况通报\n确定评议等次",
    ),
]

# code, type_code, frequency, min_count, applies_to, source
REQUIREMENTS = [
    ("branch_meeting", "branch_meeting", "quarter", 1, "branch", f"{S}第十一条（每季度召开一次）"),
    (
        "committee_meeting",
        "committee_meeting",
        "month",
        1,
        "branch_committee",
        f"{S}第十二条（一般每月召开一次）",
    ),
    ("group_meeting", "group_meeting", "month", 1, "group", f"{S}第十三条（一般每月召开一次）"),
    ("party_lecture", "party_lecture", "quarter", 1, "branch", "本地规定：每季度至少一次党课"),
    ("theme_day", "theme_day", "month", 1, "branch", "主题党日：每月相对固定一天开展"),
    ("life_meeting", "life_meeting", "year", 1, "branch", f"{S}第十七条（每年至少召开一次组织生活会）"),
    (
        "democratic_review",
        "democratic_review",
        "year",
        1,
        "branch",
        f"{S}第十七条（一般每年开展一次民主评议党员）",
    ),
]


def seed(MeetingType, Requirement) -> None:
    """Insert missing system types and requirements (idempotent, safe when two processes race)."""
    MeetingType.objects.bulk_create(
        [
            MeetingType(
                org=None, code=c, name=n, attendees=a, can_vote=v, points_rule=p, minutes_template=t, order=i
            )
            for i, (c, n, a, v, p, t) in enumerate(TYPES)
        ],
        ignore_conflicts=True,
    )
    Requirement.objects.bulk_create(
        [
            Requirement(
                org=None,
                code=c,
                type_code=t,
                frequency=f,
                min_count=n,
                applies_to=a,
                source=s,
                valid_from=VALID_FROM,
            )
            for c, t, f, n, a, s in REQUIREMENTS
        ],
        ignore_conflicts=True,
    )
