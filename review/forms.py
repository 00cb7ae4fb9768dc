"""Forms of legal review; their fields come from the agency's pack (items, materials, checklist)."""

from django import forms
from django.utils import timezone

from review.choices import Finding, LeaderDecision
from review.selectors import MATERIAL_RECORDS_MAX
from utilities.forms import BoundedForm


class PickedRecords(forms.TypedMultipleChoiceField):
    """Record ids ticked in a material's list. An id not offered is kept (not dropped as an invalid
    choice) so that the selector resolves it for this viewer and logs the refusal."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(coerce=int, required=False, **kwargs)

    def valid_value(self, value):
        return str(value).isascii() and str(value).isdigit() and 0 < len(str(value)) < 19

    def validate(self, value):
        super().validate(value)
        if len(set(value)) > MATERIAL_RECORDS_MAX:
            raise forms.ValidationError(f"每项材料最多选择{MATERIAL_RECORDS_MAX}条记录（现有{len(set(value))}条）。")


def record_choices(records) -> list:
    """The records as checkbox choices grouped by kind, each with its title and the day it was filed."""
    groups = {}
    for r in records:
        day = timezone.localtime(r.created_at).strftime("%Y-%m-%d")
        groups.setdefault(r.get_kind_display(), []).append((r.pk, f"#{r.pk} {r.title}（{day}）"))
    return list(groups.items())


class SubmissionForm(BoundedForm):
    """申请表 (000 第六条), 情况说明, 拟作决定书 and, for each material of 第五条, the matter's records the
    submitter may read (ticked, never typed) with a note for what is not in the system."""

    situation = forms.CharField(label="拟作决定的情况说明", widget=forms.Textarea, required=False)
    draft_decision = forms.CharField(label="拟作出的决定书文本", widget=forms.Textarea, required=False)

    def __init__(self, *args, application_items, materials, records=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.application_items = list(application_items)
        self.material_rows = [row for row in materials if not row["supplied_by"]]
        self.records_offered = records is not None
        choices = record_choices(records or ())
        for n, item in enumerate(self.application_items):
            self.fields[f"app_{n}"] = forms.CharField(
                label=f"申请表：{item}", widget=forms.Textarea(attrs={"rows": 2}), required=False
            )
        for n, row in enumerate(self.material_rows):
            label = row["item"] + ("" if row["required"] else "（如有）")
            self.fields[f"mat_{n}"] = forms.CharField(
                label=f"{label}：说明", required=False,
                help_text="页数、纸质材料等系统外的材料；系统中的记录请在下方勾选",
            )
            self.fields[f"rec_{n}"] = PickedRecords(label=f"{label}：本案记录", choices=choices)

    def material_fields(self) -> list:
        """(item, required, note field, records field) for each material row."""
        return [
            (row["item"], row["required"], self[f"mat_{n}"], self[f"rec_{n}"])
            for n, row in enumerate(self.material_rows)
        ]

    def other_fields(self) -> list:
        return [self[name] for name in self.fields if not name.startswith(("mat_", "rec_"))]

    def submission(self) -> dict:
        data = self.cleaned_data
        materials = {}
        for n, row in enumerate(self.material_rows):
            note, records = (data.get(f"mat_{n}") or "").strip(), list(dict.fromkeys(data.get(f"rec_{n}") or []))
            if note or records:
                materials[row["item"]] = {"note": note, "records": records}
        return {
            "application": {item: data.get(f"app_{n}", "") for n, item in enumerate(self.application_items)},
            "situation": data.get("situation", ""),
            "draft_decision": data.get("draft_decision", ""),
            "materials": materials,
        }


class ProvideForm(BoundedForm):
    """补正材料 (000 第八条): for each item asked, the matter's records the submitter may read and a note."""

    def __init__(self, *args, items, records=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        self.records_offered = records is not None
        choices = record_choices(records or ())
        for n, item in enumerate(self.items):
            self.fields[f"item_{n}"] = forms.CharField(
                label=f"{item}：说明", required=False, help_text="页数、纸质材料等系统外的材料；系统中的记录请在下方勾选"
            )
            self.fields[f"rec_{n}"] = PickedRecords(label=f"{item}：本案记录", choices=choices)

    def material_fields(self) -> list:
        return [(item, True, self[f"item_{n}"], self[f"rec_{n}"]) for n, item in enumerate(self.items)]

    def materials(self) -> dict:
        found = {}
        for n, item in enumerate(self.items):
            note = (self.cleaned_data.get(f"item_{n}") or "").strip()
            records = list(dict.fromkeys(self.cleaned_data.get(f"rec_{n}") or []))
            if note or records:
                found[item] = {"note": note, "records": records}
        return found


class AssignForm(BoundedForm):
    reviewer = forms.ModelChoiceField(label="审核人员", queryset=None)
    first = forms.BooleanField(label="初审人员", required=False)
    interest = forms.CharField(
        label="利害关系", required=False, help_text="与当事人有亲属等利害关系的，写明情况（将被要求回避）"
    )

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = agency.staff.filter(
            is_active=True, role_assignments__role="legal_reviewer"
        ).distinct()


class ReassignForm(BoundedForm):
    assignment = forms.ModelChoiceField(label="被调整的审核人员", queryset=None)
    reviewer = forms.ModelChoiceField(label="改由", queryset=None)
    reason = forms.CharField(label="调整理由", max_length=300, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, review, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignment"].queryset = review.assignments.select_related("reviewer")
        self.fields["assignment"].label_from_instance = lambda a: a.reviewer.name + ("（初审）" if a.first else "")
        self.fields["reviewer"].queryset = review.agency.staff.filter(
            is_active=True, role_assignments__role="legal_reviewer"
        ).distinct()


class SupplementForm(BoundedForm):
    items = forms.CharField(label="需补正的材料（每行一项）", widget=forms.Textarea(attrs={"rows": 3}))
    supply_by = forms.DateField(label="补正期限", widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label="补正要求", required=False)


class ExtendForm(BoundedForm):
    reason = forms.CharField(label="延长理由（案件复杂的情况）", widget=forms.Textarea(attrs={"rows": 2}))


class OpinionForm(BoundedForm):
    """The checklist (000 第七条), the outcome (第九条) and the meeting that decided it."""

    outcome = forms.ChoiceField(label="审核意见类型")
    opinion = forms.CharField(label="审查意见", widget=forms.Textarea(attrs={"rows": 3}))
    suggestions = forms.CharField(
        label="意见建议（每行一条）", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    adviser = forms.CharField(label="法律顾问、专家", required=False)
    meeting_on = forms.DateField(
        label="科务会日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    meeting_participants = forms.CharField(label="科务会参加人员", required=False)
    meeting_minutes = forms.CharField(
        label="科务会研究记录", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, checklist, outcomes, **kwargs):
        super().__init__(*args, **kwargs)
        self.checklist = list(checklist)
        self.fields["outcome"].choices = outcomes
        for n, item in enumerate(self.checklist):
            self.fields[f"finding_{n}"] = forms.ChoiceField(
                label=f"{n + 1}. {item}", choices=[("", "—"), *Finding.choices], required=False
            )
            self.fields[f"note_{n}"] = forms.CharField(label="情况", required=False)

    def checklist_rows(self):
        return [(self[f"finding_{n}"], self[f"note_{n}"]) for n in range(len(self.checklist))]

    def arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "findings": [
                {"finding": data.get(f"finding_{n}", ""), "note": data.get(f"note_{n}", "")}
                for n in range(len(self.checklist))
            ],
            "outcome": data["outcome"],
            "opinion": data["opinion"],
            "suggestions": (data.get("suggestions") or "").splitlines(),
            "adviser": data.get("adviser", ""),
            "meeting_on": data.get("meeting_on"),
            "meeting_participants": data.get("meeting_participants", ""),
            "meeting_minutes": data.get("meeting_minutes", ""),
        }


class DecideForm(BoundedForm):
    decision = forms.ChoiceField(label="领导决定", choices=LeaderDecision.choices)
    collective = forms.BooleanField(label="经局领导集体讨论决定（承办科室对审核意见有异议的）", required=False)
    note = forms.CharField(label="意见或集体讨论记录", widget=forms.Textarea(attrs={"rows": 2}), required=False)


class MajorForm(BoundedForm):
    reason = forms.CharField(label="重大案件理由", max_length=300, widget=forms.Textarea(attrs={"rows": 2}))
