import re
from datetime import date, timedelta

from django import forms

from utilities.forms import BoundedForm

_RANGE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*(?:(?:~|～|至|到|—|--)\s*(\d{4}-\d{2}-\d{2}))?\s*(.*)$")


class WorkdaysForm(BoundedForm):
    start = forms.DateField(label="起算日期", widget=forms.DateInput(attrs={"type": "date"}))
    days = forms.IntegerField(label="工作日数", min_value=0, max_value=3650)


class ArrangementForm(BoundedForm):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    document = forms.CharField(
        label="依据文件",
        max_length=200,
        help_text="如：国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕X号）",
    )
    holidays = forms.CharField(
        label="放假日期",
        widget=forms.Textarea,
        help_text="每行一段：起始日期 ~ 结束日期 节日名称，如 2027-02-05 ~ 2027-02-12 春节；单日可只写一个日期。",
    )
    workdays = forms.CharField(
        label="调休上班日期",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="每行一个日期，如 2027-02-20",
    )

    def clean_holidays(self):
        result = []
        for number, line in enumerate(self.cleaned_data["holidays"].splitlines(), start=1):
            if not line.strip():
                continue
            match = _RANGE.match(line)
            if not match:
                raise forms.ValidationError(
                    f"第{number}行格式不正确：“{line.strip()}”。请写成 2027-02-05 ~ 2027-02-12 春节。"
                )
            try:
                first = date.fromisoformat(match.group(1))
                last = date.fromisoformat(match.group(2)) if match.group(2) else first
            except ValueError:
                raise forms.ValidationError(f"第{number}行的日期不存在：“{line.strip()}”。") from None
            if last < first:
                raise forms.ValidationError(f"第{number}行的结束日期早于起始日期。")
            if (last - first).days > 15:
                raise forms.ValidationError(f"第{number}行连续放假超过16天，请核对。")
            name = match.group(3).strip() or "节假日"
            result += [(first + timedelta(days=i), name) for i in range((last - first).days + 1)]
        if not result:
            raise forms.ValidationError("请至少填写一个放假日期。")
        return result

    def clean_workdays(self):
        result = []
        for number, line in enumerate(self.cleaned_data["workdays"].splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            try:
                result.append(date.fromisoformat(line.split()[0]))
            except ValueError:
                raise forms.ValidationError(f"第{number}行不是有效日期：“{line}”。") from None
        return result
