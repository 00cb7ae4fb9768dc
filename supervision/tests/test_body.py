"""The 司法行政部门's 执法监督 across agencies: a supervisor of a body reads the agencies it
supervises (each read an event in that agency's ledger), is refused everything else (logged), and
can change nothing; staff of a supervised agency never see the body's pages."""

import re

import pytest
from django.urls import reverse

from ledger.models import Event
from matters.services import matter_open, matter_transition
from org.choices import Role
from org.services import supervising_body_attach, supervising_body_create, supervisor_create
from org.tests.factories import (
    PASSWORD,
    AgencyFactory,
    CertificateFactory,
    SectionFactory,
    StaffFactory,
    make_uscc,
)
from records.choices import Confidentiality
from records.services import record_ingest
from records.tests.clips import make_pdf

pytestmark = pytest.mark.django_db


def _agency_world(pack: str, n: int, tmp_path):
    agency = AgencyFactory(policy_pack=pack, name=f"监督测试应急管理局{n}", uscc=make_uscc(f"11210400MC{n:07d}"))
    section = SectionFactory(agency=agency, name="执法监察一大队")
    officer = StaffFactory(agency=agency, section=section, roles=(Role.OFFICER,))
    CertificateFactory(staff=officer)
    case = matter_open(acting_user=officer, kind="penalty", title=f"第{n}局的处罚案件", party=None)
    matter_transition(acting_user=officer, matter=case, transition="request_filing",
                      data={"facts": "事实", "basis": "依据"})
    secret = matter_open(acting_user=officer, kind="penalty", title=f"第{n}局的涉密案件", party=None,
                         confidentiality=Confidentiality.SECRET)
    record = record_ingest(acting_user=officer, section=section, path=make_pdf(tmp_path / f"r{n}.pdf", text=f"c{n}"),
                           original_name=f"记录{n}.pdf", title=f"第{n}局的检查笔录").version.record
    return {"agency": agency, "officer": officer, "case": case, "secret": secret, "record": record}


@pytest.fixture
def province(tmp_path):
    """Two agencies on different packs under 抚顺市司法局, and a third it does not supervise."""
    body = supervising_body_create(name="抚顺市司法局", jurisdiction="抚顺市人民政府所属行政执法部门")
    a = _agency_world("fushun-city", 1, tmp_path)
    b = _agency_world("tonghua-city", 2, tmp_path)
    other = _agency_world("yuyao-city", 3, tmp_path)
    for w in (a, b):
        supervising_body_attach(body=body, agency=w["agency"])
    supervisor = supervisor_create(body=body, username="sfj1", name="司法局监督员", password=PASSWORD)
    return {"body": body, "a": a, "b": b, "other": other, "supervisor": supervisor}


