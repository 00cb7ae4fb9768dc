"""The rule keys that zhifa's code knows, with the units each may take and the shape of its value.

A pack may only set keys listed here (`zhifa policy lint` refuses others), and code reads a rule
only by one of these keys. Values live in the packs, never here.
"""

from dataclasses import dataclass, field

DURATION_UNITS = ("hours", "days", "working_days", "months", "years")
SHORT_UNITS = ("seconds", "minutes")

UNIT_LABELS = {
    "seconds": "秒",
    "minutes": "分钟",
    "hours": "小时",
    "days": "日",
    "working_days": "个工作日",
    "months": "个月",
    "years": "年",
    "yuan": "元",
    "percent": "%",
    "count": "",
    "ppi": "PPI",
    "bool": "",
    "text": "",
    "list": "",
    "table": "",
}
UNITS = tuple(UNIT_LABELS)

GROUPS = {
    "calendar": "法定期间与工作日",
    "penalty": "行政处罚",
    "compulsion": "行政强制",
    "publicity": "行政执法公示",
    "av": "音像记录",
    "equipment": "执法记录设备",
    "records": "文字记录与信息采集",
    "archive": "归档与保管",
    "review": "重大执法决定法制审核",
    "access": "记录信息调阅",
    "service": "文书送达",
    "matters": "执法事项审批",
    "supervision": "执法监督",
    "field": "掌上执法与涉企检查",
}

# What an electronic service (电子送达) may have to leave: the party's signed 送达地址确认书, the
# system's record of sending and the record that the document reached the party's system.
ELECTRONIC_PROOFS = ("address_confirmation", "sent_record", "delivery_receipt")

_ROLE_CODES = ["officer", "section_chief", "legal_reviewer", "leader", "archivist", "office", "admin"]


@dataclass(frozen=True)
class RuleSpec:
    key: str
    title: str
    units: tuple[str, ...]
    schema: dict | None = field(default=None)

    @property
    def group(self) -> str:
        return self.key.split(".", 1)[0]


def _table(properties: dict, required: list[str]) -> dict:
    return {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        },
    }


_STR = {"type": "string", "minLength": 1}
_STR_LIST = {"type": "array", "minItems": 1, "items": _STR}
_INT = {"type": "integer", "minimum": 0}
_MATTER_KINDS = {"enum": ["inspection", "penalty", "compulsion", "licensing", "confirmation", "benefit"]}

