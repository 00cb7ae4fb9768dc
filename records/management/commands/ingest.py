import os
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from equipment.models import Device
from org.models import Staff
from records.choices import Source
from records.media import MediaInfo
from records.models import DuplicateDelivery, RecordVersion
from records.services import clock_checks_from_session_start, file_probe, record_ingest


def _human(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1024
    return f"{size:.1f} GiB"


class Command(BaseCommand):
    requires_system_checks = []  # unattended and frequent: the checks belong to deploy and serve
    help = "从执法记录仪采集站文件夹导入音像记录：递归、按哈希去重、可在中断后重新运行"

    def add_arguments(self, parser):
        parser.add_argument("folder", help="采集站导出的文件夹")
        parser.add_argument("--device", required=True, help="执法记录仪设备编号")
        parser.add_argument("--by", help="执行导入的人员登录名（默认：系统）")
        parser.add_argument("--title-prefix", default="", help="记录名称前缀")
        parser.add_argument(
            "--session-start",
            help="执法人员登记的开始记录时间（如 2026-12-01T09:00 或 2026-12-01 09:00:00，北京时间），"
            "用于核对设备时间；不提供时不核对（采集站拷贝文件的时间不能作为参照）",
        )

    def handle(self, *args, folder, device, by=None, title_prefix="", session_start=None, **options):
        from records.storage import temp_files_cleanup

        removed = temp_files_cleanup()  # first: a process that writes clears what killed writes left
        if removed:
            self.stderr.write(
                f"已清理 {removed} 个中断的存储留下的暂存文件（不含已存储的文件和正在写入的文件）。"
            )
        root = Path(folder)
        if not root.is_dir():
            raise CommandError(f"文件夹“{folder}”不存在或不是文件夹。")
        try:
            device = Device.objects.select_related("section", "agency", "holder").get(serial=device)
        except Device.DoesNotExist:
            raise CommandError(f"设备编号“{device}”未登记，请先在设备台账中登记。") from None
        user = None
        if by:
            try:
                user = Staff.objects.get(username=by, is_active=True)
            except Staff.DoesNotExist:
                raise CommandError(f"人员“{by}”不存在或已停用。") from None
        files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
        self.stderr.write(f"设备 {device.serial}（{device.section.name}），共 {len(files)} 个文件。")
        self._probed: dict[Path, MediaInfo] = {}  # files probed already (by the clock check)
        self._pending: dict[Path, Future] = {}  # the next file's probe, running
        checks = self._clock_checks(device, root, files, session_start) if session_start else {}
        counts = {"stored": 0, "known": 0, "unreadable": 0, "late": 0, "errors": 0, "bytes": 0}
        started = time.monotonic()
        # The next file to import is probed in this thread while the current one is stored: FFmpeg
        # decodes without the GIL, so the probe's decoding overlaps the copy, hash and fsync.
        self._ahead = ThreadPoolExecutor(1, thread_name_prefix="ingest-probe")
        try:
            self._import_all(device, user, root, files, checks, counts, title_prefix)
        finally:
            self._ahead.shutdown(cancel_futures=True)
        total_bytes, seconds = counts.pop("bytes"), time.monotonic() - started
        if counts["stored"]:
            from ledger.services import checkpoint_sign

            checkpoint = checkpoint_sign()
            self.stderr.write(f"已签署台账检查点：大小 {checkpoint.size}。")
        self.stdout.write(
            f"导入完成：新存储 {counts['stored']} 个（{_human(total_bytes)}，用时 {seconds:.1f} 秒），"
            f"已存在跳过 {counts['known']} 个，无法读取但已存储 {counts['unreadable']} 个，"
            f"逾期 {counts['late']} 个，失败 {counts['errors']} 个。"
        )
        if counts["errors"]:
            raise CommandError(
                f"{counts['errors']} 个文件未能导入，请按上面的提示处理后重新运行（已导入的不会重复存储）。"
            )

    def _probe_next(self, device, root: Path, files: list[Path], start: int) -> None:
        """Start probing the first file from `start` on that is still to be imported (one at a time)."""
        for path in files[start:]:
            if path in self._probed or path in self._pending:
                return
            stat = path.stat()
            relative = str(path.relative_to(root))
            dock_time = timezone.make_aware(datetime.fromtimestamp(stat.st_mtime))
            if not stat.st_size or self._already_imported(device, relative, stat.st_size, dock_time):
                continue
            self._pending[path] = self._ahead.submit(file_probe, path, relative.replace(os.sep, "／"))
            return

    def _import_all(self, device, user, root: Path, files: list[Path], checks, counts, title_prefix) -> None:
        tty = sys.stderr.isatty()
        for number, path in enumerate(files, start=1):
            relative = str(path.relative_to(root))
            stat = path.stat()
            dock_time = timezone.make_aware(datetime.fromtimestamp(stat.st_mtime))
            prefix = f"[{number}/{len(files)}] {relative}（{_human(stat.st_size)}）"
            if self._already_imported(device, relative, stat.st_size, dock_time):
                counts["known"] += 1
                self.stderr.write(f"{prefix} 已导入，跳过")
                continue
            media = (
                self._pending.pop(path).result() if path in self._pending else self._probed.pop(path, None)
            )
            self._probe_next(device, root, files, number)
            file_started = time.monotonic()

            def progress(done, prefix=prefix, size=stat.st_size, t0=file_started):
                if tty and size:
                    rate = done / max(time.monotonic() - t0, 1e-6)
                    self.stderr.write(f"\r{prefix} {done * 100 // size}% {_human(rate)}/s", ending="")

            try:
                result = record_ingest(
                    acting_user=user,
                    section=device.section,
                    path=path,
                    original_name=relative.replace(os.sep, "／"),
                    source=Source.DOCK,
                    title=f"{title_prefix}{path.stem}",
                    device=device,
                    officers=[device.holder] if device.holder else (),
                    dock_time=dock_time,
                    clock_check=checks.get(path),
                    progress=progress,
                    media=media,
                )
            except (ValidationError, PermissionDenied) as exc:
                counts["errors"] += 1
                message = "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                self.stderr.write(("\r" if tty else "") + f"{prefix} 未导入：{message}")
                continue
            version = result.version
            elapsed = max(time.monotonic() - file_started, 1e-6)
            if not result.created:
                counts["known"] += 1
                note = f"内容已存储（记录 #{version.record_id}），未重复存储"
            else:
                counts["stored"] += 1
                counts["bytes"] += version.size
                notes = [f"已存储为记录 #{version.record_id}，{_human(version.size / elapsed)}/s"]
                if not version.readable:
                    counts["unreadable"] += 1
                    notes.append("无法作为音视频读取，已按原样存储并标记")
                if version.late:
                    counts["late"] += 1
                    notes.append("超过存储期限，须补写书面说明")
                note = "；".join(notes)
            self.stderr.write(("\r" if tty else "") + f"{prefix} {note}")

    def _clock_checks(self, device, root: Path, files: list[Path], session_start: str) -> dict:
        """Each file's clock check against the officer's recorded start of the session: the times
        embedded in the clips (read from the vault for those imported before). What the probe found
        is kept, so that the import does not probe the same file again."""
        try:
            start = datetime.fromisoformat(session_start.strip())
        except ValueError:
            raise CommandError(
                f"开始记录时间“{session_start}”格式不正确，应为 2026-12-01T09:00 或 2026-12-01 09:00:00。"
            ) from None
        if timezone.is_naive(start):
            start = timezone.make_aware(start)
        spans = {}
        for path in files:
            relative = str(path.relative_to(root))
            stat = path.stat()
            dock_time = timezone.make_aware(datetime.fromtimestamp(stat.st_mtime))
            known = self._imported_version(device, relative, stat.st_size, dock_time)
            if known is not None:
                spans[path] = (known.recorded_start, known.recorded_end)
            elif stat.st_size:
                try:
                    info = self._probed[path] = file_probe(path, relative.replace(os.sep, "／"))
                    spans[path] = (info.recorded_start, info.recorded_end)
                except OSError:
                    spans[path] = (None, None)  # unreadable here: the import itself reports it
        try:
            return clock_checks_from_session_start(agency=device.agency, session_start=start, clips=spans)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None

    @classmethod
    def _already_imported(cls, device, relative: str, size: int, dock_time) -> bool:
        """A re-run skips files already imported from this dock without re-reading them."""
        return cls._imported_version(device, relative, size, dock_time) is not None

    @staticmethod
    def _imported_version(device, relative: str, size: int, dock_time):
        name = relative.replace(os.sep, "／")
        version = RecordVersion.objects.filter(
            record__device=device, original_name=name, size=size, dock_time=dock_time
        ).first()
        if version is None:  # the same content imported before under another name
            duplicate = (
                DuplicateDelivery.objects.filter(
                    device=device, name=name, source=Source.DOCK, dock_time=dock_time, version__size=size
                )
                .select_related("version")
                .first()
            )
            version = duplicate.version if duplicate else None
        return version
