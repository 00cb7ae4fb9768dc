"""Every page and API endpoint checks the role: walk the URL configuration and try each one as
anonymous, as a member of staff without roles, and as each role, for reads and for writes."""

from datetime import date, timedelta

import pytest
from django.db import transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from enterprises.services import enterprise_create
from equipment.services import device_register
from ledger.models import Event
from ledger.services import checkpoint_sign
from matters.services import matter_open, matter_transition
from org.choices import Role
from org.permissions import CAPABILITIES, capability_for
from org.tests.factories import PASSWORD, CertificateFactory, StaffFactory, make_uscc
from policy.selectors import agency_rules
from policy.services import arrangement_enter
from records.services import exemption_record, record_ingest
from records.tests.clips import make_video
from records.uploads import upload_start
from review.services import review_submit
from review.tests.helpers import complete_submission, make_matter
from zhifa.tests.worlds import rolled_back_module


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            namespace = f"{p.namespace}:" if p.namespace else prefix
            yield from _walk(p.url_patterns, namespace)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{prefix}{p.name}", p


ROUTES = dict(_walk(get_resolver().url_patterns))

# The arguments each route needs; a route missing here fails test_every_route_is_covered.
ROUTE_KWARGS = {
    "home": {},
    "login": {},
    "logout": {},
    "org:agency": {},
    "org:staff_new": {},
    "org:staff_detail": {"pk": "staff"},
    "org:staff_roles": {"pk": "staff"},
    "org:certificate_new": {"pk": "staff"},
    "policy:rules": {},
    "policy:calendar": {},
    "policy:arrangement_new": {},
    "enterprises:list": {},
    "enterprises:new": {},
    "enterprises:detail": {"pk": "enterprise"},
    "api-token": {},
    "api-schema": {},
    "api-docs": {},
    "api-me": {},
    "api-agency": {},
    "api-officers-assignable": {},
    "api-officer-check": {"pk": "staff"},
    "api-policy-packs": {},
    "api-policy-rules": {},
    "api-workdays-add": {},
    "api-workdays-deadline": {},
    "section-list": {},
    "section-detail": {"pk": "section"},
    "staff-list": {},
    "staff-detail": {"pk": "staff"},
    "staff-roles": {"pk": "staff"},
    "certificate-list": {},
    "certificate-detail": {"pk": "certificate"},
    "enterprise-list": {},
    "enterprise-detail": {"pk": "enterprise"},
    "arrangement-list": {},
    "arrangement-detail": {"pk": "arrangement"},
    "records:list": {},
    "records:upload": {},
    "records:exemptions": {},
    "records:detail": {"pk": "record"},
    "records:download": {"pk": "record", "number": "version"},
    "records:correct": {"pk": "record"},
    "records:explain": {"pk": "record"},
    "records:media": {"pk": "record", "number": "version"},
    "records:proof": {"pk": "record", "index": "event"},
    "equipment:list": {},
    "equipment:issue": {"pk": "device"},
    "equipment:return": {"pk": "device"},
    "device-list": {},
    "device-detail": {"pk": "device"},
    "record-list": {},
    "record-detail": {"pk": "record"},
    "record-content": {"pk": "record", "number": "version"},
    "record-history": {"pk": "record"},
    "api-upload-start": {},
    "api-upload": {"pk": "upload"},
    "api-upload-finish": {"pk": "upload"},
    "api-ledger-checkpoint": {},
    "api-ledger-key": {},
    "api-ledger-consistency": {},
    "api-ledger-proof": {"index": "event"},
    "records:exemption_acknowledge": {"pk": "exemption"},
    "records:returns": {},
    "api-field-returns": {},
    "ledger:status": {},
    "ledger:verifier": {},
    "matters:list": {},
    "matters:workbench": {},
    "matters:new": {},
    "matters:detail": {"pk": "case"},
    "matters:transition": {"pk": "case", "code": "transition"},
    "matters:sign": {"pk": "case", "instrument": "instrument"},
    "matters:major": {"pk": "case"},
    "api-matters": {},
    "api-matters-workbench": {},
    "api-matter": {"pk": "case"},
    "api-matter-transition": {"pk": "case", "code": "transition"},
    "api-matter-signature": {"pk": "case", "instrument": "instrument"},
    "review:workbench": {},
    "review:staffing": {},
    "review:submit": {"matter_pk": "matter"},
    "review:mark_major": {"matter_pk": "matter"},
    "review:detail": {"pk": "review"},
    "review:assign": {"pk": "review"},
    "review:supplement": {"pk": "review"},
    "review:provide": {"pk": "review"},
    "review:extend": {"pk": "review"},
    "review:opinion": {"pk": "review"},
    "review:decide": {"pk": "review"},
    "review:reassign": {"pk": "review"},
    "api-review-list": {},
    "api-review-submit": {},
    "api-review-staffing": {},
    "api-review-detail": {"pk": "review"},
    "api-review-assign": {"pk": "review"},
    "api-review-supplement": {"pk": "review"},
    "api-review-provide": {"pk": "review"},
    "api-review-extend": {"pk": "review"},
    "api-review-opinion": {"pk": "review"},
    "api-review-decide": {"pk": "review"},
    "api-review-scope": {"pk": "matter"},
    "api-review-major": {"pk": "matter"},
    # --- publicity (the portal's routes are public) and inspections ---
    "publicity:index": {},
    "publicity:officers": {},
    "publicity:powers": {},
    "publicity:procedures": {},
    "publicity:complaints": {},
    "publicity:inspection_items": {},
    "publicity:inspection_draw": {"pk": "draw"},
    "publicity:decisions": {},
    "publicity:decision": {"pk": "publication"},
    "publicity:correction_new": {"pk": "publication"},
    "publicity:withdrawals": {},
    "publicity:correction_lookup": {},
    "publicity:correction": {"token": "token"},
    "publicity:feed_json": {},
    "publicity:feed_csv": {},
    "publicity:feed_atom": {},
    "publicity:staff_list": {},
    "publicity:staff_new": {},
    "publicity:staff_detail": {"pk": "publication"},
    "publicity:staff_review": {"pk": "publication"},
    "publicity:staff_publish": {"pk": "publication"},
    "publicity:staff_withdraw": {"pk": "publication"},
    "publicity:staff_correction": {"pk": "correction"},
    "publicity:staff_change_new": {},
    "publicity:staff_power_new": {},
    "publication-list": {},
    "publication-detail": {"pk": "publication"},
    "publication-review": {"pk": "publication"},
    "publication-publish": {"pk": "publication"},
    "publication-withdraw": {"pk": "publication"},
    "inspections:list": {},
    "inspections:item_new": {},
    "inspections:draw_new": {"pk": "item"},
    "inspections:draw": {"pk": "draw"},
    "inspections:task_result": {"pk": "task"},
    "inspections:recusal_new": {},
    "inspection-item-list": {},
    "inspection-item-detail": {"pk": "item"},
    "inspection-item-draw": {"pk": "item"},
    "inspection-draw-list": {},
    "inspection-draw-detail": {"pk": "draw"},
    "publicity:ledger_checkpoint": {},
    "publicity:ledger_checkpoints": {},
    "publicity:ledger_checkpoint_at": {"size": "new"},
    "publicity:ledger_key": {},
    # --- access ---
    "api-access-requests": {},
    "api-access-request": {"pk": "access_request"},
    "api-access-decision": {"pk": "access_request"},
    "api-access-session-open": {"pk": "access_request"},
    "api-access-copies": {"pk": "access_request"},
    "api-access-post": {"pk": "access_request"},
    "api-access-loan": {"pk": "access_request"},
    "api-access-disc-log": {"pk": "access_request"},
    "api-access-export": {"pk": "access_request"},
    "api-access-session-close": {"pk": "access_session"},
    "api-access-session-record": {"pk": "access_session", "record": "record"},
    "api-access-keep-marks": {},
    "api-access-register": {},
    "access:list": {},
    "access:new": {},
    "access:register": {},
    "access:detail": {"pk": "access_request"},
    "access:decide": {"pk": "access_request"},
    "access:session_open": {"pk": "access_request"},
    "access:copy": {"pk": "access_request"},
    "access:disc_log": {"pk": "access_request"},
    "access:post": {"pk": "access_request"},
    "access:loan": {"pk": "access_request"},
    "access:export": {"pk": "access_request"},
    "access:session_close": {"pk": "access_session"},
    "access:session_record": {"pk": "access_session", "record": "record"},
    "access:session_content": {"pk": "access_session", "record": "record"},
    "access:keep_mark": {"record": "record"},
    # --- archive ---
    "archive:queue": {},
    "archive:detail": {"pk": "case_file"},
    "archive:pdf": {"pk": "case_file"},
    "archive:export": {"pk": "case_file"},
    "archive:seal": {"pk": "case_file"},
    "archive:check": {"pk": "case_file"},
    "archive:add": {"pk": "case_file"},
    "archive:describe": {"pk": "case_file"},
    "archive:volume": {"pk": "case_file"},
    "archive:holds": {},
    "archive:hold_new": {},
    "archive:hold_release": {"pk": "hold"},
    "archive:disposals": {},
    "archive:disposal_new": {},
    "archive:disposal_decide": {"pk": "disposal"},
    "archive:enterprise": {"pk": "enterprise"},
    "archive:collection_new": {"pk": "enterprise"},
    "archive:collection_return": {"pk": "enterprise", "collection": "collection"},
    "archive:enterprise_export": {"pk": "enterprise"},
    "archive:carriers": {},
    "archive:carrier_new": {},
    "archive:carrier_label": {"pk": "carrier"},
    "archive:carrier_custody": {"pk": "carrier"},
    "archive-case-file-list": {},
    "archive-case-file-detail": {"pk": "case_file"},
    "archive-case-file-queue": {},
    "archive-case-file-check": {"pk": "case_file"},
    "archive-case-file-seal": {"pk": "case_file"},
    "archive-case-file-export": {"pk": "case_file"},
    "archive-case-file-add": {"pk": "case_file"},
    "archive-case-file-volume": {"pk": "case_file"},
    "archive-hold-list": {},
    "archive-hold-detail": {"pk": "hold"},
    "archive-hold-release": {"pk": "hold"},
    "archive-disposal-list": {},
    "archive-disposal-detail": {"pk": "disposal"},
    "archive-disposal-decide": {"pk": "disposal"},
    "archive-carrier-list": {},
    "archive-carrier-detail": {"pk": "carrier"},
    "policy:supplement_new": {},
    "api-policy-supplements": {},
    "publicity:staff_summary": {"pk": "publication"},
    "inspections:draw_fix": {"pk": "draw"},
    "inspections:draw_reveal": {"pk": "draw"},
    "inspections:task_matter": {"pk": "task"},
    "api-matter-hazards": {"pk": "inspection"},
    "api-matter-hazards-refer": {"pk": "inspection"},
    "api-hazards": {},
    "api-hazard": {"pk": "hazard"},
    "api-hazard-report": {"pk": "hazard"},
    "api-hazard-reinspect": {"pk": "hazard"},
    "matters:hazards": {},
    "matters:hazard": {"pk": "hazard"},
    "matters:hazards_refer": {"pk": "inspection"},
    "matters:hazard_new": {"pk": "inspection"},
    "matters:enterprise_file": {"pk": "enterprise"},
    "matters:serve": {"pk": "case", "instrument": "instrument"},
    "matters:serve_receipt": {"pk": "case", "instrument": "instrument"},
    "matters:service_address": {"pk": "case"},
    "api-matter-instrument-services": {"pk": "case", "instrument": "instrument"},
    "api-matter-instrument-receipt": {"pk": "case", "instrument": "instrument"},
    "api-matter-service-addresses": {"pk": "case"},
    # --- supervision ---
    "supervision:findings": {},
    "supervision:finding": {"pk": "finding"},
    "supervision:scan": {},
    "supervision:statistics": {},
    "supervision:statistics_export": {},
    "supervision:reminders": {},
    "supervision-finding-list": {},
    "supervision-finding-detail": {"pk": "finding"},
    "supervision-finding-scan": {},
    "supervision-finding-statistics": {},
    "supervision-finding-reminders": {},
    # --- supervision: AV spot checks, 案卷评查, 执法过错 ---
    "supervision:spotchecks": {},
    "supervision:spotcheck_new": {},
    "supervision:spotcheck": {"pk": "spotcheck"},
    "supervision:spotcheck_draw": {"pk": "spotcheck"},
    "supervision:spotcheck_answer": {"pk": "spotcheck_item"},
    "supervision:casereviews": {},
    "supervision:casereview": {"pk": "casereview"},
    "supervision:casereview_new": {"pk": "case_file"},
    "supervision:faults": {},
    "supervision:fault_new": {},
    "supervision:fault": {"pk": "fault"},
    "supervision:evaluation": {},
    "supervision-spotcheck-list": {},
    "supervision-spotcheck-detail": {"pk": "spotcheck"},
    "supervision-spotcheck-draw": {"pk": "spotcheck"},
    "supervision-spotcheck-answer": {"pk": "spotcheck"},
    "supervision-casereview-list": {},
    "supervision-casereview-rates": {},
    "supervision-casereview-detail": {"pk": "casereview"},
    "supervision-fault-list": {},
    "supervision-fault-detail": {"pk": "fault"},
    "api-supervision-evaluation": {},
    "supervision:challenges": {},
    "supervision:challenge_act": {},
    "supervision:service_proof": {},
    "field:code": {"pk": "inspection"},
    "field:ratings": {},
    "field_public:visit": {"token": "token"},
    "field_public:check": {"token": "token"},
    "api-field-today": {},
    "api-field-sync": {},
    "api-field-photos": {},
    "api-field-signatures": {"pk": "instrument"},
    "field:app": {},
    "field:app_js": {},
    "field:sw": {},
    "field:manifest": {},
    "field:icon_svg": {},
    "field:icon_png": {},
    # --- a supervising body's 执法监督 across agencies ---
    "supervision:body_home": {},
    "supervision:body_agency": {"pk": "agency"},
    "supervision:body_statistics": {"pk": "agency"},
    "supervision:body_records": {"pk": "agency"},
    "supervision:body_matter": {"pk": "case"},
    "supervision:body_record": {"pk": "record"},
    "api-body-agencies": {},
    "api-body-agency": {"pk": "agency"},
    "api-body-agency-matters": {"pk": "agency"},
    "api-body-agency-statistics": {"pk": "agency"},
    "api-body-matter": {"pk": "case"},
    "publicity:agencies": {},
    "field:print": {"pk": "instrument"},
    "field:send": {"pk": "instrument"},
    "field:arrived": {"pk": "instrument"},
}
QUERY = {
    "api-workdays-add": "?start=2026-09-25&days=7",
    "api-workdays-deadline": "?start=2026-09-25&amount=7&unit=working_days",
    "record-content": "?purpose=测试",
    "api-ledger-consistency": "?old={old}&new={new}",
}
# Reachable only by the person who started the upload, whatever their roles.
OWNER_ONLY = {"api-upload": Role.OFFICER, "api-upload-finish": Role.OFFICER}
# Inside a viewing session only its accompanying records manager (or the requester) looks.
OWNER_ONLY["api-access-session-record"] = Role.ARCHIVIST
OWNER_ONLY["access:session_record"] = Role.ARCHIVIST
OWNER_ONLY["access:session_content"] = Role.ARCHIVIST
# Routes that send a role to its own pages instead: a supervising body's staff land on theirs.
LANDING = {("home", Role.OVERSIGHT): "supervision:body_home"}


