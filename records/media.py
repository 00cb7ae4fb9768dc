"""What an evidence file is, read from the file itself: kind, recorded time, duration, codecs, and
whether it plays.

`probe(path)` opens the file with PyAV (FFmpeg) and never reads it whole: it decodes the first few
frames of every audio and video stream, then seeks to about a second before the declared end and
reads from the keyframe there to the end of the file, decoding the first frames after the seek. So
its cost depends on the keyframe interval, not on the length of the recording.

A file that does not play is still evidence: probe says so (`readable=False` and a `problem` in
Chinese) and never raises for bad media. Only an I/O error on the file itself (missing, no
permission) is raised.

Recorded time comes from the first of these that holds a full date and time:
`com.apple.quicktime.creationdate` (local time with offset), the container's `creation_time` (MP4/MOV
store UTC; Matroska too), a stream's `creation_time`, the container's `date` (AVI/WAV INFO ICRD, ID3,
QuickTime ©day), WAV bext `origination_date` + `origination_time` (FFmpeg names them `date` and
`creation_time`), and for photos EXIF DateTimeOriginal / DateTimeDigitized / DateTime (with
OffsetTime* when present). A value without an offset is taken to be in `assume_tz`.
"""

from __future__ import annotations

import logging
import re
import struct
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import av

logger = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")

HEAD_FRAMES = 3  # frames decoded at the start of every audio/video stream
HEAD_PACKETS = 400  # at most this many packets read at the start
END_WINDOW = 1.0  # seconds before the declared end to seek to
END_FRAMES = 2  # frames decoded per stream after that seek
END_PACKETS = 4000  # at most this many packets read from there to the end
END_TOLERANCE = 0.5  # seconds the readable end may fall short of the declared duration
EARLIEST_PLAUSIBLE = datetime(2000, 1, 1, tzinfo=UTC)  # cameras with a reset clock say 1904, 1970, 1980

VIDEO_EXTENSIONS = {
    "mp4", "mov", "m4v", "avi", "mkv", "webm", "3gp", "ts", "mts", "m2ts", "flv", "wmv", "asf", "mpg", "mpeg",
    "vob", "264", "h264", "265", "h265", "hevc", "dav",
}  # fmt: skip
AUDIO_EXTENSIONS = {"wav", "mp3", "m4a", "aac", "amr", "wma", "ogg", "oga", "opus", "flac", "mka"}
IMAGE_EXTENSIONS = {"jpg", "jpeg", "png", "gif", "bmp", "webp", "heic", "heif", "avif", "tif", "tiff"}
DOCUMENT_EXTENSIONS = {
    "pdf",
    "doc",
    "docx",
    "xls",
    "xlsx",
    "ppt",
    "pptx",
    "odt",
    "ods",
    "odp",
    "ofd",
    "rtf",
    "wps",
}
MP4_FAMILY = {"mp4", "mov", "m4v", "m4a", "3gp", "heic", "heif", "avif"}

# major_brand of an ISO/QuickTime file → the name shown for its container
BRANDS = {
    "qt": "mov",
    "m4a": "m4a",
    "m4b": "m4a",
    "m4v": "m4v",
    "heic": "heif",
    "heix": "heif",
    "mif1": "heif",
    "msf1": "heif",
    "avif": "avif",
}
IMAGE_CONTAINERS = {"image2", "gif", "apng", "webp", "heif", "avif"}
# FFmpeg shows text files (.txt, .nfo, .asc, ...) as "video" through its ANSI-art demuxers: not media
TEXT_FORMATS = {"tty", "bin", "xbin", "adf", "idf"}

# where recorded time is looked for, in order: (scope, tag)
TIME_TAGS = ("com.apple.quicktime.creationdate", "creation_time")
DATE_TAGS = ("date", "date_recorded", "icrd")
EXIF_TIMES = (
    ("DateTimeOriginal", "0x9011", "OffsetTimeOriginal"),
    ("DateTimeDigitized", "0x9012", "OffsetTimeDigitized"),
    ("DateTime", "0x9010", "OffsetTime"),
)

