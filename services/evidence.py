"""Evidence files (photos and PDFs) for claims, kept under the data directory by content hash.

- The path is data_dir/evidence/<sha256[:2]>/<sha256>: the name reveals nothing about the person
  or the claim, and the same file uploaded twice is stored (and recorded) once.
- The type comes from the file's first bytes, never from its name or the sender's claim.
- A file is written to a temporary name in the same directory and moved into place with
  os.replace, so a crash never leaves a half-written file under a valid name.
- Files are never deleted with a claim: a withdrawn or rejected claim keeps its proof (spot
  checks, RULES.md "Supervision").
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.context import AppContext
from storage.models import EvidenceFile

# Telegram lets a bot download files up to 20 MB; a phone photo or a scanned certificate is well
# under 10 MB, and the limit keeps one claim from filling the disk.
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
# Enough for a certificate, an attendance list and a programme or two; more is noise to review.
MAX_EVIDENCE_PER_CLAIM = 5
# Other provinces' platforms require proof with every claim (hour-rules-2019-4.md).
MIN_EVIDENCE_PER_CLAIM = 1

JPEG, PNG, WEBP, PDF = "image/jpeg", "image/png", "image/webp", "application/pdf"
ALLOWED_TYPES = (JPEG, PNG, WEBP, PDF)


class EvidenceRefused(Exception):
    """Reasons (message key evidence-refused-<reason>): empty, too_large, type, not_found."""

    def __init__(self, reason: str, **args: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.args_ = args


@dataclass(frozen=True, slots=True)
class StoredEvidence:
    id: int
    sha256: str
    mime: str
    size: int
    new: bool  # False when the same content was already stored


def sniff_type(data: bytes) -> str | None:
    """The MIME type from magic bytes, or None when it is not an accepted type."""
    if data[:3] == b"\xff\xd8\xff":
        return JPEG
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data[:5] == b"%PDF-":
        return PDF
    return None


def evidence_path(data_dir: Path, sha256: str) -> Path:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a sha256 hex digest")  # never build a path from other text
    return data_dir / "evidence" / sha256[:2] / sha256


def _write_file(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_file() and target.stat().st_size == len(data):
        return  # content-addressed: a file of this hash and size is this content
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_evidence(data: bytes) -> str:
    """The accepted MIME type of `data`, or EvidenceRefused."""
    if not data:
        raise EvidenceRefused("empty")
    if len(data) > MAX_EVIDENCE_BYTES:
        raise EvidenceRefused("too_large", max_mb=MAX_EVIDENCE_BYTES // (1024 * 1024))
    mime = sniff_type(data)
    if mime is None:
        raise EvidenceRefused("type")
    return mime


async def store_evidence(ctx: AppContext, data: bytes) -> StoredEvidence:
    """Check, store and record one uploaded file; the same content twice gives the same id.
    The file is on disk before its row commits, so a recorded file always exists."""
    mime = check_evidence(data)
    digest = hashlib.sha256(data).hexdigest()
    _write_file(evidence_path(ctx.data_dir, digest), data)
    for _ in range(2):  # a concurrent upload of the same content may win the unique key once
        try:
            async with ctx.db.transaction() as session:
                found = await session.scalar(
                    select(EvidenceFile).where(EvidenceFile.sha256 == digest)
                )
                if found is not None:
                    return StoredEvidence(found.id, digest, found.mime, found.size, new=False)
                row = EvidenceFile(sha256=digest, mime=mime, size=len(data), created_at=ctx.now())
                session.add(row)
                await session.flush()
                return StoredEvidence(row.id, digest, mime, len(data), new=True)
        except IntegrityError:
            continue
    raise EvidenceRefused("busy")  # pragma: no cover - needs two lost races in a row


async def evidence_file(ctx: AppContext, file_id: int) -> tuple[Path, str]:
    """Path and MIME type of a stored file. Callers check who may see it (see
    services.claims.evidence_for_account)."""
    async with ctx.db.transaction() as session:
        row = await session.get(EvidenceFile, file_id)
        if row is None:
            raise EvidenceRefused("not_found")
        return evidence_path(ctx.data_dir, row.sha256), row.mime
