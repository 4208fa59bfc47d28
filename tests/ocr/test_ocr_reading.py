"""read_evidence (services.evidence_reading): real reads through the OCR process pool.

Each OCR takes ~2-5 s on a small machine, so only a few tests here run it; the refusals
(empty, too large, wrong type, ...) answer before any work."""

from __future__ import annotations

import asyncio
import io
import os
import signal
from collections.abc import Iterator
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from core.evidence_fields import EvidenceFields
from services import evidence_reading
from services.evidence_reading import (
    REASONS,
    EvidenceReading,
    detect_kind,
    read_evidence,
    shutdown_reader,
    warm_up_reader,
)
from services.synthetic_evidence import HALF_DAY_HOURS

FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
pytestmark = pytest.mark.skipif(not FONT.exists(), reason="Noto Sans CJK font not installed")

LINES = [
    "张伟同志：",
    "于2024年10月8日至10月9日参加由广西医学会举办的急诊急救能力提升培训班，",
    "共计16学时，特发此证。",
    "证书编号：GXYX-2024-00123",
    "广西医学会",
    "2024年10月9日",
]
EXPECTED = EvidenceFields(
    title="急诊急救能力提升培训班",
    organiser="广西医学会",
    person_name="张伟",
    started_on=date(2024, 10, 8),
    completed_on=date(2024, 10, 9),
    hours=Fraction(16),
    hours_basis="hours",
    number="GXYX-2024-00123",
)


def certificate_image() -> Image.Image:
    """An A4 landscape certificate at 150 dpi, Noto Sans CJK SC (face 2 of the collection)."""
    image = Image.new("RGB", (1754, 1240), "white")
    draw = ImageDraw.Draw(image)
    big = ImageFont.truetype(str(FONT), 80, index=2)
    body = ImageFont.truetype(str(FONT), 40, index=2)
    draw.rectangle((40, 40, 1714, 1200), outline="darkred", width=8)
    draw.text((700, 120), "培训证书", font=big, fill="black")
    for i, line in enumerate(LINES):
        draw.text((150, 320 + 90 * i), line, font=body, fill="black")
    return image


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


@pytest.fixture(scope="module", autouse=True)
def _reader_pool() -> Iterator[None]:
    asyncio.run(warm_up_reader())
    yield
    shutdown_reader()


# ------------------------------------------------------------------ real reads


async def test_photo_of_a_certificate() -> None:
    reading = await read_evidence(
        encoded(certificate_image(), "PNG"), half_day_hours=HALF_DAY_HOURS
    )
    assert reading.ok and reading.reason is None
    assert reading.method == "ocr"
    assert reading.fields == EXPECTED
    assert reading.lines[0] == "培训证书"  # reading order kept
    assert 0 < reading.seconds < 30


async def test_photo_turned_sideways() -> None:
    # a phone photo held the wrong way: the page's top is at the left, saved as JPEG
    image = certificate_image().rotate(90, expand=True)
    reading = await read_evidence(encoded(image, "JPEG", quality=85), half_day_hours=HALF_DAY_HOURS)
    assert reading.method == "ocr"
    assert reading.fields == EXPECTED
    assert reading.lines[0] == "培训证书"


async def test_pdf_with_text_layer_needs_no_ocr() -> None:
    import weasyprint

    paragraphs = "".join(f"<p>{line}</p>" for line in LINES)
    html = (
        "<html><body style='font-family: \"Noto Sans CJK SC\"'>"
        f"<h1>培训证书</h1>{paragraphs}</body></html>"
    )
    pdf = weasyprint.HTML(string=html).write_pdf()
    assert pdf is not None
    reading = await read_evidence(pdf, half_day_hours=HALF_DAY_HOURS)
    assert reading.method == "pdf_text"
    assert reading.fields == EXPECTED
    assert reading.seconds < 5


async def test_scanned_pdf_is_read_by_ocr() -> None:
    pdf = encoded(certificate_image().convert("L"), "PDF", resolution=150)
    reading = await read_evidence(pdf, half_day_hours=None)
    assert reading.method == "ocr"
    assert reading.fields == EXPECTED


async def test_pdf_with_a_typed_header_over_a_pasted_photo_is_read_by_ocr() -> None:
    import base64

    import weasyprint

    photo = base64.b64encode(encoded(certificate_image(), "PNG")).decode("ascii")
    html = (
        "<html><body style='font-family: \"Noto Sans CJK SC\"'>"
        "<p>继续教育学时证明材料（扫描件）</p>"
        f"<img src='data:image/png;base64,{photo}' style='width: 100%'></body></html>"
    )
    reading = await read_evidence(
        weasyprint.HTML(string=html).write_pdf() or b"", half_day_hours=HALF_DAY_HOURS
    )
    assert reading.method == "ocr"  # the text layer has Chinese, but no field
    assert reading.fields.hours == 16 and reading.fields.person_name == "张伟"