_DATE_TIME = re.compile(
    r"(?P<y>\d{4})[-:/.](?P<mo>\d{1,2})[-:/.](?P<d>\d{1,2})[T ]+(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d+))?)?"
    r"\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?"
)
_DATE_ONLY = re.compile(r"(?P<y>\d{4})[-:/.](?P<mo>\d{1,2})[-:/.](?P<d>\d{1,2})")
_TIME_ONLY = re.compile(r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d+))?)?")
_OFFSET = re.compile(r"(?P<sign>[+-])(?P<h>\d{2}):?(?P<m>\d{2})?")


@dataclass
class MediaInfo:
    kind: str  # "video", "audio", "image", "document", "other"
    readable: bool = True
    problem: str | None = None  # Chinese, when unreadable or suspicious
    container: str | None = None
    duration_seconds: float | None = None
    recorded_start: datetime | None = None  # timezone-aware
    recorded_end: datetime | None = None  # recorded_start + duration
    # which tag the time came from: "format:creation_time", "stream0:creation_time", "exif:DateTimeOriginal"…
    time_source: str | None = None
    video_codec: str | None = None
    width: int | None = None
    height: int | None = None
    frame_rate: float | None = None
    audio_codec: str | None = None
    audio_channels: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)  # raw tags, for display
    checked_packets: int = 0  # packets read by the readability check (does not grow with the length)

    def as_dict(self) -> dict:
        data = asdict(self)
        for key in ("recorded_start", "recorded_end"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return data


def probe(path: Path, *, assume_tz: tzinfo = SHANGHAI) -> MediaInfo:
    """Describe the file at `path` (see the module docstring). Raises OSError only for I/O errors."""
    path = Path(path)
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(1024)
    extension = path.suffix.lower().lstrip(".")
    if size == 0:
        return MediaInfo(
            kind=_kind_from_extension(extension),
            readable=False,
            problem="文件为空（0字节），没有可读取的内容。",
        )
    document = _document(path, head, extension)
    if document is not None:
        return document
    try:
        info = _media(path, head, extension, size, assume_tz)
    except OSError as error:
        if not isinstance(error, av.FFmpegError):
            raise
        logger.warning("probe %s: %s", path, error)
        info = MediaInfo(
            kind=_kind_from_magic(head) or _kind_from_extension(extension),
            readable=False,
            problem="读取音视频数据时出错，文件可能已损坏，无法完整解码。",
        )
    except Exception:  # PyAV on damaged input: evidence must still be stored, so never raise here
        logger.exception("probe %s", path)
        info = MediaInfo(
            kind=_kind_from_magic(head) or _kind_from_extension(extension),
            readable=False,
            problem="读取音视频数据时出错，文件可能已损坏，无法完整解码。",
        )
    return info if info is not None else _not_media(path, head, extension, size)


# ---------------------------------------------------------------- audio, video, images (PyAV)


def _media(path: Path, head: bytes, extension: str, size: int, assume_tz: tzinfo) -> MediaInfo | None:
    """MediaInfo for a file FFmpeg can open with at least one audio or video stream, else None."""
    try:
        # latin-1 keeps the tag bytes as they are; _decoded() then reads them as UTF-8 or GB 18030
        container = av.open(str(path), metadata_encoding="latin-1", metadata_errors="replace")
    except av.FFmpegError:
        return None
    with container:
        if container.format.name in TEXT_FORMATS:
            return None
        streams = [
            s for s in container.streams
            if s.type in ("video", "audio") and s.codec_context is not None and not s.disposition & av.stream.Disposition.attached_pic
        ]  # fmt: skip
        if not streams:
            return None
        format_tags = _decoded(container.metadata)
        stream_tags = {s.index: _decoded(s.metadata) for s in container.streams}
        name = _container_name(container, format_tags)
        videos = [s for s in streams if s.type == "video"]
        audios = [s for s in streams if s.type == "audio"]
        is_image = name in IMAGE_CONTAINERS or container.format.name.endswith("_pipe")
        kind = "image" if is_image else "video" if videos else "audio"
        info = MediaInfo(kind=kind, container=name, metadata=_tags(format_tags, stream_tags))
        if videos:
            context = videos[0].codec_context
            info.video_codec = _codec_name(videos[0])
            info.width, info.height = context.width or None, context.height or None
            rate = None if is_image else videos[0].average_rate or videos[0].guessed_rate
            info.frame_rate = round(float(rate), 3) if rate else None
        if audios:
            info.audio_codec = _codec_name(audios[0])
            info.audio_channels = audios[0].codec_context.channels or None
        problems: list[str] = []
        if container.format.name.startswith("mov,"):
            box_problem = _mp4_box_problem(path, size)
            if box_problem:
                problems.append(box_problem)
        if is_image:
            frame_tags = _check_image(container, videos[0], problems)
            info.metadata.update({f"exif:{k}": _short(v) for k, v in frame_tags.items()})
            if head.startswith(b"\xff\xd8") and not _jpeg_complete(path):
                problems.append("JPEG图片缺少结束标记，文件不完整，无法完整解码。")
            found = _exif_time(frame_tags, assume_tz)
        else:
            info.duration_seconds = _duration(container, streams)
            info.checked_packets = _check_av(container, streams, info.duration_seconds, problems)
            found = _tag_time(format_tags, container.streams, stream_tags, assume_tz)
        start, source, notes = found
        info.recorded_start, info.time_source = start, source
        if start is not None and info.duration_seconds is not None:
            info.recorded_end = start + timedelta(seconds=info.duration_seconds)
        info.readable = not problems
        problems += notes  # suspicious, not unreadable
        info.problem = "；".join(dict.fromkeys(problems)) or None
        return info


def _container_name(container, format_tags: dict[str, str]) -> str:
    name = container.format.name
    if name.startswith("mov,"):
        brand = (format_tags.get("major_brand") or "").strip().lower()
        return BRANDS.get(brand, "3gp" if brand.startswith(("3gp", "3g2")) else "mp4")
    if name.endswith("_pipe"):
        return name.removesuffix("_pipe")
    return name.split(",")[0]


def _codec_name(stream) -> str:
    codec = stream.codec_context.codec
    return codec.canonical_name if codec is not None else stream.codec_context.name


def _short(value) -> str:
    text = str(value).replace("\x00", "").strip()
    return text if len(text) <= 300 else text[:300] + "…"


def _text(value: str) -> str:
    """A tag read as latin-1, decoded properly: UTF-8 as the formats say, else GB 18030 (cameras
    and recorders sold in China often write GBK), else UTF-8 with replacement characters."""
    raw = value.encode("latin-1", "replace")
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "replace")


