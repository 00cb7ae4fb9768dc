"""A demo agency for each policy pack (`zhifa demo --pack <pack-id>`), loaded beside the others.

抚顺市应急管理局 (fushun-city) is the default demo in zhifa/demo.py. The other four seed agencies get
a smaller one each: their sections, staff of every role (usernames prefixed per pack, so that all
five live on one install), enterprises of their field and the recording devices their regulation
asks for. Every person, code and company is invented; codes are valid in form only.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from enterprises.services import enterprise_create
from equipment.services import device_register
from org.models import Agency, Staff
from org.services import agency_create, certificate_issue, section_create, staff_create
from policy.packs import RuleMissing
from policy.selectors import packset
from zhifa.demo import DEMO_PASSWORD, make_uscc


@dataclass(frozen=True)
class Profile:
    pack: str
    prefix: str  # of every username, e.g. "th-" → th-admin, th-officer1
    name: str
    short_name: str
    uscc17: str
    region: str  # district code of the enterprises' credit codes
    jurisdiction: str
    duties: str
    instrument_prefix: str
    certificate: tuple[str, str, str]  # 执法类别, 执法区域, issuer
    sections: tuple  # (name, kind, duties, enforces)
    staff: tuple  # (username suffix, name, section, roles, position, frontline, certified)
    enterprises: tuple  # (name, industry, risk level, major hazard source, employees, section)
    devices: tuple = ()  # (kind, section, count) beyond the pack's equipment standard


def _staff(enforcing: str, second: str, legal: str) -> tuple:
    """Staff of every role: two enforcing sections with a chief each, a reviewer, archivist, office."""
    return (
        ("admin", "系统管理员", "办公室", ["admin"], "信息化管理员", False, False),
        ("leader", "局长", None, ["leader"], "局长", False, False),
        ("chief1", "一队队长", enforcing, ["section_chief", "officer"], "队长", True, True),
        ("officer1", "执法人员甲", enforcing, ["officer"], "执法人员", True, True),
        ("officer2", "执法人员乙", enforcing, ["officer"], "执法人员", True, True),
        ("chief2", "二科科长", second, ["section_chief", "officer"], "科长", True, True),
        ("officer3", "执法人员丙", second, ["officer"], "执法人员", True, True),
        ("reviewer", "法制审核员", legal, ["legal_reviewer"], "法制审核员", False, True),
        ("archivist", "档案管理员", "档案室", ["archivist"], "档案管理员", False, False),
        ("office", "办公室科员", "办公室", ["office"], "科员", False, False),
    )


def _profile(*, legal: tuple[str, str], enforcing: tuple[str, str], second: tuple[str, str], surnames: str,
             **fields) -> Profile:
    """A demo agency of the usual shape: an office, the legal section, two enforcing units (a brigade
    and a section, each (name, duties)), the archive room, and staff of every role named with
    `surnames` (one character each, in the order of _staff)."""
    sections = (
        ("办公室", "section", "综合协调、装备保障", False),
        (legal[0], "section", legal[1], False),
        (enforcing[0], "brigade", enforcing[1], True),
        (second[0], "section", second[1], True),
        ("档案室", "section", "执法案卷归档与调阅", False),
    )
    staff = _names(_staff(enforcing[0], second[0], legal[0]), surnames)
    return Profile(sections=sections, staff=staff, **fields)


def _names(profile_staff: tuple, surnames: str) -> tuple:
    """Give the staff invented names (a surname each) so that pages read naturally."""
    given = ["建国", "立新", "明", "伟", "洋", "静", "磊", "婷", "红", "丽"]
    return tuple(
        (row[0], surnames[i] + given[i], *row[2:]) for i, row in enumerate(profile_staff)
    )


PROFILES: dict[str, Profile] = {
    profile.pack: profile
    for profile in (
        _profile(
            pack="tonghua-city",
            prefix="th-",
            name="通化市应急管理局",
            short_name="通化市应急局",
            uscc17="11220500MB0234567",
            region="220502",
            jurisdiction="通化市行政区域（东昌区、二道江区及市直管企业）",
            duties="负责全市安全生产综合监督管理和工矿商贸行业安全生产监督管理。",
            instrument_prefix="通应急",
            certificate=("安全生产", "通化市", "通化市人民政府"),
            legal=("政策法规科", "法制审核、执法监督"),
            enforcing=("安全生产执法监察支队", "工贸行业安全生产行政执法"),
            second=("危险化学品安全监督管理科", "危险化学品企业安全监管"),
            surnames="孙钱李周吴郑王冯陈褚",
            enterprises=(
                ("通化东兴化工有限公司", "危险化学品生产", "major", True, 260, "危险化学品安全监督管理科"),
                ("通化市鸿运加油站", "危险化学品经营（加油站）", "high", False, 10, "危险化学品安全监督管理科"),
                ("通化长白山葡萄酒业有限公司", "轻工（酒类制造）", "general", False, 180, "安全生产执法监察支队"),
                ("通化钢城机械制造有限公司", "机械", "general", False, 220, "安全生产执法监察支队"),
                ("通化市二道江区建材有限公司", "建材", "general", False, 90, "安全生产执法监察支队"),
                ("通化医药物流有限公司", "商贸（仓储）", "low", False, 60, "安全生产执法监察支队"),
            ),
            # 通化 实施办法第三条 counts 照相、录音、录像 as 音像记录: each team has a camera too.
            devices=(
                ("body_camera", "安全生产执法监察支队", 3),
                ("camera", "安全生产执法监察支队", 1),
                ("body_camera", "危险化学品安全监督管理科", 2),
                ("camera", "危险化学品安全监督管理科", 1),
            ),
        ),
        _profile(
            pack="yuyao-city",
            prefix="yy-",
            name="余姚市应急管理局",
            short_name="余姚市应急局",
            uscc17="11330281MB0345678",
            region="330281",
            jurisdiction="余姚市行政区域",
            duties="负责全市安全生产综合监督管理和工矿商贸行业安全生产监督管理。",
            instrument_prefix="余应急",
            certificate=("安全生产", "余姚市", "宁波市人民政府"),
            legal=("政策法规科", "法制审核、执法公示审查"),
            enforcing=("应急管理综合行政执法队", "安全生产行政执法"),
            second=("危险化学品和工贸科", "危险化学品和工贸企业安全监管"),
            surnames="楼邵黄胡施叶毛谢朱俞",
            enterprises=(
                ("余姚市舜江化工有限公司", "危险化学品生产", "major", True, 150, "危险化学品和工贸科"),
                ("余姚市阳明塑料制品有限公司", "轻工（塑料制品）", "general", False, 120, "应急管理综合行政执法队"),
                ("余姚市四明五金有限公司", "机械（五金）", "general", False, 80, "应急管理综合行政执法队"),
                ("余姚市姚江物流仓储有限公司", "商贸（仓储）", "low", False, 45, "应急管理综合行政执法队"),
                ("余姚市泗门电器有限公司", "机械（家电）", "general", False, 300, "应急管理综合行政执法队"),
                ("余姚市梁弄燃气有限公司", "燃气经营", "high", True, 35, "危险化学品和工贸科"),
            ),
        ),
        _profile(
            pack="pingdingshan-hitech",
            prefix="pds-",
            name="平顶山高新技术产业开发区应急管理局",
            short_name="平顶山高新区应急局",
            uscc17="11410400MB0456789",
            region="410400",
            jurisdiction="平顶山高新技术产业开发区",
            duties="负责高新区安全生产综合监督管理和行政执法。",
            instrument_prefix="平开应急",
            certificate=("安全生产", "平顶山高新区", "平顶山市人民政府"),
            legal=("法制审核组", "重大执法决定法制审核"),
            enforcing=("安全生产执法中队", "安全生产行政执法"),
            second=("危化和非煤矿山监管股", "危险化学品和非煤矿山安全监管"),
            surnames="杨马牛范贾段韩姚秦任",
            enterprises=(
                ("平顶山高新区神马化工新材料有限公司", "危险化学品生产", "major", True, 400, "危化和非煤矿山监管股"),
                ("平顶山市鹰城石料有限公司", "非煤矿山", "high", False, 40, "危化和非煤矿山监管股"),
                ("平顶山高新区平高电气配件有限公司", "机械（电气设备）", "general", False, 260, "安全生产执法中队"),
                ("平顶山高新区瑞丰面粉有限公司", "轻工（粮食加工）", "general", False, 70, "安全生产执法中队"),
                ("平顶山高新区宏远建材有限公司", "建材", "general", False, 110, "安全生产执法中队"),
            ),
            devices=(
                ("body_camera", "安全生产执法中队", 3),
                ("camcorder", "安全生产执法中队", 1),
                ("body_camera", "危化和非煤矿山监管股", 2),
            ),
        ),
        _profile(
            pack="fushun-county-hrss",
            prefix="fsx-",
            name="抚顺县人力资源和社会保障局",
            short_name="抚顺县人社局",
            uscc17="11210421MB0567890",
            region="210421",
            jurisdiction="抚顺县行政区域",
            duties="负责全县劳动保障监察、社会保险经办监督以及人社领域的许可、确认和给付。",
            instrument_prefix="抚县人社",
            certificate=("劳动保障监察", "抚顺县", "抚顺县人民政府"),
            legal=("法规股", "法制审核、执法监督"),
            enforcing=("劳动保障监察大队", "劳动保障监察、欠薪查处"),
            second=("社会保险和就业股", "社会保险待遇确认与给付、就业补贴"),
            surnames="何高罗郭林梁宋唐许邓",
            enterprises=(
                ("抚顺县宏达建筑工程有限公司", "建筑业", "high", False, 180, "劳动保障监察大队"),
                ("抚顺县石文镇农家乐餐饮有限公司", "餐饮业", "general", False, 25, "劳动保障监察大队"),
                ("抚顺县救兵乡矿泉水有限公司", "制造业（饮料）", "general", False, 60, "劳动保障监察大队"),
                ("抚顺县永安物业服务有限公司", "物业服务", "general", False, 90, "劳动保障监察大队"),
                ("抚顺县后安镇人力资源服务有限公司", "人力资源服务", "general", False, 15, "社会保险和就业股"),
            ),
        ),
    )
}


def pack_demo_exists(pack: str) -> bool:
    return Agency.objects.filter(name=PROFILES[pack].name).exists()


def _standard_devices(profile: Profile, sections: dict, today: date) -> list[tuple[str, str, int]]:
    """What the pack's equipment standard asks of each enforcing section (as equipment counts it)."""
    try:
        rows = packset().resolve(profile.pack, today).rule("equipment.standard").value
    except RuleMissing:
        return []
    wanted = []
    for name, section in sections.items():
        if not section.enforces:
            continue
        members = Staff.objects.filter(section=section, is_active=True)
        per = {
            "frontline_officer": members.filter(frontline=True).count(),
            "officer": members.filter(role_assignments__role="officer").distinct().count(),
            "section": 1,
        }
        wanted += [(row["device_kind"], name, per[row["per"]] * row["count"]) for row in rows]
    return wanted


