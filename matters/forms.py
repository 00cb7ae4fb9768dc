"""Forms of the matter pages. A transition's form is generated from its workflow definition, so
the page offers exactly the fields the service asks for; the service decides what is missing."""

from datetime import date

from django import forms
from django.utils import timezone

from enterprises.models import Party
from matters.choices import MatterKind, Procedure, ServiceMethod, SignerRole
from matters.models import Matter
from matters.services import REQUIREMENT_LABELS, ServiceInput
from matters.workflows import Field
from org.gates import assignment_excluded, assignment_refusal
from org.models import EnforcementCertificate, Staff
from org.permissions import can
from records.choices import Confidentiality
from records.models import Exemption, Record
from records.selectors import record_list
from utilities.bounds import TEXT_LINE
from utilities.forms import BoundedForm, ColumnDecimalField

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def assignable_officers(agency, on: date | None = None):
    """Officers of the agency holding a valid 执法证 (行政处罚法第四十二条): the only ones a step may name."""
    on = on or timezone.localdate()
    valid = EnforcementCertificate.objects.valid_on(on).values("staff_id")
    return (
        Staff.objects.filter(agency_id=agency.pk, is_active=True, role_assignments__role="officer", pk__in=valid)
        .exclude(pk__in=assignment_excluded(agency.pk, on))  # e.g. suspended for a 执法过错
        .select_related("section")
        .distinct()
        .order_by("section_id", "id")
    )


def officers_help(agency, on: date | None = None) -> str:
    """The officers list's help: who is left out of it today and why (a 执法过错 that stops one's
    enforcement work), so that a missing name is explained where it is missed."""
    on = on or timezone.localdate()
    left_out = Staff.objects.filter(agency_id=agency.pk, pk__in=assignment_excluded(agency.pk, on)).order_by("pk")
    reasons = [why for staff in left_out if (why := assignment_refusal(staff, on))]
    return "须持有效执法证；不选则为本人。" + "".join(f"未列出：{why}" for why in reasons)


def linkable_records(viewer, matter, limit: int = 60):
    """The matter section's records the viewer may see, newest first."""
    if not can(viewer, "records.view"):
        return Record.objects.none()
    ids = list(
        record_list(viewer=viewer).filter(section_id=matter.section_id).order_by("-pk").values_list("pk", flat=True)[
            :limit
        ]
    )
    return Record.objects.filter(pk__in=ids).order_by("-pk")


def exemptions_of(matter, limit: int = 30):
    """The section's latest 不适宜音像记录 explanations (a queryset, not a slice: forms filter it)."""
    mine = Exemption.objects.filter(agency_id=matter.agency_id, section_id=matter.section_id)
    ids = list(mine.order_by("-pk").values_list("pk", flat=True)[:limit])
    return Exemption.objects.filter(pk__in=ids).order_by("-pk")


class OfficerChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.section.name if obj.section else '—'}）"


class RecordChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"#{obj.pk} {obj.title}（{obj.get_kind_display()}）"


class RecordsChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"#{obj.pk} {obj.title}（{obj.get_kind_display()}）"


class AddressChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"#{obj.pk} {obj.recipient}：{'、'.join(obj.electronic_addresses)}（{obj.signed_on:%Y-%m-%d}签署）"


class ExemptionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"#{obj.pk} {obj.reason}：{obj.details[:30]}（{timezone.localtime(obj.occurred_at):%Y-%m-%d %H:%M}）"


def _field(f):
    """A form field for one workflow Field; never `required` here: the service names what is missing."""
    common = {"label": f.label, "required": False, "help_text": f.help}
    if f.kind == "textarea":
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)
    if f.kind == "date":
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if f.kind == "datetime":
        return forms.DateTimeField(
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
            input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
            **common,
        )
    if f.kind == "decimal":
        column = Matter._meta.get_field("fine_amount")  # where amounts are kept (see services._parse)
        return ColumnDecimalField(max_digits=column.max_digits, decimal_places=column.decimal_places, **common)
    if f.kind == "choice":
        return forms.ChoiceField(choices=[("", "——请选择——"), *f.choices], **common)
    if f.kind == "multichoice":
        return forms.MultipleChoiceField(choices=f.choices, widget=forms.CheckboxSelectMultiple, **common)
    if f.kind == "bool":
        return forms.BooleanField(**common)
    return forms.CharField(max_length=500, **common)


