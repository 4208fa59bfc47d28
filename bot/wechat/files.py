"""What a WeChat reply says in place of a file, since the account cannot send one: for a
certificate a signed, expiring download link and the verification page
(services/download_links.py); for other files (reports, exports) where to get them for now."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.flows.base import OutgoingFile
from services.certificates import verification_url
from services.context import AppContext
from services.download_links import DEFAULT_HOURS, download_url
from services.i18n import Translator

FileNote = Callable[[OutgoingFile], str]


def elsewhere_note(t: Translator) -> FileNote:
    """Files other than certificates: available on Telegram or the command line for now."""
    return lambda file: t("wechat-file-elsewhere", name=file.name)


def file_note(
    ctx: AppContext, t: Translator, *, now: datetime, hours: int = DEFAULT_HOURS
) -> FileNote:
    """The sentence for a reply's file, links counted from `now` (the link is given when the
    reply is composed, a deferred one included)."""
    other = elsewhere_note(t)

    def note(file: OutgoingFile) -> str:
        if file.certificate is None:
            return other(file)
        return "\n".join(
            (
                t(
                    "wechat-cert-download",
                    url=download_url(ctx, file.certificate, now=now, hours=hours),
                    hours=str(hours),
                ),
                t("wechat-cert-verify", url=verification_url(ctx, file.certificate)),
            )
        )

    return note
