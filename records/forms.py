from django import forms

from records.choices import Confidentiality, ReturnKind
from utilities.forms import BoundedForm


class DownloadForm(BoundedForm):
    purpose = forms.CharField(
        label="用途", max_length=200, help_text="如：案件审理、执法监督、当事人申请（记入调阅记录）"
    )


class CorrectionForm(BoundedForm):
    file = forms.FileField(label="更正后的文件")
    reason = forms.CharField(label="更正理由", widget=forms.Textarea(attrs={"rows": 3}))


class ExplanationForm(BoundedForm):
    text = forms.CharField(label="书面说明", widget=forms.Textarea(attrs={"rows": 3}), min_length=5)


class ExemptionForm(BoundedForm):
    reason = forms.ChoiceField(label="情形", choices=())
    details = forms.CharField(label="具体原因和依据", widget=forms.Textarea(attrs={"rows": 3}))
    occurred_at = forms.DateTimeField(
        label="执法时间", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    place = forms.CharField(label="地点", max_length=200, required=False)

    def __init__(self, *args, reasons, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [(r, r) for r in reasons]


CONFIDENTIALITY_CHOICES = Confidentiality.choices


class FieldReturnForm(BoundedForm):
    kind = forms.ChoiceField(label="情形", choices=ReturnKind.choices)
    away_from = forms.DateTimeField(label="外出执法开始时间", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    returned_at = forms.DateTimeField(label="返回单位时间", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    place = forms.CharField(label="执法地点", max_length=200, required=False)
    note = forms.CharField(label="说明", max_length=300, required=False)
