"""API of matters: list and open, the matter with its timeline, a step, a signature, the workbench.

Views are thin: ids are resolved inside the matter's agency and the services decide the rest.
"""

from contextlib import contextmanager

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from enterprises.models import Party
from matters import selectors, services
from matters.choices import MatterKind, Procedure, ServiceMethod, SignerRole
from matters.forms import assignable_officers
from matters.models import Instrument, Matter, Service, ServiceAddress, Signature, Step
from matters.services import REQUIREMENT_LABELS, ServiceInput
from org.models import Staff
from org.permissions import can
from org.services import NotAssignable, officer_check_assignable
from records.choices import Confidentiality
from records.models import Exemption, Record
from records.selectors import record_list
from utilities.bounds import ID_MAX, TEXT_LINE, TEXT_LONG
from zhifa.api import CapabilityMixin


def _id():
    """An object id as it comes in: a positive integer that fits the id column."""
    return serializers.IntegerField(min_value=1, max_value=ID_MAX)


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SignatureSerializer(serializers.ModelSerializer):
    class Meta:
        model = Signature
        fields = ["id", "role", "name", "refused", "refusal_reason", "witness", "signed_on", "scan", "recorded_at"]


class ServiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Service
        fields = [
            "id", "method", "recipient", "served_at", "place", "details", "records", "receipt", "receipt_added_at",
            "address", "recorded_at",
        ]


class InstrumentSerializer(serializers.ModelSerializer):
    signatures = SignatureSerializer(many=True, read_only=True)
    services = ServiceSerializer(many=True, read_only=True)

    class Meta:
        model = Instrument
        fields = [
            "id",
            "step",
            "type",
            "title",
            "number",
            "year",
            "sequence",
            "docx",
            "pdf",
            "party_signs",
            "issued_at",
            "content",
            "signatures",
            "services",
        ]


class StepSerializer(serializers.ModelSerializer):
    acted_by = PersonSerializer(read_only=True)
    officers = PersonSerializer(many=True, read_only=True)
    # the ledger leaf once the sequencer has integrated the step's event; null while 待入账
    event_index = serializers.IntegerField(source="ledger_index", read_only=True, allow_null=True)

    class Meta:
        model = Step
        fields = [
            "id",
            "transition",
            "label",
            "from_state",
            "to_state",
            "occurred_at",
            "acted_by",
            "acted_at",
            "officers",
            "data",
            "note",
            "records",
            "exemption",
            "event_index",
        ]


class DeadlineSerializer(serializers.Serializer):
    matter = serializers.IntegerField(source="matter.pk")
    matter_title = serializers.CharField(source="matter.title")
    rule_key = serializers.CharField()
    label = serializers.CharField()
    due = serializers.DateTimeField()
    provisional = serializers.BooleanField()
    task = serializers.BooleanField()
    met = serializers.BooleanField()
    overdue = serializers.BooleanField()
    status = serializers.CharField()
    citation = serializers.CharField()


class FieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.CharField()
    required = serializers.BooleanField()
    choices = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))


class AvailableTransitionSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    article = serializers.CharField()
    capability = serializers.CharField()
    instrument = serializers.CharField(allow_null=True)
    serve = serializers.BooleanField()
    fields = FieldSerializer(many=True)
    av_required = serializers.CharField(allow_null=True, help_text="须音像记录的事项（本单位政策包）")
    service_requirements = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="送达方式 → 须留存的材料（本单位政策包）；只在须送达的环节给出",
    )


class MatterSerializer(serializers.ModelSerializer):
    party = PersonSerializer(read_only=True, allow_null=True)
    officers = PersonSerializer(many=True, read_only=True)
    state_label = serializers.SerializerMethodField()

    class Meta:
        model = Matter
        fields = [
            "id",
            "kind",
            "procedure",
            "workflow",
            "state",
            "state_label",
            "title",
            "party",
            "section",
            "officers",
            "facts",
            "legal_basis",
            "fine_amount",
            "measures",
            "major",
            "major_reason",
            "confidentiality",
            "opened_at",
            "closed_at",
        ]

    def get_state_label(self, obj) -> str:
        return obj.state_label


