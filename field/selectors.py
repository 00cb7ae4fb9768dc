"""Reads of field work: the 检查码 as the enterprise sees it, inspection frequency, 文书 checks."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from field.models import InspectionCode, InstrumentCheck
from field.services import INSPECTED_STEPS
from matters.choices import MatterKind
from matters.models import Matter
from policy.selectors import agency_rules

FREQUENCY_LIMIT = "field.inspection_frequency_limit"
FREQUENCY_PERIOD = "field.inspection_frequency_period"


def inspection_code_by_token(*, token: str) -> InspectionCode:
    """The code a scan names; DoesNotExist for any other string (tokens are random, 256 bits)."""
    if not token or len(token) > 43:
        raise InspectionCode.DoesNotExist
    return InspectionCode.objects.select_related("matter__agency", "matter__party", "matter__section").get(
        token=token
    )


def _certificates(officers, day) -> list[dict]:
    from org.models import EnforcementCertificate

    shown = []
    for officer in officers:
        cert = EnforcementCertificate.objects.filter(staff=officer).valid_on(day).order_by("-valid_to").first()
        shown.append({"name": officer.name, "certificate": cert.number if cert else "", "category": cert.category if cert else ""})
    return shown


def inspection_public(code: InspectionCode) -> dict:
    """What the enterprise sees when it scans the 检查码: who inspects (names and 执法证 numbers),
    on which item and basis, the state, and whether it may rate the inspection now."""
    matter = code.matter
    today = timezone.localdate()
    task = getattr(matter, "inspection_task", None)
    item = task.draw.item if task is not None else None
    plan = matter.steps.filter(transition="plan").order_by("pk").first()
    inspected = matter.steps.filter(transition__in=INSPECTED_STEPS).order_by("occurred_at").first()
    rating = getattr(code, "rating", None)
    return {
        "agency": matter.agency.name,
        "party": matter.party.name if matter.party_id else "",
        "title": matter.title,
        "item": item.name if item is not None else "",
        "basis": (item.basis if item is not None else "") or matter.legal_basis,
        "content": (plan.data or {}).get("facts", "") if plan is not None else "",
        "planned_time": (plan.data or {}).get("time", "") if plan is not None else "",
        "officers": _certificates(list(matter.officers.all().order_by("pk")), today),
        "state": (matter.closed_at and "已结束") or ((inspected and "已实施现场检查") or "待实施"),
        "inspected_at": inspected.occurred_at if inspected else None,
        "issued_at": code.issued_at,
        "rating": rating,
        "may_rate": inspected is not None and rating is None,
        "frequency": inspection_frequency(matter=matter),
    }


@dataclass(frozen=True)
class Frequency:
    count: int
    limit: int | None
    period_days: int | None
    cite: str
    platform_default: bool

    @property
    def flagged(self) -> bool:
        return self.limit is not None and self.count > self.limit

    @property
    def text(self) -> str:
        return (
            f"最近{self.period_days}日内本机关对该企业实施行政检查{self.count}次，超过{self.limit}次的上限"
            f"（{self.cite}）。请核实是否重复检查，能合并的检查应一次完成。"
        )


def inspection_frequency(*, matter: Matter | None = None, party=None, agency=None, on=None) -> Frequency:
    """How many inspections the agency made of one enterprise within the pack's period (an
    inspection counts from its 检查码 or, without one, from its opening), and whether that is more
    than the pack's limit (国办发〔2024〕54号: frequency caps and warnings of frequent inspections)."""
    if matter is not None:
        party, agency = matter.party, matter.agency
    on = on or timezone.localdate()
    rules = agency_rules(agency, on)
    limit, period = rules.get(FREQUENCY_LIMIT), rules.get(FREQUENCY_PERIOD)
    if party is None or limit is None or period is None:
        return Frequency(0, None, None, "", False)
    since = timezone.now() - timedelta(days=int(period.value))
    count = (
        Matter.objects.filter(agency=agency, party=party, kind=MatterKind.INSPECTION, opened_at__gte=since)
        .count()
    )
    return Frequency(
        count=count,
        limit=int(limit.value),
        period_days=int(period.value),
        cite=limit.cited("、"),
        platform_default=bool(limit.platform_default),
    )


def instrument_check_by_token(*, token: str) -> InstrumentCheck:
    if not token or len(token) > 32:
        raise InstrumentCheck.DoesNotExist
    return InstrumentCheck.objects.select_related("instrument__agency", "instrument__pdf").get(token=token)


def issued_sha256(instrument) -> str:
    """The SHA-256 of the PDF as issued (its first version in the vault)."""
    if instrument.pdf_id is None:
        return ""
    first = instrument.pdf.versions.order_by("number").first()
    return first.sha256 if first else ""


