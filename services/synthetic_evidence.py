"""Synthetic evidence documents with their true fields, to test and benchmark the evidence reader.

Four layouts people really send (Jinja2 templates in templates/evidence, rendered by WeasyPrint
with Noto CJK): a framed 培训证书 with a seal, a 结业证书 table, a 学时证明 letter that counts days
or half days, and a 继续教育登记表 with rows that are not about the claim. Each document comes as
its PDF with a text layer, or rasterised (pypdfium2 if installed, else poppler's `pdftoppm`) as a
PNG, a JPEG or a scanned PDF, optionally distorted with Pillow (rotated, skewed, low resolution,
noisy, heavily compressed) the way phone photos and office scanners are.

Deterministic: the same seed gives the same truths and the same document text (PDF metadata
such as the creation date may differ). Nothing here is used by the bot itself.
"""

from __future__ import annotations

import base64
import io
import math
import random
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from PIL import Image, ImageDraw, ImageFont

from core.rules import policy_half_day_hours
from services.policies import PolicyBook

LAYOUTS = ("certificate", "completion", "letter", "register")
KINDS = ("png", "jpeg", "pdf_text", "pdf_scan")
DISTORTIONS = (
    "none",
    "rotated90",
    "rotated180",
    "rotated270",
    "skew",
    "lowres",
    "noise",
    "jpeg",
)


def _shipped_half_day_hours() -> Fraction:
    """The shipped 2024 policy's rule (a half day of training counts 4 hours), as the bot
    passes it to the reader."""
    value = policy_half_day_hours(PolicyBook.load()[2024])
    if value is None:
        raise RuntimeError("the shipped 2024 policy counts no half days")
    return value


HALF_DAY_HOURS = _shipped_half_day_hours()
NORMAL_DPI = (150, 200)
LOW_DPI = 100
TEMPLATE_DIR = Path(str(resources.files("services") / "templates" / "evidence"))

# organiser -> (prefix of its certificate numbers, the field of its trainings)
ORGANISERS: dict[str, tuple[str, str]] = {
    "广西医学会": ("GXYX", "health"),
    "广西壮族自治区卫生健康委员会": ("GXWJ", "health"),
    "桂林市卫生健康委员会": ("GLWJ", "health"),
    "广西护理学会": ("GXHL", "health"),
    "南宁市教育局": ("NNJY", "education"),
    "广西壮族自治区教育厅": ("GXJY", "education"),
    "广西大学继续教育学院": ("GXDX", "general"),
    "广西壮族自治区人力资源和社会保障厅": ("GXRS", "general"),
    "柳州市人力资源和社会保障局": ("LZRS", "general"),
    "广西工程师协会": ("GXGC", "engineering"),
}
TITLES: dict[str, tuple[str, ...]] = {
    "health": (
        "心血管疾病诊疗新进展培训班",
        "基层医疗卫生人员全科医学知识培训",
        "医疗质量与患者安全管理培训班",
        "急危重症护理技术规范化培训",
        "传染病防控与突发公共卫生事件应急处置培训",
        "中医药适宜技术推广应用培训班",
        "药事管理与合理用药培训",
    ),
    "education": (
        "中小学教师信息技术应用能力提升培训",
        "新时代教师课堂教学能力提升研修班",
        "班主任工作能力提升专题培训",
        "职业教育双师型教师能力提升培训",
    ),
    "general": (
        "专业技术人员职业道德与诚信建设专题培训",
        "乡村振兴战略与基层治理专题研修",
        "人工智能与数字经济发展专题讲座",
        "会计人员继续教育专业课程培训",
    ),
    "engineering": (
        "建筑工程质量安全管理继续教育培训",
        "智能建造与绿色建筑技术专题培训",
    ),
}
SURNAMES = "李王张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐韦覃蒙莫廖陆蓝农"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玲红建文斌宁海燕琳婷志雪梅"
UNITS = (
    "南宁市第一人民医院",
    "广西医科大学第一附属医院",
    "柳州市人民医院",
    "桂林市第十八中学",
    "南宁市青秀区教育局",
    "玉林市卫生健康委员会",
    "广西建工集团有限责任公司",
)
RANKS = ("主治医师", "副主任医师", "主管护师", "一级教师", "高级教师", "工程师", "中级会计师")
FORMS = ("面授", "网络学习", "线上线下结合", "学术会议")


@dataclass(frozen=True)
class SampleTruth:
    """What a careful person reads on the document (the fields the reader should extract)."""

    title: str
    organiser: str
    person_name: str
    started_on: date
    completed_on: date
    hours: Fraction  # counted hours: days and half days already converted
    hours_basis: str  # "hours" | "days" | "half_days": what the document states
    number: str | None


