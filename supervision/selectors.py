"""Reads of the supervision app: who supervises (from the pack), findings, statistics."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet

from ledger.refusals import object_visible
from ledger.services import event_record
from org.choices import Role
from org.permissions import can, denial_message, require
from policy.selectors import agency_rules
from supervision import statistics
from supervision.models import Challenge, Finding, Reminder, ReminderPreference

SUPERVISOR_RULE = "supervision.supervisor_role"


def supervises(viewer) -> bool:
    """The leader, and whoever the pack names (政策法规科, or 办公室 in 抚顺县); where the pack names
    nobody, the legal reviewers and the office."""
    rule = agency_rules(viewer.agency).get(SUPERVISOR_RULE)
    roles = {rule.value} if rule else {Role.LEGAL_REVIEWER, Role.OFFICE}
    return viewer.has_role(Role.LEADER, Role.ADMIN, *roles)


def _scope(viewer) -> int | None:
    """None: the whole agency (the supervisors); else the viewer's own section only."""
    require(viewer, "supervision.view")
    if supervises(viewer):
        return None
    if viewer.section_id:
        return viewer.section_id
    rule = agency_rules(viewer.agency).get(SUPERVISOR_RULE)
    who = Role(rule.value).label if rule else "法制审核人员或办公室"
    raise PermissionDenied(
        f"执法监督由{who}和局领导负责（{rule.cited('、') if rule else '本单位制度'}）。如需了解情况，请向其询问。"
    )


def finding_list(*, viewer, open_only: bool = True) -> QuerySet[Finding]:
    section = _scope(viewer)
    qs = Finding.objects.filter(agency_id=viewer.agency_id).select_related("matter", "officer", "section")
    if section is not None:
        qs = qs.filter(section_id=section)
    if open_only:
        qs = qs.filter(closed_at__isnull=True)
    return qs.order_by("-opened_at", "-pk")


def challenge_list(*, viewer) -> QuerySet[Challenge]:
    """行政复议、诉讼 of the matters in the viewer's supervision scope."""
    section = _scope(viewer)
    qs = Challenge.objects.filter(agency_id=viewer.agency_id).select_related("matter", "section")
    if section is not None:
        qs = qs.filter(section_id=section)
    return qs.order_by("-filed_on", "-pk")


def challengeable_matters(*, viewer, limit: int = 300) -> list[tuple[int, str]]:
    """(id, label) of the decided matters the viewer may open, newest first: what a 复议 or 诉讼 can
    be registered against, offered in the register's form."""
    from matters.selectors import matter_list
    from matters.workflows import DECISION_STEPS
    from org.permissions import can

    if not can(viewer, "supervision.challenge") or not can(viewer, "matters.view"):
        return []
    steps = {code for codes in DECISION_STEPS.values() for code in codes} | {"seal_on_spot"}
    found = matter_list(viewer=viewer).filter(steps__transition__in=steps).select_related("party")
    return [(m.pk, f"#{m.pk} {m.title}" + (f"（{m.party.name}）" if m.party else ""))
            for m in found.distinct().order_by("-pk")[:limit]]


def challenge_for(*, viewer, pk: int) -> Challenge:
    """One challenge to act on; an id outside the viewer's scope is a logged refusal (404)."""
    require(viewer, "supervision.challenge")
    return object_visible(challenge_list(viewer=viewer), pk=pk, viewer=viewer,
                          missing="没有这个行政复议、诉讼登记，或它不属于您负责的范围。")


def service_proof_findings(*, viewer) -> QuerySet[Finding]:
    """The viewer's own open findings of 文书 served without their proof (theirs to put right)."""
    from supervision.choices import Check

    require(viewer, "supervision.remind")
    return Finding.objects.filter(agency_id=viewer.agency_id, officer=viewer, kind=Check.SERVICE_PROOF,
                                  closed_at__isnull=True).order_by("pk")


def service_proof_finding_for(*, viewer, pk: int) -> Finding:
    """One of those, by id; another's is a logged refusal (404)."""
    return object_visible(service_proof_findings(viewer=viewer), pk=pk, viewer=viewer,
                          missing="没有这个待补充送达凭证的问题，或它不由您负责。")


def finding_for(*, viewer, pk: int) -> Finding:
    """One finding with its history; the look is a ledger event, a refusal too."""
    visible = finding_list(viewer=viewer, open_only=False)
    finding = object_visible(visible, pk=pk, viewer=viewer, missing="没有这个监督发现，或它不属于您负责的范围。")
    with transaction.atomic():
        event_record(kind="finding.view", subject=finding, acting_user=viewer, agency=finding.agency)
    return finding


