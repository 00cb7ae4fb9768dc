"""Make small, real media files for tests with PyAV (no system ffmpeg, no numpy).

Every helper writes a genuine file that FFmpeg can read back, in well under a second:

    make_video(path, seconds=2, creation_time=datetime(2026, 5, 6, 9, 30, tzinfo=UTC))
    make_audio(path, seconds=2, container="m4a")
    make_image(path, exif_time="2026:05:06 17:30:00")
    corrupt(path, "truncate")

What round-trips (FFmpeg 8 inside PyAV 18): `creation_time` written to the container metadata of mp4,
mov, m4a and matroska is read back as `creation_time` in UTC ("2026-05-06T09:30:00.000000Z"); the mp4
and mov muxers also copy it onto each stream. A naive value is taken as UTC by the muxer. The avi
muxer drops `creation_time` but keeps `date` (INFO/ICRD); wav keeps `date` (ICRD) too. With
`write_bext=1`, wav keeps `origination_date`/`origination_time`, which read back as `date` and a
time-only `creation_time`. Arbitrary keys such as `com.apple.quicktime.creationdate` need the mov
muxer option movflags=use_metadata_tags.
"""

from __future__ import annotations

import random
import struct
import zipfile
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import av

# container name as callers know it → FFmpeg muxer name
VIDEO_MUXERS = {"mp4": "mp4", "mov": "mov", "mkv": "matroska", "matroska": "matroska", "avi": "avi"}
AUDIO_MUXERS = {"wav": "wav", "m4a": "ipod", "mp3": "mp3", "mka": "matroska"}
AUDIO_CODECS = {
    "wav": ("pcm_s16le", "s16"),
    "m4a": ("aac", "fltp"),
    "mp3": ("libmp3lame", "s16p"),
    "mka": ("aac", "fltp"),
}


