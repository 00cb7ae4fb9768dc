"""The demo agency: 抚顺市应急管理局 with its sections, staff in every role and twenty enterprises.

Every person, code and company here is invented for demonstration; codes are valid in form only.
"""

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from stdnum.cn import uscc as uscc_check

from enterprises.services import enterprise_create
from org.models import Agency
from org.services import agency_create, certificate_issue, section_create, staff_create

DEMO_PASSWORD = "zhifa-demo-2026"  # noqa: S105 - the demo agency only; refused in production
AGENCY_NAME = "抚顺市应急管理局"


def make_uscc(prefix17: str) -> str:
    """A well-formed 统一社会信用代码 from its first 17 characters (GB 32100 check character)."""
    return prefix17 + uscc_check.calc_check_digit(prefix17)


SECTIONS = [
    ("办公室", "section", "综合协调、装备保障、音像记录设备登记发放", False),
    ("政策法规科", "section", "法制审核、行政执法监督、执法公示审查", False),
    ("危险化学品安全监督管理科", "section", "危险化学品生产、经营、储存企业的安全监管", True),
    ("安全生产执法监察一大队", "brigade", "工贸行业安全生产行政执法", True),
    ("安全生产执法监察二大队", "brigade", "非煤矿山、烟花爆竹等行业安全生产行政执法", True),
    ("档案室", "section", "执法案卷归档、保管与调阅", False),
]

# username, name, section, roles, position, frontline, certificate (number suffix, years valid or None), legal qualification
STAFF = [
    ("admin", "高建国", "办公室", ["admin"], "信息化管理员", False, None, ""),
    ("leader", "王立新", None, ["leader"], "局长", False, None, ""),
    (
        "chief1",
        "李明",
        "安全生产执法监察一大队",
        ["section_chief", "officer"],
        "大队长",
        True,
        ("0101", 4),
        "",
    ),
    ("officer1", "张伟", "安全生产执法监察一大队", ["officer"], "执法人员", True, ("0102", 3), ""),
    ("officer2", "刘洋", "安全生产执法监察一大队", ["officer"], "执法人员", True, ("0103", 2), ""),
    (
        "chief2",
        "陈静",
        "危险化学品安全监督管理科",
        ["section_chief", "officer"],
        "科长",
        True,
        ("0201", 4),
        "",
    ),
    ("officer3", "赵磊", "危险化学品安全监督管理科", ["officer"], "执法人员", True, ("0202", 3), ""),
    ("officer4", "孙浩", "安全生产执法监察二大队", ["officer"], "执法人员", True, ("0301", -1), ""),
    (
        "reviewer",
        "周婷",
        "政策法规科",
        ["legal_reviewer"],
        "法制审核员",
        False,
        ("0401", 4),
        "A20152101000123",
    ),
    (
        "chief3",
        "吴敏",
        "政策法规科",
        ["section_chief", "legal_reviewer"],
        "科长",
        False,
        ("0402", 3),
        "A20102101000456",
    ),
    ("archivist", "郑红", "档案室", ["archivist"], "档案管理员", False, None, ""),
    ("office", "冯丽", "办公室", ["office"], "科员", False, None, ""),
]

