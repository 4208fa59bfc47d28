"""What the bot read on an evidence file (OCR or a PDF's text layer), kept once per file.

One row per evidence file (files are stored once by content hash, so a file sent twice is read
once). `number` is the certificate or filing number found on it, indexed so that a second claim
with the same certificate is flagged to the reviewer even when the file itself differs (another
photo of the same paper)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, _pk


class EvidenceReadingRow(Base):
    __tablename__ = "evidence_readings"
    id: Mapped[int] = _pk()
    file_id: Mapped[int] = mapped_column(ForeignKey("evidence_files.id"), unique=True)
    method: Mapped[str | None] = mapped_column(String(20))  # pdf_text | ocr
    reason: Mapped[str | None] = mapped_column(String(20))  # why nothing was found, or None
    number: Mapped[str | None] = mapped_column(String(64), index=True)
    reading: Mapped[str] = mapped_column(Text)  # services.evidence_reading.EvidenceReading JSON
    read_at: Mapped[datetime]