def _decoded(tags) -> dict[str, str]:
    return {_text(key): _text(value) for key, value in tags.items()}


def _tags(format_tags: dict[str, str], stream_tags: dict[int, dict[str, str]]) -> dict[str, str]:
    tags = {key: _short(value) for key, value in format_tags.items()}
    for index, values in stream_tags.items():
        for key, value in values.items():
            tags[f"stream{index}:{key}"] = _short(value)
    return dict(list(tags.items())[:100])


def _duration(container, streams) -> float | None:
    if container.duration:
        return round(container.duration / av.time_base, 3)
    ends = [float(s.duration * s.time_base) for s in streams if s.duration and s.time_base]
    return round(max(ends), 3) if ends else None


def _decode(packet, problems: list[str], stream_label: str) -> int:
    """Decode one packet; return the number of frames, noting a decoding error or a damaged frame."""
    try:
        frames = packet.decode()
    except av.FFmpegError:
        problems.append(f"{stream_label}数据无法解码，文件可能已损坏，无法完整解码。")
        return 0
    if any(frame.is_corrupt for frame in frames):
        problems.append(f"{stream_label}中有损坏的画面或声音，无法完整解码。")
    return len(frames)


def _label(stream) -> str:
    return "视频" if stream.type == "video" else "音频"


