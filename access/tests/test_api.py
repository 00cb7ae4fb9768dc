"""Requests through the API for each kind of requester: request → approval or refusal → viewing →
copy, with the documents each must present (fushun-city pack: 000 记录信息调阅监督制度第五至九条;
pingdingshan-hitech pack: 003 附件4)."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from access.models import AccessRequest, PresentedDocument
from ledger.models import Event

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def submit(user, records, period, **fields):
    data = {"purpose": "核查执法过程", "period_start": period[0], "period_end": period[1], **fields}
    data["records"] = [r.pk for r in records]
    return api(user).post("/api/v1/access/requests/", data, format="multipart")


def upload(path):
    return SimpleUploadedFile(path.name, path.read_bytes(), content_type="application/pdf")


def kinds(number: str) -> list[str]:
    return list(Event.objects.filter(data__number=number).order_by("index").values_list("kind", flat=True))


def test_another_section_needs_the_leaders_approval_and_reads_only_in_a_session(people, stored, period):
    record = stored[0]
    outsider = api(people.outsider)
    refused = outsider.get(f"/api/v1/records/{record.pk}/")
    assert refused.status_code == 403 and "提交调阅申请" in refused.json()["detail"]

    response = submit(people.outsider, stored, period, requester_kind="other_section", action="view")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "pending" and body["approver"] == "局领导"
    assert "第六条" in body["rule_citation"]
    pk, number = body["id"], body["number"]

    # Nothing readable before approval; the refusal is logged.
    assert outsider.get(f"/api/v1/records/{record.pk}/").status_code == 403
    assert Event.objects.filter(kind="record.denied", subject_id=str(record.pk), actor=people.outsider).count() == 2

    # The section chief is not the approver the pack names; the leader is.
    wrong = api(people.chief).post(f"/api/v1/access/requests/{pk}/decision/", {"approve": True}, format="json")
    assert wrong.status_code == 403 and "局领导审批" in wrong.json()["detail"]
    ok = api(people.leader).post(f"/api/v1/access/requests/{pk}/decision/", {"approve": True}, format="json")
    assert ok.status_code == 200 and ok.json()["state"] == "approved"

    # 抚顺 wants viewing accompanied (第九条): approved but no open session → still refused.
    assert outsider.get(f"/api/v1/records/{record.pk}/").status_code == 403
    session = api(people.archivist).post(f"/api/v1/access/requests/{pk}/sessions/", {"place": "档案室"}, format="json")
    assert session.status_code == 201, session.json()
    sid = session.json()["id"]
    read = outsider.get(f"/api/v1/records/{record.pk}/")
    assert read.status_code == 200
    assert Event.objects.filter(kind="record.view", actor=people.outsider, data__grant=f"调阅申请{number}").exists()
    # Viewing only: no download under a view grant.
    download = outsider.get(f"/api/v1/records/{record.pk}/versions/1/content/", {"purpose": "复制"})
    assert download.status_code == 403
    inside = outsider.get(f"/api/v1/access/sessions/{sid}/records/{record.pk}/")
    assert inside.status_code == 200 and inside.json()["download"] is False and inside.json()["destroyed"] is None
    outsider.force_login(people.outsider)  # the session's viewer page shows the file inline
    shown = outsider.get(f"/access/sessions/{sid}/records/{record.pk}/content/")
    assert shown.status_code == 200 and shown["Content-Disposition"] == "inline"
    version = record.versions.get()
    assert hashlib.sha256(b"".join(shown.streaming_content)).hexdigest() == version.sha256
    closed = api(people.archivist).post(f"/api/v1/access/sessions/{sid}/close/", {"note": "无异常"}, format="json")
    assert closed.status_code == 200 and closed.json()["closed_at"]
    assert outsider.get(f"/api/v1/records/{record.pk}/").status_code == 403
    assert outsider.get(f"/api/v1/access/sessions/{sid}/records/{record.pk}/").status_code == 403
    assert kinds(number) == [
        "access.request", "access.approve", "access.session_open", "access.view", "access.view",
        "access.session_close", "access.denied",
    ]


def test_the_handling_section_reads_its_own_records_without_approval(people, stored, period):
    response = submit(people.author, stored, period, requester_kind="own_section", action="view")
    assert response.status_code == 201
    assert response.json()["state"] == "approved" and response.json()["approver"] == "无需审批"
    wrong = submit(people.outsider, stored, period, requester_kind="own_section", action="view")
    assert wrong.status_code == 400 and "本局其他科室" in wrong.json()["detail"]


def test_a_visitor_from_another_agency_must_present_the_letter_and_a_work_id(people, stored, period, scan):
    response = submit(
        people.archivist, stored, period, requester_kind="external_visit", action="view",
        requester_name="李调查", requester_org="某区人民检察院",
        document_kinds=["单位介绍信"], documents=[upload(scan("介绍信.pdf"))],
    )
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "缺少：工作证等本人身份证件" in detail and "第七条" in detail
    assert not AccessRequest.objects.exists() and not PresentedDocument.objects.exists()

    response = submit(
        people.archivist, stored, period, requester_kind="external_visit", action="view",
        requester_name="李调查", requester_org="某区人民检察院",
        document_kinds=["单位介绍信", "工作证等本人身份证件"],
        documents=[upload(scan("介绍信.pdf")), upload(scan("工作证.pdf"))],
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [d["kind"] for d in body["documents"]] == ["单位介绍信", "工作证等本人身份证件"]
    assert all(len(d["sha256"]) == 64 for d in body["documents"])
    # Refused by the leader, with its reason; a refusal without one is refused.
    leader = api(people.leader)
    assert leader.post(f"/api/v1/access/requests/{body['id']}/decision/", {"approve": False}).status_code == 400
    refused = leader.post(
        f"/api/v1/access/requests/{body['id']}/decision/", {"approve": False, "note": "调阅事由与所列记录无关"}
    )
    assert refused.status_code == 200 and refused.json()["state"] == "refused"
    session = api(people.archivist).post(f"/api/v1/access/requests/{body['id']}/sessions/", {})
    assert session.status_code == 400 and "批准前不能调阅" in session.json()["detail"]
    assert kinds(body["number"]) == ["access.request", "access.refuse"]


def test_the_party_presents_a_licence_and_views_accompanied(people, stored, period, scan):
    response = submit(
        people.archivist, stored, period, requester_kind="party", action="view", requester_name="某化工有限公司",
        requester_id_number="91210400MA0000000X",
        document_kinds=["企业营业执照或自然人身份证件"], documents=[upload(scan("营业执照.pdf"))],
    )
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    # The party may not copy under the 抚顺 pack: it names only viewing for the party.
    copy = submit(people.archivist, stored, period, requester_kind="party", action="copy", requester_name="某公司",
                  document_kinds=["企业营业执照或自然人身份证件"], documents=[upload(scan("执照2.pdf"))])
    assert copy.status_code == 400 and "可以申请：查阅" in copy.json()["detail"]
    assert api(people.leader).post(f"/api/v1/access/requests/{pk}/decision/", {"approve": True}).status_code == 200
    archivist = api(people.archivist)
    sid = archivist.post(f"/api/v1/access/requests/{pk}/sessions/", {"place": "档案室"}).json()["id"]
    assert archivist.get(f"/api/v1/access/sessions/{sid}/records/{stored[1].pk}/").status_code == 200
    # Only the accompanying manager or the requester looks inside a session; others are refused and logged.
    assert api(people.chief).get(f"/api/v1/access/sessions/{sid}/records/{stored[1].pk}/").status_code == 403
    view = Event.objects.get(kind="access.view", subject_id=str(stored[1].pk))
    assert view.data["requester"] == "某化工有限公司" and view.actor == people.archivist


def test_borrowing_out_is_refused_where_the_pack_does_not_provide_for_it(people, stored, period):
    response = submit(people.outsider, stored, period, requester_kind="other_section", action="borrow")
    assert response.status_code == 400 and "未规定" in response.json()["detail"]
    assert not AccessRequest.objects.exists()


def test_a_letter_from_another_agency_is_copied_and_posted(people, stored, period, scan):
    response = submit(
        people.archivist, stored, period, requester_kind="external_letter", action="copy",
        requester_name="某市中级人民法院", requester_org="某市中级人民法院", proceedings="litigation",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["proceedings"] == "litigation"
    pk = body["id"]
    assert api(people.leader).post(f"/api/v1/access/requests/{pk}/decision/", {"approve": True}).status_code == 200
    archivist = api(people.archivist)
    assert archivist.post(f"/api/v1/access/requests/{pk}/post/", {"note": "EMS 1234"}).status_code == 400
    future = (timezone.now() + timezone.timedelta(hours=2)).isoformat()
    bad = archivist.post(f"/api/v1/access/requests/{pk}/copies/",
                         {"record": stored[0].pk, "medium": "disc", "extractor": "钱档案", "extracted_at": future})
    assert bad.status_code == 400 and "不能晚于现在" in bad.json()["detail"]
    made = archivist.post(
        f"/api/v1/access/requests/{pk}/copies/",
        {"record": stored[0].pk, "medium": "disc", "extractor": "法院书记员周某",
         "extracted_at": timezone.now().isoformat(), "proves": "现场检查过程", "fee": "12.50"},
    )
    assert made.status_code == 201, made.json()
    assert made.json()["maker_name"] == "钱档案" and made.json()["fee"] == "12.50"
    posted = archivist.post(f"/api/v1/access/requests/{pk}/post/", {"note": "EMS 1234 寄某市中级人民法院"})
    assert posted.status_code == 200 and posted.json()["posted_at"]
    assert kinds(body["number"])[-2:] == ["access.copy", "access.post"]


def test_a_secret_record_is_not_approved_for_copying(people, section, tmp_path, period):
    from records.services import record_ingest
    from records.tests.clips import make_pdf

    path = make_pdf(tmp_path / "s.pdf", text="secret")
    secret = record_ingest(acting_user=people.author, section=section, path=path, original_name="s.pdf",
                           confidentiality="secret").version.record
    body = submit(people.archivist, [secret], period, requester_kind="external_letter", action="copy",
                  requester_name="某法院", requester_org="某法院").json()
    assert body["confidential"] == [f"{secret.title}：涉及国家秘密，按保密规定管理"]
    refused = api(people.leader).post(f"/api/v1/access/requests/{body['id']}/decision/", {"approve": True})
    assert refused.status_code == 400 and "依保密规定不予复制" in refused.json()["detail"]
    assert AccessRequest.objects.get(pk=body["id"]).state == "pending"


def test_tonghua_a_partys_copy_goes_to_the_head_of_the_bureau(agency, people, stored, period):
    """通化 第二十八条: a party's copy needs the 局主要负责人 (or an authorised deputy); viewing by the
    party is not provided for in that pack and is refused."""
    agency.policy_pack = "tonghua-city"
    agency.save(update_fields=["policy_pack"])
    body = submit(people.archivist, stored, period, requester_kind="party", action="copy",
                  requester_name="某化工有限公司").json()
    assert body["state"] == "pending" and body["approver"] == "局领导" and "第二十八条" in body["rule_citation"]
    refused = api(people.chief).post(f"/api/v1/access/requests/{body['id']}/decision/", {"approve": True})
    assert refused.status_code == 403 and "局领导审批" in refused.json()["detail"]
    assert api(people.leader).post(f"/api/v1/access/requests/{body['id']}/decision/", {"approve": True}).json()[
        "state"
    ] == "approved"
    view = submit(people.archivist, stored, period, requester_kind="party", action="view", requester_name="某公司")
    assert view.status_code == 400 and "可以申请：复制" in view.json()["detail"]


def test_the_records_page_opens_under_a_grant_and_the_download_is_refused_and_logged(login, people, stored, period):
    body = submit(people.outsider, stored[:1], period, requester_kind="other_section", action="view").json()
    api(people.leader).post(f"/api/v1/access/requests/{body['id']}/decision/", {"approve": True})
    api(people.archivist).post(f"/api/v1/access/requests/{body['id']}/sessions/", {})
    client = login(people.outsider)
    page = client.get(f"/records/{stored[0].pk}/")
    assert page.status_code == 200 and stored[0].title in page.content.decode()
    # The page's player reads under the same grant, logged once per playback with it.
    played = client.get(f"/records/{stored[0].pk}/versions/1/media/?p={'a' * 32}", HTTP_RANGE="bytes=0-99")
    assert played.status_code == 206 and len(b"".join(played.streaming_content)) == 100
    play = Event.objects.get(kind="record.play", subject_id=str(stored[0].pk), actor=people.outsider)
    assert play.data["grant"] == Event.objects.filter(kind="record.view", actor=people.outsider).last().data["grant"]
    download = client.post(f"/records/{stored[0].pk}/versions/1/download/", {"purpose": "带走"})
    assert download.status_code == 403
    assert Event.objects.filter(kind="record.denied", subject_id=str(stored[0].pk), actor=people.outsider).exists()
    assert not Event.objects.filter(kind="record.download", actor=people.outsider).exists()
