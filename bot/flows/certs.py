"""My certificates, and certificate verification in the bot.

"certs" (menu `m:certs`, `/certs`): for the current policy year and up to two earlier years
with a policy, each kind of certificate: held (number, issue date, valid or revoked with the
reason) with a download button; or eligible now, with a button that issues it; or what is
still missing, from the year's evaluation. Certificates of other years the person holds are
listed too.

Buttons (callback prefix "ct", valid on every older message; each press re-checks on the
server that the certificate is the pressing account's own person's):
- "ct:get:<year>:<pe|ce>" issues (or returns the live one: a second press gives the same
  number) through `turn.svc`, inside the turn's transaction;
- "ct:dl:<number>" sends a held certificate; a revoked one is not sent, the person is told.
The PDF goes out as a document whose `produce` renders it (process pool) after the turn's
commit: rendering never holds the transaction or the event loop.

"verify" (`/verify [number or link]`, a button on the certificates screen, open to anyone,
bound or not): a certificate number, the verification link of its QR code, or a photo of the
QR code (decoded with zxing-cpp in a thread). A link (signature) gets the web page's answer
with the masked name and hours; a bare number only the status, kind, year and dates
(services.certificates.check_number). Every "not found" or "not genuine" answer counts as a
wrong input on the account (services.accounts), which locks it for a while after too many, so
numbers cannot be enumerated through the bot.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from bot.flows.base import Button, Event, Flow, OutgoingFile, Reply, Step, Turn
from bot.flows.features import Feature, register
from bot.flows.keyboards import back_to_menu, main_menu
from bot.flows.progress import share_text, shown_policy
from core.hours import format_hours
from core.rules import YearEvaluation
from services.accounts import bound_person, locked_until, record_failure
from services.audit import audit
from services.certificates import (
    KIND_HOURS,
    CertificateKind,
    CertificateStatus,
    CertificateView,
    NotEligible,
    Verification,
    VerifyStatus,
    certificate_status,
    check_number,
    decode_qr,
    ensure_pdf,
    get_certificate,
    issue_certificate,
    list_for_person,
    parse_verification_input,
    verify,
)
from services.i18n import Translator
from services.onboarding import actor_of
from services.policies import SHANGHAI, local_today
from services.progress import PersonNotFound, YearWithoutPolicy
from storage.models import Person

CALLBACK = "ct"
VERIFY = "verify"  # the verification flow (one step: "ask")
KIND_BY_CODE = {"pe": CertificateKind.PUBLIC_EXAM, "ce": CertificateKind.CE}
CODE_BY_KIND = {kind: code for code, kind in KIND_BY_CODE.items()}
EARLIER_YEARS = 2  # earlier policy years shown besides the current one
MAX_INPUT = 500  # characters of a typed verification input
MAX_PHOTO_MB = 10
MAX_PHOTO_BYTES = MAX_PHOTO_MB * 1024 * 1024
# a number anywhere in a typed line ("请查 GX2024-CE-000123"); NUMBER_PATTERN is anchored
_NUMBER_IN_TEXT = re.compile(r"GX\d{4}-(?:PE|CE)-\d{6,12}", re.IGNORECASE)
_YEAR = re.compile(r"^\d{4}$")
_MARKS = {
    VerifyStatus.VALID: "✅",
    VerifyStatus.REVOKED: "❌",
    VerifyStatus.NOT_FOUND: "❔",
    VerifyStatus.NOT_GENUINE: "⚠️",
}


# ------------------------------------------------------------------ the certificates screen


def _years(turn: Turn) -> list[int]:
    """The current policy year, then up to EARLIER_YEARS earlier years with a policy."""
    policy = shown_policy(turn)
    if policy is None:
        return []
    earlier = sorted((y for y in turn.ctx.policies if y < policy.year), reverse=True)
    return [policy.year, *earlier[:EARLIER_YEARS]]


def _date(view: CertificateView) -> str:
    return local_today(view.issued_at).isoformat()


def _reason(t: Translator, reason: str | None) -> str:
    key = f"certs-reason-{reason}"
    return t(key) if reason and t.has(key) else t("certs-reason-other")


def _title(t: Translator, kind: CertificateKind) -> str:
    return t(f"cert-kind-{kind.value}")


def _held_lines(t: Translator, view: CertificateView) -> list[str]:
    return [
        t("certs-held", title=_title(t, view.kind)),
        t("certs-held-detail", number=view.number, date=_date(view)),
    ]


def _revoked_line(t: Translator, view: CertificateView) -> str:
    revoked = local_today(view.revoked_at).isoformat() if view.revoked_at else "-"
    return t(
        "certs-revoked",
        title=_title(t, view.kind),
        number=view.number,
        date=_date(view),
        revoked=revoked,
        reason=_reason(t, view.revoke_reason),
    )


def missing_lines(t: Translator, kind: CertificateKind, ev: YearEvaluation) -> list[str]:
    """What stands between the person and this certificate, from the year's evaluation."""
    if kind is CertificateKind.PUBLIC_EXAM:
        return [] if ev.mandatory_done else [t("certs-missing-exam")]
    lines: list[str] = []
    if ev.complete:
        return lines
    if not ev.total_met:
        lines.append(
            t(
                "certs-missing-total",
                total=format_hours(ev.total_hours),
                min=format_hours(ev.min_total_hours),
                needed=format_hours(ev.total_hours_needed),
            )
        )
    if not ev.share_met:
        lines.append(
            t(
                "certs-missing-share",
                share=share_text(ev.professional_share),
                professional=format_hours(ev.professional_verified_hours),
                total=format_hours(ev.total_hours),
            )
        )
    lines.append(t("certs-missing-professional", needed=format_hours(ev.professional_hours_needed)))
    if ev.professional_pending_hours > 0:
        lines.append(
            t("certs-missing-pending", pending=format_hours(ev.professional_pending_hours))
        )
    return lines


