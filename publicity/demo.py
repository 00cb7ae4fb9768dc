"""Demo content for the portal: powers, a few decisions through their whole life, a 双随机 item and
one draw. Called by zhifa.demo.demo_load; runs as the system (no acting user)."""

from datetime import date, timedelta
from decimal import Decimal

from inspections.services import draw_run, item_create
from matters.instrument_types import TYPES
from matters.instruments import instrument_number
from publicity.services import (
    power_save,
    publication_draft,
    publication_publish,
    publication_review,
    publication_withdraw,
)

POWERS = [
    ("CF-001", "对生产经营单位未按规定维护、保养安全设备的行政处罚", "penalty",
     "《中华人民共和国安全生产法》第九十九条第（二）项", "penalty_general"),
    ("JC-001", "对生产经营单位执行安全生产法律法规情况的监督检查", "inspection",
     "《中华人民共和国安全生产法》第六十五条", "inspection"),
    ("XK-001", "危险化学品经营许可", "licensing",
     "《危险化学品安全管理条例》第三十三条", "licensing"),
    ("QZ-001", "对有根据认为不符合保障安全生产的国家标准或者行业标准的设施、设备、器材予以查封或者扣押",
     "compulsion", "《中华人民共和国安全生产法》第六十五条第一款第（四）项", "compulsion"),
]  # fmt: skip


def publicity_demo_load(*, agency, today: date) -> None:
    sections = {s.name: s for s in agency.sections.all()}
    for code, name, category, basis, workflow in POWERS:
        power_save(agency=agency, code=code, name=name, category=category, basis=basis,
                   section=sections.get("安全生产执法监察一大队"), workflow=workflow, acting_user=None)  # fmt: skip
    parties = list(agency.parties.order_by("id")[:3])

    def number(kind: str, n: int) -> str:
        # One 代字 per kind of 文书, the one matters numbers it with (行政处罚决定书 罚决, 现场检查记录 检记).
        return instrument_number(agency, TYPES[kind], today.year, n)

    items = [
        dict(category="penalty", party=parties[0], decided_on=today - timedelta(days=20),
             instrument_number=number("penalty_decision", 101), cause="未按规定对安全设备进行经常性维护、保养",
             basis="《中华人民共和国安全生产法》第九十九条第（二）项", result="罚款人民币二万元"),
        dict(category="penalty", party_kind="natural_person", party_name="陈建华",
             party_id_number="210402197803151234", party_phone="13904130000",
             party_address="辽宁省抚顺市新抚区东一路8号", decided_on=today - timedelta(days=12),
             instrument_number=number("penalty_decision", 102), cause="陈建华未经培训上岗作业（特种作业）",
             basis="《中华人民共和国安全生产法》第九十七条", result="罚款人民币五千元"),
        dict(category="licensing", party=parties[1], decided_on=today - timedelta(days=5),
             instrument_number=number("licensing_decision", 33), cause="申请危险化学品经营许可证（换证）",
             basis="《危险化学品安全管理条例》第三十三条", result="准予许可，有效期三年"),
    ]  # fmt: skip
    published = []
    for fields in items:
        item = publication_draft(agency=agency, acting_user=None, **fields)
        publication_review(publication=item, acting_user=None)
        published.append(publication_publish(publication=item, acting_user=None))
    publication_withdraw(publication=published[0], acting_user=None, occurred_on=today,
                         reason="原处罚决定经行政复议被撤销，本机关将重新作出决定（演示）。")  # fmt: skip
    publication_draft(agency=agency, acting_user=None, category="inspection", party=parties[2],
                      decided_on=today - timedelta(days=40), instrument_number=number("inspection_record", 58),
                      cause="年度监督检查计划", basis="《中华人民共和国安全生产法》第六十五条",
                      result="责令限期整改隐患3项")  # fmt: skip — left unpublished: overdue on the dashboard
    item = item_create(
        agency=agency,
        acting_user=None,
        name="工贸企业安全生产监督检查",
        basis="《中华人民共和国安全生产法》第六十五条",
        section=sections.get("安全生产执法监察一大队"),
        target="辖区工贸行业生产经营单位",
        target_sector="industry_trade",
        content="安全生产责任制、隐患排查治理、安全培训、特种作业持证情况",
        proportion=Decimal("20"),
        frequency="每年2次",
        draws_per_year=2,
        method="现场检查、查阅资料",
        officers_per_target=2,
    )
    draw_run(item=item, plan=f"{today.year}年第一批双随机抽查", acting_user=None)
