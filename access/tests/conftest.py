"""An agency with two sections, the people an access request passes through, and stored records."""

from datetime import timedelta

import pytest
from django.utils import timezone

from org.tests.factories import SectionFactory
from records.services import record_ingest
from records.tests.clips import make_pdf


@pytest.fixture
def other_section(agency):
    return SectionFactory(agency=agency, name="综合科")


@pytest.fixture
def people(make_staff, other_section):
    class People:
        author = make_staff("officer", name="张承办")
        chief = make_staff("section_chief", name="王科长")
        leader = make_staff("leader", name="赵局长", section=None)
        archivist = make_staff("archivist", name="钱档案", section=None)
        outsider = make_staff("officer", name="孙其他", section=other_section)

    return People


@pytest.fixture
def stored(people, section, tmp_path):
    """Two records of the handling section, filed by its officer."""
    out = []
    for i, title in enumerate(("现场检查笔录", "询问笔录")):
        path = make_pdf(tmp_path / f"r{i}.pdf", text=f"record {i}")
        out.append(
            record_ingest(acting_user=people.author, section=section, path=path, original_name=path.name, title=title)
            .version.record
        )
    return out


@pytest.fixture
def scan(tmp_path):
    """make a scan of a presented document (a small PDF)."""

    def make(name: str):
        return make_pdf(tmp_path / name, text=f"scan {abs(hash(name))}")

    return make


@pytest.fixture
def period():
    now = timezone.now()
    return (now - timedelta(minutes=5)).isoformat(), (now + timedelta(days=3)).isoformat()


def seal_into_case_file(matter, records, *, code="测档〔2026〕1号"):
    """A sealed case-file volume of `matter` holding `records` (what the archivist's sealing leaves;
    built directly, the sealing itself is tested in archive)."""
    from archive.models import CaseFile, CaseFileItem

    today = timezone.localdate()
    case_file = CaseFile.objects.create(
        agency=matter.agency, section=matter.section, matter=matter, code=code, title=matter.title[:200],
        cause=matter.title[:200], closed_on=today, state="sealed", retention_years=10,
        retain_until=today.replace(year=today.year + 10), sealed_at=timezone.now(),
    )
    for position, record in enumerate(records, start=1):
        CaseFileItem.objects.create(
            case_file=case_file, position=position, source="step", record=record, version=record.current_version,
            author=record.section.name, title=record.title, dated=today,
        )
    return case_file
