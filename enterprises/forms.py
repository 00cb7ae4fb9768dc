from django import forms

from enterprises.choices import RiskLevel, Sector
from utilities.forms import BoundedForm


class EnterpriseForm(BoundedForm):
    uscc = forms.CharField(label="统一社会信用代码", max_length=18, min_length=18)
    name = forms.CharField(label="单位名称", max_length=120)
    legal_representative = forms.CharField(label="法定代表人（主要负责人）", max_length=30)
    industry = forms.CharField(label="所属行业", max_length=60)
    sector = forms.ChoiceField(label="监管行业领域", choices=[("", "—"), *Sector.choices], required=False)
    region = forms.CharField(label="所属区域", max_length=60, required=False)
    address = forms.CharField(label="经营地址", max_length=200, required=False)
    phone = forms.CharField(label="联系电话", max_length=30, required=False)
    risk_level = forms.ChoiceField(label="风险等级", choices=RiskLevel.choices, initial=RiskLevel.GENERAL)
    major_hazard_source = forms.BooleanField(label="构成重大危险源", required=False)
    hazardous_processes = forms.CharField(label="危险化工工艺", max_length=200, required=False)
    employees = forms.IntegerField(label="从业人员数", min_value=0, required=False)
    contact_person = forms.CharField(label="安全管理联系人", max_length=30, required=False)
    contact_phone = forms.CharField(label="联系人电话", max_length=30, required=False)
    supervising_section = forms.ModelChoiceField(label="监管科室", queryset=None, required=False)

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supervising_section"].queryset = agency.sections.filter(enforces=True)
