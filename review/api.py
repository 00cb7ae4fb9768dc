"""API of legal review: reads, and each write through its service."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from matters.selectors import matter_for, matter_refused
from matters.services import matter_mark_major
from review import selectors, services
from review.choices import Finding, LeaderDecision
from review.models import LegalReview, ReviewMaterial
from review.scope import GATED, gated_transition, review_required
from review.selectors import MATERIAL_RECORDS_MAX
from utilities.bounds import ID_MAX, TEXT_LINE, TEXT_LONG
from zhifa.api import CapabilityMixin


class ReviewSerializer(serializers.ModelSerializer):
    outcome = serializers.SerializerMethodField()
    number = serializers.SerializerMethodField()
    reviewers = serializers.SerializerMethodField()
    findings = serializers.SerializerMethodField()

    class Meta:
        model = LegalReview
        fields = [
            "id", "matter", "transition", "state", "scope", "application", "situation", "draft_decision",
            "submitted_by", "submitted_at", "clock_started_on", "days_used", "due", "due_provisional",
            "extended_at", "extension_reason", "leader_decision", "leader_collective", "leader_at", "filed_at",
            "outcome", "number", "reviewers", "findings",
        ]

    def _opinion(self, obj):
        return getattr(obj, "opinion", None) if hasattr(obj, "opinion") else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_outcome(self, obj):
        opinion = self._opinion(obj)
        return opinion.outcome if opinion else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_number(self, obj):
        opinion = self._opinion(obj)
        return opinion.instrument.number if opinion and opinion.instrument else None

    @extend_schema_field(
        inline_serializer(
            "ReviewAssignment",
            {"id": serializers.IntegerField(), "name": serializers.CharField(), "first": serializers.BooleanField()},
            many=True,
        )
    )
    def get_reviewers(self, obj):
        return [{"id": a.reviewer_id, "name": a.reviewer.name, "first": a.first} for a in obj.assignments.all()]

    @extend_schema_field(
        inline_serializer(
            "ReviewFindingRow",
            {
                "position": serializers.IntegerField(),
                "item": serializers.CharField(),
                "finding": serializers.CharField(),
                "note": serializers.CharField(),
            },
            many=True,
        )
    )
    def get_findings(self, obj):
        return [{"position": f.position, "item": f.item, "finding": f.finding, "note": f.note}
                for f in obj.findings.all()]


class ReviewListView(CapabilityMixin, ListAPIView):
    capability = "review.view"
    serializer_class = ReviewSerializer

    def get_queryset(self):
        return selectors.review_list(viewer=self.request.user).order_by("-submitted_at", "-pk")


class ReviewDetailView(CapabilityMixin, RetrieveAPIView):
    capability = "review.view"
    serializer_class = ReviewSerializer

    def get_queryset(self):
        return selectors.review_list(viewer=self.request.user)

    def get_object(self):
        return selectors.review_view(viewer=self.request.user, pk=self.kwargs["pk"], purpose="接口查看")


def _review(request, pk, capability="review.view"):
    return selectors.review_get(viewer=request.user, pk=pk, capability=capability)


def _out(review):
    return Response(ReviewSerializer(review).data)


class MaterialSerializer(serializers.Serializer):
    """One material: a note (pages, 纸质材料) and the ids of the matter's records the submitter may read."""

    note = serializers.CharField(allow_blank=True, default="", max_length=TEXT_LONG)
    records = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX), default=list, max_length=MATERIAL_RECORDS_MAX
    )


def _few_items(value: dict) -> dict:
    if len(value) > 100 or any(len(item) > 200 for item in value):
        raise serializers.ValidationError("送审材料最多100项，每项名称最多200字。")
    return value


def _materials(request, matter, materials) -> dict:
    """The materials as the service takes them, each record id resolved for the submitter first (a
    refusal is logged: records.selectors for one out of sight, review.selectors for another matter's)."""
    materials = {item: dict(entry) for item, entry in materials.items()}
    selectors.material_records_checked(viewer=request.user, matter=matter, materials=materials)
    return materials


