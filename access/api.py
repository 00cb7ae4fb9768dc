"""API of access under /api/v1/access/: requests, decisions, viewing sessions, copies, posting, the
disc log, exports, the register and long-term keeping marks. Ids resolve through the selectors."""

import tempfile
from pathlib import Path

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.dateparse import parse_date
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from access import selectors, services
from access.choices import Action, KeepReason, Medium, Proceedings, RequesterKind
from access.models import AccessRequest, EvidenceCopy, PresentedDocument, ViewingSession
from matters.selectors import matter_for
from org.models import Staff
from records.models import RecordVersion
from records.selectors import record_for
from zhifa.api import CapabilityMixin


class DocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = PresentedDocument
        fields = ["id", "kind", "sha256", "size", "original_name"]


class SessionSerializer(serializers.ModelSerializer):
    manager_name = serializers.CharField(source="manager.name", read_only=True)

    class Meta:
        model = ViewingSession
        fields = ["id", "manager", "manager_name", "place", "opened_at", "closed_at", "closing_note"]


class CopySerializer(serializers.ModelSerializer):
    record = serializers.IntegerField(source="version.record_id", read_only=True)
    version_number = serializers.IntegerField(source="version.number", read_only=True)
    maker_name = serializers.CharField(source="maker.name", read_only=True)

    class Meta:
        model = EvidenceCopy
        fields = [
            "id",
            "record",
            "version_number",
            "medium",
            "maker_name",
            "extractor",
            "extracted_at",
            "proves",
            "fee",
        ]


class RequestSerializer(serializers.ModelSerializer):
    documents = DocumentSerializer(many=True, read_only=True)
    sessions = SessionSerializer(many=True, read_only=True)
    copies = CopySerializer(many=True, read_only=True)
    records = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    approver = serializers.SerializerMethodField()
    confidential = serializers.SerializerMethodField()

    class Meta:
        model = AccessRequest
        fields = [
            "id",
            "number",
            "requester_kind",
            "action",
            "requester_name",
            "requester_org",
            "purpose",
            "handling_section",
            "matter",
            "records",
            "period_start",
            "period_end",
            "proceedings",
            "state",
            "approver",
            "rule_note",
            "rule_citation",
            "decided_by",
            "decided_at",
            "decision_note",
            "posted_at",
            "posting_note",
            "lent_at",
            "returned_at",
            "return_note",
            "created_at",
            "documents",
            "sessions",
            "copies",
            "confidential",
        ]

    def get_approver(self, obj) -> str:
        return services.approver_label(obj)

    def get_confidential(self, obj) -> list[str]:
        return [
            f"{r.title}：{r.get_confidentiality_display()}，按保密规定管理"
            for r in services.confidential_records(obj)
        ]


class SubmitSerializer(serializers.Serializer):
    requester_kind = serializers.ChoiceField(choices=RequesterKind.choices)
    action = serializers.ChoiceField(choices=Action.choices)
    purpose = serializers.CharField(max_length=300)
    records = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=200
    )
    matter = serializers.IntegerField(required=False, min_value=1)
    period_start = serializers.DateTimeField()
    period_end = serializers.DateTimeField()
    requester_name = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    requester_org = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    requester_id_number = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    proceedings = serializers.ChoiceField(
        choices=Proceedings.choices, required=False, default=Proceedings.NONE
    )
    document_kinds = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, max_length=20
    )
    documents = serializers.ListField(child=serializers.FileField(), required=False, max_length=20)


def _save_uploads(folder: Path, kinds: list[str], files) -> list[services.Presented]:
    if len(kinds) != len(files):
        raise ValidationError("每份材料扫描件都须注明材料名称（document_kinds 与 documents 数量须一致）。")
    out = []
    for i, (kind, upload) in enumerate(zip(kinds, files, strict=True)):
        path = folder / f"doc-{i}"
        with path.open("wb") as fh:
            for chunk in upload.chunks():
                fh.write(chunk)
        out.append(services.Presented(kind=kind, path=path, name=upload.name))
    return out


