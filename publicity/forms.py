from django import forms

from enterprises.choices import PartyKind
from publicity.choices import Category
from publicity.services import PUBLIC_TEXT_MAX
from utilities.forms import BoundedForm


class CorrectionRequestForm(BoundedForm):
    applicant = forms.CharField(label="申请人", max_length=60)
    contact = forms.CharField(label="联系方式", max_length=100)
    statement = forms.CharField(
        label="申请更正的内容和理由", max_length=PUBLIC_TEXT_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )
    evidence = forms.CharField(
        label="证据（证明公示信息不准确的材料及其说明）",
        max_length=PUBLIC_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    evidence_file = forms.FileField(label="证据文件（可选，不超过20 MB）", required=False)


class DraftForm(BoundedForm):
    category = forms.ChoiceField(label="执法类别", choices=Category.choices)
    decided_on = forms.DateField(label="决定日期", widget=forms.DateInput(attrs={"type": "date"}))
    party_kind = forms.ChoiceField(label="当事人类型", choices=PartyKind.choices)
    party_name = forms.CharField(label="执法对象（名称或姓名）", max_length=120)
    party_id_number = forms.CharField(label="证件号码", max_length=40, required=False)
    party_phone = forms.CharField(label="电话", max_length=30, required=False)
    party_address = forms.CharField(label="地址", max_length=200, required=False)
    instrument_number = forms.CharField(label="文书号", max_length=80)
    cause = forms.CharField(label="事由", widget=forms.Textarea(attrs={"rows": 3}))
    basis = forms.CharField(label="依据", widget=forms.Textarea(attrs={"rows": 3}))
    result = forms.CharField(label="结果", widget=forms.Textarea(attrs={"rows": 3}))
    minor = forms.BooleanField(
        label="社会危害不大、情节轻微、当事人已及时纠正", required=False, help_text="仅对行政处罚：标明后按政策包的最短公示期公示。"
    )
    withheld = forms.CharField(
        label="涉及商业秘密、不予公开的文字（每行一段）", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def clean_withheld(self):
        return [line.strip() for line in self.cleaned_data["withheld"].splitlines() if line.strip()]


class WithdrawForm(BoundedForm):
    reason = forms.CharField(label="撤回理由（公开）", widget=forms.Textarea(attrs={"rows": 3}))
    occurred_on = forms.DateField(
        label="原决定被撤销、确认违法或要求重新作出的日期", widget=forms.DateInput(attrs={"type": "date"})
    )


class CorrectionDecideForm(BoundedForm):
    accept = forms.TypedChoiceField(
        label="核实结果",
        choices=(("1", "确需更正"), ("0", "不予更正")),
        coerce=lambda v: v == "1",
    )
    answer = forms.CharField(label="答复理由", widget=forms.Textarea(attrs={"rows": 3}))
    field = forms.ChoiceField(
        label="更正字段",
        required=False,
        choices=(
            ("", "—"),
            ("party_name", "执法对象"),
            ("instrument_number", "文书号"),
            ("summary", "事由（公示摘要）"),
            ("basis", "依据"),
            ("result", "结果"),
        ),
    )
    value = forms.CharField(label="更正后的内容", widget=forms.Textarea(attrs={"rows": 2}), required=False)


class BasisChangeForm(BoundedForm):
    basis = forms.CharField(label="变化的法律、法规、规章或职能", max_length=200)
    description = forms.CharField(label="变化情况", widget=forms.Textarea(attrs={"rows": 3}))
    effective_on = forms.DateField(label="生效、废止或调整日期", widget=forms.DateInput(attrs={"type": "date"}))


class PowerForm(BoundedForm):
    code = forms.CharField(label="事项编码", max_length=40)
    name = forms.CharField(label="事项名称", max_length=200)
    category = forms.ChoiceField(label="执法类别", choices=Category.choices)
    basis = forms.CharField(label="法律依据", widget=forms.Textarea(attrs={"rows": 3}))
    section = forms.ModelChoiceField(label="承办机构", queryset=None, required=False)
    workflow = forms.CharField(label="执法流程代码", max_length=40, required=False)

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = agency.sections.all()


class SummaryForm(BoundedForm):
    summary = forms.CharField(
        label="公示摘要（公众看到的事由：违法行为或事项的概要，不写内部案件名称和个人信息）",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
