"""The agency's access rules, read from its policy pack (keys access.*), and the one place that
decides whether a record counts as archived."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone

from access.choices import INTERNAL_BORROW, STAFF_KINDS, Action, RequesterKind
from policy.selectors import agency_rules

NO_APPROVAL = "none"


@dataclass(frozen=True)
class AccessRule:
    """One row of the pack's access.approval table, with the rule's citation."""

    approver: str
    documents: tuple[str, ...]
    note: str
    citation: str


def rules_of(agency):
    return agency_rules(agency, timezone.localdate())


def approval_rule(agency, requester_kind: str, action: str) -> AccessRule:
    """The pack's row for this requester and action. Raises ValidationError (in Chinese, naming
    what the pack does allow) when the pack has none: what the regulation does not provide for is
    refused, e.g. 外借 by anyone but staff (003 附件4 第七条)."""
    rules = rules_of(agency)
    rule = rules.get("access.approval")
    row_kind = (
        INTERNAL_BORROW if action == Action.BORROW and requester_kind in STAFF_KINDS else requester_kind
    )
    rows = list(rule.value) if rule else []
    for row in rows:
        if row["requester"] == row_kind and row["action"] == action:
            return AccessRule(
                approver=row["approver"],
                documents=tuple(row.get("documents") or ()),
                note=row.get("note", ""),
                citation=rule.cited(),
            )
    allowed = [
        Action(r["action"]).label for r in rows if r["requester"] == row_kind and r["action"] in Action.values
    ]
    who = RequesterKind(requester_kind).label
    where = f"《{rule.cited()}》" if rule else f"本单位政策包“{rules.pack.title}”"
    if allowed:
        raise ValidationError(
            f"{where}未规定{who}可以{Action(action).label}；{who}可以申请：{'、'.join(dict.fromkeys(allowed))}。"
        )
    raise ValidationError(
        f"{where}未规定{who}申请{Action(action).label}记录的程序，不能受理；"
        "如确有需要，请由承办科室报局领导研究，或由政策法规科补充本单位的调阅规定。"
    )


def value(agency, key: str, default=None):
    return rules_of(agency).value(key, default)


def citation(agency, key: str) -> str:
    rule = rules_of(agency).get(key)
    return rule.cited() if rule else ""


def is_archived(record) -> bool:
    """Whether a record is archived: filed in a sealed case-file volume. The archive app decides
    (access reads what the archive keeps, so it sits above it and may ask it)."""
    from archive.selectors import archived_record_ids

    return record.pk in archived_record_ids([record.pk])


def is_conclusive(record, types) -> bool:
    """Whether the record is the file of a conclusive 文书 (e.g. the 行政处罚决定书)."""
    from django.db.models import Q

    from matters.models import Instrument

    return Instrument.objects.filter(Q(pdf=record) | Q(docx=record), type__in=list(types)).exists()
