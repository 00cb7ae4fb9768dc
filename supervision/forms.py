from django import forms

from org.models import Section
from supervision.choices import ChallengeKind, ChallengeResult, ReminderCategory
from supervision.models import ReminderPreference
from utilities.forms import BoundedForm, BoundedModelForm


class StatisticsForm(BoundedForm):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100, required=False)
    section = forms.ModelChoiceField(label="科室", queryset=Section.objects.none(), required=False,
                                     empty_label="全部科室")

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = Section.objects.filter(agency=agency).order_by("pk")


class PreferenceForm(BoundedModelForm):
    categories = forms.MultipleChoiceField(
        label="提醒事项（不选即全部）", choices=ReminderCategory.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ReminderPreference
        fields = ["in_app", "digest_mail", "overdue_mail", "digest_sms", "overdue_sms", "categories"]


class ChallengeForm(BoundedForm):
    matter = forms.IntegerField(label="执法事项（已作出决定的）", min_value=1, max_value=2**31 - 1)
    kind = forms.ChoiceField(label="类别", choices=ChallengeKind.choices)
    body = forms.CharField(label="复议机关或人民法院", max_length=100)
    filed_on = forms.DateField(label="申请或起诉日期", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, matters=(), **kwargs):
        """`matters`: (id, label) of the decided matters the viewer may open, offered as a list so that
        nobody has to know a matter's number; what is posted still goes through the selector."""
        super().__init__(*args, **kwargs)
        self.fields["matter"].widget = forms.Select(choices=[("", "——请选择——"), *matters])


class ChallengeDecideForm(BoundedForm):
    challenge = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    result = forms.ChoiceField(label="结果", choices=[c for c in ChallengeResult.choices if c[0] != "pending"])
    decided_on = forms.DateField(label="审结日期", widget=forms.DateInput(attrs={"type": "date"}))
    document = forms.CharField(label="文书文号", max_length=100)


class ServiceProofForm(BoundedForm):
    """What an officer adds to a service that lacks its proof: records by their number, and texts."""

    finding = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    receipt = forms.IntegerField(label="送达回执扫描件（记录编号）", min_value=1, max_value=2**31 - 1, required=False)
    av = forms.IntegerField(label="送达过程音像记录（记录编号）", min_value=1, max_value=2**31 - 1, required=False)
    signer = forms.CharField(label="签收人", max_length=500, required=False)
    refusal_reason = forms.CharField(label="拒收事由", max_length=500, required=False)
    witness = forms.CharField(label="见证人", max_length=500, required=False)
    reason = forms.CharField(label="委托、转交的原因", max_length=500, required=False)
    failed_methods = forms.CharField(label="其他方式无法送达的情况", max_length=500, required=False)
    medium = forms.CharField(label="公告载体", max_length=500, required=False)
    tracking_number = forms.CharField(label="邮件号码", max_length=500, required=False)