class MatterDetailSerializer(MatterSerializer):
    steps = serializers.SerializerMethodField()
    instruments = serializers.SerializerMethodField()
    deadlines = serializers.SerializerMethodField()
    available_transitions = serializers.SerializerMethodField()

    class Meta(MatterSerializer.Meta):
        fields = [*MatterSerializer.Meta.fields, "steps", "instruments", "deadlines", "available_transitions"]

    @extend_schema_field(StepSerializer(many=True))
    def get_steps(self, obj):
        return StepSerializer(selectors.matter_steps(obj), many=True).data

    @extend_schema_field(InstrumentSerializer(many=True))
    def get_instruments(self, obj):
        qs = obj.instruments.select_related("docx", "pdf").prefetch_related("signatures", "services__records")
        return InstrumentSerializer(qs, many=True).data

    @extend_schema_field(DeadlineSerializer(many=True))
    def get_deadlines(self, obj):
        return DeadlineSerializer(selectors.matter_deadlines(obj), many=True).data

    @extend_schema_field(AvailableTransitionSerializer(many=True))
    def get_available_transitions(self, obj):
        rows = []
        requirements = {
            m: [REQUIREMENT_LABELS[c] for c in services.service_requirements(obj, m)[0]] for m in ServiceMethod.values
        }
        for t in selectors.available_transitions(obj):
            av = services.av_requirement(obj, t.code)
            rows.append(
                {
                    "code": t.code,
                    "label": t.label,
                    "article": t.article,
                    "capability": t.capability,
                    "instrument": t.instrument,
                    "serve": t.serve,
                    "fields": [
                        {"name": f.name, "label": f.label, "kind": f.kind, "required": f.required,
                         "choices": [list(c) for c in f.choices]}
                        for f in t.fields
                    ],
                    "av_required": av[0]["item"] if av else None,
                    "service_requirements": requirements if t.serve else {},
                }
            )
        return AvailableTransitionSerializer(rows, many=True).data


class MatterOpenSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MatterKind.choices)
    procedure = serializers.ChoiceField(choices=Procedure.choices, default=Procedure.GENERAL)
    title = serializers.CharField(max_length=200)
    party = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=ID_MAX)
    officers = serializers.ListField(child=_id(), required=False, default=list, max_length=100)
    facts = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_LONG)
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices, default=Confidentiality.NORMAL)


class ServiceInputSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=ServiceMethod.choices)
    recipient = serializers.CharField(allow_blank=True, default="", max_length=100)
    served_at = serializers.DateTimeField()
    place = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    signer = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_LINE)
    refusal_reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_LINE)
    witness = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_LINE)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_LINE)
    failed_methods = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_LINE)
    medium = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_LINE)
    tracking_number = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_LINE)
    receipt = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=ID_MAX, help_text="送达回执扫描件的记录编号")
    post_receipt = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=ID_MAX, help_text="邮寄凭证和回执的记录编号")
    av = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=ID_MAX, help_text="送达过程音像记录的记录编号")
    notice = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=ID_MAX, help_text="留存公告的记录编号")
    sent_record = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=ID_MAX, help_text="电子送达：系统发送记录的记录编号"
    )
    delivery_receipt = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=ID_MAX,
        help_text="电子送达：文书到达受送达人特定系统的回执记录编号",
    )
    address = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=ID_MAX,
        help_text="电子送达：本案送达地址确认书的编号",
    )


class TransitionInputSerializer(serializers.Serializer):
    data = serializers.DictField(required=False, default=dict, help_text="本环节的填报内容，键为环节字段名")
    officers = serializers.ListField(child=_id(), required=False, default=list, max_length=100)
    records = serializers.ListField(child=_id(), required=False, default=list, max_length=100)
    exemption = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=ID_MAX)
    service = ServiceInputSerializer(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_LONG)
    occurred_at = serializers.DateTimeField(required=False, allow_null=True)
    late_reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=TEXT_LINE,
        help_text="补录原因：发生时间早于登记时间超过政策包规定的时限时必填",
    )
    disputed = serializers.BooleanField(
        required=False, allow_null=True, default=None,
        help_text="按音像记录清单须登记的环节：本环节是否可能引发争议（是则须音像记录）",
    )


class SignatureInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=SignerRole.choices, default=SignerRole.PARTY)
    name = serializers.CharField(max_length=60)
    signed_on = serializers.DateField()
    refused = serializers.BooleanField(default=False)
    refusal_reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    witness = serializers.CharField(required=False, allow_blank=True, default="", max_length=60)


def _matter(request, pk: int, purpose: str, *, read: bool = True) -> Matter:
    return selectors.matter_for(viewer=request.user, pk=pk, purpose=purpose, read=read)


@contextmanager
def _refusals_logged(request, matter: Matter, what: str):
    """A service's refusal of a change is logged as `matter.denied` (the request read nothing)."""
    try:
        yield
    except PermissionDenied as exc:
        selectors.matter_refused(viewer=request.user, matter=matter, reason=f"{what}被拒绝：{exc}")
        raise


def _records(viewer, matter, ids) -> list[Record]:
    ids = [i for i in ids if i is not None]
    if not ids:
        return []
    visible = record_list(viewer=viewer) if can(viewer, "records.view") else Record.objects.none()
    found = {r.pk: r for r in visible.filter(pk__in=ids, agency_id=matter.agency_id)}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise ValidationError(f"找不到或无权使用记录：#{'、#'.join(missing)}。")
    return [found[i] for i in ids]


def _officers(matter, ids) -> list[Staff]:
    found = {s.pk: s for s in Staff.objects.filter(agency_id=matter.agency_id, pk__in=ids)}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise ValidationError(f"本单位没有这些执法人员：{'、'.join(missing)}。")
    return [found[i] for i in ids]


SERVICE_RECORD_KEYS = ("receipt", "post_receipt", "av", "notice", "sent_record", "delivery_receipt")


def _service_input(request, matter, body: dict) -> ServiceInput:
    """A service as the API gives it: record ids resolved among those the viewer may see, the
    送达地址确认书 among this matter's."""
    s = dict(body)
    linked = {k: s.pop(k, None) for k in SERVICE_RECORD_KEYS}
    for key, pk_ in linked.items():
        linked[key] = _records(request.user, matter, [pk_])[0] if pk_ else None
    address = None
    if s.pop("address", None) is not None:
        address = selectors.matter_service_addresses(matter).filter(pk=body["address"]).first()
        if address is None:
            raise ValidationError("本案没有这份送达地址确认书。")
    return ServiceInput(**s, **linked, address=address)


class MatterListView(CapabilityMixin, generics.GenericAPIView):
    capability = "matters.view"
    capabilities = {"POST": "matters.act"}
    serializer_class = MatterSerializer

    def get_queryset(self):
        return selectors.matter_list(
            viewer=self.request.user,
            kind=self.request.query_params.get("kind", ""),
            state=self.request.query_params.get("state", ""),
            query=self.request.query_params.get("q", ""),
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, description="类别"),
            OpenApiParameter("state", str, description="当前环节；open 为未结案"),
            OpenApiParameter("q", str, description="事由或当事人"),
        ],
        responses=MatterSerializer(many=True),
        summary="可查看的执法事项",
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(MatterSerializer(page, many=True).data)

    @extend_schema(request=MatterOpenSerializer, responses={201: MatterSerializer}, summary="登记执法事项")
    def post(self, request):
        data = MatterOpenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        party = None
        if fields.get("party"):
            party = Party.objects.filter(agency_id=request.user.agency_id, pk=fields["party"]).first()
            if party is None:
                raise ValidationError("本单位没有这个当事人。")
        officers = []
        if fields["officers"]:
            found = {s.pk: s for s in assignable_officers(request.user.agency).filter(pk__in=fields["officers"])}
            officers = [found.get(i) for i in fields["officers"]]
            if None in officers:
                _why_not_assignable(request.user.agency, [i for i in fields["officers"] if i not in found])
                raise ValidationError("承办执法人员须为本单位持有效执法证的执法人员。")
        matter = services.matter_open(
            acting_user=request.user,
            kind=fields["kind"],
            procedure=fields["procedure"],
            title=fields["title"],
            party=party,
            officers=officers,
            facts=fields["facts"],
            confidentiality=fields["confidentiality"],
        )
        return Response(MatterSerializer(matter).data, status=201)


