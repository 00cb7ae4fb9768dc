from django import forms
from django.utils import timezone

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
    """What an officer adds to a service that lacks its proof: records picked from those the officer may
    read (查找, then select; nothing typed by number), and texts."""

    finding = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    receipt_q = forms.CharField(label="查找回执扫描件（名称或哈希值开头）", max_length=100, required=False)
    # A posted id is an integer, resolved through the records selector (refused and logged when out of sight).
    receipt = forms.IntegerField(label="送达回执扫描件", min_value=1, max_value=2**31 - 1, required=False,
                                 widget=forms.Select)
    av_q = forms.CharField(label="查找送达过程音像记录（名称或哈希值开头）", max_length=100, required=False)
    av = forms.IntegerField(label="送达过程音像记录", min_value=1, max_value=2**31 - 1, required=False,
                            widget=forms.Select)
    signer = forms.CharField(label="签收人", max_length=500, required=False)
    refusal_reason = forms.CharField(label="拒收事由", max_length=500, required=False)
    witness = forms.CharField(label="见证人", max_length=500, required=False)
    reason = forms.CharField(label="委托、转交的原因", max_length=500, required=False)
    failed_methods = forms.CharField(label="其他方式无法送达的情况", max_length=500, required=False)
    medium = forms.CharField(label="公告载体", max_length=500, required=False)
    tracking_number = forms.CharField(label="邮件号码", max_length=500, required=False)

    PICKERS = ("receipt_q", "receipt", "av_q", "av")

    def __init__(self, *args, choices: dict, **kwargs):
        """`choices`: {"receipt": records, "av": records} the viewer may read (None: reads no records),
        from supervision.selectors.service_proof_choices."""
        kwargs.setdefault("auto_id", f"id_proof{(kwargs.get('initial') or {}).get('finding', '')}_%s")
        super().__init__(*args, **kwargs)
        self.offered = {}
        for name in ("receipt", "av"):
            rows = choices.get(name)
            self.offered[name] = rows
            self.fields[name].widget.choices = [("", "——不补充——"), *(
                (r.pk, f"#{r.pk} {r.title}（{r.get_kind_display()}，{r.section.name}，"
                       f"{timezone.localtime(r.created_at):%Y-%m-%d}）") for r in rows or ()
            )]
        self.no_records = any(rows is None for rows in self.offered.values())

    def text_fields(self):
        return [self[name] for name in self.fields if name not in self.PICKERS and name != "finding"]

    def data_for_service(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k not in ("finding", "receipt_q", "av_q")}


def posted_ids(post, name: str) -> list[int]:
    """The ids picked in a picker; anything else posted there is dropped (the form refuses it)."""
    values = post.getlist(name)[:100] if post is not None else []
    return [int(v) for v in values if v.isascii() and v.isdigit() and len(v) < 19]


def posted_query(post, name: str) -> str:
    return (post.get(name, "") if post is not None else "")[:100].strip()
