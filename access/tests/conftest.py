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