def _why_not_assignable(agency, ids) -> None:
    """Refuse with the particular reason (an expired 执法证, a 执法过错 suspension) where there is one."""
    for staff in Staff.objects.filter(agency_id=agency.pk, pk__in=ids):
        try:
            officer_check_assignable(staff=staff, on=timezone.localdate())
        except NotAssignable as exc:
            raise ValidationError(exc.messages) from None


class MatterDetailView(CapabilityMixin, APIView):
    capability = "matters.view"

    @extend_schema(responses=MatterDetailSerializer, summary="执法事项：办理过程、文书、送达、期限和可办理的环节")
    def get(self, request, pk: int):
        matter = _matter(request, pk, "接口查看")
        return Response(MatterDetailSerializer(matter).data)


class TransitionView(CapabilityMixin, APIView):
    """Take one step; role and state are the service's to check (approval steps need other roles)."""

    capability = "matters.view"

    @extend_schema(
        request=TransitionInputSerializer,
        responses={201: StepSerializer},
        summary="办理一个环节（拒绝时返回中文理由及依据，不作任何改变）",
    )
    def post(self, request, pk: int, code: str):
        matter = _matter(request, pk, "接口办理环节", read=False)
        body = TransitionInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        v = body.validated_data
        exemption = None
        if v.get("exemption"):
            exemption = Exemption.objects.filter(agency_id=matter.agency_id, pk=v["exemption"]).first()
            if exemption is None:
                raise ValidationError("本单位没有这条不适宜音像记录的说明。")
        service = None
        if v.get("service"):
            service = _service_input(request, matter, v["service"])
        with _refusals_logged(request, matter, f"办理环节“{code}”"):
            step = services.matter_transition(
                acting_user=request.user,
                matter=matter,
                transition=code,
                data=v["data"],
                officers=_officers(matter, v["officers"]),
                records=_records(request.user, matter, v["records"]),
                exemption=exemption,
                service=service,
                note=v["note"],
                occurred_at=v.get("occurred_at"),
                disputed=v.get("disputed"),
                late_reason=v.get("late_reason", ""),
            )
        return Response(StepSerializer(step).data, status=201)


class SignatureView(CapabilityMixin, APIView):
    capability = "matters.act"

    @extend_schema(
        request=SignatureInputSerializer,
        responses={201: SignatureSerializer},
        summary="登记文书上的签名或拒绝签名（须见证人）",
    )
    def post(self, request, pk: int, instrument: int):
        from matters.instruments import signature_record

        matter = _matter(request, pk, "接口登记签名", read=False)
        target = Instrument.objects.filter(pk=instrument, matter=matter).first()
        if target is None:
            raise Http404("该执法事项没有这份文书。")
        body = SignatureInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with _refusals_logged(request, matter, "登记文书签名"):
            signature = signature_record(
                instrument=target, scan_path=None, acting_user=request.user, **body.validated_data
            )
        return Response(SignatureSerializer(signature).data, status=201)


class WorkbenchView(CapabilityMixin, APIView):
    capability = "matters.view"

    @extend_schema(responses=DeadlineSerializer(many=True), summary="执法工作台：待办和逾期的期限（逾期在前）")
    def get(self, request):
        return Response(DeadlineSerializer(selectors.workbench(viewer=request.user), many=True).data)



# --- service of an issued 文书 (送达), its receipt afterwards, the 送达地址确认书 -------------------------