def _iso_utc(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("creation_time must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _video_frame(width: int, height: int, index: int, *, noise: random.Random | None) -> av.VideoFrame:
    frame = av.VideoFrame(width, height, "yuv420p")
    for number, plane in enumerate(frame.planes):
        if noise is not None:
            plane.update(noise.randbytes(plane.buffer_size))
        else:  # a flat picture whose brightness changes a little every frame
            plane.update(bytes([(index * 7 + number * 60) % 220 + 16]) * plane.buffer_size)
    return frame


def _audio_frames(rate: int, seconds: float, layout: str, sample_format: str, frame_size: int):
    total = round(rate * seconds)
    done = 0
    while done < total:
        count = min(frame_size, total - done)
        frame = av.AudioFrame(format=sample_format, layout=layout, samples=count)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.sample_rate = rate
        frame.pts = done
        frame.time_base = Fraction(1, rate)
        yield frame
        done += count


def _encode(output, stream, frames) -> None:
    for frame in frames:
        for packet in stream.encode(frame):
            output.mux(packet)
    for packet in stream.encode():
        output.mux(packet)


def make_video(
    path: Path,
    *,
    seconds: float = 2,
    fps: int = 10,
    size: tuple[int, int] = (160, 120),
    creation_time: datetime | None = None,
    container: str = "mp4",
    codec: str | None = None,
    gop: int | None = None,
    audio: bool = True,
    noise: bool = False,
    metadata: dict[str, str] | None = None,
    options: dict[str, str] | None = None,
    metadata_encoding: str = "utf-8",
) -> Path:
    """Write a `seconds` long clip: a video stream (h264, mpeg4 for avi) with a keyframe every `gop`
    frames (default: every second) and, with `audio`, a mono 8 kHz silent track (aac, pcm for avi).

    `creation_time` (aware) goes into the container's `creation_time` tag; `metadata` adds or
    overrides tags as given. `noise` fills frames with random pixels so the file is big for its
    length (for tests about how much of a file probing reads).
    """
    path = Path(path)
    muxer = VIDEO_MUXERS[container]
    codec = codec or ("mpeg4" if muxer == "avi" else "h264")
    width, height = size
    rng = random.Random(1) if noise else None
    with av.open(
        str(path), "w", format=muxer, options=options or {}, metadata_encoding=metadata_encoding
    ) as output:
        if creation_time is not None:
            output.metadata["creation_time"] = _iso_utc(creation_time)
        output.metadata.update(metadata or {})
        video = output.add_stream(codec, rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.codec_context.gop_size = gop or fps
        if noise:
            video.codec_context.bit_rate = 8_000_000
        sound = None
        if audio:
            audio_codec, sample_format = ("pcm_s16le", "s16") if muxer == "avi" else ("aac", "fltp")
            sound = output.add_stream(audio_codec, rate=8000, layout="mono")
            sound.format = sample_format
        frames = round(seconds * fps)
        for index in range(frames):
            frame = _video_frame(width, height, index, noise=rng)
            frame.pts, frame.time_base = index, Fraction(1, fps)
            for packet in video.encode(frame):
                output.mux(packet)
            if sound is not None:  # interleave about as much audio as the picture covers
                start, end = round(index * 8000 / fps), round((index + 1) * 8000 / fps)
                for audio_frame in _audio_frames(8000, (end - start) / 8000, "mono", sound.format.name, 1024):
                    audio_frame.pts += start
                    for packet in sound.encode(audio_frame):
                        output.mux(packet)
        for packet in video.encode():
            output.mux(packet)
        if sound is not None:
            for packet in sound.encode():
                output.mux(packet)
    return path


def make_audio(
    path: Path,
    seconds: float = 2,
    container: str = "wav",
    *,
    rate: int = 8000,
    layout: str = "mono",
    metadata: dict[str, str] | None = None,
    options: dict[str, str] | None = None,
) -> Path:
    """Write `seconds` of silence: wav (pcm_s16le), m4a (aac), mp3 or mka. `metadata` sets tags."""
    path = Path(path)
    codec, sample_format = AUDIO_CODECS[container]
    with av.open(str(path), "w", format=AUDIO_MUXERS[container], options=options or {}) as output:
        output.metadata.update(metadata or {})
        stream = output.add_stream(codec, rate=rate, layout=layout)
        stream.format = sample_format
        frame_size = stream.codec_context.frame_size or 1024
        _encode(output, stream, _audio_frames(rate, seconds, layout, sample_format, frame_size))
    return path


def exif_segment(date_time_original: str, offset: str | None = None) -> bytes:
    """A JPEG APP1 segment with a minimal little-endian EXIF block: IFD0 → Exif IFD holding
    DateTimeOriginal ("YYYY:MM:DD HH:MM:SS") and, if given, OffsetTimeOriginal ("+08:00")."""
    entries = [(0x9003, date_time_original.encode("ascii") + b"\0")]
    if offset:
        entries.append((0x9011, offset.encode("ascii") + b"\0"))
    exif_ifd = 8 + 2 + 12 + 4  # TIFF header, then IFD0 with one entry
    data_at = exif_ifd + 2 + 12 * len(entries) + 4
    ifd0 = struct.pack("<H", 1) + struct.pack("<HHII", 0x8769, 4, 1, exif_ifd) + struct.pack("<I", 0)
    table, data = b"", b""
    for tag, value in entries:
        table += struct.pack("<HHII", tag, 2, len(value), data_at + len(data))  # type 2: ASCII
        data += value
    tiff = (
        b"II*\x00"
        + struct.pack("<I", 8)
        + ifd0
        + struct.pack("<H", len(entries))
        + table
        + struct.pack("<I", 0)
        + data
    )
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def make_image(
    path: Path,
    *,
    size: tuple[int, int] = (64, 48),
    exif_time: str | None = None,
    exif_offset: str | None = None,
) -> Path:
    """Write a PNG or JPEG (by suffix) with FFmpeg's image2 muxer. For a JPEG, `exif_time`
    ("2026:05:06 17:30:00") adds an EXIF DateTimeOriginal, `exif_offset` its OffsetTimeOriginal."""
    path = Path(path)
    jpeg = path.suffix.lower() in (".jpg", ".jpeg")
    codec, pixel_format = ("mjpeg", "yuvj420p") if jpeg else ("png", "rgb24")
    width, height = size
    with av.open(str(path), "w", format="image2", options={"update": "1"}) as output:
        stream = output.add_stream(codec, rate=1)
        stream.width, stream.height, stream.pix_fmt = width, height, pixel_format
        frame = _video_frame(width, height, 3, noise=None).reformat(format=pixel_format)
        _encode(output, stream, [frame])
    if exif_time is not None:
        if not jpeg:
            raise ValueError("EXIF is only written into JPEG files here")
        data = path.read_bytes()
        path.write_bytes(data[:2] + exif_segment(exif_time, exif_offset) + data[2:])
    return path


def make_pdf(path: Path, text: str = "zhifa") -> Path:
    """A minimal valid one-page PDF, with a correct xref table."""
    path = Path(path)
    stream = f"BT /F1 12 Tf 20 50 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path


def make_docx(path: Path, text: str = "现场检查笔录") -> Path:
    """A tiny DOCX: a zip with [Content_Types].xml, the package relationship and word/document.xml."""
    path = Path(path)
    word = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            "</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
            "</Relationships>",
        )
        archive.writestr(
            "word/document.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{word}"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>',
        )
    return path


def corrupt(path: Path, how: str = "truncate", *, keep: float = 0.5, seed: int = 0) -> Path:
    """Damage a file in place, the ways evidence files get damaged:

    - "truncate": keep only the first `keep` fraction (a copy or recording cut off mid-file);
    - "random": replace the content with as many random bytes (a wrong file under a media name);
    - "zero_header": overwrite the first 4 KiB (or the whole file if smaller) with zero bytes.
    """
    path = Path(path)
    data = path.read_bytes()
    if how == "truncate":
        data = data[: int(len(data) * keep)]
    elif how == "random":
        data = random.Random(seed).randbytes(len(data))
    elif how == "zero_header":
        cut = min(4096, len(data))
        data = bytes(cut) + data[cut:]
    else:
        raise ValueError(f"unknown corruption {how!r}")
    path.write_bytes(data)
    return path