def _packet_end(packet, start: float) -> float | None:
    timestamp = packet.pts if packet.pts is not None else packet.dts
    if timestamp is None or packet.time_base is None:
        return None
    return float((timestamp + (packet.duration or 0)) * packet.time_base) - start


def _check_av(container, streams, duration: float | None, problems: list[str]) -> int:
    """Decode the start of every stream, then seek near the declared end, read to the end of the
    file and decode the first frames there. Appends to `problems`; returns the packets read."""
    for stream in streams:
        stream.codec_context.thread_count = 1  # a few frames only: threads would just add delay
    start = (container.start_time or 0) / av.time_base
    read = 0
    reached: float | None = None
    frames = dict.fromkeys((s.index for s in streams), 0)
    packets = dict.fromkeys(frames, 0)
    at_eof = True
    try:
        for packet in container.demux(streams):
            index = packet.stream.index
            if packet.size:
                read += 1
                packets[index] += 1
                if packet.is_corrupt:
                    problems.append("文件中有不完整或损坏的数据包，文件可能被截断，无法完整解码。")
                end = _packet_end(packet, start)
                if end is not None:
                    reached = end if reached is None else max(reached, end)
            if frames[index] < HEAD_FRAMES:
                frames[index] += _decode(packet, problems, _label(packet.stream))
            if read >= HEAD_PACKETS or all(count >= HEAD_FRAMES for count in frames.values()):
                at_eof = False
                break
    except av.FFmpegError:
        problems.append("读取文件开头的数据时出错，文件可能已损坏，无法完整解码。")
        return read
    for stream in streams:
        if packets[stream.index] and not frames[stream.index] and (at_eof or read >= HEAD_PACKETS):
            problems.append(f"{_label(stream)}流开头解码不出任何内容，无法完整解码。")
    if not at_eof:
        if duration is None:
            return read  # a raw stream without a duration: nothing to seek to
        for stream in streams:
            stream.codec_context.flush_buffers()
        target = start + max(0.0, duration - END_WINDOW)
        try:
            container.seek(int(target * av.time_base), backward=True)
        except av.FFmpegError:
            problems.append("无法定位到文件末尾，文件可能不完整，无法完整解码。")
            return read
        frames = dict.fromkeys(frames, 0)
        reached, tail, at_eof = None, 0, True
        try:
            for packet in container.demux(streams):
                index = packet.stream.index
                if packet.size:
                    tail += 1
                    if packet.is_corrupt:
                        problems.append("文件中有不完整或损坏的数据包，文件可能被截断，无法完整解码。")
                    end = _packet_end(packet, start)
                    if end is not None:
                        reached = end if reached is None else max(reached, end)
                if frames[index] < END_FRAMES:
                    frames[index] += _decode(packet, problems, "文件末尾的" + _label(packet.stream))
                if tail >= END_PACKETS:
                    at_eof = False
                    break
        except av.FFmpegError:
            problems.append("读取文件末尾时出错，文件可能不完整，无法完整解码。")
        read += tail
        if not tail:
            problems.append("读不到文件末尾的数据，文件可能被截断，无法完整解码。")
            return read
        if not at_eof:
            return read  # keyframes too far apart to reach the end cheaply; the end is not judged
    if duration is not None and reached is not None and reached < duration - END_TOLERANCE:
        problems.append(
            f"文件标称时长 {duration:.1f} 秒，但只能读到第 {max(reached, 0):.1f} 秒，文件可能被截断，无法完整解码。"
        )
    return read


