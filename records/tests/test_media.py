"""records.media.probe on real files made with PyAV (records/tests/clips.py). No database."""

import json
import re
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from records.media import MediaInfo, parse_time, probe
from records.tests import clips

SHANGHAI = ZoneInfo("Asia/Shanghai")
CREATED = datetime(2026, 5, 6, 9, 30, tzinfo=UTC)
LOCAL_1730 = datetime(2026, 5, 6, 17, 30, tzinfo=SHANGHAI)  # the same instant as CREATED


def chinese(text: str | None) -> bool:
    return bool(text) and re.search(r"[\u4e00-\u9fff]", text) is not None


def assert_json(info: MediaInfo) -> dict:
    data = info.as_dict()
    assert json.loads(json.dumps(data)) == data
    return data


# ---------------------------------------------------------------- video


@pytest.mark.parametrize("container", ["mp4", "mov"])
def test_video_with_creation_time(tmp_path, container):
    path = clips.make_video(tmp_path / f"clip.{container}", creation_time=CREATED, container=container)

    info = probe(path)

    assert info.kind == "video"
    assert info.readable is True and info.problem is None
    assert info.container == container
    assert info.duration_seconds == pytest.approx(2.0, abs=0.15)
    assert info.recorded_start == CREATED
    assert info.recorded_start.utcoffset() == timedelta(0)
    assert info.recorded_end == info.recorded_start + timedelta(seconds=info.duration_seconds)
    assert info.time_source == "format:creation_time"
    assert (info.video_codec, info.width, info.height, info.frame_rate) == ("h264", 160, 120, 10.0)
    assert (info.audio_codec, info.audio_channels) == ("aac", 1)
    assert info.metadata["creation_time"].startswith("2026-05-06T09:30:00")
    data = assert_json(info)
    assert data["recorded_start"] == "2026-05-06T09:30:00+00:00"


def test_matroska_and_avi(tmp_path):
    mkv = probe(clips.make_video(tmp_path / "clip.mkv", container="mkv", creation_time=CREATED))
    assert (mkv.kind, mkv.readable, mkv.container, mkv.recorded_start) == ("video", True, "matroska", CREATED)
    assert mkv.duration_seconds == pytest.approx(2.0, abs=0.2)

    # the avi muxer drops creation_time but keeps `date` (INFO/ICRD), a local time without offset
    avi = probe(
        clips.make_video(tmp_path / "clip.avi", container="avi", metadata={"date": "2026-05-06 17:30:00"})
    )
    assert (avi.kind, avi.readable, avi.container, avi.video_codec, avi.audio_codec) == (
        "video",
        True,
        "avi",
        "mpeg4",
        "pcm_s16le",
    )
    assert avi.recorded_start == LOCAL_1730 and avi.time_source == "format:date"


def test_apple_creationdate_with_offset_comes_first(tmp_path):
    path = clips.make_video(
        tmp_path / "iphone.mov",
        container="mov",
        creation_time=CREATED + timedelta(minutes=1),  # mvhd time in UTC, here a minute off
        metadata={"com.apple.quicktime.creationdate": "2026-05-06T17:30:00+0800"},
        options={"movflags": "use_metadata_tags"},  # without it the mov muxer drops unknown keys
    )
    info = probe(path)
    assert info.recorded_start == CREATED
    assert info.recorded_start.utcoffset() == timedelta(hours=8)
    assert info.time_source == "format:com.apple.quicktime.creationdate"


def test_naive_time_tag_is_taken_in_assume_tz(tmp_path):
    # `date` is QuickTime ©day in a mov
    path = clips.make_video(tmp_path / "day.mov", container="mov", metadata={"date": "2026-05-06T17:30:00"})
    assert probe(path).recorded_start == LOCAL_1730
    assert probe(path, assume_tz=UTC).recorded_start == datetime(2026, 5, 6, 17, 30, tzinfo=UTC)


def test_clock_never_set_is_not_taken_as_recorded_time(tmp_path):
    info = probe(
        clips.make_video(tmp_path / "reset.mp4", creation_time=datetime(1970, 1, 1, 0, 0, 5, tzinfo=UTC))
    )
    assert info.readable is True
    assert info.recorded_start is None and info.recorded_end is None and info.time_source is None
    assert "早于2000年" in info.problem