def _view_capabilities(pattern: URLPattern) -> dict[str, str] | None:
    """method → capability for a route; None when the route is public."""
    callback = pattern.callback
    cls = getattr(callback, "cls", None)
    if getattr(callback, "public", False) or getattr(cls, "public", False):
        return None
    if cls is None:
        return dict.fromkeys(callback.methods, callback.capability)
    actions = getattr(callback, "actions", None) or {}
    result = {}
    methods = actions or {m.upper(): None for m in ("get", "post", "patch") if hasattr(cls, m)}
    for method, action in actions.items() if actions else methods.items():
        view = cls()
        view.action = action
        result[method.upper()] = capability_for(view, type("R", (), {"method": method.upper()})())
    return result


def test_every_view_declares_a_capability_or_is_public():
    missing = []
    for name, pattern in ROUTES.items():
        callback = pattern.callback
        cls = getattr(callback, "cls", None)
        declared = (
            getattr(callback, "public", False)
            or getattr(cls, "public", False)
            or hasattr(callback, "capability")
            or (cls is not None and hasattr(cls, "capability"))
        )
        if not declared:
            missing.append(name)
    assert missing == []
    for caps in filter(None, (_view_capabilities(p) for p in ROUTES.values())):
        assert set(caps.values()) <= set(CAPABILITIES)


