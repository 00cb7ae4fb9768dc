from django import forms

from equipment.choices import DeviceKind
from utilities.forms import BoundedForm


class DeviceForm(BoundedForm):
    kind = forms.ChoiceField(label="类型", choices=DeviceKind.choices)
    serial = forms.CharField(label="设备编号", max_length=60)
    model = forms.CharField(label="型号", max_length=60, required=False)
    section = forms.ModelChoiceField(label="使用科室", queryset=None)

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = agency.sections.all()


class IssueForm(BoundedForm):
    holder = forms.ModelChoiceField(label="领用人", queryset=None)

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["holder"].queryset = agency.staff.filter(is_active=True)