@dataclass(frozen=True)
class Sample:
    name: str
    kind: str  # "png" | "jpeg" | "pdf_text" | "pdf_scan"
    layout: str
    distortion: str
    data: bytes
    truth: SampleTruth


# ------------------------------------------------------------------ truths


def make_truth(rng: random.Random, layout: str, year: int = 2024) -> SampleTruth:
    """A plausible document content for `layout`; dates inside `year`."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}")
    organiser = rng.choice(sorted(ORGANISERS))
    prefix, field = ORGANISERS[organiser]
    length = rng.choice((0, 0, 1, 2, 3, 4, 6))  # days after the first; many trainings are 1 day
    start = date(year, 1, 1) + timedelta(days=rng.randrange(0, 365 - 7))
    end = start + timedelta(days=length)
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    if layout == "letter":  # the days or half days fit the dates
        basis = rng.choice(("days", "half_days"))
        if basis == "days":
            hours = 2 * HALF_DAY_HOURS * (length + 1)
        else:
            hours = HALF_DAY_HOURS * rng.randint(length + 1, 2 * (length + 1))
        number = None  # letters carry no number
    else:
        basis = "hours"
        # 4 .. 64 in steps of 0.5, at most 10 a day
        hours = Fraction(rng.randint(8, min(128, 20 * (length + 1))), 2)
        number = f"{prefix}-{year}-{rng.randint(1, 999999):06d}"
    return SampleTruth(
        title=rng.choice(TITLES[field]),
        organiser=organiser,
        person_name=name,
        started_on=start,
        completed_on=end,
        hours=hours,
        hours_basis=basis,
        number=number,
    )


def stated_units(truth: SampleTruth) -> int:
    """The number of days or half days a letter states (hours are converted back)."""
    if truth.hours_basis == "days":
        return int(truth.hours / (2 * HALF_DAY_HOURS))
    if truth.hours_basis == "half_days":
        return int(truth.hours / HALF_DAY_HOURS)
    raise ValueError("only letters state days or half days")


# ------------------------------------------------------------------ PDF


def cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def hours_text(hours: Fraction) -> str:
    """16 -> '16', 16.5 -> '16.5'."""
    if hours.denominator == 1:
        return str(hours.numerator)
    return f"{float(hours):g}"


@cache
def _seal_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Noto Sans CJK SC Bold as fontconfig finds it (Debian's fonts-noto-cjk)."""
    tool = shutil.which("fc-match")
    if tool is not None:
        done = subprocess.run(
            [tool, "-f", "%{file}|%{index}", "Noto Sans CJK SC:style=Bold"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        path, _, index = done.stdout.partition("|")
        if done.returncode == 0 and path:
            return ImageFont.truetype(path, size, index=int(index or 0))
    return ImageFont.load_default(size)


@cache
def seal_data_uri(organiser: str) -> str:
    """An organiser's round red seal as a PNG data URI: the name along the upper arc, a star in
    the middle. An image, like a real seal, so it is not in a PDF's text layer."""
    size, red = 480, (214, 30, 30, 215)
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, size - 10, size - 10), outline=red, width=14)
    star = _seal_font(120)
    draw.text((size / 2, size / 2), "★", font=star, fill=red, anchor="mm")
    span = min(250.0, 24.0 * len(organiser))  # degrees of arc the name takes
    radius = size / 2 - 62
    step = radius * math.radians(span / len(organiser))  # arc length per character, px
    font = _seal_font(min(52, int(step * 0.9)))
    for i, char in enumerate(organiser):
        # clockwise from the top; each character's foot towards the centre
        angle = -span / 2 + span * (i + 0.5) / len(organiser)
        glyph = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((32, 32), char, font=font, fill=red, anchor="mm")
        glyph = glyph.rotate(-angle, resample=Image.Resampling.BICUBIC)
        x = size / 2 + radius * math.sin(math.radians(angle))
        y = size / 2 - radius * math.cos(math.radians(angle))
        image.alpha_composite(glyph, (round(x - 32), round(y - 32)))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cn_date"] = cn_date
    env.filters["hours_text"] = hours_text
    env.filters["dotted"] = lambda d: f"{d.year}.{d.month:02d}.{d.day:02d}"
    env.filters["iso"] = lambda d: d.isoformat()
    return env