_SPECS = [
    # --- calendar -------------------------------------------------------------------------------
    RuleSpec(
        "calendar.statutory_festivals",
        "全体公民放假的节日（暂定日历依据）",
        ("table",),
        _table(
            {
                "name": _STR,
                "rule": {"enum": ["solar", "lunar", "lunar_new_year_eve", "solar_term"]},
                "month": {"type": "integer", "minimum": 1, "maximum": 12},
                "day": {"type": "integer", "minimum": 1, "maximum": 31},
                "term": _STR,
                "days": {"type": "integer", "minimum": 1, "maximum": 10},
            },
            ["name", "rule", "days"],
        ),
    ),
    RuleSpec("calendar.period_end_rolls_over_holiday", "期间最后一日为法定休假日的顺延", ("bool",)),
    # --- penalty --------------------------------------------------------------------------------
    RuleSpec("penalty.officers_min", "执法人员最少人数", ("count",)),
    RuleSpec("penalty.filing_after_investigation", "先行调查取证后补办立案期限", DURATION_UNITS),
    RuleSpec("penalty.decision_deadline", "立案后作出处罚决定期限", DURATION_UNITS),
    RuleSpec("penalty.defence_before_decision", "决定前须告知并听取陈述申辩", ("bool",)),
    RuleSpec("penalty.defence_period", "陈述申辩期限", DURATION_UNITS),
    RuleSpec("penalty.hearing_request_period", "要求听证期限", DURATION_UNITS),
    RuleSpec("penalty.hearing_notice_lead", "听证通知提前期限", DURATION_UNITS),
    RuleSpec("penalty.hearing_fine_threshold", "应告知听证权利的罚款数额（较大数额）", ("yuan",)),
    RuleSpec("penalty.hearing_measures", "应告知听证权利的处罚种类", ("list",), _STR_LIST),
    RuleSpec("penalty.service_deadline", "处罚决定书送达期限", DURATION_UNITS),
    RuleSpec("penalty.payment_deadline", "罚款缴纳期限", DURATION_UNITS),
    RuleSpec("penalty.late_surcharge_daily_rate", "逾期加处罚款每日比例", ("percent",)),
    RuleSpec("penalty.late_surcharge_cap", "加处罚款上限（占罚款数额）", ("percent",)),
    RuleSpec("penalty.evidence_preservation_decision", "先行登记保存后作出处理决定期限", DURATION_UNITS),
    RuleSpec("penalty.simple_procedure_limit_person", "简易程序罚款上限（公民）", ("yuan",)),
    RuleSpec("penalty.simple_procedure_limit_organisation", "简易程序罚款上限（法人或其他组织）", ("yuan",)),
    RuleSpec("penalty.collective_discussion_required", "情节复杂或重大违法行为须集体讨论决定", ("bool",)),
    RuleSpec("penalty.closing_requires_execution", "罚款未缴纳且未采取执行措施的不得结案", ("bool",)),
    RuleSpec("penalty.simple_procedure_record_items", "简易程序应记录事项", ("list",), _STR_LIST),
    # --- compulsion -----------------------------------------------------------------------------
    RuleSpec("compulsion.officers_min", "实施行政强制措施执法人员最少人数", ("count",)),
    RuleSpec("compulsion.seizure_period", "查封、扣押期限", DURATION_UNITS),
    RuleSpec("compulsion.seizure_extension", "查封、扣押延长期限", DURATION_UNITS),
    RuleSpec("compulsion.demand_period", "催告书送达后申请法院强制执行前等待期限", DURATION_UNITS),
    RuleSpec("compulsion.court_application_window", "申请人民法院强制执行期限", DURATION_UNITS),
    RuleSpec("compulsion.emergency_report", "情况紧急当场实施强制措施后向负责人报告期限", DURATION_UNITS),
    # --- publicity ------------------------------------------------------------------------------
    RuleSpec("publicity.penalty_deadline", "行政处罚决定公开期限", DURATION_UNITS),
    RuleSpec("publicity.licensing_deadline", "行政许可决定公开期限", DURATION_UNITS),
    RuleSpec("publicity.other_deadline", "其他执法决定公开期限", DURATION_UNITS),
    RuleSpec("publicity.withdrawal_deadline", "被撤销、确认违法等决定信息撤回期限", DURATION_UNITS),
    RuleSpec("publicity.display_period", "执法决定公示期满可撤下（最长公示期）", DURATION_UNITS),
    RuleSpec("publicity.penalty_display_period", "一般行政处罚信息最长公示期", DURATION_UNITS),
    RuleSpec("publicity.display_period_natural_person", "当事人为自然人的公示期", DURATION_UNITS),
    RuleSpec("publicity.display_period_minimum", "情节轻微处罚最短公示期", DURATION_UNITS),
    RuleSpec("publicity.update_after_change", "依据或职能变化后更新公示内容期限", DURATION_UNITS),
    RuleSpec("publicity.review_before_publishing", "公示信息须经审查方可发布", ("bool",)),
    RuleSpec(
        "publicity.natural_person_name_display",
        "自然人姓名公示方式",
        ("text",),
        {"enum": ["full", "masked", "hidden"]},
    ),
    RuleSpec("publicity.correction_on_request", "有证据申请更正的须核实、更正并告知", ("bool",)),
    RuleSpec("publicity.inspection_recuse_last_inspector", "双随机抽查中上次检查该对象的执法人员回避", ("bool",)),
    # --- audio/video records --------------------------------------------------------------------
    RuleSpec("av.ingest_deadline", "音像记录导出存储期限", DURATION_UNITS),
    RuleSpec("av.ingest_deadline_after_return", "异地或连续执法返回后导出存储期限", DURATION_UNITS),
    RuleSpec("av.ingest_deadline_max", "音像记录导出存储最长期限", DURATION_UNITS),
    RuleSpec("av.retention_min", "音像记录最短保存期限", DURATION_UNITS),
    RuleSpec("av.retention_follows_case_file", "作为证据的音像记录随案卷保管期限保存", ("bool",)),
    RuleSpec("av.full_recording_required", "应当全过程音像记录的执法活动", ("list",), _STR_LIST),
    RuleSpec("av.dispute_prone_recording", "容易引发争议、应视情况音像记录的过程", ("list",), _STR_LIST),
    RuleSpec(
        "av.recording_list",
        "音像记录事项清单",
        ("table",),
        _table(
            {
                "no": {"type": "integer", "minimum": 1},
                "when": {"enum": ["always", "disputed"]},
                "matter_kind": _MATTER_KINDS,
                "category": _STR,
                "stage": _STR,
                "item": _STR,
                "start": _STR,
                "process": _STR,
                "end": _STR,
                "place": _STR,
                "method": _STR,
            },
            ["no", "when", "matter_kind", "category", "stage"],
        ),
    ),
    RuleSpec(
        "av.required_steps",
        "必须音像记录的办理环节",
        ("table",),
        _table(
            {
                "matter_kind": _MATTER_KINDS,
                "step": {"type": "string", "pattern": "^[a-z_]+$"},
                "item": _STR,
                # always: the step is never taken without a recording; disputed: the officer states
                # whether the step may give rise to a dispute, and then it is required.
                "when": {"enum": ["always", "disputed"]},
                "row": _STR,  # the row of the agency's list, e.g. 附件1第22行
                "start": _STR,
                "end": _STR,
                "media": {"type": "array", "minItems": 1, "items": {"enum": ["video", "audio", "photo"]}},
                "service_methods": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"enum": ["direct", "post", "left", "entrusted", "public_notice"]},
                },
            },
            ["matter_kind", "step", "item"],
        ),
    ),
    RuleSpec("av.exemption_reasons", "不适宜音像记录的情形", ("list",), _STR_LIST),
    RuleSpec("av.exemption_report_to", "不适宜音像记录时报告对象", ("text",), {"enum": _ROLE_CODES}),
    RuleSpec("av.interruption_explanation_required", "中断记录须说明原因", ("bool",)),
    RuleSpec("av.evidence_copy_to_disc", "作为证据使用时复制为光盘并附文字说明", ("bool",)),
    RuleSpec("av.long_term_preservation_cases", "应刻录光盘长期保存的情形", ("list",), _STR_LIST),
    RuleSpec("av.notify_party_before_recording", "开启记录前告知当事人", ("bool",)),
    RuleSpec("av.interruption_tolerance", "同一设备相邻片段间隔超过即视为中断", SHORT_UNITS),
    RuleSpec("av.session_break", "同一设备相邻片段间隔超过即视为另一次执法活动", SHORT_UNITS),
    RuleSpec("av.complete_and_playable", "音像记录须完整有效、可以读取，原始记录不得删改", ("bool",)),
    # --- equipment ------------------------------------------------------------------------------
    RuleSpec(
        "equipment.standard",
        "音像记录设备配备标准",
        ("table",),
        _table(
            {
                "device_kind": {"enum": ["body_camera", "camera", "voice_recorder", "camcorder"]},
                "per": {"enum": ["frontline_officer", "officer", "section"]},
                "count": {"type": "integer", "minimum": 1},
            },
            ["device_kind", "per", "count"],
        ),
    ),
    RuleSpec("equipment.clock_sync_required", "使用前按当前日期时间校准设备", ("bool",)),
    RuleSpec("equipment.clock_tolerance", "设备时间与独立参照时间允许偏差", SHORT_UNITS),
    RuleSpec("time.clock_tolerance", "登记时间晚于现在的允许误差（时钟误差）", SHORT_UNITS),
    RuleSpec("time.late_entry_tolerance", "发生时间早于登记时间超过即须说明补录原因", DURATION_UNITS + SHORT_UNITS),
    # --- written records ------------------------------------------------------------------------
    RuleSpec("records.scan_resolution_min", "纸质信息扫描最低分辨率", ("ppi",)),
    RuleSpec("records.collection_return_deadline", "采集结束后返还原始资料期限", DURATION_UNITS),
    # --- archive --------------------------------------------------------------------------------
    RuleSpec("archive.deadline_after_closing", "结案后归档期限", DURATION_UNITS),
    RuleSpec(
        "archive.retention",
        "案卷保管期限",
        ("table",),
        _table(
            {
                "case_kind": _STR,
                "period": {"oneOf": [{"const": "permanent"}, {"type": "integer", "minimum": 1}]},
                # which facts of a case put it in this row (archive.retention evaluates them)
                "when": {
                    "enum": ["major_penalty", "major_impact", "complex", "hearing", "compulsory_execution", "other"]
                },
            },
            ["case_kind", "period"],
        ),
    ),
    RuleSpec("archive.av_item_fields", "归档音像资料须注明事项", ("list",), _STR_LIST),
    RuleSpec("archive.enterprise_directory", "一企一档电子信息管理目录层级", ("list",), _STR_LIST),
    RuleSpec("archive.collection_note_fields", "信息采集说明文档须记录事项", ("list",), _STR_LIST),
    RuleSpec("archive.carrier_label_fields", "存储载体标签须注明事项", ("list",), _STR_LIST),
    RuleSpec("archive.disposal_appraisal", "保管期限届满须鉴定后方可销毁", ("bool",)),
    # --- legal review ---------------------------------------------------------------------------
    RuleSpec("review.statutory_situations", "法律规定应当法制审核的情形", ("list",), _STR_LIST),
    RuleSpec("review.first_reviewer_legal_qualification", "初次从事法制审核须取得法律职业资格", ("bool",)),
    RuleSpec(
        "review.scope",
        "重大执法决定法制审核目录",
        ("table",),
        _table(
            {
                "code": {"type": "string", "pattern": "^[a-z0-9_.-]+$"},
                "matter_kind": _MATTER_KINDS,
                "trigger": {
                    "enum": [
                        "suspension",
                        "licence_revocation",
                        "qualification_revocation",
                        "downgrade",
                        "fine",
                        "confiscation",
                        "correction",
                        "hearing",
                        "complex",
                        "seizure",
                        "premises_sealing",
                        "supply_cut",
                        "licensing_revocation",
                        "licensing_dispute",
                        "closure",
                        "benefit",
                        "other",
                    ]
                },
                "text": _STR,
            },
            ["code", "matter_kind", "trigger", "text"],
        ),
    ),
    RuleSpec("review.fine_threshold_person", "须法制审核的罚款数额（公民）", ("yuan",)),
    RuleSpec("review.fine_threshold_organisation", "须法制审核的罚款数额（法人或其他组织）", ("yuan",)),
    RuleSpec("review.time_limit", "法制审核期限", DURATION_UNITS),
    RuleSpec("review.extension", "复杂案件法制审核延长期限", DURATION_UNITS),
    RuleSpec("review.reviewer_ratio_min", "法制审核人员占执法人员最低比例", ("percent",)),
    RuleSpec("review.required_materials", "送审材料", ("list",), _STR_LIST),
    RuleSpec("review.application_items", "法制审核申请表应载明事项", ("list",), _STR_LIST),
    RuleSpec("review.checklist", "法制审核内容", ("list",), _STR_LIST),
    RuleSpec(
        "review.outcomes",
        "审核意见类型",
        ("table",),
        _table(
            {
                "code": {
                    "enum": [
                        "agree",
                        "not_decide",
                        "reinvestigate",
                        "change",
                        "correct_procedure",
                        "disagree_revocation",
                        "transfer",
                    ]
                },
                "text": _STR,
            },
            ["code", "text"],
        ),
    ),
    RuleSpec("review.opinion_copies", "法制审核意见书份数", ("count",)),
    RuleSpec("review.collective_decision", "审核意见须集体研究决定", ("bool",)),
    RuleSpec("review.recusal_required", "与审核事项有利害关系的审核人员应当回避", ("bool",)),
    RuleSpec("review.reviewers_read_materials", "被指派的审核人员可查看作为送审材料提交的执法记录", ("bool",)),
    # --- service of documents -------------------------------------------------------------------
    RuleSpec(
        "service.requirements",
        "各送达方式须留存的材料",
        ("table",),
        _table(
            {
                "method": {"enum": ["direct", "post", "left", "entrusted", "public_notice", "electronic"]},
                "requires": {
                    "type": "array",
                    "items": {
                        "enum": [
                            "receipt",
                            "recipient_signature",
                            "post_receipt",
                            "refusal_reason",
                            "witness",
                            "av",
                            "reason",
                            "failed_methods",
                            "notice",
                            *ELECTRONIC_PROOFS,
                        ]
                    },
                },
            },
            ["method", "requires"],
        ),
    ),
    RuleSpec(
        "service.electronic_requirements",
        "电子送达须留存的材料",
        ("list",),
        {"type": "array", "minItems": 1, "items": {"enum": list(ELECTRONIC_PROOFS)}},
    ),
    # --- access to records ----------------------------------------------------------------------
    RuleSpec(
        "access.approval",
        "记录信息调阅审批",
        ("table",),
        _table(
            {
                "requester": {
                    "enum": [
                        "own_section",
                        "other_section",
                        "party",
                        "party_lawyer",
                        "external_visit",
                        "external_letter",
                        "judicial",
                        "internal_borrow",
                    ]
                },
                "action": {"enum": ["view", "copy", "borrow"]},
                "approver": {"enum": [*_ROLE_CODES, "none"]},
                "documents": {"type": "array", "items": _STR},
                "note": _STR,
            },
            ["requester", "action", "approver"],
        ),
    ),
    RuleSpec(
        "access.other_section_approver",
        "非承办科室调阅记录信息的审批人",
        ("text",),
        {"type": "string", "minLength": 2, "maxLength": 40},
    ),
    RuleSpec("access.supervised_viewing", "调阅时由记录信息管理人员陪同监督", ("bool",)),
    RuleSpec("access.register_required", "调阅须登记", ("bool",)),
    RuleSpec("access.archived_only", "调阅程序只适用于已归档的记录", ("bool",)),
    RuleSpec(
        "access.no_copy_confidentiality",
        "不予复制的密级",
        ("list",),
        {"type": "array", "minItems": 1, "items": {"enum": ["restricted", "secret"]}},
    ),
    RuleSpec(
        "access.copy_statement",
        "证据复制件文字说明须载明的事项",
        ("list",),
        {"type": "array", "minItems": 1, "items": {"enum": ["maker", "extractor", "extracted_at", "proves"]}},
    ),
    RuleSpec("access.disc_log_required", "刻盘存储须填写刻盘存储记录表并经主要负责人签字", ("bool",)),
    RuleSpec("access.viewing_free", "查阅不收费", ("bool",)),
    RuleSpec("access.copy_at_cost", "复制费用由申请人自行支付", ("bool",)),
    RuleSpec(
        "access.long_term_keeping",
        "须刻录光盘长期保存音像资料的情形",
        ("list",),
        {"type": "array", "minItems": 1, "items": {"enum": ["objection", "obstruction", "incident", "other"]}},
    ),
    RuleSpec("access.party_conclusive_instruments", "当事人及其律师可查阅复制的结论性文书", ("list",), _STR_LIST),
    RuleSpec("access.records_manager_role", "陪同调阅的记录信息管理人员角色", ("text",), {"enum": _ROLE_CODES}),
]

