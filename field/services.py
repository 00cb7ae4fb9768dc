"""Writes of field work: 检查码 issue and rating, the 文书 verification code and its checks.

Each service runs in one transaction with its ledger event.
"""

import hashlib
import json
import re
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from field.choices import RatingScore, SyncState
from field.models import InspectionCode, InspectionRating, InstrumentCheck, SignatureBinding
from ledger.services import event_record
from matters.choices import MatterKind
from org.permissions import require
from policy.selectors import agency_rules

RATING_COMMENT_MAX = 500
SHA256 = re.compile(r"^[0-9a-f]{64}$")
# A 文书 PDF is some hundreds of KiB; the public check hashes no more than this.
CHECK_FILE_MAX = 50 * 2**20
# The steps after which an inspection has taken place and the enterprise may rate it.
INSPECTED_STEPS = ("inspect",)


@transaction.atomic
def inspection_code_issue(*, matter, acting_user) -> InspectionCode:
    """The 检查码 of an inspection matter: made once, before the inspection starts (扫码入企, 国办发
    〔2024〕54号). Returns the existing code when the matter has one.

    Raises ValidationError (not an inspection, or already inspected) or PermissionDenied.
    """
    if acting_user is not None:
        require(acting_user, "matters.act", agency=matter.agency)
    existing = InspectionCode.objects.filter(matter=matter).first()
    if existing is not None:
        return existing
    if matter.kind != MatterKind.INSPECTION:
        raise ValidationError("只有行政检查事项才生成检查码。")
    if matter.closed_at is not None or matter.steps.filter(transition__in=INSPECTED_STEPS).exists():
        raise ValidationError("检查码须在检查开始前生成；该检查已经实施，不能再补发检查码。")
    code = InspectionCode.objects.create(
        matter=matter,
        token=secrets.token_urlsafe(32),
        issued_by=acting_user or matter.opened_by,
        issued_at=timezone.now(),
    )
    event_record(
        kind="inspection_code.issue",
        subject=code,
        acting_user=acting_user,
        agency=matter.agency,
        data={"matter": matter.pk},
    )
    return code


@transaction.atomic
def inspection_rate(*, code: InspectionCode, score, comment: str = "") -> InspectionRating:
    """The enterprise's rating of an inspection, once, after the inspection took place. Given on the
    portal by whoever holds the 检查码 (the enterprise it was shown to); it goes to supervision.

    Raises ValidationError (Chinese) and changes nothing on bad input.
    """
    try:
        score = int(score)
    except (TypeError, ValueError):
        raise ValidationError("请选择评价等级（1至5）。") from None
    if score not in RatingScore.values:
        raise ValidationError("评价等级只能是1至5。")
    comment = (comment or "").strip()
    if len(comment) > RATING_COMMENT_MAX:
        raise ValidationError(f"意见不能超过{RATING_COMMENT_MAX}字。")
    code = InspectionCode.objects.select_for_update().select_related("matter__agency").get(pk=code.pk)
    if not code.matter.steps.filter(transition__in=INSPECTED_STEPS).exists():
        raise ValidationError("检查尚未实施，实施现场检查后才能评价。")
    if InspectionRating.objects.filter(code=code).exists():
        raise ValidationError("本次检查已经评价过，每次检查只能评价一次。如有问题，请向执法监督机构反映。")
    rating = InspectionRating.objects.create(code=code, score=score, comment=comment, rated_at=timezone.now())
    event_record(
        kind="inspection_rating.create",
        subject=rating,
        agency=code.matter.agency,
        data={"matter": code.matter_id, "score": score, "comment": comment},
    )
    return rating


def inspection_code_viewed(*, code: InspectionCode) -> None:
    """A scan of the 检查码 reads the inspection's metadata on the portal: a ledger event."""
    with transaction.atomic():
        event_record(
            kind="inspection_code.view", subject=code, agency=code.matter.agency, data={"matter": code.matter_id}
        )


# --- 文书 verification ---------------------------------------------------------------------------------


def check_token(identifier: str) -> str:
    """The verification token of a 文书: the random part of the identifier its files carry
    (`zhifa-instrument-<USCC>-<uuid4 hex>`), known before the PDF is drawn."""
    return identifier.rsplit("-", 1)[-1]


@transaction.atomic
def instrument_check_register(*, instrument, identifier: str) -> InstrumentCheck:
    """Register the token printed in the 文书's QR code, in the transaction that issues it."""
    check = InstrumentCheck.objects.create(instrument=instrument, token=check_token(identifier))
    event_record(
        kind="instrument.check_register",
        subject=check,
        agency=instrument.agency,
        acting_user=instrument.issued_by,
        data={"instrument": instrument.pk, "number": instrument.number},
    )
    return check


def sha256_of(upload) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    return digest.hexdigest()


def presented_hash(*, upload=None, pasted: str = "") -> str:
    """The SHA-256 of the copy in hand: an uploaded file's, or one pasted (64 hexadecimal digits)."""
    if upload is not None:
        if upload.size > CHECK_FILE_MAX:
            raise ValidationError(f"文件超过{CHECK_FILE_MAX // 2**20} MiB，不是本平台制作的文书PDF；请改为粘贴其SHA-256值。")
        return sha256_of(upload)
    text = (pasted or "").strip().lower()
    if not text:
        raise ValidationError("请上传手中的文书PDF文件，或粘贴其SHA-256值。")
    if not SHA256.match(text):
        raise ValidationError("SHA-256值应为64位十六进制字符（0-9、a-f）。")
    return text