async def test_blank_page_has_no_text() -> None:
    reading = await read_evidence(
        encoded(Image.new("RGB", (800, 600), "white"), "PNG"), half_day_hours=HALF_DAY_HOURS
    )
    assert (reading.reason, reading.method, reading.lines) == ("no_text", "ocr", ())
    assert not reading.ok


async def test_text_without_fields_is_nothing_found() -> None:
    import weasyprint

    html = "<p style='font-family: \"Noto Sans CJK SC\"'>今天天气很好，我们一起去公园散步吧。</p>"
    reading = await read_evidence(
        weasyprint.HTML(string=html).write_pdf() or b"", half_day_hours=HALF_DAY_HOURS
    )
    assert (reading.reason, reading.method) == ("nothing_found", "pdf_text")
    assert reading.lines and reading.fields.names() == []


async def test_a_killed_worker_is_replaced_and_the_reading_retried() -> None:
    import weasyprint

    evidence_reading._get_pool()
    pids = evidence_reading._pool.worker_pids()
    assert pids  # warmed up: the workers are running
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    await asyncio.sleep(0.2)
    html = "<p style='font-family: \"Noto Sans CJK SC\"'>" + "".join(LINES) + "</p>"
    reading = await read_evidence(
        weasyprint.HTML(string=html).write_pdf() or b"", half_day_hours=HALF_DAY_HOURS
    )
    assert reading.ok and reading.fields.hours == 16


async def test_timeout() -> None:
    reading = await read_evidence(
        encoded(certificate_image(), "PNG"), timeout=0.01, half_day_hours=HALF_DAY_HOURS
    )
    assert (reading.reason, reading.method) == ("timeout", None)


async def test_busy_beyond_the_queue_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    await asyncio.sleep(0)  # the timed-out reading above may still hold its slot: wait it out
    while evidence_reading._in_flight:
        await asyncio.sleep(0.1)
    monkeypatch.setenv("CEBOT_OCR_QUEUE", "1")
    blank = encoded(Image.new("RGB", (400, 300), "white"), "PNG")
    first, second = await asyncio.gather(
        read_evidence(blank, half_day_hours=HALF_DAY_HOURS),
        read_evidence(blank, half_day_hours=HALF_DAY_HOURS),
    )
    assert sorted([first.reason or "", second.reason or ""]) == ["busy", "no_text"]
    assert evidence_reading._in_flight == 0


def test_the_engine_loads_offline_once_with_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    # RapidOCR 3 would download a model it does not find: ours come from its wheel, named
    # explicitly, so no connection is ever tried; the three models are loaded at start
    import socket

    def no_network(*args: object) -> None:
        raise AssertionError("the OCR engine tried the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(evidence_reading, "_engine", None)
    paths = evidence_reading.model_paths()
    assert all(Path(path).is_file() for path in paths.values()), paths
    evidence_reading._worker_init(1, 0)
    engine = evidence_reading._engine
    stages = (engine.text_det, engine.text_cls, engine.text_rec)
    for stage in stages:
        options = stage.session.session.get_session_options()
        assert (options.intra_op_num_threads, options.inter_op_num_threads) == (1, 1)
    assert evidence_reading._ocr_boxes(Image.new("RGB", (200, 60), "white")).boxes == []
    assert (engine.text_det, engine.text_cls, engine.text_rec) == stages  # nothing reloaded


# ------------------------------------------------------------------ refusals before any work


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"hello, this is not a certificate", "type"),
        (os.urandom(2048).replace(b"%PDF-", b"xxxxx"), "type"),
        (b"\xff\xd8\xff\xe0" + b"garbage" * 100, "unreadable"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "unreadable"),
        (b"%PDF-1.7\n garbage", "unreadable"),
    ],
)
async def test_refusals(data: bytes, reason: str) -> None:
    reading = await read_evidence(data, half_day_hours=HALF_DAY_HOURS)
    assert reading.reason == reason
    assert reading.fields == EvidenceFields() and reading.lines == ()


async def test_too_large_is_refused_before_reading() -> None:
    data = encoded(certificate_image(), "PNG")
    reading = await read_evidence(data, max_bytes=len(data) - 1, half_day_hours=HALF_DAY_HOURS)
    assert (reading.reason, reading.method) == ("too_large", None)
    assert reading.seconds < 0.5


async def test_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    async def boom(*args: object) -> None:
        raise RuntimeError("worker exploded")

    monkeypatch.setattr(evidence_reading, "_run_in_pool", boom)
    reading = await read_evidence(
        encoded(Image.new("RGB", (10, 10)), "PNG"), half_day_hours=HALF_DAY_HOURS
    )
    assert reading.reason == "failed"
    assert evidence_reading._in_flight == 0


