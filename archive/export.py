"""The enterprise file (一企一档) as a folder tree: 企业名称 / 时间 / 事项, each collection with its 说明,
and the 存储信息明细表 at the root (000 信息采集存储分析和归档制度第七条、第十七条). A read of every
file in it, logged as one ledger event."""

import csv
import re
from pathlib import Path

from django.db import transaction

from archive.choices import CaseFileState
from archive.models import CaseFile
from archive.selectors import collection_list
from ledger.services import event_record
from org.permissions import require
from policy.selectors import agency_rules
from records.storage import blob_store

INDEX_NAME = "存储信息明细表.csv"
DEFAULT_LEVELS = ("企业名称", "时间", "事项")
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name).strip(" .") or "_"


def _unique(folder: Path, name: str) -> Path:
    path = folder / _safe(name)
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{Path(_safe(name)).stem}（{n}）{Path(name).suffix}"
    return path


def enterprise_export(*, viewer, party, out: Path) -> list[dict]:
    """Write the tree under `out`; returns the rows of the 明细表."""
    require(viewer, "archive.view", agency=party.agency)
    out = Path(out)
    store = blob_store()
    rows: list[dict] = []
    read: list[int] = []

    levels = agency_rules(party.agency).value("archive.enterprise_directory", default=list(DEFAULT_LEVELS))

    def folder_of(day, subject) -> Path:
        """The three-level directory in the pack's order (第十七条)."""
        parts = {"企业名称": party.name, "时间": day.isoformat(), "事项": subject}
        return out.joinpath(*(_safe(parts[level]) for level in levels if level in parts))

    def put(day, subject, record, version, extra):
        folder = folder_of(day, subject)
        folder.mkdir(parents=True, exist_ok=True)
        target = _unique(folder, version.original_name)
        with store.open(version.sha256) as src, open(target, "wb") as dst:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                dst.write(chunk)
        read.append(record.pk)
        rows.append({
            "序号": len(rows) + 1, "企业名称": party.name, "时间": day.isoformat(), "事项": subject,
            "文件": str(target.relative_to(out)), "格式": version.format, "大小（字节）": version.size,
            "SHA-256": version.sha256, **extra,
        })

    for c in collection_list(viewer=viewer, party=party):
        folder = folder_of(c.collected_on, c.subject)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "说明.txt").write_text(
            f"采集时间：{c.collected_on.isoformat()}\n采集人员：{c.collected_by.name}（{c.section.name}）\n"
            f"事项名称：{c.subject}\n信息类别：{c.get_category_display()}\n内容概述：{c.summary}\n",
            encoding="utf-8",
        )
        for item in c.items.all():
            version = item.record.current_version
            put(c.collected_on, c.subject, item.record, version,
                {"信息类别": c.get_category_display(), "分辨率（PPI）": item.ppi or "", "采集人员": c.collected_by.name,
                 "内容概述": c.summary})
    files = CaseFile.objects.filter(matter__party=party, state=CaseFileState.SEALED).select_related("pdf")
    for f in files:
        if f.pdf_id:
            version = f.pdf.current_version
            put(f.closed_on, f"{f.title}（{f.code}）", f.pdf, version,
                {"信息类别": "行政执法信息", "分辨率（PPI）": "", "采集人员": f.sealed_by.name if f.sealed_by else "",
                 "内容概述": f"案卷 {f.code}，保管期限{f.retention_label}"})
    out.mkdir(parents=True, exist_ok=True)
    columns = ["序号", "企业名称", "时间", "事项", "信息类别", "文件", "格式", "大小（字节）", "SHA-256",
               "分辨率（PPI）", "采集人员", "内容概述"]
    with open(out / INDEX_NAME, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    with transaction.atomic():
        event_record(kind="enterprise.export", subject=party, acting_user=viewer, agency=party.agency,
                     data={"records": read, "files": len(rows)})
    return rows
