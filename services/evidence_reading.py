"""Reads a claim's evidence (a photo or PDF of a training certificate) offline and extracts the
claim fields (core.evidence_fields), so a reviewer sees where the certificate and the claim
disagree.

- A PDF with a text layer is read directly (pypdfium2, no OCR); a scanned PDF is rendered
  (at most MAX_PDF_PAGES pages) and read by OCR like a photo.
- OCR is RapidOCR 3 (PP-OCRv6 small models on onnxruntime, shipped in its wheel): CPU-bound,
  so every reading runs in a small process pool whose workers load the engine once, run at a
  lower CPU priority and use few threads, so chat turns stay fast. The event loop never waits.
- Photos taken sideways are handled in one pass: the detector finds vertical lines, the angle
  classifier says which way they face, and the lines are put back in reading order.
- `read_evidence` never raises: every failure is a `reason` (REASONS).
- The text may contain ID numbers: it is never logged (only reason, method and seconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import math
import os
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from pebble import ProcessPool

from core.evidence_fields import EvidenceFields, cjk_count, extract_fields
from services.worker_pool import WorkerPool

log = logging.getLogger(__name__)

REASONS = (
    "empty",
    "too_large",
    "type",
    "unreadable",
    "no_text",
    "nothing_found",
    "busy",
    "timeout",
    "failed",
)
METHODS = ("pdf_text", "ocr")

MAX_PDF_PAGES = 3
PDF_DPI = 170
MAX_SKEW = math.radians(15)  # straighten rows up to this slant; more is a badly taken photo
MAX_PIXELS = 64_000_000  # a 108-megapixel photo is read (at a reduced size); 128+ is refused
MAX_SIDE = 2000  # longer photos are scaled down: OCR time grows with pixels, accuracy does not
MIN_PDF_TEXT_CJK = 8  # fewer Chinese characters in the text layer: treat the PDF as a scan
FEW_CJK = 4  # fewer after OCR: try the photo turned by 90° once
SURE_SCORE = 0.8  # a turned photo with every line read at least this well is not read again
MAX_LINES, MAX_LINE_CHARS = 300, 500  # lines kept in a reading (it is stored)


def _env_int(name: str, default: int, *, minimum: int = 0) -> int:
    configured = os.environ.get(name, "").strip()
    with contextlib.suppress(ValueError):
        if configured and int(configured) >= minimum:
            return int(configured)
    return default


# the detector's input, long side in px (CEBOT_OCR_DET_SIDE). PP-OCRv6's detector costs about
# twice PP-OCRv4's per pixel: at 1024 px it finds certificate lines as well as the old one did at
# 1280 (benchmarks/README.md: same fields right on both seeds, 0.9x the CPU); 1280 read one more
# field of 310 on one seed for 1.2x. Below ~1040 px the detector scales a page back up to 736 px
# on its short side, so smaller saves little.
DET_SIDE = _env_int("CEBOT_OCR_DET_SIDE", 1024, minimum=320)


def reader_workers() -> int:
    """CEBOT_OCR_WORKERS (default 1): OCR processes; each holds the models (~100 MB)."""
    return _env_int("CEBOT_OCR_WORKERS", 1, minimum=1)


def reader_niceness() -> int:
    return _env_int("CEBOT_OCR_NICENESS", 5)


def reader_threads() -> int:
    """CEBOT_OCR_THREADS (default 1): onnxruntime threads per worker."""
    return _env_int("CEBOT_OCR_THREADS", 1, minimum=1)


def reader_queue() -> int:
    """CEBOT_OCR_QUEUE (default 8): readings waiting or running in this process; more -> busy."""
    return _env_int("CEBOT_OCR_QUEUE", 8, minimum=1)


def reader_timeout() -> float:
    configured = os.environ.get("CEBOT_OCR_TIMEOUT", "").strip()
    with contextlib.suppress(ValueError):
        if configured and float(configured) > 0:
            return float(configured)
    return 60.0


@dataclass(frozen=True, slots=True)
class EvidenceReading:
    reason: str | None  # None when fields were found; else one of REASONS
    method: str | None  # "pdf_text" | "ocr" | None
    lines: tuple[str, ...] = ()
    fields: EvidenceFields = field(default_factory=EvidenceFields)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.reason is None

    def to_json(self) -> str:
        return json.dumps(
            {
                "reason": self.reason,
                "method": self.method,
                "lines": list(self.lines),
                "fields": self.fields.to_dict(),
                "seconds": round(self.seconds, 3),
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> EvidenceReading:
        data = json.loads(text)
        return cls(
            reason=data.get("reason"),
            method=data.get("method"),
            lines=tuple(str(line) for line in data.get("lines") or ()),
            fields=EvidenceFields.from_dict(data.get("fields") or {}),
            seconds=float(data.get("seconds") or 0.0),
        )


# ------------------------------------------------------------------ type detection


def detect_kind(data: bytes) -> str | None:
    """'image' or 'pdf' from the first bytes (never from a file name), else None."""
    head = data[:16]
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"BM", b"GIF87a", b"GIF89a")):
        return "image"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image"
    if b"%PDF-" in data[:1024]:  # some producers put a few bytes before the header
        return "pdf"
    return None


# ------------------------------------------------------------------ in the worker process

_engine: Any = None

# RapidOCR 3's default models, shipped in its wheel: named here so that the engine never tries
# to download one (a missing file fails at start-up instead)
MODELS = {
    "Det": "PP-OCRv6_det_small.onnx",
    "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
    "Rec": "PP-OCRv6_rec_small.onnx",
}


def model_paths() -> dict[str, str]:
    from importlib import resources

    models = resources.files("rapidocr") / "models"
    return {stage: str(models / name) for stage, name in MODELS.items()}


def _worker_init(threads: int, niceness: int) -> None:
    # set before onnxruntime loads: its OpenMP / thread pools read these once
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(threads)
    with contextlib.suppress(OSError):  # not permitted everywhere: reading still works
        os.nice(niceness)
    global _engine
    from rapidocr import RapidOCR

    params: dict[str, Any] = {
        "Global.log_level": "warning",
        "EngineConfig.onnxruntime.intra_op_num_threads": threads,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    }
    params |= {f"{stage}.model_path": path for stage, path in model_paths().items()}
    engine = RapidOCR(params=params)
    # RapidOCR 3 loads each model at its first use: load all three now, once per worker
    engine._load_det_model()
    engine._load_cls_model()
    engine._load_rec_model()
    _engine = engine
    with contextlib.suppress(Exception):
        import cv2

        cv2.setNumThreads(threads)


def _get_engine() -> Any:
    global _engine
    if _engine is None:  # the job ran outside the pool (tests, tools)
        _worker_init(reader_threads(), 0)
    return _engine


@dataclass(slots=True)
class _Read:
    boxes: list[_Box]
    dropped: int = 0  # lines found but read with too little confidence


@dataclass(slots=True)
class _Box:
    text: str
    score: float
    points: list[tuple[float, float]]
    vertical: bool
    flipped: bool  # the angle classifier turned the crop by 180°


def _ocr_boxes(image: Any, *, classify: bool = True) -> _Read:
    """Detect, classify and recognise with the engine's own stages, keeping the classifier's
    verdict per line (RapidOCR's __call__ drops it) to tell which way a photo is turned.
    Without `classify` the page is known to be upright and no line is flipped."""
    import numpy as np
    from rapidocr.ch_ppocr_rec import TextRecInput
    from rapidocr.utils.process_img import apply_vertical_padding

    engine = _get_engine()
    array = np.asarray(image)[:, :, ::-1].copy()  # RGB -> BGR, as the models expect
    array, _ = engine.preprocess_img(array)
    array, _ = apply_vertical_padding(array, {}, engine.width_height_ratio, engine.min_height)
    # detection time grows with pixels and finds the lines as well at DET_SIDE; recognition
    # then crops the lines from the full-size image
    height, width = array.shape[:2]
    scale = min(1.0, DET_SIDE / max(height, width))
    small = array
    if scale < 1.0:
        import cv2

        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = cv2.resize(array, size, interpolation=cv2.INTER_AREA)
    dt_boxes = engine.text_det(small).boxes
    if dt_boxes is None or len(dt_boxes) == 0:
        return _Read([])
    dt_boxes = (np.asarray(dt_boxes, dtype=np.float32) / scale).astype(np.float32)
    crops = engine.crop_text_regions(array, dt_boxes)

    def recognise(images: list[Any]) -> list[tuple[str, float]]:
        out = engine.text_rec(TextRecInput(img=images))
        return list(zip(out.txts or (), out.scores, strict=True))

    if classify:
        classified = engine.text_cls(crops)
        turned_crops, cls_res = classified.img_list, classified.cls_res
    else:
        turned_crops, cls_res = crops, [("0", 1.0)] * len(crops)
    rec_res = recognise(turned_crops)
    cls_thresh = engine.text_cls.cls_thresh
    flipped = [("180" in str(label) and float(p) > cls_thresh) for label, p in cls_res]
    if 0 < sum(flipped) < len(flipped) / 2:
        # a few lines flipped on an upright page: the classifier squeezes a long line into
        # 192 px and often gets it wrong; read those lines unflipped too, keep the better one
        doubted = [i for i, f in enumerate(flipped) if f]
        second = recognise([crops[i] for i in doubted])
        for i, rec in zip(doubted, second, strict=True):
            if float(rec[1]) > float(rec_res[i][1]):
                rec_res[i], flipped[i] = rec, False
    boxes, dropped = [], 0
    for box, flip, rec in zip(dt_boxes, flipped, rec_res, strict=False):
        text, score = str(rec[0]), float(rec[1])
        if score < engine.text_score or not text.strip():
            dropped += 1
            continue
        points = [(float(x), float(y)) for x, y in box]
        width = max(math.dist(points[0], points[1]), math.dist(points[2], points[3]))
        height = max(math.dist(points[0], points[3]), math.dist(points[1], points[2]))
        vertical = height >= 1.5 * width  # RapidOCR turns such crops by 90° before reading
        boxes.append(_Box(text, score, points, vertical, flip))
    return _Read(boxes, dropped)


def _orientation(boxes: list[_Box]) -> int:
    """How far the page is turned counter-clockwise (0, 90, 180, 270), by a vote of the lines
    weighted by their length. A crop read vertically was turned 90° counter-clockwise; if the
    classifier then flipped it, the page was turned counter-clockwise, else clockwise."""
    votes = {0: 0, 90: 0, 180: 0, 270: 0}
    for box in boxes:
        if box.vertical:
            votes[90 if box.flipped else 270] += len(box.text)
        else:
            votes[180 if box.flipped else 0] += len(box.text)
    return max(votes, key=lambda k: (votes[k], k == 0))


def _reading_order(boxes: list[_Box], turned: int) -> list[str]:
    """Lines top to bottom in the upright page; boxes on one row joined left to right. A
    skewed photo is straightened first (by the median slant of its long boxes), so that a table
    row's label and value stay one line."""
    if not boxes:
        return []
    right = max(x for b in boxes for x, _ in b.points)
    bottom = max(y for b in boxes for _, y in b.points)

    def upright(x: float, y: float) -> tuple[float, float]:
        if turned == 180:
            return right - x, bottom - y
        if turned == 90:  # the page's top is at the left
            return bottom - y, x
        if turned == 270:  # the page's top is at the right
            return y, right - x
        return x, y

    shapes = []
    for box in boxes:
        points = [upright(x, y) for x, y in box.points]
        cx = sum(x for x, _ in points) / 4
        cy = sum(y for _, y in points) / 4
        e1 = (points[1][0] - points[0][0], points[1][1] - points[0][1])
        e2 = (points[2][0] - points[1][0], points[2][1] - points[1][1])
        long, short = (e1, e2) if math.hypot(*e1) >= math.hypot(*e2) else (e2, e1)
        dx, dy = long if long[0] >= 0 else (-long[0], -long[1])
        ratio = math.hypot(*long) / max(1.0, math.hypot(*short))
        shapes.append((cx, cy, math.hypot(*short), math.atan2(dy, dx), ratio, box.text))
    slants = sorted(a for *_, a, ratio, _ in shapes if ratio >= 3)
    skew = slants[len(slants) // 2] if slants else 0.0
    skew = max(-MAX_SKEW, min(MAX_SKEW, skew))
    cos, sin = math.cos(skew), math.sin(skew)
    placed = sorted(
        (-cx * sin + cy * cos, cx * cos + cy * sin, height, text)
        for cx, cy, height, _, _, text in shapes
    )
    rows: list[list[tuple[float, float, float, str]]] = []
    for item in placed:
        if rows:
            row = rows[-1]
            row_y = sum(i[0] for i in row) / len(row)
            if abs(item[0] - row_y) < 0.5 * max(item[2], max(i[2] for i in row)):
                row.append(item)
                continue
        rows.append([item])
    return [" ".join(i[3] for i in sorted(row, key=lambda i: i[1])) for row in rows]


def _confident_cjk(boxes: list[_Box]) -> float:
    return sum(cjk_count(b.text) * b.score for b in boxes)


def _ocr_lines(image: Any) -> list[str]:
    from PIL import Image

    read = _ocr_boxes(image)
    if read.boxes and cjk_count("".join(b.text for b in read.boxes)) < FEW_CJK:
        # little Chinese read: maybe the detector missed lines on a turned photo; one more try
        turned_image = image.transpose(Image.Transpose.ROTATE_270)
        turned = _ocr_boxes(turned_image)
        if _confident_cjk(turned.boxes) > _confident_cjk(read.boxes):
            image, read = turned_image, turned
    orientation = _orientation(read.boxes)
    shaky = read.dropped > 0 or min((b.score for b in read.boxes), default=1.0) < SURE_SCORE
    if orientation != 0 and shaky:
        # a turned photo whose lines did not all read well (the angle classifier gets some long
        # lines wrong): read the page upright once more and keep the better reading
        upright_image = image.transpose(
            {
                90: Image.Transpose.ROTATE_270,  # the page's top is at the left: turn clockwise
                180: Image.Transpose.ROTATE_180,
                270: Image.Transpose.ROTATE_90,
            }[orientation]
        )
        upright = _ocr_boxes(upright_image, classify=False)
        if _confident_cjk(upright.boxes) > _confident_cjk(read.boxes):
            return _reading_order(upright.boxes, 0)
    return _reading_order(read.boxes, orientation)


def _prepare_image(image: Any) -> Any:
    from PIL import Image, ImageOps

    image = ImageOps.exif_transpose(image) or image
    if image.mode in ("RGBA", "LA", "P"):  # transparent areas become white paper, not black
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(background, image)
    image = image.convert("RGB")
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return image


def _read_image(data: bytes) -> tuple[str | None, list[str]]:
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            # beyond 2 x MAX_PIXELS Pillow refuses the image (a decompression bomb)
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = MAX_PIXELS
            image = Image.open(io.BytesIO(data))
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG: decode big photos smaller
            image.load()
        image = _prepare_image(image)
    except Exception:  # any decoder error, truncation, decompression bomb
        return "unreadable", []
    return None, _ocr_lines(image)


def _read_pdf(
    data: bytes, half_day_hours: Fraction | None
) -> tuple[str | None, str | None, list[str]]:
    """The text layer when it has Chinese text and fields; else OCR of the rendered pages (a
    scan, or a certificate pasted in as a picture under a typed header)."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except Exception:  # damaged, encrypted
        return "unreadable", None, []
    try:
        pages = min(len(pdf), MAX_PDF_PAGES)
        if pages == 0:
            return "unreadable", None, []
        text_lines: list[str] = []
        for index in range(pages):
            page = pdf[index]
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            text_lines += [line.strip() for line in text.splitlines() if line.strip()]
            textpage.close()
            page.close()
        has_text = cjk_count("".join(text_lines)) >= MIN_PDF_TEXT_CJK
        if has_text and extract_fields(text_lines, half_day_hours=half_day_hours).names():
            return None, "pdf_text", text_lines
        lines: list[str] = []
        for index in range(pages):
            page = pdf[index]
            # PDF_DPI, but never more than MAX_SIDE pixels (a poster-sized page would not fit)
            scale = min(PDF_DPI / 72, MAX_SIDE / max(1.0, *page.get_size()))
            bitmap = page.render(scale=scale)
            image = _prepare_image(bitmap.to_pil())
            bitmap.close()
            page.close()
            lines += _ocr_lines(image)
        if has_text and not extract_fields(lines, half_day_hours=half_day_hours).names():
            return None, "pdf_text", text_lines  # OCR found no more: the exact text is better
        return None, "ocr", lines
    except Exception:
        return "unreadable", None, []
    finally:
        pdf.close()


def _read_job(
    data: bytes, kind: str, half_day_hours: str | None
) -> tuple[str | None, str | None, list[str], dict[str, str]]:
    """Runs in a worker: (reason, method, lines, fields as a dict)."""
    hdh = Fraction(half_day_hours) if half_day_hours is not None else None
    if kind == "pdf":
        reason, method, lines = _read_pdf(data, hdh)
    else:
        reason, lines = _read_image(data)
        method = "ocr" if reason is None else None
    if reason is not None:
        return reason, method, [], {}
    lines = [line for line in lines if line.strip()]
    if not lines:
        return "no_text", method, [], {}
    found = extract_fields(lines, half_day_hours=hdh)
    kept = [line[:MAX_LINE_CHARS] for line in lines[:MAX_LINES]]  # a bounded record to store
    return (None if found.names() else "nothing_found"), method, kept, found.to_dict()


def _warm_up() -> bool:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 80), "white")
    ImageDraw.Draw(image).text((10, 30), "2024 16", fill="black")
    _ocr_lines(image)
    return True


# ------------------------------------------------------------------ the process pool

_pool = WorkerPool(
    reader_workers,
    initializer=_worker_init,
    initargs=lambda: (reader_threads(), reader_niceness()),
)
_in_flight = 0
_in_flight_lock = threading.Lock()


def _get_pool() -> ProcessPool:
    return _pool.get()


def _take_slot() -> bool:
    global _in_flight
    with _in_flight_lock:
        if _in_flight >= reader_queue():
            return False
        _in_flight += 1
        return True


def _release_slot(_: object = None) -> None:
    global _in_flight
    with _in_flight_lock:
        _in_flight -= 1


async def _run_in_pool(
    data: bytes, kind: str, half_day_hours: str | None, jobs: list[Future[Any]], limit: float
) -> tuple[str | None, str | None, list[str], dict[str, str]]:
    """A crashed worker is replaced and the job retried once; a job past `limit` seconds is
    ended in its worker. The job's future is appended to `jobs` (the caller frees the queue
    slot when it ends)."""
    result: tuple[str | None, str | None, list[str], dict[str, str]]
    result = await _pool.run(
        _read_job, data, kind, half_day_hours, submitted=jobs.append, timeout=limit
    )
    return result


async def read_evidence(
    data: bytes,
    *,
    half_day_hours: Fraction | None,
    max_bytes: int = 10 * 1024 * 1024,
    timeout: float | None = None,
) -> EvidenceReading:
    """Read one evidence file; never raises (a failure is the reading's `reason`)."""
    started = time.monotonic()

    def done(
        reason: str | None,
        method: str | None = None,
        lines: list[str] | tuple[str, ...] = (),
        found: dict[str, str] | None = None,
    ) -> EvidenceReading:
        reading = EvidenceReading(
            reason=reason,
            method=method,
            lines=tuple(lines),
            fields=EvidenceFields.from_dict(found or {}),
            seconds=time.monotonic() - started,
        )
        log.info(
            "evidence read: reason=%s method=%s seconds=%.2f",
            reading.reason,
            reading.method,
            reading.seconds,
        )
        return reading

    try:
        if not data:
            return done("empty")
        if len(data) > max_bytes:
            return done("too_large")
        kind = detect_kind(data)
        if kind is None:
            return done("type")
        hdh = str(half_day_hours) if half_day_hours is not None else None
        limit = timeout if timeout is not None else reader_timeout()
        if not _take_slot():
            return done("busy")
        jobs: list[Future[Any]] = []
        try:
            reason, method, lines, found = await asyncio.wait_for(
                _run_in_pool(data, kind, hdh, jobs, limit), limit
            )
        except TimeoutError:
            return done("timeout")
        finally:
            # the job ends with its future (a timed-out one is cancelled: its worker is stopped)
            if jobs:
                jobs[-1].add_done_callback(_release_slot)
            else:
                _release_slot()
        return done(reason, method, lines, found)
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise  # the caller cancelled us: that must go through
        return done("failed")  # the job was cancelled under us (the pool shut down)
    except Exception as error:  # never raise to the caller; the type only (no text)
        log.warning("evidence read failed: %s", type(error).__name__)
        return done("failed")


async def warm_up_reader() -> None:
    """Start every worker and run a tiny OCR in it (models loaded, memory allocated)."""
    await _pool.warm_up(_warm_up)


def shutdown_reader(grace: float | None = None) -> None:
    """Stop the pool's processes (idempotent); the next reading starts a new pool. A reading
    running then finishes (or ends at its timeout), or with `grace` is stopped after that many
    seconds."""
    _pool.shutdown(grace)
