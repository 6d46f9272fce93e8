"""Writes to the points ledger: one function per use case, in a transaction.

`award` is the only way points are written. Other apps (meetings, dues, learning, volunteering) call it
with a source (type, id) that identifies the fact being scored, e.g. ("orglife.attendance", "<id>");
the database's unique key on (member, source_type, source_id) makes a repeated call return the
first entry instead of scoring twice, also when two requests race. Corrections are reversal entries.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone

from zhibu.core import access, audit, config
from zhibu.core.access import Perm
from zhibu.core.errors import ValidationError, fail
from zhibu.core.models import AuditAction
from zhibu.members.models import ON_ROLL, Member
from zhibu.points import rules, selectors
from zhibu.points.models import (
    Appeal,
    AppealStatus,
    Claim,
    ClaimKind,
    ClaimStatus,
    Entry,
    EntryKind,
    Rule,
    Snapshot,
    SnapshotRow,
)

SOURCE_MANUAL = "points.manual"
SOURCE_CLAIM = "points.claim"
SOURCE_REVERSAL = "points.reversal"
RULE_FIELDS = [
    "name",
    "category",
    "points",
    "unit",
    "unit_size",
    "cap_day",
    "cap_week",
    "cap_month",
    "cap_year",
    "needs_evidence",
    "needs_approval",
    "awarder",
    "self_report",
    "active",
    "description",
]


@dataclass(frozen=True)
class Awarded:
    entry: Entry
    created: bool  # False: this source had already scored; `entry` is the earlier one


def _decimal(value, field: str, label: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        fail(f"{label}应为数字", field)
    if not number.is_finite():
        fail(f"{label}应为数字", field)
    return number


def _lock_member(member: Member) -> Member:
    """Lock the member row: awards for one member are serialized, so caps hold under concurrency."""
    return Member.objects.select_for_update(of=("self",)).select_related("org").get(pk=member.pk)


def _used(member: Member, code: str, day: dt.date, caps: dict) -> dict[str, Decimal]:
    """Points the member already has under `code` in each capped period containing `day`."""
    used = {}
    for period, cap in caps.items():
        if cap is None:
            continue
        begin, stop = rules.local_range(*rules.period_bounds(period, day))
        used[period] = Entry.objects.filter(
            member=member, rule_code=code, occurred_at__gte=begin, occurred_at__lt=stop
        ).aggregate(s=Sum("points"))["s"] or Decimal(0)
    return used


def award(
    member: Member,
    rule_code: str,
    *,
    source_type: str,
    source_id,
    occurred_at: dt.datetime,
    actor=None,
    reason: str = "",
    evidence: str = "",
    quantity=1,
    source_label: str = "",
    approved_by=None,
) -> Awarded:
    """Award (or deduct, for a negative rule) points for one fact, at most once per source.

    The rule version is the one in effect for the member's branch on the (local) day of `occurred_at`;
    caps of that version apply, and an entry past a cap is written with 0 points and the reason.
    No permission check: callers are services that checked their own (None = the system).
    """
    if not source_type or source_id in (None, ""):
        fail("缺少积分来源")
    source_id = str(source_id)
    if timezone.is_naive(occurred_at):
        fail("发生时间须带时区", "occurred_at")
    quantity = _decimal(quantity, "quantity", "数量")
    if quantity <= 0:
        fail("数量应大于0", "quantity")
    with transaction.atomic():
        member = _lock_member(member)
        existing = Entry.objects.filter(member=member, source_type=source_type, source_id=source_id).first()
        if existing is not None:
            return Awarded(existing, False)
        if member.status not in ON_ROLL:
            fail(f"{member.name}当前状态为{member.get_status_display()}，不能记分", "member")
        day = rules.local_day(occurred_at)
        rule = selectors.resolve_rule(member.org, rule_code, day)
        if rule is None:
            fail(f"积分规则“{rule_code}”不存在或在{day}未启用", "rule")
        if rule.needs_evidence and not (evidence or "").strip():
            fail(f"“{rule.name}”需要佐证材料", "evidence")
        base = rules.base_points(rule.points, quantity, rule.unit_size)
        caps = {"day": rule.cap_day, "week": rule.cap_week, "month": rule.cap_month, "year": rule.cap_year}
        capped = rules.apply_caps(base, _used(member, rule.code, day, caps), caps)
        note = capped.note
        if base == 0:
            note = f"不足1{rule.unit}计分单位（每{rule.unit_size.normalize():f}{rule.unit}计分），本次不计分"
        try:
            with transaction.atomic():
                entry = Entry.objects.create(
                    member=member,
                    org=member.org,
                    rule=rule,
                    rule_code=rule.code,
                    category=rule.category,
                    quantity=quantity,
                    base_points=base,
                    points=capped.points,
                    capped_note=note,
                    occurred_at=occurred_at,
                    source_type=source_type,
                    source_id=source_id,
                    source_label=(source_label or "")[:200],
                    reason=(reason or "")[:300],
                    evidence=(evidence or "")[:500],
                    awarded_by=actor if getattr(actor, "is_authenticated", False) else None,
                    approved_by=approved_by,
                )
        except IntegrityError:
            # Another transaction scored this source first (possible where the member lock is not
            # exclusive, e.g. an outer transaction on another connection): return its entry.
            existing = Entry.objects.filter(
                member=member, source_type=source_type, source_id=source_id
            ).first()
            if existing is None:
                raise
            return Awarded(existing, False)
    return Awarded(entry, True)


def _check_occurrence(org, occurred_at: dt.datetime) -> None:
    window = config.get(org, "points.claim_window_days")
    problem = rules.occurrence_problem(occurred_at, timezone.now(), window)
    if problem:
        fail(problem, "occurred_at")


def _role_depth(user, org) -> int | None:
    """The depth of the shallowest org above (or at) `org` where `user` holds points.manage."""
    depths = [
        len(path) // org.steplen
        for path in access.roots(user, Perm.POINTS_MANAGE)
        if org.path.startswith(path)
    ]
    return min(depths) if depths else None


def _require_superior(actor, member: Member, rule: Rule, what: str) -> None:
    """A rule only a superior org awards is also approved and reversed only from above the branch."""
    if not rules.may_award_manually("superior", _role_depth(actor, member.org), member.org.depth):
        fail(f"“{rule.name}”由上级党组织记分，只能由上级党组织{what}")


def _manual_rule(actor, member: Member, rule_code: str, day: dt.date) -> Rule:
    rule = selectors.resolve_rule(member.org, rule_code, day)
    if rule is None:
        fail("该积分规则不存在或未启用", "rule")
    if actor is not None:
        depth = _role_depth(actor, member.org)
        if not rules.may_award_manually(rule.awarder, depth, member.org.depth):
            if rule.awarder == "system":
                fail(f"“{rule.name}”由系统根据业务记录自动记分，不能手工录入", "rule")
            fail(f"“{rule.name}”只能由上级党组织记分", "rule")
    return rule


def award_manually(
    actor,
    member: Member,
    rule_code: str,
    *,
    occurred_at: dt.datetime,
    reason: str,
    request_key: str,
    evidence: str = "",
    quantity=1,
    evidence_file=None,
) -> Awarded | Claim:
    """An officer awards or deducts by hand (needs points.manage over the member's branch).

    Rules that need approval go to the queue as a Claim (another officer decides); others score at
    once with the form's `request_key` as the source, so a double click scores once.
    """
    access.require(actor, Perm.POINTS_MANAGE, member.org)
    if not (reason or "").strip():
        fail("请填写记分事由", "reason")
    if not request_key:
        fail("缺少请求标识，请刷新页面后重试")
    if member.status not in ON_ROLL:
        fail(f"{member.name}当前状态为{member.get_status_display()}，不能记分", "member")
    _check_occurrence(member.org, occurred_at)
    rule = _manual_rule(actor, member, rule_code, rules.local_day(occurred_at))
    if rule.needs_evidence and not ((evidence or "").strip() or evidence_file):
        fail(f"“{rule.name}”需要佐证材料", "evidence")
    _check_quantity(rule, quantity)
    if rule.needs_approval:
        return _submit_claim(
            actor,
            member,
            rule,
            ClaimKind.MANUAL,
            occurred_at,
            reason,
            evidence,
            quantity,
            request_key,
            evidence_file,
        )
    if (
        evidence_file
        and not Entry.objects.filter(member=member, source_type=SOURCE_MANUAL, source_id=request_key).exists()
    ):
        # An entry has no file of its own: the file is stored as a claim's would be, and named in the
        # entry's evidence (as approve_claim does for a claim's file).
        stored = default_storage.save(
            timezone.localdate().strftime("points/%Y/%m/") + evidence_file.name, evidence_file
        )
        evidence = f"{evidence.strip()}（附件：{stored}）" if (evidence or "").strip() else stored
    with transaction.atomic():
        result = award(
            member,
            rule.code,
            source_type=SOURCE_MANUAL,
            source_id=request_key,
            occurred_at=occurred_at,
            actor=actor,
            reason=reason,
            evidence=evidence,
            quantity=quantity,
            source_label="手工记分",
        )
        if result.created:
            e = result.entry
            audit.record(
                actor,
                AuditAction.CREATE,
                e,
                org_id=member.org_id,
                summary=f"手工记分：{member.name} {rule.name} {e.points:+}分（{reason[:60]}）",
                after={"rule": rule.code, "points": str(e.points), "occurred_at": e.occurred_at.isoformat()},
            )
    return result


def _check_quantity(rule: Rule, quantity) -> Decimal:
    """A quantity someone typed: a positive number of at least one scoring unit."""
    quantity = _decimal(quantity, "quantity", "数量")
    if quantity <= 0:
        fail("数量应大于0", "quantity")
    if rules.base_points(rule.points, quantity, rule.unit_size) == 0:
        fail(f"数量不足1个计分单位（每{rule.unit_size.normalize():f}{rule.unit}计分）", "quantity")
    return quantity


def _submit_claim(
    actor, member, rule, kind, occurred_at, reason, evidence, quantity, request_key, evidence_file
) -> Claim:
    quantity = _check_quantity(rule, quantity)
    existing = Claim.objects.filter(request_key=request_key).first()
    if existing is not None:
        if existing.member_id != member.pk:
            fail("请求标识重复，请刷新页面后重试")
        return existing
    try:
        with transaction.atomic():
            claim = Claim.objects.create(
                kind=kind,
                member=member,
                org=member.org,
                rule=rule,
                quantity=quantity,
                occurred_at=occurred_at,
                reason=reason[:300],
                evidence=(evidence or "")[:500],
                evidence_file=evidence_file or "",
                request_key=request_key[:64],
                submitted_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            audit.record(
                actor,
                AuditAction.CREATE,
                claim,
                org_id=member.org_id,
                summary=f"{claim.get_kind_display()}待审核：{member.name} {rule.name}（{reason[:60]}）",
            )
    except IntegrityError:
        existing = Claim.objects.filter(request_key=request_key).first()
        if existing is None:
            raise
        return existing
    return claim


def self_report(
    user,
    rule_code: str,
    *,
    occurred_at: dt.datetime,
    reason: str,
    request_key: str,
    evidence: str = "",
    quantity=1,
    evidence_file=None,
) -> Claim:
    """A member reports something they did (申报); it waits for the branch officers' approval."""
    member = selectors.own_member(user)
    if member is None:
        fail("您的账户未关联党员档案，不能申报积分")
    if member.status not in ON_ROLL:
        fail("当前党籍状态不能申报积分")
    if not (reason or "").strip():
        fail("请填写申报事由", "reason")
    if not request_key:
        fail("缺少请求标识，请刷新页面后重试")
    _check_occurrence(member.org, occurred_at)
    rule = selectors.resolve_rule(member.org, rule_code, rules.local_day(occurred_at))
    if rule is None or not rule.self_report:
        fail("该积分项目不能由党员申报", "rule")
    if rule.needs_evidence and not ((evidence or "").strip() or evidence_file):
        fail(f"“{rule.name}”需要佐证材料（说明或附件）", "evidence")
    return _submit_claim(
        user,
        member,
        rule,
        ClaimKind.SELF_REPORT,
        occurred_at,
        reason,
        evidence,
        quantity,
        request_key,
        evidence_file,
    )


def _lock_claim(claim: Claim) -> Claim:
    return (
        Claim.objects.select_for_update(of=("self",)).select_related("member", "org", "rule").get(pk=claim.pk)
    )


def approve_claim(actor, claim: Claim, note: str = "") -> Entry:
    """Approve a pending claim: it scores through `award` with the claim as its source. Audited.

    The officer who submitted a manual award cannot approve it (two people decide).
    """
    access.require(actor, Perm.POINTS_MANAGE, claim.org)
    with transaction.atomic():
        claim = _lock_claim(claim)
        if claim.status != ClaimStatus.PENDING:
            fail(f"该申报{claim.get_status_display()}，不能重复审核")
        if actor is not None and claim.submitted_by_id == actor.pk:
            fail("不能审核自己提交的记分，请由其他支委审核")
        if actor is not None and claim.member.user_id == actor.pk:
            fail("不能审核本人的积分申报")
        if actor is not None and claim.rule.awarder == "superior":
            _require_superior(actor, claim.member, claim.rule, "审核")
        result = award(
            claim.member,
            claim.rule.code,
            source_type=SOURCE_CLAIM,
            source_id=claim.pk,
            occurred_at=claim.occurred_at,
            actor=claim.submitted_by,
            reason=claim.reason,
            evidence=claim.evidence or (claim.evidence_file.name if claim.evidence_file else ""),
            quantity=claim.quantity,
            source_label=claim.get_kind_display(),
            approved_by=actor,
        )
        Claim.objects.filter(pk=claim.pk).update(
            status=ClaimStatus.APPROVED,
            decided_by=actor,
            decided_at=timezone.now(),
            decision_note=(note or "")[:300],
            entry=result.entry,
        )
        audit.record(
            actor,
            AuditAction.UPDATE,
            claim,
            org_id=claim.org_id,
            summary=f"审核通过：{claim.member.name} {claim.rule.name} {result.entry.points:+}分",
            before={"status": ClaimStatus.PENDING},
            after={"status": ClaimStatus.APPROVED, "entry": result.entry.pk},
        )
    return result.entry


def reject_claim(actor, claim: Claim, note: str) -> Claim:
    """Reject a pending claim with a reason the member sees. Audited."""
    access.require(actor, Perm.POINTS_MANAGE, claim.org)
    if not (note or "").strip():
        fail("请填写不予通过的理由", "note")
    with transaction.atomic():
        claim = _lock_claim(claim)
        if claim.status != ClaimStatus.PENDING:
            fail(f"该申报{claim.get_status_display()}，不能重复审核")
        claim.status = ClaimStatus.REJECTED
        claim.decided_by = actor
        claim.decided_at = timezone.now()
        claim.decision_note = note[:300]
        claim.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit.record(
            actor,
            AuditAction.UPDATE,
            claim,
            org_id=claim.org_id,
            summary=f"审核未通过：{claim.member.name} {claim.rule.name}（{note[:60]}）",
            before={"status": ClaimStatus.PENDING},
            after={"status": ClaimStatus.REJECTED},
        )
    return claim


def withdraw_claim(user, claim: Claim) -> Claim:
    """The submitter withdraws a claim that is still pending."""
    with transaction.atomic():
        claim = _lock_claim(claim)
        if claim.submitted_by_id != user.pk:
            fail("只能撤回自己提交的申报")
        if claim.status != ClaimStatus.PENDING:
            fail(f"该申报{claim.get_status_display()}，不能撤回")
        claim.status = ClaimStatus.WITHDRAWN
        claim.decided_at = timezone.now()
        claim.save(update_fields=["status", "decided_at"])
        audit.record(user, AuditAction.UPDATE, claim, org_id=claim.org_id, summary="撤回积分申报")
    return claim


def reverse_entry(actor, entry: Entry, reason: str) -> Entry:
    """Correct an entry by a reversal entry of the opposite points, in the same period (so balances and
    caps of that period are corrected) and linked to it. An entry is reversed at most once. Audited."""
    access.require(actor, Perm.POINTS_MANAGE, entry.member.org)
    if not (reason or "").strip():
        fail("请填写冲正理由", "reason")
    if entry.kind == EntryKind.REVERSAL:
        fail("冲正记录不能再冲正；如需恢复，请重新记分")
    if actor is not None and entry.rule.awarder == "superior":
        _require_superior(actor, entry.member, entry.rule, "冲正")
    with transaction.atomic():
        _lock_member(entry.member)
        if Entry.objects.filter(reverses=entry).exists():
            fail("该记录已冲正")
        reversal = Entry.objects.create(
            member=entry.member,
            org=entry.member.org,
            rule=entry.rule,
            rule_code=entry.rule_code,
            category=entry.category,
            kind=EntryKind.REVERSAL,
            quantity=entry.quantity,
            base_points=-entry.base_points,
            points=-entry.points,
            occurred_at=entry.occurred_at,
            source_type=SOURCE_REVERSAL,
            source_id=str(entry.pk),
            source_label=f"冲正第{entry.pk}号记录",
            reason=reason[:300],
            reverses=entry,
            awarded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit.record(
            actor,
            AuditAction.CREATE,
            reversal,
            org_id=entry.member.org_id,
            summary=f"积分冲正：{entry.member.name} {entry.rule.name} {reversal.points:+}分（{reason[:60]}）",
            before={"entry": entry.pk, "points": str(entry.points)},
            after={"reversal": reversal.pk, "points": str(reversal.points)},
        )
    return reversal


def clear_points(
    actor, member: Member, start: dt.date, end: dt.date, category: str, reason: str
) -> list[Entry]:
    """Clear a member's points of one category for local days [start, end] (学习作弊清分): every award
    entry not yet reversed gets its reversal, in one transaction; returns the reversals. Source:
    domain-rules §8 (学习强国: cheating clears the points gained). Points nothing else: a deduction for the
    cheating itself is a separate award under its own rule (negative.learning_cheat)."""
    from zhibu.points.models import Category

    access.require(actor, Perm.POINTS_MANAGE, member.org)
    if category not in Category.values or category == Category.NEGATIVE:
        fail("请选择要清除的积分类别", "category")
    if start is None or end is None or end < start:
        fail("请填写有效的起止日期", "end")
    if not (reason or "").strip():
        fail("请填写清除理由", "reason")
    begin, stop = rules.local_range(start, end)
    with transaction.atomic():
        _lock_member(member)
        entries = list(
            Entry.objects.filter(
                member=member,
                category=category,
                kind=EntryKind.AWARD,
                reversed_by__isnull=True,
                occurred_at__gte=begin,
                occurred_at__lt=stop,
            )
            .exclude(points=0)
            .select_related("member__org", "rule")
            .order_by("occurred_at", "id")
        )
        if not entries:
            fail("该期间没有可清除的积分")
        return [reverse_entry(actor, entry, f"清除积分：{reason}") for entry in entries]


def file_appeal(user, entry: Entry, reason: str) -> Appeal:
    """A member disputes one of their own entries; one open appeal per entry."""
    if entry.member.user_id is None or entry.member.user_id != user.pk:
        fail("只能对本人的积分记录提出申诉")
    if not (reason or "").strip():
        fail("请填写申诉理由", "reason")
    if entry.kind == EntryKind.REVERSAL:
        fail("冲正记录不能申诉")
    if Entry.objects.filter(reverses=entry).exists():
        fail("该记录已冲正，无需申诉")
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(
                entry=entry, member=entry.member, org=entry.member.org, reason=reason[:500], submitted_by=user
            )
            audit.record(
                user,
                AuditAction.CREATE,
                appeal,
                org_id=appeal.org_id,
                summary=f"积分申诉：{entry.rule.name} {entry.points:+}分",
            )
    except IntegrityError:
        fail("该记录已有待处理的申诉")
    return appeal


def _appeal_closed(appeal: Appeal) -> str:
    if appeal.status == AppealStatus.WITHDRAWN:
        return "该申诉已撤回"
    return f"该申诉已处理（{appeal.get_status_display()}）"


def resolve_appeal(actor, appeal: Appeal, decision: str, resolution: str) -> Appeal:
    """Uphold the entry, or reverse it; the member sees the resolution. Audited."""
    access.require(actor, Perm.POINTS_MANAGE, appeal.org)
    if decision not in ("uphold", "reverse"):
        fail("请选择处理结果", "decision")
    if not (resolution or "").strip():
        fail("请填写处理意见", "resolution")
    with transaction.atomic():
        appeal = (
            Appeal.objects.select_for_update(of=("self",)).select_related("entry", "member").get(pk=appeal.pk)
        )
        if appeal.status != AppealStatus.OPEN:
            fail(_appeal_closed(appeal))
        if actor is not None and appeal.member.user_id == actor.pk:
            fail("不能处理本人的积分申诉，请由其他支委处理")
        if decision == "reverse":
            reverse_entry(actor, appeal.entry, f"申诉成立：{resolution}")
        appeal.status = AppealStatus.REVERSED if decision == "reverse" else AppealStatus.UPHELD
        appeal.resolved_by = actor
        appeal.resolved_at = timezone.now()
        appeal.resolution = resolution[:300]
        appeal.save(update_fields=["status", "resolved_by", "resolved_at", "resolution"])
        audit.record(
            actor,
            AuditAction.UPDATE,
            appeal,
            org_id=appeal.org_id,
            summary=f"申诉处理：{appeal.get_status_display()}（{resolution[:60]}）",
            before={"status": AppealStatus.OPEN},
            after={"status": appeal.status},
        )
    return appeal


def withdraw_appeal(user, appeal: Appeal) -> Appeal:
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update(of=("self",)).get(pk=appeal.pk)
        if appeal.submitted_by_id != user.pk:
            fail("只能撤回自己的申诉")
        if appeal.status != AppealStatus.OPEN:
            fail(_appeal_closed(appeal))
        appeal.status = AppealStatus.WITHDRAWN
        appeal.resolved_at = timezone.now()
        appeal.save(update_fields=["status", "resolved_at"])
        audit.record(user, AuditAction.UPDATE, appeal, org_id=appeal.org_id, summary="撤回积分申诉")
    return appeal


def save_rule(actor, org, code: str, data: dict, valid_from: dt.date) -> Rule:
    """A new version of a catalogue rule at `org` (applies there and below from `valid_from`).

    `data` holds RULE_FIELDS (missing ones are taken from the version currently in effect). A new code
    is a rule of the org's own. Earlier versions stay, so old entries still explain themselves. Audited.
    Officers set versions from today on (a change never rewrites history); the system (actor None:
    demo, data migration of an existing 积分管理办法) may record a version that started earlier.
    """
    access.require(actor, Perm.POINTS_RULES, org)
    if org.org_type == "group":
        # Members' rules resolve through their branch: a version set on a 党小组 would never apply.
        fail("党小组执行所在支部的积分规则，请在支部或上级党组织设置")
    code = (code or "").strip()
    if not code or len(code) > 40 or not all(c.isalnum() or c in "._-" for c in code) or not code.isascii():
        fail("规则代码只能由字母、数字、点、下划线组成，不超过40个字符", "code")
    if valid_from is None:
        fail("请填写生效日期", "valid_from")
    if actor is not None and valid_from < timezone.localdate():
        fail("生效日期不能早于今天：规则修改不改写历史记分", "valid_from")
    current = selectors._effective_rows(org, valid_from, code).get(code)
    values = {f: getattr(current, f) for f in RULE_FIELDS} if current else {}
    values.update({k: v for k, v in data.items() if k in RULE_FIELDS})
    errors: dict[str, list[str]] = {}
    if not (values.get("name") or "").strip():
        errors["name"] = ["请填写名称"]
    from zhibu.points.models import Awarder, Category

    if values.get("category") not in Category.values:
        errors["category"] = ["请选择类别"]
    if values.get("awarder", "branch") not in Awarder.values:
        errors["awarder"] = ["请选择记分权限"]
    for field, label in (("points", "分值"), ("unit_size", "每计分单位数量")):
        try:
            values[field] = Decimal(str(values.get(field, 1 if field == "unit_size" else "")))
        except (InvalidOperation, ValueError):
            errors[field] = [f"{label}应为数字"]
    caps = {}
    for period in rules.CAP_PERIODS:
        raw = values.get(f"cap_{period}")
        try:
            caps[period] = None if raw in (None, "") else Decimal(str(raw))
        except (InvalidOperation, ValueError):
            errors[f"cap_{period}"] = ["上限应为数字"]
        values[f"cap_{period}"] = caps.get(period)
    if not errors:
        for field, message in rules.rule_problems(
            points=values["points"],
            unit_size=values["unit_size"],
            caps=caps,
            self_report=bool(values.get("self_report")),
            needs_approval=bool(values.get("needs_approval")),
            awarder=values.get("awarder", "branch"),
        ).items():
            errors[field] = [message]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # Versions count up along the org's path (the default, a committee's, then the branch's own), so
        # "v2" never names two different rules a member of this org could have scored under.
        last = (
            Rule.objects.filter(code=code)
            .filter(Q(org__isnull=True) | Q(org__path__in=selectors._paths(org)))
            .aggregate(v=Max("version"))["v"]
            or 0
        )
        try:
            with transaction.atomic():
                rule = Rule.objects.create(
                    org=org,
                    code=code,
                    version=last + 1,
                    valid_from=valid_from,
                    created_by=actor if getattr(actor, "is_authenticated", False) else None,
                    **{f: values[f] for f in RULE_FIELDS if f in values},
                )
        except IntegrityError:
            fail("该规则刚被他人修改，请刷新后重试")
        audit.record(
            actor,
            AuditAction.CREATE if current is None else AuditAction.UPDATE,
            rule,
            org_id=org.pk,
            summary=f"积分规则{'新增' if current is None else '修改'}：{rule.name}（{valid_from}起）",
            before=audit.snapshot(current, RULE_FIELDS) if current else None,
            after=audit.snapshot(rule, RULE_FIELDS),
        )
    return rule


def publish_snapshot(
    actor, org, period_kind: str, start: dt.date, end: dt.date, title: str = "", note: str = ""
):
    """Publish a ranking (积分通报) of `org` for a closed period; immutable afterwards. Needs the org's
    publication switch on (off by default, domain-rules §8) and points.manage there. Audited."""
    access.require(actor, Perm.POINTS_MANAGE, org)
    if not selectors.publish_enabled(org):
        fail("本组织未开启积分通报；如需开启，请在“规则配置”中设置“允许发布积分通报”")
    if period_kind not in rules.PERIOD_KINDS:
        fail("请选择周期", "period_kind")
    if start is None or end is None or end < start:
        fail("请填写有效的起止日期", "end")
    if period_kind != "custom" and rules.period_bounds(period_kind, start) != (start, end):
        # The title and the members' reading of it ("2026年第1季度") must match the dates ranked.
        fail(f"起止日期与所选周期（{rules.PERIOD_KINDS[period_kind]}）不一致", "start")
    if end >= timezone.localdate():
        fail("只能发布已结束周期的积分通报", "end")
    title = (title or "").strip() or f"{org.name}{rules.period_label(period_kind, start, end)}积分通报"
    ranked = list(
        selectors.ranked_members(org, start, end).values_list("pk", "name", "org__name", "rank", "total")
    )
    try:
        with transaction.atomic():
            snap = Snapshot.objects.create(
                org=org,
                title=title[:100],
                period_kind=period_kind,
                start=start,
                end=end,
                member_count=len(ranked),
                note=(note or "")[:300],
                published_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            SnapshotRow.objects.bulk_create(
                SnapshotRow(snapshot=snap, member_id=pk, name=name, org_name=org_name, rank=rank, total=total)
                for pk, name, org_name, rank, total in ranked
            )
            audit.record(
                actor, AuditAction.CREATE, snap, org_id=org.pk, summary=f"发布积分通报：{title[:80]}"
            )
    except IntegrityError:
        fail("该组织这一周期的积分通报已发布，发布后不能修改或重复发布")
    return snap