@transaction.atomic
def instrument_check_record(*, check: InstrumentCheck, sha256: str | None) -> dict:
    """A look at a 文书's verification page, with or without a copy to compare: a ledger event of
    what was asked and answered. Returns the answer: whether the copy is the one issued."""
    from field.selectors import issued_sha256

    issued = issued_sha256(check.instrument)
    match = None if sha256 is None else sha256 == issued
    event_record(
        kind="instrument.check",
        subject=check,
        agency=check.instrument.agency,
        data={"instrument": check.instrument_id, "presented": sha256, "match": match},
    )
    return {"issued": issued, "presented": sha256, "match": match}


# --- signatures on the spot ----------------------------------------------------------------------------

SIGNATURE_IMAGE_MAX = 2 * 2**20  # a signature drawn on a phone is some tens of KiB
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def instrument_digest(instrument) -> str:
    """SHA-256 of exactly what a signer signs: the 文书's issuer, kind, number and content, as
    canonical JSON (keys sorted, no spaces, UTF-8)."""
    payload = {
        "agency": instrument.agency.uscc,
        "type": instrument.type,
        "title": instrument.title,
        "number": instrument.number,
        "content": instrument.content,
    }
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def instrument_pdf_sha256(instrument) -> str:
    """The SHA-256 of the 文书's PDF as it stands (its latest version)."""
    if instrument.pdf_id is None:
        return ""
    latest = instrument.pdf.versions.order_by("-number").first()
    return latest.sha256 if latest else ""


def _signature_image(data: bytes | None, *, label: str) -> bytes:
    """A signature image: a PNG, bounded, that decodes, with ink on it."""
    from io import BytesIO

    from PIL import Image, ImageChops, UnidentifiedImageError

    if not data:
        raise ValidationError(f"请{label}在屏幕上签名。")
    if len(data) > SIGNATURE_IMAGE_MAX:
        raise ValidationError(f"签名图片不能超过{SIGNATURE_IMAGE_MAX // 2**20} MiB。")
    if not data.startswith(PNG_MAGIC):
        raise ValidationError("签名图片须为PNG格式。")
    try:
        with Image.open(BytesIO(data)) as image:
            image.load()
            if image.width > 4000 or image.height > 4000:
                raise ValidationError("签名图片尺寸过大（不超过4000×4000像素）。")
            lum, alpha = image.convert("LA").split()
            dark = lum.point(lambda v: 255 if v < 160 else 0)
            opaque = alpha.point(lambda v: 255 if v > 0 else 0)
            inked = ImageChops.multiply(dark, opaque).getbbox() is not None
    except (UnidentifiedImageError, OSError, ValueError):
        raise ValidationError("签名图片无法识别，请重新签名。") from None
    if not inked:
        raise ValidationError(f"签名为空白，请{label}在屏幕上签名。")
    return data


@transaction.atomic
def signature_capture(
    *,
    instrument,
    role: str,
    name: str,
    signed_at,
    image: bytes | None = None,
    refused: bool = False,
    refusal_reason: str = "",
    witness: str = "",
    acting_user,
):
    """A signature drawn on the screen on the spot, or a refusal to sign before a witness.

    The image (the signer's, or for a refusal the witness's) goes into the vault on the matters
    Signature (matters.instruments.signature_record, with its `instrument.sign` event); the binding
    to the SHA-256 of the 文书's content and PDF as they stand is stored with a `signature.bind` event.
    Raises ValidationError (Chinese) or PermissionDenied; nothing changes on a refusal.
    """
    import tempfile
    from pathlib import Path

    from matters.instruments import signature_record

    now = timezone.now()
    if signed_at is None:
        raise ValidationError("请提供签名时间。")
    if signed_at > now + timedelta(minutes=5):
        raise ValidationError("签名时间晚于现在：请核对设备时间。")
    if signed_at < instrument.issued_at - timedelta(minutes=5):
        raise ValidationError("签名时间早于文书制作时间：须先制作文书、后签名。")
    data = _signature_image(image, label="见证人" if refused else "签名人")
    with tempfile.TemporaryDirectory(prefix="zhifa-signature-") as tmp:
        path = Path(tmp) / "signature.png"
        path.write_bytes(data)
        signature = signature_record(
            instrument=instrument,
            role=role,
            name=name,
            signed_on=timezone.localtime(signed_at).date(),
            refused=refused,
            refusal_reason=refusal_reason,
            witness=witness,
            scan_path=path,
            acting_user=acting_user,
        )
    binding = SignatureBinding.objects.create(
        signature=signature,
        content_sha256=instrument_digest(instrument),
        pdf_sha256=instrument_pdf_sha256(instrument),
        signed_at=signed_at,
    )
    event_record(
        kind="signature.bind",
        subject=binding,
        acting_user=acting_user,
        agency=instrument.agency,
        data={
            "signature": signature.pk,
            "instrument": instrument.pk,
            "content_sha256": binding.content_sha256,
            "pdf_sha256": binding.pdf_sha256,
            "image": signature.scan_id,
            "signed_at": signed_at.isoformat(),
        },
    )
    return signature


def signature_verify(signature) -> tuple[bool, str]:
    """Whether a signature still signs its 文书: the 文书's content and PDF are those it was bound to."""
    binding = SignatureBinding.objects.filter(signature=signature).first()
    if binding is None:
        return False, "该签名不是现场电子签名，没有绑定文书摘要，请核对纸质签名页。"
    instrument = signature.instrument
    if binding.content_sha256 != instrument_digest(instrument):
        return False, "文书内容在签名后已改变，原签名不再有效，须由签名人对现文书重新签名。"
    if binding.pdf_sha256 != instrument_pdf_sha256(instrument):
        return False, "文书PDF在签名后已更正，原签名不再有效，须由签名人对现文书重新签名。"
    return True, "签名与所签文书一致。"


# --- offline sync ---------------------------------------------------------------------------------------

