from django import forms

from org.choices import Role
from utilities.forms import BoundedForm

# The roles an agency's administrator gives; 执法监督（司法行政）belongs to a supervising body's staff.
AGENCY_ROLE_CHOICES = [(code, label) for code, label in Role.choices if code != Role.OVERSIGHT]


class StaffForm(BoundedForm):
    username = forms.CharField(label="登录名", max_length=150)
    name = forms.CharField(label="姓名", max_length=30)
    password = forms.CharField(label="初始密码", widget=forms.PasswordInput, min_length=8)
    section = forms.ModelChoiceField(
        label="科室", queryset=None, required=False, empty_label="（不属于科室）"
    )
    roles = forms.MultipleChoiceField(label="角色", choices=AGENCY_ROLE_CHOICES, widget=forms.CheckboxSelectMultiple)
    position = forms.CharField(label="职务", max_length=40, required=False)
    phone = forms.CharField(label="电话", max_length=30, required=False)
    frontline = forms.BooleanField(label="一线执法人员", required=False)
    legal_qualification = forms.CharField(label="法律职业资格证书编号", max_length=40, required=False)

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = agency.sections.all()


class RolesForm(BoundedForm):
    roles = forms.MultipleChoiceField(
        label="角色", choices=AGENCY_ROLE_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )


class CertificateForm(BoundedForm):
    number = forms.CharField(label="证件编号", max_length=40)
    category = forms.CharField(label="执法类别", max_length=60, initial="安全生产")
    region = forms.CharField(label="执法区域", max_length=100)
    issuer = forms.CharField(label="发证机关", max_length=100, required=False)
    valid_from = forms.DateField(label="有效期起", widget=forms.DateInput(attrs={"type": "date"}))
    valid_to = forms.DateField(label="有效期止", widget=forms.DateInput(attrs={"type": "date"}))
