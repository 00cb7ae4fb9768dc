"""A 通化 agency ready for whole cases: two officers with 执法证, their chief, a leader, a party,
and helpers that put real files (a clip, a scanned receipt) into the vault."""

import itertools
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from enterprises.services import enterprise_create
from org.tests.factories import make_uscc
from records.services import record_ingest
from records.tests.clips import make_image, make_video

_SCANS = itertools.count()


@dataclass
class Team:
    agency: object
    section: object
    officer: object
    partner: object
    chief: object
    leader: object
    reviewer: object
    party: object
    folder: Path

    def clip(self, title: str, *, by=None):
        """A real recording (h264 + aac) of a step, ingested into the vault as a video record."""
        path = self.folder / f"{title}.mp4"
        make_video(path, seconds=1, creation_time=timezone.now() - timedelta(minutes=3))
        by = by or self.officer
        return record_ingest(
            acting_user=by, section=by.section, path=path, original_name=path.name, title=title
        ).version.record

    def scan(self, title: str, *, by=None):
        """A scanned page (送达回执 and the like) as a photo record."""
        path = self.folder / f"{title}.jpg"
        make_image(path, size=(64 + next(_SCANS), 48))  # each scan its own page: a receipt proves one service
        return record_ingest(
            acting_user=by or self.officer, section=self.section, path=path, original_name=path.name, title=title
        ).version.record


@pytest.fixture
def team(agency, section, make_staff, tmp_path):
    agency.policy_pack = "tonghua-city"
    agency.instrument_prefix = "通应急"
    agency.save(update_fields=["policy_pack", "instrument_prefix"])
    party = enterprise_create(
        agency=agency,
        uscc=make_uscc("91220500MA0000001"),
        name="通化东兴化工有限公司",
        legal_representative="王某",
        industry="危险化学品",
    )
    return Team(
        agency=agency,
        section=section,
        officer=make_staff("officer", certificate=True, name="李执法", username="li"),
        partner=make_staff("officer", certificate=True, name="张执法", username="zhang"),
        chief=make_staff("section_chief", "officer", certificate=True, name="赵科长", username="zhao"),
        leader=make_staff("leader", name="钱局长", username="qian"),
        reviewer=make_staff("legal_reviewer", name="孙法制", username="sun"),
        party=party,
        folder=tmp_path,
    )
