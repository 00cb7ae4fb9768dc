"""API of field work under /api/v1/field/: the day's work for the phone to cache, the sync of work
done offline (each item once, by its idempotency key), photos, and the signatures of a 文书."""

import tempfile
from pathlib import Path

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from field import selectors, services
from field.models import SyncItem
from utilities.bounds import ID_MAX
from zhifa.api import CapabilityMixin

SYNC_BATCH_MAX = 100
PHOTO_MAX = 30 * 2**20
RECORDING_MAX = 500 * 2**20  # a few minutes of a phone's video


def _item(item: SyncItem, created: bool) -> dict:
    return {
        "key": item.key,
        "kind": item.kind,
        "state": item.state,
        "state_display": item.get_state_display(),
        "message": item.message,
        "result": item.result,
        "device_time": item.device_time,
        "received_at": item.received_at,
        "duplicate": not created,
    }


class SyncEntrySerializer(serializers.Serializer):
    key = serializers.CharField(max_length=64)
    kind = serializers.ChoiceField(choices=[(k, k) for k in services.SYNC_KINDS if k != "photo"])
    device_time = serializers.DateTimeField()
    data = serializers.DictField()


class SyncSerializer(serializers.Serializer):
    items = SyncEntrySerializer(many=True, max_length=SYNC_BATCH_MAX, allow_empty=False)


class SyncView(CapabilityMixin, APIView):
    """POST the items done offline, in the order they were done. Each is applied once: an item
    whose key was seen before gets its stored answer (`duplicate: true`) and changes nothing; one
    the server cannot apply (the matter moved on, a rule not met) comes back as `conflict` with the
    Chinese reason, and the items after it are still tried."""

    capability = "matters.act"

    @extend_schema(request=SyncSerializer, responses={200: dict})
    def post(self, request):
        payload = SyncSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        answers = []
        for entry in payload.validated_data["items"]:
            item, created = services.sync_item_apply(
                acting_user=request.user,
                key=entry["key"],
                kind=entry["kind"],
                device_time=entry["device_time"],
                data=entry["data"],
            )
            answers.append(_item(item, created))
        return Response({"items": answers})


class PhotoSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=64)
    matter = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    device_time = serializers.DateTimeField()
    title = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    recording = serializers.BooleanField(required=False, default=False)
    file = serializers.FileField(max_length=200)


class PhotoView(CapabilityMixin, APIView):
    """POST one photo taken in the app (multipart: key, matter, device_time, file). Stored once in
    the vault under its key; its own time (EXIF) and the phone's time are both kept."""

    capability = "matters.act"
    parser_classes = (MultiPartParser, FormParser)

    @extend_schema(request=PhotoSerializer, responses={200: dict})
    def post(self, request):
        payload = PhotoSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        v = payload.validated_data
        upload = v["file"]
        if upload.size > (RECORDING_MAX if v["recording"] else PHOTO_MAX):
            limit, what = (RECORDING_MAX, "录音录像") if v["recording"] else (PHOTO_MAX, "照片")
            return Response({"detail": f"{what}不能超过{limit // 2**20} MiB。"}, status=status.HTTP_400_BAD_REQUEST)
        seen = SyncItem.objects.filter(user=request.user, key=v["key"]).first()
        if seen is not None:
            return Response(_item(seen, False))
        with tempfile.TemporaryDirectory(prefix="zhifa-field-photo-") as tmp:
            suffix = Path(upload.name).suffix.lower()
            # the extension steers the media probe's format detection
            path = Path(tmp) / ("photo" + (suffix if suffix[1:].isalnum() and len(suffix) <= 6 else ""))
            with path.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            item, created = services.sync_item_apply(
                acting_user=request.user,
                key=v["key"],
                kind="photo",
                device_time=v["device_time"],
                data={"matter": v["matter"], "path": path, "name": upload.name, "title": v["title"],
                      "recording": v["recording"]},
            )
        return Response(_item(item, created))


class TodayView(CapabilityMixin, APIView):
    """The day's work for the phone to cache before leaving: the officer's open inspections and
    their 双随机 tasks, each with the enterprise's file and the pack's 检查表 for its sector."""

    capability = "matters.act"

    @extend_schema(responses={200: dict})
    def get(self, request):
        return Response(selectors.today(viewer=request.user))


class SignatureListView(CapabilityMixin, APIView):
    """The signatures of one 文书, each with whether it still signs the 文书 as it stands."""

    capability = "matters.view"

    @extend_schema(responses={200: dict})
    def get(self, request, pk: int):
        instrument = selectors.instrument_for(viewer=request.user, pk=pk)
        rows = []
        for signature in instrument.signatures.all():
            ok, why = services.signature_verify(signature)
            rows.append(
                {
                    "id": signature.pk,
                    "role": signature.role,
                    "name": signature.name,
                    "refused": signature.refused,
                    "witness": signature.witness,
                    "image": signature.scan_id,
                    "valid": ok,
                    "detail": why,
                }
            )
        return Response({"instrument": instrument.pk, "number": instrument.number, "signatures": rows})

