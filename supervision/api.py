"""API of 执法监督 under /api/v1/supervision/: findings (with their history), the scan, the
statistics, and the viewer's own reminders. The same capabilities and scope as the pages."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from supervision import selectors, services
from supervision.forms import StatisticsForm
from supervision.models import Finding, FindingEvent, Reminder
from supervision.statistics import MONTHS
from zhifa.api import CapabilityMixin


class FindingEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = FindingEvent
        fields = ["kind", "at", "message"]
        read_only_fields = fields


class FindingSerializer(serializers.ModelSerializer):
    officer_name = serializers.CharField(source="officer.name", default=None)
    matter_title = serializers.CharField(source="matter.title", default=None)

    class Meta:
        model = Finding
        fields = ["id", "kind", "subject", "matter", "matter_title", "section", "officer", "officer_name",
                  "rule_key", "citation", "message", "remedy", "opened_at", "closed_at", "seen_at"]
        read_only_fields = fields


class FindingDetailSerializer(FindingSerializer):
    events = FindingEventSerializer(many=True, read_only=True)

    class Meta(FindingSerializer.Meta):
        fields = [*FindingSerializer.Meta.fields, "events"]
        read_only_fields = fields


class ScanSerializer(serializers.Serializer):
    opened = serializers.IntegerField()
    reopened = serializers.IntegerField()
    closed = serializers.IntegerField()
    open = serializers.IntegerField()


class ReminderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reminder
        fields = ["id", "category", "title", "citation", "due", "overdue", "opened_at"]
        read_only_fields = fields


def _number(v):
    return float(v)


class FindingViewSet(CapabilityMixin, viewsets.ReadOnlyModelViewSet):
    capability = "supervision.view"
    capabilities = {"scan": "supervision.scan", "reminders": "supervision.remind"}
    serializer_class = FindingSerializer

    def get_queryset(self):
        return selectors.finding_list(viewer=self.request.user, open_only=self.request.query_params.get("all") != "1")

    def get_object(self):
        return selectors.finding_for(viewer=self.request.user, pk=int(self.kwargs["pk"]))

    def retrieve(self, request, *args, **kwargs):
        return Response(FindingDetailSerializer(self.get_object()).data)

    @extend_schema(request=None, responses=ScanSerializer, summary="立即合规扫描")
    @action(detail=False, methods=["post"])
    def scan(self, request):
        selectors.finding_list(viewer=request.user)
        r = services.findings_scan(agency=request.user.agency, acting_user=request.user)
        data = {"opened": r.opened, "reopened": r.reopened, "closed": r.closed, "open": r.open}
        return Response(ScanSerializer(data).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("year", int), OpenApiParameter("section", int)],
        responses=dict, summary="执法统计（按月、按科室）",
    )
    @action(detail=False)
    def statistics(self, request):
        form = StatisticsForm(request.query_params, agency=request.user.agency)
        if not form.is_valid():
            raise ValidationError({k: [str(e) for e in v] for k, v in form.errors.items()})
        section = form.cleaned_data["section"]
        stats = selectors.statistics_for(
            viewer=request.user, year=form.cleaned_data["year"] or timezone.localdate().year,
            section_id=section.pk if section else None,
        )
        return Response({
            "year": stats.year,
            "sections": [{"id": s.pk, "name": s.name} for s in stats.sections],
            "figures": [
                {
                    "key": f.key, "title": f.title, "unit": f.unit,
                    "by_section": {s.pk: [_number(v) for v in f.by_month(s.pk)] for s in stats.sections},
                    "total": [_number(v) for v in f.by_month()],
                    "rate": f.rate(),
                    "rate_label": f.rate_label or None,
                    "by_officer": {o: _number(v) for o, v in f.officers.items()},
                    "rate_by_month": [f.rate(m) for m in MONTHS] if f.totals is not None else None,
                }
                for f in stats.figures
            ],
            "officers": [{"id": o.pk, "name": o.name} for o in stats.officers],
            "report": [{"item": i, "unit": u, "value": _number(v)} for i, u, v in stats.report()],
            "challenge_results": [{"kind": k, "result": r, "count": n} for k, r, n in stats.challenge_results],
            "weak_links": [{"problem": p, "where": w, "count": n} for p, w, n in stats.weak_links],
            "cases_by_kind": [{"kind": k, "procedure": p, "count": n} for k, p, n in stats.cases_by_kind],
            "review_outcomes": [{"outcome": o, "count": n} for o, n in stats.review_outcomes],
            "findings_by_article": [
                {"rule": r, "citation": c, "found": n, "open": o} for r, c, n, o in stats.findings_by_article
            ],
        })

    @extend_schema(responses=ReminderSerializer(many=True), summary="我的提醒")
    @action(detail=False)
    def reminders(self, request):
        page = self.paginate_queryset(selectors.reminder_list(viewer=request.user))
        return self.get_paginated_response(ReminderSerializer(page, many=True).data)
