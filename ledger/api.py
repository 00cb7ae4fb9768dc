from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from ledger.keys import verifier_key
from ledger.models import Checkpoint, Event
from ledger.selectors import consistency, latest_checkpoint, proof_bundle
from records.selectors import record_view
from zhifa.api import CapabilityMixin


class CheckpointView(CapabilityMixin, APIView):
    capability = "ledger.view"

    @extend_schema(summary="最新签名检查点（C2SP 签名文本）", responses={(200, "text/plain"): str})
    def get(self, request):
        return HttpResponse(latest_checkpoint().note, content_type="text/plain; charset=utf-8")


class VerifierKeyView(CapabilityMixin, APIView):
    capability = "ledger.view"

    @extend_schema(summary="核验检查点签名所用的公钥", responses={(200, "text/plain"): str})
    def get(self, request):
        return HttpResponse(verifier_key() + "\n", content_type="text/plain; charset=utf-8")


class ConsistencyView(CapabilityMixin, APIView):
    capability = "ledger.view"

    @extend_schema(
        parameters=[OpenApiParameter("old", int, required=True), OpenApiParameter("new", int, required=True)],
        summary="两个已签名检查点之间的一致性证明",
    )
    def get(self, request):
        try:
            old = Checkpoint.objects.filter(size=int(request.query_params["old"])).first()
            new = Checkpoint.objects.filter(size=int(request.query_params["new"])).first()
        except (KeyError, ValueError):
            return Response({"detail": "请提供 old 和 new（检查点大小，整数）。"}, status=400)
        if old is None or new is None or old.size > new.size:
            return Response({"detail": "没有对应大小的已签名检查点，或 old 大于 new。"}, status=404)
        return Response({"old_checkpoint": old.note, "checkpoint": new.note, "proof": consistency(old, new)})


class EventProofView(CapabilityMixin, APIView):
    """A proof bundle for one event of a record the viewer may read. The bundle shows the record's
    metadata (file name, hash, section), so handing it out is a logged read; a refusal is logged
    as a refusal (by the records selector, or here when the record is another agency's)."""

    capability = "records.view"

    @extend_schema(summary="某事件的证明包（可用 tools/verify_bundle.py 离线核验）")
    def get(self, request, index: int):
        event = Event.objects.filter(index=index, subject_type="records.record").first()
        if event is None:
            return Response({"detail": "没有该序号的记录事件。"}, status=404)
        # record_view logs the read, or the refusal (record.denied) for another section or agency.
        record_view(viewer=request.user, pk=int(event.subject_id), purpose=f"获取第 {index} 号事件的证明包")
        return Response(proof_bundle(event))