@transaction.atomic
def pack_demo_load(*, pack: str, password: str = DEMO_PASSWORD, today: date | None = None) -> Agency:
    """Create the demo agency of `pack` (nothing happens if it exists). Runs as the system."""
    profile = PROFILES[pack]
    existing = Agency.objects.filter(name=profile.name).first()
    if existing:
        return existing
    today = today or timezone.localdate()
    agency = agency_create(
        name=profile.name,
        short_name=profile.short_name,
        uscc=make_uscc(profile.uscc17),
        jurisdiction=profile.jurisdiction,
        duties=profile.duties,
        address=f"{profile.jurisdiction}（演示地址）",
        phone="0000-00000000（演示）",
        complaint_channel="监督举报电话 12345（演示）。",
        policy_pack=profile.pack,
        instrument_prefix=profile.instrument_prefix,
    )
    sections = {
        name: section_create(agency=agency, name=name, kind=kind, duties=duties, enforces=enforces)
        for name, kind, duties, enforces in profile.sections
    }
    category, region, issuer = profile.certificate
    for index, (suffix, name, section, roles, position, frontline, certified) in enumerate(profile.staff):
        staff = staff_create(
            agency=agency,
            username=profile.prefix + suffix,
            name=name,
            password=password,
            section=sections.get(section),
            roles=roles,
            position=position,
            frontline=frontline,
            legal_qualification="A2015000000" + f"{index:04d}" if "legal_reviewer" in roles else "",
        )
        if certified:
            certificate_issue(
                staff=staff,
                number=f"{profile.uscc17[2:8]}{index + 1:04d}",
                category=category,
                region=region,
                issuer=issuer,
                valid_from=today - timedelta(days=365),
                valid_to=today + timedelta(days=365 * 3),
            )
    for index, (name, industry, risk, hazard, employees, section) in enumerate(profile.enterprises):
        enterprise_create(
            agency=agency,
            uscc=make_uscc(f"91{profile.region}MA{index + 1:07d}"),
            name=name,
            legal_representative="演示法定代表人",
            industry=industry,
            region=profile.jurisdiction[:6],
            address=f"{profile.jurisdiction[:6]}（演示地址 {index + 1} 号）",
            risk_level=risk,
            major_hazard_source=hazard,
            employees=employees,
            contact_person="安全管理部门",
            supervising_section=sections[section],
        )
    # The pack's standard where it sets one, else what the profile lists for the agency's field.
    wanted = _standard_devices(profile, sections, today) or list(profile.devices)
    serial = 0
    for kind, section, count in wanted:
        for _ in range(count):
            serial += 1
            device_register(
                agency=agency,
                section=sections[section],
                kind=kind,
                serial=f"{profile.prefix.upper()}{kind[:2].upper()}{serial:04d}",
                model="演示型号",
            )
    return agency


__all__ = ["PROFILES", "pack_demo_exists", "pack_demo_load"]