def render_html(truth: SampleTruth, layout: str) -> str:
    """The document as HTML; the extras (issue date, unit, ...) follow from the truth."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}")
    extra = random.Random(f"{truth.person_name}|{truth.started_on}|{truth.title}")
    issued = min(
        truth.completed_on + timedelta(days=extra.randint(0, 10)),
        date(truth.completed_on.year, 12, 31),
    )
    context: dict[str, Any] = {
        "t": truth,
        "issued_on": issued,
        "unit": extra.choice(UNITS),
        "rank": extra.choice(RANKS),
        "form": extra.choice(FORMS),
        "seal": seal_data_uri(truth.organiser),
        "units": stated_units(truth) if layout == "letter" else None,
    }
    return _environment().get_template(f"{layout}.html.j2").render(context)


def render_document(truth: SampleTruth, layout: str) -> bytes:
    """The document as a PDF with a text layer (WeasyPrint; a fraction of a second)."""
    import weasyprint  # heavy import, only when a document is rendered

    html = render_html(truth, layout)
    return bytes(weasyprint.HTML(string=html, base_url=str(TEMPLATE_DIR)).write_pdf())


def pdf_text(pdf: bytes) -> str:
    """The PDF's text layer (pypdfium2 if installed, else poppler's pdftotext)."""
    try:
        import pypdfium2  # type: ignore[import-not-found]
    except ImportError:
        pypdfium2 = None
    if pypdfium2 is not None:
        doc = pypdfium2.PdfDocument(pdf)
        try:
            return "\n".join(page.get_textpage().get_text_range() for page in doc)
        finally:
            doc.close()
    tool = shutil.which("pdftotext")
    if tool is None:
        raise RuntimeError("neither pypdfium2 nor pdftotext (poppler-utils) is installed")
    done = subprocess.run(
        [tool, "-layout", "-enc", "UTF-8", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return done.stdout.decode("utf-8")


def rasterise(pdf: bytes, dpi: int) -> Image.Image:
    """The first page as an RGB image at `dpi`."""
    try:
        import pypdfium2
    except ImportError:
        pypdfium2 = None
    if pypdfium2 is not None:
        doc = pypdfium2.PdfDocument(pdf)
        try:
            return doc[0].render(scale=dpi / 72).to_pil().convert("RGB")
        finally:
            doc.close()
    tool = shutil.which("pdftoppm")
    if tool is None:
        raise RuntimeError("neither pypdfium2 nor pdftoppm (poppler-utils) is installed")
    with tempfile.TemporaryDirectory(prefix="cebot-evidence-") as tmp:
        source = Path(tmp) / "doc.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            [
                tool,
                "-r",
                str(dpi),
                "-png",
                "-singlefile",
                "-f",
                "1",
                "-l",
                "1",
                source,
                Path(tmp) / "page",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        with Image.open(Path(tmp) / "page.png") as page:
            return page.convert("RGB")


# ------------------------------------------------------------------ distortions


def distort(image: Image.Image, distortion: str, rng: random.Random) -> Image.Image:
    """A photo's or a scanner's damage; deterministic for the generator's state."""
    if distortion in ("none", "lowres", "jpeg"):  # lowres: the dpi; jpeg: the encoding
        return image
    if distortion == "rotated90":  # a phone held sideways: the page turned counter-clockwise
        return image.transpose(Image.Transpose.ROTATE_90)
    if distortion == "rotated180":
        return image.transpose(Image.Transpose.ROTATE_180)
    if distortion == "rotated270":
        return image.transpose(Image.Transpose.ROTATE_270)
    if distortion == "skew":
        angle = rng.uniform(2.0, 5.0) * rng.choice((-1, 1))
        return image.rotate(
            angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(255, 255, 255)
        )
    if distortion == "noise":
        import numpy as np  # comes with Pillow's and matplotlib's dependents; only needed here

        noise_rng = np.random.default_rng(rng.randrange(2**32))
        pixels = np.asarray(image, dtype=np.float32)
        pixels += noise_rng.normal(0.0, 18.0, pixels.shape).astype(np.float32)  # sensor noise
        salt = noise_rng.random(pixels.shape[:2])
        pixels[salt < 0.004] = 0.0  # pepper
        pixels[salt > 0.996] = 255.0  # salt
        return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    raise ValueError(f"unknown distortion {distortion!r}")


def encode(image: Image.Image, kind: str, distortion: str, dpi: int) -> bytes:
    """The image as the file a person sends: PNG, JPEG (quality 40 if 'jpeg') or a scanned PDF."""
    buffer = io.BytesIO()
    if distortion == "jpeg" and kind != "jpeg":  # the damage of a low-quality JPEG, re-saved
        lossy = io.BytesIO()
        image.save(lossy, format="JPEG", quality=40)
        lossy.seek(0)
        with Image.open(lossy) as reopened:
            image = reopened.convert("RGB")
    if kind == "png":
        image.save(buffer, format="PNG", optimize=False)
    elif kind == "jpeg":
        image.save(buffer, format="JPEG", quality=40 if distortion == "jpeg" else 88)
    elif kind == "pdf_scan":
        image.save(buffer, format="PDF", resolution=float(dpi))
    else:
        raise ValueError(f"not an image kind: {kind!r}")
    return buffer.getvalue()


