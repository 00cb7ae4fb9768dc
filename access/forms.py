from django import forms

from access.choices import Action, KeepReason, Medium, Proceedings, RequesterKind
from utilities.forms import BoundedForm

_DT = {"widget": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")}


class RequestForm(BoundedForm):
    requester_kind = forms.ChoiceField(label="申请人类别", choices=RequesterKind.choices)
    action = forms.ChoiceField(label="调阅方式", choices=Action.choices)
    purpose = forms.CharField(label="调阅事由", max_length=300, widget=forms.Textarea(attrs={"rows": 2}))
    records = forms.CharField(
        label="调阅记录编号", max_length=1000, required=False, help_text="执法记录的编号（#后的数字），多个用逗号分隔"
    )
    matter = forms.IntegerField(label="或执法事项编号", min_value=1, required=False)
    period_start = forms.DateTimeField(label="调阅期起", **_DT)
    period_end = forms.DateTimeField(label="调阅期止", **_DT)
    requester_name = forms.CharField(label="申请人姓名（外来人员）", max_length=30, required=False)
    requester_org = forms.CharField(label="申请单位（外来人员）", max_length=100, required=False)
    requester_id_number = forms.CharField(label="证件号码", max_length=40, required=False)
    proceedings = forms.ChoiceField(label="复议诉讼情况", choices=Proceedings.choices, initial=Proceedings.NONE)
    doc_kind_1 = forms.CharField(label="材料一名称", max_length=60, required=False)
    doc_file_1 = forms.FileField(label="材料一扫描件", required=False)
    doc_kind_2 = forms.CharField(label="材料二名称", max_length=60, required=False)
    doc_file_2 = forms.FileField(label="材料二扫描件", required=False)
    doc_kind_3 = forms.CharField(label="材料三名称", max_length=60, required=False)
    doc_file_3 = forms.FileField(label="材料三扫描件", required=False)

    def clean_records(self) -> list[int]:
        return record_numbers(self.cleaned_data["records"])


def record_numbers(text: str) -> list[int]:
    """Record numbers as typed (or carried from a refusal page): digits, `#` allowed, separated by
    commas. Raises ValidationError in Chinese."""
    text = (text or "").replace("，", ",").replace("、", ",").replace("#", "")
    if len(text) > 1000:
        raise forms.ValidationError("记录编号过多，请分次申请。")
    try:
        ids = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise forms.ValidationError("记录编号须是数字，多个用逗号分隔。") from None
    if any(i <= 0 or i > 2**31 - 1 for i in ids):
        raise forms.ValidationError("记录编号不正确。")
    return list(dict.fromkeys(ids))


class DecisionForm(BoundedForm):
    approve = forms.TypedChoiceField(
        label="审批", choices=[("1", "批准"), ("0", "不予批准")], coerce=lambda v: v == "1"
    )
    note = forms.CharField(label="意见（不予批准的须写明理由）", max_length=300, required=False)


class SessionForm(BoundedForm):
    place = forms.CharField(label="调阅地点", max_length=100, required=False)


class CloseForm(BoundedForm):
    note = forms.CharField(label="结束情况（有无涂改、抽换等）", max_length=300, required=False)


class CopyForm(BoundedForm):
    # Picked from the approved request's records; a posted id is checked against them (and a foreign one logged).
    record = forms.IntegerField(label="复制的记录", min_value=1, max_value=2**31 - 1, widget=forms.Select)
    medium = forms.ChoiceField(label="载体", choices=Medium.choices)
    extractor = forms.CharField(label="提取人", max_length=30, required=False)
    extracted_at = forms.DateTimeField(label="提取时间", **_DT)
    proves = forms.CharField(label="证明对象", max_length=200, required=False)
    fee = forms.DecimalField(label="复制费用（元）", max_digits=8, decimal_places=2, min_value=0, initial=0)

    def __init__(self, *args, records=(), **kwargs):
        """`records`: those the approved request names, the only ones offered for copying."""
        super().__init__(*args, **kwargs)
        self.fields["record"].widget.choices = [("", "——请选择——"), *(
            (r.pk, f"#{r.pk} {r.title}（{r.section.name}）") for r in records
        )]


class DiscLogForm(BoundedForm):
    place = forms.CharField(label="摄录地点", max_length=200)
    signers = forms.CharField(label="参与办案人员签名（逗号分隔）", max_length=1000)


class LoanForm(BoundedForm):
    returned = forms.BooleanField(required=False, widget=forms.HiddenInput)
    note = forms.CharField(label="归还情况（是否完整）", max_length=300, required=False)


class PostForm(BoundedForm):
    note = forms.CharField(label="寄送情况（收件单位、邮件号）", max_length=200)


class KeepMarkForm(BoundedForm):
    reason = forms.ChoiceField(label="长期保存情形", choices=KeepReason.choices)
    note = forms.CharField(label="说明", max_length=300, required=False)


class RegisterFilter(BoundedForm):
    kind = forms.ChoiceField(label="类别", required=False, choices=())
    number = forms.CharField(label="调阅编号", max_length=20, required=False)
    since = forms.DateField(label="自", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="至", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "全部"), *kinds.items()]
