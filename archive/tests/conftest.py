"""An agency ready to close matters quickly: officers with 执法证, their chief, a leader, an
archivist and an enterprise; `close_inspection` walks the shortest real workflow to closing."""

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from enterprises.services import enterprise_create
from matters.services import ServiceInput, matter_open, matter_transition
from org.tests.factories import make_uscc
from records.services import record_ingest
from records.tests.clips import make_docx, make_video


@dataclass
class Desk:
    agency: object
    section: object
    officer: object
    partner: object
    chief: object
    leader: object
    archivist: object
    party: object
    folder: Path

    def step(self, user, matter, code, data=None, at=None, **kw):
        # a step the recording list requires only where it may give rise to a dispute: it will not
        kw.setdefault("disputed", False)
        matter.refresh_from_db()
        if at is not None:  # entered afterwards from the paper file
            kw.update(occurred_at=at, late_reason="据纸质执法文书事后录入")
        return matter_transition(acting_user=user, matter=matter, transition=code, data=data or {}, **kw)

    def clip(self, name: str, *, noise=False):
        # its name in the file's metadata: two clips made in the same second are two recordings, not one
        path = make_video(self.folder / name, seconds=1, creation_time=timezone.now() - timedelta(hours=2), noise=noise,
                          metadata={"title": name})
        return record_ingest(acting_user=self.officer, section=self.section, path=path, original_name=name).version.record

    def receipt(self, name="送达回执.docx"):
        path = make_docx(self.folder / name, text=f"送达回执 {name}")
        return record_ingest(acting_user=self.officer, section=self.section, path=path, original_name=name).version.record

    def served(self, when, name="送达回执.docx"):
        return ServiceInput("direct", "王某", when, signer="王某", receipt=self.receipt(name))

    def close_inspection(self, title="例行检查", *, records=()):
        """登记 → 制定检查方案 → 现场检查 → 结案审批: three 文书 and a closed matter. The on-site
        inspection is on every pack's recording list, so it links a recording when none is given."""
        ago = lambda h: timezone.now() - timedelta(hours=h)  # noqa: E731
        records = list(records) or [self.clip(f"{title}-现场检查.mp4")]
        m = matter_open(acting_user=self.officer, kind="inspection", title=title, party=self.party,
                        officers=[self.officer, self.partner])
        self.step(self.officer, m, "plan", {"place": "厂区", "time": ago(5), "facts": "危化品储存"})
        self.step(self.officer, m, "inspect", {"place": "厂区", "time": ago(4), "findings": "未发现问题"},
                  officers=[self.officer, self.partner], records=list(records))
        self.step(self.chief, m, "close", {"result": "检查未发现问题"})
        m.refresh_from_db()
        return m


def pack_desk(n: int, pack: str, folder: Path, *, mark: str, party_name: str) -> Desk:
    """A new agency `n` under `pack` (provisioned as an administrator would) with one section, its
    staff and an enterprise: the small world of a walk over the agencies' packs. `mark` keeps the
    credit codes and the admin's name apart from other walks' agencies in the same database."""
    from org.choices import Role
    from org.services import agency_provision
    from org.tests.factories import CertificateFactory, StaffFactory

    agency = agency_provision(
        name=f"第{n}执法局", uscc=make_uscc(f"11210400{mark}{n:07d}"), jurisdiction=f"第{n}区", policy_pack=pack,
        sections=["执法大队"], admin_username=f"adm-{mark.lower()}{n}", admin_name="管理员",
        instrument_prefix=f"第{n}执",
    )
    section = agency.sections.get()

    def staff(*roles, cert=False):
        person = StaffFactory(agency=agency, section=section, roles=roles)
        if cert:
            CertificateFactory(staff=person)
        return person

    party = enterprise_create(agency=agency, uscc=make_uscc(f"91210400{mark}{n:07d}"), name=party_name,
                              legal_representative="王某", industry="危险化学品")
    desk = Desk(agency=agency, section=section, officer=staff(Role.OFFICER, cert=True),
                partner=staff(Role.OFFICER, cert=True), chief=staff(Role.SECTION_CHIEF, Role.OFFICER, cert=True),
                leader=staff(Role.LEADER), archivist=staff(Role.ARCHIVIST), party=party, folder=folder / str(n))
    desk.folder.mkdir()
    desk.staff = staff
    return desk


@pytest.fixture
def desk(agency, section, make_staff, tmp_path):
    agency.instrument_prefix = "抚应急"
    agency.save(update_fields=["instrument_prefix"])
    party = enterprise_create(
        agency=agency, uscc=make_uscc("91210400MA0000001"), name="抚顺东华化工有限公司",
        legal_representative="王某", industry="危险化学品",
    )
    return Desk(
        agency=agency,
        section=section,
        officer=make_staff("officer", certificate=True, name="李执法", username="li"),
        partner=make_staff("officer", certificate=True, name="张执法", username="zhang"),
        chief=make_staff("section_chief", "officer", certificate=True, name="赵科长", username="zhao"),
        leader=make_staff("leader", name="钱局长", username="qian"),
        archivist=make_staff("archivist", name="郑档案", username="zheng"),
        party=party,
        folder=tmp_path,
    )


def use_pack(desk, pack: str) -> None:
    desk.agency.policy_pack = pack
    desk.agency.save(update_fields=["policy_pack"])
