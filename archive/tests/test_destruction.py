"""Physical removal at disposal: nothing on hold can be listed or approved; once the leader approves
a destruction list, the stored bytes of its records go from the store (a file deleted; on S3 every object version, once its Object Lock has
run, the disposal waiting until then), while metadata, hashes and ledger events stay; the record
page says 已销毁 with the register entry."""

import datetime as dt
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from archive.models import BlobRemoval, CaseFile
from archive.services import casefile_seal, disposal_decide, disposal_propose, hold_place, hold_release
from ledger.models import Event
from records.models import RecordVersion
from records.storage import blob_store
from records.tests.conftest import make_s3_store, s3_endpoint  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def _expired_file(desk, title):
    """A sealed 5-year file whose period (and its recording's own minimum) ran out yesterday."""
    clip = desk.clip(f"{title}.mp4")
    m = desk.close_inspection(title, records=[clip])
    sealed = casefile_seal(acting_user=desk.archivist, case_file=CaseFile.objects.get(matter=m), retention="5")
    CaseFile.objects.filter(pk=sealed.pk).update(retain_until=timezone.localdate() - timedelta(days=1))
    RecordVersion.objects.filter(record=clip).update(
        recorded_start=timezone.now() - timedelta(days=2000), filed_at=timezone.now() - timedelta(days=2000)
    )
    sealed.refresh_from_db()
    return sealed, clip


def _digests(case_file):
    items = list(case_file.items.select_related("version"))
    return ({i.version.sha256 for i in items} | {i.long_term_sha256 for i in items if i.long_term_sha256}
            | {case_file.pdf.current_version.sha256})


def test_approval_deletes_the_files_and_keeps_metadata_hashes_and_events(desk, login):
    sealed, clip = _expired_file(desk, "期满销毁")
    digests = _digests(sealed)
    paths = [blob_store().path(d) for d in digests]
    assert all(p.is_file() for p in paths)
    # a record of the file under a hold (an open access request) keeps the whole file off the list
    held = hold_place(acting_user=desk.archivist, agency=desk.agency, kind="access_request", reference="调阅2026-7",
                      record=clip)
    with pytest.raises(ValidationError) as exc:
        disposal_propose(acting_user=desk.archivist, case_files=[sealed], reason="期满")
    assert "保全中" in exc.value.messages[0] and "调阅申请未办结" in exc.value.messages[0]
    hold_release(acting_user=desk.archivist, hold=held, reason="调阅已办结")
    disposal = disposal_propose(acting_user=desk.archivist, case_files=[sealed], reason="保管期限届满，经鉴定无保存价值")
    assert all(p.is_file() for p in paths)  # proposing removes nothing

    # a complaint arrives before the leader decides: the approval is refused and nothing is removed
    held = hold_place(acting_user=desk.archivist, agency=desk.agency, kind="complaint", reference="投诉2026-3",
                      case_file=sealed)
    with pytest.raises(ValidationError, match=r"不能批准销毁.*保全中"):
        disposal_decide(acting_user=desk.leader, disposal=disposal, approve=True)
    assert all(p.is_file() for p in paths) and not BlobRemoval.objects.exists()
    assert CaseFile.objects.get(pk=sealed.pk).state == "sealed"
    hold_release(acting_user=desk.archivist, hold=held, reason="投诉已办结")
    events_before = Event.objects.count()

    disposal_decide(acting_user=desk.leader, disposal=disposal, approve=True, note="同意销毁")
    assert not any(p.exists() for p in paths)
    assert set(BlobRemoval.objects.filter(disposal=disposal, state="removed").values_list("sha256", flat=True)) == digests
    # what stays: the versions and their hashes, the register, every earlier ledger event
    assert RecordVersion.objects.filter(record=clip).values_list("sha256", flat=True).get() in digests
    assert {c["sha256"] for c in disposal.items.get().contents} <= digests
    destroyed = Event.objects.filter(kind="record.destroy")
    assert Event.objects.count() - events_before == 1 + destroyed.count()  # the approval and one per file
    clip_event = destroyed.get(subject_id=str(clip.pk))
    assert clip_event.data["register"] == f"销毁清册第{disposal.pk}号" and clip_event.data["approved_by"] == "钱局长"

    from records.verify import verify_blobs

    assert list(verify_blobs(lambda _: None)) == []  # `zhifa ledger verify` expects what was destroyed to be gone
    page = login(desk.archivist).get(f"/records/{clip.pk}/").content.decode()
    assert "已销毁" in page and f"销毁清册第{disposal.pk}号" in page and "钱局长" in page
    assert "<video" not in page
    refused = login(desk.archivist).post(f"/records/{clip.pk}/versions/1/download/", {"purpose": "复核"})
    assert refused.status_code == 403
    assert "已按销毁清册" in refused.content.decode()
    assert Event.objects.filter(kind="record.denied", subject_id=str(clip.pk)).exists()
    printed = login(desk.archivist).get(f"/archive/files/{sealed.pk}/pdf/")  # the sealed print went too
    assert printed.status_code == 403 and f"已按销毁清册第{disposal.pk}号" in printed.content.decode()
    assert Event.objects.filter(kind="record.denied", subject_id=str(sealed.pdf_id)).exists()
    listing = login(desk.leader).get("/archive/disposals/").content.decode()
    assert f"已从存储中删除 {len(digests)} 个文件" in listing


