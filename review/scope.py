"""Whether a matter's decision needs legal review: the agency's catalogue (`review.scope`) applied
to the matter, and the gate that stops the decision until review has passed (000 第十四条)."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from enterprises.choices import PartyKind
from policy.selectors import agency_rules

# Triggers that a step itself is (查封、扣押 is the act of the `seal` step).
STEP_TRIGGERS = {"seal": ("seizure", "premises_sealing"), "cut_supply": ("supply_cut",)}
# Triggers that depend on an amount set by the pack (罚款 and 没收 of equal value).
AMOUNT_TRIGGERS = ("fine", "confiscation")


@dataclass(frozen=True)
class ScopeHit:
    code: str
    trigger: str
    text: str
    reason: str
    citation: str

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "trigger": self.trigger,
            "text": self.text,
            "reason": self.reason,
            "citation": self.citation,
        }


def _citation(rule) -> str:
    return rule.cited()


def fine_threshold(rules, party) -> tuple[Decimal | None, object | None]:
    """The pack's threshold for this party: a citizen's or an organisation's (000 第三条)."""
    key = (
        "review.fine_threshold_person"
        if party is not None and party.kind == PartyKind.NATURAL_PERSON
        else "review.fine_threshold_organisation"
    )
    if key not in rules:
        return None, None
    rule = rules.rule(key)
    return Decimal(str(rule.value)), rule


def _held_hearing(matter) -> bool:
    return matter.pk is not None and matter.steps.filter(transition="hold_hearing").exists()


def _entries(rules) -> list[tuple[dict, str]]:
    """The agency's catalogue (`review.scope`), then the situations the statute puts under review for every
    agency (`review.statutory_scope`, 行政处罚法第五十八条第一款) that the catalogue does not list: each
    entry with its citation."""
    entries = []
    for key in ("review.scope", "review.statutory_scope"):
        if key not in rules:
            continue
        rule = rules.rule(key)
        listed = {(entry["matter_kind"], entry["trigger"]) for entry, _ in entries}
        entries += [(entry, _citation(rule)) for entry in rule.value
                    if (entry["matter_kind"], entry["trigger"]) not in listed]
    return entries


def scope_for(matter, transition: str = "decide", *, on=None) -> list[ScopeHit]:
    """The catalogue entries of the agency's pack (and the statute's, where the catalogue is silent)
    that the matter's decision falls under."""
    rules = agency_rules(matter.agency, on or timezone.localdate())
    entries = _entries(rules)
    if not entries:
        return []
    measures = set(matter.measures or [])
    amount = matter.fine_amount
    threshold, threshold_rule = fine_threshold(rules, matter.party)
    confiscated = (matter.data or {}).get("confiscation_value")
    hits = []
    for entry, cite in entries:
        if entry["matter_kind"] != matter.kind:
            continue
        trigger, reason = entry["trigger"], None
        if trigger == "fine":
            if amount is not None and amount > 0 and threshold is None:
                # The catalogue names the fine without a figure (003 目录一4 较大数额罚款): until the agency
                # adopts one, every fine is in scope.
                reason = (
                    f"罚款{amount:.0f}元；审核目录列有“{entry['text']}”但未规定数额，本机关尚未确定标准，"
                    "所有罚款均须法制审核"
                )
            elif amount is not None and threshold is not None and Decimal(amount) >= threshold:
                reason = f"罚款{amount:.0f}元，达到{threshold:.0f}元的审核标准（{_citation(threshold_rule)}）"
        elif trigger == "confiscation":
            if "confiscation" in measures:
                if confiscated is None or threshold is None:
                    reason = "没收违法所得或非法财物，价值未登记，按须审核处理"
                elif Decimal(str(confiscated)) >= threshold:
                    reason = f"没收财物价值{confiscated}元，达到{threshold:.0f}元的审核标准"
        elif trigger == "hearing":
            if _held_hearing(matter):
                reason = "经过听证程序"
        elif trigger == "correction":
            if "correction" in measures:
                corrects = (matter.data or {}).get("corrects") or ""
                reason = f"纠正已发生法律效力的行政处罚决定{('（' + corrects + '）') if corrects else ''}"
        elif trigger == "benefit" and transition == "decide":
            reason = f"行政给付决定：{entry['text']}"  # the catalogue lists the kind of benefit itself
        elif trigger in STEP_TRIGGERS.get(transition, ()):
            reason = f"{entry['text']}"
        elif trigger in measures:
            reason = f"拟作出的决定包含：{entry['text']}"
        if reason:
            hits.append(ScopeHit(entry["code"], trigger, entry["text"], reason, cite))
    return hits


GATED = ("decide", "seal", "suspend", "cut_supply")


def gated_transition(matter) -> str:
    """The decision step the matter is heading for: its next gated step, else `decide`."""
    from matters.workflows import workflow_for

    available = {t.code for t in workflow_for(matter.kind, matter.procedure).available(matter.state)}
    return next((code for code in GATED if code in available), "decide")


def review_required(matter, transition: str = "decide") -> tuple[bool, list[ScopeHit]]:
    """In scope by the catalogue, or marked major by hand."""
    hits = scope_for(matter, transition)
    return bool(hits) or matter.major, hits


def gate(matter, transition: str) -> str | None:
    """The refusal of a decision that needs review which has not passed (000 第十二条、第十四条)."""
    from review.models import LegalReview

    required, hits = review_required(matter, transition)
    if not required:
        return None
    review = (
        LegalReview.objects.filter(matter=matter, transition=transition).order_by("-submitted_at", "-pk").first()
    )
    if review is not None and review.passed:
        return _collective_missing(matter, transition, review)
    why = "；".join(f"{h.text}（{h.reason}）" for h in hits) or f"已标记为重大案件：{matter.major_reason}"
    citation = hits[0].citation if hits else "行政处罚法 第五十八条"
    status = "尚未送法制审核" if review is None else f"法制审核{review.get_state_display()}"
    return (
        f"本案属于重大行政执法决定法制审核范围（{why}；依据：{citation}），{status}。"
        "法制审核未通过或者未经负责人同意、领导集体讨论通过的，不得作出决定（行政处罚法 第五十八条）。"
    )


def _collective_missing(matter, transition: str, review) -> str | None:
    """抚顺 审核第四条: after review the decision goes to the leaders' collective discussion; the
    leader's decision recorded as collective, or a 集体讨论 step after review, satisfies it."""
    rules = agency_rules(matter.agency, timezone.localdate())
    rule = rules.get("review.collective_discussion_after_review")
    if rule is None or not rule.value or review.leader_collective:
        return None
    passed_at = review.leader_at or review.submitted_at
    if matter.steps.filter(transition="discuss", occurred_at__gte=passed_at).exists():
        return None
    if review.leader_decision and review.leader_note and "leader" in rules.value(
        "review.disagreement_decided_by", default=[]
    ) and review.opinion.outcome != "agree":
        return None  # 第十二条（二）: the 局主要负责人 decided on the section's objection
    return (
        f"法制审核已通过，重大行政执法决定还须报局领导集体讨论审查后作出（{rule.cited('、')}）。"
        "请先办理“集体讨论”，或由局领导以集体讨论方式作出审核后的决定。"
    )


def gate_decide(matter) -> str | None:
    return gate(matter, "decide")


def gate_seal(matter) -> str | None:
    return gate(matter, "seal")


def gate_suspend(matter) -> str | None:
    return gate(matter, "suspend")


def gate_cut_supply(matter) -> str | None:
    return gate(matter, "cut_supply")