class SubmitSerializer(serializers.Serializer):
    matter = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    transition = serializers.ChoiceField(choices=GATED, required=False, help_text="默认为案件下一步的决定环节")
    application = serializers.DictField(child=serializers.CharField(allow_blank=True, max_length=TEXT_LONG), default=dict)
    situation = serializers.CharField(allow_blank=True, default="", max_length=TEXT_LONG)
    draft_decision = serializers.CharField(allow_blank=True, default="", max_length=TEXT_LONG)
    materials = serializers.DictField(
        child=MaterialSerializer(), default=dict, help_text="材料名称（政策包所列送审材料）→ {note, records: [本案记录ID]}"
    )

    def validate_materials(self, value):
        return _few_items(value)


class SubmitView(CapabilityMixin, APIView):
    """送审: a complete submission, or 400 with the list of what is missing."""

    capability = "review.submit"

    @extend_schema(request=SubmitSerializer, responses=ReviewSerializer, summary="送法制审核")
    def post(self, request):
        data = SubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        matter = matter_for(viewer=request.user, pk=values.pop("matter"), purpose="接口送法制审核", read=False)
        values.setdefault("transition", gated_transition(matter))
        values["materials"] = _materials(request, matter, values["materials"])
        try:
            review = services.review_submit(matter=matter, acting_user=request.user, **values)
        except PermissionDenied as exc:
            matter_refused(viewer=request.user, matter=matter, reason=f"送法制审核被拒绝：{exc}")
            raise
        return Response(ReviewSerializer(review).data, status=201)


class AssignSerializer(serializers.Serializer):
    reviewer = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    first = serializers.BooleanField(default=False)
    interest = serializers.CharField(allow_blank=True, default="", max_length=TEXT_LINE)


class AssignView(CapabilityMixin, APIView):
    capability = "review.conduct"

    @extend_schema(request=AssignSerializer, responses=ReviewSerializer, summary="指派审核人员")
    def post(self, request, pk):
        review = _review(request, pk)
        data = AssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        reviewer = get_object_or_404(request.user.agency.staff.all(), pk=values.pop("reviewer"))
        services.review_assign(review=review, reviewer=reviewer, acting_user=request.user, **values)
        return _out(review)


class SupplementSerializer(serializers.Serializer):
    items = serializers.ListField(
        child=serializers.CharField(max_length=ReviewMaterial._meta.get_field("item").max_length), max_length=100
    )
    supply_by = serializers.DateField()
    note = serializers.CharField(allow_blank=True, default="", max_length=TEXT_LONG)


class SupplementView(CapabilityMixin, APIView):
    capability = "review.conduct"

    @extend_schema(request=SupplementSerializer, responses=ReviewSerializer, summary="要求补正材料（期限暂停）")
    def post(self, request, pk):
        review = _review(request, pk)
        data = SupplementSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.review_supplement_request(review=review, acting_user=request.user, **data.validated_data)
        return _out(_review(request, pk))


class ProvideSerializer(serializers.Serializer):
    materials = serializers.DictField(child=MaterialSerializer(), help_text="补正材料名称 → {note, records: [本案记录ID]}")

    def validate_materials(self, value):
        return _few_items(value)


class ProvideView(CapabilityMixin, APIView):
    capability = "review.submit"

    @extend_schema(request=ProvideSerializer, responses=ReviewSerializer, summary="提交补正材料")
    def post(self, request, pk):
        review = _review(request, pk, "review.submit")
        data = ProvideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        materials = _materials(request, review.matter, data.validated_data["materials"])
        return _out(services.review_supplement_provide(review=review, acting_user=request.user, materials=materials))


class ExtendSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class ExtendView(CapabilityMixin, APIView):
    capability = "review.approve"

    @extend_schema(request=ExtendSerializer, responses=ReviewSerializer, summary="批准延长审核期限")
    def post(self, request, pk):
        review = _review(request, pk)
        data = ExtendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _out(services.review_extend(review=review, acting_user=request.user, **data.validated_data))


class FindingSerializer(serializers.Serializer):
    finding = serializers.ChoiceField(choices=Finding.choices)
    note = serializers.CharField(allow_blank=True, default="", max_length=TEXT_LONG)