def test_every_route_is_covered():
    assert set(ROUTES) == set(ROUTE_KWARGS)


# The world is built once per module, in a transaction of its own (marked as a test's, as Django's
# TestCase marks its class-level one) that is rolled back when the module ends. Each test runs in a
# savepoint inside it (pytest-django's per-test transaction, nested), so whatever a test writes,
# ledger events and sessions included, is gone before the next test starts. Tests of this module
# must therefore not be transactional (no transactional_db, no django_db(transaction=True)).


@pytest.fixture(scope="module")
def _shared_data(tmp_path_factory):
    """The module's data folder and blob store: the world's clips, documents and ledger key stay in it."""
    data = tmp_path_factory.mktemp("walker-data")
    with override_settings(DATA_DIR=data, ZHIFA_BLOB_STORE=f"file://{data}/blobs"):
        yield data


@pytest.fixture
def _data_dir(_shared_data):
    """Replaces the root conftest's per-test data folder: every test here reads the shared world's files."""
    return _shared_data


@pytest.fixture(scope="module")
def _shared_world(django_db_setup, django_db_blocker, _shared_data, tmp_path_factory):
    with rolled_back_module(django_db_blocker):
        with django_db_blocker.unblock():
            built = _build_world(tmp_path_factory.mktemp("walker-files"))
            ledger = _ledger_state()
        yield built, ledger


@pytest.fixture
def world(db, _shared_world, request, tmp_path):
    """One member of staff per role (plus one with none), and one object of each kind: the shared
    world, with the staff fetched afresh for each test (a login changes the instance)."""
    from inspections.models import InspectionTask
    from org.models import Staff

    (users, objects), ledger = _shared_world
    # The savepoint of the test before took back all it wrote: the ledger is as the world left it.
    assert _ledger_state() == ledger, "a test's writes leaked into the shared world"
    if "inspections:task_result" in request.node.name:  # walked as it is used: after the 现场检查
        _inspected(InspectionTask.objects.get(pk=objects["task"]), tmp_path)
    return {role: Staff.objects.get(pk=pk) for role, pk in users.items()}, dict(objects)


def _ledger_state():
    from django.db.models import Count, Max

    from ledger.models import Checkpoint

    return Event.objects.aggregate(count=Count("pk"), last=Max("index")), Checkpoint.objects.count()


