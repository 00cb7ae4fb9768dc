"""Decisions reach publicity from the matters they are made in.

Registered on the matters' decision steps (matters/gates.py): the draft is written in the same
transaction as the decision, so a decision never exists without its publication draft and the
publication deadline (000 第二十一条) runs from the day it was made.
"""

from datetime import date

from django.utils import timezone

from matters.workflows import DECISION_STEPS
from policy.selectors import agency_rules
from publicity.choices import PublicationState
from publicity.models import Publication
from publicity.services import deadline_rule_key, publication_draft, publication_withdraw


def draft_decision(matter, step) -> None:
    if step.transition not in DECISION_STEPS.get(matter.kind, ()):
        return
    decided_on = timezone.localtime(step.occurred_at).date()
    if deadline_rule_key(matter.kind) not in agency_rules(matter.agency, decided_on):
        return  # the agency's pack sets no publicity system for this kind of decision
    instrument = step.instruments.exclude(number="").first()
    data = step.data or {}
    result = data.get("decision") or data.get("reason") or ""
    if matter.fine_amount:
        result = f"{result}（罚款{matter.fine_amount}元）" if result else f"罚款{matter.fine_amount}元"
    publication_draft(
        agency=matter.agency,
        category=matter.kind,
        decided_on=decided_on,
        instrument_number=instrument.number if instrument else "",
        cause=matter.title,  # internal: kept in the snapshot, never public
        summary="",  # written by staff for the public and reviewed before publication
        basis=data.get("basis") or matter.legal_basis,
        result=result or step.label,
        party=matter.party,
        source=f"matters.matter:{matter.pk}",
        acting_user=step.acted_by,
    )


def withdraw_revoked(matter, step) -> None:
    """A decision revoked, found unlawful or to be remade: its publication is taken down with a note in
    the revocation's own transaction (000 第十四条、第二十二条); a draft is withdrawn before it is shown."""
    data = step.data or {}
    reason = f"{data.get('reason', '')}（{data.get('document', '')}）"
    revoked_on = date.fromisoformat(data["revoked_on"]) if data.get("revoked_on") else None
    live = Publication.objects.filter(source=f"matters.matter:{matter.pk}").exclude(
        state__in=(PublicationState.WITHDRAWN, PublicationState.EXPIRED)
    )
    for publication in live.order_by("pk"):
        publication_withdraw(
            publication=publication, reason=reason, acting_user=step.acted_by, occurred_on=revoked_on
        )


def register() -> None:
    from matters import gates

    for code in sorted({c for steps in DECISION_STEPS.values() for c in steps}):
        gates.register_after(code, draft_decision)
    gates.register_after("revoke", withdraw_revoked)
