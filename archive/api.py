"""API of the archive under /api/v1/archive/: case files (queue, detail with contents, check, seal,
add, new volume), holds, disposal lists and carriers. The same capabilities as the pages."""

from pathlib import Path

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from archive import selectors, services
from archive.choices import HoldKind
from archive.models import Carrier, CaseFile, CaseFileItem, Disposal, Hold, IntegrityCheck
from records import uploads
from zhifa.api import CapabilityMixin


@extend_schema_serializer(component_name="CaseFileItem")  # "Item" is the inspections' checklist item
class ItemSerializer(serializers.ModelSerializer):
    sha256 = serializers.CharField(source="version.sha256")
    pages = serializers.CharField(source="page_label")

    class Meta:
        model = CaseFileItem
        fields = ["id", "position", "number", "author", "title", "dated", "pages", "source", "record", "sha256",
                  "av_section", "av_maker", "av_made_at", "av_proves", "added_reason", "long_term_sha256"]
        read_only_fields = fields


class CheckSerializer(serializers.ModelSerializer):
    class Meta:
        model = IntegrityCheck
        fields = ["id", "ok", "findings", "ran_at", "at_sealing"]
        read_only_fields = fields


class CaseFileSerializer(serializers.ModelSerializer):
    retention = serializers.CharField(source="retention_label")

    class Meta:
        model = CaseFile
        fields = ["id", "code", "matter", "volume", "volume_reason", "title", "cause", "party_name", "filed_on",
                  "closed_on", "handlers", "state", "retention", "retention_basis", "retain_until", "sealed_at"]
        read_only_fields = fields


class CaseFileDetailSerializer(CaseFileSerializer):
    items = ItemSerializer(many=True, read_only=True)
    checks = CheckSerializer(many=True, read_only=True)

    class Meta(CaseFileSerializer.Meta):
        fields = [*CaseFileSerializer.Meta.fields, "remarks", "items", "checks"]
        read_only_fields = fields


class QueueSerializer(serializers.Serializer):
    case_file = CaseFileSerializer()
    due = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField()


class SealSerializer(serializers.Serializer):
    major_impact = serializers.BooleanField(default=False)
    complex_case = serializers.BooleanField(default=False)
    retention = serializers.ChoiceField(choices=["", *services.RETENTION_CHOICES], default="", allow_blank=True)
    remarks = serializers.CharField(max_length=2000, default="", allow_blank=True)


class AddSerializer(serializers.Serializer):
    file = serializers.FileField()
    title = serializers.CharField(max_length=200)
    reason = serializers.CharField(max_length=300)
    author = serializers.CharField(max_length=100, default="", allow_blank=True)
    number = serializers.CharField(max_length=60, default="", allow_blank=True)
    dated = serializers.DateField(required=False, allow_null=True, default=None)


class VolumeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


@extend_schema_serializer(component_name="CaseFileExport")
class ExportSerializer(serializers.Serializer):
    package_number = serializers.CharField()
    bag_path = serializers.CharField()
    iso_path = serializers.CharField()
    iso_sha256 = serializers.CharField()
    iso_size = serializers.IntegerField()