def test_video_without_time_tags(tmp_path):
    info = probe(clips.make_video(tmp_path / "plain.mp4"))
    assert info.readable is True
    assert info.recorded_start is None and info.recorded_end is None and info.time_source is None
    assert info.duration_seconds == pytest.approx(2.0, abs=0.15)


def test_gbk_tags_are_decoded(tmp_path):
    path = clips.make_video(tmp_path / "gbk.mp4", metadata={"title": "执法记录仪"}, metadata_encoding="gbk")
    info = probe(path)
    assert info.readable is True
    assert info.metadata["title"] == "执法记录仪"


# ---------------------------------------------------------------- audio


@pytest.mark.parametrize(("container", "codec"), [("wav", "pcm_s16le"), ("m4a", "aac"), ("mp3", "mp3")])
def test_audio(tmp_path, container, codec):
    info = probe(clips.make_audio(tmp_path / f"voice.{container}", 2, container))
    assert (info.kind, info.readable, info.problem) == ("audio", True, None)
    assert info.container == container
    assert info.duration_seconds == pytest.approx(2.0, abs=0.2)
    assert (info.audio_codec, info.audio_channels) == (codec, 1)
    assert info.video_codec is None and info.width is None
    assert_json(info)


def test_audio_times(tmp_path):
    m4a = probe(
        clips.make_audio(tmp_path / "a.m4a", 2, "m4a", metadata={"creation_time": "2026-05-06T09:30:00Z"})
    )
    assert m4a.recorded_start == CREATED and m4a.time_source == "format:creation_time"
    assert m4a.recorded_end == CREATED + timedelta(seconds=m4a.duration_seconds)

    icrd = probe(clips.make_audio(tmp_path / "icrd.wav", 2, "wav", metadata={"date": "2026-05-06 17:30:00"}))
    assert icrd.recorded_start == LOCAL_1730 and icrd.time_source == "format:date"

    # Broadcast WAV: origination_date / origination_time come back as `date` and a time-only `creation_time`
    bext = clips.make_audio(
        tmp_path / "bext.wav",
        2,
        "wav",
        metadata={"origination_date": "2026-05-06", "origination_time": "17:30:00"},
        options={"write_bext": "1"},
    )
    info = probe(bext)
    assert info.recorded_start == LOCAL_1730 and info.time_source == "format:date+creation_time"

    year_only = probe(clips.make_audio(tmp_path / "id3.mp3", 2, "mp3", metadata={"date": "2026"}))
    assert year_only.recorded_start is None and year_only.readable is True


# ---------------------------------------------------------------- images and documents


@pytest.mark.parametrize(
    ("name", "container", "codec"), [("photo.png", "png", "png"), ("photo.jpg", "jpeg", "mjpeg")]
)
def test_image(tmp_path, name, container, codec):
    info = probe(clips.make_image(tmp_path / name))
    assert (info.kind, info.readable, info.problem, info.container, info.video_codec) == (
        "image",
        True,
        None,
        container,
        codec,
    )
    assert (info.width, info.height) == (64, 48)
    assert info.duration_seconds is None and info.recorded_start is None and info.frame_rate is None
    assert_json(info)


def test_jpeg_exif_time(tmp_path):
    local = probe(clips.make_image(tmp_path / "local.jpg", exif_time="2026:05:06 17:30:00"))
    assert local.recorded_start == LOCAL_1730 and local.time_source == "exif:DateTimeOriginal"
    assert local.recorded_end is None
    assert local.metadata["exif:ExifIFD/DateTimeOriginal"] == "2026:05:06 17:30:00"

    offset = probe(
        clips.make_image(tmp_path / "tokyo.jpg", exif_time="2026:05:06 18:30:00", exif_offset="+09:00")
    )
    assert offset.recorded_start == CREATED
    assert offset.recorded_start.utcoffset() == timedelta(hours=9)


def test_pdf_and_docx_are_documents(tmp_path):
    pdf = probe(clips.make_pdf(tmp_path / "笔录.pdf"))
    assert (pdf.kind, pdf.readable, pdf.problem, pdf.container) == ("document", True, None, "pdf")
    docx = probe(clips.make_docx(tmp_path / "笔录.docx"))
    assert (docx.kind, docx.readable, docx.problem, docx.container) == ("document", True, None, "docx")
    # recognised by content, not by name
    assert probe(clips.make_docx(tmp_path / "renamed.bin")).kind == "document"
    assert_json(pdf)