class InstrumentServeInputSerializer(ServiceInputSerializer):
    late_reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=TEXT_LINE,
        help_text="补录原因：送达时间早于登记时间超过政策包规定的时限时必填",
    )


class ReceiptInputSerializer(serializers.Serializer):
    receipt = _id()


class ServiceAddressSerializer(serializers.ModelSerializer):
    class Meta:
        model = ServiceAddress
        fields = [
            "id", "recipient", "postal_address", "email", "fax", "phone", "electronic", "signed_on", "scan",
            "recorded_at",
        ]


class ServiceAddressInputSerializer(serializers.Serializer):
    recipient = serializers.CharField(max_length=100)
    postal_address = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    email = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    fax = serializers.CharField(required=False, allow_blank=True, default="", max_length=30)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=30)
    electronic = serializers.BooleanField(default=False, help_text="当事人同意电子送达")
    signed_on = serializers.DateField()
    scan = _id()


def _instrument(matter, pk: int) -> Instrument:
    target = Instrument.objects.filter(pk=pk, matter=matter).first()
    if target is None:
        raise Http404("该执法事项没有这份文书。")
    return target


class InstrumentServiceView(CapabilityMixin, APIView):
    """Record the service of an issued 文书 (the receipt may follow)."""

    capability = "matters.act"

    @extend_schema(
        request=InstrumentServeInputSerializer,
        responses={201: ServiceSerializer},
        summary="登记文书送达（送达回证可事后补充；拒绝时返回中文理由及依据，不作任何改变）",
    )
    def post(self, request, pk: int, instrument: int):
        from matters.serving import instrument_serve

        matter = _matter(request, pk, "接口登记文书送达", read=False)
        target = _instrument(matter, instrument)
        body = InstrumentServeInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        v = dict(body.validated_data)
        late_reason = v.pop("late_reason", "")
        service = _service_input(request, matter, v)
        with _refusals_logged(request, matter, "登记文书送达"):
            row = instrument_serve(acting_user=request.user, instrument=target, service=service, late_reason=late_reason)
        return Response(ServiceSerializer(row).data, status=201)


class ServiceReceiptView(CapabilityMixin, APIView):
    capability = "matters.act"

    @extend_schema(
        request=ReceiptInputSerializer, responses={200: ServiceSerializer}, summary="补充送达回证（本案未使用的扫描件）"
    )
    def post(self, request, pk: int, instrument: int):
        from matters.serving import service_receipt_add

        matter = _matter(request, pk, "接口补充送达回证", read=False)
        target = _instrument(matter, instrument)
        body = ReceiptInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        receipt = _records(request.user, matter, [body.validated_data["receipt"]])[0]
        with _refusals_logged(request, matter, "补充送达回证"):
            service = service_receipt_add(acting_user=request.user, instrument=target, receipt=receipt)
        return Response(ServiceSerializer(service).data)


class ServiceAddressView(CapabilityMixin, APIView):
    capability = "matters.view"
    capabilities = {"POST": "matters.act"}

    @extend_schema(responses=ServiceAddressSerializer(many=True), summary="本案的送达地址确认书")
    def get(self, request, pk: int):
        matter = _matter(request, pk, "接口查看送达地址确认书")
        return Response(ServiceAddressSerializer(selectors.matter_service_addresses(matter), many=True).data)

    @extend_schema(
        request=ServiceAddressInputSerializer,
        responses={201: ServiceAddressSerializer},
        summary="登记当事人签署的送达地址确认书（同意电子送达的写明地址；行政处罚法第六十一条第二款）",
    )
    def post(self, request, pk: int):
        from matters.serving import service_address_record

        matter = _matter(request, pk, "接口登记送达地址确认书", read=False)
        body = ServiceAddressInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        v = dict(body.validated_data)
        scan = _records(request.user, matter, [v.pop("scan")])[0]
        with _refusals_logged(request, matter, "登记送达地址确认书"):
            address = service_address_record(acting_user=request.user, matter=matter, scan=scan, **v)
        return Response(ServiceAddressSerializer(address).data, status=201)