# --- each agency's recording list, filing clock and review catalogue as applied (issue 11) -----------
_SPECS += [
    RuleSpec(
        "av.media_kinds",
        "计为音像记录的记录方式",
        ("list",),
        {"type": "array", "minItems": 1, "items": {"enum": ["video", "audio", "photo"]}},
    ),
    RuleSpec(
        "av.ingest_deadline_from",
        "音像记录存储期限的起算点",
        ("text",),
        {"enum": ["recording_end", "day_end"]},
    ),
    RuleSpec("review.collective_discussion_after_review", "法制审核后报局领导集体讨论作出决定", ("bool",)),
    RuleSpec(
        "review.disagreement_decided_by",
        "承办科室对审核意见有异议时的决定方式",
        ("list",),
        {"type": "array", "minItems": 1, "items": {"enum": ["leader", "collective"]}},
    ),
    RuleSpec("review.clock_restarts_after_supplement", "补充材料的，审核期限自补齐之日重新计算", ("bool",)),
    RuleSpec(
        "review.benchmark",
        "行政处罚裁量基准（罚款）",
        ("table",),
        _table(
            {
                "code": {"type": "string", "pattern": "^[a-z0-9_.-]+$"},
                "violation": _STR,
                "basis": _STR,
                "circumstance": _STR,
                "min": _INT,
                "max": _INT,
                "source": {"enum": ["national", "agency"]},
            },
            ["code", "violation", "basis", "circumstance", "min", "max", "source"],
        ),
    ),
]