def _check_image(container, stream, problems: list[str]) -> dict[str, str]:
    """Decode the picture; return the decoder's frame metadata (EXIF for JPEG)."""
    stream.codec_context.thread_count = 1
    try:
        for frame in container.decode(stream):
            if frame.is_corrupt:
                problems.append("图片数据损坏，无法完整解码。")
            return dict(frame.metadata)
    except av.FFmpegError:
        pass
    problems.append("图片无法解码，文件可能已损坏或不完整。")
    return {}


def _jpeg_complete(path: Path) -> bool:
    """Whether the JPEG has an end-of-image marker after its first scan. Entropy-coded data never
    contains FF D9, so the first one after the scan starts ends the main picture; anything after it
    (a motion-photo video, a maker trailer) is allowed."""
    with path.open("rb") as fh:
        if fh.read(2) != b"\xff\xd8":
            return False
        while True:  # walk the marker segments up to the start of scan
            marker = fh.read(2)
            if len(marker) < 2 or marker[0] != 0xFF:
                return False
            if marker[1] == 0xFF:  # fill byte
                fh.seek(-1, 1)
                continue
            length = fh.read(2)
            if len(length) < 2:
                return False
            if marker[1] == 0xDA:
                fh.seek(struct.unpack(">H", length)[0] - 2, 1)
                break
            fh.seek(struct.unpack(">H", length)[0] - 2, 1)
        previous = b""
        while chunk := fh.read(1 << 20):
            if b"\xff\xd9" in previous[-1:] + chunk:
                return True
            previous = chunk
    return False


def _mp4_box_problem(path: Path, size: int) -> str | None:
    """Walk the top-level boxes of an ISO/QuickTime file (a few bytes read per box): a box running
    past the end of the file means it was cut off; no `moov` means it has no index to play from."""
    seen: set[bytes] = set()
    position = 0
    with path.open("rb") as fh:
        for _ in range(200_000):
            if position >= size:
                break
            fh.seek(position)
            header = fh.read(8)
            if len(header) < 8:
                return f"MP4/MOV文件结构在第 {position} 字节处中断，文件被截断，无法完整解码。"
            box_size, box_type = struct.unpack(">I4s", header)
            if box_size == 1:
                large = fh.read(8)
                if len(large) < 8:
                    return f"MP4/MOV文件结构在第 {position} 字节处中断，文件被截断，无法完整解码。"
                box_size = struct.unpack(">Q", large)[0]
            elif box_size == 0:
                box_size = size - position
            if box_size < 8 or not re.fullmatch(rb"[A-Za-z0-9 _\-\xa9]{4}", box_type):
                return "MP4/MOV文件结构已损坏（文件头或数据块标记无效），无法完整解码。"
            seen.add(box_type)
            if position + box_size > size:
                kind = "媒体数据（mdat）" if box_type == b"mdat" else f"数据块“{box_type.decode('latin-1')}”"
                return (
                    f"MP4/MOV文件不完整：{kind}应到第 {position + box_size} 字节，但文件只有 {size} 字节，"
                    "文件在录制或拷贝中被截断，无法完整解码。"
                )
            position += box_size
    if b"moov" not in seen:
        return "MP4/MOV文件缺少索引（moov），通常是录制中断或拷贝不完整所致，无法解码。"
    return None


# ---------------------------------------------------------------- recorded time


def _tzinfo(text: str | None, assume_tz: tzinfo) -> tzinfo:
    if not text:
        return assume_tz
    if text in ("Z", "UTC", "GMT"):
        return UTC
    match = _OFFSET.fullmatch(text)
    if not match:
        return assume_tz
    minutes = int(match["h"]) * 60 + int(match["m"] or 0)
    return timezone(timedelta(minutes=minutes if match["sign"] == "+" else -minutes))