SERVICE_TEXT = (
    ("recipient", "受送达人"),
    ("place", "送达地点"),
    ("signer", "签收人"),
    ("refusal_reason", "拒收事由"),
    ("witness", "见证人"),
    ("reason", "委托、转交的原因"),
    ("failed_methods", "其他方式无法送达的情况"),
    ("medium", "公告载体（报纸、网站、公告栏等）"),
    ("tracking_number", "邮件号码"),
)
SERVICE_RECORDS = (
    ("receipt", "送达回执（扫描件）"),
    ("post_receipt", "邮寄凭证和回执"),
    ("av", "送达过程的音像记录"),
    ("notice", "留存的书面公告"),
    ("sent_record", "电子送达：系统发送记录"),
    ("delivery_receipt", "电子送达：到达受送达人特定系统的回执记录"),
)
SERVE_UPLOADS = ("sent_record", "delivery_receipt")


class TransitionForm(BoundedForm):
    """One step of a matter: the step's own fields, who took part, what it links, how it was served."""

    def __init__(self, *args, transition, matter, viewer, **kwargs):
        kwargs.setdefault("prefix", transition.code)
        super().__init__(*args, **kwargs)
        self.transition = transition
        self.matter = matter
        self.step_fields = [f.name for f in transition.fields]
        for f in transition.fields:
            self.fields[f.name] = _field(f)
        self.fields["officers"] = OfficerChoice(
            label="参与执法人员",
            queryset=assignable_officers(matter.agency),
            required=False,
            widget=forms.CheckboxSelectMultiple,
            help_text=officers_help(matter.agency),
            initial=[o.pk for o in matter.officers.all()],
        )
        records = linkable_records(viewer, matter)
        self.fields["records"] = RecordsChoice(
            label="关联记录（录音录像、照片、笔录扫描件）",
            queryset=records,
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
        self.fields["exemption"] = ExemptionChoice(
            label="不适宜音像记录的说明", queryset=exemptions_of(matter), required=False, empty_label="（无）"
        )
        self.service_fields = []
        if transition.serve:
            from matters.selectors import matter_service_addresses
            from matters.services import service_deferrable

            # A step that may leave its service for later offers no method: the 文书 then waits in 待送达.
            later = [("", "（当场未送达：制作后在“待送达”中登记）")] if service_deferrable(transition) else []
            self.fields["service_method"] = forms.ChoiceField(
                label="送达方式", choices=[*later, *ServiceMethod.choices], required=False
            )
            self.fields["service_served_at"] = _field(Field("served_at", "送达时间", "datetime"))
            self.service_fields += ["service_method", "service_served_at"]
            for name, label in SERVICE_TEXT:
                self.fields[f"service_{name}"] = forms.CharField(label=label, required=False, max_length=300)
                self.service_fields.append(f"service_{name}")
            for name, label in SERVICE_RECORDS:
                self.fields[f"service_{name}"] = RecordChoice(
                    label=label, queryset=records, required=False, empty_label="（无）"
                )
                self.service_fields.append(f"service_{name}")
            self.fields["service_address"] = AddressChoice(
                label="电子送达：当事人同意电子送达的送达地址确认书",
                queryset=matter_service_addresses(matter, electronic=True),
                required=False,
                empty_label="（无）",
            )
            self.service_fields.append("service_address")
        from matters.services import av_requirements

        # Every row of the step, whatever the way of service: 平顶山 asks it of 直接送达 and 公告送达 only,
        # and the way is chosen in this same form.
        rows, _ = av_requirements(matter, transition.code, any_method=True)
        asks = [r for r in rows if r.get("when") == "disputed"]
        if asks:
            # 003 附件1: these steps are recorded when they may give rise to a dispute; the officer says so.
            methods = sorted({m for r in asks for m in r.get("service_methods", ())})
            scope = "以" + "、".join(ServiceMethod(m).label for m in methods) + "方式送达且" if methods else ""
            self.fields["disputed"] = forms.ChoiceField(
                label=f"本环节是否可能引发争议（{scope}可能引发争议的须音像记录）",
                choices=[("", "——请选择——"), ("yes", "是"), ("no", "否")],
                required=False,
            )
        self.fields["occurred_at"] = _field(Field("occurred_at", "发生时间（不填为现在）", "datetime"))
        self.fields["late_reason"] = forms.CharField(
            label="补录原因（发生时间早于现在较久的须填写）", required=False, max_length=TEXT_LINE
        )
        self.fields["note"] = forms.CharField(
            label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2})
        )

    def step_bound_fields(self):
        return [self[name] for name in self.step_fields]

    def service_bound_fields(self):
        return [self[name] for name in self.service_fields]

    def step_data(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.step_fields}

    def service_input(self) -> ServiceInput | None:
        if not self.transition.serve or not self.cleaned_data.get("service_method"):
            return None
        get = self.cleaned_data.get
        return ServiceInput(
            method=get("service_method"),
            served_at=get("service_served_at"),
            **{name: get(f"service_{name}") or "" for name, _ in SERVICE_TEXT},
            **{name: get(f"service_{name}") for name, _ in SERVICE_RECORDS},
            address=get("service_address"),
        )

    def call_kwargs(self) -> dict:
        return {
            "data": self.step_data(),
            "officers": list(self.cleaned_data.get("officers") or []),
            "records": list(self.cleaned_data.get("records") or []),
            "exemption": self.cleaned_data.get("exemption"),
            "service": self.service_input(),
            "note": self.cleaned_data.get("note") or "",
            "occurred_at": self.cleaned_data.get("occurred_at"),
            "late_reason": self.cleaned_data.get("late_reason") or "",
            "disputed": {"yes": True, "no": False}.get(self.cleaned_data.get("disputed") or ""),
        }