# name, district code, industry, risk, major hazard source, hazardous processes, employees, section
ENTERPRISES = [
    (
        "抚顺市东兴化工有限公司",
        "210403",
        "危险化学品生产",
        "major",
        True,
        "氯化工艺",
        320,
        "危险化学品安全监督管理科",
    ),
    (
        "抚顺华晟石化储运有限公司",
        "210411",
        "危险化学品储存",
        "major",
        True,
        "",
        85,
        "危险化学品安全监督管理科",
    ),
    (
        "抚顺市望花区鑫源加油站",
        "210404",
        "危险化学品经营（加油站）",
        "high",
        False,
        "",
        12,
        "危险化学品安全监督管理科",
    ),
    (
        "抚顺北方精细化工有限公司",
        "210403",
        "危险化学品生产",
        "high",
        True,
        "硝化工艺",
        140,
        "危险化学品安全监督管理科",
    ),
    ("抚顺顺达燃气有限公司", "210411", "燃气经营", "high", True, "", 210, "危险化学品安全监督管理科"),
    (
        "抚顺市新抚区恒通化学试剂经营部",
        "210402",
        "危险化学品经营",
        "general",
        False,
        "",
        6,
        "危险化学品安全监督管理科",
    ),
    ("抚顺钢联特殊钢制品有限公司", "210404", "冶金", "high", False, "", 640, "安全生产执法监察一大队"),
    ("抚顺宏达铝业有限公司", "210403", "有色金属", "high", False, "", 230, "安全生产执法监察一大队"),
    ("抚顺市建兴水泥有限公司", "210421", "建材", "general", False, "", 180, "安全生产执法监察一大队"),
    ("抚顺重型机械配件有限公司", "210411", "机械", "general", False, "", 260, "安全生产执法监察一大队"),
    (
        "抚顺市安泰食品有限公司",
        "210402",
        "轻工（食品制造）",
        "general",
        False,
        "",
        95,
        "安全生产执法监察一大队",
    ),
    ("抚顺锦纶纺织有限公司", "210404", "纺织", "low", False, "", 150, "安全生产执法监察一大队"),
    (
        "抚顺市顺城区粮食储备库",
        "210411",
        "商贸（粮食仓储）",
        "general",
        False,
        "",
        40,
        "安全生产执法监察一大队",
    ),
    (
        "抚顺东洲木业有限公司",
        "210403",
        "轻工（木材加工）",
        "general",
        False,
        "",
        70,
        "安全生产执法监察一大队",
    ),
    ("抚顺市红旗石场", "210421", "非煤矿山", "high", False, "", 35, "安全生产执法监察二大队"),
    ("抚顺青山石灰石矿业有限公司", "210421", "非煤矿山", "high", False, "", 60, "安全生产执法监察二大队"),
    (
        "抚顺市庆丰烟花爆竹批发有限公司",
        "210411",
        "烟花爆竹经营",
        "high",
        False,
        "",
        18,
        "安全生产执法监察二大队",
    ),
    (
        "抚顺金属冶炼尾矿库管理有限公司",
        "210403",
        "非煤矿山（尾矿库）",
        "major",
        True,
        "",
        22,
        "安全生产执法监察二大队",
    ),
    ("抚顺市新华印刷有限公司", "210402", "轻工（印刷）", "low", False, "", 55, "安全生产执法监察一大队"),
    (
        "抚顺中兴冷链物流有限公司",
        "210404",
        "商贸（冷库）",
        "general",
        False,
        "",
        48,
        "安全生产执法监察一大队",
    ),
]

LEGAL_PERSONS = [
    "赵建华",
    "钱振宇",
    "孙立平",
    "李国庆",
    "周海涛",
    "吴志强",
    "郑永刚",
    "王德胜",
    "冯春生",
    "陈宝山",
]


# The field of supervision (enterprises.choices.Sector) of each demo industry, by how it starts.
DEMO_SECTORS = {"危险化学品": "hazardous_chemicals", "非煤矿山": "non_coal_mine", "烟花爆竹": "fireworks",
                **dict.fromkeys(("冶金", "有色", "建材", "机械", "轻工", "纺织", "商贸"), "industry_trade")}  # fmt: skip


def _demo_sector(industry: str) -> str:
    return next((sector for start, sector in DEMO_SECTORS.items() if industry.startswith(start)), "other")


def demo_exists() -> bool:
    return Agency.objects.filter(name=AGENCY_NAME).exists()