def parse_time(text: str, assume_tz: tzinfo = SHANGHAI) -> datetime | None:
    """A full date and time from a tag value, aware (naive values are taken in `assume_tz`);
    None for a date alone, a year alone, or anything else."""
    text = (text or "").replace("\x00", "").strip()
    match = _DATE_TIME.fullmatch(text)
    if match:
        fraction = (match["f"] or "0")[:6].ljust(6, "0")
        try:
            value = datetime(
                int(match["y"]), int(match["mo"]), int(match["d"]),
                int(match["h"]), int(match["mi"]), int(match["s"] or 0), int(fraction),
            )  # fmt: skip
        except ValueError:
            return None
        return value.replace(tzinfo=_tzinfo(match["tz"], assume_tz))
    try:  # AVI IDIT, e.g. "Wed May 06 17:30:00 2026"
        return datetime.strptime(text, "%a %b %d %H:%M:%S %Y").replace(tzinfo=assume_tz)
    except ValueError:
        return None


def _combine(date_text: str, time_text: str, assume_tz: tzinfo) -> datetime | None:
    """A date-only tag and a time-only tag (WAV bext origination_date/origination_time)."""
    date = _DATE_ONLY.fullmatch((date_text or "").strip())
    time = _TIME_ONLY.fullmatch((time_text or "").strip())
    if not date or not time:
        return None
    return parse_time(f"{date['y']}-{date['mo']}-{date['d']} {time.group(0)}", assume_tz)


def _plausible(value: datetime, key: str, raw: str, notes: list[str]) -> bool:
    if value >= EARLIEST_PLAUSIBLE:
        return True
    notes.append(f"时间标签“{key}”的值“{raw}”早于2000年，应是设备时钟未设置，未采用。")
    return False


def _tag_time(
    format_tags, streams, stream_tags, assume_tz: tzinfo
) -> tuple[datetime | None, str | None, list[str]]:
    notes: list[str] = []
    tags = {key.lower(): value for key, value in format_tags.items()}
    candidates = [(f"format:{key}", tags.get(key)) for key in TIME_TAGS]
    ordered = sorted(streams, key=lambda s: {"video": 0, "audio": 1}.get(s.type, 2))
    candidates += [
        (f"stream{s.index}:creation_time", stream_tags[s.index].get("creation_time")) for s in ordered
    ]
    candidates += [(f"format:{key}", tags.get(key)) for key in DATE_TAGS]
    for source, raw in candidates:
        value = parse_time(raw, assume_tz) if raw else None
        if value is not None and _plausible(value, source.split(":", 1)[1], raw, notes):
            return value, source, notes
    for key in DATE_TAGS:  # bext: date-only `date`, time-only `creation_time`
        value = _combine(tags.get(key), tags.get("creation_time") or tags.get("time"), assume_tz)
        if value is not None and _plausible(value, key, tags.get(key), notes):
            return value, f"format:{key}+creation_time", notes
    return None, None, notes


def _exif_time(
    frame_tags: dict[str, str], assume_tz: tzinfo
) -> tuple[datetime | None, str | None, list[str]]:
    notes: list[str] = []
    by_name = {key.rsplit("/", 1)[-1]: value for key, value in frame_tags.items()}
    for name, offset_code, offset_name in EXIF_TIMES:
        raw = by_name.get(name)
        if not raw:
            continue
        offset = (by_name.get(offset_name) or by_name.get(offset_code) or "").replace("\x00", "").strip()
        value = parse_time(raw + (offset if _OFFSET.fullmatch(offset) else ""), assume_tz)
        if value is not None and _plausible(value, name, raw, notes):
            return value, f"exif:{name}", notes
    return None, None, notes


# ---------------------------------------------------------------- documents and everything else


def _kind_from_extension(extension: str) -> str:
    for kind, extensions in (
        ("video", VIDEO_EXTENSIONS), ("audio", AUDIO_EXTENSIONS), ("image", IMAGE_EXTENSIONS), ("document", DOCUMENT_EXTENSIONS),
    ):  # fmt: skip
        if extension in extensions:
            return kind
    return "other"