def _page(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def _last(kind: str):
    return Event.objects.filter(kind=kind).order_by("-pk").first()


def test_supervisor_reads_what_the_body_supervises_is_refused_the_rest_and_changes_nothing(client, province):
    sup = province["supervisor"]
    client.force_login(sup)
    _reads(client, province)
    _refusals(client, province)
    _no_writes(client, province)


def _reads(client, province):
    sup, a, b = province["supervisor"], province["a"], province["b"]
    landing = client.get(reverse("home"))
    assert landing.status_code == 302 and landing["Location"] == reverse("supervision:body_home")
    page = client.get(reverse("supervision:body_home")).content.decode()
    assert a["agency"].name in page and b["agency"].name in page and province["other"]["agency"].name not in page
    for w in (a, b):
        agency, case = w["agency"], w["case"]
        html = client.get(reverse("supervision:body_agency", args=[agency.pk])).content.decode()
        assert case.title in html and w["secret"].title not in html
        event = _last("oversight.view")
        assert (event.agency_id, event.actor_id, event.subject_id) == (agency.pk, sup.pk, str(agency.pk))
        html = client.get(reverse("supervision:body_matter", args=[case.pk])).content.decode()
        assert "立案申请" in html and "文书" in html and "法制审核" in html and "期限" in html
        event = _last("oversight.view")
        assert (event.agency_id, event.actor_id, event.subject_type) == (agency.pk, sup.pk, "matters.matter")
        html = client.get(reverse("supervision:body_records", args=[agency.pk])).content.decode()
        assert w["record"].title in html
        html = client.get(reverse("supervision:body_record", args=[w["record"].pk])).content.decode()
        assert w["record"].versions.get().sha256 in html
        assert _last("oversight.view").subject_type == "records.record"
        response = client.get(reverse("supervision:body_statistics", args=[agency.pk]) + "?year=1999")
        assert response.status_code == 200 and "案卷评查结果" in response.content.decode()


def _refusals(client, province):
    """Ids outside the body (or 涉密) are a logged 404, the same page as a missing id."""
    sup, other, a = province["supervisor"], province["other"], province["a"]
    tries = [
        ("supervision:body_agency", other["agency"].pk, "agency.denied"),
        ("supervision:body_statistics", other["agency"].pk, "agency.denied"),
        ("supervision:body_records", other["agency"].pk, "agency.denied"),
        ("supervision:body_matter", other["case"].pk, "matter.denied"),
        ("supervision:body_matter", a["secret"].pk, "matter.denied"),  # 涉密, even in a supervised agency
        ("supervision:body_record", other["record"].pk, "record.denied"),
    ]
    missing = client.get(reverse("supervision:body_agency", args=[999999]))
    for name, pk, kind in tries:
        before = Event.objects.count()
        response = client.get(reverse(name, args=[pk]))
        assert response.status_code == 404 == missing.status_code, name
        assert _page(response) == _page(missing), name  # the same answer as a missing id
        added = list(Event.objects.order_by("pk")[before:].values_list("kind", "actor_id"))
        assert added == [(kind, sup.pk)], (name, added)
        assert other["case"].title not in response.content.decode()


def _no_writes(client, province):
    a = province["a"]
    writes = [
        reverse("matters:transition", args=[a["case"].pk, "approve_filing"]),
        reverse("matters:new"),
        reverse("org:staff_new"),
        reverse("api-matters"),
        reverse("publicity:staff_new"),
    ]
    before = Event.objects.exclude(kind__endswith=".denied").count()
    for url in writes:
        response = client.post(url, {"title": "x"})
        assert response.status_code == 403, url
    reads = [reverse("matters:detail", args=[a["case"].pk]), reverse("records:list"), reverse("org:agency")]
    for url in reads:
        assert client.get(url).status_code == 403, url
    assert Event.objects.exclude(kind__endswith=".denied").count() == before


def test_agency_staff_never_see_the_body_pages_nor_hold_the_role(client):
    from django.core.exceptions import PermissionDenied, ValidationError

    from org.services import staff_create, staff_set_roles

    body = supervising_body_create(name="某市司法局", jurisdiction="某市人民政府所属行政执法部门")
    agency = AgencyFactory()
    supervising_body_attach(body=body, agency=agency)
    sup = supervisor_create(body=body, username="sfj2", name="监督员")
    leader = StaffFactory(agency=agency, roles=(Role.LEADER, Role.ADMIN, Role.LEGAL_REVIEWER))
    client.force_login(leader)
    for name, args in (("supervision:body_home", []), ("supervision:body_agency", [agency.pk]),
                       ("supervision:body_matter", [1]), ("supervision:body_record", [1])):
        response = client.get(reverse(name, args=args))
        assert response.status_code == 403 and "执法监督（司法行政）" in response.content.decode()
    assert "/supervision/body/" not in client.get(reverse("home")).content.decode()
    form = client.get(reverse("org:staff_new")).content.decode()
    assert 'value="admin"' in form and 'value="oversight"' not in form  # never offered to an agency
    with pytest.raises(ValidationError, match="只授予司法行政部门"):
        staff_create(agency=agency, username="x1", name="某某", roles=[Role.OVERSIGHT])
    with pytest.raises(ValidationError, match="只授予司法行政部门"):
        staff_set_roles(staff=leader, roles=[Role.LEADER, Role.OVERSIGHT])
    with pytest.raises(PermissionDenied):
        staff_set_roles(staff=sup, roles=[Role.ADMIN])
    assert sup.agency_id is None and sup.role_codes == {Role.OVERSIGHT}
