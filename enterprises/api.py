from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from enterprises import selectors, services
from enterprises.models import Enterprise
from enterprises.services import ENTERPRISE_FIELDS
from org.models import Section
from utilities.bounds import INT_MAX, TEXT_LONG
from zhifa.api import CapabilityMixin


class EnterpriseSerializer(serializers.ModelSerializer):
    uscc = serializers.CharField(source="id_number", read_only=True)

    class Meta:
        model = Enterprise
        fields = ["id", "uscc", "kind", *ENTERPRISE_FIELDS]
        read_only_fields = ["id", "kind"]


class EnterpriseWriteSerializer(serializers.Serializer):
    uscc = serializers.CharField(max_length=18)
    name = serializers.CharField(max_length=120)
    legal_representative = serializers.CharField(max_length=30)
    industry = serializers.CharField(max_length=60)
    region = serializers.CharField(required=False, allow_blank=True, max_length=60)
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=30)
    business_scope = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_LONG)
    employees = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=INT_MAX)
    risk_level = serializers.CharField(required=False, max_length=20)
    major_hazard_source = serializers.BooleanField(required=False)
    hazardous_processes = serializers.CharField(required=False, allow_blank=True, max_length=200)
    contact_person = serializers.CharField(required=False, allow_blank=True, max_length=30)
    contact_phone = serializers.CharField(required=False, allow_blank=True, max_length=30)
    supervising_section = serializers.PrimaryKeyRelatedField(
        queryset=Section.objects.all(), required=False, allow_null=True
    )


class EnterpriseViewSet(
    CapabilityMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    capability = "enterprises.view"
    capabilities = {
        "create": "enterprises.manage",
        "update": "enterprises.manage",
        "partial_update": "enterprises.manage",
    }
    serializer_class = EnterpriseSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.enterprise_list(
            viewer=self.request.user, query=self.request.query_params.get("q", "")
        )

    @extend_schema(parameters=[OpenApiParameter("q", str, description="按名称、代码或行业查询")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=EnterpriseWriteSerializer, responses={201: EnterpriseSerializer}, summary="登记生产经营单位"
    )
    def create(self, request):
        data = EnterpriseWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        enterprise = services.enterprise_create(
            acting_user=request.user, agency=request.user.agency, uscc=fields.pop("uscc"), **fields
        )
        return Response(EnterpriseSerializer(enterprise).data, status=201)

    @extend_schema(
        request=EnterpriseWriteSerializer, responses=EnterpriseSerializer, summary="修改单位基础信息"
    )
    def partial_update(self, request, pk=None):
        enterprise = self.get_object()
        data = EnterpriseWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if "uscc" in fields and fields.pop("uscc") != enterprise.id_number:
            from django.core.exceptions import ValidationError

            raise ValidationError("统一社会信用代码不能修改；如登记有误，请登记新单位。")
        enterprise = services.enterprise_update(acting_user=request.user, enterprise=enterprise, **fields)
        return Response(EnterpriseSerializer(enterprise).data)
