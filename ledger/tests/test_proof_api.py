"""Proof bundles through the API carry a record's file name, hash and section: handing one out is a
logged read, and a refusal is logged as a refusal, never as a read."""

import pytest

from ledger.models import Event
from org.tests.factories import AgencyFactory, SectionFactory
from records.services import record_ingest
from records.tests.clips import make_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def created(make_staff, section, tmp_path):
    officer = make_staff("officer")
    path = make_pdf(tmp_path / "询问笔录.pdf", text="interview")
    record = record_ingest(
        acting_user=officer, section=section, path=path, original_name=path.name, title="询问笔录"
    ).version.record
    event = Event.objects.get(kind="record.create", subject_id=str(record.pk))
    return officer, record, event


def _reads(record):
    return Event.objects.filter(subject_type="records.record", subject_id=str(record.pk), kind="record.view")


def test_a_proof_bundle_read_is_logged_with_its_purpose(login, created):
    officer, record, event = created
    response = login(officer).get(f"/api/v1/ledger/events/{event.index}/proof/")
    assert response.status_code == 200
    assert response.json()["leaf"]["index"] == event.index
    (read,) = _reads(record)
    assert read.actor == officer and "证明包" in read.data["purpose"] and str(event.index) in read.data["purpose"]


def test_a_refused_proof_bundle_is_logged_as_a_refusal_not_a_read(login, make_staff, agency, created):
    _, record, event = created
    other_section = SectionFactory(agency=agency, name="执法监察二大队")
    stranger = make_staff("officer", section=other_section)
    response = login(stranger).get(f"/api/v1/ledger/events/{event.index}/proof/")
    assert response.status_code == 403 and "leaf" not in response.json()
    assert not _reads(record).exists()
    assert Event.objects.filter(kind="record.denied", actor=stranger, subject_id=str(record.pk)).count() == 1


def test_another_agencys_proof_bundle_is_refused_and_logged(login, make_staff, created):
    _, record, event = created
    elsewhere = AgencyFactory()
    outsider = make_staff("officer", agency=elsewhere, section=SectionFactory(agency=elsewhere, name="一大队"))
    response = login(outsider).get(f"/api/v1/ledger/events/{event.index}/proof/")
    assert response.status_code == 404
    assert not _reads(record).exists()
    (denied,) = Event.objects.filter(kind="record.denied", actor=outsider)
    assert denied.agency == elsewhere and denied.subject_id == str(record.pk)
