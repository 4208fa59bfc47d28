"""Evidence files: type by magic bytes, size limit, stored once by content hash."""

from __future__ import annotations

import pytest
from claims_helpers import PDF, PNG, count

from services.context import AppContext
from services.evidence import (
    MAX_EVIDENCE_BYTES,
    EvidenceRefused,
    evidence_file,
    evidence_path,
    sniff_type,
    store_evidence,
)
from storage.models import EvidenceFile

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32


def test_type_by_magic_bytes() -> None:
    assert sniff_type(JPEG) == "image/jpeg"
    assert sniff_type(PNG) == "image/png"
    assert sniff_type(WEBP) == "image/webp"
    assert sniff_type(PDF) == "application/pdf"
    assert sniff_type(b"GIF89a....") is None
    assert sniff_type(b"RIFF\x00\x00\x00\x00WAVE") is None
    assert sniff_type(b"<html>%PDF-") is None  # a name or an embedded marker proves nothing
    with pytest.raises(ValueError):
        evidence_path(__import__("pathlib").Path("/tmp"), "../../etc/passwd")


async def test_store_dedupe_and_layout(ctx: AppContext) -> None:
    first = await store_evidence(ctx, PNG)
    again = await store_evidence(ctx, PNG)
    other = await store_evidence(ctx, PDF)
    assert first.new and not again.new and first.id == again.id and other.id != first.id
    assert (first.mime, first.size) == ("image/png", len(PNG))
    path, mime = await evidence_file(ctx, first.id)
    assert path == ctx.data_dir / "evidence" / first.sha256[:2] / first.sha256
    assert path.read_bytes() == PNG and mime == "image/png"
    assert await count(ctx, EvidenceFile) == 2
    # no temporary files left behind, and names reveal nothing but the hash
    names = sorted(p.name for p in (ctx.data_dir / "evidence").rglob("*") if p.is_file())
    assert names == sorted([first.sha256, other.sha256])


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"plain text, renamed to photo.jpg", "type"),
        (PDF + b"\x00" * MAX_EVIDENCE_BYTES, "too_large"),
    ],
)
async def test_refused_files_store_nothing(ctx: AppContext, data: bytes, reason: str) -> None:
    with pytest.raises(EvidenceRefused) as exc:
        await store_evidence(ctx, data)
    assert exc.value.reason == reason
    assert await count(ctx, EvidenceFile) == 0
    assert not (ctx.data_dir / "evidence").exists()


async def test_unknown_file(ctx: AppContext) -> None:
    with pytest.raises(EvidenceRefused) as exc:
        await evidence_file(ctx, 999)
    assert exc.value.reason == "not_found"
