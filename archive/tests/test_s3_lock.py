"""On S3 (moto's server here, radosgw in records/tests/test_rgw_integration.py) sealing a case file
extends the Object Lock of every object in it to the date its retention gives."""

import datetime as dt

import pytest

from archive.models import CaseFile
from archive.retention import lock_date
from archive.services import casefile_seal
from records.storage import blob_store
from records.tests.conftest import make_s3_store, s3_endpoint  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def test_sealing_extends_the_lock_of_every_object_of_the_file(desk, settings, make_s3_store, s3_endpoint):  # noqa: F811
    store = make_s3_store()
    settings.ZHIFA_BLOB_STORE = f"s3://{store.bucket}?endpoint={s3_endpoint}&access_key=testing&secret_key=testing"
    clip = desk.clip("现场.mp4")  # a recording: locked for 3 years at ingest (抚顺 av.retention_min)
    m = desk.close_inspection("对象锁定", records=[clip])
    case_file = CaseFile.objects.get(matter=m)
    digests = [i.version.sha256 for i in case_file.items.select_related("version")]
    before = {d: blob_store().retained_until(d) for d in digests}
    assert before[clip.current_version.sha256] is not None

    sealed = casefile_seal(acting_user=desk.archivist, case_file=case_file, retention="30")
    until = lock_date(sealed)
    assert until == sealed.retain_until
    midnight = dt.datetime(until.year, until.month, until.day, tzinfo=dt.UTC)
    for digest in [*digests, sealed.pdf.current_version.sha256]:
        assert blob_store().retained_until(digest) == midnight
    # a shorter period never shortens a lock
    assert blob_store().retain(digests[0], until - dt.timedelta(days=400))
    assert blob_store().retained_until(digests[0]) == midnight
    assert sealed.checks.get().ok
