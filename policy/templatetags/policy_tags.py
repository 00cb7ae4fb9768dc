from django import template

from policy.registry import RULES, UNIT_LABELS

register = template.Library()

CODE_LABELS = {
    # text rule codes shown in Chinese
    "full": "全名公示",
    "masked": "隐去部分姓名",
    "hidden": "不公示姓名",
    "officer": "执法人员",
    "section_chief": "科室负责人",
    "legal_reviewer": "法制审核人员",
    "leader": "局领导",
    "archivist": "档案管理员",
    "office": "办公室",
    "admin": "系统管理员",
    "none": "无需审批",
    "always": "应当记录",
    "disputed": "可能引发争议时记录",
    "permanent": "永久",
    "body_camera": "执法记录仪",
    "camera": "照相机",
    "voice_recorder": "录音笔",
    "camcorder": "摄像机",
    "frontline_officer": "每名一线执法人员",
    "section": "每个科室",
    "own_section": "承办科室",
    "other_section": "非承办科室",
    "party": "当事人",
    "party_lawyer": "当事人代理律师",
    "external_visit": "外单位来人",
    "external_letter": "外单位来函",
    "judicial": "司法、监察等机关",
    "internal_borrow": "本机关人员借阅",
    "view": "查阅",
    "copy": "复制",
    "borrow": "借阅",
    "inspection": "行政检查",
    "penalty": "行政处罚",
    "compulsion": "行政强制",
    "licensing": "行政许可",
    "confirmation": "行政确认",
    "benefit": "行政给付",
    # festival calendars
    "solar": "公历",
    "lunar": "农历",
    "lunar_new_year_eve": "农历除夕起",
    "solar_term": "节气",
    # legal-review triggers
    "suspension": "责令停产停业等",
    "licence_revocation": "吊销许可证",
    "qualification_revocation": "撤销执业资格、岗位证书",
    "downgrade": "降低资质等级",
    "fine": "较大数额罚款",
    "confiscation": "没收违法所得或非法财物",
    "correction": "纠正已生效的处罚决定",
    "hearing": "经听证程序",
    "complex": "疑难复杂",
    "seizure": "查封、扣押",
    "premises_sealing": "查封作业场所",
    "supply_cut": "停止供电、停止供应民用爆炸物品",
    "licensing_revocation": "撤销行政许可",
    "licensing_dispute": "行政许可争议",
    "closure": "提请关闭",
    "other": "其他",
    # review outcomes
    "agree": "同意",
    "not_decide": "不予作出决定",
    "reinvestigate": "重新或补充调查",
    "change": "变更或修正",
    "correct_procedure": "纠正程序",
    "disagree_revocation": "不同意撤销许可",
    "transfer": "移送",
    # codes in the packs' lists and tables; the steps, 文书 and ways of service of matters come from
    # that app at start-up (register_code_labels)
    "agency": "本单位规定",
    "all": "全部行业",
    "hazardous_chemicals": "危险化学品",
    "non_coal_mine": "非煤矿山",
    "fireworks": "烟花爆竹",
    "video": "录像",
    "audio": "录音",
    "photo": "照片",
    "secret": "涉及国家秘密",
    "collective": "集体讨论",
    "recorded": "规定事项已音像记录",
    "continuous": "全过程不间断记录",
    "handled": "移交、存储、管理和使用符合规定",
    "deleted": "删除证据",
    "lent": "未经批准出借或让无关人员查阅",
    "leaked": "泄露记录信息",
    "altered": "删改、弄虚作假",
    "lost": "保管不当致损毁、丢失",
    "self_examination": "责令作出书面检查",
    "circular": "通报批评",
    "no_awards": "取消当年评优评先资格",
    "discipline": "移送给予处分",
    "objection": "当事人对现场执法、办案有异议或者投诉、上访",
    "obstruction": "当事人逃避、拒绝、阻碍执法或谩骂、侮辱、殴打执法人员",
    "incident": "执法人员参与处置群体性事件、突发事件",
    "serve": "送达决定",
    "maker": "制作人",
    "extractor": "提取人",
    "extracted_at": "提取时间",
    "proves": "证明对象",
    "address_confirmation": "送达地址确认书",
    "sent_record": "发送记录",
    "delivery_receipt": "送达回执",
    "major_penalty": "重大行政处罚案件",
    "major_impact": "社会影响重大的案件",
    "compulsory_execution": "强制执行案件",
    # when the storage deadline starts
    "day_end": "自当天执法活动结束时起算",
    "recording_end": "自音像记录结束时起算",
}


