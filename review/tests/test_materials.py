"""送审材料 picked from the matter's records (000 审核制度第五条): the submitter ticks the matter's records
they may read; a record of another matter or out of sight is refused and logged, nothing stored; the
assigned reviewer opens what was picked (a logged record.view); notes stored as text still show."""

import pytest
from django.urls import reverse

from ledger.models import Event
from org.tests.factories import SectionFactory
from policy.selectors import agency_rules
from review.models import LegalReview, ReviewMaterial
from review.selectors import MATERIAL_RECORDS_MAX
from review.tests.helpers import complete_submission, make_matter

pytestmark = pytest.mark.django_db

EVIDENCE = "相关证据材料"


@pytest.fixture
def world(agency, section, make_staff, tmp_path):
    from types import SimpleNamespace

    from records.services import record_ingest
    from records.tests.clips import make_pdf

    legal = SectionFactory(agency=agency, name="政策法规科")
    other = SectionFactory(agency=agency, name="危化科")
    w = SimpleNamespace(
        officer=make_staff("officer", certificate=True),
        reviewer=make_staff("legal_reviewer", section=legal, legal_qualification="A20231234567"),
        stranger=make_staff("officer", certificate=True, section=other),
    )
    w.matter = make_matter(agency, section, w.officer, amount="20000")
    w.second = make_matter(agency, section, w.officer, amount="20000")

    def record(title, who, sect, matter=None):
        path = make_pdf(tmp_path / f"{title}.pdf", text=f"record {len(list(tmp_path.iterdir()))}")
        rec = record_ingest(acting_user=who, section=sect, path=path, original_name=path.name, title=title).version.record
        if matter is not None:
            matter.steps.first().records.add(rec)
        return rec

    w.notes = record("询问笔录", w.officer, section, w.matter)
    w.photo = record("现场检查记录", w.officer, section, w.matter)
    w.elsewhere = record("另案询问笔录", w.officer, section, w.second)
    w.hidden = record("危化科笔录", w.stranger, other, w.matter)  # linked to the matter, but not the officer's to read
    return w


def _form(matter, **extra):
    rules = agency_rules(matter.agency)
    form = {f"app_{n}": "见案卷" for n, _ in enumerate(rules.value("review.application_items", default=[]))}
    form.update(situation="情况说明", draft_decision="决定书草稿")
    form.update(extra)
    return form


def _evidence_row(client, url, item=EVIDENCE) -> int:
    """The number of the material row `item` on the page."""
    page = client.get(url).content.decode()
    n = page.index(f"<legend>{item}")
    return int(page[page.index('name="rec_', n) + len('name="rec_'):].split('"')[0])


def _kinds(since):
    return list(Event.objects.filter(index__gt=since).order_by("index").values_list("kind", flat=True))


def _last():
    return Event.objects.order_by("-index").values_list("index", flat=True).first() or -1


def test_the_submitter_ticks_the_matters_records_and_a_foreign_id_is_refused(world, client):
    client.force_login(world.officer)
    url = reverse("review:submit", kwargs={"matter_pk": world.matter.pk})
    page = client.get(url).content.decode()
    # Offered: this matter's records the officer may read, grouped by kind with their date; not another
    # matter's, not another section's.
    assert "询问笔录" in page and "现场检查记录" in page and "文字记录" in page
    assert "另案询问笔录" not in page and "危化科笔录" not in page
    last = _last()
    n = _evidence_row(client, url)
    assert _kinds(last) == ["matter.view", "record.list"]  # offering them is a logged read of their metadata

    # Neither a record nor a note for a required material: refused naming it.
    response = client.post(url, _form(world.matter))
    assert response.status_code == 200 and "送审材料不齐全" in response.content.decode()
    assert EVIDENCE in response.content.decode().split("送审材料不齐全")[1][:200]

    # A hand-posted id of another matter's record: refused, logged, nothing stored.
    last = _last()
    response = client.post(url, _form(world.matter, **{f"rec_{n}": [world.notes.pk, world.elsewhere.pk]}))
    body = response.content.decode()
    assert response.status_code == 200 and f"记录#{world.elsewhere.pk}" in body and "不属于本案" in body
    denied = Event.objects.filter(index__gt=last, kind="record.denied").get()
    assert denied.data["reason"].startswith("送法制审核") and denied.subject_id == str(world.elsewhere.pk)
    # One of the matter's but out of the officer's sight: the records selector's refusal, naming who approves.
    last = _last()
    body = client.post(url, _form(world.matter, **{f"rec_{n}": [world.hidden.pk]})).content.decode()
    assert "危化科" in body and "调阅" in body
    assert "record.denied" in _kinds(last)
    # Not a number, and more than a row may hold: refused by the form.
    body = client.post(url, _form(world.matter, **{f"rec_{n}": ["x1"]})).content.decode()
    assert "有效" in body or "选择" in body
    many = list(range(10_000, 10_000 + MATERIAL_RECORDS_MAX + 1))
    body = client.post(url, _form(world.matter, **{f"rec_{n}": many})).content.decode()
    assert f"最多选择{MATERIAL_RECORDS_MAX}条记录" in body
    assert not LegalReview.objects.exists() and not ReviewMaterial.objects.exists()

    # Two of the matter's records and a note for what is on paper.
    response = client.post(url, _form(world.matter, **{f"rec_{n}": [world.notes.pk, world.photo.pk],
                                                       f"mat_{n}": "另附纸质现场照片3张"}))
    assert response.status_code == 302, response.content.decode()[:3000]
    material = ReviewMaterial.objects.get(item=EVIDENCE)
    assert set(material.records.values_list("pk", flat=True)) == {world.notes.pk, world.photo.pk}
    assert material.note == "另附纸质现场照片3张"