# Said on each step recorded from the phone's queue: it was done on site and sent when signal returned.
OFFLINE_REASON = "现场离线办理，恢复网络后自动同步（以设备记录的办理时间为准）"
SYNC_KINDS = ("photo", "inspect", "hazard", "order", "signature", "start")


def _synced(acting_user, key: str, kind: str):
    """An earlier item of this user under `key`: a photo a hazard shows, the inspection whose record
    is signed. Only applied items count."""
    from field.models import SyncItem

    item = SyncItem.objects.filter(user=acting_user, key=key, state=SyncState.APPLIED).first()
    if item is None or item.kind != kind:
        raise ValidationError(f"所引用的离线记录（{key}）尚未同步或同步未成功，请先处理该记录。")
    return item


def _matter(acting_user, pk):
    from matters.selectors import matter_for

    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise ValidationError("缺少执法事项编号。") from None
    from django.http import Http404

    try:
        return matter_for(viewer=acting_user, pk=pk, read=False)
    except Http404:
        raise ValidationError("没有这个执法事项，或它不属于本单位。") from None


def _record_of(acting_user, key: str):
    from records.models import Record

    return Record.objects.get(pk=_synced(acting_user, key, "photo").result["record"])


def _apply_photo(acting_user, data: dict, device_time) -> dict:
    from PIL import Image, UnidentifiedImageError

    from records.choices import RecordKind
    from records.services import record_ingest

    matter = _matter(acting_user, data.get("matter"))
    path = data["path"]
    recording = data.get("recording") in (True, "1", "true")
    if recording:  # a recording made in the app: sound or video that plays, else refused before it is stored
        from records.media import probe

        info = probe(path)
        if info.kind not in (RecordKind.VIDEO, RecordKind.AUDIO) or not info.readable:
            raise ValidationError("上传的文件不是可播放的录音或录像，未存储。请重新录制。")
    else:
        try:  # a photo taken in the app is a picture that decodes; anything else is refused, not stored
            with Image.open(path) as image:
                image.verify()
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            raise ValidationError("上传的文件不是可识别的照片（JPEG、PNG等），未存储。请重新拍照。") from None
    version = record_ingest(
        acting_user=acting_user,
        section=matter.section,
        path=path,
        original_name=data.get("name") or "现场照片.jpg",
        title=(data.get("title") or ("现场录音录像" if recording else "现场照片"))[:100],
        # a photo is a picture; a recording made in the app (the pack may require one) is what its
        # content says, and it must be sound or video
        kind=info.kind if recording else RecordKind.PHOTO,
        officers=list(matter.officers.all()),
        party=matter.party,
        confidentiality=matter.confidentiality,
    ).version
    return {
        "record": version.record_id,
        "sha256": version.sha256,
        # the photo's own time (EXIF when the file has one) beside the phone's time of the item
        "taken_at": version.recorded_start.isoformat() if version.recorded_start else None,
        "time_source": version.time_source,
        "matter": matter.pk,
    }


def _apply_inspect(acting_user, data: dict, device_time) -> dict:
    from matters.services import matter_transition

    matter = _matter(acting_user, data.get("matter"))
    photos = [_record_of(acting_user, k) for k in (data.get("photos") or [])[:50]]
    step = matter_transition(
        acting_user=acting_user,
        matter=matter,
        transition="inspect",
        officers=list(matter.officers.all()),
        records=photos,
        data={
            "place": data.get("place", ""),
            "time": device_time,
            "findings": data.get("findings", ""),
            "hazards": "",
        },
        occurred_at=device_time,
        late_reason=OFFLINE_REASON,
        # the officer's answer where the pack records a step only when it may give rise to a dispute
        disputed={"yes": True, "no": False}.get(str(data.get("disputed", ""))),
    )
    instrument = step.instruments.first()
    return {
        "matter": matter.pk,
        "step": step.pk,
        "instrument": instrument.pk if instrument else None,
        "number": instrument.number if instrument else "",
    }


def _apply_hazard(acting_user, data: dict, device_time) -> dict:
    from matters.hazards import hazard_record

    matter = _matter(acting_user, data.get("matter"))
    photo = _record_of(acting_user, data["photo"]) if data.get("photo") else None
    rectify_by = _date(data["rectify_by"], "整改期限") if data.get("rectify_by") else None
    hazard = hazard_record(
        acting_user=acting_user,
        matter=matter,
        description=data.get("description", ""),
        location=data.get("location", ""),
        photo=photo,
        rule_broken=data.get("rule_broken", ""),
        article=data.get("article", ""),
        rectify_by=rectify_by,
    )
    return {"matter": matter.pk, "hazard": hazard.pk}


def _date(value, label: str):
    from datetime import date

    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(f"{label}格式不正确（应为YYYY-MM-DD）。") from None


def _apply_order(acting_user, data: dict, device_time) -> dict:
    """责令限期整改指令书 made on site (001 第七条): served on the spot, the party signing the 送达回执 on
    the screen (that image, uploaded first as a photo item, is the receipt); or, with `serve: later`,
    made now and served afterwards (电子送达 from the app where the party agreed to it). `records` are
    the keys of recordings made on site that cover the step (the pack's recording list may ask one)."""
    from matters.services import ServiceInput, matter_transition

    matter = _matter(acting_user, data.get("matter"))
    later = data.get("serve") == "later"
    if not later and not data.get("receipt"):
        raise ValidationError("当场送达须有受送达人在送达回执上的签名；不当场送达的，请选择“稍后电子送达”。")
    receipt = None if later else _record_of(acting_user, data["receipt"])
    recordings = [_record_of(acting_user, k) for k in (data.get("records") or [])[:50]]
    step = matter_transition(
        acting_user=acting_user,
        matter=matter,
        transition="order_rectification",
        data={"basis": data.get("basis", ""), "rectify_by": _date(data.get("rectify_by"), "整改期限")},
        records=([receipt] if receipt else []) + recordings,
        service=None if later else ServiceInput(
            "direct",
            recipient=str(data.get("recipient", "")),
            served_at=device_time,
            place=str(data.get("place", "")),
            signer=str(data.get("signer", "")),
            receipt=receipt,
        ),
        occurred_at=device_time,
        late_reason=OFFLINE_REASON,
    )
    instrument = step.instruments.first()
    return {"matter": matter.pk, "step": step.pk, "instrument": instrument.pk if instrument else None,
            "number": instrument.number if instrument else ""}


