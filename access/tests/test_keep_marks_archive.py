"""Long-term keeping (003 附件3 第十条) marked in access makes the retention 永久 in the archive: a
sealed volume holding the record becomes 永久 (the longest wins), a volume sealed later takes it,
destruction is refused, and on S3 the Object Lock of its objects is extended."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from access.services import keep_mark
from access.tests.conftest import seal_into_case_file
from archive.models import CaseFile
from archive.retention import record_retain_until, retention_for
from archive.services import disposal_propose
from ledger.models import Event
from records.services import record_ingest
from records.storage import blob_store
from records.tests.clips import make_pdf
from records.tests.conftest import make_s3_store, s3_endpoint  # noqa: F401 - fixtures
from review.tests.helpers import make_matter

pytestmark = pytest.mark.django_db


def _sealed(people, section, records, code, *, expired=True):
    matter = make_matter(section.agency, section, people.author, state="closed")
    case_file = seal_into_case_file(matter, records, code=code)
    if expired:
        case_file.retain_until = timezone.localdate() - dt.timedelta(days=1)
        case_file.save(update_fields=["retain_until"])
    return case_file


def test_a_keep_mark_makes_the_file_permanent_and_stops_its_destruction(people, section, stored):
    case_file = _sealed(people, section, stored, "测档〔2026〕1号")
    keep_mark(record=stored[0], reason="objection", acting_user=people.chief)
    case_file.refresh_from_db()
    assert case_file.retention_permanent and case_file.retention_label == "永久" and case_file.retain_until is None
    assert "当事人对现场执法" in case_file.retention_basis
    event = Event.objects.get(kind="casefile.retention", subject_id=str(case_file.pk))
    assert event.data["to"] == "永久" and event.actor == people.chief
    assert record_retain_until(stored[0]) == (None, True)
    with pytest.raises(ValidationError) as refused:
        disposal_propose(acting_user=people.archivist, case_files=[case_file], reason="保管期满")
    assert "永久保管" in refused.value.messages[0]
    # a later volume holding the marked record is 永久 at sealing, whatever the pack's row
    later = _sealed(people, section, stored[:1], "测档〔2026〕2号", expired=False)
    assert retention_for(later).permanent and "长期保存" in retention_for(later).basis
    # a file holding only the unmarked record keeps its own period, but the record itself is kept as
    # long as the longest file it is in (the first, now 永久)
    other = _sealed(people, section, stored[1:], "测档〔2026〕3号")
    assert not CaseFile.objects.get(pk=other.pk).retention_permanent
    assert record_retain_until(stored[1]) == (None, True)


def test_on_s3_the_keep_mark_extends_the_object_lock(people, section, settings, tmp_path, make_s3_store, s3_endpoint):  # noqa: F811
    store = make_s3_store()
    settings.ZHIFA_BLOB_STORE = f"s3://{store.bucket}?endpoint={s3_endpoint}&access_key=testing&secret_key=testing"
    path = make_pdf(tmp_path / "objection.pdf", text="objection record")
    record = record_ingest(acting_user=people.author, section=section, path=path, original_name=path.name,
                           title="现场检查笔录").version.record
    digest = record.current_version.sha256
    blob_store().retain(digest, timezone.localdate() + dt.timedelta(days=30))
    case_file = _sealed(people, section, [record], "测档〔2026〕9号")
    keep_mark(record=record, reason="obstruction", acting_user=people.archivist)
    case_file.refresh_from_db()
    assert case_file.retention_permanent
    locked = blob_store().retained_until(digest)
    assert locked is not None and locked.date() > timezone.localdate() + dt.timedelta(days=365 * 90)
