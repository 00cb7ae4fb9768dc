from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from equipment.models import Device
from org.models import Section
from records import selectors, services, uploads
from records.choices import Confidentiality, RecordKind, ReturnKind, Source
from records.models import DuplicateDelivery, Record, RecordVersion
from utilities.bounds import ID_MAX
from zhifa.api import CapabilityMixin


class DuplicateList(serializers.ListSerializer):
    def get_attribute(self, instance):
        if getattr(instance, "has_duplicates", None) is False:  # annotated (selectors.record_detail): none
            return []
        return super().get_attribute(instance)


class DuplicateSerializer(serializers.ModelSerializer):
    device = serializers.SlugRelatedField(slug_field="serial", read_only=True)

    class Meta:
        list_serializer_class = DuplicateList
        model = DuplicateDelivery
        fields = ["name", "source", "device", "dock_time", "delivered_by", "delivered_at"]


class VersionSerializer(serializers.ModelSerializer):
    superseded = serializers.SerializerMethodField()
    duplicates = DuplicateSerializer(many=True, read_only=True)

    class Meta:
        model = RecordVersion
        fields = [
            "number",
            "supersedes",
            "superseded",
            "reason",
            "sha256",
            "size",
            "original_name",
            "format",
            "media",
            "readable",
            "problem",
            "recorded_start",
            "recorded_end",
            "time_source",
            "dock_time",
            "clock_reference",
            "clock_offset",
            "duplicates",
            "source",
            "filed_by",
            "filed_at",
            "stored_at",
            "filing_deadline",
            "late",
            "findings",
        ]

    def get_superseded(self, obj) -> bool:
        known = getattr(obj, "is_superseded", None)  # annotated by selectors.record_detail
        return hasattr(obj, "superseded_by") if known is None else known


class RecordSerializer(serializers.ModelSerializer):
    versions = VersionSerializer(many=True, read_only=True)

    class Meta:
        model = Record
        fields = [
            "id",
            "kind",
            "title",
            "section",
            "party",
            "device",
            "officers",
            "confidentiality",
            "created_by",
            "created_at",
            "versions",
        ]


# DRF builds a ModelSerializer's fields from the model each time one is made (most of the detail's
# serializing: 2.4 ms against 0.4 ms for a record of three versions); the detail's fields take
# nothing from the request (no context), so one instance, its fields bound once, serves every
# request. to_representation keeps no state.
_DETAIL = RecordSerializer()


class RecordUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    title = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    kind = serializers.ChoiceField(choices=RecordKind.choices, required=False)
    section = serializers.PrimaryKeyRelatedField(queryset=Section.objects.all(), required=False)
    device = serializers.SlugRelatedField(
        slug_field="serial", queryset=Device.objects.all(), required=False, allow_null=True
    )
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices, default=Confidentiality.NORMAL)


class HistoryEntrySerializer(serializers.Serializer):
    """One ledger event about a record, as the history endpoint lists it."""

    index = serializers.IntegerField(allow_null=True, help_text="台账序号；待入账时为空")
    ledger = serializers.CharField(help_text="入账状态：已入账，或待入账（入账后才有序号和证明）")
    kind = serializers.CharField(help_text="事件类型")
    time = serializers.DateTimeField()
    actor = serializers.CharField(allow_null=True, help_text="操作人；系统操作为空")
    data = serializers.DictField(help_text="事件内容")


class HistoryPageSerializer(serializers.Serializer):
    """One page of a record's ledger history: the newest events first paged, each page oldest first."""

    count = serializers.IntegerField(help_text="该记录台账历史的事件总数")
    next = serializers.URLField(allow_null=True, help_text="更早一页的链接（?events_before=…）；已到最早的事件时为空")
    results = HistoryEntrySerializer(many=True)


HISTORY_PAGE = 100  # as the record page: the newest 100 (a record read daily gathers thousands of reads)
HISTORY_PAGE_MAX = 1000


def _history_param(request, name: str, *, default: int | None, high: int, what: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 19 and 1 <= int(raw) <= high):
        raise ValidationError(f"{name}{what}应为 1 到 {high} 的整数，收到“{raw[:30]}”。")
    return int(raw)


