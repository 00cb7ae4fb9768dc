"""Staff API of publicity (the public feeds are plain views on the portal)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from enterprises.choices import PartyKind
from publicity import selectors, services
from publicity.choices import Category
from publicity.models import Publication
from utilities.bounds import TEXT_LINE, TEXT_LONG
from zhifa.api import CapabilityMixin


class PublicationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Publication
        fields = [
            "id",
            "category",
            "state",
            "party_kind",
            "minor",
            "decided_on",
            "instrument_number",
            "version",
            "due_on",
            "published_at",
            "display_until",
            "taken_down_at",
            "withdrawal_note",
            "withdrawal_due",
            "source",
            "record",
            "public",
            "content",
        ]
        read_only_fields = fields


class DraftSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices)
    decided_on = serializers.DateField()
    party_kind = serializers.ChoiceField(choices=PartyKind.choices)
    party_name = serializers.CharField(max_length=120)
    party_id_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    party_phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    party_address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    instrument_number = serializers.CharField(max_length=80)
    cause = serializers.CharField(max_length=TEXT_LONG)
    basis = serializers.CharField(max_length=TEXT_LONG)
    result = serializers.CharField(max_length=TEXT_LONG)
    minor = serializers.BooleanField(required=False, default=False)
    withheld = serializers.ListField(
        child=serializers.CharField(max_length=TEXT_LINE), required=False, default=list, max_length=100
    )
    source = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=TEXT_LONG)
    occurred_on = serializers.DateField(required=False)


class PublicationViewSet(CapabilityMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    capability = "publicity.view"
    capabilities = {
        "create": "publicity.draft",
        "review": "publicity.review",
        "publish": "publicity.review",
        "withdraw": "publicity.review",
    }
    serializer_class = PublicationSerializer

    def get_queryset(self):
        return selectors.publication_list(viewer=self.request.user, state=self.request.query_params.get("state", ""))

    @extend_schema(request=DraftSerializer, responses=PublicationSerializer, summary="起草公示信息")
    def create(self, request, *args, **kwargs):
        data = DraftSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.publication_draft(agency=request.user.agency, acting_user=request.user, **data.validated_data)
        return Response(PublicationSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=PublicationSerializer, summary="审查（第二十四条）")
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        item = services.publication_review(publication=self.get_object(), acting_user=request.user)
        return Response(PublicationSerializer(item).data)

    @extend_schema(request=None, responses=PublicationSerializer, summary="发布")
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        item = services.publication_publish(publication=self.get_object(), acting_user=request.user)
        return Response(PublicationSerializer(item).data)

    @extend_schema(request=WithdrawSerializer, responses=PublicationSerializer, summary="撤回")
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        publication = self.get_object()
        data = WithdrawSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.publication_withdraw(publication=publication, acting_user=request.user, **data.validated_data)
        return Response(PublicationSerializer(item).data)