def statistics_for(*, viewer, year: int, section_id: int | None = None) -> statistics.Statistics:
    scope = _scope(viewer)
    if scope is not None:
        section_id = scope
    return statistics.compute(viewer.agency, year, section_id)


def preference_for(*, viewer) -> ReminderPreference:
    require(viewer, "supervision.remind")
    return ReminderPreference.objects.filter(staff=viewer).first() or ReminderPreference(staff=viewer)


def reminder_list(*, viewer) -> QuerySet[Reminder]:
    """The viewer's own open reminders: overdue first, then by due date."""
    require(viewer, "supervision.remind")
    return Reminder.objects.filter(staff=viewer, done_at__isnull=True).order_by("-overdue", "due", "pk")


BASIS_RULES = {
    "supervision.rectification_ordered": "发现全过程记录存在问题的，责令限期整改",
    "supervision.record_analysis": "统计分析记录资料，发现执法薄弱环节",
}


def supervision_basis(*, agency) -> list[dict]:
    """What the agency's regulation asks of supervision (the findings page's rectification, the
    statistics' analysis), each with its article; empty where the pack sets neither."""
    from policy.selectors import agency_rules

    rules = agency_rules(agency)
    rows = []
    for key, label in BASIS_RULES.items():
        rule = rules.get(key)
        if rule is not None and rule.value:
            rows.append({"label": label, "citation": rule.cited("、")})
    return rows


# --- pickers: what a form offers to pick instead of a typed number ---------------------------------------

PICKS_SHOWN = 30  # search results offered at once; what is picked stays offered besides


def picks(visible: QuerySet, found: QuerySet, picked) -> list:
    """What a picker offers: the picked ids the viewer may see, then the first rows `found`."""
    ids = [pk for pk in dict.fromkeys(picked) if isinstance(pk, int)][:100]
    rows = list(visible.filter(pk__in=ids)) if ids else []
    have = {r.pk for r in rows}
    return rows + [r for r in found[:PICKS_SHOWN] if r.pk not in have]


def record_choices(*, viewer, query: str = "", picked=(), kinds=None, exclude_kinds=None) -> list | None:
    """The records a picker offers: those the viewer may read (records.selectors) matching `query`
    (title or hash; the newest without one), and those already picked, optionally of some kinds only.
    None when the viewer may not read records at all. The caller logs the offer (record_list_logged)."""
    from records.selectors import record_list

    if not can(viewer, "records.view"):
        return None

    def narrowed(qs):
        qs = qs.filter(kind__in=kinds) if kinds is not None else qs
        return qs.exclude(kind__in=exclude_kinds) if exclude_kinds else qs

    return picks(narrowed(record_list(viewer=viewer)), narrowed(record_list(viewer=viewer, query=query)), picked)


def records_picked(*, viewer, ids, purpose: str) -> list:
    """The records picked in a form, each id resolved through the selector of what the viewer may read.
    One out of sight is refused and logged as a refusal: PermissionDenied naming who may act (or, for
    someone who reads no records at all, who does), ValidationError for one not in the agency."""
    from django.core.exceptions import ValidationError
    from django.http import Http404

    from ledger.refusals import refusal_record
    from records.models import Record
    from records.selectors import record_for

    ids = list(dict.fromkeys(ids))[:100]
    if ids and not can(viewer, "records.view"):
        for hidden in Record.objects.filter(agency_id=viewer.agency_id, pk__in=ids):
            refusal_record(subject=hidden, acting_user=viewer, reason=f"{purpose}：{denial_message('records.view')}")
        raise PermissionDenied(denial_message("records.view"))
    found = []
    for pk in ids:
        try:
            found.append(record_for(viewer=viewer, pk=pk))
        except Http404:
            raise ValidationError(f"没有记录#{pk}，或它不属于本单位：请在列表中查找并选择。") from None
    return found


def service_proof_choices(*, viewer, agency, queries=None, picked=None) -> dict:
    """What the 补充送达凭证 form offers: scans and photos for the receipt, the pack's recording kinds
    (av.media_kinds) for the recording. Offering them is one logged read of their metadata."""
    from matters.services import AV_KINDS, av_media
    from records.selectors import record_list_logged

    queries, picked = queries or {}, picked or {}
    choices = {
        "receipt": record_choices(viewer=viewer, query=queries.get("receipt", ""), picked=picked.get("receipt", ()),
                                  exclude_kinds=AV_KINDS),
        "av": record_choices(viewer=viewer, query=queries.get("av", ""), picked=picked.get("av", ()),
                             kinds=av_media(agency_rules(agency), [])),
    }
    offered = {r.pk: r for rows in choices.values() for r in rows or ()}
    record_list_logged(viewer=viewer, records=list(offered.values()), purpose="补充送达凭证：选择记录")
    return choices
