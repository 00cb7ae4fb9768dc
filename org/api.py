from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from org import selectors, services
from org.choices import Role
from org.models import Agency, EnforcementCertificate, Section, Staff
from zhifa.api import CapabilityMixin
from zhifa.dates import parse_date


class AgencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = [
            "id",
            "name",
            "short_name",
            "uscc",
            "jurisdiction",
            "duties",
            "address",
            "phone",
            "policy_pack",
        ]


class SectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Section
        fields = ["id", "name", "kind", "duties", "enforces"]


class CertificateSerializer(serializers.ModelSerializer):
    class Meta:
        model = EnforcementCertificate
        fields = ["id", "staff", "number", "category", "region", "issuer", "valid_from", "valid_to", "status"]
        read_only_fields = ["id", "status"]


class CertificateCreateSerializer(serializers.Serializer):
    staff = serializers.PrimaryKeyRelatedField(queryset=Staff.objects.all())
    number = serializers.CharField(max_length=40)
    category = serializers.CharField(max_length=60)
    region = serializers.CharField(max_length=100)
    issuer = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    valid_from = serializers.DateField()
    valid_to = serializers.DateField()


class StaffSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()
    certificates = CertificateSerializer(many=True, read_only=True)

    class Meta:
        model = Staff
        fields = [
            "id",
            "username",
            "name",
            "section",
            "position",
            "phone",
            "frontline",
            "legal_qualification",
            "roles",
            "certificates",
        ]

    def get_roles(self, obj) -> list[str]:
        return sorted(a.role for a in obj.role_assignments.all())


class StaffCreateSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    name = serializers.CharField(max_length=30)
    password = serializers.CharField(min_length=8, max_length=128, write_only=True, required=False)
    section = serializers.PrimaryKeyRelatedField(
        queryset=Section.objects.all(), required=False, allow_null=True
    )
    roles = serializers.ListField(child=serializers.CharField(max_length=20), allow_empty=True, max_length=20)
    position = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=30)
    frontline = serializers.BooleanField(required=False, default=False)
    legal_qualification = serializers.CharField(required=False, allow_blank=True, default="", max_length=60)


class RolesSerializer(serializers.Serializer):
    roles = serializers.ListField(child=serializers.CharField(max_length=20), allow_empty=True, max_length=20)


class MeView(CapabilityMixin, APIView):
    capability = "home.view"

    @extend_schema(responses=StaffSerializer, summary="当前登录人员")
    def get(self, request):
        return Response(
            StaffSerializer(request.user).data | {"agency": AgencySerializer(request.user.agency).data}
        )


class AgencyView(CapabilityMixin, APIView):
    capability = "org.view_agency"

    @extend_schema(responses=AgencySerializer, summary="本单位（执法主体）")
    def get(self, request):
        return Response(AgencySerializer(selectors.agency_of(viewer=request.user)).data)


class SectionViewSet(CapabilityMixin, viewsets.ReadOnlyModelViewSet):
    capability = "org.view_agency"
    serializer_class = SectionSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.section_list(viewer=self.request.user)


class StaffViewSet(CapabilityMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    capability = "org.view_staff"
    capabilities = {"create": "org.manage_staff", "roles": "org.manage_staff"}
    serializer_class = StaffSerializer

    def get_queryset(self):
        return selectors.staff_list(viewer=self.request.user)

    @extend_schema(request=StaffCreateSerializer, responses={201: StaffSerializer}, summary="登记人员")
    def create(self, request):
        data = StaffCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        staff = services.staff_create(
            acting_user=request.user, agency=request.user.agency, **data.validated_data
        )
        return Response(StaffSerializer(self.get_queryset().get(pk=staff.pk)).data, status=201)

    @extend_schema(request=RolesSerializer, responses=StaffSerializer, summary="调整人员角色")
    @action(detail=True, methods=["post"])
    def roles(self, request, pk=None):
        staff = self.get_object()
        data = RolesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.staff_set_roles(acting_user=request.user, staff=staff, roles=data.validated_data["roles"])
        return Response(StaffSerializer(self.get_queryset().get(pk=staff.pk)).data)


class CertificateViewSet(CapabilityMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    capability = "org.view_staff"
    capabilities = {"create": "org.manage_certificates"}
    serializer_class = CertificateSerializer

    def get_queryset(self):
        return EnforcementCertificate.objects.filter(
            staff__in=selectors.staff_list(viewer=self.request.user)
        ).order_by("id")

    @extend_schema(
        request=CertificateCreateSerializer, responses={201: CertificateSerializer}, summary="登记执法证"
    )
    def create(self, request):
        data = CertificateCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        staff = fields.pop("staff")
        if staff.agency_id != request.user.agency_id:
            raise ValidationError("只能为本单位人员登记执法证。")
        certificate = services.certificate_issue(acting_user=request.user, staff=staff, **fields)
        return Response(CertificateSerializer(certificate).data, status=201)


def _on_param(request) -> date:
    return parse_date(request.query_params.get("on"), "日期", default=timezone.localdate())


class AssignableOfficersView(CapabilityMixin, APIView):
    capability = "org.assign_officers"

    @extend_schema(
        parameters=[OpenApiParameter("on", str, description="日期 YYYY-MM-DD，默认今天")],
        responses=StaffSerializer(many=True),
        summary="可承担执法工作的执法人员（持有效执法证）",
    )
    def get(self, request):
        on = _on_param(request)
        officers = selectors.officer_list_assignable(viewer=request.user, on=on).prefetch_related(
            "role_assignments", "certificates"
        )
        return Response(StaffSerializer(officers, many=True).data)


class OfficerCheckView(CapabilityMixin, APIView):
    capability = "org.assign_officers"

    @extend_schema(
        parameters=[OpenApiParameter("on", str, description="日期 YYYY-MM-DD，默认今天")],
        responses=inline_serializer(
            "OfficerCheck",
            {
                "assignable": serializers.BooleanField(),
                "reason": serializers.CharField(required=False, help_text="不能承担执法工作的原因"),
                "certificate": serializers.CharField(required=False, help_text="有效执法证编号"),
                "on": serializers.DateField(),
            },
        ),
        summary="核对某人能否承担执法工作",
    )
    def get(self, request, pk: int):
        staff = selectors.staff_for(viewer=request.user, pk=pk)
        on = _on_param(request)
        try:
            certificate = services.officer_check_assignable(staff=staff, on=on)
        except services.NotAssignable as exc:
            return Response({"assignable": False, "reason": exc.messages[0], "on": on})
        return Response({"assignable": True, "certificate": certificate.number, "on": on})


ROLE_CHOICES = Role.choices
