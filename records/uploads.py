"""Resumable uploads: start, append pieces at the right offset, finish into the vault.

The client asks where to resume (`received`) after a dropped connection and sends the rest; a
piece sent for the wrong offset is refused and changes nothing.
"""

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.defaultfilters import filesizeformat

from ledger.refusals import refusal_record
from records.models import Upload
from records.services import _can_file, clean_file_name, record_ingest

CHUNK_LIMIT = 64 * 2**20  # one request carries at most this much


def _part(upload: Upload) -> Path:
    folder = settings.DATA_DIR / "uploads"
    folder.mkdir(exist_ok=True)
    return folder / f"{upload.pk}.part"


def upload_start(*, acting_user, section, file_name: str, size: int) -> Upload:
    """Open an upload session. Raises ValidationError for a bad name, an empty or oversized file."""
    _can_file(acting_user, section)
    name = clean_file_name(file_name)
    if size is None or size <= 0:
        raise ValidationError(f"文件“{name}”是空文件（0字节），未存储。")
    if size > settings.ZHIFA_MAX_FILE_SIZE:
        raise ValidationError(f"文件“{name}”超过系统上限 {filesizeformat(settings.ZHIFA_MAX_FILE_SIZE)}。")
    upload = Upload.objects.create(
        id=uuid.uuid4(),
        agency=section.agency,
        section=section,
        created_by=acting_user,
        file_name=name,
        size=size,
    )
    _part(upload).touch()
    return upload


def upload_for(*, viewer, pk) -> Upload:
    """An upload session of the viewer's own. Anyone else's is refused (and the refusal logged)
    with Upload.DoesNotExist, so the answer does not say whether it exists."""
    upload = Upload.objects.filter(pk=pk).first()
    if upload is not None and upload.created_by_id != viewer.pk:
        refusal_record(subject=upload, acting_user=viewer, reason="不是本人发起的上传")
        upload = None
    if upload is None:
        raise Upload.DoesNotExist
    return upload


def upload_append(*, upload: Upload, offset: int, stream, length: int) -> Upload:
    """Append `length` bytes at `offset`. Refuses a wrong offset or overrun (nothing changes)."""
    with transaction.atomic():
        upload = Upload.objects.select_for_update().get(pk=upload.pk)
        if upload.version_id:
            raise ValidationError("该上传已完成。")
        if offset != upload.received:
            raise ValidationError(
                f"续传位置不符：服务器已接收 {upload.received} 字节，本次从 {offset} 字节开始。请从 {upload.received} 字节处续传。"
            )
        if length <= 0 or length > CHUNK_LIMIT or upload.received + length > upload.size:
            raise ValidationError("本次上传的数据长度不正确。")
        part = _part(upload)
        with part.open("r+b") as fh:
            fh.truncate(upload.received)  # drop bytes of an earlier piece that was never acknowledged
            fh.seek(upload.received)
            remaining = length
            while remaining:
                chunk = stream.read(min(remaining, 2**20))
                if not chunk:
                    break
                fh.write(chunk)
                remaining -= len(chunk)
            if remaining:
                raise ValidationError("连接中断，本段数据不完整，请从上次确认的位置续传。")
            fh.flush()
        upload.received += length
        upload.save(update_fields=["received"])
    return upload


def upload_finish(*, acting_user, upload: Upload, **record_fields):
    """File a complete upload as a record (see record_ingest). Raises ValidationError if incomplete."""
    if upload.version_id:
        from records.models import RecordVersion

        return RecordVersion.objects.get(pk=upload.version_id), False
    if upload.received != upload.size:
        raise ValidationError(f"文件尚未上传完整（{upload.received}/{upload.size} 字节）。")
    part = _part(upload)
    result = record_ingest(
        acting_user=acting_user,
        section=upload.section,
        path=part,
        original_name=upload.file_name,
        **record_fields,
    )
    Upload.objects.filter(pk=upload.pk).update(version=result.version)
    part.unlink(missing_ok=True)
    return result.version, result.created


@contextmanager
def delivered_file(upload) -> Iterator[Path]:
    """The path of a file that came with a form or a multipart request: Django's own temporary file
    when it spooled the upload to disk, else a copy in the data folder, removed afterwards."""
    temporary = getattr(upload, "temporary_file_path", None)
    if temporary is not None:
        yield Path(temporary())
        return
    with tempfile.TemporaryDirectory(dir=settings.DATA_DIR) as folder:
        path = Path(folder) / "upload"
        with path.open("wb") as fh:
            for chunk in upload.chunks():
                fh.write(chunk)
        yield path