def _short(t: Translator, kind: CertificateKind) -> str:
    return t(f"certs-kind-short-{kind.value}")


def _download_button(t: Translator, view: CertificateView) -> Button:
    label = t("certs-download-button", kind=_short(t, view.kind), year=str(view.year))
    return Button(label, f"{CALLBACK}:dl:{view.number}")


def _get_button(t: Translator, kind: CertificateKind, year: int) -> Button:
    label = t("certs-get-button", kind=_short(t, kind), year=str(year))
    return Button(label, f"{CALLBACK}:get:{year}:{CODE_BY_KIND[kind]}")


def _kind_block(
    t: Translator, status: CertificateStatus, revoked: list[CertificateView]
) -> tuple[list[str], Button | None]:
    lines: list[str] = []
    button: Button | None = None
    if status.certificate is not None:
        lines += _held_lines(t, status.certificate)
        button = _download_button(t, status.certificate)
    elif status.eligible:
        lines.append(t("certs-eligible", title=_title(t, status.kind)))
        button = _get_button(t, status.kind, status.year)
    else:
        lines.append(t("certs-missing", title=_title(t, status.kind)))
        lines += missing_lines(t, status.kind, status.evaluation)
    lines += [_revoked_line(t, v) for v in revoked]
    return lines, button


def _not_bound(turn: Turn) -> None:
    t = turn.t
    turn.add(
        Reply(
            t("certs-not-bound"),
            (
                (Button(t("bind-start-button"), "m:start"),),
                (Button(t("certs-verify-button"), f"m:{VERIFY}"),),
                back_to_menu(turn),
            ),
        )
    )


async def screen(turn: Turn, person: Person) -> Reply:
    t = turn.t
    years = _years(turn)
    held = await list_for_person(turn.svc, person.id)
    parts = [t("certs-title", name=person.name)]
    buttons: list[tuple[Button, ...]] = []
    if not years:
        parts.append(t("prog-no-policy"))
    for year in years:
        statuses = await certificate_status(turn.svc, person.id, year)
        parts.append(t("certs-year", year=str(year)))
        row: list[Button] = []
        for status in statuses:
            revoked = [v for v in held if v.year == year and v.kind is status.kind and not v.live]
            lines, button = _kind_block(t, status, revoked)
            parts.extend(lines)
            if button is not None:
                row.append(button)
        if row:
            buttons.append(tuple(row))
    # certificates of years not shown above (an older year, a year whose policy went away)
    others = [v for v in held if v.year not in years]
    if others:
        parts.append(t("certs-other-years"))
        for view in others:
            if view.live:
                parts += _held_lines(t, view)
                buttons.append((_download_button(t, view),))
            else:
                parts.append(_revoked_line(t, view))
    buttons.append((Button(t("certs-verify-button"), f"m:{VERIFY}"),))
    buttons.append(back_to_menu(turn))
    return Reply("\n".join(parts), tuple(buttons))


async def show_certificates(turn: Turn, _args: str = "") -> None:
    person = await bound_person(turn.session, turn.account)
    if person is None:
        _not_bound(turn)
        return
    turn.add(await screen(turn, person))


