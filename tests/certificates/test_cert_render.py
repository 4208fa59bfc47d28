"""The PDFs read back: Chinese title, name, hours, number, and a QR code that decodes to the
verification URL. Rendering stays off the event loop."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from services.certificate_render import qr_data_uri, render_html, render_pdf
from services.loop_lag import watching_the_loop
from tests.certificates.helpers import pdf_qr_codes, pdf_text

URL = "https://ce.example.cn/verify/GX2024-CE-000042?t=0123456789abcdef"
DATA: dict[str, Any] = {
    "name": "欧阳小明",
    "id_masked": "4501**********0212",
    "unit": "南宁市第一人民医院",
    "year": 2024,
    "hours": {
        "public_mandatory": "15",
        "public_elective": "10",
        "public": "25",
        "professional": "67.5",
        "total": "92.5",
    },
    "issuer": "广西壮族自治区人力资源和社会保障厅",
    "issued_on": "2024-11-20",
    "mandatory_theme": "高质量共建“一带一路”谱写人类命运共同体新篇章",
}


@pytest.mark.parametrize(
    ("kind", "title", "hours"),
    [
        ("ce", "专业技术人员继续教育合格证书", ("67.5", "92.5", "25")),
        ("public_exam", "专业技术人员继续教育公需科目考试合格证书", ("15", "10", "25")),
    ],
)
async def test_pdf_reads_back_with_title_name_hours_number_and_qr(
    tmp_path: Path, kind: str, title: str, hours: tuple[str, ...]
) -> None:
    pdf = await render_pdf(kind, DATA, number="GX2024-CE-000042", verification_url=URL)
    assert pdf.startswith(b"%PDF-")
    path = tmp_path / f"{kind}.pdf"
    path.write_bytes(pdf)
    text = pdf_text(path)
    for expected in (title, "欧阳小明", "GX2024-CE-000042", "4501**********0212", *hours):
        assert expected in text, expected
    assert "广西壮族自治区人力资源和社会保障厅" in text and "2024年11月20日" in text
    assert pdf_qr_codes(path, tmp_path) == [URL]


def test_html_escapes_data() -> None:
    html = render_html(
        "ce", DATA | {"name": "<b>x</b>"}, number="GX2024-CE-000042", verification_url=URL
    )
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert qr_data_uri(URL).startswith("data:image/png;base64,")


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        render_html("diploma", DATA, number="X", verification_url=URL)


async def test_rendering_does_not_block_the_event_loop() -> None:
    """Ticks every 10 ms while four certificates render. WeasyPrint in the loop (or in a
    thread, holding the GIL) would stall it for whole renders; off the loop the ticks keep
    coming. Bounds are relative and generous, for a busy shared machine."""
    await render_pdf("ce", DATA, number="GX2024-CE-000042", verification_url=URL)  # warm pool
    async with watching_the_loop() as lag:
        started = time.perf_counter()
        await asyncio.gather(
            *(
                render_pdf("ce", DATA, number=f"GX2024-CE-00004{i}", verification_url=URL)
                for i in range(4)
            )
        )
        elapsed = time.perf_counter() - started
    assert elapsed > 0.2  # real work happened
    p90 = lag.quantile(0.9)
    assert p90 < 0.05, f"ticks late: p90 gap {p90}"
    assert lag.longest < elapsed / 3, f"event loop stalled {lag.longest:.3f}s of {elapsed:.3f}s"


async def test_long_names_stay_on_one_page(tmp_path: Path) -> None:
    data = DATA | {
        "name": "阿卜杜热合曼·买买提依明",
        "unit": "广西壮族自治区某某市某某县人民医院（医疗集团总院）心血管内科介入治疗中心临床部",
        "hours": DATA["hours"] | {"professional": "167.5", "total": "192.5"},
    }
    path = tmp_path / "long.pdf"
    path.write_bytes(await render_pdf("ce", data, number="GX2024-CE-1234567", verification_url=URL))
    text = pdf_text(path)
    assert text.count("\f") == 1  # one page
    assert "阿卜杜热合曼·买买提依明" in text and "192.5" in text


def test_certificates_issued_before_keep_their_meaning() -> None:
    """Data of version 1 (no "course", no "demo": issued before issue 17 item 20) renders as it
    did: the theme it froze, and no demo mark; version 2 names the course."""
    old = render_html("public_exam", DATA, number="GX2024-PE-000042", verification_url=URL)
    assert f"完成必修课《{DATA['mandatory_theme']}》" in old
    body = old.split("</style>", 1)[1]
    assert "watermark" not in body and "演示" not in body
    new = render_html(
        "public_exam",
        DATA | {"course": "数字经济概论", "demo": False},
        number="GX2024-PE-000042",
        verification_url=URL,
    )
    assert "完成必修课《数字经济概论》" in new and DATA["mandatory_theme"] not in new
