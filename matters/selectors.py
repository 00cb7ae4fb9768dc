"""Reads of matters: who may see which, a matter's timeline and deadlines, the officer's workbench."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from ledger.refusals import object_visible, refusal_record
from ledger.services import event_record
from matters import gates
from matters.models import Instrument, Matter, Service, Step
from matters.workflows import DEADLINES, workflow_for
from org.choices import Role
from org.permissions import require
from policy.models import Deadline
from policy.selectors import agency_rules
from records.choices import Confidentiality
from utilities.memo import per_request

# Those who see every matter of the agency: they approve, review, archive or administer them.
WIDE_READERS = (Role.LEADER, Role.LEGAL_REVIEWER, Role.ARCHIVIST, Role.ADMIN)


def _visible(viewer) -> Q:
    """Matters of the viewer's agency the viewer may open.

    Officers and chiefs see their own section's matters and those they handle; leaders, legal
    reviewers and archivists the agency's. 涉密 matters only the leader and their officers.
    """
    mine = Q(officers=viewer) | Q(opened_by=viewer)
    wide = viewer.has_role(*WIDE_READERS)
    normal = Q(pk__isnull=False) if wide else (Q(section_id=viewer.section_id) | mine)
    secret = Q(pk__isnull=False) if viewer.has_role(Role.LEADER) else mine
    return Q(agency_id=viewer.agency_id) & (
        (~Q(confidentiality=Confidentiality.SECRET) & normal) | (Q(confidentiality=Confidentiality.SECRET) & secret)
    )


def matter_list(*, viewer, kind: str = "", state: str = "", query: str = "") -> QuerySet[Matter]:
    require(viewer, "matters.view")
    qs = Matter.objects.filter(_visible(viewer)).distinct()
    if kind:
        qs = qs.filter(kind=kind)
    if state == "open":
        qs = qs.filter(closed_at__isnull=True)
    elif state:
        qs = qs.filter(state=state)
    if query:
        qs = qs.filter(Q(title__icontains=query) | Q(party__name__icontains=query))
    return qs.select_related("party", "section").prefetch_related("officers")


def matter_visible(*, viewer, matter: Matter) -> bool:
    return Matter.objects.filter(_visible(viewer), pk=matter.pk).exists()


def refusal_message(matter: Matter) -> str:
    """Why a matter is refused, and who can act on it instead."""
    if matter.confidentiality == Confidentiality.SECRET:
        return "该执法事项涉及国家秘密，只有局领导和承办人员可以查看和办理；如需参与，请报局领导批准。"
    return (
        f"您无权查看该执法事项：它由{matter.section.name}承办，不是您承办的。"
        f"请由{matter.section.name}的承办人员或科室负责人办理，或报局领导。"
    )


def matter_for(*, viewer, pk: int, purpose: str = "查看执法事项", read: bool = True) -> Matter:
    """One matter for a viewer who may see it. A look at it is a `matter.view` event; a refusal
    is a `matter.denied` event and never a view. Routes that change the matter pass
    `read=False`: the change's own event records what they did (and a refused change is denied).

    Raises Http404 (not in the viewer's agency) or PermissionDenied naming who can act.
    """
    require(viewer, "matters.view")
    matter = object_visible(
        Matter.objects.filter(agency_id=viewer.agency_id).select_related("party", "section"),
        pk=pk,
        viewer=viewer,
        missing="没有这个执法事项。",
    )
    if not matter_visible(viewer=viewer, matter=matter):
        matter_refused(viewer=viewer, matter=matter, reason=purpose)
        raise PermissionDenied(refusal_message(matter))
    if read:
        matter_read_logged(viewer=viewer, matter=matter, purpose=purpose)
    return matter


def matter_read_logged(*, viewer, matter: Matter, purpose: str) -> None:
    with transaction.atomic():
        event_record(kind="matter.view", subject=matter, acting_user=viewer, data={"purpose": purpose})


def matter_refused(*, viewer, matter: Matter, reason: str) -> None:
    """A refused look at or action on a matter (the service's refusal included) is logged."""
    refusal_record(subject=matter, acting_user=viewer, reason=reason)


def matter_steps(matter: Matter) -> QuerySet[Step]:
    return (
        matter.steps.select_related("acted_by", "exemption", "event")
        .prefetch_related(
            "officers",
            "records",
            Prefetch(
                "instruments",
                queryset=Instrument.objects.select_related("docx", "pdf").prefetch_related(
                    "signatures", Prefetch("services", queryset=Service.objects.prefetch_related("records"))
                ),
            ),
        )
        .order_by("acted_at", "pk")
    )


@dataclass
class DeadlineRow:
    matter: Matter
    rule_key: str
    label: str
    due: datetime
    provisional: bool
    task: bool
    met: bool
    citation: str

    @property
    def overdue(self) -> bool:
        return self.task and not self.met and timezone.now() > self.due

    @property
    def status(self) -> str:
        if self.met:
            return "已办结"
        if not self.task:
            return "期间届满" if timezone.now() > self.due else "期间内"
        return "已逾期" if self.overdue else "未到期"


def _starters(matter: Matter, rule_key: str) -> set[str]:
    return {t.code for t in workflow_for(matter.kind, matter.procedure).transitions if rule_key in t.starts}


def _rows(matters: list[Matter]) -> list[DeadlineRow]:
    """A deadline is met when a step that meets it came after the last step that started it."""
    if not matters:
        return []
    ct = ContentType.objects.get_for_model(Matter)
    by_id = {str(m.pk): m for m in matters}
    deadlines = Deadline.objects.filter(subject_type=ct, subject_id__in=list(by_id)).order_by("pk")
    # (pk, transition) of each matter's steps: plain tuples, no model instances to build.
    steps: dict[int, list[tuple[int, str]]] = {}
    step_rows = Step.objects.filter(matter_id__in=[m.pk for m in matters]).order_by("pk")
    for pk, matter_id, transition in step_rows.values_list("pk", "matter_id", "transition"):
        steps.setdefault(matter_id, []).append((pk, transition))
    rows, citations, latest, packs = [], {}, {}, {}
    for d in deadlines:
        matter = by_id[d.subject_id]
        meaning = DEADLINES.get(d.rule_key)
        if meaning is None:
            continue
        # Only the newest deadline of a rule counts (a recomputed or restarted one replaces it).
        latest[(matter.pk, d.rule_key)] = d
    elsewhere = {key: gates.met_elsewhere(key, matters) for key in {k for _, k in latest}}
    for (matter_pk, rule_key), d in latest.items():
        matter = by_id[str(matter_pk)]
        meaning = DEADLINES[rule_key]
        history = steps.get(matter.pk, [])
        starters = _starters(matter, rule_key)
        last_start = max((pk for pk, transition in history if transition in starters), default=0)
        if elsewhere[rule_key] is not None:
            met = matter.pk in elsewhere[rule_key]  # e.g. archiving: met by sealing the case file
        else:
            met = matter.closed_at is not None or any(
                pk > last_start and transition in meaning.met_by for pk, transition in history
            )
        key = (matter.agency_id, rule_key)
        if key not in citations:
            if matter.agency_id not in packs:
                packs[matter.agency_id] = agency_rules(matter.agency)
            rule = packs[matter.agency_id].get(rule_key)
            citations[key] = rule.cited("、") if rule else ""
        rows.append(
            DeadlineRow(matter, rule_key, meaning.label, d.due, d.provisional, meaning.task, met, citations[key])
        )
    return sorted(rows, key=lambda r: r.due)


def matter_deadlines(matter: Matter) -> list[DeadlineRow]:
    return _rows([matter])


def open_handled(*, viewer) -> list[Matter]:
    """The open matters the viewer handles (is one of their officers), by pk, with their parties.
    Read once per request (utilities.memo): the home page's queues and workbench both start from it."""
    require(viewer, "matters.view")
    return per_request(
        ("matters.open_handled", viewer.pk),
        lambda: list(
            Matter.objects.filter(_visible(viewer), closed_at__isnull=True)
            .distinct()
            .select_related("party")
            .filter(officers=viewer)
            .order_by("pk")
        ),
    )


def workbench(*, viewer) -> list[DeadlineRow]:
    """Open deadlines of the matters the viewer handles (chiefs: their section's), soonest first;
    overdue ones stay at the top, flagged."""
    require(viewer, "matters.view")
    qs = Matter.objects.filter(_visible(viewer), closed_at__isnull=True)
    if viewer.has_role(Role.SECTION_CHIEF):
        qs = qs.filter(Q(section_id=viewer.section_id) | Q(officers=viewer))
        matters = list(qs.distinct().select_related("party"))
    elif not viewer.has_role(*WIDE_READERS):
        matters = list(open_handled(viewer=viewer))
    else:
        matters = list(qs.distinct().select_related("party"))
    for matter in matters:  # all of the viewer's agency (_visible): one agency object, not one per row
        matter.agency = viewer.agency
    rows = [r for r in _rows(matters) if r.task and not r.met]
    from matters.hazards import hazard_deadline_rows

    rows += hazard_deadline_rows(matters)
    return sorted(rows, key=lambda r: (not r.overdue, r.due))


def available_transitions(matter: Matter):
    return workflow_for(matter.kind, matter.procedure).available(matter.state)


# --- service (送达) ------------------------------------------------------------------------------------


def matter_receipt_candidates(matter: Matter, *, viewer=None) -> QuerySet:
    """The records that may prove a service of this matter (a scanned 送达回证, a 送达地址确认书): this
    matter's own (linked to its steps, or filed for its party in its section since it was opened, and
    linked to no other matter), not yet used as proof of a service or as an address confirmation, and
    not a 文书's own file. With a viewer, only those the viewer may read."""
    from matters.models import ServiceAddress
    from records.choices import RecordKind
    from records.models import Record
    from records.selectors import record_list

    own = Q(matter_steps__matter=matter)
    if matter.party_id:
        own |= Q(party_id=matter.party_id, section_id=matter.section_id, created_at__gte=matter.opened_at)
    issued = Instrument.objects.filter(matter=matter)
    files = {pk for pair in issued.values_list("docx_id", "pdf_id") for pk in pair if pk}
    qs = (
        Record.objects.filter(own, agency_id=matter.agency_id)
        .exclude(kind__in=(RecordKind.VIDEO, RecordKind.AUDIO))
        .exclude(matter_steps__matter__in=Matter.objects.exclude(pk=matter.pk))
        .exclude(services__isnull=False)
        .exclude(receipt_of__isnull=False)
        .exclude(pk__in=ServiceAddress.objects.values("scan_id"))
        .exclude(pk__in=files)
    )
    if viewer is not None:
        from org.permissions import can

        if not can(viewer, "records.view"):
            return Record.objects.none()
        qs = qs.filter(pk__in=record_list(viewer=viewer).values("pk"))
    return Record.objects.filter(pk__in=qs.values("pk")).order_by("-pk")


def matter_unserved_instruments(matter: Matter) -> list[Instrument]:
    """The matter's issued 文书 that are served on the party and have no service yet (待送达)."""
    from matters.instrument_types import TYPES

    served = [code for code, t in TYPES.items() if t.served]
    return list(
        Instrument.objects.filter(matter=matter, type__in=served, services__isnull=True).order_by("issued_at", "pk")
    )


def matter_service_addresses(matter: Matter, *, electronic: bool | None = None) -> QuerySet:
    from matters.models import ServiceAddress

    qs = ServiceAddress.objects.filter(matter=matter).select_related("scan")
    if electronic is not None:
        qs = qs.filter(electronic=electronic)
    return qs.order_by("-pk")
