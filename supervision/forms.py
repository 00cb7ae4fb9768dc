from django import forms

from org.models import Section
from supervision.choices import ReminderCategory
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
