"""Forms of the archive pages: they collect input; the services decide what is allowed."""

from django import forms

from archive.choices import CarrierKind, CollectionCategory, CustodyAction, HoldKind
from records.choices import Confidentiality
from utilities.forms import BoundedForm

RETENTION_OPTIONS = (("", "按政策包确定"), ("permanent", "永久"), ("30", "30年"), ("10", "10年"), ("5", "5年"))
DT = {"type": "datetime-local"}


class SealForm(BoundedForm):
    major_impact = forms.BooleanField(label="有重大社会影响", required=False)
    complex_case = forms.BooleanField(label="情况复杂、涉及多个法律关系", required=False)
    retention = forms.ChoiceField(
        label="保管期限（仅政策包未规定时选择）", choices=RETENTION_OPTIONS, required=False
    )
    remarks = forms.CharField(label="备考表说明", widget=forms.Textarea(attrs={"rows": 3}), required=False,
                              max_length=2000)


class AddForm(BoundedForm):
    file = forms.FileField(label="扫描件或电子文件")
    title = forms.CharField(label="题名", max_length=200)
    reason = forms.CharField(label="补充理由", max_length=300)
    author = forms.CharField(label="责任者", max_length=100, required=False)
    number = forms.CharField(label="文号", max_length=60, required=False)
    dated = forms.DateField(label="文件日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))


class DescribeForm(BoundedForm):
    item = forms.IntegerField(widget=forms.HiddenInput)
    av_section = forms.CharField(label="承办科室", max_length=100, required=False)
    av_maker = forms.CharField(label="制作人", max_length=100, required=False)
    av_made_at = forms.DateTimeField(label="制作时间", required=False, widget=forms.DateTimeInput(attrs=DT))
    av_proves = forms.CharField(label="证明内容", max_length=300, required=False)


class VolumeForm(BoundedForm):
    reason = forms.CharField(label="另立新卷的理由", max_length=300)


class HoldForm(BoundedForm):
    kind = forms.ChoiceField(label="事由", choices=HoldKind.choices)
    reference = forms.CharField(label="案号或编号", max_length=100)
    case_file_q = forms.CharField(label="查找案卷（档号、题名或执法事项）", max_length=100, required=False)
    # Picked from the list; a posted id is resolved through archive.selectors.casefile_for_hold.
    case_file = forms.IntegerField(label="保全的案卷", min_value=1, max_value=2**31 - 1, widget=forms.Select,
                                   error_messages={"required": "请在列表中查找并选择保全的案卷。"})

    def __init__(self, *args, case_files=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case_file"].widget.choices = [("", "——请选择——"), *(
            (c.pk, f"{c.code} {c.title}（{c.get_state_display()}）") for c in case_files
        )]
        self.offered = bool(case_files)


class ReleaseForm(BoundedForm):
    reason = forms.CharField(label="解除理由", max_length=300)


class DisposalForm(BoundedForm):
    case_files = forms.MultipleChoiceField(label="保管期限届满的案卷", widget=forms.CheckboxSelectMultiple)
    reason = forms.CharField(label="鉴定意见", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case_files"].choices = choices


class DecideForm(BoundedForm):
    approve = forms.ChoiceField(label="审批", choices=(("yes", "批准销毁"), ("no", "不批准")))
    note = forms.CharField(label="审批意见", max_length=300, required=False)


class CollectionForm(BoundedForm):
    category = forms.ChoiceField(label="信息类别", choices=CollectionCategory.choices)
    subject = forms.CharField(label="事项名称", max_length=200)
    summary = forms.CharField(label="内容概述", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    collected_on = forms.DateField(label="采集时间", widget=forms.DateInput(attrs={"type": "date"}))
    file = forms.FileField(label="采集的文件（扫描件须180PPI以上）")
    originals_from = forms.CharField(label="借用原始资料的提供方（无则留空）", max_length=200, required=False)


class ReturnForm(BoundedForm):
    returned_at = forms.DateTimeField(label="返还时间", widget=forms.DateTimeInput(attrs=DT))


class CarrierForm(BoundedForm):
    number = forms.CharField(label="编号", max_length=40)
    kind = forms.ChoiceField(label="载体类型", choices=CarrierKind.choices)
    party_q = forms.CharField(label="查找企业（名称、统一社会信用代码或行业）", max_length=100, required=False)
    # Picked from the enterprise register; a posted id is resolved through enterprises.selectors.enterprise_get.
    party = forms.IntegerField(label="所属企业（可空）", required=False, min_value=1, max_value=2**31 - 1,
                               widget=forms.Select)
    period = forms.CharField(label="时间", max_length=40)
    confidentiality = forms.ChoiceField(label="密级", choices=Confidentiality.choices)
    retention = forms.ChoiceField(
        label="保管期限（仅政策包未规定时选择）", choices=RETENTION_OPTIONS, required=False,
        error_messages={"invalid_choice": "保管期限“%(value)s”无效：请选择永久、30年、10年或5年。"},
    )
    contents = forms.CharField(label="内容", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)
    holder = forms.CharField(label="保管人", max_length=100, required=False)
    case_files_q = forms.CharField(label="查找案卷（档号、题名或执法事项）", max_length=100, required=False)
    # Ticked from the list; each posted id is resolved through archive.selectors.casefile_for_carrier.
    case_files = forms.TypedMultipleChoiceField(
        label="所存案卷", coerce=int, required=False, widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "所存案卷：请在列表中查找并勾选。"},
    )

    PICKERS = ("party_q", "party", "case_files_q", "case_files")

    def __init__(self, *args, parties=(), case_files=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].widget.choices = [("", "——不属于某一企业——"), *(
            (p.pk, f"{p.name}（{p.id_number}）" if p.id_number else p.name) for p in parties
        )]
        self.offered = bool(parties)
        self.fields["case_files"].choices = [
            (c.pk, f"{c.code} {c.title}（{c.get_state_display()}"
                   + (f"，保管期限{c.retention_label}）" if c.state == "sealed" else "）")) for c in case_files
        ]
        self.files_offered = bool(case_files)

    def main_fields(self):
        return [self[name] for name in self.fields if name not in self.PICKERS]


class CustodyForm(BoundedForm):
    action = forms.ChoiceField(label="事项", choices=[c for c in CustodyAction.choices if c[0] != "register"])
    holder = forms.CharField(label="保管人或借用人", max_length=100)
    note = forms.CharField(label="说明", max_length=300, required=False)
