"""Home-page queues of matters (registered in MattersConfig.ready, read through org.queues).

待我审批: steps a section chief approves; 待我决定: steps the leader decides; 待送达: issued 文书
whose service is not recorded yet (linked to their service page), services still missing their
scanned receipt, and matters waiting at a service step; 待复查: inspections in rectification. Each item links to the matter page, where the step's form is open.
"""

from functools import lru_cache

from django.db.models import Q
from django.urls import reverse

from matters.instrument_types import TYPES
from matters.models import Instrument, Matter, Service
from matters.selectors import _visible, open_handled
from matters.workflows import WORKFLOWS
from org.choices import Role
from org.permissions import can
from org.queues import Queue, QueueItem
from policy.selectors import agency_rules

SERVED_TYPES = sorted(code for code, t in TYPES.items() if t.served)


def _workflows():
    return list(WORKFLOWS.values())


@lru_cache(maxsize=64)
def _waiting_states(predicate) -> tuple[tuple[str, str, frozenset[str]], ...]:
    """(kind, procedure, states) of the workflows whose states offer a transition matching
    `predicate`; worked out once per predicate and process (the workflows are code)."""
    found = []
    for wf in _workflows():
        states = frozenset(s for t in wf.transitions if _matches(predicate, t, wf.kind) for s in t.sources)
        if states:
            found.append((wf.kind, wf.procedure, states))
    return tuple(found)


def _waiting_at(predicate) -> Q:
    """Matters whose current state offers a transition matching `predicate` (given the transition,
    or the transition and its matter kind where it takes two arguments)."""
    q = Q(pk__in=[])
    for kind, procedure, states in _waiting_states(predicate):
        q |= Q(kind=kind, procedure=procedure, state__in=sorted(states))
    return q


def _is_waiting_at(matter, predicate) -> bool:
    """The same as `_waiting_at` for a matter already read."""
    return any(
        matter.kind == kind and matter.procedure == procedure and matter.state in states
        for kind, procedure, states in _waiting_states(predicate)
    )


def _matches(predicate, t, kind) -> bool:
    return predicate(t, kind) if predicate.__code__.co_argcount == 2 else predicate(t)


def _steps_of(matter, predicate) -> str:
    wf = next(w for w in _workflows() if w.kind == matter.kind and w.procedure == matter.procedure)
    return "、".join(t.label for t in wf.available(matter.state) if _matches(predicate, t, matter.kind))


def _matter_items(matters, predicate, anchor: str = "") -> list[QueueItem]:
    return [
        QueueItem(
            label=m.title,
            url=reverse("matters:detail", kwargs={"pk": m.pk}) + anchor,
            note=f"{m.party.name + ' · ' if m.party_id else ''}{_steps_of(m, predicate)}",
        )
        for m in matters
    ]


def _open(viewer):
    return Matter.objects.filter(_visible(viewer), closed_at__isnull=True).distinct().select_related("party")


def _approve(t) -> bool:
    return t.capability == "matters.approve"


def _leader_approvals(viewer) -> set[tuple[str, str]]:
    """(matter kind, step) whose approval the agency's pack sends up to the 局主要负责人
    (matters.leader_approval_steps, 通化 001 第九条、第二十三条): not the section chief's to approve."""
    rule = agency_rules(viewer.agency).get("matters.leader_approval_steps") if viewer.agency_id else None
    return {(r["matter_kind"], r["step"]) for r in (rule.value if rule else [])}


def _approvals(routed: set, *, leader: bool):
    return _approvals_of(frozenset(routed), leader)


@lru_cache(maxsize=64)
def _approvals_of(routed: frozenset, leader: bool):
    # One predicate per routing and process, so that _waiting_states works it out once.
    return lambda t, kind: _approve(t) and ((kind, t.code) in routed) == leader


def _decide(t) -> bool:
    return t.capability == "matters.decide" and t.code != "revoke"


def _serve_step(t) -> bool:
    return t.serve and t.instrument is None


def _reinspect(t) -> bool:
    return t.code == "reinspect"


def matter_queues(viewer) -> list[Queue]:
    if not can(viewer, "matters.view"):
        return []
    queues = []
    roles = viewer.role_codes
    if Role.SECTION_CHIEF in roles:
        # A chief approves the steps of the section's matters (matters.services._may_act).
        chief = _approve if Role.LEADER in roles else _approvals(_leader_approvals(viewer), leader=False)
        mine = _open(viewer).filter(_waiting_at(chief), section_id=viewer.section_id).order_by("pk")
        queues.append(Queue("matters.approve", "待我审批", _matter_items(mine, chief), order=10))
    if Role.LEADER in roles and Role.SECTION_CHIEF not in roles and (routed := _leader_approvals(viewer)):
        leader = _approvals(routed, leader=True)
        mine = _open(viewer).filter(_waiting_at(leader)).order_by("pk")
        queues.append(Queue("matters.approve", "待我审批", _matter_items(mine, leader), order=10))
    if Role.LEADER in roles:
        mine = _open(viewer).filter(_waiting_at(_decide)).order_by("pk")
        queues.append(Queue("matters.decide", "待我决定", _matter_items(mine, _decide), order=20))
    if Role.OFFICER in roles:
        # The open matters the officer handles, read once; the four queues below come from them.
        handled = {m.pk: m for m in open_handled(viewer=viewer)}
        items = []
        unserved, missing = [], []
        if handled:
            unserved = list(
                Instrument.objects.filter(
                    matter_id__in=list(handled), type__in=SERVED_TYPES, services__isnull=True
                ).order_by("issued_at", "pk")
            )
            # Served without the scanned receipt yet (补充送达回证).
            missing = list(
                Service.objects.filter(
                    instrument__matter_id__in=list(handled), receipt__isnull=True, details__has_key="pending"
                )
                .select_related("instrument")
                .order_by("served_at", "pk")
            )
        for i in unserved:
            url = reverse("matters:serve", kwargs={"pk": i.matter_id, "instrument": i.pk})
            items.append(QueueItem(label=f"{i.title} {i.number}".strip(), url=url, note=handled[i.matter_id].title))
        for s in missing:
            i = s.instrument
            url = reverse("matters:serve", kwargs={"pk": i.matter_id, "instrument": i.pk})
            items.append(
                QueueItem(label=f"{i.title} {i.number} 待补充送达回证".strip(), url=url, note=handled[i.matter_id].title)
            )
        # A matter whose 文书 is listed above is not listed again for its service step.
        listed = {i.matter_id for i in unserved}
        waiting = [m for m in handled.values() if m.pk not in listed and _is_waiting_at(m, _serve_step)]
        items += _matter_items(waiting, _serve_step)
        queues.append(Queue("matters.serve", "待送达", items, order=50))
        due = [m for m in handled.values() if _is_waiting_at(m, _reinspect)]
        queues.append(Queue("matters.reinspect", "待复查", _matter_items(due, _reinspect, "#t-reinspect"), order=60))
    return queues
