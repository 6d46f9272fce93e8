"""The default rule set: 《中国共产党发展党员工作细则》(2014), five stages and 25 steps (domain-rules §4).

Used by the data migration that seeds it; a revised regulation is added as a new RuleSet, never by
editing these rows.
"""

SOURCE = "《中国共产党发展党员工作细则》（中办发〔2014〕29号）"

PARAMS = {
    "min_age": 18,  # 细则 第五条
    "talk_within_months": 1,  # 细则 第八条
    "activist_min_years": 1,  # 细则 第十四条
    "assessment_interval_months": 6,  # 细则 第十三条
    "training_min_days": 3,  # 细则 第十八条
    "training_min_hours": 24,  # 细则 第十八条
    "approval_months": 3,  # 细则 第二十九条
    "approval_max_months": 6,  # 细则 第二十九条（特殊情况）
    "probation_years": 1,  # 细则 第三十二条 / 党章 第七条
    "extension_min_months": 6,  # 党章 第七条
    "extension_max_months": 12,
    "extension_max_times": 1,
    "conversion_approval_months": 3,  # 细则 第三十五条
    "sponsors_required": 2,  # 细则 第十六条
    "mentors_min": 1,  # 细则 第十二条
    "mentors_max": 2,
    "strict_majority": True,  # 党章 / 细则 第二十六条: 赞成票超过应到会有表决权正式党员的半数
}

# (number, stage, code, name, documents, actor, source article)
STEPS = [
    (1, 1, "application", "递交入党申请书", ["入党申请书"], "branch", "细则 第七条"),
    (2, 1, "talk", "派人谈话", ["谈话记录"], "branch", "细则 第八条"),
    (3, 2, "activist", "推荐和确定入党积极分子", ["推荐材料", "支委会会议记录"], "branch", "细则 第九、十条"),
    (4, 2, "activist_filed", "报上级党委备案", ["入党积极分子备案表"], "superior", "细则 第十一条"),
    (5, 2, "mentors", "指定培养联系人", [], "branch", "细则 第十二条"),
    (6, 2, "activist_training", "培养教育考察", ["培养教育考察登记表"], "branch", "细则 第十三条"),
    (7, 3, "candidate", "确定发展对象", ["支委会会议记录", "公示材料"], "branch", "细则 第十四条"),
    (8, 3, "candidate_filed", "报上级党委备案", ["发展对象备案表"], "superior", "细则 第十五条"),
    (9, 3, "sponsors", "确定入党介绍人", [], "branch", "细则 第十六条"),
    (10, 3, "political_review", "进行政治审查", ["政治审查综合材料"], "branch", "细则 第十七条"),
    (11, 3, "training", "开展集中培训", ["培训结业证书"], "branch", "细则 第十八条"),
    (12, 4, "committee_review", "支部委员会审查", ["支委会会议记录"], "branch", "细则 第十九条"),
    (13, 4, "prereview", "上级党委预审", ["预审意见"], "superior", "细则 第二十条"),
    (14, 4, "application_form", "填写入党志愿书", ["入党志愿书"], "branch", "细则 第二十一条"),
    (
        15,
        4,
        "admission_vote",
        "支部党员大会讨论",
        ["支部党员大会会议记录", "支部决议"],
        "branch",
        "细则 第二十二至二十四条",
    ),
    (16, 4, "superior_talk", "上级党委派人谈话", ["谈话记录"], "superior", "细则 第二十七条"),
    (17, 4, "approval", "上级党委审批", ["审批意见"], "superior", "细则 第二十八、二十九条"),
    (18, 4, "admission_filed", "再上一级党委组织部门备案", [], "superior", "细则 第三十条"),
    (19, 5, "assigned", "编入党支部和党小组", [], "branch", "细则 第三十一条"),
    (20, 5, "oath", "入党宣誓", [], "branch", "细则 第三十二条"),
    (21, 5, "probation_training", "继续教育考察", ["预备党员考察登记表"], "branch", "细则 第三十三条"),
    (22, 5, "conversion_application", "提出转正申请", ["转正申请书"], "branch", "细则 第三十四条"),
    (23, 5, "conversion_vote", "支部党员大会讨论", ["支部党员大会会议记录"], "branch", "细则 第三十四条"),
    (24, 5, "conversion_approval", "上级党委审批", ["审批意见"], "superior", "细则 第三十五条"),
    (
        25,
        5,
        "archived",
        "材料归档",
        ["入党志愿书", "转正申请书", "政治审查材料"],
        "branch",
        "细则 第三十七条",
    ),
]


def seed(RuleSet, StepDef) -> None:
    """Create the 2014 rule set (idempotent); takes the model classes so migrations can call it."""
    import datetime as dt

    rule_set, created = RuleSet.objects.get_or_create(
        code="cpc-2014",
        defaults={
            "name": "发展党员工作细则（2014）",
            "source": SOURCE,
            "effective_from": dt.date(2014, 6, 10),
            "params": PARAMS,
            "is_current": True,
        },
    )
    if created:
        StepDef.objects.bulk_create(
            StepDef(
                rule_set=rule_set,
                number=n,
                stage=stage,
                code=code,
                name=name,
                documents=docs,
                actor=actor,
                source=src,
            )
            for n, stage, code, name, docs, actor, src in STEPS
        )