_SPECS += [
    # --- approvals in matters ---------------------------------------------------------------------
    RuleSpec(
        "matters.leader_approval_steps",
        "须报局主要负责人审批的环节",
        ("table",),
        _table(
            {"matter_kind": _MATTER_KINDS, "step": {"type": "string", "pattern": "^[a-z_]+$"}, "item": _STR},
            ["matter_kind", "step", "item"],
        ),
    ),
]

# --- supervision (issue 16): who supervises the full-process records, and what follows a finding ------
_SPECS += [
    RuleSpec("supervision.supervisor_role", "负责监督检查执法全过程记录工作的机构（角色）", ("text",), {"enum": _ROLE_CODES}),
    RuleSpec("supervision.rectification_ordered", "全过程记录存在问题的责令限期整改", ("bool",)),
    RuleSpec("supervision.record_analysis", "对全过程记录进行统计分析，发现执法薄弱环节", ("bool",)),
]

# --- supervision (issue 16 items 2-4): AV spot checks, 案卷评查, 执法过错 -------------------------------------
_FAULT_KINDS = ["deleted", "lent", "leaked", "altered", "lost", "other"]
_FAULT_MEASURES = ["self_examination", "circular", "suspension", "no_awards", "discipline"]
_SPECS += [
    RuleSpec("supervision.av_spot_check_proportion", "按比例抽查音像记录资料的比例", ("percent",),
             {"type": "number", "exclusiveMinimum": 0, "maximum": 100}),
    RuleSpec(
        "supervision.av_spot_check_items",
        "音像记录抽查的检查内容",
        ("table",),
        _table({"code": {"enum": ["recorded", "continuous", "handled"]}, "question": _STR}, ["code", "question"]),
    ),
    RuleSpec(
        "supervision.case_review_sheet",
        "案卷评查评分表",
        ("table",),
        _table(
            {
                "code": {"type": "string", "pattern": "^[a-z0-9_.-]+$"},
                "part": _STR,
                "item": _STR,
                "points": {"type": "integer", "minimum": 0, "maximum": 100},
                "veto": {"type": "boolean"},
                "source": {"enum": ["standard", "agency"]},
            },
            ["code", "part", "item", "points", "source"],
        ),
    ),
    RuleSpec("supervision.case_review_pass_mark", "案卷评查合格分数线", ("count",),
             {"type": "integer", "minimum": 1, "maximum": 100}),
    RuleSpec("supervision.fault_kinds", "视为执法过错的行为", ("list",),
             {"type": "array", "minItems": 1, "items": {"enum": _FAULT_KINDS}}),
    RuleSpec("supervision.fault_measures", "执法过错责任追究方式", ("list",),
             {"type": "array", "minItems": 1, "items": {"enum": _FAULT_MEASURES}}),
    RuleSpec("supervision.fault_suspension", "执法过错停止执法工作的期限", ("months",)),
]


