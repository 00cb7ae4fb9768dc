"""On a real Ceph radosgw (tools/rgwserver.py, as records/tests/test_rgw_integration.py starts it):
sealing a case file extends the Object Lock retain-until date of every archived object to the date
its retention gives, and an approved disposal cannot remove an object radosgw still locks — it
waits and says so."""

import datetime as dt
import os
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from archive.models import BlobRemoval, CaseFile
from archive.retention import lock_date
from archive.services import casefile_seal, disposal_decide, disposal_propose
from records.blobstore import S3BlobStore
from records.models import RecordVersion
from records.storage import blob_store
from records.tests.test_rgw_integration import RGW_MARKS, rgw  # noqa: F401 - the fixture

pytestmark = [*RGW_MARKS, pytest.mark.django_db]


@pytest.fixture
def rgw_store(rgw, settings, tmp_path):  # noqa: F811
    """The application's blob store on a fresh radosgw bucket with Object Lock."""
    bucket = f"zhifa-archive-{os.urandom(6).hex()}"
    store = S3BlobStore(bucket, endpoint_url=rgw.endpoint_url, region=rgw.region, access_key=rgw.access_key,
                        secret_key=rgw.secret_key, spool_dir=tmp_path / "spool")
    store.ensure_bucket(object_lock=True)
    settings.ZHIFA_BLOB_STORE = (
        f"s3://{bucket}?endpoint={quote(rgw.endpoint_url, safe='')}&region={rgw.region}"
        f"&access_key={quote(rgw.access_key, safe='')}&secret_key={quote(rgw.secret_key, safe='')}"
    )
    return store


def test_sealing_on_radosgw_extends_the_lock_and_disposal_waits_for_it(desk, rgw_store):
    clip = desk.clip("现场.mp4")  # locked at ingest for the recordings' minimum (抚顺 av.retention_min)
    m = desk.close_inspection("对象锁定", records=[clip])
    case_file = CaseFile.objects.get(matter=m)
    assert isinstance(blob_store(), S3BlobStore) and blob_store().bucket == rgw_store.bucket
    at_ingest = blob_store().retained_until(clip.current_version.sha256)
    assert at_ingest is not None

    sealed = casefile_seal(acting_user=desk.archivist, case_file=case_file, retention="30")
    until = lock_date(sealed)
    midnight = dt.datetime(until.year, until.month, until.day, tzinfo=dt.UTC)
    items = list(sealed.items.select_related("version"))
    digests = {i.version.sha256 for i in items} | {i.long_term_sha256 for i in items if i.long_term_sha256}
    digests.add(sealed.pdf.current_version.sha256)
    assert any(i.long_term_sha256 and i.long_term_sha256 != i.version.sha256 for i in items)  # PDF/A copies too
    for digest in digests:
        head = rgw_store.client.head_object(Bucket=rgw_store.bucket, Key=rgw_store.key(digest))
        assert head["ObjectLockMode"] == "COMPLIANCE"
        assert head["ObjectLockRetainUntilDate"] == midnight
    assert midnight > at_ingest  # the recording's lock was extended, not set anew
    assert sealed.checks.get(at_sealing=True).ok

    # thirty years on (by the database's reckoning) the leader approves the list; radosgw still
    # holds the objects in COMPLIANCE mode, so the removal waits with the lock date
    CaseFile.objects.filter(pk=sealed.pk).update(retain_until=timezone.localdate() - timedelta(days=1))
    RecordVersion.objects.filter(record=clip).update(filed_at=timezone.now() - timedelta(days=4000),
                                                     recorded_start=timezone.now() - timedelta(days=4000))
    sealed.refresh_from_db()
    disposal = disposal_propose(acting_user=desk.archivist, case_files=[sealed], reason="保管期限届满")
    disposal = disposal_decide(acting_user=desk.leader, disposal=disposal, approve=True)
    waiting = BlobRemoval.objects.filter(disposal=disposal)
    assert set(waiting.values_list("state", flat=True)) == {"waiting"}
    assert {r.locked_until for r in waiting} == {midnight}
    assert all(blob_store().exists(d) for d in digests)
    assert f"锁定至 {until:%Y-%m-%d}" in disposal.removal_status