def test_on_s3_the_removal_waits_for_the_object_lock_and_says_so(desk, login, settings, make_s3_store, s3_endpoint):  # noqa: F811
    store = make_s3_store()
    settings.ZHIFA_BLOB_STORE = f"s3://{store.bucket}?endpoint={s3_endpoint}&access_key=testing&secret_key=testing"
    sealed, clip = _expired_file(desk, "锁定未满")
    digests = _digests(sealed)
    disposal = disposal_propose(acting_user=desk.archivist, case_files=[sealed], reason="保管期限届满")
    disposal_decide(acting_user=desk.leader, disposal=disposal, approve=True)

    # sealing locked every object for the file's five years (COMPLIANCE): nothing can be removed yet
    waiting = BlobRemoval.objects.filter(disposal=disposal)
    assert set(waiting.values_list("sha256", flat=True)) == digests
    assert set(waiting.values_list("state", flat=True)) == {"waiting"}
    assert all(r.locked_until > timezone.now() + timedelta(days=365) for r in waiting)
    assert all(blob_store().exists(d) for d in digests)
    listing = login(desk.leader).get("/archive/disposals/").content.decode()
    assert "受对象存储锁定保护" in listing and "在此之前销毁尚未完成" in listing
    assert "已销毁" not in login(desk.archivist).get(f"/records/{clip.pk}/").content.decode()

    # a store that cannot be reached: nothing changes, the command says so and fails
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    reachable = settings.ZHIFA_BLOB_STORE
    settings.ZHIFA_BLOB_STORE = f"s3://{store.bucket}?endpoint=http://127.0.0.1:{dead}&access_key=testing&secret_key=testing"
    with pytest.raises(CommandError, match="未能删除"):
        call_command("archive", "purge")
    assert set(waiting.values_list("state", flat=True)) == {"waiting"}
    settings.ZHIFA_BLOB_STORE = reachable

    # The years pass. moto does not enforce COMPLIANCE (radosgw does: records/tests/test_rgw_integration.py),
    # so the lock is moved to a moment ago here to stand in for its running out.
    client = blob_store().client
    for digest in digests:
        client.put_object_retention(
            Bucket=store.bucket, Key=store.key(digest),
            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": dt.datetime.now(dt.UTC) - timedelta(seconds=1)},
        )
    call_command("archive", "purge")
    assert set(BlobRemoval.objects.filter(disposal=disposal).values_list("state", flat=True)) == {"removed"}
    for digest in digests:
        assert not blob_store().exists(digest)
        assert not client.list_object_versions(Bucket=store.bucket, Prefix=store.key(digest)).get("Versions")
    assert "已销毁" in login(desk.archivist).get(f"/records/{clip.pk}/").content.decode()


def test_an_access_session_refuses_a_destroyed_file_clearly_and_logs_it(desk, login):
    """The metadata of a destroyed record stays open to an approved request; its file does not: the
    session page says 已销毁 with the register entry instead of a player, the content is refused
    (403, logged as access.denied in the 查阅登记簿), and no copy of it can be made."""
    from access.services import copy_make, request_decide, request_submit, session_open

    sealed, clip = _expired_file(desk, "销毁后调阅")
    disposal = disposal_propose(acting_user=desk.archivist, case_files=[sealed], reason="保管期限届满")
    disposal_decide(acting_user=desk.leader, disposal=disposal, approve=True)
    request = request_submit(
        acting_user=desk.archivist, requester_kind="external_letter", action="copy", purpose="诉讼证据",
        records=[clip], requester_name="某法院", requester_org="某法院",
        period_start=timezone.now() - timedelta(minutes=1), period_end=timezone.now() + timedelta(days=1),
    )
    request = request_decide(request=request, approve=True, acting_user=desk.leader)
    session = session_open(request=request, manager=desk.archivist, place="档案室", acting_user=desk.archivist)
    register = f"销毁清册第{disposal.pk}号"

    archivist = login(desk.archivist)
    page = archivist.get(f"/access/sessions/{session.pk}/records/{clip.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "已销毁" in text and register in text and "钱局长" in text and "<video" not in text
    views = Event.objects.filter(kind="access.view", subject_id=str(clip.pk)).count()  # the page's read
    refused = archivist.get(f"/access/sessions/{session.pk}/records/{clip.pk}/content/")
    assert refused.status_code == 403
    assert register in refused.content.decode() and "批准销毁" in refused.content.decode()
    denied = Event.objects.get(kind="access.denied", subject_id=str(clip.pk))
    assert register in denied.data["reason"] and denied.data["number"] == request.number
    assert denied.data["session"] == session.pk
    assert Event.objects.filter(kind="access.view", subject_id=str(clip.pk)).count() == views  # no read

    body = archivist.get(f"/api/v1/access/sessions/{session.pk}/records/{clip.pk}/").json()
    assert register in body["destroyed"] and body["download"] is False
    copies_before = request.copies.count()
    with pytest.raises(ValidationError, match=register):
        copy_make(request=request, version=clip.versions.get(), medium="file", extractor="某",
                  extracted_at=timezone.now(), acting_user=desk.archivist)
    assert request.copies.count() == copies_before
