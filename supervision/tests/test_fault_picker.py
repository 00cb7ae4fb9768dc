"""The 执法过错 form picks its related records and matters from what the supervisor may see (查找, then
tick): nothing is typed by number, the list is a logged read, and an id out of sight — posted by
hand to the page or the API — is refused and logged as a refusal."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from archive.tests.conftest import use_pack
from ledger.models import Event
from matters.services import matter_open
from org.permissions import denial_message
from org.tests.factories import SectionFactory
from records.services import record_ingest
from records.tests.clips import make_docx
from supervision.faults import fault_options
from supervision.oversight_models import Fault

pytestmark = pytest.mark.django_db


def _record(desk, title, *, by=None, section=None):
    path = make_docx(desk.folder / f"{title}.docx", text=title)
    return record_ingest(acting_user=by or desk.officer, section=section or desk.section, path=path,
                         original_name=path.name, title=title).version.record


def _offered(html: str, name: str) -> set[int]:
    return {int(v) for v in re.findall(rf'name="{name}" value="(\d+)"', html)}


def _body(desk, **extra):
    return {"officer": desk.partner.pk, "kind": "lost", "facts": "丢失执法记录仪存储卡。",
            "occurred_on": timezone.localdate().isoformat(), "measures": ["self_examination"],
            "rectification": "补办存储卡登记", "rectification_due": timezone.localdate().isoformat(), **extra}


def test_the_fault_form_offers_what_the_supervisor_may_see_and_refuses_the_rest(desk, make_staff, client):
    use_pack(desk, "pingdingshan-hitech")
    reviewer = make_staff("legal_reviewer", name="孙法规", username="sun")
    mine = _record(desk, "储罐区检查录像说明")
    other = _record(desk, "仓库检查笔录")
    elsewhere = SectionFactory(agency=desk.agency, name="执法监察二大队")
    stranger = make_staff("officer", section=elsewhere, name="吴执法", username="wu")
    hidden = _record(desk, "二大队检查笔录", by=stranger, section=elsewhere)
    matter = matter_open(acting_user=desk.officer, kind="inspection", title="东华化工专项检查", party=desk.party,
                         officers=[desk.officer, desk.partner])
    secret = matter_open(acting_user=desk.officer, kind="inspection", title="涉密检查", party=desk.party,
                         officers=[desk.officer], confidentiality="secret")
    client.force_login(reviewer)
    url = reverse("supervision:fault_new")

    page = client.get(url).content.decode()
    assert "编号（逗号分隔）" not in page  # nothing typed by number
    assert _offered(page, "records") == {mine.pk, other.pk}  # not the other section's
    assert _offered(page, "matters") == {matter.pk}  # not the secret one
    listed = Event.objects.filter(kind="record.list", actor=reviewer).latest("pk")
    assert set(listed.data["records"]) == {mine.pk, other.pk}

    # 查找 narrows the list, keeps what was filled in and ticked, and saves nothing
    page = client.post(url, {**_body(desk), "records": [other.pk], "records_q": "储罐", "find": "records"})
    html = page.content.decode()
    assert page.status_code == 200 and _offered(html, "records") == {mine.pk, other.pk}
    assert re.search(rf'value="{other.pk}"[^>]*checked', html) and "丢失执法记录仪存储卡" in html
    page = client.post(url, {**_body(desk), "records_q": "储罐", "find": "records"})
    assert _offered(page.content.decode(), "records") == {mine.pk}
    assert "没有找到" in client.post(url, {**_body(desk), "matters_q": "不存在的事项", "find": "matters"}).content.decode()
    assert not Fault.objects.exists()

    # an id out of sight, posted by hand: refused with who may act, logged as a refusal, nothing saved
    for field, pk, kind, fragment in [("records", hidden.pk, "record.denied", "执法监察二大队"),
                                      ("matters", secret.pk, "matter.denied", "涉及国家秘密"),
                                      ("records", 987654, None, "没有记录#987654")]:
        denied = Event.objects.filter(kind=kind, actor=reviewer).count() if kind else 0
        html = client.post(url, {**_body(desk), field: [pk]}).content.decode()
        assert fragment in html, fragment
        assert not Fault.objects.exists()
        if kind:
            assert Event.objects.filter(kind=kind, actor=reviewer, subject_id=str(pk)).count() == denied + 1

    response = client.post(url, {**_body(desk), "records": [mine.pk], "matters": [matter.pk]})
    assert response.status_code == 302
    fault = Fault.objects.get()
    assert list(fault.records.all()) == [mine] and list(fault.matters.all()) == [matter]

    # the API resolves its ids the same way
    api = client.post(reverse("supervision-fault-list"), {**_body(desk), "records": [hidden.pk]},
                      content_type="application/json")
    assert api.status_code == 403 and "执法监察二大队" in api.json()["detail"]
    assert Fault.objects.count() == 1


def test_a_supervisor_who_may_not_read_records_is_told_so_and_cannot_link_any(desk, make_staff, client):
    use_pack(desk, "fushun-county-hrss")  # 办公室 supervises (fsx-record 第二十条) and reads no records
    office = make_staff("office", name="周办公室", username="zhou")
    record = _record(desk, "现场检查笔录")
    client.force_login(office)
    url = reverse("supervision:fault_new")
    html = client.get(url).content.decode()
    assert "您的岗位不能查看执法记录" in html and 'name="records"' not in html
    kind = fault_options(desk.agency)["kinds"][0]
    html = client.post(url, {**_body(desk, kind=kind, measures=[]), "records": [record.pk]}).content.decode()
    assert denial_message("records.view") in html
    assert not Fault.objects.exists()
    assert Event.objects.filter(kind="record.denied", actor=office, subject_id=str(record.pk)).exists()


def test_someone_who_may_not_record_faults_gets_who_does_and_no_form(desk, make_staff, client):
    use_pack(desk, "fushun-city")  # the 政策法规科 supervises here, not the office
    office = make_staff("office", name="钱办公", username="qian-office")
    client.force_login(office)
    page = client.get(reverse("supervision:fault_new")).content.decode()
    assert 'id="check-refusal"' in page and "请交由其办理" in page
    assert 'id="fault-form"' not in page
    posted = client.post(reverse("supervision:fault_new"), _body(desk))
    assert not Fault.objects.exists() and posted.status_code in (200, 403)