# --- field work (issue 18): how many inspections of one enterprise within a period before they are flagged ---
_SPECS += [
    RuleSpec("field.inspection_frequency_limit", "同一企业在统计期间内的行政检查次数上限（超过即提示）", ("count",)),
    RuleSpec("field.inspection_frequency_period", "统计同一企业行政检查频次的期间", ("days",)),
    RuleSpec(
        "field.checklists",
        "现场检查表：按监管行业领域列出的检查项目及其依据（all 为各行业通用）",
        ("table",),
        _table(
            {
                "sector": {"enum": ["all", "hazardous_chemicals", "non_coal_mine", "fireworks", "industry_trade", "other"]},
                "item": _STR,
                "basis": _STR,
            },
            ["sector", "item", "basis"],
        ),
    ),
]

# 行政处罚法第五十八条第一款's situations that bind every agency, whatever its own catalogue lists: the
# catalogue's table.
_SPECS.append(RuleSpec("review.statutory_scope", "法律规定须法制审核的情形（各单位目录未列明的也适用）", ("table",),
                       next(spec.schema for spec in _SPECS if spec.key == "review.scope")))

RULES: dict[str, RuleSpec] = {spec.key: spec for spec in _SPECS}


def spec_for(key: str) -> RuleSpec | None:
    return RULES.get(key)