def test_damaged_documents(tmp_path):
    truncated_pdf = probe(clips.corrupt(clips.make_pdf(tmp_path / "a.pdf"), "truncate"))
    assert (truncated_pdf.kind, truncated_pdf.readable) == ("document", False)
    assert chinese(truncated_pdf.problem)

    fake_pdf = probe(clips.corrupt(clips.make_pdf(tmp_path / "b.pdf"), "random"))
    assert (fake_pdf.kind, fake_pdf.readable) == ("document", False)
    assert "PDF" in fake_pdf.problem

    truncated_docx = probe(clips.corrupt(clips.make_docx(tmp_path / "c.docx"), "truncate"))
    assert (truncated_docx.kind, truncated_docx.readable) == ("document", False)
    assert chinese(truncated_docx.problem)


def test_other_files(tmp_path):
    text = tmp_path / "说明.txt"
    text.write_text("现场情况说明\n" * 50, encoding="utf-8")
    assert (probe(text).kind, probe(text).readable, probe(text).problem) == ("other", True, None)
    # plain ASCII text: FFmpeg's ANSI-art demuxer would call it a video
    ascii_text = tmp_path / "notes.txt"
    ascii_text.write_text("hello world\n" * 50)
    assert (probe(ascii_text).kind, probe(ascii_text).readable) == ("other", True)

    # a ZIP archive is "other" whatever the dates stored in it (they once let FFmpeg guess "video")
    for n, stamp in enumerate(((1980, 1, 1, 0, 0, 0), (2026, 12, 2, 3, 16, 40), (2107, 12, 31, 23, 59, 58))):
        archive = tmp_path / f"bundle{n}.zip"
        with zipfile.ZipFile(archive, "w") as z:
            z.writestr(zipfile.ZipInfo("readme.txt", date_time=stamp), "hello")
        assert (probe(archive).kind, probe(archive).readable) == ("other", True)


# ---------------------------------------------------------------- unreadable media


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("moov_at_end.mp4", lambda p: clips.make_video(p, seconds=4)),
        ("faststart.mp4", lambda p: clips.make_video(p, seconds=4, options={"movflags": "faststart"})),
        ("clip.mov", lambda p: clips.make_video(p, seconds=4, container="mov")),
        ("clip.mkv", lambda p: clips.make_video(p, seconds=4, container="mkv")),
        ("voice.mp3", lambda p: clips.make_audio(p, 4, "mp3")),
        ("voice.wav", lambda p: clips.make_audio(p, 4, "wav")),
    ],
)
def test_truncated_media_is_flagged(tmp_path, name, make):
    path = make(tmp_path / name)
    healthy = probe(path)
    assert healthy.readable is True and healthy.problem is None

    info = probe(clips.corrupt(path, "truncate"))

    assert info.readable is False
    assert info.kind == healthy.kind
    assert chinese(info.problem)
    assert "无法完整解码" in info.problem
    assert_json(info)


def test_truncated_mp4_says_where_it_was_cut(tmp_path):
    path = clips.corrupt(
        clips.make_video(tmp_path / "cut.mp4", seconds=4, options={"movflags": "faststart"}), "truncate"
    )
    info = probe(path)
    assert info.readable is False
    assert "截断" in info.problem and "mdat" in info.problem
    # FFmpeg still opens it (the index is at the front), so the rest is known
    assert info.duration_seconds == pytest.approx(4.0, abs=0.15) and info.video_codec == "h264"


@pytest.mark.parametrize(
    ("name", "kind"),
    [("clip.mp4", "video"), ("clip.mov", "video"), ("voice.wav", "audio"), ("photo.jpg", "image")],
)
def test_random_bytes_with_a_media_name(tmp_path, name, kind):
    path = tmp_path / name
    for seed in range(5):
        path.write_bytes(bytes(200_000))
        info = probe(clips.corrupt(path, "random", seed=seed))
        assert (info.kind, info.readable) == (kind, False)
        assert chinese(info.problem)


