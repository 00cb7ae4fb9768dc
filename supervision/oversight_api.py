"""API of spot checks, 案卷评查, 执法过错 and the year's evaluation under /api/v1/supervision/. The
same capabilities, scope and services as the pages: the supervisors write, the leader reads."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from supervision import casereview, faults, spotchecks
from supervision import oversight_selectors as sel
from supervision.choices import FaultKind, FaultMeasure
from supervision.oversight_models import CaseReview, Fault, SpotCheck, SpotCheckItem
from utilities.bounds import ID_MAX, TEXT_LINE, TEXT_LONG
from zhifa.api import CapabilityMixin


def _id():
    return serializers.IntegerField(min_value=1, max_value=ID_MAX)


def _year(request) -> int | None:
    raw = request.query_params.get("year", "")
    if raw and not (raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= 2100):
        raise ValidationError("年度应为2000至2100之间的年份。")
    return int(raw) if raw else None


class SpotCheckItemSerializer(serializers.ModelSerializer):
    officers = serializers.SerializerMethodField()

    class Meta:
        model = SpotCheckItem
        fields = ["id", "position", "record", "section", "officers", "recorded", "continuous", "handled", "note",
                  "answered_by", "answered_at"]
        read_only_fields = fields

    def get_officers(self, obj) -> list[int]:
        return [o.pk for o in obj.officers.all()]


class SpotCheckSerializer(serializers.ModelSerializer):
    seed = serializers.SerializerMethodField()

    class Meta:
        model = SpotCheck
        fields = ["id", "title", "period_start", "period_end", "state", "proportion", "basis", "seed_sha256", "seed",
                  "inputs", "inputs_sha256", "result", "committed_at", "drawn_at"]
        read_only_fields = fields

    def get_seed(self, obj) -> str | None:
        return obj.seed if obj.drawn_at else None  # revealed only with the draw


class SpotCheckOpenSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=100)
    period_start = serializers.DateField()
    period_end = serializers.DateField()


class AnswerSerializer(serializers.Serializer):
    item = _id()
    recorded = serializers.BooleanField()
    continuous = serializers.BooleanField()
    handled = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_LONG)


class SpotCheckViewSet(CapabilityMixin, viewsets.ReadOnlyModelViewSet):
    capability = "supervision.view"
    queryset = SpotCheck.objects.none()  # for the schema; get_queryset decides
    capabilities = {"create": "supervision.check", "draw": "supervision.check", "answer": "supervision.check"}
    serializer_class = SpotCheckSerializer

    def get_queryset(self):
        return sel.spotcheck_list(viewer=self.request.user)

    def get_object(self):
        return sel.spotcheck_for(viewer=self.request.user, pk=int(self.kwargs["pk"]))

    def retrieve(self, request, *args, **kwargs):
        sc = self.get_object()
        items = sel.spotcheck_items(viewer=request.user, spot_check=sc)
        return Response({**SpotCheckSerializer(sc).data, "items": SpotCheckItemSerializer(items, many=True).data})

    @extend_schema(request=SpotCheckOpenSerializer, responses={201: SpotCheckSerializer}, summary="公布随机种子承诺值")
    def create(self, request):
        data = SpotCheckOpenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sc = spotchecks.spotcheck_commit(acting_user=request.user, **data.validated_data)
        return Response(SpotCheckSerializer(sc).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=SpotCheckSerializer, summary="固定期间内的音像记录并抽取")
    @action(detail=True, methods=["post"])
    def draw(self, request, pk=None):
        sc = spotchecks.spotcheck_draw(spot_check=self.get_object(), acting_user=request.user)
        return Response(SpotCheckSerializer(sc).data)

    @extend_schema(request=AnswerSerializer, responses=SpotCheckItemSerializer, summary="登记一件音像记录的检查结果")
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        sc = self.get_object()
        data = AnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        item = sel.spotcheck_item_for(viewer=request.user, pk=fields.pop("item"))
        if item.spot_check_id != sc.pk:
            raise ValidationError("该音像记录不属于这次抽查。")
        item = spotchecks.spotcheck_answer(item=item, acting_user=request.user, **fields)
        return Response(SpotCheckItemSerializer(item).data)


class CaseReviewSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaseReview
        fields = ["id", "section", "matter", "case_file", "year", "sheet", "scores", "notes", "vetoed", "total",
                  "full_marks", "pass_mark", "passed", "basis", "comment", "reviewed_by", "reviewed_at"]
        read_only_fields = fields


class CaseReviewScoreSerializer(serializers.Serializer):
    case_file = _id()
    scores = serializers.DictField(child=serializers.IntegerField(min_value=0, max_value=100))
    vetoed = serializers.ListField(child=serializers.CharField(max_length=60), required=False, default=list,
                                   max_length=100)
    notes = serializers.DictField(child=serializers.CharField(max_length=TEXT_LINE, allow_blank=True),
                                  required=False, default=dict)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_LONG)


class CaseReviewViewSet(CapabilityMixin, viewsets.ReadOnlyModelViewSet):
    capability = "supervision.view"
    queryset = CaseReview.objects.none()  # for the schema; get_queryset decides
    capabilities = {"create": "supervision.check"}
    serializer_class = CaseReviewSerializer

    def get_queryset(self):
        return sel.casereview_list(viewer=self.request.user, year=_year(self.request))

    def get_object(self):
        return sel.casereview_for(viewer=self.request.user, pk=int(self.kwargs["pk"]))

    @extend_schema(request=CaseReviewScoreSerializer, responses={201: CaseReviewSerializer}, summary="案卷评查打分")
    def create(self, request):
        data = CaseReviewScoreSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        case_file = sel.case_file_for_review(viewer=request.user, pk=fields.pop("case_file"))
        review = casereview.casereview_score(case_file=case_file, acting_user=request.user, **fields)
        return Response(CaseReviewSerializer(review).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[OpenApiParameter("year", int)], responses=dict, summary="案卷评查合格率（按科室）")
    @action(detail=False)
    def rates(self, request):
        year = _year(self.request) or timezone.localdate().year
        rows, total = sel.casereview_rates(viewer=request.user, year=year)
        out = [{"section": r.name, "reviewed": r.reviewed, "passed": r.passed, "rate": r.rate} for r in rows]
        return Response({"year": year, "sections": out,
                         "total": {"reviewed": total.reviewed, "passed": total.passed, "rate": total.rate}})


class FaultSerializer(serializers.ModelSerializer):
    records = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    matters = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Fault
        fields = ["id", "officer", "section", "kind", "facts", "occurred_on", "records", "matters", "measures",
                  "suspension_start", "suspension_end", "rectification", "rectification_due", "basis",
                  "recorded_by", "recorded_at"]
        read_only_fields = fields


class FaultRecordSerializer(serializers.Serializer):
    officer = _id()
    kind = serializers.ChoiceField(choices=FaultKind.choices)
    facts = serializers.CharField(max_length=TEXT_LONG)
    occurred_on = serializers.DateField()
    measures = serializers.ListField(child=serializers.ChoiceField(choices=FaultMeasure.choices), required=False,
                                     default=list, max_length=10)
    suspension_start = serializers.DateField(required=False, allow_null=True, default=None)
    rectification = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    rectification_due = serializers.DateField(required=False, allow_null=True, default=None)
    records = serializers.ListField(child=_id(), required=False, default=list, max_length=100)
    matters = serializers.ListField(child=_id(), required=False, default=list, max_length=100)


class FaultViewSet(CapabilityMixin, viewsets.ReadOnlyModelViewSet):
    capability = "supervision.view"
    queryset = Fault.objects.none()  # for the schema; get_queryset decides
    capabilities = {"create": "supervision.check"}
    serializer_class = FaultSerializer

    def get_queryset(self):
        return sel.fault_list(viewer=self.request.user).prefetch_related("records", "matters")

    def get_object(self):
        return sel.fault_for(viewer=self.request.user, pk=int(self.kwargs["pk"]))

    @extend_schema(request=FaultRecordSerializer, responses={201: FaultSerializer}, summary="登记执法过错")
    def create(self, request):
        data = FaultRecordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        officer = sel.agency_staff(viewer=request.user).filter(pk=fields["officer"]).first()
        if officer is None:
            raise ValidationError("本单位没有这名执法人员。")
        fields["officer"] = officer
        fields["records"], fields["matters"] = sel.fault_links(viewer=request.user, records=fields["records"],
                                                               matters=fields["matters"])
        fault = faults.fault_record(acting_user=request.user, **fields)
        return Response(FaultSerializer(fault).data, status=status.HTTP_201_CREATED)


class EvaluationView(CapabilityMixin, APIView):
    capability = "supervision.view"

    @extend_schema(parameters=[OpenApiParameter("year", int)], responses=dict, summary="年度考评（按执法人员、科室）")
    def get(self, request):
        year = _year(request) or timezone.localdate().year
        officers, sections = sel.evaluation(viewer=request.user, year=year)
        return Response({
            "year": year,
            "officers": [
                {"officer": r.officer.pk, "name": r.officer.name, "section": r.officer.section_id,
                 "checked": r.checked, "passed": r.passed, "failed": dict(r.failed), "pass_rate": r.pass_rate,
                 "reviews": r.reviews, "reviews_passed": r.reviews_passed, "faults": [f.pk for f in r.faults],
                 "no_awards": r.no_awards}
                for r in officers
            ],
            "sections": [{"section": s.section.pk if s.section else None, "checked": s.checked, "passed": s.passed,
                          "pass_rate": s.pass_rate} for s in sections],
        })
