"""Read-only API of a supervising body's staff (司法行政部门, 执法监督) under /api/v1/supervision/body/.

The same selectors as the pages (supervision.body_selectors), so the same visibility: the agencies
the viewer's body supervises and their matters, 涉密 ones excepted. Each read of an agency's data is
an `oversight.view` event in that agency's ledger; an id outside the body is a logged refusal and a
404. Nothing here writes: any other method is refused with a Chinese message.
"""

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from matters.api import DeadlineSerializer, PersonSerializer
from matters.choices import MatterKind
from matters.models import Instrument, Matter, Step
from org.models import Agency
from review.models import LegalReview
from supervision import body_selectors as sel
from supervision.oversight_models import CaseReview
from zhifa.api import CapabilityMixin

READ_ONLY = ("执法监督接口只读：监督机关不能通过本接口修改执法主体的数据。"
             "如需纠正，请向该执法主体发出监督意见，由其工作人员办理。")
SEARCH_MAX = 50  # the search box of the pages (body_selectors cuts a query there too)


class _ReadOnly(CapabilityMixin, GenericAPIView):
    capability = "supervision.oversee"

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise MethodNotAllowed(request.method, detail=READ_ONLY)


def _year(request, *, default_this_year: bool) -> int | None:
    raw = request.query_params.get("year", "")
    today = timezone.localdate()
    if not raw:
        return today.year if default_this_year else None
    if not (raw.isascii() and raw.isdigit() and len(raw) == 4 and 2000 <= int(raw) <= today.year):
        raise ValidationError(f"年度应为2000至{today.year}之间的年份。")
    return int(raw)


def _text(request, name: str, label: str) -> str:
    value = request.query_params.get(name, "").strip()
    if len(value) > SEARCH_MAX:
        raise ValidationError(f"{label}不能超过{SEARCH_MAX}个字。")
    return value


# --- agencies -----------------------------------------------------------------------------------------


class BodyAgencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["id", "name", "short_name", "jurisdiction", "policy_pack"]


class BodyPackRuleSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    value = serializers.CharField(help_text="本单位政策包的规定；空为未规定")
    citation = serializers.CharField()
    summary = serializers.CharField()


class BodyAgencyDetailSerializer(BodyAgencySerializer):
    sections = serializers.SerializerMethodField()
    review_rules = serializers.SerializerMethodField(help_text="法制审核的数额和期限（本单位政策包，附依据）")

    class Meta(BodyAgencySerializer.Meta):
        fields = [*BodyAgencySerializer.Meta.fields, "sections", "review_rules"]

    def get_sections(self, obj) -> list[str]:
        return list(obj.sections.order_by("pk").values_list("name", flat=True))

    @extend_schema_field(BodyPackRuleSerializer(many=True))
    def get_review_rules(self, obj):
        return BodyPackRuleSerializer(sel.oversight_pack_rules(agency=obj), many=True).data


class BodyAgencyListView(_ReadOnly):
    serializer_class = BodyAgencySerializer
    queryset = Agency.objects.none()  # for the schema; get_queryset decides

    def get_queryset(self):
        return sel.supervised_agency_list(viewer=self.request.user, query=_text(self.request, "q", "查找内容"))

    @extend_schema(parameters=[OpenApiParameter("q", str, description="名称、简称或管辖范围中的文字")],
                   responses=BodyAgencySerializer(many=True), operation_id="supervision_body_agencies_list",
                   summary="本机关监督的执法主体")
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(BodyAgencySerializer(page, many=True).data)


class BodyAgencyView(_ReadOnly):
    serializer_class = BodyAgencyDetailSerializer
    queryset = Agency.objects.none()

    @extend_schema(summary="执法主体概况（科室、法制审核的数额和期限）")
    def get(self, request, pk: int):
        agency = sel.supervised_agency_for(viewer=request.user, pk=pk, what="执法主体概况（接口）")
        return Response(BodyAgencyDetailSerializer(agency).data)


# --- matters ------------------------------------------------------------------------------------------


class BodyMatterSerializer(serializers.ModelSerializer):
    party = serializers.CharField(source="party.name", default=None, allow_null=True)
    section = serializers.CharField(source="section.name")
    state_label = serializers.SerializerMethodField()

    class Meta:
        model = Matter
        fields = ["id", "kind", "procedure", "state", "state_label", "title", "party", "section", "fine_amount",
                  "major", "opened_at", "closed_at"]

    def get_state_label(self, obj) -> str:
        return obj.state_label


class BodyMatterListView(_ReadOnly):
    serializer_class = BodyMatterSerializer
    queryset = Matter.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="事由或当事人中的文字"),
            OpenApiParameter("kind", str, enum=MatterKind.values, description="类别"),
            OpenApiParameter("state", str, description="当前环节的代码；open 为未结案，closed 为已结案"),
            OpenApiParameter("year", int, description="登记年度"),
        ],
        responses=BodyMatterSerializer(many=True),
        summary="执法主体的执法事项（涉密事项除外）",
    )
    def get(self, request, pk: int):
        kind = request.query_params.get("kind", "")
        if kind and kind not in MatterKind.values:
            raise ValidationError("未知的执法事项类别，可选：" + "、".join(MatterKind.values) + "。")
        state = request.query_params.get("state", "")
        if state and not (len(state) <= 40 and state.isascii() and state.replace("_", "").isalpha()):
            raise ValidationError("当前环节应为环节代码（如 filing_requested），或 open、closed。")
        query, year = _text(request, "q", "查找内容"), _year(request, default_this_year=False)
        agency = sel.supervised_agency_for(viewer=request.user, pk=pk, what="执法事项列表（接口）")
        matters = sel.oversight_matter_list(viewer=request.user, agency=agency, query=query, kind=kind, state=state,
                                            year=year)
        page = self.paginate_queryset(matters)
        return self.get_paginated_response(BodyMatterSerializer(page, many=True).data)


