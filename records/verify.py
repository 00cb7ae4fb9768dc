"""Part of `zhifa ledger verify`: every stored file is re-read and re-hashed."""

from records.models import RecordVersion
from records.storage import blob_store


def verify_blobs(progress, since=None):
    """Re-hash every stored file; `since` (an incremental run): only those registered since then."""
    from django.db.models.fields.json import KT

    from ledger.models import Event
    from ledger.verify import Finding

    store = blob_store()
    # bytes an approved disposal removed (archive's `record.destroy` events) are meant to be gone
    destroyed = {
        (subject_id, data.get("sha256"))
        for subject_id, data in Event.objects.filter(kind="record.destroy", subject_type="records.record")
        .values_list("subject_id", "data")
        .iterator()
    }
    checked = 0
    versions = RecordVersion.objects.select_related("record").order_by("id")
    if since is not None:
        registered = Event.objects.filter(
            subject_type="records.record", kind__in=("record.create", "record.version"), created_at__gte=since
        ).values_list(KT("data__sha256"), flat=True)
        versions = versions.filter(sha256__in=registered)
    for version in versions.iterator(chunk_size=500):
        subject = f"记录 #{version.record_id}“{version.record.title}”第{version.number}版"
        if not store.exists(version.sha256):
            if (str(version.record_id), version.sha256) in destroyed:
                continue
            yield Finding(subject, f"文件 {version.sha256[:16]}… 已不在存储中")
            continue
        actual = store.rehash(version.sha256)
        if actual != version.sha256:
            yield Finding(subject, f"文件内容被改动：登记的 SHA-256 为 {version.sha256}，现在为 {actual}")
        checked += 1
        if checked % 1000 == 0:
            progress(f"已核对 {checked} 个文件")