def _build_world(folder):
    from org.tests.factories import AgencyFactory, SectionFactory, staff_maker

    agency = AgencyFactory()
    section = SectionFactory(agency=agency, name="执法监察一大队")

    make_staff = staff_maker(agency, section)  # as the root conftest's make_staff

    users = {role: make_staff(role, username=f"as_{role}") for role in Role.values if role != Role.OVERSIGHT}
    users[None] = make_staff(username="as_nobody")
    users[Role.OVERSIGHT] = _supervisor_of(agency, "as_oversight")
    officer = users[Role.OFFICER]
    certificate = CertificateFactory(staff=officer)
    enterprise = enterprise_create(
        agency=agency,
        uscc=make_uscc("91210403MA0000001"),
        name="测试化工有限公司",
        legal_representative="某某",
        industry="化工",
    )
    arrangement = arrangement_enter(
        year=2027, holidays=[(date(2027, 1, 1), "元旦")], workdays=[], document="测试通知"
    )
    old = checkpoint_sign()
    device = device_register(agency=agency, section=section, kind="body_camera", serial="DSJ-001")
    clip = folder / "clip.mp4"
    make_video(clip, seconds=1, creation_time=timezone.now() - timedelta(minutes=5))
    version = record_ingest(
        acting_user=officer, section=section, path=clip, original_name="clip.mp4", device=device
    ).version
    upload = upload_start(acting_user=officer, section=section, file_name="big.mp4", size=10)
    reason = agency_rules(agency).value("av.exemption_reasons")[0]
    exemption = exemption_record(
        acting_user=officer, reason=reason, details="现场为爆炸危险区域", occurred_at=timezone.now()
    )
    matter = make_matter(agency, section, officer, amount="20000")
    review = review_submit(matter=matter, acting_user=users[Role.SECTION_CHIEF], **complete_submission(matter))
    case = matter_open(acting_user=officer, kind="penalty", title="测试案件", party=enterprise)
    filing = matter_transition(
        acting_user=officer, matter=case, transition="request_filing", data={"facts": "事实", "basis": "依据"}
    )
    publication, correction, item, draw = _publicity_world(agency, officer, users, make_staff)
    access_request, access_session = _access_world(section, version, users, make_staff)
    archive_objects = _archive_world(agency, officer, users, enterprise, folder)
    hazard_objects = _inspection(officer, enterprise, "测试")
    new = checkpoint_sign()
    event = Event.objects.filter(subject_type="records.record", subject_id=str(version.record_id)).first()
    objects = {
        "agency": agency.pk,
        "staff": officer.pk,
        "section": section.pk,
        "certificate": certificate.pk,
        "enterprise": enterprise.pk,
        "arrangement": arrangement.pk,
        "device": device.pk,
        "record": version.record_id,
        "version": version.number,
        "upload": upload.pk,
        "event": event.index,
        "exemption": exemption.pk,
        "old": old.size,
        "new": new.size,
        "matter": matter.pk,
        "review": review.pk,
        "case": case.pk,
        "instrument": filing.instruments.get().pk,
        "transition": "approve_filing",
        "publication": publication.pk,
        "correction": correction.pk,
        "token": correction.token,
        "item": item.pk,
        "draw": draw.pk,
        "task": draw.tasks.first().pk,
        "access_request": access_request.pk,
        "access_session": access_session.pk,
        **archive_objects,
        **hazard_objects,
        "finding": _supervision_world(agency, section, officer),
    }
    objects.update(_oversight_world(agency, section, officer, users, archive_objects["case_file"]))
    return {role: user.pk for role, user in users.items()}, objects


def _supervisor_of(agency, username):
    """A member of 抚顺市司法局's staff (no agency, the read-only oversight role), which supervises `agency`."""
    from org.services import supervising_body_attach, supervising_body_create, supervisor_create

    body = supervising_body_create(name=f"司法局（{username}）", jurisdiction="本级人民政府所属行政执法部门")
    supervising_body_attach(body=body, agency=agency)
    return supervisor_create(body=body, username=username, name="执法监督员", password=PASSWORD)


def _access_world(section, version, users, make_staff):
    """An approved access request of the handling section (by someone outside `users`) with an
    open viewing session accompanied by the archivist."""
    from access.services import request_submit, session_open

    requester = make_staff(Role.OFFICER, username="access_requester", section=section)
    request = request_submit(
        acting_user=requester,
        requester_kind="own_section",
        action="view",
        purpose="核查",
        records=[version.record],
        period_start=timezone.now() - timedelta(minutes=1),
        period_end=timezone.now() + timedelta(days=1),
    )
    archivist = users[Role.ARCHIVIST]
    return request, session_open(request=request, manager=archivist, acting_user=archivist)
def _archive_world(agency, officer, users, enterprise, tmp_path):
    """A case file (of a matter marked closed: the walk is about roles, not the workflow), a hold,
    a proposed destruction list, a carrier and an enterprise collection."""
    from archive.models import Disposal
    from archive.services import carrier_register, casefile_assemble, collection_create, hold_place
    from matters.models import Matter
    from records.tests.clips import make_docx

    m = matter_open(acting_user=officer, kind="inspection", title="归档测试检查", party=enterprise)
    Matter.objects.filter(pk=m.pk).update(closed_at=timezone.now())
    m.refresh_from_db()
    with transaction.atomic():
        case_file = casefile_assemble(matter=m)
    hold = hold_place(acting_user=None, agency=agency, kind="litigation", reference="（2026）辽04行初1号",
                      case_file=case_file)
    disposal = Disposal.objects.create(agency=agency, reason="测试", proposed_by=users[Role.ARCHIVIST],
                                       proposed_at=timezone.now())
    carrier = carrier_register(acting_user=users[Role.ARCHIVIST], number="GP-2026-001", kind="disc",
                               period="2026年", retention="10年", party=enterprise)
    doc = make_docx(tmp_path / "基础信息.docx", text="企业基础信息表")
    collection = collection_create(
        acting_user=officer, party=enterprise, category="base", subject="企业基础信息", summary="基础信息表",
        collected_on=timezone.localdate(), files=[(doc, "基础信息.docx")], originals_from="企业",
    )
    return {"case_file": case_file.pk, "hold": hold.pk, "disposal": disposal.pk, "carrier": carrier.pk,
            "collection": collection.pk}


def _supervision_world(agency, section, officer):
    """An open compliance finding of the walker's section."""
    from supervision.models import Finding

    now = timezone.now()
    return Finding.objects.create(
        agency=agency, section=section, officer=officer, kind="record", subject="records.recordversion:0:late",
        rule_key="av.ingest_deadline", citation="测试依据", message="逾期存储", remedy="补写说明",
        opened_at=now, seen_at=now,
    ).pk