class RequestListView(CapabilityMixin, APIView):
    capability = "access.request"
    parser_classes = (MultiPartParser, FormParser, JSONParser)

    def get(self, request):
        qs = selectors.request_list(viewer=request.user, state=request.query_params.get("state", ""))[:200]
        return Response(
            [
                {
                    "id": r.pk,
                    "number": r.number,
                    "requester_kind": r.requester_kind,
                    "action": r.action,
                    "requester_name": r.requester_name,
                    "state": r.state,
                    "created_at": r.created_at,
                }
                for r in qs
            ]
        )

    def post(self, request):
        data = request.data
        if hasattr(data, "getlist"):
            data = {
                k: (data.getlist(k) if k in ("records", "document_kinds", "documents") else data.get(k))
                for k in data
            }
        s = SubmitSerializer(data=data)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        records = [_record_in_agency(request.user, pk) for pk in v.get("records", [])]
        matter = (
            matter_for(viewer=request.user, pk=v["matter"], purpose="申请调阅") if v.get("matter") else None
        )
        with tempfile.TemporaryDirectory() as folder:
            docs = _save_uploads(Path(folder), v.get("document_kinds", []), v.get("documents", []))
            created = services.request_submit(
                acting_user=request.user,
                requester_kind=v["requester_kind"],
                action=v["action"],
                purpose=v["purpose"],
                records=records,
                matter=matter,
                period_start=v["period_start"],
                period_end=v["period_end"],
                requester_name=v["requester_name"],
                requester_org=v["requester_org"],
                requester_id_number=v["requester_id_number"],
                proceedings=v["proceedings"],
                documents=docs,
            )
        return Response(RequestSerializer(created).data, status=201)


def _record_in_agency(viewer, pk: int):
    return selectors.record_to_request(viewer=viewer, pk=pk)


class RequestDetailView(CapabilityMixin, APIView):
    capability = "access.request"

    def get(self, request, pk: int):
        return Response(RequestSerializer(selectors.request_for(viewer=request.user, pk=pk)).data)


class DecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class DecisionView(CapabilityMixin, APIView):
    capability = "access.approve"

    def post(self, request, pk: int):
        s = DecisionSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        target = selectors.request_for(viewer=request.user, pk=pk, log=False)
        done = services.request_decide(request=target, acting_user=request.user, **s.validated_data)
        return Response(RequestSerializer(done).data)


class SessionOpenSerializer(serializers.Serializer):
    manager = serializers.IntegerField(required=False, min_value=1)
    place = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class SessionOpenView(CapabilityMixin, APIView):
    capability = "access.manage"

    def post(self, request, pk: int):
        s = SessionOpenSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        target = selectors.request_for(viewer=request.user, pk=pk, log=False)
        manager = request.user
        if s.validated_data.get("manager"):
            manager = Staff.objects.filter(pk=s.validated_data["manager"], agency=request.user.agency).first()
        session = services.session_open(
            request=target, manager=manager, place=s.validated_data["place"], acting_user=request.user
        )
        return Response(SessionSerializer(session).data, status=201)


class SessionCloseView(CapabilityMixin, APIView):
    capability = "access.manage"

    def post(self, request, pk: int):
        session = selectors.session_for(viewer=request.user, pk=pk)
        done = services.session_close(
            session=session, note=request.data.get("note", ""), acting_user=request.user
        )
        return Response(SessionSerializer(done).data)


class SessionRecordView(CapabilityMixin, APIView):
    """A record viewed inside a session: its metadata (the content is served inline by the page)."""

    capability = "access.request"

    def get(self, request, pk: int, record: int):
        session = selectors.session_for(viewer=request.user, pk=pk)
        rec, version = selectors.session_view(viewer=request.user, session=session, record_pk=record)
        return Response(
            {
                "id": rec.pk,
                "title": rec.title,
                "kind": rec.kind,
                "section": rec.section.name,
                "confidentiality": rec.get_confidentiality_display(),
                "version": version.number if version else None,
                "sha256": version.sha256 if version else None,
                "media": version.media if version else {},
                "download": False,
                "destroyed": rec.destroyed,
            }
        )


class CopyInputSerializer(serializers.Serializer):
    record = serializers.IntegerField(min_value=1)
    version = serializers.IntegerField(min_value=1, required=False)
    medium = serializers.ChoiceField(choices=Medium.choices)
    extractor = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    extracted_at = serializers.DateTimeField()
    proves = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    fee = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0, required=False, default=0)


class CopyView(CapabilityMixin, APIView):
    capability = "access.manage"

    def post(self, request, pk: int):
        s = CopyInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        target = selectors.request_for(viewer=request.user, pk=pk, log=False)
        record = target.records.filter(pk=v["record"]).first()
        if record is None:
            raise ValidationError("该记录不在批准的调阅范围内。")
        versions = RecordVersion.objects.filter(record=record).order_by("-number")
        version = versions.filter(number=v["version"]).first() if v.get("version") else versions.first()
        if version is None:
            raise Http404("该记录没有这个版本。")
        copy = services.copy_make(
            request=target,
            version=version,
            medium=v["medium"],
            extractor=v["extractor"],
            extracted_at=v["extracted_at"],
            proves=v["proves"],
            fee=v["fee"],
            acting_user=request.user,
        )
        return Response(CopySerializer(copy).data, status=201)


