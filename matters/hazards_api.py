"""API of the hazard register (隐患台账): list, one hazard, record, the party's report, the
re-inspection, and moving unfixed hazards to a penalty matter. Thin: ids are resolved through the
viewer's selectors, the services in `matters.hazards` decide the rest."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from matters import hazards as svc
from matters.api import MatterSerializer, _id, _matter, _records, _refusals_logged
from matters.models import Hazard
from utilities.bounds import ID_MAX, TEXT_LINE, TEXT_LONG
from zhifa.api import CapabilityMixin


class HazardSerializer(serializers.ModelSerializer):
    matter_title = serializers.CharField(source="matter.title", read_only=True)
    party = serializers.CharField(source="matter.party.name", read_only=True, default="")
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Hazard
        fields = [
            "id",
            "matter",
            "matter_title",
            "party",
            "description",
            "location",
            "photo",
            "rule_broken",
            "article",
            "rectify_by",
            "state",
            "overdue",
            "reported_at",
            "report_note",
            "report_photos",
            "checked_at",
            "check_note",
            "penalty",
        ]

    def get_overdue(self, obj) -> bool:
        return svc.hazard_overdue(obj)


class HazardInputSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=TEXT_LONG)
    location = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    photo = serializers.IntegerField(min_value=1, max_value=ID_MAX, required=False)
    rule_broken = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    article = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    rectify_by = serializers.DateField(required=False)


class ReportInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=TEXT_LONG, required=False, allow_blank=True, default="")
    photos = serializers.ListField(child=_id(), required=False, default=list, max_length=50)
    reported_at = serializers.DateTimeField(required=False)


class ReinspectInputSerializer(serializers.Serializer):
    rectified = serializers.BooleanField()
    note = serializers.CharField(max_length=TEXT_LONG, required=False, allow_blank=True, default="")
    checked_at = serializers.DateTimeField(required=False)


class ReferInputSerializer(serializers.Serializer):
    hazards = serializers.ListField(child=_id(), required=False, max_length=200)
    title = serializers.CharField(max_length=TEXT_LINE, required=False, allow_blank=True, default="")


def _hazard(request, pk: int) -> Hazard:
    return svc.hazard_for(viewer=request.user, pk=pk)


class HazardListView(CapabilityMixin, generics.GenericAPIView):
    capability = "matters.view"
    serializer_class = HazardSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "status", str, enum=list(svc.FILTERS), description="待整改、已逾期、已整改、已移交"
            ),
            OpenApiParameter("enterprise", int, description="生产经营单位"),
            OpenApiParameter("section", int, description="承办科室"),
        ],
        responses=HazardSerializer(many=True),
        summary="隐患台账",
    )
    def get(self, request):
        qs = svc.hazard_list(
            viewer=request.user,
            status=request.query_params.get("status", ""),
            enterprise=_int(request.query_params.get("enterprise")),
            section=_int(request.query_params.get("section")),
        )
        page = self.paginate_queryset(qs.prefetch_related("report_photos"))
        svc.hazard_read_logged(viewer=request.user, hazards=list(page), purpose="接口查看隐患台账")
        return self.get_paginated_response(HazardSerializer(page, many=True).data)


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


class HazardDetailView(CapabilityMixin, APIView):
    capability = "matters.view"

    @extend_schema(responses=HazardSerializer, summary="一项隐患：照片、违反的规定、整改期限、报告和复查")
    def get(self, request, pk: int):
        hazard = _hazard(request, pk)
        svc.hazard_read_logged(viewer=request.user, hazards=[hazard], purpose="接口查看隐患")
        return Response(HazardSerializer(hazard).data)


class HazardRecordView(CapabilityMixin, APIView):
    capability = "matters.act"

    @extend_schema(
        request=HazardInputSerializer, responses={201: HazardSerializer}, summary="登记检查发现的隐患"
    )
    def post(self, request, pk: int):
        matter = _matter(request, pk, "接口登记隐患", read=False)
        body = HazardInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        v = dict(body.validated_data)
        photo = _records(request.user, matter, [v.pop("photo", None)])
        hazard = svc.hazard_record(
            acting_user=request.user, matter=matter, photo=photo[0] if photo else None, **v
        )
        return Response(HazardSerializer(hazard).data, status=201)


class HazardReportView(CapabilityMixin, APIView):
    capability = "matters.act"

    @extend_schema(
        request=ReportInputSerializer, responses=HazardSerializer, summary="登记当事人整改完毕报告"
    )
    def post(self, request, pk: int):
        hazard = _hazard(request, pk)
        body = ReportInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        v = body.validated_data
        with _refusals_logged(request, hazard.matter, "登记整改完毕报告"):
            hazard = svc.hazard_report_fixed(
                acting_user=request.user,
                hazard=hazard,
                reported_at=v.get("reported_at"),
                note=v["note"],
                photos=_records(request.user, hazard.matter, v["photos"]),
            )
        return Response(HazardSerializer(hazard).data)


class HazardReinspectView(CapabilityMixin, APIView):
    capability = "matters.act"

    @extend_schema(request=ReinspectInputSerializer, responses=HazardSerializer, summary="登记隐患复查结论")
    def post(self, request, pk: int):
        hazard = _hazard(request, pk)
        body = ReinspectInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        v = body.validated_data
        with _refusals_logged(request, hazard.matter, "登记隐患复查"):
            hazard = svc.hazard_reinspect(
                acting_user=request.user,
                hazard=hazard,
                rectified=v["rectified"],
                checked_at=v.get("checked_at"),
                note=v["note"],
            )
        return Response(HazardSerializer(hazard).data)


class HazardReferView(CapabilityMixin, APIView):
    capability = "matters.act"

    @extend_schema(
        request=ReferInputSerializer,
        responses={201: MatterSerializer},
        summary="将未整改的隐患移交立案查处（新建行政处罚事项）",
    )
    def post(self, request, pk: int):
        matter = _matter(request, pk, "接口移交隐患", read=False)
        body = ReferInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        v = body.validated_data
        chosen = None
        if v.get("hazards"):
            chosen = list(Hazard.objects.filter(matter=matter, pk__in=v["hazards"]))
            if len(chosen) != len(set(v["hazards"])):
                from django.core.exceptions import ValidationError

                raise ValidationError("所选隐患不属于该检查。")
        with _refusals_logged(request, matter, "移交隐患"):
            penalty = svc.hazards_refer(
                acting_user=request.user, matter=matter, hazards=chosen, title=v["title"]
            )
        return Response(MatterSerializer(penalty).data, status=201)