def instrument_public(check: InstrumentCheck) -> dict:
    """What the verification page says of a 文书: it exists, who issued it, its number and date,
    and the SHA-256 registered for its PDF. Never its content."""
    instrument = check.instrument
    later = instrument.pdf.versions.order_by("number")[1:] if instrument.pdf_id else []
    return {
        "title": instrument.title,
        "number": instrument.number,
        "agency": instrument.agency.name,
        "issued_at": instrument.issued_at,
        "sha256": issued_sha256(instrument),
        "corrected": [v.sha256 for v in later],
    }


def rating_list(*, viewer):
    """The enterprises' ratings of the viewer's agency's inspections, newest first (for supervision)."""
    from django.db import transaction

    from field.models import InspectionRating
    from ledger.services import event_record
    from org.permissions import require

    require(viewer, "supervision.view")
    rows = list(
        InspectionRating.objects.filter(code__matter__agency_id=viewer.agency_id).select_related(
            "code__matter__party", "code__matter__section"
        )[:500]
    )
    with transaction.atomic():  # a look at what enterprises said of the agency's inspections
        event_record(
            kind="inspection_rating.list", subject=viewer, acting_user=viewer, agency=viewer.agency,
            data={"ratings": [r.pk for r in rows]},
        )
    return rows


CHECKLISTS = "field.checklists"


def checklist_for(*, agency, enterprise) -> list[dict]:
    """The 检查表 for an enterprise: the pack's items common to all sectors and those of its own."""
    rule = agency_rules(agency).get(CHECKLISTS)
    if rule is None:
        return []
    sector = getattr(enterprise, "sector", "") or ""
    return [
        {"item": row["item"], "basis": row["basis"]}
        for row in rule.value
        if row["sector"] == "all" or row["sector"] == sector
    ]


def _enterprise_file(party, agency) -> dict:
    """一企一档 as the phone caches it: base information, open hazards, the 检查表 for its sector."""
    from matters.models import Hazard

    enterprise = getattr(party, "enterprise", None)
    hazards = Hazard.objects.filter(matter__agency=agency, matter__party=party, state="open").order_by("pk")[:50]
    return {
        "id": party.pk,
        "name": party.name,
        "address": party.address,
        "phone": party.phone,
        "legal_representative": getattr(enterprise, "legal_representative", ""),
        "industry": getattr(enterprise, "industry", ""),
        "sector": enterprise.get_sector_display() if enterprise is not None and enterprise.sector else "",
        "risk_level": enterprise.get_risk_level_display() if enterprise is not None else "",
        "contact": f"{getattr(enterprise, 'contact_person', '')} {getattr(enterprise, 'contact_phone', '')}".strip(),
        "open_hazards": [
            {"description": h.description, "location": h.location, "rectify_by": h.rectify_by} for h in hazards
        ],
        "checklist": checklist_for(agency=agency, enterprise=enterprise),
    }


def recording_demands(agency) -> dict:
    """What the agency's recording list (`av.required_steps`) demands of the steps taken on site, for
    the phone to check before it queues them (the server checks again when they arrive): per step,
    whether a recording is always required, whether the officer must answer if the step may give rise
    to a dispute (required then), which kinds of record count, and the words to show with the citation."""
    from matters.services import av_media
    from records.choices import RecordKind

    rules = agency_rules(agency)
    rule = rules.get("av.required_steps")
    demands = {}
    for step in ("inspect", "order_rectification"):
        rows = [
            r for r in (rule.value if rule is not None else [])
            if r["matter_kind"] == MatterKind.INSPECTION and r["step"] == step and not r.get("service_methods")
        ]
        if not rows:
            demands[step] = {"required": False, "asks_dispute": False, "media": [], "text": ""}
            continue
        always = [r for r in rows if r.get("when", "always") == "always"]
        asks = [r for r in rows if r.get("when") == "disputed"]
        media = list(av_media(rules, always or asks))
        labels = "、".join(RecordKind(m).label for m in media)
        row = (always or asks)[0]
        where = f"，{row['row']}" if row.get("row") else ""
        span = f"，自{row['start']}记录至{row['end']}" if row.get("start") and row.get("end") else ""
        condition = "" if always else "可能引发争议的，"
        demands[step] = {
            "required": bool(always),
            "asks_dispute": bool(asks) and not always,
            "media": media,
            "text": f"{condition}{row['item']}须有音像记录（{labels}）{span}（{rule.cited('、')}{where}）",
        }
    return demands


