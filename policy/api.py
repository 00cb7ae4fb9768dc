from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from policy import services
from policy.calendar import compute_deadline, workday_calendar
from policy.models import CalendarArrangement, RuleSupplement
from policy.packs import PackError
from policy.registry import DURATION_UNITS, RULES, UNITS
from policy.selectors import packset, rule_histories, rules_for_viewer, supplement_list
from policy.usage import applied_sites
from zhifa.api import CapabilityMixin
from zhifa.dates import parse_date


def _int(value: str | None, label: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{label}应为非负整数。") from None
    if number < 0 or number > 3650:
        raise ValidationError(f"{label}应在 0 至 3650 之间。")
    return number


class PackListView(CapabilityMixin, APIView):
    capability = "policy.view_all_packs"

    @extend_schema(
        responses=inline_serializer(
            "PackSummary",
            {
                "id": serializers.CharField(),
                "title": serializers.CharField(),
                "agency": serializers.CharField(allow_null=True),
                "extends": serializers.ListField(child=serializers.CharField(), help_text="所继承的政策包（按顺序）"),
                "effective_from": serializers.DateField(allow_null=True),
                "effective_to": serializers.DateField(allow_null=True),
                "rules": serializers.IntegerField(help_text="规则条数"),
            },
            many=True,
        ),
        summary="全部政策包",
    )
    def get(self, request):
        packs = packset()
        return Response(
            [
                {
                    "id": p.id,
                    "title": p.title,
                    "agency": p.agency,
                    "extends": list(p.extends),
                    "effective_from": p.effective_from,
                    "effective_to": p.effective_to,
                    "rules": len(p.rules),
                }
                for p in (packs.packs[i] for i in packs.ids)
            ]
        )


class RulesView(CapabilityMixin, APIView):
    capability = "policy.view"

    @extend_schema(
        parameters=[
            OpenApiParameter("on", str, description="适用日期，默认今天"),
            OpenApiParameter("pack", str, description="政策包标识，默认本单位的政策包"),
        ],
        responses=inline_serializer(
            "ResolvedRules",
            {
                "pack": serializers.CharField(),
                "title": serializers.CharField(),
                "chain": serializers.ListField(child=serializers.CharField(), help_text="继承链"),
                "on": serializers.DateField(),
                "rules": serializers.ListField(child=serializers.DictField(), help_text="规则、取值、单位及其依据"),
            },
        ),
        summary="某日适用的规则及其依据",
    )
    def get(self, request):
        on = parse_date(request.query_params.get("on"), "适用日期", default=timezone.localdate())
        try:
            resolved = rules_for_viewer(viewer=request.user, on=on, pack_id=request.query_params.get("pack"))
        except PackError as exc:
            return Response({"detail": exc.message}, status=404)
        own = resolved.pack.id == request.user.agency.policy_pack
        history = rule_histories(resolved=resolved, agency=request.user.agency if own else None)
        sites = applied_sites()
        return Response(
            {
                "pack": resolved.pack.id,
                "title": resolved.pack.title,
                "chain": [p.id for p in resolved.chain],
                "on": on,
                "rules": [
                    rule.as_dict()
                    | {
                        "title": RULES[rule.key].title,
                        "cited": rule.cited(),
                        "applied_in": [str(site) for site in sites.get(rule.key, ())],
                        "history": [
                            {
                                "value": version.value,
                                "unit": version.unit,
                                "cited": version.cited(),
                                "source": version.pack_id,
                                "effective_from": version.effective_from,
                                "effective_to": version.effective_to,
                            }
                            for version in history.get(rule.key, ())
                        ],
                    }
                    for rule in resolved
                ],
            }
        )


class WorkdaysAddView(CapabilityMixin, APIView):
    capability = "calendar.view"

    @extend_schema(
        parameters=[
            OpenApiParameter("start", str, required=True),
            OpenApiParameter("days", int, required=True),
        ],
        responses=inline_serializer(
            "WorkdaysAdded",
            {
                "start": serializers.DateField(),
                "days": serializers.IntegerField(),
                "due": serializers.DateField(),
                "provisional": serializers.BooleanField(),
                "provisional_years": serializers.ListField(child=serializers.IntegerField()),
            },
        ),
        summary="起算日期后第 N 个工作日",
    )
    def get(self, request):
        start = parse_date(request.query_params.get("start"), "起算日期")
        days = _int(request.query_params.get("days"), "工作日数")
        result = workday_calendar().add_working_days(start, days)
        return Response(
            {
                "start": start,
                "days": days,
                "due": result.due,
                "provisional": result.provisional,
                "provisional_years": list(result.provisional_years),
            }
        )


class DeadlineView(CapabilityMixin, APIView):
    capability = "calendar.view"

    @extend_schema(
        parameters=[
            OpenApiParameter("start", str, required=True),
            OpenApiParameter("amount", int, required=True),
            OpenApiParameter("unit", str, required=True, enum=list(DURATION_UNITS)),
        ],
        responses=inline_serializer(
            "ComputedDeadline",
            {
                "start": serializers.DateField(),
                "amount": serializers.IntegerField(),
                "unit": serializers.CharField(),
                "due": serializers.CharField(help_text="届满日期（YYYY-MM-DD）"),
                "provisional": serializers.BooleanField(),
            },
        ),
        summary="按期限规则计算届满日期",
    )
    def get(self, request):
        start = parse_date(request.query_params.get("start"), "起算日期")
        amount = _int(request.query_params.get("amount"), "期限数值")
        unit = request.query_params.get("unit")
        if unit not in DURATION_UNITS or unit == "hours":
            raise ValidationError("单位应为 days、working_days、months 或 years（小时期限需要具体时刻）。")
        result = compute_deadline(start, amount, unit)
        return Response(
            {
                "start": start,
                "amount": amount,
                "unit": unit,
                "due": result.due,
                "provisional": result.provisional,
            }
        )


class ArrangementSerializer(serializers.ModelSerializer):
    class Meta:
        model = CalendarArrangement
        fields = ["id", "year", "holidays", "workdays", "document", "supersedes", "entered_by", "entered_at"]
        read_only_fields = ["id", "supersedes", "entered_by", "entered_at"]


class ArrangementInputSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    document = serializers.CharField(max_length=200)
    holidays = serializers.ListField(
        child=serializers.DictField(), help_text="[{date: YYYY-MM-DD, name: 春节}]", allow_empty=False
    )
    workdays = serializers.ListField(child=serializers.DateField(), allow_empty=True, default=list)

    def validate_holidays(self, value):
        result = []
        for item in value:
            try:
                result.append((date.fromisoformat(str(item.get("date"))), str(item.get("name") or "")))
            except ValueError:
                raise serializers.ValidationError(f"放假日期“{item.get('date')}”无效。") from None
        return result


class ArrangementViewSet(CapabilityMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    capability = "calendar.view"
    capabilities = {"create": "calendar.manage"}
    serializer_class = ArrangementSerializer
    queryset = CalendarArrangement.objects.order_by("-id")

    @extend_schema(
        request=ArrangementInputSerializer,
        responses={201: ArrangementSerializer},
        summary="录入某年节假日安排",
    )
    def create(self, request):
        data = ArrangementInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        arrangement = services.arrangement_enter(acting_user=request.user, **data.validated_data)
        return Response(ArrangementSerializer(arrangement).data, status=201)


class SupplementSerializer(serializers.ModelSerializer):
    entered_by = serializers.CharField(source="entered_by.name", default=None, read_only=True)

    class Meta:
        model = RuleSupplement
        fields = [
            "id",
            "key",
            "value",
            "unit",
            "document_title",
            "document_number",
            "article",
            "summary",
            "effective_from",
            "entered_by",
            "entered_at",
        ]
        read_only_fields = ["id", "entered_by", "entered_at"]


class SupplementInputSerializer(serializers.Serializer):
    # Text is checked by the service (one set of Chinese messages for the page and the API).
    key = serializers.CharField(allow_blank=True, max_length=80, help_text="规则键，见 GET /api/v1/policy/rules/")
    value = serializers.JSONField()
    unit = serializers.ChoiceField(choices=list(UNITS))
    document_title = serializers.CharField(allow_blank=True, max_length=200)
    document_number = serializers.CharField(allow_blank=True, max_length=100)
    article = serializers.CharField(allow_blank=True, max_length=60)
    summary = serializers.CharField(allow_blank=True, max_length=300)
    effective_from = serializers.DateField()


class SupplementListView(CapabilityMixin, APIView):
    """本单位补充规定: the figures the agency adopted by its own documents (list and adopt)."""

    capability = "policy.view"
    capabilities = {"POST": "policy.manage_supplements"}

    @extend_schema(responses={200: SupplementSerializer(many=True)}, summary="本单位补充规定")
    def get(self, request):
        return Response(SupplementSerializer(supplement_list(viewer=request.user), many=True).data)

    @extend_schema(
        request=SupplementInputSerializer,
        responses={201: SupplementSerializer},
        summary="录入本单位补充规定（采用文件、文号、条款、数值、施行日期）",
    )
    def post(self, request):
        data = SupplementInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        supplement = services.supplement_adopt(acting_user=request.user, **data.validated_data)
        return Response(SupplementSerializer(supplement).data, status=201)