class OpinionSerializer(serializers.Serializer):
    findings = FindingSerializer(many=True, max_length=100)
    outcome = serializers.CharField(max_length=30)
    opinion = serializers.CharField(max_length=TEXT_LONG)
    suggestions = serializers.ListField(child=serializers.CharField(max_length=TEXT_LONG), default=list, max_length=100)
    adviser = serializers.CharField(allow_blank=True, default="", max_length=200)
    meeting_on = serializers.DateField(required=False, allow_null=True, default=None)
    meeting_participants = serializers.CharField(allow_blank=True, default="", max_length=TEXT_LONG)
    meeting_minutes = serializers.CharField(allow_blank=True, default="", max_length=TEXT_LONG)


class OpinionView(CapabilityMixin, APIView):
    capability = "review.conduct"

    @extend_schema(request=OpinionSerializer, responses=ReviewSerializer, summary="出具审核意见书")
    def post(self, request, pk):
        review = _review(request, pk)
        data = OpinionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["findings"] = [dict(f) for f in values["findings"]]
        services.review_opinion_issue(review=review, acting_user=request.user, **values)
        return _out(_review(request, pk))


class DecideSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=LeaderDecision.choices)
    collective = serializers.BooleanField(default=False)
    note = serializers.CharField(allow_blank=True, default="", max_length=TEXT_LONG)


class DecideView(CapabilityMixin, APIView):
    capability = "review.approve"

    @extend_schema(request=DecideSerializer, responses=ReviewSerializer, summary="领导决定")
    def post(self, request, pk):
        review = _review(request, pk)
        data = DecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _out(services.review_leader_decide(review=review, acting_user=request.user, **data.validated_data))


class ScopeView(CapabilityMixin, APIView):
    """Whether a matter's decision needs legal review, and the catalogue entries that apply."""

    capability = "matters.view"

    @extend_schema(
        parameters=[OpenApiParameter("transition", str, description="拟作出决定的环节，默认案件下一步的决定环节")],
        responses=inline_serializer(
            "ReviewScope",
            {
                "required": serializers.BooleanField(),
                "major": serializers.BooleanField(),
                "major_reason": serializers.CharField(),
                "entries": serializers.ListField(child=serializers.DictField(), help_text="适用的审核目录条目"),
            },
        ),
        summary="法制审核范围",
    )
    def get(self, request, pk):
        matter = matter_for(viewer=request.user, pk=pk, purpose="接口查看法制审核范围")
        transition = request.query_params.get("transition") or gated_transition(matter)
        required, hits = review_required(matter, transition)
        return Response({
            "required": required,
            "major": matter.major,
            "major_reason": matter.major_reason,
            "entries": [h.as_dict() for h in hits],
        })


class MajorSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class MajorView(CapabilityMixin, APIView):
    capability = "review.conduct"

    @extend_schema(
        request=MajorSerializer,
        responses=inline_serializer(
            "MajorMarked", {"major": serializers.BooleanField(), "major_reason": serializers.CharField()}
        ),
        summary="标记为重大案件",
    )
    def post(self, request, pk):
        matter = matter_for(viewer=request.user, pk=pk, purpose="接口标记重大案件", read=False)
        data = MajorSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            matter = matter_mark_major(matter=matter, acting_user=request.user, **data.validated_data)
        except PermissionDenied as exc:
            matter_refused(viewer=request.user, matter=matter, reason=f"标记重大案件被拒绝：{exc}")
            raise
        return Response({"major": True, "major_reason": matter.major_reason})


class StaffingView(CapabilityMixin, APIView):
    capability = "review.view"

    @extend_schema(
        responses=inline_serializer(
            "ReviewerStaffing",
            {
                "reviewers": serializers.IntegerField(),
                "qualified": serializers.IntegerField(),
                "officers": serializers.IntegerField(),
                "percent": serializers.FloatField(allow_null=True),
                "minimum": serializers.FloatField(allow_null=True),
                "short": serializers.BooleanField(),
                "needed": serializers.IntegerField(),
                "citations": serializers.ListField(child=serializers.CharField()),
            },
        ),
        summary="法制审核人员配备比例",
    )
    def get(self, request):
        s = selectors.staffing_for_viewer(viewer=request.user)
        return Response({
            "reviewers": s.reviewers,
            "qualified": s.qualified,
            "officers": s.officers,
            "percent": s.percent,
            "minimum": s.minimum,
            "short": s.short,
            "needed": s.needed,
            "citations": [str(c) for c in s.rule.citations] if s.rule else [],
        })
