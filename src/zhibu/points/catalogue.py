# ruff: noqa: E501  (one catalogue rule per line reads best as a table)
"""The default points catalogue (系统默认积分规则), seeded by migration 0002 as version 1 with org = None.

Organizations override any rule (new version at their org) or switch it off; see models.Rule.
Each row: code, name, category, points, unit, unit_size, caps (day, week, month, year), needs_evidence,
needs_approval, awarder, self_report, description.
"""

import datetime as dt
from decimal import Decimal as D

VALID_FROM = dt.date(2000, 1, 1)
N = None

# fmt: off
DEFAULT_RULES = [
    # 组织生活: scored by the meetings module from attendance records (awarder "system").
    ("orglife.branch_meeting", "参加支部党员大会", "orglife", D(2), "次", D(1), (N, N, N, N), False, False, "system", False, "按签到/考勤自动记分"),
    ("orglife.committee_meeting", "参加支部委员会会议", "orglife", D(1), "次", D(1), (N, N, N, N), False, False, "system", False, "支委按考勤自动记分"),
    ("orglife.group_meeting", "参加党小组会", "orglife", D(1), "次", D(1), (N, N, N, N), False, False, "system", False, "按签到/考勤自动记分"),
    ("orglife.party_lecture", "参加党课", "orglife", D(2), "次", D(1), (N, N, N, N), False, False, "system", False, "按签到/考勤自动记分"),
    ("orglife.theme_day", "参加主题党日", "orglife", D(2), "次", D(1), (N, N, N, N), False, False, "system", False, "按签到/考勤自动记分"),
    ("orglife.life_meeting", "参加组织生活会、民主评议", "orglife", D(3), "次", D(1), (N, N, N, N), False, False, "system", False, "按签到/考勤自动记分"),
    ("orglife.absence", "无故缺席组织生活", "negative", D(-3), "次", D(1), (N, N, N, N), False, False, "system", False, "会议考勤记为无故缺席时自动扣分"),
    ("orglife.lecture_given", "讲授党课", "role", D(5), "次", D(1), (N, N, N, D(20)), True, False, "branch", False, "由支部委员记分，需附党课课件或记录"),
    # 学习教育: per item and per minutes, with daily caps (学习强国).
    ("learning.item", "完成学习内容", "learning", D("0.5"), "篇", D(1), (D(5), N, N, N), False, False, "system", False, "每完成一篇（部）计0.5分，每日最多5分"),
    ("learning.minutes", "学习时长", "learning", D(1), "分钟", D(5), (D(6), N, N, N), False, False, "system", False, "每学习5分钟计1分，每日最多6分"),
    ("learning.quiz", "在线测验", "learning", D(1), "分", D(20), (D(5), N, N, N), False, False, "system", False, "按测验成绩每20分计1分，每日最多5分"),
    ("learning.exam_pass", "考试合格", "learning", D(5), "次", D(1), (N, N, D(10), N), False, False, "system", False, "专题考试合格"),
    ("learning.offline", "参加集中培训", "learning", D(2), "天", D(1), (N, N, D(10), D(40)), True, True, "branch", True, "按培训天数计分，需附通知或结业证明"),
    # 党费
    ("dues.on_time", "按时足额交纳党费", "dues", D(2), "月", D(1), (N, N, D(2), N), False, False, "system", False, "当月按时交纳自动记分"),
    ("dues.late", "逾期交纳党费", "negative", D(-2), "月", D(1), (N, N, D(2), N), False, False, "system", False, "逾期交纳时自动扣分"),
    # 志愿服务
    ("volunteer.hours", "参加志愿服务", "volunteer", D(1), "小时", D(1), (D(8), N, D(20), N), True, True, "branch", True, "每小时计1分，每月最多20分，需附活动照片或组织方证明"),
    # 作用发挥
    ("role.commendation_high", "获县级及以上表彰", "role", D(10), "次", D(1), (N, N, N, D(30)), True, True, "branch", True, "需附表彰文件"),
    ("role.commendation_unit", "获本单位表彰", "role", D(5), "次", D(1), (N, N, N, D(20)), True, True, "branch", True, "需附表彰文件"),
    ("role.pioneer", "党员先锋岗、攻坚任务表现突出", "role", D(3), "次", D(1), (N, N, D(6), D(30)), True, True, "branch", True, "经支部认定"),
    ("role.suggestion", "合理化建议被采纳", "role", D(2), "条", D(1), (N, N, D(6), N), True, True, "branch", True, "需附采纳证明"),
    ("role.help", "结对帮扶、为群众办实事", "role", D(2), "次", D(1), (N, N, D(8), N), True, True, "branch", True, "需附活动记录"),
    # 负面扣分
    ("negative.violation", "违反工作纪律或规定（经查实）", "negative", D(-5), "次", D(1), (N, N, N, N), True, True, "branch", False, "支部认定并经审核后扣分"),
    ("negative.learning_cheat", "学习考试弄虚作假", "negative", D(-10), "次", D(1), (N, N, N, N), True, True, "branch", False, "查实后扣分，弄虚作假取得的学习积分逐条冲正"),
    ("negative.discipline", "受到党纪处分", "negative", D(-20), "次", D(1), (N, N, N, N), True, False, "superior", False, "由上级党组织根据处分决定记分"),
]
# fmt: on
CODES = frozenset(row[0] for row in DEFAULT_RULES)


def seed(Rule) -> int:
    """Insert the default catalogue rows that are missing (idempotent); returns how many were missing.

    One INSERT that skips rows already there, so two processes seeding at once (e.g. the lazy re-seed in
    selectors after a test flush, from several threads) neither fail nor see half a catalogue.
    """
    existing = set(Rule.objects.filter(org__isnull=True).values_list("code", flat=True))
    rows = [
        Rule(
            org=None,
            code=code,
            version=1,
            valid_from=VALID_FROM,
            name=name,
            category=category,
            points=points,
            unit=unit,
            unit_size=unit_size,
            cap_day=caps[0],
            cap_week=caps[1],
            cap_month=caps[2],
            cap_year=caps[3],
            needs_evidence=evidence,
            needs_approval=approval,
            awarder=awarder,
            self_report=self_report,
            description=desc,
        )
        for (
            code,
            name,
            category,
            points,
            unit,
            unit_size,
            caps,
            evidence,
            approval,
            awarder,
            self_report,
            desc,
        ) in DEFAULT_RULES
        if code not in existing
    ]
    if rows:
        Rule.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
