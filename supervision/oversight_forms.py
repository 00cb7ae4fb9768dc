"""Forms of spot checks, 案卷评查 and 执法过错. Bounded; the services check the rules."""

from django import forms
from django.utils import timezone

from supervision.choices import FaultKind, FaultMeasure
from supervision.oversight_models import SpotCheck
from utilities.forms import BoundedForm

YES_NO = [("yes", "是"), ("no", "否")]
DATE = forms.DateInput(attrs={"type": "date"})


class YearForm(BoundedForm):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100, required=False)

    def year_or_now(self) -> int:
        if self.is_valid() and self.cleaned_data["year"]:
            return self.cleaned_data["year"]
        return timezone.localdate().year


class SpotCheckForm(BoundedForm):
    title = forms.CharField(label="抽查名称", max_length=SpotCheck._meta.get_field("title").max_length)
    period_start = forms.DateField(label="抽查期间起（音像记录形成日期）", widget=DATE)
    period_end = forms.DateField(label="抽查期间止", widget=DATE)


class AnswerForm(BoundedForm):
    recorded = forms.ChoiceField(label="规定事项已音像记录", choices=YES_NO, widget=forms.RadioSelect)
    continuous = forms.ChoiceField(label="全过程不间断记录", choices=YES_NO, widget=forms.RadioSelect)
    handled = forms.ChoiceField(label="移交、存储、管理和使用符合规定", choices=YES_NO, widget=forms.RadioSelect)
    note = forms.CharField(label="检查情况（发现问题的须写明）", widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def answers(self) -> dict:
        d = self.cleaned_data
        return {k: d[k] == "yes" for k in ("recorded", "continuous", "handled")} | {"note": d["note"]}


class CaseReviewForm(BoundedForm):
    """One field per row of the pack's sheet: points for a scored item, 不符合 for a 基本标准."""

    comment = forms.CharField(label="评查意见", widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, sheet: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = sheet["rows"]
        for row in self.rows:
            code = row["code"]
            if row["veto"]:
                self.fields[f"veto:{code}"] = forms.BooleanField(label=f"不符合：{row['item']}", required=False)
            else:
                self.fields[f"score:{code}"] = forms.IntegerField(
                    label=f"{row['item']}（{row['points']}分）", min_value=0, max_value=row["points"]
                )
            self.fields[f"note:{code}"] = forms.CharField(label="说明", max_length=300, required=False)

    def lines(self):
        for row in self.rows:
            main = self[f"veto:{row['code']}"] if row["veto"] else self[f"score:{row['code']}"]
            yield row, main, self[f"note:{row['code']}"]

    def values(self) -> dict:
        d = self.cleaned_data
        return {
            "scores": {r["code"]: d[f"score:{r['code']}"] for r in self.rows if not r["veto"]},
            "vetoed": [r["code"] for r in self.rows if r["veto"] and d.get(f"veto:{r['code']}")],
            "notes": {r["code"]: d[f"note:{r['code']}"] for r in self.rows if d.get(f"note:{r['code']}")},
            "comment": d["comment"],
        }


class FaultForm(BoundedForm):
    officer = forms.ModelChoiceField(label="执法人员", queryset=None)
    kind = forms.ChoiceField(label="过错行为", choices=FaultKind.choices)
    facts = forms.CharField(label="事实", widget=forms.Textarea(attrs={"rows": 4}))
    occurred_on = forms.DateField(label="发生日期", widget=DATE)
    measures = forms.MultipleChoiceField(label="追究方式", choices=FaultMeasure.choices, required=False,
                                         widget=forms.CheckboxSelectMultiple)
    suspension_start = forms.DateField(label="停止执法工作起始日期", widget=DATE, required=False)
    rectification = forms.CharField(label="责令整改内容", max_length=500, required=False)
    rectification_due = forms.DateField(label="整改期限", widget=DATE, required=False)
    records_q = forms.CharField(label="查找执法记录（名称或哈希值开头）", max_length=100, required=False)
    records = forms.TypedMultipleChoiceField(label="相关执法记录", coerce=int, required=False,
                                             widget=forms.CheckboxSelectMultiple)
    matters_q = forms.CharField(label="查找执法事项（名称或当事人）", max_length=100, required=False)
    matters = forms.TypedMultipleChoiceField(label="相关执法事项", coerce=int, required=False,
                                             widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, staff, options: dict, records=(), matters=(), **kwargs):
        """`records`, `matters`: what the viewer may see and the form offers to pick (the selectors
        decide; what is posted is resolved through them again)."""
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = staff
        self.fields["records"].choices = [
            (r.pk, f"#{r.pk} {r.title}（{r.get_kind_display()}，{r.section.name}，{timezone.localtime(r.created_at):%Y-%m-%d}）")
            for r in records or ()
        ]
        self.fields["matters"].choices = [
            (m.pk, f"#{m.pk} {m.title}" + (f"（{m.party.name}）" if m.party else "")) for m in matters or ()
        ]
        self.fields["kind"].choices = [(k, FaultKind(k).label) for k in options["kinds"]]
        self.fields["measures"].choices = [
            (m, FaultMeasure(m).label + (f"（{options['suspension_months']}个月）" if m == FaultMeasure.SUSPENSION else ""))
            for m in options["measures"]
        ]

    PICKERS = ("records_q", "records", "matters_q", "matters")

    def main_fields(self):
        return [self[name] for name in self.fields if name not in self.PICKERS]