def make_sample(
    name: str, truth: SampleTruth, layout: str, kind: str, distortion: str, rng: random.Random
) -> Sample:
    pdf = render_document(truth, layout)
    if kind == "pdf_text":
        if distortion != "none":
            raise ValueError("a PDF with a text layer is not distorted")
        return Sample(name, kind, layout, distortion, pdf, truth)
    dpi = LOW_DPI if distortion == "lowres" else rng.randint(*NORMAL_DPI)
    image = distort(rasterise(pdf, dpi), distortion, rng)
    return Sample(name, kind, layout, distortion, encode(image, kind, distortion, dpi), truth)


def generate_samples(
    n: int,
    *,
    seed: int = 2026,
    year: int = 2024,
    kinds: Sequence[str] = KINDS,
    distortions: Sequence[str] = DISTORTIONS,
    layouts: Sequence[str] = LAYOUTS,
) -> list[Sample]:
    """`n` documents: layouts in turn (so any 4 in a row cover them all), kinds and distortions
    evenly mixed in a seeded order; a pdf_text document is never distorted."""
    for value, allowed in ((kinds, KINDS), (distortions, DISTORTIONS), (layouts, LAYOUTS)):
        unknown = set(value) - set(allowed)
        if unknown or not value:
            raise ValueError(f"unknown or no values: {sorted(unknown)}")
    rng = random.Random(seed)
    # balanced mixes in a seeded order: every kind and distortion about equally often
    kind_of = [kinds[i % len(kinds)] for i in range(n)]
    rng.shuffle(kind_of)
    images = [i for i in range(n) if kind_of[i] != "pdf_text"]
    distortion_of = ["none"] * n
    order = [distortions[j % len(distortions)] for j in range(len(images))]
    rng.shuffle(order)
    for i, distortion in zip(images, order, strict=True):
        distortion_of[i] = distortion
    samples = []
    for i in range(n):
        layout, kind, distortion = layouts[i % len(layouts)], kind_of[i], distortion_of[i]
        truth = make_truth(rng, layout, year)
        # each sample's own stream, so that rendering choices never shift the next truths
        sample_rng = random.Random(f"{seed}/{i}")
        name = f"{i:03d}-{layout}-{kind}-{distortion}"
        samples.append(make_sample(name, truth, layout, kind, distortion, sample_rng))
    return samples


FIELDS = (
    "title",
    "organiser",
    "person_name",
    "started_on",
    "completed_on",
    "hours",
    "hours_basis",
    "number",
)
TEXT_FIELDS = frozenset({"title", "organiser", "person_name"})


def normalise_text(value: str) -> str:
    """Text without spaces and punctuation, for comparing what OCR read with the truth."""
    return "".join(
        ch
        for ch in unicodedata.normalize("NFKC", value)
        if not unicodedata.category(ch).startswith(("P", "Z", "C", "S"))
    )


def score_fields(truth: SampleTruth, fields: Any) -> dict[str, bool]:
    """Which of the truth's fields the reader got right (`fields` has the truth's attribute
    names, like EvidenceFields). A field that is None in the truth (a letter's number) is not
    scored. Text fields are compared without spaces and punctuation; dates, hours, the hours'
    basis and the number must be equal."""
    scores = {}
    for field in FIELDS:
        expected = getattr(truth, field)
        if expected is None:
            continue
        got = getattr(fields, field, None) if fields is not None else None
        if got is None:
            scores[field] = False
        elif field in TEXT_FIELDS:
            scores[field] = normalise_text(str(got)) == normalise_text(str(expected))
        else:
            scores[field] = got == expected
    return scores


def write_samples(samples: Sequence[Sample], directory: Path) -> list[Path]:
    """Each sample as a file (for looking at them), named after the sample."""
    directory.mkdir(parents=True, exist_ok=True)
    suffix = {"png": ".png", "jpeg": ".jpg", "pdf_text": ".pdf", "pdf_scan": ".pdf"}
    paths = []
    for sample in samples:
        path = directory / f"{sample.name}{suffix[sample.kind]}"
        path.write_bytes(sample.data)
        paths.append(path)
    return paths


__all__ = [
    "DISTORTIONS",
    "FIELDS",
    "HALF_DAY_HOURS",
    "KINDS",
    "LAYOUTS",
    "Sample",
    "SampleTruth",
    "distort",
    "encode",
    "generate_samples",
    "make_sample",
    "make_truth",
    "normalise_text",
    "pdf_text",
    "rasterise",
    "render_document",
    "render_html",
    "score_fields",
    "stated_units",
    "write_samples",
]
