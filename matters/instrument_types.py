"""The kinds of 文书 zhifa issues: name, number 代字, who signs, and the fields each carries.

Source of the kinds and their names: the national formats for work-safety enforcement documents
(安全生产执法文书样式) that 应急管理部 issues for the 应急管理局. That notice, its number and its
date could not be found or verified offline, so none is cited; the names follow that format family
as the seed regulations use it (001 第六至二十二条; 002, 余姚), where they differ between agencies
(001 says 强制措施决定书 and 证据登记保存清单, 002 查封扣押决定书 and 先行登记保存证据清单) the more
specific name is kept. Mining's own set, 国家矿山安全监察局《煤矿安全监管行政执法文书样式》and
《煤矿安全监管监察执法文书制作规范》(矿安〔2021〕172号, seen only as titles offline), numbers its
文书 the same way: 代字〔年份〕号. Each kind has exactly one 代字 (罚决, never also 罚); see
docs/instruments.md.

A number reads `{agency.instrument_prefix}{abbr}〔{year}〕{n}号`, counted per agency, kind and year.
Kinds with `abbr=None` (笔录, internal forms) are not numbered. `fields` are the content keys a
step fills in, in the order the template lays them out; the templates (matters/doc_templates/)
may use any of them.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class InstrumentType:
    code: str
    title: str
    abbr: str | None
    party_signs: bool = False
    fields: tuple[tuple[str, str], ...] = ()
    served: bool = False  # delivered to the party (送达), so it needs a service record

    @property
    def numbered(self) -> bool:
        return self.abbr is not None


_F = {
    "place": "地点",
    "time": "时间",
    "facts": "基本情况",
    "findings": "检查情况",
    "hazards": "发现的问题和隐患",
    "basis": "依据",
    "measures": "措施",
    "rectify_by": "整改期限",
    "result": "复查意见",
    "reason": "理由",
    "interviewee": "被询问人",
    "questions": "询问内容",
    "items": "物品清单",
    "amount": "罚款数额（元）",
    "decision": "处理决定",
    "rights": "当事人权利",
    "defence": "陈述申辩内容",
    "adopted": "复核意见",
    "hearing_at": "听证时间",
    "hearing_place": "听证地点",
    "presider": "主持人",
    "participants": "参加人员",
    "discussion": "讨论记录",
    "conclusion": "结论",
    "payment": "缴纳方式",
    "period": "期限",
    "opinion": "审批意见",
    "record_items": "简易程序记录事项",
}


def _fields(*keys: str) -> tuple[tuple[str, str], ...]:
    return tuple((k, _F[k]) for k in keys)


TYPES: dict[str, InstrumentType] = {
    t.code: t
    for t in [
        # 行政检查 (001 第六至八条)
        InstrumentType("inspection_plan", "现场检查方案", None, fields=_fields("place", "time", "facts")),
        InstrumentType(
            "inspection_record", "现场检查记录", "检记", True, _fields("place", "time", "findings", "hazards")
        ),
        InstrumentType(
            "rectification_order", "责令限期整改指令书", "责改", True,
            _fields("hazards", "basis", "rectify_by"), served=True,
        ),
        InstrumentType(
            "onsite_measures", "现场处理措施决定书", "现决", True, _fields("hazards", "basis", "measures"), served=True
        ),
        InstrumentType("reinspection_opinion", "整改复查意见书", "复查", True, _fields("time", "result"), served=True),
        # 行政处罚 一般程序 (001 第九至十六条)
        InstrumentType("filing_approval", "立案审批表", None, fields=_fields("facts", "basis", "opinion")),
        InstrumentType("interview_record", "询问笔录", None, True, _fields("time", "place", "interviewee", "questions")),
        InstrumentType("examination_record", "勘验笔录", None, True, _fields("time", "place", "findings")),
        InstrumentType("sampling_voucher", "抽样取证凭证", "抽样", True, _fields("time", "place", "items")),
        InstrumentType("preservation_list", "先行登记保存证据清单", "先保", True, _fields("time", "place", "items", "reason")),
        InstrumentType(
            "preservation_decision", "先行登记保存证据处理决定书", "先处", True, _fields("items", "decision"), served=True
        ),
        InstrumentType("appraisal_request", "鉴定委托书", "鉴委", fields=_fields("items", "reason")),
        InstrumentType("decision_proposal", "案件处理呈批表", None, fields=_fields("facts", "basis", "decision", "opinion")),
        InstrumentType(
            "penalty_notice", "行政处罚告知书", "罚告", True, _fields("facts", "basis", "decision", "rights"), served=True
        ),
        InstrumentType("defence_record", "当事人陈述申辩笔录", None, True, _fields("time", "defence", "adopted")),
        InstrumentType(
            "hearing_notice", "听证通知书", "听通", True, _fields("hearing_at", "hearing_place", "presider"), served=True
        ),
        InstrumentType("hearing_record", "听证笔录", None, True, _fields("hearing_at", "participants", "defence")),
        InstrumentType(
            "collective_discussion", "行政处罚集体讨论记录", None, fields=_fields("time", "participants", "discussion", "conclusion")
        ),
        InstrumentType(
            "penalty_decision", "行政处罚决定书", "罚决", True,
            _fields("facts", "basis", "decision", "amount", "payment", "rights"), served=True,
        ),
        InstrumentType(
            "simple_penalty_decision", "当场行政处罚决定书", "简罚", True,
            _fields("time", "place", "facts", "basis", "amount", "record_items", "rights"), served=True,
        ),
        InstrumentType("payment_demand", "罚款催缴通知书", "催缴", True, _fields("amount", "period"), served=True),
        InstrumentType("court_application", "强制执行申请书", "强执", fields=_fields("decision", "amount", "reason")),
        InstrumentType("closing_approval", "结案审批表", None, fields=_fields("result", "opinion")),
        # 行政强制 (001 第十三条)
        InstrumentType(
            "compulsion_decision", "查封扣押决定书", "强制", True, _fields("reason", "basis", "items", "period"), served=True
        ),
        InstrumentType(
            "suspension_order", "责令停产停业决定书", "停产", True, _fields("reason", "basis", "period"), served=True
        ),
        InstrumentType(
            "extension_decision", "延长查封扣押期限决定书", "延期", True, _fields("reason", "period"), served=True
        ),
        InstrumentType("release_decision", "解除查封扣押决定书", "解除", True, _fields("reason", "items"), served=True),
        # 行政许可、确认、给付 (seed 004)
        InstrumentType("acceptance_notice", "受理通知书", "受理", fields=_fields("facts"), served=True),
        InstrumentType(
            "licensing_decision", "行政许可决定书", "许可", True, _fields("facts", "basis", "decision"), served=True
        ),
        InstrumentType(
            "confirmation_decision", "行政确认决定书", "确认", True, _fields("facts", "basis", "decision"), served=True
        ),
        InstrumentType("benefit_decision", "行政给付决定书", "给付", True, _fields("facts", "basis", "decision"), served=True),
        # 送达回执 (001 第十八条) and the legal-review opinion (seed 000 附件2)
        InstrumentType("service_receipt", "文书送达回执", None, True, _fields("time", "place")),
        InstrumentType("review_opinion", "重大行政执法决定法制审核意见书", "法审", fields=_fields("facts", "opinion")),
    ]
}


def instrument_type(code: str) -> InstrumentType:
    try:
        return TYPES[code]
    except KeyError:
        raise KeyError(f"未知的文书种类：{code}") from None