class RecordViewSet(CapabilityMixin, viewsets.ReadOnlyModelViewSet):
    capability = "records.view"
    capabilities = {"create": "records.file"}
    serializer_class = RecordSerializer
    parser_classes = (MultiPartParser,)

    def get_queryset(self):
        return selectors.record_list(
            viewer=self.request.user, query=self.request.query_params.get("q", "")
        ).prefetch_related("versions", "versions__duplicates__device", "officers")

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        shown = [Record(pk=item["id"]) for item in response.data.get("results", [])]
        selectors.record_list_logged(viewer=request.user, records=shown, purpose="接口列表查询")
        return response

    def retrieve(self, request, pk=None):
        record = selectors.record_detail(
            viewer=request.user, pk=int(pk), purpose=request.query_params.get("purpose") or "接口查看"
        )
        return Response(_DETAIL.to_representation(record))

    @extend_schema(
        request={"multipart/form-data": RecordUploadSerializer},
        responses={201: RecordSerializer},
        summary="上传文件并登记为执法记录",
    )
    def create(self, request):
        data = RecordUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        upload = fields.pop("file")
        section = fields.pop("section", None) or request.user.section
        if section is None:
            raise ValidationError("请指定承办科室。")
        with uploads.delivered_file(upload) as path:
            result = services.record_ingest(
                acting_user=request.user,
                section=section,
                path=path,
                original_name=upload.name,
                source=Source.API,
                **fields,
            )
        return _stored(result.version, result.created, upload.name)

    @extend_schema(
        parameters=[OpenApiParameter("purpose", str, required=True, description="用途（记入调阅记录）")],
        responses={(200, "application/octet-stream"): bytes},
        summary="下载某版本的文件",
    )
    @action(detail=True, methods=["get"], url_path="versions/<int:number>/content")
    def content(self, request, pk=None, number=None):
        version, stream = selectors.version_download(
            viewer=request.user,
            record_pk=int(pk),
            number=int(number),
            purpose=request.query_params.get("purpose", ""),
        )
        return FileResponse(stream, as_attachment=True, filename=version.original_name.replace("／", "_"))

    @extend_schema(
        parameters=[
            OpenApiParameter("limit", int, description=f"每页事件数，默认{HISTORY_PAGE}，最多{HISTORY_PAGE_MAX}"),
            OpenApiParameter("events_before", int, description="只列此事件之前的事件（取自上一页的 next 链接）"),
        ],
        responses=HistoryPageSerializer,
        summary="记录的台账历史（最新的事件在第一页，每页按时间先后排列；每次读取记入台账）",
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request, pk=None):
        limit = _history_param(request, "limit", default=HISTORY_PAGE, high=HISTORY_PAGE_MAX, what="（每页事件数）")
        before = _history_param(request, "events_before", default=None, high=ID_MAX, what="（事件编号）")
        events, count, more = selectors.record_history(viewer=request.user, pk=int(pk), before=before, limit=limit)
        following = None
        if more:
            query = {"events_before": events[0].pk} | ({"limit": limit} if limit != HISTORY_PAGE else {})
            following = request.build_absolute_uri(f"{request.path}?{urlencode(query)}")
        rows = [
            {
                "index": e.index,
                "ledger": "已入账" if e.integrated else "待入账",
                "kind": e.kind,
                "time": e.created_at,
                "actor": e.actor.name if e.actor else None,
                "data": e.data,
            }
            for e in events
        ]
        return Response({"count": count, "next": following, "results": rows})


class OctetStreamParser(BaseParser):
    """Upload pieces arrive as raw bytes; the view streams them from the request."""

    media_type = "application/offset+octet-stream"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream


class UploadStartSerializer(serializers.Serializer):
    file_name = serializers.CharField(max_length=255)
    size = serializers.IntegerField(min_value=0, max_value=ID_MAX)
    section = serializers.PrimaryKeyRelatedField(queryset=Section.objects.all(), required=False)


class UploadFinishSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    kind = serializers.ChoiceField(choices=RecordKind.choices, required=False)
    device = serializers.SlugRelatedField(
        slug_field="serial", queryset=Device.objects.all(), required=False, allow_null=True
    )
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices, default=Confidentiality.NORMAL)


class UploadStateSerializer(serializers.Serializer):
    """Where a resumable upload stands."""

    id = serializers.UUIDField()
    file_name = serializers.CharField()
    size = serializers.IntegerField(help_text="文件总字节数")
    received = serializers.IntegerField(help_text="已接收字节数（续传位置）")
    record = serializers.IntegerField(allow_null=True, help_text="完成后登记的记录编号")


def _upload_state(upload) -> dict:
    return {
        "id": str(upload.pk),
        "file_name": upload.file_name,
        "size": upload.size,
        "received": upload.received,
        "record": upload.version.record_id if upload.version_id else None,
    }


class UploadStartView(CapabilityMixin, APIView):
    capability = "records.file"

    @extend_schema(request=UploadStartSerializer, responses={201: UploadStateSerializer}, summary="开始可续传上传")
    def post(self, request):
        data = UploadStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        section = data.validated_data.get("section") or request.user.section
        if section is None:
            raise ValidationError("请指定承办科室。")
        upload = uploads.upload_start(
            acting_user=request.user,
            section=section,
            file_name=data.validated_data["file_name"],
            size=data.validated_data["size"],
        )
        return Response(_upload_state(upload), status=201)