class CaseFileViewSet(CapabilityMixin, viewsets.ReadOnlyModelViewSet):
    capability = "archive.view"
    capabilities = {"seal": "archive.manage", "check": "archive.manage", "add": "archive.manage",
                    "volume": "archive.manage", "export": "archive.manage"}
    serializer_class = CaseFileSerializer
    parser_classes = (JSONParser, FormParser, MultiPartParser)

    def get_queryset(self):
        return selectors.casefile_list(viewer=self.request.user, state=self.request.query_params.get("state", ""))

    def get_object(self):
        return selectors.casefile_for(viewer=self.request.user, pk=int(self.kwargs["pk"]),
                                      purpose=f"接口：{self.action}")

    def retrieve(self, request, *args, **kwargs):
        return Response(CaseFileDetailSerializer(self.get_object()).data)

    @extend_schema(responses=QueueSerializer(many=True), summary="待归档案卷")
    @action(detail=False, pagination_class=None)  # the whole queue, as a list (no pages)
    def queue(self, request):
        rows = selectors.casefile_queue(viewer=request.user)
        return Response(QueueSerializer(
            [{"case_file": r.case_file, "due": r.due, "overdue": r.overdue} for r in rows], many=True
        ).data)

    @extend_schema(request=None, responses=CheckSerializer, summary="四性检测")
    @action(detail=True, methods=["post"])
    def check(self, request, pk=None):
        report = services.casefile_check(acting_user=request.user, case_file=self.get_object())
        return Response(CheckSerializer(report).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SealSerializer, responses=CaseFileDetailSerializer, summary="归档")
    @action(detail=True, methods=["post"])
    def seal(self, request, pk=None):
        data = SealSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sealed = services.casefile_seal(acting_user=request.user, case_file=self.get_object(), **data.validated_data)
        return Response(CaseFileDetailSerializer(sealed).data)

    @extend_schema(request=AddSerializer, responses=ItemSerializer, summary="补充归档材料")
    @action(detail=True, methods=["post"])
    def add(self, request, pk=None):
        data = AddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        upload = values.pop("file")
        case_file = self.get_object()
        with uploads.delivered_file(upload) as path:
            item = services.casefile_add(acting_user=request.user, case_file=case_file, path=path,
                                         original_name=upload.name, **values)
        return Response(ItemSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ExportSerializer, summary="导出归档包（BagIt 与 ISO）")
    @action(detail=True, methods=["post"])
    def export(self, request, pk=None):
        from django.conf import settings

        result = services.casefile_export(acting_user=request.user, case_file=self.get_object(),
                                          out_dir=Path(settings.DATA_DIR) / "exports")
        return Response(
            {"package_number": result.bag_path.name, "bag_path": str(result.bag_path),
             "iso_path": str(result.iso_path), "iso_sha256": result.iso_sha256,
             "iso_size": result.iso_path.stat().st_size},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=VolumeSerializer, responses=CaseFileSerializer, summary="另立新卷")
    @action(detail=True, methods=["post"])
    def volume(self, request, pk=None):
        data = VolumeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        new = services.casefile_new_volume(acting_user=request.user, matter=self.get_object().matter,
                                           reason=data.validated_data["reason"])
        return Response(CaseFileSerializer(new).data, status=status.HTTP_201_CREATED)


class HoldSerializer(serializers.ModelSerializer):
    class Meta:
        model = Hold
        fields = ["id", "kind", "reference", "case_file", "record", "placed_at", "released_at", "release_reason"]
        read_only_fields = ["id", "placed_at", "released_at", "release_reason", "record"]


class HoldCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=HoldKind.choices)
    reference = serializers.CharField(max_length=100)
    case_file = serializers.IntegerField(min_value=1)


class ReleaseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class HoldViewSet(CapabilityMixin, viewsets.ReadOnlyModelViewSet):
    capability = "archive.view_holds"
    capabilities = {"create": "archive.hold", "release": "archive.hold"}
    serializer_class = HoldSerializer

    def get_queryset(self):
        return selectors.hold_list(viewer=self.request.user)

    @extend_schema(request=HoldCreateSerializer, responses=HoldSerializer, summary="登记保全")
    def create(self, request):
        data = HoldCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case_file = selectors.casefile_for_hold(viewer=request.user, pk=data.validated_data["case_file"])
        hold = services.hold_place(acting_user=request.user, agency=request.user.agency,
                                   kind=data.validated_data["kind"], reference=data.validated_data["reference"],
                                   case_file=case_file)
        return Response(HoldSerializer(hold).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReleaseSerializer, responses=HoldSerializer, summary="解除保全")
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        data = ReleaseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        hold = services.hold_release(acting_user=request.user, hold=selectors.hold_for(viewer=request.user, pk=pk),
                                     reason=data.validated_data["reason"])
        return Response(HoldSerializer(hold).data)