def test_detect_kind() -> None:
    assert detect_kind(b"\xff\xd8\xff\xe1....") == "image"
    assert detect_kind(b"\x89PNG\r\n\x1a\n....") == "image"
    assert detect_kind(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image"
    assert detect_kind(b"BM....") == "image"
    assert detect_kind(b"GIF89a....") == "image"
    assert detect_kind(b"II*\x00....") == "image"
    assert detect_kind(b"MM\x00*....") == "image"
    assert detect_kind(b"%PDF-1.4") == "pdf"
    assert detect_kind(b"PK\x03\x04") is None


def test_json_round_trip() -> None:
    reading = EvidenceReading(
        reason=None, method="ocr", lines=("培训证书", "张伟同志"), fields=EXPECTED, seconds=2.5
    )
    assert EvidenceReading.from_json(reading.to_json()) == reading
    assert "张伟" in reading.to_json()  # stored readable (UTF-8), not \\u-escaped
    failed = EvidenceReading(reason="busy", method=None, lines=(), fields=EvidenceFields())
    assert EvidenceReading.from_json(failed.to_json()) == failed
    assert set(REASONS) >= {"busy", "timeout", "no_text", "nothing_found"}


async def test_pool_shut_down_under_waiting_readings_is_failed_not_raised() -> None:
    # one worker (and one call pre-queued by the executor): the later readings still wait in
    # the pool's queue when it stops, and are cancelled there
    blank = encoded(Image.new("RGB", (400, 300), "white"), "PNG")
    photo = encoded(certificate_image(), "PNG")
    first = asyncio.create_task(read_evidence(photo, half_day_hours=HALF_DAY_HOURS))
    others = [
        asyncio.create_task(read_evidence(blank, half_day_hours=HALF_DAY_HOURS)) for _ in range(4)
    ]
    await asyncio.sleep(0.3)
    await asyncio.to_thread(shutdown_reader)
    assert (await first).ok
    reasons = [(await task).reason for task in others]
    assert set(reasons) <= {"no_text", "failed"} and "failed" in reasons
    assert evidence_reading._in_flight == 0


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "BMP", "GIF", "TIFF"])
def test_every_image_type_decodes(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # decoding only (in this process): OCR is replaced by a probe of the prepared image
    seen: list[tuple[str, tuple[int, int]]] = []

    def probe(image: Image.Image) -> list[str]:
        seen.append((image.mode, image.size))
        return ["共计16学时"]

    monkeypatch.setattr(evidence_reading, "_ocr_lines", probe)
    data = encoded(certificate_image().resize((3000, 2121)), fmt)
    assert detect_kind(data) == "image"
    reason, method, lines, found = evidence_reading._read_job(data, "image", "4")
    assert (reason, method, lines, found["hours"]) == (None, "ocr", ["共计16学时"], "16")
    assert seen == [("RGB", (2000, 1414))]  # scaled down to the long side limit


def test_exif_orientation_is_applied(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[int, int]] = []

    def probe(image: Image.Image) -> list[str]:
        seen.append(image.size)
        return []

    monkeypatch.setattr(evidence_reading, "_ocr_lines", probe)
    image = Image.new("RGB", (400, 200), "white")
    exif = image.getexif()
    exif[0x0112] = 6  # the camera says: turn 90° clockwise to view
    data = encoded(image, "JPEG", exif=exif)
    assert evidence_reading._read_job(data, "image", "4")[0] == "no_text"
    assert seen == [(200, 400)]


def test_decompression_bomb_is_unreadable() -> None:
    bomb = encoded(Image.new("1", (12000, 12000), 1), "PNG")  # 144 megapixels in ~20 kB
    assert len(bomb) < 100_000
    assert evidence_reading._read_job(bomb, "image", "4") == ("unreadable", None, [], {})


def _box(text: str, x: float, y: float, w: float, h: float, slant: float) -> evidence_reading._Box:
    # a horizontal text box at (x, y), then the whole page slanted by `slant` (dy per dx)
    corners = [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
    points = [(px, py + px * slant) for px, py in corners]
    return evidence_reading._Box(text, 0.99, points, False, False)


def test_reading_order_straightens_a_skewed_table() -> None:
    slant = 0.06  # about 3.4°: the value cell at the right sits lower than its label
    boxes = [
        _box("广西建工集团有限责任公司", 600, 300, 700, 40, slant),
        _box("工作单位", 100, 320, 160, 40, slant),
        _box("姓名", 100, 220, 80, 40, slant),
        _box("杨伟玲", 600, 200, 120, 40, slant),
    ]
    lines = evidence_reading._reading_order(boxes, 0)
    assert lines == ["姓名 杨伟玲", "工作单位 广西建工集团有限责任公司"]


def test_reading_order_of_a_page_turned_180() -> None:
    # the same two lines, upside down: the first line is now at the bottom right
    boxes = [_box("第二行", 100, 100, 300, 40, 0), _box("第一行", 100, 300, 300, 40, 0)]
    assert evidence_reading._reading_order(boxes, 180) == ["第一行", "第二行"]
