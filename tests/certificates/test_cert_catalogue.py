"""Every certificate text exists in both languages, including keys built at run time."""

from __future__ import annotations

from pathlib import Path

from fluent.syntax import parse
from fluent.syntax.ast import Message

from services.certificates import KIND_HOURS, CertificateKind, VerifyStatus
from services.i18n import LANGUAGES, translator

LOCALES = Path(__file__).resolve().parents[2] / "services" / "locales"


def keys(language: str) -> set[str]:
    resource = parse((LOCALES / language / "certificates.ftl").read_text(encoding="utf-8"))
    return {entry.id.name for entry in resource.body if isinstance(entry, Message)}


def test_both_languages_have_every_key() -> None:
    assert keys("zh") == keys("en")
    dynamic = (
        {f"cert-kind-{k.value}" for k in CertificateKind}
        | {f"cert-status-{s.value}" for s in VerifyStatus}
        | {f"cert-status-{s.value}-detail" for s in VerifyStatus if s is not VerifyStatus.REVOKED}
        | {f"cert-hours-{h}" for hours in KIND_HOURS.values() for h in hours}
        | {f"cli-cert-not-eligible-{k.value}" for k in CertificateKind}
    )
    for language in LANGUAGES:
        assert not dynamic - keys(language), language


def test_titles_are_the_rules_titles() -> None:
    t = translator("zh")
    assert t("cert-kind-public_exam") == "专业技术人员继续教育公需科目考试合格证书"
    assert t("cert-kind-ce") == "专业技术人员继续教育合格证书"