def test_the_assigned_reviewer_opens_a_picked_record_and_text_notes_still_show(world, client):
    from review.services import review_assign, review_submit

    submission = complete_submission(world.matter)
    submission["materials"][EVIDENCE] = {"note": "", "records": [world.notes.pk]}
    review = review_submit(matter=world.matter, acting_user=world.officer, **submission)
    # A submission of before the picker: its materials are text only (a row stored as it was).
    ReviewMaterial.objects.create(review=review, item="其他需要提交的材料", note="见案卷第1-12页，询问笔录编号#17",
                                  added_at=review.submitted_at)
    detail = reverse("review:detail", kwargs={"pk": review.pk})
    opened = reverse("records:detail", kwargs={"pk": world.notes.pk})
    client.force_login(world.reviewer)

    # Not yet assigned: the number only, and opening it is the standard refusal saying who approves, logged.
    page = client.get(detail).content.decode()
    assert f'href="{opened}"' in page and "询问笔录（" not in page and "见案卷第1-12页，询问笔录编号#17" in page
    last = _last()
    response = client.get(opened)
    assert response.status_code == 403 and "调阅" in response.content.decode()
    assert _kinds(last) == ["record.denied"]

    review_assign(review=review, reviewer=world.reviewer, first=True, acting_user=world.reviewer)
    last = _last()
    page = client.get(detail).content.decode()
    assert "询问笔录" in page and "文字记录" in page and "见案卷第1-12页，询问笔录编号#17" in page
    assert _kinds(last) == ["review.view", "record.list"]
    last = _last()
    response = client.get(opened)
    assert response.status_code == 200 and "询问笔录" in response.content.decode()
    view = Event.objects.filter(index__gt=last, kind="record.view").get()
    assert "法制审核送审材料" in view.data["grant"]
    # The grant reads; it does not copy, and it opens nothing that was not submitted.
    assert client.get(reverse("records:detail", kwargs={"pk": world.photo.pk})).status_code == 403


def test_the_api_takes_the_same_ids_with_the_same_checks(world, client):
    client.force_login(world.officer)
    api = reverse("api-review-submit")

    def post(records, item=EVIDENCE):
        submission = complete_submission(world.matter)
        submission["materials"][item] = {"note": "", "records": records}
        return client.post(api, {"matter": world.matter.pk, **submission}, content_type="application/json")

    last = _last()
    response = post([world.elsewhere.pk])
    assert response.status_code == 400 and "不属于本案" in response.json()["detail"]
    assert _kinds(last) == ["record.denied"]
    assert post([world.hidden.pk]).status_code == 403
    assert post(["abc"]).status_code == 400 and post([2**63]).status_code == 400
    assert post(list(range(1, MATERIAL_RECORDS_MAX + 2))).status_code == 400
    response = post([world.notes.pk], item="不在清单中的材料")
    assert response.status_code == 400 and "不在本次可提交的材料中" in response.json()["detail"]
    assert not LegalReview.objects.exists()
    response = post([world.notes.pk, world.photo.pk])
    assert response.status_code == 201, response.json()
    material = ReviewMaterial.objects.get(item=EVIDENCE)
    assert set(material.records.values_list("pk", flat=True)) == {world.notes.pk, world.photo.pk}


@pytest.mark.parametrize(
    "pack", ["fushun-city", "yuyao-city", "pingdingshan-hitech", "tonghua-city", "fushun-county-hrss"]
)
def test_each_pack_offers_the_matters_records(world, client, pack):
    """Where the pack lists the materials (抚顺 第五条) the records go with its evidence; where it lists
    none, the form still offers the matter's records in one optional row, which requires nothing."""
    from review.services import OTHER_RECORDS

    agency = world.matter.agency
    agency.policy_pack = pack
    agency.save(update_fields=["policy_pack"])
    item = EVIDENCE if agency_rules(agency).value("review.required_materials", default=[]) else OTHER_RECORDS
    client.force_login(world.officer)
    url = reverse("review:submit", kwargs={"matter_pk": world.matter.pk})
    n = _evidence_row(client, url, item)
    response = client.post(url, _form(world.matter, **{f"rec_{n}": [world.notes.pk]}))
    assert response.status_code == 302, response.content.decode()[-3000:]
    material = ReviewMaterial.objects.get()
    assert material.item == item and list(material.records.values_list("pk", flat=True)) == [world.notes.pk]


def test_supplements_are_picked_the_same_way(world, client):
    from datetime import timedelta

    from django.utils import timezone

    from review.services import review_submit, review_supplement_request

    review = review_submit(matter=world.matter, acting_user=world.officer, **complete_submission(world.matter))
    review_supplement_request(review=review, items=["现场检查照片"], supply_by=timezone.localdate() + timedelta(days=3),
                              acting_user=world.reviewer)
    client.force_login(world.officer)
    url = reverse("review:provide", kwargs={"pk": review.pk})
    page = client.get(url).content.decode()
    assert "现场检查记录" in page and "另案询问笔录" not in page
    last = _last()
    body = client.post(url, {"rec_0": [world.elsewhere.pk]}).content.decode()
    assert "不属于本案" in body and "record.denied" in _kinds(last)
    body = client.post(url, {"item_0": ""}).content.decode()
    assert "补正材料不齐全" in body and "现场检查照片" in body
    review.refresh_from_db()
    assert review.state == "supplementing" and review.materials.filter(item="现场检查照片").count() == 0
    assert client.post(url, {"rec_0": [world.photo.pk]}).status_code == 302
    review.refresh_from_db()
    assert review.state == "reviewing"
    assert list(review.materials.get(item="现场检查照片").records.values_list("pk", flat=True)) == [world.photo.pk]