def register_code_labels(labels: dict[str, str]) -> None:
    """An app above policy (matters) adds the labels its own codes have (steps, 文书, ways of service)
    when it starts, so the rules page names them as the app does; a label given above wins."""
    for code, text in labels.items():
        CODE_LABELS.setdefault(code, text)


@register.filter
def label(code):
    if isinstance(code, bool):
        return "是" if code else "否"
    return CODE_LABELS.get(code, code) if isinstance(code, str) else code


@register.filter
def rule_value(rule):
    """A scalar rule's value with its unit, in Chinese: 7个工作日, 10,000元, 是."""
    value, unit = rule.value, rule.unit
    if unit == "bool":
        return "是" if value else "否"
    if unit == "text":
        return CODE_LABELS.get(value, value)
    if unit == "yuan":
        return f"{value:,}元"
    if unit == "percent":
        return f"{value:g}%"
    if unit in ("list", "table"):
        return ""
    return f"{value}{UNIT_LABELS.get(unit, '')}"


@register.filter
def rule_title(rule):
    spec = RULES.get(rule.key)
    return spec.title if spec else rule.key


@register.filter
def is_scalar(rule):
    return rule.unit not in ("list", "table")


@register.filter
def columns(rows):
    """The column names of a table value, in first-seen order."""
    seen = []
    for row in rows or []:
        for key in row:
            if key not in seen:
                seen.append(key)
    return seen


@register.filter
def get(mapping, key):
    return mapping.get(key, "") if isinstance(mapping, dict) else ""


COLUMN_LABELS = {
    "no": "序号",
    "when": "要求",
    "matter_kind": "执法类别",
    "category": "类别",
    "stage": "执法环节",
    "item": "记录事项",
    "start": "开始记录",
    "process": "记录过程",
    "end": "结束记录",
    "place": "记录场所",
    "method": "记录方式",
    "device_kind": "设备",
    "per": "配备对象",
    "count": "数量",
    "case_kind": "案件类型",
    "period": "保管期限（年）",
    "code": "代码",
    "trigger": "情形",
    "text": "内容",
    "requester": "调阅人",
    "action": "方式",
    "approver": "审批人",
    "documents": "须提交材料",
    "note": "说明",
    "name": "节日",
    "rule": "历法",
    "month": "月",
    "day": "日",
    "term": "节气",
    "days": "天数",
    "requires": "须具备",
    "part": "评查部分",
    "points": "分值",
    "veto": "一票否决",
    "source": "来源",
    "sector": "行业领域",
    "basis": "依据",
    "step": "执法环节",
    "row": "附件行次",
    "service_methods": "送达方式",
    "violation": "违法行为",
    "circumstance": "违法情节",
    "min": "下限",
    "max": "上限",
    "question": "检查内容",
    "media": "记录形式",
}


@register.filter
def column_label(name):
    return COLUMN_LABELS.get(name, name)


@register.filter
def cell(value):
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None:
        return "—"
    if isinstance(value, list):
        return "、".join(str(CODE_LABELS.get(v, v)) for v in value)
    return CODE_LABELS.get(value, value) if isinstance(value, str) else value


@register.filter
def weekday_cn(day):
    return "星期" + "一二三四五六日"[day.weekday()] if day else ""