def _send(turn: Turn, view: CertificateView) -> None:
    """The certificate as a document, rendered after the turn's commit when not on disk."""
    t, ctx = turn.t, turn.ctx

    async def produce() -> Path:
        # after the commit, off the event loop (render process pool); no transaction held
        return await ensure_pdf(ctx, view)

    key = "certs-issued" if view.created else "certs-sent"
    text = t(key, title=_title(t, view.kind), number=view.number, date=_date(view))
    turn.add(
        Reply(
            text,
            ((Button(t("certs-back-button"), "m:certs"),), back_to_menu(turn)),
            file=OutgoingFile(
                path="", name=view.download_name, produce=produce, certificate=view.number
            ),
        )
    )
    turn.outcome.notice = t("certs-preparing")


async def _issue(turn: Turn, person: Person, rest: str) -> None:
    year_text, _, code = rest.partition(":")
    kind = KIND_BY_CODE.get(code)
    if kind is None or not _YEAR.match(year_text):
        _unknown_button(turn)
        return
    year = int(year_text)
    try:
        view = await issue_certificate(
            turn.svc, person.id, year, kind, actor=actor_of(turn.account), render=False
        )
    except NotEligible as exc:
        t = turn.t
        lines = [t("certs-not-eligible", title=_title(t, kind), year=str(year))]
        lines += missing_lines(t, kind, exc.evaluation)
        turn.add(Reply("\n".join(lines)))
        turn.add(await screen(turn, person))
        return
    except (YearWithoutPolicy, PersonNotFound):
        _unknown_button(turn)
        return
    _send(turn, view)


async def _download(turn: Turn, person: Person, number: str) -> None:
    view = await get_certificate(turn.svc, number)
    if view is None or view.person_id != person.id:
        # not this person's (a forged button, or removed): nothing about it is said
        turn.say("certs-unknown")
        turn.add(await screen(turn, person))
        return
    if not view.live:
        t = turn.t
        turn.outcome.notice = t("certs-revoked-short")
        turn.say(
            "certs-revoked-not-sent",
            number=view.number,
            revoked=local_today(view.revoked_at).isoformat() if view.revoked_at else "-",
            reason=_reason(t, view.revoke_reason),
        )
        turn.add(await screen(turn, person))
        return
    _send(turn, view)


def _unknown_button(turn: Turn) -> None:
    turn.outcome.notice = turn.t("btn-unknown")
    turn.add(Reply(turn.t("btn-unknown"), main_menu(turn)))


async def certificate_button(turn: Turn, rest: str) -> None:
    """ "ct:get:<year>:<code>" and "ct:dl:<number>": always for the pressing account's own
    person, whatever the button says."""
    turn.finish()
    person = await bound_person(turn.session, turn.account)
    if person is None:
        _not_bound(turn)
        return
    action, _, arg = rest.partition(":")
    if action == "get":
        await _issue(turn, person, arg)
    elif action == "dl" and _NUMBER_IN_TEXT.fullmatch(arg):
        await _download(turn, person, arg)
    else:
        _unknown_button(turn)


# ------------------------------------------------------------------ verification


def _locked(turn: Turn) -> bool:
    until = locked_until(turn.account, turn.now)
    if until is None:
        return False
    turn.say(
        "certs-verify-locked",
        until=until.astimezone(SHANGHAI).strftime("%H:%M"),
        buttons=main_menu(turn),
    )
    return True


def _bad_guess(turn: Turn) -> bool:
    """A number that is not there, or a link that is not genuine: one more wrong input.
    True when this one locks the account."""
    if record_failure(turn.account, turn.now):
        audit(
            turn.session,
            at=turn.now,
            actor=actor_of(turn.account),
            action="account.rate_limited",
            entity="account",
            entity_id=turn.account.id,
            data={"by": "certificate_verification"},
        )
        return True
    return False


def verification_lines(t: Translator, result: Verification) -> list[str]:
    """The web page's content as text: status, detail, then the masked fields it shows."""
    status = result.status.value
    verdict = t(
        "certs-verify-verdict", mark=_MARKS[result.status], status=t(f"cert-status-{status}")
    )
    lines = [t("certs-verify-title"), verdict]
    if result.status is VerifyStatus.REVOKED:
        lines.append(t("cert-status-revoked-detail", date=result.revoked_on or "-"))
    else:
        lines.append(t(f"cert-status-{status}-detail"))
    if result.kind is None:
        return lines
    fields: list[tuple[str, str | None]] = [
        (t("cert-field-number"), result.number),
        (t("cert-field-kind"), t(f"cert-kind-{result.kind.value}")),
        (t("cert-field-year"), str(result.year)),
    ]
    if result.name_masked is not None:
        fields += [
            (t("cert-field-name"), result.name_masked),
            (t("cert-field-id"), result.id_masked),
        ]
        fields += [
            (t(f"cert-hours-{key}"), t("cert-hours-unit", hours=result.hours[key]))
            for key in KIND_HOURS[result.kind]
            if key in result.hours
        ]
    if result.issuer:
        fields.append((t("cert-field-issuer"), result.issuer))
    fields.append((t("cert-field-issued-on"), result.issued_on))
    if result.revoked_on:
        fields.append((t("cert-field-revoked-on"), result.revoked_on))
    lines += [t("certs-verify-field", label=label, value=value or "-") for label, value in fields]
    return lines


