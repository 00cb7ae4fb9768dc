from django import forms

from enterprises.choices import Sector
from utilities.forms import BoundedForm

SMALL_INT_MAX = 32767  # the PositiveSmallIntegerField columns these counts are kept in


class ItemForm(BoundedForm):
    name = forms.CharField(label="抽查事项", max_length=200)
    basis = forms.CharField(label="抽查依据", widget=forms.Textarea(attrs={"rows": 2}))
    section = forms.ModelChoiceField(label="实施机构", queryset=None, required=False)
    target = forms.CharField(label="抽查对象", max_length=200)
    target_sector = forms.ChoiceField(
        label="抽查对象的监管行业领域", choices=[("", "全部在册单位"), *Sector.choices], required=False
    )
    target_industry = forms.CharField(label="对象所属行业（为空则全部在册单位）", max_length=60, required=False)
    content = forms.CharField(label="抽查内容", widget=forms.Textarea(attrs={"rows": 2}))
    proportion = forms.DecimalField(label="抽查比例（%）", min_value=0.01, max_value=100, decimal_places=2)
    frequency = forms.CharField(label="抽查频次", max_length=60)
    draws_per_year = forms.IntegerField(label="每年抽取次数上限", min_value=1, max_value=SMALL_INT_MAX)
    method = forms.CharField(label="抽查方式", max_length=100)
    officers_per_target = forms.IntegerField(label="每户检查人员数", min_value=1, max_value=SMALL_INT_MAX, initial=2)

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = agency.sections.all()


class DrawForm(BoundedForm):
    plan = forms.CharField(label="抽查计划（名称）", max_length=200)


class ResultForm(BoundedForm):
    result = forms.CharField(label="检查结果", widget=forms.Textarea(attrs={"rows": 3}))


class RecusalForm(BoundedForm):
    officer = forms.ModelChoiceField(label="执法人员", queryset=None)
    party = forms.ModelChoiceField(label="检查对象", queryset=None)
    reason = forms.CharField(label="回避事由（如近亲属任该单位负责人、曾在该单位任职）", max_length=200)

    def __init__(self, *args, agency, **kwargs):
        from enterprises.models import Enterprise
        from org.choices import Role

        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = agency.staff.filter(role_assignments__role=Role.OFFICER, is_active=True)
        self.fields["party"].queryset = Enterprise.objects.filter(agency=agency)