def _oversight_world(agency, section, officer, users, case_file_pk):
    """A drawn AV spot check with an item of the walker's section, a case review and a fault (put in
    place directly: the walk is about roles)."""
    from archive.models import CaseFile
    from records.models import Record
    from supervision.oversight_models import CaseReview, Fault, SpotCheck, SpotCheckItem

    reviewer, now, today = users[Role.LEGAL_REVIEWER], timezone.now(), timezone.localdate()
    record = Record.objects.filter(section=section).first()
    sc = SpotCheck.objects.create(
        agency=agency, title="测试抽查", period_start=today, period_end=today, state="drawn", proportion=10,
        basis="测试依据", seed="0" * 32, seed_sha256="1" * 64, committed_by=reviewer, committed_at=now, drawn_at=now,
        inputs={"recordings": [str(record.pk)], "count": 1}, result={"recordings": [str(record.pk)]},
    )
    item = SpotCheckItem.objects.create(spot_check=sc, position=1, section=section, record=record)
    case_file = CaseFile.objects.get(pk=case_file_pk)
    review = CaseReview.objects.create(
        agency=agency, section=section, matter=case_file.matter, case_file=case_file, year=today.year, total=80,
        full_marks=100, pass_mark=60, passed=True, basis="测试依据", reviewed_by=reviewer, reviewed_at=now,
    )
    fault = Fault.objects.create(agency=agency, officer=officer, section=section, kind="lost", facts="测试",
                                 occurred_on=today, measures=["discipline"], basis="测试依据", recorded_by=reviewer,
                                 recorded_at=now)
    return {"spotcheck": sc.pk, "spotcheck_item": item.pk, "casereview": review.pk, "fault": fault.pk}


def _inspected(task, folder) -> None:
    """The drawn task's matter opened and its 现场检查 recorded by a drawn officer."""
    from inspections.services import task_matter_open
    from inspections.tests.inspecting import task_inspect

    officer = task.officers.first()
    task_matter_open(task=task, acting_user=officer)
    task_inspect(task, officer, folder)


def _publicity_world(agency, officer, users, make_staff):
    """A published decision with a pending correction request, and a 双随机 item with one draw."""
    from decimal import Decimal

    from inspections.services import draw_run, item_create
    from publicity.services import (
        correction_request,
        publication_draft,
        publication_publish,
        publication_review,
    )

    reviewer = users[Role.LEGAL_REVIEWER]
    publication = publication_draft(
        agency=agency,
        category="penalty",
        decided_on=timezone.localdate(),
        party_kind="legal_person",
        party_name="测试化工有限公司",
        instrument_number="测罚〔2026〕1号",
        cause="事由",
        basis="依据",
        result="结果",
        acting_user=officer,
    )
    publication_review(publication=publication, acting_user=reviewer)
    publication_publish(publication=publication, acting_user=reviewer)
    correction = correction_request(
        publication=publication, applicant="某某", contact="13900000000", statement="有误", evidence="证据"
    )
    make_staff(Role.OFFICER, certificate=True, username="as_officer_2")
    item = item_create(
        agency=agency,
        acting_user=None,
        name="安全生产检查",
        basis="《安全生产法》第六十五条",
        target="生产经营单位",
        content="主体责任",
        proportion=Decimal("100"),
        frequency="每年1次",
        draws_per_year=1,
        method="现场检查",
        officers_per_target=2,
    )
    draw = draw_run(item=item, plan="测试抽查", acting_user=None)
    return publication, correction, item, draw


def _url(name, objects):
    kwargs = {k: objects[v] for k, v in ROUTE_KWARGS[name].items()}
    return reverse(name, kwargs=kwargs) + QUERY.get(name, "").format(**objects)


READ_ROUTES = sorted(n for n, p in ROUTES.items() if _view_capabilities(p) and "GET" in _view_capabilities(p))


@pytest.mark.django_db
@pytest.mark.parametrize("name", READ_ROUTES)
def test_reads_check_the_role(name, world, client):
    users, objects = world
    url = _url(name, objects)
    capability = _view_capabilities(ROUTES[name])["GET"]
    logged = Event.objects.filter(kind__endswith=".denied").count()
    anonymous = client.get(url)
    assert Event.objects.filter(kind__endswith=".denied").count() == logged, url  # anonymous: nothing logged
    if url.startswith("/api/"):
        assert anonymous.status_code == 401, url
    else:
        assert anonymous.status_code == 302 and "/login/" in anonymous["Location"], url
    for role, user in users.items():
        client.force_login(user)
        # Refused for the capability (not for being another's owner): exactly one event, in its savepoint.
        refusals = _refusals(name, user) if role not in CAPABILITIES[capability] else None
        before = refusals.count() if refusals is not None else 0
        response = client.get(url)
        allowed = role in CAPABILITIES[capability] and OWNER_ONLY.get(name, role) == role
        if (name, role) in LANDING:
            assert response.status_code == 302 and response["Location"] == reverse(LANDING[name, role]), (url, role)
        elif allowed:
            assert response.status_code == 200, (url, role, response.status_code)
        else:
            assert response.status_code == 403, (url, role, response.status_code)
            body = response.content.decode()
            assert "您没有权限" in body or "权限" in body, (url, role)
            if refusals is not None:  # a refusal for the capability: one event, saying who acts
                assert refusals.count() == before + 1, (url, role)
                assert "本次操作未作任何更改" in body, (url, role)
        client.logout()


def _refusals(name, user):
    """The events that log a refusal of `name`'s capability to `user`."""
    kind = getattr(ROUTES[name].callback, "refusal_kind", "capability.denied")
    return Event.objects.filter(kind=kind, actor=user)


WRITE_ROUTES = sorted(
    n for n, p in ROUTES.items() if _view_capabilities(p) and ({"POST", "PATCH"} & set(_view_capabilities(p)))
)