def _apply_signature(acting_user, data: dict, device_time) -> dict:
    import base64
    import binascii

    from matters.models import Instrument

    if data.get("inspection"):
        pk = _synced(acting_user, data["inspection"], "inspect").result.get("instrument")
    elif data.get("order"):
        pk = _synced(acting_user, data["order"], "order").result.get("instrument")
    else:
        pk = data.get("instrument")
    try:
        pk = int(pk) if pk else None
    except (TypeError, ValueError):
        raise ValidationError("文书编号不正确。") from None
    instrument = Instrument.objects.filter(pk=pk).select_related("matter").first() if pk else None
    if instrument is None or instrument.matter is None:
        raise ValidationError("没有要签名的文书。")
    _matter(acting_user, instrument.matter_id)  # the viewer may handle it
    try:
        image = base64.b64decode(str(data.get("image") or "").split(",")[-1], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("签名图片数据不正确，请重新签名。") from None
    signature = signature_capture(
        instrument=instrument,
        role=data.get("role", ""),
        name=data.get("name", ""),
        signed_at=device_time,
        image=image,
        refused=bool(data.get("refused")),
        refusal_reason=data.get("refusal_reason", ""),
        witness=data.get("witness", ""),
        acting_user=acting_user,
    )
    return {"instrument": instrument.pk, "signature": signature.pk, "image": signature.scan_id}


def _apply_start(acting_user, data: dict, device_time) -> dict:
    """Start the inspection of a 双随机 task from the phone (online only: the 检查码 must be on the
    server before the officers enter, for the enterprise's scan to find it)."""
    from django.http import Http404

    from inspections.selectors import task_for

    try:
        pk = int(data.get("task"))
    except (TypeError, ValueError):
        raise ValidationError("缺少检查任务编号。") from None
    try:
        task = task_for(viewer=acting_user, pk=pk)
    except Http404:
        raise ValidationError("没有这个检查任务，或它不属于本单位。") from None
    matter, code = task_inspection_start(
        task=task,
        place=data.get("place", ""),
        facts=data.get("facts", ""),
        acting_user=acting_user,
    )
    plan = matter.instruments.filter(type="inspection_plan").order_by("pk").first()
    return {
        "task": task.pk,
        "matter": matter.pk,
        "code": code.token,
        "instrument": plan.pk if plan else None,
        "number": plan.number if plan else "",
    }


@transaction.atomic
def task_inspection_start(*, task, place: str, facts: str, acting_user):
    """开始检查 of a drawn 双随机 task: the inspection matter (opened for the task when it has none,
    with the drawn officers), its 现场检查方案 (001 第六条: the place, the time, the content; the
    content defaults to the item's 抽查内容) and so its 检查码, issued before anyone goes in.

    Changes: the matter and its link to the task (inspection.task_matter), the plan step with its
    文书 (matter.transition, instrument.issue), the code (inspection_code.issue), each with its
    event. The step's time is the server's: it is taken online, when it happens. Returns (matter,
    code). Raises ValidationError (Chinese) or PermissionDenied; nothing changes on a refusal.
    """
    from inspections.models import InspectionTask
    from inspections.services import task_matter_open
    from matters.services import matter_transition

    task = InspectionTask.objects.select_for_update().select_related("draw__item").get(pk=task.pk)
    if task.result_at is not None:
        raise ValidationError("该检查任务已登记检查结果，不能再开始检查。")
    matter = task.matter or task_matter_open(task=task, acting_user=acting_user)
    if matter.closed_at is not None:
        raise ValidationError(f"该检查任务的执法事项“{matter.title}”已经结束。")
    if matter.state == "registered":
        now = timezone.now()
        matter_transition(
            acting_user=acting_user,
            matter=matter,
            transition="plan",
            data={
                "place": (place or "").strip() or (task.party.address or ""),
                "time": now,
                "facts": (facts or "").strip() or task.draw.item.content,
            },
            occurred_at=now,
        )
        matter.refresh_from_db()
    return matter, inspection_code_issue(matter=matter, acting_user=acting_user)


HANDLERS = {
    "start": _apply_start,
    "photo": _apply_photo,
    "inspect": _apply_inspect,
    "hazard": _apply_hazard,
    "order": _apply_order,
    "signature": _apply_signature,
}


SYNC_TEXT_MAX = 20_000
SYNC_LIST_MAX = 50


def _clean_data(data) -> dict:
    """An item's data as plain values: texts (numbers read as texts), yes/no, and lists of keys.
    Anything else is refused as a whole, before anything is tried."""
    if data is None:
        return {}
    if not isinstance(data, dict) or len(data) > 50:
        raise ValidationError("同步数据格式不正确。")
    clean = {}
    for name, value in data.items():
        if isinstance(value, bool):
            clean[name] = value
        elif value is None:
            clean[name] = ""
        elif isinstance(value, int | float | str):
            text = str(value)
            # a signature image is sent inline (base64 PNG): its own bound applies (SIGNATURE_IMAGE_MAX)
            limit = SIGNATURE_IMAGE_MAX * 2 if name == "image" else SYNC_TEXT_MAX
            if len(text) > limit:
                raise ValidationError(f"同步数据“{name}”过长。")
            clean[name] = text
        elif isinstance(value, list) and len(value) <= SYNC_LIST_MAX and all(
            isinstance(v, str) and len(v) <= 64 for v in value
        ):
            clean[name] = list(value)
        else:
            raise ValidationError(f"同步数据“{name}”格式不正确。")
    return clean


def sync_item_apply(*, acting_user, key: str, kind: str, device_time, data: dict):
    """Apply one item of work done offline, once: the same key again returns the stored item and
    changes nothing. A refusal (the matter moved on meanwhile, a rule not met) is stored as a
    conflict with its Chinese reason, for the phone to show; nothing else changes.

    Returns (item, created).
    """
    from django.core.exceptions import PermissionDenied
    from django.db import IntegrityError

    from field.models import SyncItem

    key = (key or "").strip()
    if not key or len(key) > 64 or not re.fullmatch(r"[A-Za-z0-9_-]+", key):
        raise ValidationError("幂等键须为1至64位字母、数字、短横线或下划线。")
    if kind not in SYNC_KINDS:
        raise ValidationError(f"未知的同步类型“{kind}”。")
    existing = SyncItem.objects.filter(user=acting_user, key=key).first()
    if existing is not None:
        return existing, False
    data = data if kind == "photo" else _clean_data(data)  # a photo's data comes from the upload view
    now = timezone.now()
    if device_time is None:
        raise ValidationError("缺少设备时间。")
    if device_time > now + timedelta(minutes=5):
        raise ValidationError("设备时间晚于服务器时间：请校准手机时间后再同步。")

    def store(state, result, message):
        item = SyncItem.objects.create(
            agency=acting_user.agency, user=acting_user, key=key, kind=kind, state=state,
            result=result, message=message[:500], device_time=device_time, received_at=now,
        )
        event_record(
            kind=f"field.sync_{state}", subject=item, acting_user=acting_user,
            data={"key": key, "kind": kind, "result": result, "message": item.message,
                  "device_time": device_time.isoformat()},
        )
        return item

    try:
        with transaction.atomic():
            result = HANDLERS[kind](acting_user, data or {}, device_time)
            return store(SyncState.APPLIED, result, ""), True
    except IntegrityError:
        return SyncItem.objects.get(user=acting_user, key=key), False  # the same key sent twice at once
    except ValidationError as exc:
        with transaction.atomic():
            return store(SyncState.CONFLICT, {}, "；".join(exc.messages)), True
    except PermissionDenied as exc:
        with transaction.atomic():
            return store(SyncState.REFUSED, {}, str(exc) or "您没有权限办理该事项。"), True


# --- the signed 文书 to the party: 电子送达 from the app ------------------------------------------------------


def _electronic_address(instrument):
    """The party's 送达地址确认书 agreeing to electronic service at an e-mail address, for this matter.
    Without one the refusal is the staff page's, with its article and what to do next."""
    from matters.models import ServiceAddress
    from matters.services import electronic_consent_check
    from matters.serving import instrument_awaits_service

    matter = instrument.matter
    if matter is None or not instrument_awaits_service(instrument):
        raise ValidationError(f"《{instrument.title}》{instrument.number}不需要送达或已登记送达。")
    address = (
        ServiceAddress.objects.filter(matter=matter, electronic=True).order_by("-signed_on", "-pk").first()
    )
    # no consent: the staff page's refusal (行政处罚法第六十一条第二款), with who registers the confirmation
    try:
        electronic_consent_check(matter=matter, address=address)
    except ValidationError as exc:
        raise ValidationError(
            [*exc.messages, "确认书由本事项的承办执法人员在该文书的“登记送达”页面登记（附当事人签名页的照片或扫描件），"
             "登记后回到本页即可发送。"]
        ) from None
    if not address.email:
        rule = agency_rules(matter.agency).rule("service.electronic_requirements")
        raise ValidationError(
            f"当事人确认的电子送达地址（{'、'.join(address.electronic_addresses)}）没有电子邮箱，本平台只能以电子邮件发送文书"
            f"（{rule.cited('、')}）：请改用当事人确认的传真等方式在电脑端登记送达，或当场直接送达。"
        )
    return address


# The mail server's answer kept with a failed attempt: SMTP replies are a line or a few.
SEND_ANSWER_MAX = 500


class _FiledEmail(EmailMessage):
    """Built once, so that the bytes filed as the 发送记录 are the bytes the backend sends: Django's
    EmailMessage makes a new Message-ID, Date and MIME boundary on every call of message()."""

    _built = None

    def message(self, *args, **kwargs):
        if self._built is None:
            self._built = super().message(*args, **kwargs)
        return self._built


def _send_failure(exc) -> dict:
    """The outcome, SMTP code, the server's answer and whether the recipient was the one refused, of
    a failed attempt. A 5xx reply is a permanent refusal (sending the same message again cannot
    succeed, RFC 5321 4.2.1), a 4xx reply a temporary one; no reply at all (refused connection,
    timeout, dropped line) means the mail server was not reached."""
    import smtplib

    from field.choices import SendOutcome

    def text(value) -> str:
        if isinstance(value, bytes):
            value = value.decode("utf-8", errors="replace")
        return " ".join(str(value).split())

    replies, recipient = [], isinstance(exc, smtplib.SMTPRecipientsRefused)
    if recipient:
        replies = [(code, f"{code} {text(answer)} <{to}>") for to, (code, answer) in exc.recipients.items()]
    elif isinstance(exc, smtplib.SMTPResponseException):
        replies = [(exc.smtp_code, f"{exc.smtp_code} {text(exc.smtp_error)}")]
    codes = [code for code, _ in replies if isinstance(code, int) and 400 <= code < 600]
    if codes:
        outcome = SendOutcome.REFUSED if all(code >= 500 for code in codes) else SendOutcome.DEFERRED
        code = max(codes) if outcome == SendOutcome.REFUSED else min(codes)
        answer = "；".join(reply for _, reply in replies)
    else:
        outcome, code = SendOutcome.UNREACHABLE, None
        answer = f"{type(exc).__name__}: {text(exc)}" if text(exc) else type(exc).__name__
    if len(answer) > SEND_ANSWER_MAX:
        answer = answer[: SEND_ANSWER_MAX - 1] + "…"
    return {"outcome": outcome, "code": code, "answer": answer, "recipient_refused": bool(recipient)}


def electronic_send_failure_text(*, agency, data: dict) -> str:
    """What the officer reads about a failed attempt (the `instrument.electronic_send_failed` event's
    data): what happened, that it is recorded, and what to do next — the same address again only when
    the refusal was temporary; otherwise a corrected address or another way of service the pack lists
    (service.requirements, with its article)."""
    from field.choices import SendOutcome
    from matters.choices import ServiceMethod

    rule = agency_rules(agency).rule("service.requirements")
    methods = "、".join(ServiceMethod(row["method"]).label for row in rule.value if row["method"] in ServiceMethod.values)
    other = f"也可改用{methods}（{rule.cited('、')}），在电脑端该文书的“登记送达”页面登记"
    outcome = data.get("outcome")
    said = f"邮件服务器答复：{data['answer']}" if data.get("answer") else ""
    head = f"发送至{data.get('to', '')}未成功，{SendOutcome(outcome).label}" if outcome in SendOutcome.values else "发送未成功"
    recorded = f"本次发送尝试已记录（发送记录#{data.get('sent_record')}），文书未送达。"
    if outcome == SendOutcome.REFUSED and not data.get("recipient_refused"):
        advice = (
            "邮件服务器拒绝发出本单位的邮件，重新发送不会成功：请本单位系统管理员检查邮件服务器的发件设置后再发送；"
            f"急需送达的，{other}。"
        )
    elif outcome == SendOutcome.REFUSED:
        advice = (
            "该地址被拒收，重新发送到同一地址不会成功：请与当事人核实电子邮箱，当事人另行签署送达地址确认书并登记后再发送；"
            f"{other}。"
        )
    elif outcome == SendOutcome.DEFERRED:
        advice = f"这是暂时性拒收：请稍后点击“重新发送”；仍不成功的，{other}。"
    else:
        advice = f"请稍后点击“重新发送”，并请本单位系统管理员检查邮件服务器；急需送达的，{other}。"
    return f"{head}（{said}）。{recorded}{advice}" if said else f"{head}。{recorded}{advice}"


# An attempt still without an outcome this long after it started has lost it (the process or the
# database failed mid-way): an SMTP exchange is bounded by EMAIL_TIMEOUT per operation, far shorter.
# How long the platform waits, not a rule of any regulation.
SEND_SETTLE_AFTER = timedelta(minutes=10)
UNSETTLED = ("prepared", "sending")


def _attempt_data(attempt) -> dict:
    """What every event of an attempt says about it."""
    return {
        "attempt": attempt.pk, "instrument": attempt.instrument_id, "number": attempt.instrument.number,
        "to": attempt.to, "address": attempt.address_id, "pdf_sha256": attempt.pdf_sha256,
        "message_id": attempt.message_id, "eml_sha256": attempt.eml_sha256, "sent_record": attempt.sent_record_id,
        "started_at": attempt.started_at.isoformat(),
    }


def _attempt_start(*, instrument, address, message_id: str, raw: bytes, pdf_sha256: str, acting_user):
    """The durable fact that a message is about to be sent, before any byte of it is stored: its
    Message-ID and SHA-256. Refused while another attempt of this 文书 has no outcome yet, so that a
    double click or a second officer does not send the 文书 twice."""
    from field.models import ElectronicSend
    from matters.models import Instrument

    now = timezone.now()
    with transaction.atomic():
        Instrument.objects.select_for_update().filter(pk=instrument.pk).first()  # one attempt starts at a time
        pending = ElectronicSend.objects.filter(instrument=instrument, state__in=UNSETTLED).order_by("-pk").first()
        if pending is not None:
            settle = timezone.localtime(pending.started_at + SEND_SETTLE_AFTER)
            raise ValidationError(
                f"该文书{timezone.localtime(pending.started_at):%H:%M}开始的发送尚无结果（可能仍在发送）：为免重复发送，"
                f"请在{settle:%H:%M}后刷新本页查看结果，再决定是否重新发送。"
            )
        attempt = ElectronicSend.objects.create(
            agency=instrument.agency, instrument=instrument, address=address, to=address.email,
            message_id=message_id, eml_sha256=hashlib.sha256(raw).hexdigest(), eml_size=len(raw),
            pdf_sha256=pdf_sha256, started_by=acting_user, started_at=now,
        )
        event_record(
            kind="instrument.electronic_send_started", subject=instrument, acting_user=acting_user,
            agency=instrument.agency, data=_attempt_data(attempt),
        )
    return attempt


def _attempt_file(*, attempt, path, acting_user):
    """File the exact message (.eml) as the attempt's 发送记录, in the transaction that marks the attempt
    as being handed to the mail server: a message is handed over only once this has committed."""
    from field.choices import SendState
    from matters.serving import service_scan_file

    instrument = attempt.instrument
    with transaction.atomic():
        attempt.sent_record = service_scan_file(
            acting_user=acting_user, matter=instrument.matter, path=path, original_name="电子送达发送记录.eml",
            title=f"{instrument.title}{instrument.number}电子送达发送记录",
        )
        attempt.state = SendState.SENDING
        attempt.save(update_fields=["sent_record", "state"])
        event_record(
            kind="instrument.electronic_send_filed", subject=instrument, acting_user=acting_user,
            agency=instrument.agency, data=_attempt_data(attempt),
        )
    return attempt.sent_record


def electronic_send_outcome_record(*, attempt, failure: dict | None, acting_user) -> dict:
    """The mail server's answer to an attempt: `instrument.electronic_send` (accepted), or
    `instrument.electronic_send_failed` with `failure` (see _send_failure). An answer arriving after
    the attempt was settled as unknown still counts: it is what happened. Returns the event's data."""
    from field.choices import SendState
    from field.models import ElectronicSend

    data = _attempt_data(attempt)
    now = timezone.now()
    with transaction.atomic():
        state = SendState.FAILED if failure else SendState.SENT
        ElectronicSend.objects.filter(pk=attempt.pk, state__in=(SendState.SENDING, SendState.UNKNOWN)).update(
            state=state, settled_at=now
        )
        if failure:
            data.update(attempted_at=now.isoformat(), **failure)
        else:
            data["sent_at"] = now.isoformat()
        event_record(
            kind="instrument.electronic_send_failed" if failure else "instrument.electronic_send",
            subject=attempt.instrument, acting_user=acting_user, agency=attempt.agency, data=data,
        )
    return data


def electronic_sends_settle(*, now=None, instrument=None) -> dict:
    """Settle the attempts at 电子送达 left without an outcome for SEND_SETTLE_AFTER (the process or the
    database failed mid-way), claiming nothing it cannot prove:
    - never filed (`prepared`): the message was never handed to the mail server (it is handed over
      only after its filing committed), so it was not sent: `instrument.electronic_send_abandoned`,
      naming the SHA-256 of the message stored, if its bytes reached the blob store;
    - filed and handed over (`sending`): whether the server took it is unknown:
      `instrument.electronic_send_unknown`. Neither is a service; the officer reads what to do.
    Run by `zhifa field settle` and the periodic task. Returns {"abandoned": n, "unknown": n}."""
    from field.choices import SendState
    from field.models import ElectronicSend
    from records.storage import blob_store

    now = now or timezone.now()
    stale = ElectronicSend.objects.filter(state__in=UNSETTLED, started_at__lt=now - SEND_SETTLE_AFTER)
    if instrument is not None:
        stale = stale.filter(instrument=instrument)
    counts = {"abandoned": 0, "unknown": 0}
    for attempt in stale.select_related("instrument", "agency").order_by("pk"):
        settled = SendState.ABANDONED if attempt.state == SendState.PREPARED else SendState.UNKNOWN
        data = _attempt_data(attempt)
        if settled == SendState.ABANDONED:
            data["eml_stored"] = blob_store().exists(attempt.eml_sha256)
        with transaction.atomic():
            # the outcome may have come in meanwhile: only an attempt still in its state is settled
            if not ElectronicSend.objects.filter(pk=attempt.pk, state=attempt.state).update(state=settled, settled_at=now):
                continue
            event_record(
                kind=f"instrument.electronic_send_{settled}", subject=attempt.instrument, agency=attempt.agency,
                data={**data, "settled_at": now.isoformat()},
            )
        counts[settled] += 1
    return counts


def electronic_send_unsettled_text(*, agency, kind: str, data: dict) -> str:
    """What the officer reads about an attempt settled without an outcome (see electronic_sends_settle),
    and what to do next."""
    rule = agency_rules(agency).rule("service.requirements")
    from matters.choices import ServiceMethod

    methods = "、".join(ServiceMethod(row["method"]).label for row in rule.value if row["method"] in ServiceMethod.values)
    other = f"急需送达的，也可改用{methods}（{rule.cited('、')}），在电脑端该文书的“登记送达”页面登记"
    if kind == "instrument.electronic_send_abandoned":
        return (
            f"发送至{data.get('to', '')}的邮件未能存档，平台未将其交给邮件服务器，邮件没有发出，文书未送达。"
            f"请点击“重新发送”；{other}。"
        )
    return (
        f"发送至{data.get('to', '')}的邮件（发送记录#{data.get('sent_record')}，Message-ID {data.get('message_id', '')}）"
        "已交给邮件服务器，但平台未能记录服务器的答复，无法确认邮件是否发出，文书未登记送达。请与当事人核实是否收到该邮件："
        "已收到的，请其打开邮件后拍摄收到的邮件，在本页登记到达回执；未收到或无法核实的，请点击“重新发送”；"
        f"{other}。"
    )


def instrument_send_electronic(*, instrument, acting_user):
    """电子送达, first half: send the 文书's PDF as it stands to the e-mail address the party gave in
    its signed 送达地址确认书, and file the exact message (.eml) in the vault as the system's 发送记录.
    The service itself is recorded when its arrival is shown (`instrument_serve_electronic`).

    Four steps, so that no database lock is held while the mail server answers and no step can be
    lost without a trace (field.models.ElectronicSend): the attempt is recorded with the message's
    Message-ID and SHA-256 before any byte is stored; the message is filed (its own transaction) and
    only then handed to the mail server; the outcome is recorded — `instrument.electronic_send`, or
    `instrument.electronic_send_failed` with the server's answer (a failed attempt is a fact of the
    全过程记录, 行政处罚法第四十七条; the 文书 stays unserved). An attempt whose process or database
    failed between the steps is settled by electronic_sends_settle.

    Returns {"sent": bool, "to", "sent_record", "recipient", and for a failure "outcome", "message"
    (Chinese, for the officer)}. Raises ValidationError (no consent, no e-mail address, already served,
    no PDF, another attempt without an outcome yet) or PermissionDenied; nothing is stored or sent then.
    """
    import tempfile
    from pathlib import Path

    from matters.serving import matter_may_serve
    from records.storage import blob_store

    matter_may_serve(acting_user=acting_user, matter=instrument.matter)
    address = _electronic_address(instrument)
    version = instrument.pdf.versions.order_by("-number").first() if instrument.pdf_id else None
    if version is None:
        raise ValidationError(f"《{instrument.title}》{instrument.number}没有PDF文件，不能电子送达。")
    electronic_sends_settle(instrument=instrument)  # an earlier attempt that lost its outcome
    with blob_store().open(version.sha256) as stream:
        pdf = stream.read()
    signatures = [
        f"{s.get_role_display()}{s.name}" + ("（拒绝签名，见证人" + s.witness + "）" if s.refused else "")
        for s in instrument.signatures.all()
        if signature_verify(s)[0]
    ]
    check = InstrumentCheck.objects.filter(instrument=instrument).first()
    from field.hooks import check_url

    body = "\n".join(
        [
            f"{address.recipient}：",
            f"根据您签署的送达地址确认书（{address.signed_on:%Y年%m月%d日}），{instrument.agency.name}向您送达"
            f"《{instrument.title}》{instrument.number}，见附件PDF（SHA-256：{version.sha256}）。",
            f"现场签名：{'、'.join(signatures) or '无'}。",
            f"核验文书真伪：{check_url(check.token)}" if check else "",
            f"{instrument.agency.name}（本邮件由行政执法平台发送）",
        ]
    )
    message = _FiledEmail(
        subject=f"《{instrument.title}》{instrument.number}（{instrument.agency.name}电子送达）",
        body=body,
        to=[address.email],
    )
    message.attach(f"{instrument.title}{instrument.number}.pdf", pdf, "application/pdf")
    built = message.message()
    raw = built.as_bytes(linesep="\r\n")  # as the SMTP backend puts it on the wire
    attempt = _attempt_start(
        instrument=instrument, address=address, message_id=str(built["Message-ID"]), raw=raw,
        pdf_sha256=version.sha256, acting_user=acting_user,
    )
    with tempfile.TemporaryDirectory(prefix="zhifa-esend-") as tmp:
        path = Path(tmp) / "message.eml"
        path.write_bytes(raw)
        sent = _attempt_file(attempt=attempt, path=path, acting_user=acting_user)
    answer = {"to": address.email, "sent_record": sent.pk, "recipient": address.recipient}
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # any failure of the mail system: the attempt is recorded, not lost
        failure = _send_failure(exc)
        data = electronic_send_outcome_record(attempt=attempt, failure=failure, acting_user=acting_user)
        return {
            **answer, "sent": False, "outcome": failure["outcome"],
            "message": electronic_send_failure_text(agency=instrument.agency, data=data),
        }
    electronic_send_outcome_record(attempt=attempt, failure=None, acting_user=acting_user)
    return {**answer, "sent": True}


def instrument_serve_electronic(*, instrument, sent_record, arrival_path, arrival_name: str, served_at, acting_user):
    """电子送达, second half: the service, recorded through matters.serving with the party's 送达地址
    确认书, the 发送记录 filed when sending, and the 到达回执 — a photo of the party's own screen
    showing the message arrived — its time the time of arrival (行政处罚法第六十一条第二款).

    Changes: the photo (a record, filed only once every check of the service passed, in its
    transaction), the Service and its event (matter.instrument_serve or the matter's service step).
    Raises ValidationError or PermissionDenied; nothing changes then and no new file is stored.
    """
    from ledger.models import Event
    from matters.services import ProofUpload, ServiceInput
    from matters.serving import instrument_serve, matter_may_serve

    matter_may_serve(acting_user=acting_user, matter=instrument.matter)
    address = _electronic_address(instrument)
    electronic_sends_settle(instrument=instrument)  # an attempt that lost its outcome: its arrival proves it
    # a message the server accepted, or one handed over whose outcome is unknown: the arrival shown on
    # the party's screen proves the latter went out (never a failed or an abandoned attempt's)
    sent = Event.objects.filter(
        kind__in=("instrument.electronic_send", "instrument.electronic_send_unknown"), subject_id=str(instrument.pk),
        data__sent_record=getattr(sent_record, "pk", None),
    ).order_by("kind").first() if sent_record is not None else None
    if sent is None:
        raise ValidationError("请先从本应用发送该文书（电子送达），再登记到达回执。")
    from datetime import datetime

    sent_at = datetime.fromisoformat(sent.data.get("sent_at") or sent.data["started_at"])
    if served_at is None or served_at < sent_at.replace(second=0, microsecond=0):
        raise ValidationError(
            f"到达时间早于发送时间（{timezone.localtime(sent_at):%Y年%m月%d日 %H:%M}）：请填写当事人实际收到邮件的时间。"
        )
    # The photo travels as an upload: matters.serving files it after its own checks, so a refused
    # service (time ahead of now, already served, …) leaves no new file in the blob store.
    arrival = ProofUpload(
        path=arrival_path, original_name=arrival_name, title=f"{instrument.title}{instrument.number}电子送达到达回执"
    )
    with transaction.atomic():
        return instrument_serve(
            acting_user=acting_user,
            instrument=instrument,
            service=ServiceInput(
                "electronic",
                recipient=address.recipient,
                served_at=served_at,
                place=sent.data["to"],
                sent_record=sent_record,
                uploads={"delivery_receipt": arrival},
                address=address,
            ),
        )
