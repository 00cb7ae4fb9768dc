"""The workflows matters run: states and named transitions, one definition per kind of matter.

These definitions drive the services (what may happen next), the pages (which forms a matter
offers) and the public portal's flowcharts, so the published chart is the one that runs.

A transition's `target` is None when the step is recorded without leaving the state (an
interview during investigation). What a step must leave — 文书, officers, recordings,
deadlines — is declared here by 文书 kind and by policy rule key; the figures are in the packs.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text, textarea, date, datetime, decimal, choice, bool
    required: bool = True
    choices: tuple[tuple[str, str], ...] = ()
    help: str = ""


@dataclass(frozen=True)
class State:
    code: str
    label: str
    final: bool = False


@dataclass(frozen=True)
class Transition:
    code: str
    label: str
    sources: tuple[str, ...]
    target: str | None
    article: str  # why the step exists and what it must leave: file and 第X条
    capability: str = "matters.act"
    instrument: str | None = None  # 文书 kind issued by the step (matters/instrument_types.py)
    serve: bool = False  # the step records the service (送达) of its 文书
    officers_rule: str | None = None  # pack rule: how many officers must take part
    starts: tuple[str, ...] = ()  # pack duration rules whose deadline starts at this step
    fields: tuple[Field, ...] = ()
    once: bool = False  # may happen at most once in a matter


@dataclass(frozen=True)
class Workflow:
    code: str
    label: str
    kind: str
    procedure: str
    states: tuple[State, ...]
    initial: str
    transitions: tuple[Transition, ...] = field(default=())

    def state(self, code: str) -> State:
        return next(s for s in self.states if s.code == code)

    def transition(self, code: str) -> Transition | None:
        return next((t for t in self.transitions if t.code == code), None)

    def available(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources]


# --- fields shared by several steps ----------------------------------------------------------------
F_FACTS = Field("facts", "违法事实 / 基本情况", "textarea")
F_BASIS = Field("basis", "依据", "textarea")
F_PLACE = Field("place", "地点")
F_TIME = Field("time", "时间", "datetime")
F_OPINION = Field("opinion", "意见", "textarea", required=False)
F_REASON = Field("reason", "理由", "textarea")
F_ITEMS = Field("items", "物品清单（每行一项：名称、规格、数量）", "textarea")
F_AMOUNT = Field("amount", "罚款数额（元）", "decimal", required=False)
MEASURE_CHOICES = (
    ("warning", "警告"),
    ("suspension", "责令停产停业"),
    ("licence_revocation", "吊销许可证"),
    ("qualification_revocation", "撤销资格或资质"),
    ("downgrade", "降低资质等级"),
    ("confiscation", "没收违法所得、非法财物"),
    ("closure", "提请关闭"),
)
F_MEASURES = Field("measures", "其他处罚（可多选）", "multichoice", required=False, choices=MEASURE_CHOICES)
# The facts the review catalogue triggers on and the discretion benchmark (000 审核第三条、第五条（二）).
F_CONFISCATION_VALUE = Field(
    "confiscation_value", "没收违法所得、非法财物的价值（元）", "decimal", required=False,
    help="选择没收的须填写，按价值判断是否须法制审核。",
)
F_CORRECTS = Field(
    "corrects", "纠正的已生效处罚决定书文号", required=False,
    help="本决定纠正已发生法律效力的行政处罚决定的，填写原决定书文号。",
)
F_BENCHMARK = Field(
    "benchmark", "适用的裁量基准（基准编号）", required=False,
    help="政策包裁量基准表中的编号，如 aqscf-97.general；拟处罚款应在该情形的幅度内。",
)

CLOSE = State("closed", "已结案", final=True)
REVOKED = State("revoked", "决定已撤销或确认违法", final=True)


def _revoke(sources: tuple[str, ...]) -> Transition:
    """A decision revoked, found unlawful or to be remade (by 复议, a court or the agency itself): the
    matter records it and its published decision is taken down (000 公示制度第十四条、第二十二条)."""
    return Transition(
        "revoke", "决定被撤销、确认违法或责令重作", sources, "revoked", "000 第十四条；行政处罚法 第四十八条第二款",
        capability="matters.decide",
        fields=(
            Field("reason", "撤销、确认违法或责令重作的情况", "textarea"),
            Field("document", "依据文书（复议决定书、判决书或本机关决定的文号）"),
            Field("revoked_on", "决定撤销之日", "date"),
        ),
    )


def _close(sources: tuple[str, ...], article: str) -> Transition:
    return Transition(
        "close", "结案审批", sources, "closed", article, capability="matters.approve",
        instrument="closing_approval", starts=("archive.deadline_after_closing",),
        fields=(Field("result", "执行情况", "textarea"), F_OPINION),
    )


INSPECTION = Workflow(
    "inspection", "行政检查", "inspection", "general",
    states=(
        State("registered", "登记"),
        State("planned", "已制定检查方案"),
        State("inspected", "已现场检查"),
        State("rectifying", "整改中"),
        State("reinspected", "已复查"),
        State("referred", "移交立案查处", final=True),
        CLOSE,
    ),
    initial="registered",
    transitions=(
        Transition("plan", "制定现场检查方案", ("registered",), "planned", "001 第六条",
                   instrument="inspection_plan", fields=(F_PLACE, F_TIME, Field("facts", "检查内容", "textarea"))),
        Transition("inspect", "现场检查", ("planned",), "inspected", "001 第六条、第七条",
                   instrument="inspection_record", officers_rule="penalty.officers_min",
                   fields=(F_PLACE, F_TIME, Field("findings", "检查情况", "textarea"),
                           Field("hazards", "发现的问题和隐患（每行一项，无则留空）", "textarea", required=False))),
        Transition("order_rectification", "责令限期整改", ("inspected",), "rectifying", "001 第七条",
                   instrument="rectification_order", serve=True,
                   fields=(F_BASIS, Field("rectify_by", "整改期限", "date"))),
        Transition("onsite_measures", "现场处理措施", ("inspected",), "rectifying", "001 第七条",
                   instrument="onsite_measures", serve=True,
                   fields=(F_BASIS, Field("measures", "现场处理措施", "textarea"),
                           Field("rectify_by", "整改期限", "date"))),
        Transition("reinspect", "整改复查", ("rectifying",), "reinspected", "001 第八条",
                   instrument="reinspection_opinion", officers_rule="penalty.officers_min", serve=True,
                   fields=(F_TIME, Field("rectified", "复查结论", "choice",
                                         choices=(("yes", "已按期整改"), ("no", "未按期整改"))),
                           Field("result", "复查意见", "textarea"))),
        Transition("refer", "移交立案查处", ("inspected", "reinspected"), "referred", "001 第九条",
                   capability="matters.approve", fields=(F_REASON,)),
        _close(("inspected", "reinspected"), "001 第二十三条"),
    ),
)

PENALTY_GENERAL = Workflow(
    "penalty_general", "行政处罚（一般程序）", "penalty", "general",
    states=(
        State("registered", "登记"),
        State("investigating", "先行调查取证"),
        State("filing", "立案审批中"),
        State("filed", "已立案调查"),
        State("proposed", "案件处理呈批中"),
        State("approved", "处理意见已批准"),
        State("notified", "已告知"),
        State("hearing_requested", "已申请听证"),
        State("hearing_scheduled", "已通知听证"),
        State("heard", "已听证"),
        State("discussed", "已集体讨论"),
        State("decided", "已作出决定"),
        State("served", "决定书已送达"),
        State("executed", "已执行"),
        State("court", "已申请法院强制执行"),
        CLOSE,
        REVOKED,
    ),
    initial="registered",
    transitions=(
        Transition("investigate_first", "先行调查取证", ("registered",), "investigating", "001 第九条",
                   starts=("penalty.filing_after_investigation",), fields=(F_REASON,)),
        Transition("request_filing", "立案申请", ("registered", "investigating"), "filing", "001 第九条",
                   instrument="filing_approval", fields=(F_FACTS, F_BASIS)),
        Transition("approve_filing", "立案审批", ("filing",), "filed", "001 第九条",
                   capability="matters.approve", starts=("penalty.decision_deadline",), fields=(F_OPINION,)),
        Transition("interview", "询问", ("investigating", "filed"), None, "001 第十条第（一）项",
                   instrument="interview_record", officers_rule="penalty.officers_min",
                   fields=(F_TIME, F_PLACE, Field("interviewee", "被询问人"),
                           Field("questions", "询问内容", "textarea"))),
        Transition("examine", "现场勘验", ("investigating", "filed"), None, "001 第十条第（三）项、第十一条",
                   instrument="examination_record", officers_rule="penalty.officers_min",
                   fields=(F_TIME, F_PLACE, Field("findings", "勘验情况", "textarea"))),
        Transition("sample", "抽样取证", ("investigating", "filed"), None, "001 第十条第（四）项、第十一条",
                   instrument="sampling_voucher", officers_rule="penalty.officers_min",
                   fields=(F_TIME, F_PLACE, F_ITEMS)),
        Transition("preserve", "先行登记保存证据", ("investigating", "filed"), None, "001 第十二条",
                   instrument="preservation_list", officers_rule="penalty.officers_min",
                   capability="matters.act", starts=("penalty.evidence_preservation_decision",),
                   fields=(F_TIME, F_PLACE, F_ITEMS, Field("reason", "证据保全的启动理由", "textarea"))),
        Transition("decide_preservation", "先行登记保存证据处理决定", ("investigating", "filed"), None,
                   "001 第十二条", instrument="preservation_decision", serve=True,
                   fields=(F_ITEMS, Field("decision", "处理决定", "textarea"))),
        Transition("appraise", "委托鉴定", ("filed",), None, "001 第十条第（七）项",
                   instrument="appraisal_request", fields=(F_ITEMS, F_REASON)),
        Transition("propose", "案件处理呈批", ("filed",), "proposed", "001 第十四条",
                   instrument="decision_proposal",
                   fields=(F_FACTS, F_BASIS, Field("decision", "拟处理意见", "textarea"), F_AMOUNT, F_MEASURES,
                           F_CONFISCATION_VALUE, F_CORRECTS, F_BENCHMARK)),
        Transition("approve_proposal", "批准处理意见", ("proposed",), "approved", "001 第十四条",
                   capability="matters.decide", fields=(F_OPINION,)),
        Transition("return_proposal", "退回补充调查", ("proposed",), "filed", "001 第十四条",
                   capability="matters.decide", fields=(F_REASON,)),
        Transition("notify", "行政处罚告知", ("approved",), "notified", "行政处罚法 第四十四条",
                   instrument="penalty_notice", serve=True,
                   starts=("penalty.defence_period", "penalty.hearing_request_period"),
                   fields=(Field("rights", "告知的权利", "textarea", required=False),)),
        Transition("record_defence", "陈述申辩", ("notified",), None, "001 第十条第（五）项",
                   instrument="defence_record",
                   fields=(F_TIME, Field("defence", "陈述申辩内容", "textarea"),
                           Field("adopted", "复核意见（是否采纳及理由）", "textarea"))),
        Transition("waive_hearing", "当事人放弃听证", ("notified",), None, "行政处罚法 第六十三条、第六十四条",
                   once=True, fields=(Field("waived_on", "声明日期", "date"),
                                      Field("statement", "当事人书面声明（放弃听证的原话）", "textarea"))),
        Transition("request_hearing", "申请听证", ("notified",), "hearing_requested", "行政处罚法 第六十四条",
                   fields=(Field("requested_on", "申请日期", "date"),)),
        Transition("notify_hearing", "听证通知", ("hearing_requested",), "hearing_scheduled",
                   "行政处罚法 第六十四条", instrument="hearing_notice", serve=True,
                   fields=(Field("hearing_at", "听证时间", "datetime"), Field("hearing_place", "听证地点"),
                           Field("presider", "听证主持人"))),
        Transition("hold_hearing", "举行听证", ("hearing_scheduled",), "heard", "001 第十条第（六）项、第十一条",
                   instrument="hearing_record",
                   fields=(Field("participants", "参加人员", "textarea"), Field("defence", "听证情况", "textarea"))),
        Transition("discuss", "集体讨论", ("notified", "heard"), "discussed", "001 第十五条",
                   capability="matters.decide", instrument="collective_discussion",
                   fields=(F_TIME, Field("participants", "参加人员", "textarea"),
                           Field("discussion", "讨论记录", "textarea"), Field("conclusion", "结论", "textarea"))),
        Transition("decide", "作出行政处罚决定", ("notified", "heard", "discussed"), "decided", "001 第十六条",
                   capability="matters.decide", instrument="penalty_decision",
                   starts=("penalty.service_deadline",),
                   fields=(F_FACTS, F_BASIS, Field("decision", "处罚决定", "textarea"), F_AMOUNT, F_MEASURES,
                           Field("payment", "缴纳方式", required=False), F_CONFISCATION_VALUE, F_CORRECTS,
                           F_BENCHMARK)),
        Transition("serve", "送达行政处罚决定书", ("decided",), "served", "001 第十八至二十二条",
                   serve=True, starts=("penalty.payment_deadline",)),
        Transition("pay", "缴纳罚款", ("served",), "executed", "001 第二十三条",
                   fields=(Field("amount", "缴纳数额（元）", "decimal"), Field("paid_on", "缴纳日期", "date"))),
        Transition("demand", "罚款催缴", ("served",), None, "001 第二十四条",
                   instrument="payment_demand", serve=True, starts=("compulsion.demand_period",),
                   fields=(Field("period", "履行期限", "textarea"),)),
        Transition("apply_court", "申请法院强制执行", ("served",), "court", "001 第二十五条",
                   capability="matters.approve", instrument="court_application",
                   fields=(Field("reason", "申请理由", "textarea"),)),
        Transition("record_court_result", "记录强制执行结果", ("court",), "executed", "001 第二十五条",
                   fields=(Field("result", "强制执行结果", "textarea"),)),
        Transition("dismiss", "不予处罚或撤销立案", ("filed", "proposed", "approved", "notified", "heard"),
                   "closed", "001 第二十三条", capability="matters.decide", fields=(F_REASON,)),
        _close(("executed", "served"), "001 第二十三条"),
        _revoke(("decided", "served", "executed", "court", "closed")),
    ),
)

PENALTY_SIMPLE = Workflow(
    "penalty_simple", "行政处罚（简易程序）", "penalty", "simple",
    states=(
        State("registered", "登记"),
        State("decided", "已当场处罚"),
        State("served", "决定书已交付"),
        State("executed", "已执行"),
        CLOSE,
        REVOKED,
    ),
    initial="registered",
    transitions=(
        Transition("decide_on_spot", "当场作出行政处罚决定", ("registered",), "decided", "001 第十七条",
                   instrument="simple_penalty_decision", officers_rule="penalty.officers_min",
                   fields=(F_TIME, F_PLACE, F_FACTS, F_BASIS, F_AMOUNT,
                           Field("defence", "当事人陈述、申辩及复核处理", "textarea"))),
        Transition("serve", "当场交付决定书", ("decided",), "served", "001 第十八条",
                   serve=True, starts=("penalty.payment_deadline",)),
        Transition("pay", "缴纳罚款", ("served",), "executed", "001 第十七条第（六）项",
                   fields=(Field("amount", "缴纳数额（元）", "decimal"), Field("paid_on", "缴纳日期", "date"))),
        _close(("executed", "served"), "001 第二十三条"),
        _revoke(("decided", "served", "executed", "closed")),
    ),
)

COMPULSION = Workflow(
    "compulsion", "行政强制措施", "compulsion", "general",
    states=(
        State("registered", "登记"),
        State("in_force", "强制措施实施中"),
        State("emergency", "当场实施，待报告负责人补办批准"),
        State("released", "已解除"),
        CLOSE,
        REVOKED,
    ),
    initial="registered",
    transitions=(
        Transition("seal", "查封、扣押", ("registered",), "in_force", "001 第十三条；行政强制法 第二十四条",
                   capability="matters.act", instrument="compulsion_decision", serve=True,
                   officers_rule="compulsion.officers_min", starts=("compulsion.seizure_period",),
                   fields=(F_REASON, F_BASIS, F_ITEMS, Field("period", "期限", required=False))),
        # 情况紧急 (行政强制法 第十九条): seized on the spot, reported to the leader within the pack's
        # hours and approved afterwards (legal review, where in scope, before that approval); a
        # leader who finds it should not have been taken releases it at once.
        Transition("seal_on_spot", "情况紧急当场查封、扣押", ("registered",), "emergency", "行政强制法 第十九条",
                   capability="matters.act", instrument="compulsion_decision", serve=True,
                   officers_rule="compulsion.officers_min",
                   starts=("compulsion.emergency_report", "compulsion.seizure_period"),
                   fields=(F_REASON, Field("urgency", "情况紧急、需要当场实施的理由", "textarea"), F_BASIS, F_ITEMS,
                           Field("period", "期限", required=False))),
        Transition("report_emergency", "向负责人报告", ("emergency",), None, "行政强制法 第十九条", once=True,
                   fields=(Field("time", "报告时间", "datetime"), Field("leader", "报告的负责人"),
                           Field("content", "报告内容", "textarea"),
                           Field("late_reason", "超过报告时限的原因（按时报告的留空）", "textarea", required=False))),
        Transition("approve_emergency", "补办批准", ("emergency",), "in_force", "行政强制法 第十九条",
                   capability="matters.decide", fields=(F_OPINION,)),
        Transition("refuse_emergency", "不予批准，立即解除", ("emergency",), "released", "行政强制法 第十九条",
                   capability="matters.decide", instrument="release_decision", serve=True,
                   fields=(F_REASON, F_ITEMS)),
        Transition("suspend", "责令停产停业", ("registered",), "in_force", "001 第十三条",
                   instrument="suspension_order", serve=True, officers_rule="compulsion.officers_min",
                   fields=(F_REASON, F_BASIS, Field("period", "期限"))),
        Transition("cut_supply", "通知停止供电、停止供应民用爆炸物品", ("registered", "in_force"), "in_force",
                   "安全生产法 第七十条；000 审核第三条（三）3", capability="matters.approve",
                   fields=(F_REASON, F_BASIS, Field("notified", "通知的有关单位", "textarea"))),
        Transition("extend", "延长查封、扣押期限", ("in_force",), None, "行政强制法 第二十五条",
                   capability="matters.approve", instrument="extension_decision", serve=True, once=True,
                   starts=("compulsion.seizure_extension",), fields=(F_REASON,)),
        Transition("release", "解除强制措施", ("in_force",), "released", "行政强制法 第二十八条",
                   capability="matters.approve", instrument="release_decision", serve=True,
                   officers_rule="compulsion.officers_min", fields=(F_REASON, F_ITEMS)),
        _close(("released",), "001 第二十三条"),
        _revoke(("in_force", "emergency", "released", "closed")),
    ),
)


LICENSING_ACTIONS = (("grant", "准予行政许可"), ("refuse", "不予行政许可"), ("revoke", "撤销行政许可"))


def _application_workflow(kind: str, label: str, decision: str) -> Workflow:
    examine_fields = (Field("findings", "审查意见", "textarea"),)
    hearing = ()
    if kind == "licensing":
        # The catalogue reviews revoking a licence and a licence decided after a hearing (000 审核第三条（一）；
        # 003 目录二); both are facts the steps record, not marks.
        examine_fields += (
            Field("proposed_action", "拟作出的决定", "choice", required=False, choices=LICENSING_ACTIONS),
        )
        hearing = (
            Transition("hold_hearing", "举行听证", ("accepted", "reviewed"), None, "行政许可法 第四十七条、第四十八条",
                       fields=(Field("participants", "参加人员", "textarea"), Field("defence", "听证情况", "textarea"))),
        )
    return Workflow(
        kind, label, kind, "general",
        states=(
            State("applied", "已申请"),
            State("accepted", "已受理"),
            State("reviewed", "已审查"),
            State("decided", "已作出决定"),
            State("served", "决定已送达"),
            CLOSE,
            REVOKED,
        ),
        initial="applied",
        transitions=(
            Transition("accept", "受理", ("applied",), "accepted", "004 第七条", instrument="acceptance_notice",
                       serve=True, fields=(Field("facts", "申请事项", "textarea"),)),
            *hearing,
            Transition("examine_application", "审查", ("accepted",), "reviewed", "004 第七条",
                       officers_rule="penalty.officers_min", fields=examine_fields),
            Transition("decide", "作出决定", ("reviewed",), "decided", "004 第七条", capability="matters.decide",
                       instrument=decision, fields=(F_FACTS, F_BASIS, Field("decision", "决定内容", "textarea"))),
            Transition("serve", "送达决定", ("decided",), "served", "004 第七条", serve=True),
            _close(("served",), "004 第七条"),
            _revoke(("decided", "served", "closed")),
        ),
    )


WORKFLOWS: dict[str, Workflow] = {
    w.code: w
    for w in (
        INSPECTION,
        PENALTY_GENERAL,
        PENALTY_SIMPLE,
        COMPULSION,
        _application_workflow("licensing", "行政许可", "licensing_decision"),
        _application_workflow("confirmation", "行政确认", "confirmation_decision"),
        _application_workflow("benefit", "行政给付", "benefit_decision"),
    )
}


# The steps that make the decision of a matter, per kind: what publicity publishes (000 第十二条) and
# what a revocation undoes.
DECISION_STEPS: dict[str, tuple[str, ...]] = {
    "penalty": ("decide", "decide_on_spot"),
    "compulsion": ("seal", "suspend"),
    "licensing": ("decide",),
    "confirmation": ("decide",),
    "benefit": ("decide",),
}


def workflow_for(kind: str, procedure: str = "general") -> Workflow:
    if kind == "penalty":
        return PENALTY_SIMPLE if procedure == "simple" else PENALTY_GENERAL
    return WORKFLOWS[kind]


@dataclass(frozen=True)
class DeadlineKind:
    label: str
    met_by: tuple[str, ...]  # transitions that meet it; empty: a period of the party's, shown, never overdue work
    task: bool = True


# What each tracked deadline asks of whom, and which steps meet it. The figures are the packs'.
DEADLINES: dict[str, DeadlineKind] = {
    "penalty.filing_after_investigation": DeadlineKind("先行调查取证后补办立案", ("request_filing",)),
    "penalty.decision_deadline": DeadlineKind("立案后作出处罚决定", ("decide", "dismiss")),
    "penalty.evidence_preservation_decision": DeadlineKind("先行登记保存证据处理决定", ("decide_preservation",)),
    "penalty.defence_period": DeadlineKind("当事人陈述申辩期限", (), task=False),
    "penalty.hearing_request_period": DeadlineKind("当事人申请听证期限", (), task=False),
    "penalty.service_deadline": DeadlineKind("送达行政处罚决定书", ("serve",)),
    "penalty.payment_deadline": DeadlineKind("缴纳罚款（逾期应催告）", ("pay", "demand", "apply_court")),
    "compulsion.demand_period": DeadlineKind("催告期（届满后方可申请强制执行）", (), task=False),
    "compulsion.seizure_period": DeadlineKind(
        "查封、扣押期限（届满前解除或延长）", ("release", "extend", "refuse_emergency")
    ),
    "compulsion.seizure_extension": DeadlineKind("延长后的查封、扣押期限", ("release",)),
    "compulsion.emergency_report": DeadlineKind("当场查封、扣押后向负责人报告", ("report_emergency",)),
    "archive.deadline_after_closing": DeadlineKind("结案后立卷归档", ()),
}