def _answer(turn: Turn, result: Verification, *, bare: bool) -> None:
    t = turn.t
    now_locked = False
    if result.status in (VerifyStatus.NOT_FOUND, VerifyStatus.NOT_GENUINE):
        now_locked = _bad_guess(turn)
    lines = verification_lines(t, result)
    if bare and result.status in (VerifyStatus.VALID, VerifyStatus.REVOKED):
        lines.append(t("certs-verify-bare-note"))
    turn.finish()
    turn.add(
        Reply(
            "\n".join(lines),
            (
                (Button(t("certs-verify-again-button"), f"m:{VERIFY}"),),
                back_to_menu(turn),
            ),
        )
    )
    if now_locked:
        _locked(turn)


def _extract(text: str) -> str | None:
    """The verification link or the certificate number in a typed line, else None."""
    for token in text.split():
        if "/verify/" in token:
            return token
    found = _NUMBER_IN_TEXT.search(text)
    return found.group(0) if found else None


async def _check(turn: Turn, candidate: str) -> None:
    number, given = parse_verification_input(candidate)
    if "/verify/" in candidate:  # a link: its signature decides, as on the web page
        _answer(turn, await verify(turn.svc, number, given), bare=False)
    else:
        _answer(turn, await check_number(turn.svc, number), bare=True)


async def _check_text(turn: Turn, text: str, *, quiet: bool = False) -> bool:
    """False when nothing usable was typed (said so unless `quiet`)."""
    candidate = _extract(text) if len(text) <= MAX_INPUT else None
    if candidate is None:
        if not quiet:
            turn.say("certs-verify-bad-input", buttons=(back_to_menu(turn),))
        return False
    await _check(turn, candidate)
    return True


async def _check_photo(turn: Turn, event: Event) -> None:
    file = event.file
    if file is None:  # a sticker, a voice message...
        turn.say("certs-verify-not-image", buttons=(back_to_menu(turn),))
        return
    if file.size is not None and file.size > MAX_PHOTO_BYTES:
        turn.say("certs-verify-too-large", max=MAX_PHOTO_MB, buttons=(back_to_menu(turn),))
        return
    if file.mime is not None and not file.mime.startswith("image/"):
        turn.say("certs-verify-not-image", buttons=(back_to_menu(turn),))
        return
    content = await file.fetch() if file.fetch is not None else b""
    if len(content) > MAX_PHOTO_BYTES:
        turn.say("certs-verify-too-large", max=MAX_PHOTO_MB, buttons=(back_to_menu(turn),))
        return
    # CPU work (milliseconds to a few hundred): in a thread, not on the event loop
    texts = await asyncio.to_thread(decode_qr, content) if content else []
    links = [text for text in texts if "/verify/" in text]
    if not links:
        key = "certs-verify-foreign-qr" if texts else "certs-verify-no-qr"
        turn.say(key, buttons=(back_to_menu(turn),))
        return
    await _check(turn, links[0])


async def start_verify(turn: Turn, args: str = "") -> None:
    """`/verify <number or link>` answers at once; otherwise (or when nothing usable was
    typed after the command) the question is asked."""
    if _locked(turn):
        return
    if args.strip() and await _check_text(turn, args, quiet=True):
        return
    turn.goto(VERIFY, "ask")


async def _ask_prompt(turn: Turn) -> Reply:
    return Reply(turn.t("certs-verify-ask"), (back_to_menu(turn),))


async def _take_input(turn: Turn, event: Event) -> None:
    if _locked(turn):
        turn.finish()
        return
    if event.kind == "file":
        await _check_photo(turn, event)
    else:
        await _check_text(turn, event.text)


VERIFY_FLOW = Flow(
    name=VERIFY,
    first="ask",
    steps={
        "ask": Step(prompt=_ask_prompt, accepts=frozenset({"text", "file"}), handle=_take_input),
    },
)

FEATURE = register(
    Feature(
        name="certs",
        flows=(VERIFY_FLOW,),
        actions={"certs": show_certificates, VERIFY: start_verify},
        commands={"certs": "certs", VERIFY: VERIFY},
        callbacks={CALLBACK: certificate_button},
    )
)
