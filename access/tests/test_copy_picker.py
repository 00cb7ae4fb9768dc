"""登记复制件 picks the record from those the approved request names (nothing typed by number); a record
outside it, posted by hand, is refused with what to do and who approves, and the refusal is logged."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from access.models import AccessRequest
from access.tests.test_api import api, submit
from ledger.models import Event
from records.services import record_ingest
from records.tests.clips import make_pdf

pytestmark = pytest.mark.django_db


def test_the_copy_form_offers_the_requests_records_and_refuses_any_other(people, stored, section, period, login,
                                                                          tmp_path):
    path = make_pdf(tmp_path / "other.pdf", text="not requested")
    outside = record_ingest(acting_user=people.author, section=section, path=path, original_name=path.name,
                            title="未申请的询问笔录").version.record
    body = submit(people.archivist, stored, period, requester_kind="external_letter", action="copy",
                  requester_name="某市中级人民法院", requester_org="某市中级人民法院").json()
    assert api(people.leader).post(f"/api/v1/access/requests/{body['id']}/decision/", {"approve": True}).status_code == 200
    client = login(people.archivist)
    page = client.get(reverse("access:detail", kwargs={"pk": body["id"]})).content.decode()
    select = re.search(r'<select name="record".*?</select>', page, re.S).group(0)
    assert {int(v) for v in re.findall(r'<option value="(\d+)"', select)} == {r.pk for r in stored}
    assert "记录编号" not in page

    copy = reverse("access:copy", kwargs={"pk": body["id"]})
    fields = {"medium": "disc", "extractor": "法院书记员周某", "fee": "0",
              "extracted_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}
    html = client.post(copy, {**fields, "record": outside.pk}, follow=True).content.decode()
    assert f"记录#{outside.pk}不在调阅申请{body['number']}批准的范围内" in html and "批准后办理" in html
    assert Event.objects.filter(kind="record.denied", actor=people.archivist, subject_id=str(outside.pk)).exists()
    html = client.post(copy, {**fields, "record": 987654}, follow=True).content.decode()
    assert "记录#987654不在" in html
    target = AccessRequest.objects.get(pk=body["id"])
    assert not target.copies.exists()

    fields["extracted_at"] = timezone.now().isoformat()  # after the approval
    html = client.post(copy, {**fields, "record": stored[1].pk}, follow=True).content.decode()
    assert f"已登记“{stored[1].title}”的复制件" in html
    assert [c.version.record_id for c in target.copies.all()] == [stored[1].pk]