class BodyStepSerializer(serializers.ModelSerializer):
    acted_by = PersonSerializer(read_only=True)
    records = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    event_index = serializers.IntegerField(source="ledger_index", read_only=True, allow_null=True,
                                           help_text="存证序号；入账前为空（待入账）")

    class Meta:
        model = Step
        fields = ["id", "transition", "label", "from_state", "to_state", "occurred_at", "acted_by", "records",
                  "event_index"]


class BodyInstrumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Instrument
        fields = ["id", "step", "type", "title", "number", "issued_at"]


class BodyReviewSerializer(serializers.ModelSerializer):
    opinion = serializers.SerializerMethodField()

    class Meta:
        model = LegalReview
        fields = ["id", "transition", "state", "submitted_at", "due", "leader_decision", "leader_collective",
                  "leader_at", "opinion"]

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_opinion(self, obj):
        try:
            opinion = obj.opinion
        except ObjectDoesNotExist:
            return None
        return {"outcome": opinion.outcome, "outcome_label": opinion.get_outcome_display(),
                "opinion": opinion.opinion, "decided_at": opinion.decided_at}


class BodyMatterDetailSerializer(BodyMatterSerializer):
    steps = serializers.SerializerMethodField()
    instruments = serializers.SerializerMethodField()
    reviews = serializers.SerializerMethodField()
    deadlines = serializers.SerializerMethodField()
    agency = serializers.IntegerField(source="agency_id")

    class Meta(BodyMatterSerializer.Meta):
        fields = [*BodyMatterSerializer.Meta.fields, "agency", "major_reason", "steps", "instruments", "reviews",
                  "deadlines"]

    @extend_schema_field(BodyStepSerializer(many=True))
    def get_steps(self, obj):
        return BodyStepSerializer(self.context["detail"]["steps"], many=True).data

    @extend_schema_field(BodyInstrumentSerializer(many=True))
    def get_instruments(self, obj):
        return BodyInstrumentSerializer(self.context["detail"]["instruments"], many=True).data

    @extend_schema_field(BodyReviewSerializer(many=True))
    def get_reviews(self, obj):
        return BodyReviewSerializer(self.context["detail"]["reviews"], many=True).data

    @extend_schema_field(DeadlineSerializer(many=True))
    def get_deadlines(self, obj):
        return DeadlineSerializer(self.context["detail"]["deadlines"], many=True).data


class BodyMatterView(_ReadOnly):
    serializer_class = BodyMatterDetailSerializer
    queryset = Matter.objects.none()

    @extend_schema(summary="执法事项：办理环节、文书（编号和名称）、法制审核、期限")
    def get(self, request, pk: int):
        matter = sel.oversight_matter_for(viewer=request.user, pk=pk)
        detail = sel.oversight_matter_detail(matter=matter)
        return Response(BodyMatterDetailSerializer(matter, context={"detail": detail}).data)


# --- statistics ---------------------------------------------------------------------------------------


class BodyFigureSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    unit = serializers.CharField()
    value = serializers.FloatField()
    rate_label = serializers.CharField(allow_null=True)
    rate = serializers.FloatField(allow_null=True)


class BodyCaseReviewSerializer(serializers.ModelSerializer):
    section = serializers.CharField(source="section.name", default=None, allow_null=True)

    class Meta:
        model = CaseReview
        fields = ["id", "matter", "section", "total", "full_marks", "pass_mark", "passed", "reviewed_at"]


class BodyStatisticsSerializer(serializers.Serializer):
    agency = serializers.IntegerField()
    year = serializers.IntegerField()
    figures = BodyFigureSerializer(many=True)
    cases_by_kind = serializers.ListField(child=serializers.DictField())
    casereviews = BodyCaseReviewSerializer(many=True)
    casereviews_passed = serializers.IntegerField()


class BodyStatisticsView(_ReadOnly):
    serializer_class = BodyStatisticsSerializer
    queryset = Agency.objects.none()

    @extend_schema(parameters=[OpenApiParameter("year", int, description="年度（默认本年）")],
                   summary="执法主体的年度执法统计与案卷评查结果")
    def get(self, request, pk: int):
        year = _year(request, default_this_year=True)
        agency = sel.supervised_agency_for(viewer=request.user, pk=pk, what="执法统计和案卷评查（接口）")
        stats = sel.oversight_statistics(agency=agency, year=year)
        reviews = list(sel.oversight_casereviews(agency=agency, year=year))
        figures = [
            {"key": f.key, "title": f.title, "unit": f.unit, "value": float(f.cell()),
             "rate_label": f.rate_label if f.totals is not None else None, "rate": f.rate()}
            for f in stats.figures
        ]
        return Response(BodyStatisticsSerializer({
            "agency": agency.pk,
            "year": year,
            "figures": figures,
            "cases_by_kind": [{"kind": k, "procedure": p, "count": n} for k, p, n in stats.cases_by_kind],
            "casereviews": reviews,
            "casereviews_passed": sum(1 for r in reviews if r.passed),
        }).data)
