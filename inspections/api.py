"""Staff API of 双随机一公开."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from inspections import selectors, services
from inspections.choices import DrawState
from inspections.models import InspectionDraw, InspectionItem
from zhifa.api import CapabilityMixin


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = InspectionItem
        fields = [
            "id", "name", "basis", "section", "target", "target_sector", "target_industry", "content", "proportion",
            "frequency", "draws_per_year", "method", "officers_per_target", "active",
        ]  # fmt: skip
        read_only_fields = fields


class DrawSerializer(serializers.ModelSerializer):
    seed = serializers.SerializerMethodField(help_text="揭示前为 null")

    class Meta:
        model = InspectionDraw
        fields = [
            "id", "item", "plan", "state", "seed_sha256", "seed", "inputs", "inputs_sha256", "result",
            "drawn_at", "fixed_at", "revealed_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_seed(self, record) -> str | None:
        # The seed stays secret until the inputs are fixed and it is revealed.
        return record.seed if record.state == DrawState.DRAWN else None


class DrawRequestSerializer(serializers.Serializer):
    plan = serializers.CharField(max_length=200)


class InspectionItemViewSet(CapabilityMixin, viewsets.ReadOnlyModelViewSet):
    capability = "inspections.view"
    capabilities = {"draw": "inspections.draw"}
    serializer_class = ItemSerializer

    def get_queryset(self):
        return selectors.item_list(viewer=self.request.user)

    @extend_schema(request=DrawRequestSerializer, responses=DrawSerializer, summary="双随机抽取")
    @action(detail=True, methods=["post"])
    def draw(self, request, pk=None):
        item = self.get_object()
        data = DrawRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = services.draw_run(item=item, plan=data.validated_data["plan"], acting_user=request.user)
        return Response(DrawSerializer(record).data, status=status.HTTP_201_CREATED)


class InspectionDrawViewSet(CapabilityMixin, viewsets.ReadOnlyModelViewSet):
    capability = "inspections.view"
    serializer_class = DrawSerializer

    def get_queryset(self):
        return selectors.draw_list(viewer=self.request.user)