class PostView(CapabilityMixin, APIView):
    capability = "access.manage"

    def post(self, request, pk: int):
        target = selectors.request_for(viewer=request.user, pk=pk, log=False)
        done = services.request_post(
            request=target, note=request.data.get("note", ""), acting_user=request.user
        )
        return Response(RequestSerializer(done).data)


class DiscLogSerializer(serializers.Serializer):
    place = serializers.CharField(max_length=200)
    signers = serializers.ListField(child=serializers.CharField(max_length=30), max_length=30)


class DiscLogView(CapabilityMixin, APIView):
    capability = "access.sign_disc_log"

    def post(self, request, pk: int):
        s = DiscLogSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        target = selectors.request_for(viewer=request.user, pk=pk, log=False)
        log = services.disc_log_sign(request=target, acting_user=request.user, **s.validated_data)
        return Response(
            {
                "id": log.pk,
                "place": log.place,
                "signers": log.signers,
                "approved_by": log.approved_by.name,
                "approved_at": log.approved_at,
            },
            status=201,
        )


class KeepMarkSerializer(serializers.Serializer):
    record = serializers.IntegerField(min_value=1)
    reason = serializers.ChoiceField(choices=KeepReason.choices)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class KeepMarkView(CapabilityMixin, APIView):
    capability = "access.keep_mark"

    def post(self, request):
        s = KeepMarkSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        record = record_for(viewer=request.user, pk=s.validated_data["record"])
        mark = services.keep_mark(
            record=record,
            reason=s.validated_data["reason"],
            note=s.validated_data["note"],
            acting_user=request.user,
        )
        return Response(
            {
                "id": mark.pk,
                "record": record.pk,
                "reason": mark.reason,
                "reason_label": mark.get_reason_display(),
                "marked_at": mark.marked_at,
            },
            status=201,
        )


class RegisterView(CapabilityMixin, APIView):
    capability = "access.register"

    def get(self, request):
        q = request.query_params
        since = parse_date(q["since"]) if q.get("since") else None
        until = parse_date(q["until"]) if q.get("until") else None
        selectors.register_read_log(viewer=request.user, fmt="api", filters={"kind": q.get("kind", "")[:40],
                                    "number": q.get("number", "")[:20], "since": since, "until": until})
        lines = selectors.register_lines(
            viewer=request.user, kind=q.get("kind", ""), number=q.get("number", ""), since=since, until=until
        )[:1000]
        return Response(
            [
                {
                    "index": e.index,
                    "ledger": "已入账" if e.integrated else "待入账",
                    "time": e.created_at,
                    "kind": e.kind,
                    "label": selectors.REGISTER_KINDS[e.kind],
                    "actor": e.actor.name if e.actor else "系统",
                    "subject": f"{e.subject_type}:{e.subject_id}",
                    "data": e.data,
                }
                for e in lines
            ]
        )


class ExportView(CapabilityMixin, APIView):
    """Write the evidence package (bag and ISO) into the data folder; the ISO's SHA-256 goes into
    the register."""

    capability = "access.manage"

    def post(self, request, pk: int):
        from django.conf import settings

        target = selectors.request_for(viewer=request.user, pk=pk, log=False)
        export, result = services.request_export(
            request=target, out_dir=Path(settings.DATA_DIR) / "exports", acting_user=request.user
        )
        return Response(
            {"package_number": export.package_number, "iso_sha256": export.iso_sha256, "iso_size": export.iso_size,
             "files": export.files, "checkpoint_size": export.checkpoint_size, "bag_path": str(result.bag_path),
             "iso_path": str(result.iso_path)},
            status=201,
        )


class LoanSerializer(serializers.Serializer):
    returned = serializers.BooleanField(default=False)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class LoanView(CapabilityMixin, APIView):
    """借出 (returned=false) or 归还 (returned=true) of an approved loan."""

    capability = "access.manage"

    def post(self, request, pk: int):
        s = LoanSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        target = selectors.request_for(viewer=request.user, pk=pk, log=False)
        if s.validated_data["returned"]:
            done = services.loan_return(request=target, note=s.validated_data["note"], acting_user=request.user)
        else:
            done = services.loan_out(request=target, acting_user=request.user)
        return Response(RequestSerializer(done).data)