@pytest.mark.parametrize("name", ["clip.mp4", "clip.mkv", "clip.avi"])
def test_garbage_header(tmp_path, name):
    container = name.rsplit(".", 1)[1]
    path = clips.make_video(tmp_path / name, seconds=2, size=(320, 240), noise=True, container=container)
    assert path.stat().st_size > 3 * 4096
    info = probe(clips.corrupt(path, "zero_header"))
    assert (info.kind, info.readable) == ("video", False)
    assert chinese(info.problem)


def test_truncated_jpeg(tmp_path):
    info = probe(clips.corrupt(clips.make_image(tmp_path / "photo.jpg", size=(320, 240)), "truncate"))
    assert (info.kind, info.readable) == ("image", False)
    assert chinese(info.problem)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    info = probe(path)
    assert (info.kind, info.readable) == ("video", False)
    assert "空" in info.problem


def test_missing_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        probe(tmp_path / "nowhere.mp4")


# ---------------------------------------------------------------- cost does not grow with length


def _bytes_read() -> int | None:
    try:
        with open("/proc/self/io") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("rchar:"))
    except (OSError, StopIteration):
        return None


def test_probe_cost_does_not_grow_with_length(tmp_path):
    # keyframe every second, random pixels so the long clip is megabytes
    short = clips.make_video(tmp_path / "short.mp4", seconds=2, size=(64, 48), noise=True)
    long = clips.make_video(tmp_path / "long.mp4", seconds=60, size=(64, 48), noise=True)
    assert long.stat().st_size > 25 * short.stat().st_size

    probe(short)  # warm up imports and caches before counting bytes
    before = _bytes_read()
    short_info = probe(short)
    middle = _bytes_read()
    long_info = probe(long)
    after = _bytes_read()

    assert short_info.readable and long_info.readable
    assert long_info.duration_seconds == pytest.approx(60.0, abs=0.15)
    # the same work whatever the length: the start, then the last second from its keyframe
    assert 0 < short_info.checked_packets <= long_info.checked_packets <= short_info.checked_packets + 10
    if before is None:
        pytest.skip("no /proc/self/io to count bytes read")
    short_read, long_read = middle - before, after - middle
    assert long_read < long.stat().st_size / 10
    assert long_read < 5 * max(short_read, 64 * 1024)


# ---------------------------------------------------------------- tag values


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-05-06T09:30:00.000000Z", datetime(2026, 5, 6, 9, 30, tzinfo=UTC)),
        ("2026-05-06T17:30:00+0800", datetime(2026, 5, 6, 17, 30, tzinfo=timezone(timedelta(hours=8)))),
        ("2026-05-06T17:30:00+08:00", datetime(2026, 5, 6, 17, 30, tzinfo=timezone(timedelta(hours=8)))),
        ("2026-05-06 17:30:00", LOCAL_1730),
        ("2026:05:06 17:30:00", LOCAL_1730),
        ("2026/05/06 17:30", LOCAL_1730),
        ("Wed May 06 17:30:00 2026", LOCAL_1730),
        ("2026-05-06 17:30:00.5 UTC", datetime(2026, 5, 6, 17, 30, 0, 500000, tzinfo=UTC)),
        ("2026-05-06", None),
        ("2026", None),
        ("17:30:00", None),
        ("2026-13-45 17:30:00", None),
        ("", None),
    ],
)
def test_parse_time(text, expected):
    value = parse_time(text)
    assert value == expected
    if value is not None:
        assert value.tzinfo is not None


def test_as_dict_is_json_friendly():
    info = MediaInfo(
        kind="video",
        recorded_start=CREATED,
        recorded_end=CREATED + timedelta(seconds=2),
        duration_seconds=2.0,
    )
    data = assert_json(info)
    assert data["recorded_end"] == "2026-05-06T09:30:02+00:00"
    assert data["metadata"] == {}


def test_every_problem_is_chinese(tmp_path):
    paths = [
        clips.corrupt(clips.make_video(tmp_path / "a.mp4", seconds=4), "truncate"),
        clips.corrupt(clips.make_audio(tmp_path / "b.wav", 4), "random"),
        clips.corrupt(clips.make_image(tmp_path / "c.png"), "truncate"),
    ]
    empty = tmp_path / "d.m4a"
    empty.write_bytes(b"")
    for path in [*paths, empty]:
        info = probe(Path(path))
        assert info.readable is False, path
        assert chinese(info.problem), (path, info.problem)
        assert not re.search(r"[A-Za-z]{12,}", info.problem), info.problem  # no FFmpeg English passed through
