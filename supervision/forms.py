from django import forms

from org.models import Section


class StatisticsForm(forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100, required=False)
    section = forms.ModelChoiceField(label="科室", queryset=Section.objects.none(), required=False,
                                     empty_label="全部科室")

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = Section.objects.filter(agency=agency).order_by("pk")