def requirement_labels(codes) -> list[str]:
    return [REQUIREMENT_LABELS.get(c, c) for c in codes]


class MatterOpenForm(BoundedForm):
    kind = forms.ChoiceField(label="类别", choices=MatterKind.choices)
    procedure = forms.ChoiceField(
        label="程序", choices=Procedure.choices, initial=Procedure.GENERAL, help_text="简易程序只适用于当场行政处罚。"
    )
    title = forms.CharField(label="事由", max_length=200)
    party = forms.ModelChoiceField(label="当事人", queryset=Party.objects.none(), required=False, empty_label="（暂无）")
    officers = OfficerChoice(
        label="承办执法人员",
        queryset=Staff.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="须持有效执法证；不选则为本人。",
    )
    facts = forms.CharField(label="基本情况", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    confidentiality = forms.ChoiceField(label="密级", choices=Confidentiality.choices, initial=Confidentiality.NORMAL)

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = Party.objects.filter(agency_id=agency.pk).order_by("name")
        self.fields["officers"].queryset = assignable_officers(agency)
        self.fields["officers"].help_text = officers_help(agency)


class SignatureForm(BoundedForm):
    role = forms.ChoiceField(label="签名人身份", choices=SignerRole.choices, initial=SignerRole.PARTY)
    name = forms.CharField(label="姓名", max_length=60)
    signed_on = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}))
    refused = forms.BooleanField(label="拒绝签名", required=False)
    refusal_reason = forms.CharField(label="拒签情况", max_length=300, required=False)
    witness = forms.CharField(label="见证人", max_length=60, required=False)
    scan = forms.FileField(label="签名页扫描件", required=False)


class MajorForm(BoundedForm):
    reason = forms.CharField(label="认定为重大案件的理由", widget=forms.Textarea(attrs={"rows": 2}))


