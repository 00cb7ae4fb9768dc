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


def _key_choices():
    from policy.registry import GROUPS, RULES

    return [
        (title, [(spec.key, f"{spec.title}（{spec.key}）") for spec in RULES.values() if spec.group == group])
        for group, title in GROUPS.items()
    ]


def _unit_choices():
    from policy.registry import UNIT_LABELS

    return [(code, f"{code}（{label}）" if label else code) for code, label in UNIT_LABELS.items()]


def parse_rule_value(text: str, unit: str):
    """A value typed in the supplement form, read for its unit: a number, 是/否, one line of text,
    a list (one item a line) or a table (JSON). Raises forms.ValidationError in Chinese."""
    import json

    text = (text or "").strip()
    if not text:
        raise forms.ValidationError("请填写规定的数值或内容。")
    if unit in ("seconds", "minutes", "hours", "days", "working_days", "months", "years", "yuan", "count", "ppi"):
        try:
            return int(text)
        except ValueError:
            raise forms.ValidationError(f"“{text}”不是整数；该单位的规定应为整数。") from None
    if unit == "percent":
        try:
            number = float(text)
        except ValueError:
            raise forms.ValidationError(f"“{text}”不是数字。") from None
        return int(number) if number.is_integer() else number
    if unit == "bool":
        if text in ("是", "true", "True", "1"):
            return True
        if text in ("否", "false", "False", "0"):
            return False
        raise forms.ValidationError("是否类规定请填写“是”或“否”。")
    if unit == "list":
        return [line.strip() for line in text.splitlines() if line.strip()]
    if unit == "table":
        try:
            return json.loads(text)
        except ValueError:
            raise forms.ValidationError("表格类规定请以 JSON 填写，如 [{\"device_kind\": \"body_camera\", …}]。") from None
    return text


class SupplementForm(BoundedForm):
    key = forms.ChoiceField(label="规则", choices=_key_choices)
    unit = forms.ChoiceField(label="单位", choices=_unit_choices)
    value = forms.CharField(
        label="规定",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="数值直接填写数字；是否填“是”或“否”；清单每行一项；表格以 JSON 填写。",
    )
    document_title = forms.CharField(label="采用文件名称", max_length=200)
    document_number = forms.CharField(label="文号", max_length=100, help_text="如：平开应急〔2026〕3号")
    article = forms.CharField(label="条款", max_length=60, help_text="如：第二条、第三条第一款")
    summary = forms.CharField(label="说明", max_length=300, help_text="用自己的话概括该规定，一句话。")
    effective_from = forms.DateField(label="施行日期", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        if "value" in cleaned and "unit" in cleaned:
            try:
                cleaned["value"] = parse_rule_value(cleaned["value"], cleaned["unit"])
            except forms.ValidationError as exc:
                self.add_error("value", exc)
        return cleaned