def today(*, viewer) -> dict:
    """The officer's work to take out: open inspections they handle and their open 双随机 tasks. The
    look at these matters and enterprise files is one ledger event."""
    from django.db import transaction

    from inspections.models import InspectionTask
    from ledger.services import event_record
    from matters.selectors import matter_list

    matters = list(
        matter_list(viewer=viewer, kind=MatterKind.INSPECTION)
        .filter(officers=viewer, closed_at__isnull=True)
        .order_by("-opened_at")[:50]
    )
    tasks = list(
        InspectionTask.objects.filter(draw__agency_id=viewer.agency_id, officers=viewer, result_at__isnull=True)
        .select_related("draw__item", "party", "matter")
        .order_by("-draw__drawn_at", "pk")[:50]
    )
    from field import hooks, qr

    by_matter = {t.matter_id: t for t in tasks if t.matter_id}
    items = []
    for matter in matters:
        plan = matter.steps.filter(transition="plan").order_by("pk").first()
        code = InspectionCode.objects.filter(matter=matter).first()
        task = by_matter.get(matter.pk)
        items.append(
            {
                "kind": "inspection",
                "matter": matter.pk,
                "task": task.pk if task else None,
                "title": matter.title,
                "state": matter.state,
                # a drawn task's matter opened at the office without its plan yet is started here too
                "needs_start": bool(task) and matter.state == "registered",
                "inspected": matter.steps.filter(transition__in=INSPECTED_STEPS).exists(),
                "place": (plan.data or {}).get("place", "") if plan else "",
                "content": (plan.data or {}).get("facts", "") if plan else (task.draw.item.content if task else ""),
                "basis": task.draw.item.basis if task else matter.legal_basis,
                "code": code.token if code else "",
                # drawn here, cached with the day: the code is shown on site without signal
                "code_svg": qr.svg(hooks.visit_url(code.token), scale=5) if code else "",
                "party": _enterprise_file(matter.party, matter.agency) if matter.party_id else None,
            }
        )
    shown = {m.pk for m in matters}
    for task in tasks:
        if task.matter_id in shown:
            continue
        items.append(
            {
                "kind": "task",
                "task": task.pk,
                "matter": task.matter_id,
                "title": task.draw.item.name,
                "needs_start": True,
                "content": task.draw.item.content,
                "basis": task.draw.item.basis,
                "party": _enterprise_file(task.party, viewer.agency),
            }
        )
    with transaction.atomic():
        event_record(
            kind="field.today",
            subject=viewer,
            acting_user=viewer,
            agency=viewer.agency,
            data={"matters": [m.pk for m in matters], "tasks": [t.pk for t in tasks]},
        )
    return {
        "date": timezone.localdate().isoformat(),
        "officer": viewer.name,
        "items": items,
        "recording": recording_demands(viewer.agency),
    }


def instrument_for(*, viewer, pk: int):
    """A 文书 of a matter the viewer may see (its look logged on the matter); else 404, refusal logged."""
    from ledger.refusals import object_visible
    from matters.models import Instrument
    from matters.selectors import matter_list, matter_read_logged

    instrument = object_visible(
        Instrument.objects.filter(matter__in=matter_list(viewer=viewer)).select_related("matter", "agency"),
        pk=pk,
        viewer=viewer,
        missing="没有这份文书，或您无权查看。",
    )
    matter_read_logged(viewer=viewer, matter=instrument.matter, purpose=f"查看文书签名：{instrument}")
    return instrument