@transaction.atomic
def demo_load(*, password: str = DEMO_PASSWORD, today: date | None = None) -> Agency:
    """Create the demo agency (nothing happens if it exists). Runs as the system: no acting user."""
    existing = Agency.objects.filter(name=AGENCY_NAME).first()
    if existing:
        return existing
    today = today or timezone.localdate()
    agency = agency_create(
        name=AGENCY_NAME,
        short_name="抚顺市应急局",
        uscc=make_uscc("11210400MB0123456"),
        jurisdiction="抚顺市行政区域（新抚区、东洲区、望花区、顺城区及市直管企业）",
        duties="负责全市安全生产综合监督管理和工矿商贸行业安全生产监督管理，依法实施安全生产行政许可、行政检查、行政处罚和行政强制。",
        address="辽宁省抚顺市新抚区（演示地址）",
        phone="024-00000000（演示）",
        complaint_channel="监督举报电话 12350；来信请寄市应急管理局政策法规科（演示）。",
        policy_pack="fushun-city",
        instrument_prefix="抚应急",
    )
    sections = {
        name: section_create(agency=agency, name=name, kind=kind, duties=duties, enforces=enforces)
        for name, kind, duties, enforces in SECTIONS
    }
    for username, name, section, roles, position, frontline, cert, qualification in STAFF:
        staff = staff_create(
            agency=agency,
            username=username,
            name=name,
            password=password,
            section=sections.get(section),
            roles=roles,
            position=position,
            frontline=frontline,
            legal_qualification=qualification,
        )
        if cert:
            suffix, years = cert
            if years > 0:
                valid_from, valid_to = today - timedelta(days=365), today + timedelta(days=365 * years)
            else:  # an expired certificate, to show that its holder cannot be assigned work
                valid_from, valid_to = today - timedelta(days=365 * 5), today - timedelta(days=30)
            certificate_issue(
                staff=staff,
                number=f"21040020{suffix}",
                category="安全生产",
                region="抚顺市",
                issuer="抚顺市人民政府",
                valid_from=valid_from,
                valid_to=valid_to,
            )
    for index, (name, district, industry, risk, hazard, processes, employees, section) in enumerate(
        ENTERPRISES
    ):
        code = make_uscc(f"91{district}MA{index:07d}")
        enterprise_create(
            agency=agency,
            uscc=code,
            name=name,
            legal_representative=LEGAL_PERSONS[index % len(LEGAL_PERSONS)],
            industry=industry,
            sector=_demo_sector(industry),
            region={
                "210402": "新抚区",
                "210403": "东洲区",
                "210404": "望花区",
                "210411": "顺城区",
                "210421": "抚顺县",
            }[district],
            address=f"抚顺市（演示地址 {index + 1} 号）",
            risk_level=risk,
            major_hazard_source=hazard,
            hazardous_processes=processes,
            employees=employees,
            contact_person="安全科",
            supervising_section=sections[section],
        )
    _demo_matters(agency)
    from publicity.demo import publicity_demo_load

    publicity_demo_load(agency=agency, today=today)
    _demo_supervising_body(agency, password)
    return agency


SUPERVISOR = ("sfj", "孟晓光", "执法监督科科长")


def _demo_supervising_body(agency, password: str) -> None:
    """抚顺市司法局 supervising the demo agency, with one read-only 执法监督 account."""
    from org.services import supervising_body_attach, supervising_body_create, supervisor_create

    body = supervising_body_create(name="抚顺市司法局", short_name="市司法局", jurisdiction="抚顺市市直行政执法机关")
    supervising_body_attach(body=body, agency=agency)
    username, name, position = SUPERVISOR
    supervisor_create(body=body, username=username, name=name, password=password, position=position)


def _demo_matters(agency) -> None:
    """Three matters of 一大队 in different states, so the workbench shows due and overdue work."""
    from matters.services import matter_open, matter_transition

    staff = {s.username: s for s in agency.staff.all()}
    party = {p.name: p for p in agency.parties.all()}
    officer, partner, chief = staff["officer1"], staff["officer2"], staff["chief1"]
    team = [officer, partner]
    now = timezone.now()
    # Filed a hundred days ago and still undecided: the 90-day decision deadline is overdue.
    long_ago = now - timedelta(days=100)
    late = matter_open(
        acting_user=officer, kind="penalty", title="有限空间作业未经审批", party=party["抚顺钢联特殊钢制品有限公司"],
        officers=team, opened_at=long_ago,
    )
    matter_transition(
        acting_user=officer, matter=late, transition="request_filing", occurred_at=long_ago, late_reason="据纸质案卷补录",
        data={"facts": "有限空间作业未履行审批手续", "basis": "《工贸企业有限空间作业安全规定》第十条"},
    )
    matter_transition(
        acting_user=chief, matter=late, transition="approve_filing", data={"opinion": "同意立案"}, occurred_at=long_ago,
        late_reason="据纸质案卷补录",
    )
    filed = matter_open(
        acting_user=officer, kind="penalty", title="粉尘清扫制度未落实", party=party["抚顺宏达铝业有限公司"], officers=team
    )
    matter_transition(
        acting_user=officer, matter=filed, transition="request_filing",
        data={"facts": "铝粉尘作业场所未按规定清扫，积尘明显", "basis": "《工贸企业粉尘防爆安全规定》第十四条"},
    )
    matter_transition(acting_user=chief, matter=filed, transition="approve_filing", data={"opinion": "同意立案"})
    planned = matter_open(
        acting_user=officer, kind="inspection", title="年度执法检查", party=party["抚顺市建兴水泥有限公司"], officers=team
    )
    matter_transition(
        acting_user=officer, matter=planned, transition="plan",
        data={"place": "建兴水泥厂区", "time": now + timedelta(days=3), "facts": "粉磨系统、有限空间、危险作业审批"},
    )