def _kind_from_magic(head: bytes) -> str | None:
    if head[4:8] == b"ftyp":
        brand = head[8:12].strip().lower()
        return (
            "audio"
            if brand in (b"m4a", b"m4b")
            else "image"
            if brand in (b"heic", b"heix", b"mif1", b"avif")
            else "video"
        )
    if head.startswith(b"RIFF"):
        return {b"AVI ": "video", b"WAVE": "audio", b"WEBP": "image"}.get(head[8:12])
    if head.startswith((b"\x1a\x45\xdf\xa3", b"\x00\x00\x01\xba", b"FLV")) or (
        head[:1] == b"G" and head[188:189] == b"G"
    ):
        return "video"
    if head.startswith((b"ID3", b"#!AMR", b"fLaC", b"OggS")):
        return "audio"
    if head.startswith(
        (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*")
    ):
        return "image"
    return None


def _document(path: Path, head: bytes, extension: str) -> MediaInfo | None:
    """MediaInfo for PDF, Office/OFD (zip or OLE) and RTF files, recognised by content."""
    if b"%PDF-" in head:
        with path.open("rb") as fh:
            fh.seek(max(0, path.stat().st_size - 2048))
            complete = b"%%EOF" in fh.read()
        problem = None if complete else "PDF文件缺少结尾标记（%%EOF），文件可能不完整。"
        return MediaInfo(kind="document", readable=complete, problem=problem, container="pdf")
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return MediaInfo(
            kind="document", container=extension if extension in ("doc", "xls", "ppt", "wps") else "ole"
        )
    if head.startswith(b"{\\rtf"):
        return MediaInfo(kind="document", container="rtf")
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
                mimetype = (
                    archive.read("mimetype").decode("ascii", "replace").strip() if "mimetype" in names else ""
                )
        except (zipfile.BadZipFile, OSError, EOFError):
            if extension in DOCUMENT_EXTENSIONS:
                return MediaInfo(
                    kind="document",
                    readable=False,
                    problem="文档压缩包结构损坏（文件可能不完整），无法打开。",
                    container=extension,
                )
            return None
        for part, name in (
            ("word/document.xml", "docx"),
            ("xl/workbook.xml", "xlsx"),
            ("ppt/presentation.xml", "pptx"),
            ("OFD.xml", "ofd"),
        ):
            if part in names:
                return MediaInfo(kind="document", container=name)
        if mimetype.startswith("application/vnd.oasis.opendocument."):
            return MediaInfo(kind="document", container="odf")
        # A sound ZIP archive of something else: no audio or video container starts like this, and
        # FFmpeg's guessing demuxers could otherwise call its bytes a video (it depends on the dates in it).
        return MediaInfo(kind="other", container="zip")
    return None


def _not_media(path: Path, head: bytes, extension: str, size: int) -> MediaInfo:
    """Neither FFmpeg nor the document checks recognised the file."""
    kind = _kind_from_magic(head) or _kind_from_extension(extension)
    if kind == "document":
        names = {"pdf": "PDF", "docx": "Word", "doc": "Word", "ofd": "OFD"}
        label = names.get(extension, extension.upper())
        return MediaInfo(
            kind=kind, readable=False, problem=f"文件扩展名为“.{extension}”，但内容不是有效的{label}文档。"
        )
    if kind == "other":
        return MediaInfo(kind=kind)
    problem = None
    if head[4:8] == b"ftyp" or extension in MP4_FAMILY:
        problem = _mp4_box_problem(path, size)
    if problem is None:
        what = {"video": "视频", "audio": "音频", "image": "图片"}[kind]
        problem = f"无法作为{what}文件读取：内容已损坏或并非有效的{what}格式，无法解码。"
    return MediaInfo(kind=kind, readable=False, problem=problem)