def _electronic_state(instrument) -> dict:
    """Where 电子送达 of the 文书 stands: whether it awaits service, the party's consent (or the
    refusal that says why not and what to do), and the last message sent."""
    from django.core.exceptions import ValidationError

    from field.services import _electronic_address
    from ledger.models import Event
    from matters.serving import instrument_awaits_service

    if not instrument_awaits_service(instrument):
        return {"awaits_service": False, "served": instrument.services.first()}
    try:
        address, refusal = _electronic_address(instrument), ""
    except ValidationError as exc:
        address, refusal = None, "；".join(exc.messages)
    from datetime import datetime

    from field.choices import SendOutcome
    from field.models import ElectronicSend
    from field.services import (
        SEND_SETTLE_AFTER,
        UNSETTLED,
        _attempt_data,
        electronic_send_failure_text,
        electronic_send_unsettled_text,
    )

    sent_kind, failed_kind = "instrument.electronic_send", "instrument.electronic_send_failed"
    attempts = Event.objects.filter(
        kind__in=(sent_kind, failed_kind, "instrument.electronic_send_unknown", "instrument.electronic_send_abandoned"),
        subject_id=str(instrument.pk),
    )
    sent = attempts.filter(kind=sent_kind).order_by("-pk").first()
    # the last attempt after any message that went out failed or lost its outcome: shown with what to do next
    last = attempts.filter(pk__gt=sent.pk if sent else 0).exclude(kind=sent_kind).order_by("-pk").first()
    failed = last if last is not None and last.kind == failed_kind else None
    unsettled = last if last is not None and last.kind != failed_kind else None
    if sent is not None:
        sent = {**sent.data, "sent_at": datetime.fromisoformat(sent.data["sent_at"])}
    if failed is not None:
        failed = {
            **failed.data,
            "attempted_at": datetime.fromisoformat(failed.data["attempted_at"]),
            "text": electronic_send_failure_text(agency=instrument.agency, data=failed.data),
            # the party's address itself was refused: a new 送达地址确认书 is the way on by e-mail
            "address_refused": failed.data["outcome"] == SendOutcome.REFUSED and failed.data.get("recipient_refused"),
        }
    def shown(kind: str, data: dict) -> dict:  # an attempt settled (or to be settled) without an outcome
        return {
            **data, "started_at": datetime.fromisoformat(data["started_at"]),
            "text": electronic_send_unsettled_text(agency=instrument.agency, kind=kind, data=data),
            "unknown": kind == "instrument.electronic_send_unknown",
        }

    if unsettled is not None:
        unsettled = shown(unsettled.kind, unsettled.data)
    # the last attempt, still without an outcome: being sent, or — past SEND_SETTLE_AFTER — shown as
    # electronic_sends_settle will settle it (the next send or arrival settles it first)
    pending = ElectronicSend.objects.filter(instrument=instrument, state__in=UNSETTLED).order_by("-pk").first()
    if pending is not None and pending.started_at < timezone.now() - SEND_SETTLE_AFTER:
        kind = f"instrument.electronic_send_{'abandoned' if pending.state == 'prepared' else 'unknown'}"
        unsettled = shown(kind, _attempt_data(pending))
        failed, pending = None, None
    # the message whose arrival may be registered: one the server accepted, or one whose outcome is unknown
    arrival_record = sent["sent_record"] if sent else (unsettled["sent_record"] if unsettled and unsettled["unknown"] else None)
    from django.urls import reverse

    serve = reverse("matters:serve", args=[instrument.matter_id, instrument.pk])
    register = serve + "#service-addresses"
    return {
        "awaits_service": True, "address": address, "refusal": refusal, "sent": sent, "failed": failed,
        "register_url": register, "serve_url": serve, "unsettled": unsettled, "arrival_record": arrival_record,
        "pending": pending,
    }


PAPERS = {"80": "80 mm 便携打印", "a4": "A4"}


def instrument_print(*, viewer, pk: int, paper: str) -> dict:
    """The signed 文书 as printed on site (a portable printer's 80 mm roll, or A4): its fields, each
    signature image with whether it still signs the 文书, and the QR code of its verification page.
    The look at the matter and each signature image read are ledger events."""
    import base64

    from field import hooks, qr
    from field.services import signature_verify
    from matters.instrument_types import TYPES
    from matters.rendering import BREAK, cn_date, cn_datetime, content_text
    from records.selectors import version_download

    instrument = instrument_for(viewer=viewer, pk=pk)
    kind = TYPES.get(instrument.type)
    text = content_text(instrument.content)
    shown = {"time": cn_datetime, "rectify_by": cn_date}  # as the 文书 itself writes dates

    def value(key):
        raw = instrument.content.get(key) if key in shown else None
        return shown[key](raw) if isinstance(raw, str) and raw else text.get(key, "").replace(BREAK, "\n")

    fields = [(label, value(key)) for key, label in (kind.fields if kind else ())]
    signatures = []
    for signature in instrument.signatures.select_related("scan"):
        image = ""
        if signature.scan_id:
            latest = signature.scan.versions.order_by("-number").first()
            _version, stream = version_download(
                viewer=viewer, record_pk=signature.scan_id, number=latest.number, purpose=f"现场打印《{instrument.title}》"
            )
            with stream:
                image = "data:image/png;base64," + base64.b64encode(stream.read()).decode()
        valid, why = signature_verify(signature)
        signatures.append({"s": signature, "image": image, "valid": valid, "why": why})
    check = InstrumentCheck.objects.filter(instrument=instrument).first()
    url = hooks.check_url(check.token) if check else ""
    matter = instrument.matter
    return {
        **_electronic_state(instrument),
        "instrument": instrument,
        "paper": paper if paper in PAPERS else "80",
        "papers": PAPERS,
        "party": matter.party.name if matter and matter.party_id else "",
        "officers": "、".join(o.name for o in matter.officers.all()) if matter else "",
        "fields": fields,
        "signatures": signatures,
        "check_url": url,
        "qr": qr.svg(url, scale=4) if url else "",
    }