@pytest.mark.django_db
@pytest.mark.parametrize("name", WRITE_ROUTES)
def test_writes_refused_without_the_role_change_nothing(name, world, client):
    users, objects = world
    url = _url(name, objects)
    caps = _view_capabilities(ROUTES[name])
    for method, capability in caps.items():
        if method not in ("POST", "PATCH"):
            continue
        for role, user in users.items():
            if role in CAPABILITIES[capability] and OWNER_ONLY.get(name, role) == role:
                continue
            client.force_login(user)
            # A refusal of someone else's object is logged (*.denied); nothing else is written.
            changes = Event.objects.exclude(kind__endswith=".denied")
            refusals = _refusals(name, user) if role not in CAPABILITIES[capability] else None
            events, before = changes.count(), refusals.count() if refusals is not None else 0
            if method == "POST":
                response = client.post(url, {"name": "x", "roles": ["admin"]})
            else:
                response = client.patch(url, {"name": "改名"}, content_type="application/json")
            assert response.status_code == 403, (url, method, role, response.status_code)
            assert changes.count() == events, (url, method, role)
            if refusals is not None:
                assert refusals.count() == before + 1, (url, method, role)
            client.logout()


@pytest.mark.django_db
def test_token_authentication_uses_the_same_role_checks(client, world):
    users, _ = world
    officer = users[Role.OFFICER]
    response = client.post(reverse("api-token"), {"username": officer.username, "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    assert client.get(reverse("api-me"), **auth).status_code == 200
    assert client.get(reverse("staff-list"), **auth).status_code == 403
    refused = client.post(reverse("api-token"), {"username": officer.username, "password": "wrong"})
    assert refused.status_code == 400


@pytest.mark.django_db
def test_staff_of_another_agency_see_nothing_of_this_one(client, world):
    users, objects = world
    stranger = StaffFactory(roles=("admin", "officer", "leader"))  # a different agency
    client.force_login(stranger)
    assert client.get(reverse("staff-detail", kwargs={"pk": objects["staff"]})).status_code == 404
    assert client.get(reverse("enterprise-detail", kwargs={"pk": objects["enterprise"]})).status_code == 404
    assert client.get(reverse("enterprises:detail", kwargs={"pk": objects["enterprise"]})).status_code == 404
    assert client.get(reverse("org:staff_detail", kwargs={"pk": objects["staff"]})).status_code == 404
    assert client.get(reverse("matters:detail", kwargs={"pk": objects["case"]})).status_code == 404
    assert client.get(reverse("api-matter", kwargs={"pk": objects["case"]})).status_code == 404
    names = [s["name"] for s in client.get(reverse("staff-list")).json()["results"]]
    assert users[Role.OFFICER].name not in names


# --- object-level access: every route that takes an id, walked with ids the viewer may not see ---

LOGIN = "log-in and log-out: no object"
OWN = "a list or page of the viewer's own agency, filtered by its selector; takes no id"
FORM = "a form that creates something in the viewer's own agency or section; takes no id"
NATIONAL = "national rules and the statutory calendar, the same for every agency"
SCHEMA = "the API's description: no data"
LEDGER = "the ledger's signed checkpoints and key: hashes, no content"
PORTAL = "the public portal: only what was published, open to anyone"

# Routes that take no object id (or only public ones), each with the reason it is not walked.
NOT_WALKED = {
    "home": OWN,
    "login": LOGIN,
    "logout": LOGIN,
    "org:agency": OWN,
    "org:staff_new": FORM,
    "policy:rules": NATIONAL,
    "policy:calendar": NATIONAL,
    "policy:arrangement_new": NATIONAL,
    "enterprises:list": OWN,
    "enterprises:new": FORM,
    "api-token": LOGIN,
    "api-schema": SCHEMA,
    "api-docs": SCHEMA,
    "api-me": OWN,
    "api-agency": OWN,
    "api-officers-assignable": OWN,
    "api-policy-packs": NATIONAL,
    "api-policy-rules": NATIONAL,
    "api-workdays-add": NATIONAL,
    "api-workdays-deadline": NATIONAL,
    "section-list": OWN,
    "staff-list": OWN,
    "certificate-list": OWN,
    "enterprise-list": OWN,
    "arrangement-list": NATIONAL,
    "arrangement-detail": NATIONAL + " (an entry of the national holiday calendar)",
    "records:list": OWN,
    "records:upload": FORM,
    "records:exemptions": OWN,
    "equipment:list": OWN,
    "device-list": OWN,
    "record-list": OWN,
    "api-upload-start": FORM,
    "api-ledger-checkpoint": LEDGER,
    "api-ledger-key": LEDGER,
    "api-ledger-consistency": LEDGER,
    "ledger:status": LEDGER,
    "ledger:verifier": LEDGER,
    "matters:list": OWN,
    "matters:workbench": OWN,
    "matters:new": FORM,
    "api-matters": OWN,
    "api-matters-workbench": OWN,
    "review:workbench": OWN,
    "review:staffing": OWN,
    "api-review-list": OWN,
    "api-review-submit": FORM + " (the matter id is in the body: test_review_submit_takes_only_a_matter_the_viewer_may_see)",
    "api-review-staffing": OWN,
    "publicity:index": PORTAL,
    "publicity:officers": PORTAL,
    "publicity:powers": PORTAL,
    "publicity:procedures": PORTAL,
    "publicity:complaints": PORTAL,
    "publicity:inspection_items": PORTAL,
    "publicity:inspection_draw": PORTAL,
    "publicity:decisions": PORTAL,
    "publicity:decision": PORTAL,
    "publicity:correction_new": PORTAL,
    "publicity:withdrawals": PORTAL,
    "publicity:correction_lookup": PORTAL,
    "publicity:correction": PORTAL + " (the applicant's own secret token)",
    "publicity:feed_json": PORTAL,
    "publicity:feed_csv": PORTAL,
    "publicity:feed_atom": PORTAL,
    "publicity:staff_list": OWN,
    "publicity:staff_new": FORM,
    "publicity:staff_change_new": FORM,
    "publicity:staff_power_new": FORM,
    "publication-list": OWN,
    "inspections:list": OWN,
    "inspections:item_new": FORM,
    "inspections:recusal_new": FORM,
    "inspection-item-list": OWN,
    "inspection-draw-list": OWN,
    "publicity:ledger_checkpoint": PORTAL,
    "publicity:ledger_checkpoints": PORTAL,
    "publicity:ledger_checkpoint_at": PORTAL + " (signed checkpoints are public by design)",
    "publicity:ledger_key": PORTAL,
    "access:list": OWN,
    "access:new": FORM,
    "access:register": OWN,
    "api-access-requests": OWN,
    "api-access-keep-marks": FORM,
    "api-access-register": OWN,
    "archive:queue": OWN,
    "archive:holds": OWN,
    "archive:hold_new": FORM,
    "archive:disposals": OWN,
    "archive:disposal_new": FORM,
    "archive:carriers": OWN,
    "archive:carrier_new": FORM,
    "archive-case-file-list": OWN,
    "archive-case-file-queue": OWN,
    "archive-hold-list": OWN,
    "archive-disposal-list": OWN,
    "archive-carrier-list": OWN,
    "records:returns": OWN,
    "api-field-returns": OWN,
    "policy:supplement_new": FORM,
    "api-policy-supplements": OWN,
    "supervision:findings": OWN,
    "supervision:reminders": OWN,
    "supervision:scan": FORM,
    "supervision:statistics": OWN,
    "supervision:statistics_export": OWN,
    "supervision-finding-list": OWN,
    "supervision-finding-reminders": OWN,
    "supervision-finding-scan": FORM,
    "supervision-finding-statistics": OWN,
    "supervision:spotchecks": OWN,
    "supervision:spotcheck_new": FORM,
    "supervision:casereviews": OWN,
    "supervision:faults": OWN,
    "supervision:fault_new": FORM,
    "supervision:evaluation": OWN,
    "supervision-spotcheck-list": OWN,
    "supervision-casereview-list": OWN,
    "supervision-casereview-rates": OWN,
    "supervision-fault-list": OWN,
    "api-supervision-evaluation": OWN,
    "api-hazards": OWN,
    "matters:hazards": OWN,
    "supervision:challenges": OWN,
    "supervision:challenge_act": FORM,
    "supervision:service_proof": FORM,
    "field:ratings": OWN,
    "api-field-today": OWN,
    "field:app": OWN + " (the app shell; its data comes from api-field-today)",
    "field:app_js": "the field app's own script: no data",
    "field:sw": "the field app's service worker: no data",
    "field:manifest": "the field app's manifest: no data",
    "field:icon_svg": "the field app's icon: no data",
    "field:icon_png": "the field app's icon: no data",
    "api-field-sync": FORM + " (matter and 文书 ids in the body go through matter_for: test_sync)",
    "api-field-photos": FORM + " (the matter id in the body goes through matter_for: test_sync)",
    "field_public:visit": PORTAL + " (the random 检查码 the officer shows the enterprise)",
    "field_public:check": PORTAL + " (the random token printed in a 文书's QR code)",
    "supervision:body_home": OWN + " (the agencies the viewer's own body supervises)",
    "api-body-agencies": OWN + " (the agencies the viewer's own body supervises)",
    "publicity:agencies": PORTAL,
}
WALKED = sorted(set(ROUTES) - set(NOT_WALKED))
# Roles tried for an id of another section or a 涉密 item: those who see only their own section's
# (leaders, reviewers and archivists see across sections by design).
NARROW = (Role.OFFICER, Role.SECTION_CHIEF)
ANY = (Role.OFFICER, Role.SECTION_CHIEF, Role.LEGAL_REVIEWER, Role.LEADER, Role.ADMIN, Role.ARCHIVIST, Role.OFFICE,
       Role.OVERSIGHT)


def test_every_route_is_walked_or_says_why_not():
    assert set(NOT_WALKED) <= set(ROUTES)
    takes_ids = {n for n, p in ROUTES.items() if set(p.pattern.regex.groupindex) - {"format"}}
    assert takes_ids == {n for n in ROUTES if ROUTE_KWARGS[n]}
    # A route that takes an id is walked unless it is public or national (said above).
    assert {n for n in takes_ids if n in NOT_WALKED} == {
        "arrangement-detail",
        "publicity:inspection_draw",
        "publicity:decision",
        "publicity:correction_new",
        "publicity:correction",
        "publicity:ledger_checkpoint_at",
        "field_public:visit",
        "field_public:check",
    }
    assert all(ROUTE_KWARGS[n] for n in WALKED)


def test_a_supervising_bodys_routes_are_walked_across_agencies():
    """Its staff are probed (ANY ends with them) on every route only they may use, with ids of an
    agency their body does not supervise and 涉密 items of one it does."""
    oversee = {n for n in ROUTES if "supervision.oversee" in (_view_capabilities(ROUTES[n]) or {}).values()}
    assert oversee - set(WALKED) == {"supervision:body_home", "api-body-agencies"}
    assert all(CAPABILITIES[c] == {Role.OVERSIGHT} for n in oversee for c in _view_capabilities(ROUTES[n]).values())
    assert ANY[-1] == Role.OVERSIGHT and not any(Role.OVERSIGHT in CAPABILITIES[c] for c in CAPABILITIES
                                                  if not c.startswith("supervision.oversee"))


def _record(officer, section, tmp_path, title, **kwargs):
    from records.tests.clips import make_pdf

    path = make_pdf(tmp_path / f"{title}.pdf", text=str(abs(hash(title))))
    version = record_ingest(
        acting_user=officer, section=section, path=path, original_name=f"{title}.pdf", title=title, **kwargs
    ).version
    event = Event.objects.filter(subject_type="records.record", subject_id=str(version.record_id)).first()
    return {"record": version.record_id, "version": version.number, "event": event.index}


def _cases(officer, enterprise, title, submitter, **kwargs):
    """A case with a 文书 (for the matter routes) and a major matter sent for review."""
    from matters.models import Matter

    case = matter_open(acting_user=officer, kind="penalty", title=title, party=enterprise, **kwargs)
    filing = matter_transition(
        acting_user=officer, matter=case, transition="request_filing", data={"facts": "事实", "basis": "依据"}
    )
    matter = make_matter(officer.agency, officer.section, officer, amount="20000")
    Matter.objects.filter(pk=matter.pk).update(title=f"{title}（重大）", **kwargs)
    matter.refresh_from_db()
    review = review_submit(matter=matter, acting_user=submitter, **complete_submission(matter))
    return {"case": case.pk, "instrument": filing.instruments.get().pk, "matter": matter.pk, "review": review.pk,
            **_inspection(officer, enterprise, title, **kwargs)}


def _inspection(officer, enterprise, title, **kwargs):
    """An inspection with one hazard in the register (put in place directly: the walk is about roles)."""
    from matters.models import Hazard, Step

    inspection = matter_open(acting_user=officer, kind="inspection", title=f"{title}（检查）", party=enterprise,
                             **kwargs)
    found = Step.objects.create(matter=inspection, transition="inspect", label="现场检查", from_state="planned",
                                to_state="inspected", occurred_at=timezone.now(), acted_by=officer)
    hazard = Hazard.objects.create(matter=inspection, description=f"{title}隐患", found_in=found)
    return {"inspection": inspection.pk, "hazard": hazard.pk}


def _another_agency(tmp_path) -> dict:
    """Every kind of object, in another agency."""
    from org.tests.factories import AgencyFactory, SectionFactory

    agency = AgencyFactory()
    section = SectionFactory(agency=agency, name="执法监察一大队")
    users = {role: StaffFactory(roles=(role,), agency=agency, section=section)
             for role in Role.values if role != Role.OVERSIGHT}
    officer = users[Role.OFFICER]
    certificate = CertificateFactory(staff=officer)
    enterprise = enterprise_create(
        agency=agency,
        uscc=make_uscc("91210403MA0000009"),
        name="外单位化工有限公司",
        legal_representative="某某",
        industry="化工",
    )
    device = device_register(agency=agency, section=section, kind="body_camera", serial="WDW-001")
    upload = upload_start(acting_user=officer, section=section, file_name="外单位.mp4", size=10)
    reason = agency_rules(agency).value("av.exemption_reasons")[0]
    exemption = exemption_record(
        acting_user=officer, reason=reason, details="外单位现场为爆炸危险区域", occurred_at=timezone.now()
    )

    def make_staff(*roles, certificate=False, **kwargs):
        staff = StaffFactory(roles=roles, agency=agency, section=section)
        if certificate:
            CertificateFactory(staff=staff)
        return staff

    publication, correction, item, draw = _publicity_world(agency, officer, users, make_staff)
    return {
        "agency": agency.pk,
        "staff": officer.pk,
        "section": section.pk,
        "certificate": certificate.pk,
        "enterprise": enterprise.pk,
        "device": device.pk,
        "upload": upload.pk,
        "exemption": exemption.pk,
        "publication": publication.pk,
        "correction": correction.pk,
        "item": item.pk,
        "draw": draw.pk,
        "task": draw.tasks.first().pk,
        **_record(officer, section, tmp_path, "外单位执法记录"),
        **_cases(officer, enterprise, "外单位案件", users[Role.SECTION_CHIEF]),
    }


def _another_section(agency, tmp_path) -> dict:
    """Records, matters and reviews of another section of the same agency, and someone else's upload."""
    from org.tests.factories import SectionFactory

    section = SectionFactory(agency=agency, name="执法监察二大队")
    officer = StaffFactory(roles=(Role.OFFICER,), agency=agency, section=section)
    CertificateFactory(staff=officer)
    chief = StaffFactory(roles=(Role.SECTION_CHIEF,), agency=agency, section=section)
    upload = upload_start(acting_user=officer, section=section, file_name="外科室.mp4", size=10)
    return {
        "upload": upload.pk,
        **_record(officer, section, tmp_path, "外科室执法记录"),
        **_cases(officer, None, "外科室案件", chief),
    }


def _secret(officer, tmp_path) -> dict:
    """涉密 records and matters of the viewer's own section, handled by a colleague."""
    from records.choices import Confidentiality

    secret = Confidentiality.SECRET
    return {
        **_record(officer, officer.section, tmp_path, "涉密执法记录", confidentiality=secret),
        **_cases(officer, None, "涉密案件", officer, confidentiality=secret),
    }


MARKERS = ("外单位化工", "外单位执法记录", "外单位案件", "外科室执法记录", "外科室案件", "涉密执法记录", "涉密案件")


def _probe(users, capability, roles, name):
    owner = OWNER_ONLY.get(name)
    for role in roles:
        if role in CAPABILITIES[capability] and owner in (None, role):
            return users[role]
    return None


def _send(client, method, url):
    if method == "GET":
        return client.get(url)
    if method == "PATCH":
        return client.patch(url, b"", content_type="application/offset+octet-stream", HTTP_UPLOAD_OFFSET="0")
    return client.post(url, {})


@pytest.mark.django_db
def test_every_route_refuses_ids_of_another_agency_another_section_and_secret_items(world, client, tmp_path):
    """Each route that takes an id, with each method it answers, as someone who holds the route's
    capability: an id from another agency, another section or a 涉密 item is refused (403/404), the
    refusal is a `*.denied` event, nothing else is written and none of the object's content shows."""
    users, objects = world
    colleague = StaffFactory(roles=(Role.OFFICER,), agency=users[Role.OFFICER].agency, section=users[Role.OFFICER].section)
    CertificateFactory(staff=colleague)
    secret = _secret(colleague, tmp_path)
    variants = {
        "another agency": (_another_agency(tmp_path), ANY),
        "another section": (_another_section(users[Role.OFFICER].agency, tmp_path), NARROW),
        "涉密": (secret, NARROW),
        # A supervising body's staff see no 涉密 item of the agencies they supervise either.
        "涉密 (执法监督)": (secret, (Role.OVERSIGHT,)),
    }
    failures, walked = [], 0
    for name in WALKED:
        kwargs = ROUTE_KWARGS[name]
        caps = _view_capabilities(ROUTES[name])
        for variant, (foreign, roles) in variants.items():
            if not any(key in foreign for key in kwargs.values()):
                continue
            ids = {**objects, **foreign}
            url = reverse(name, kwargs={k: ids[v] for k, v in kwargs.items()}) + QUERY.get(name, "").format(**ids)
            for method, capability in caps.items():
                cls = getattr(ROUTES[name].callback, "cls", None)
                if method not in ("GET", "POST", "PATCH") or (cls and method.lower() not in cls.http_method_names):
                    continue  # (DRF adds HEAD to a viewset's actions once it has answered a GET)
                probe = _probe(users, capability, roles, name)
                if probe is None:
                    continue
                client.force_login(probe)
                last = Event.objects.order_by("-index").values_list("index", flat=True).first()
                response = _send(client, method, url)
                added = list(Event.objects.filter(index__gt=last).values_list("kind", "actor_id"))
                body = response.content.decode(errors="replace") if not response.streaming else ""
                walked += 1
                problem = None
                if response.status_code not in (403, 404):
                    problem = f"answered {response.status_code}"
                elif not any(kind.endswith(".denied") and actor == probe.pk for kind, actor in added):
                    problem = f"no *.denied event (events: {added})"
                elif any(not kind.endswith(".denied") for kind, _ in added):
                    problem = f"wrote more than a refusal: {added}"
                elif any(marker in body for marker in MARKERS):
                    problem = "shows the object's content"
                if problem:
                    failures.append(f"{method} {name} ({variant}, as {probe.role_codes}): {problem}")
                client.logout()
    assert failures == [], "\n".join(failures)
    assert walked > 100