class UploadView(CapabilityMixin, APIView):
    """GET where to resume; PATCH a piece (header Upload-Offset, body the bytes)."""

    capability = "records.file"
    parser_classes = (OctetStreamParser,)

    def _get(self, request, pk):
        try:
            return uploads.upload_for(viewer=request.user, pk=pk)
        except (uploads.Upload.DoesNotExist, ValidationError):
            raise PermissionDenied("您没有权限访问该上传会话：它不存在，或不是您发起的。") from None

    @extend_schema(responses=UploadStateSerializer, summary="查询已接收字节数（续传位置）")
    def get(self, request, pk):
        upload = self._get(request, pk)
        state = _upload_state(upload)
        if settings.ZHIFA_BROKER_URL and not upload.version_id:
            from zhifa.tasks import upload_finish, upload_task_id

            outcome = upload_finish.AsyncResult(upload_task_id(upload.pk))
            if outcome.ready() and isinstance(outcome.result, dict) and outcome.result.get("error"):
                state["error"] = outcome.result["error"]
        return Response(state)

    @extend_schema(
        request={"application/offset+octet-stream": bytes}, responses=UploadStateSerializer, summary="上传一段数据"
    )
    def patch(self, request, pk):
        upload = self._get(request, pk)
        try:
            offset = int(request.headers.get("Upload-Offset", ""))
            length = int(request.headers.get("Content-Length", ""))
        except ValueError:
            raise ValidationError("缺少 Upload-Offset 或 Content-Length 请求头。") from None
        upload = uploads.upload_append(upload=upload, offset=offset, stream=request, length=length)
        return Response(_upload_state(upload))


class UploadFinishView(UploadView):
    parser_classes = APIView.parser_classes

    @extend_schema(
        request=UploadFinishSerializer, responses={201: RecordSerializer}, summary="完成上传并登记为执法记录"
    )
    def post(self, request, pk):
        upload = self._get(request, pk)
        data = UploadFinishSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if settings.ZHIFA_BROKER_URL and not upload.version_id:
            return _finish_queued(request, upload, data.validated_data)
        version, created = uploads.upload_finish(
            acting_user=request.user, upload=upload, source=Source.UPLOAD, **data.validated_data
        )
        return _stored(version, created, upload.file_name)


def _finish_queued(request, upload, fields: dict) -> Response:
    """With a task queue, a worker probes and files the upload (zhifa.tasks.upload_finish): the
    answer is 202 with the upload's state; its `record` is set once filed, `error` if refused."""
    from zhifa.tasks import upload_finish, upload_task_id

    if upload.received != upload.size:
        raise ValidationError(f"文件尚未上传完整（{upload.received}/{upload.size} 字节）。")
    fields = dict(fields)
    if fields.get("device") is not None:
        fields["device"] = fields["device"].serial
    upload_finish.apply_async(args=[str(upload.pk), request.user.pk, fields], task_id=upload_task_id(upload.pk))
    state = _upload_state(upload)
    state["message"] = "文件已上传完整，正在检测并存储，完成后“record”即为登记的记录编号。"
    return Response(state, status=202)


class FieldReturnSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    officer = serializers.IntegerField(required=False, allow_null=True, help_text="执法人员（不填为本人）")
    kind = serializers.ChoiceField(choices=ReturnKind.choices, help_text="连续工作、异地执法或偏远地区执法")
    away_from = serializers.DateTimeField(help_text="外出执法开始时间")
    returned_at = serializers.DateTimeField(help_text="返回单位时间；音像记录自此起算存储期限")
    place = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


def _field_return_out(back) -> dict:
    return {
        "id": back.pk,
        "officer": back.officer_id,
        "kind": back.kind,
        "away_from": back.away_from.isoformat(),
        "returned_at": back.returned_at.isoformat(),
        "place": back.place,
        "note": back.note,
    }


class FieldReturnView(CapabilityMixin, APIView):
    """返回单位登记 (000 执法音像记录管理制度第十四条; 003 附件3第六条; 002 二（二）4（1））."""

    capability = "records.view"

    @extend_schema(responses=FieldReturnSerializer(many=True), summary="返回单位登记（可查看的）")
    def get(self, request):
        rows = selectors.field_return_list(viewer=request.user)[:200]
        return Response([_field_return_out(b) for b in rows])

    @extend_schema(
        request=FieldReturnSerializer,
        responses={201: FieldReturnSerializer},
        summary="登记连续工作、异地或偏远地区执法后返回单位的时间（音像记录存储期限自返回起算）",
    )
    def post(self, request):
        from org.models import Staff

        body = FieldReturnSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        v = dict(body.validated_data)
        officer = None
        if v.pop("officer", None):
            officer = Staff.objects.filter(agency_id=request.user.agency_id, pk=body.validated_data["officer"]).first()
            if officer is None:
                raise ValidationError("本单位没有这名执法人员。")
        back = services.field_return_record(acting_user=request.user, officer=officer, **v)
        return Response(_field_return_out(back), status=201)



def _stored(version, created: bool, name: str) -> Response:
    """The record an upload made, or found: the same bytes uploaded again (200) say so, with the
    name they came under (kept on the record as a DuplicateDelivery when it is a new name)."""
    data = dict(RecordSerializer(version.record).data)
    if not created:
        name = services.clean_file_name(name)
        kept = "文件名与原文件相同。" if name == version.original_name else f"新文件名“{name}”已记入该记录。"
        data["already_stored"] = {
            "name": name,
            "version": version.number,
            "message": f"该文件的内容与记录 #{version.record_id}（第{version.number}版）完全相同，此前已经存储，"
            f"本次未重复存储；{kept}",
        }
    return Response(data, status=201 if created else 200)