class DisposalSerializer(serializers.ModelSerializer):
    case_files = serializers.SerializerMethodField()

    class Meta:
        model = Disposal
        fields = ["id", "state", "reason", "proposed_by", "proposed_at", "decided_by", "decided_at",
                  "decision_note", "case_files", "removal_status"]
        read_only_fields = fields

    def get_case_files(self, obj) -> list[dict]:
        return [{"case_file": i.case_file_id, "code": i.case_file.code, "contents": i.contents} for i in obj.items.all()]


class ProposeSerializer(serializers.Serializer):
    case_files = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=500)
    reason = serializers.CharField(max_length=2000)


@extend_schema_serializer(component_name="DisposalDecide")  # "Decide" is review's
class DecideSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(max_length=300, default="", allow_blank=True)


class DisposalViewSet(CapabilityMixin, viewsets.ReadOnlyModelViewSet):
    capability = "archive.view"
    capabilities = {"create": "archive.manage", "decide": "archive.approve_disposal"}
    serializer_class = DisposalSerializer

    def get_queryset(self):
        return selectors.disposal_list(viewer=self.request.user)

    @extend_schema(request=ProposeSerializer, responses=DisposalSerializer, summary="提出销毁清册")
    def create(self, request):
        data = ProposeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        wanted = set(data.validated_data["case_files"])
        files = list(selectors.casefile_list(viewer=request.user).filter(pk__in=wanted))
        if len(files) != len(wanted):
            from django.core.exceptions import ValidationError

            raise ValidationError("所列案卷中有本单位没有或您无权查看的案卷。")
        disposal = services.disposal_propose(acting_user=request.user, case_files=files,
                                             reason=data.validated_data["reason"])
        return Response(DisposalSerializer(disposal).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DecideSerializer, responses=DisposalSerializer, summary="审批销毁清册")
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        data = DecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        disposal = services.disposal_decide(acting_user=request.user, disposal=self.get_object(), **data.validated_data)
        return Response(DisposalSerializer(disposal).data)


class CarrierSerializer(serializers.ModelSerializer):
    # written: the case files it holds (resolved through archive.selectors.casefile_for_carrier) and a
    # 保管期限 chosen only where the pack sets none (永久, 30年, 10年, 5年); read: what was decided
    case_files = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1), required=False, write_only=True,
        max_length=50,
    )
    retention = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    held = serializers.SerializerMethodField(help_text="所存案卷（档号）")

    class Meta:
        model = Carrier
        fields = ["id", "number", "kind", "party", "period", "confidentiality", "retention", "retention_years",
                  "retention_permanent", "retention_basis", "case_files", "held", "contents", "holder",
                  "registered_at"]
        read_only_fields = ["id", "registered_at", "retention_years", "retention_permanent", "retention_basis"]
        extra_kwargs = {"contents": {"max_length": 2000}}

    def get_held(self, carrier) -> list[dict]:
        return [{"id": f.pk, "code": f.code} for f in carrier.case_files.all()]


class CarrierViewSet(CapabilityMixin, viewsets.ReadOnlyModelViewSet):
    capability = "archive.view"
    capabilities = {"create": "archive.manage"}
    serializer_class = CarrierSerializer

    def get_queryset(self):
        return selectors.carrier_list(viewer=self.request.user)

    @extend_schema(request=CarrierSerializer, responses=CarrierSerializer, summary="登记存储载体")
    def create(self, request):
        data = CarrierSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        party = values.pop("party", None)
        if party is not None and party.agency_id != request.user.agency_id:
            from django.core.exceptions import ValidationError

            raise ValidationError("企业不属于本单位。")
        held = [selectors.casefile_for_carrier(viewer=request.user, pk=pk)
                for pk in dict.fromkeys(values.pop("case_files", []))]
        carrier = services.carrier_register(acting_user=request.user, party=party, case_files=held, **values)
        return Response(CarrierSerializer(carrier).data, status=status.HTTP_201_CREATED)