# --- service of an issued 文书 (送达), the receipt afterwards, the 送达地址确认书 ---------------------------

SERVE_PROOFS = (
    ("receipt", "送达回证（扫描件，可事后补充）"),
    ("post_receipt", "邮寄凭证和回执"),
    ("notice", "留存的书面公告"),
    ("sent_record", "电子送达：系统发送记录"),
    ("delivery_receipt", "电子送达：到达受送达人特定系统的回执记录"),
)


class ServeForm(BoundedForm):
    """How and when an issued 文书 was served; the proofs are picked from this matter's unused scans."""

    method = forms.ChoiceField(label="送达方式", choices=ServiceMethod.choices)
    served_at = _field(Field("served_at", "送达时间（电子送达为到达受送达人特定系统的时间）", "datetime"))

    def __init__(self, *args, matter, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        from matters.selectors import matter_receipt_candidates, matter_service_addresses

        for name, label in SERVICE_TEXT:
            self.fields[name] = forms.CharField(label=label, required=False, max_length=300)
        candidates = matter_receipt_candidates(matter, viewer=viewer)
        for name, label in SERVE_PROOFS:
            self.fields[name] = RecordChoice(label=label, queryset=candidates, required=False, empty_label="（无）")
            if name in SERVE_UPLOADS:
                # 电子送达's proofs come from the sending system, not the scanner: upload them here.
                self.fields[f"{name}_file"] = forms.FileField(label=f"或上传{label.split('：')[-1]}", required=False)
        av = linkable_records(viewer, matter).filter(kind__in=("video", "audio"))
        self.fields["av"] = RecordChoice(label="送达过程的音像记录", queryset=av, required=False, empty_label="（无）")
        self.fields["address"] = AddressChoice(
            label="电子送达：当事人同意电子送达的送达地址确认书",
            queryset=matter_service_addresses(matter, electronic=True),
            required=False,
            empty_label="（无）",
        )
        self.fields["late_reason"] = forms.CharField(
            label="补录原因（送达时间早于现在较久的须填写）", required=False, max_length=TEXT_LINE
        )

    def service_input(self) -> ServiceInput:
        get = self.cleaned_data.get
        return ServiceInput(
            method=get("method"),
            served_at=get("served_at"),
            **{name: get(name) or "" for name, _ in SERVICE_TEXT},
            **{name: get(name) for name, _ in SERVE_PROOFS},
            av=get("av"),
            address=get("address"),
        )


class ReceiptForm(BoundedForm):
    """补充送达回证: a scan of this matter picked, or uploaded now."""

    receipt = RecordChoice(label="本案未使用的扫描件", queryset=Record.objects.none(), required=False, empty_label="（无）")
    scan = forms.FileField(label="或上传送达回证扫描件", required=False)

    def __init__(self, *args, matter, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        from matters.selectors import matter_receipt_candidates

        self.fields["receipt"].queryset = matter_receipt_candidates(matter, viewer=viewer)


class ServiceAddressForm(BoundedForm):
    """送达地址确认书 as the party signed it (行政处罚法第六十一条第二款)."""

    recipient = forms.CharField(label="受送达人", max_length=100)
    postal_address = forms.CharField(label="送达地址", max_length=200, required=False)
    electronic = forms.BooleanField(label="当事人同意电子送达", required=False)
    email = forms.CharField(label="电子邮箱", max_length=100, required=False)
    fax = forms.CharField(label="传真号码", max_length=30, required=False)
    phone = forms.CharField(label="手机号码", max_length=30, required=False)
    signed_on = forms.DateField(label="签署日期", widget=forms.DateInput(attrs={"type": "date"}))
    scan_record = RecordChoice(
        label="确认书扫描件（本案未使用的记录）", queryset=Record.objects.none(), required=False, empty_label="（无）"
    )
    scan = forms.FileField(label="或上传确认书扫描件", required=False)

    def __init__(self, *args, matter, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        from matters.selectors import matter_receipt_candidates

        self.fields["scan_record"].queryset = matter_receipt_candidates(matter, viewer=viewer)
