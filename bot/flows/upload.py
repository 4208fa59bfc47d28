"""Organisers' hour files (📥 导入学时, /upload): an organiser sends a CSV or XLSX file, sees a
preview (rows, people, hours, rows imported before, rows that look like people's own claims,
and every bad row by line), and confirms or cancels.

Preview and import are services.organiser_upload's, the same parser and validation as
`cebot hours import`; the source of the rows is always the organiser role's. The file is
written under data_dir/uploads with a random name (the sender's name is only shown back) and
removed on confirm or cancel (housekeeping removes one left behind). Importing the same file
again adds nothing, and the same bytes sent again are recognised before they are read: the
organiser is told when and how many rows were imported, with nothing to confirm. A bad file
imports nothing: the organiser gets the bad rows and may send a corrected file in the same step.

Reading a large file takes seconds, so it is kept out of the chat turn's transaction and off
the event loop: the turn that receives the file saves it and commits; its follow-up
(Outcome.follow_up, run by the engine after the commit) parses it in a worker process and
checks it with read-only transactions of its own, then presses the internal step button
"done<token>", which a new turn answers with the preview. Confirming works the same way: the
import is its own transaction in the follow-up, and the people who received hours (named
course and hours), and claimants whose approved claim an import duplicates (sent back for
review), are told through the outbox right after it. The result waits in this process for the
turn that shows it; if the process stops in between, nothing is lost: the next message finds
the import by the file's digest, or asks for the file again.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.base import BUTTONS, Event, Flow, Reply, Step, Turn
from bot.flows.features import Feature, register
from bot.flows.keyboards import main_menu
from core.hours import format_hours
from services.context import AppContext
from services.imports import ImportRaced, ImportRejected, RowProblem
from services.notify import queue_notice
from services.organiser_upload import (
    MAX_UPLOAD_BYTES,
    UPLOAD_SUFFIXES,
    PreviousImport,
    UploadConfirmed,
    UploadPreview,
    UploadRefused,
    confirm_upload,
    discard_upload,
    organiser_source,
    preview_upload,
    previous_import,
    save_upload,
)
from services.policies import SHANGHAI
from services.tabular import TableError

log = logging.getLogger(__name__)

FLOW = "upload"
BAD_ROWS_SHOWN = 10
MAX_NAME_SHOWN = 60
FILE_OR_BUTTONS = frozenset({"file", "button"})
ANYTHING = frozenset({"file", "button", "text"})
DONE = "done"  # internal step button value: "done<token>"
# A follow-up still running after this long is taken for lost (the process stopped)
WORK_LOST_AFTER = timedelta(minutes=10)
TOLD_SHOWN = 10  # records named in one person's notice
TITLE_SHOWN = 60


@dataclass(frozen=True)
class _Failed:
    """What went wrong in a follow-up, for the turn that shows it."""

    problems: tuple[RowProblem, ...] = ()
    table_error: TableError | None = None
    refused: str | None = None
    raced: bool = False
    internal: bool = False


Result = UploadPreview | UploadConfirmed | _Failed
# Results of follow-ups waiting for the turn that shows them (the same process, moments later),
# by a random token that only this account's step knows, with when they were kept: one whose
# turn never came (the organiser moved on) is dropped after WORK_LOST_AFTER.
_RESULTS: dict[str, tuple[datetime, Result]] = {}


def _keep(token: str, result: Result, now: datetime) -> None:
    for old in [k for k, (at, _r) in _RESULTS.items() if now - at > WORK_LOST_AFTER]:
        _RESULTS.pop(old, None)
    _RESULTS[token] = (now, result)


def _max_mb() -> int:
    return MAX_UPLOAD_BYTES // (1024 * 1024)


async def open_upload(turn: Turn, args: str) -> None:
    """The action behind 📥 导入学时 and /upload: organisers only (checked by the service)."""
    try:
        source = await organiser_source(turn.session, turn.account.id)
    except UploadRefused as exc:
        turn.say(f"upload-refused-{exc.reason}", buttons=main_menu(turn))
        return
    turn.goto(FLOW, "file")
    turn.data["source"] = source


async def _file_prompt(turn: Turn) -> Reply:
    t = turn.t
    return Reply(
        t("upl-ask-file", source=str(turn.data.get("source", "")), max_mb=_max_mb()),
        ((turn.step_button(t("upl-btn-cancel"), "cancel"),),),
    )


def _cancel(turn: Turn) -> None:
    path = turn.data.get("path")
    if path:
        discard_upload(turn.ctx, Path(path))
    turn.finish()
    turn.say("upl-cancelled", buttons=main_menu(turn))


def _bad_rows(turn: Turn, problems: Sequence[RowProblem]) -> str:
    t = turn.t
    lines = [t("upload-preview-bad", count=len(problems))]
    for problem in problems[:BAD_ROWS_SHOWN]:
        reason = t(f"import-bad-{problem.reason}", **problem.args)
        lines.append(t("cli-import-row", line=problem.line, reason=reason))
    # "…and N more rows": lines not listed (a line may have several problems)
    shown = {p.line for p in problems[:BAD_ROWS_SHOWN]}
    more = {p.line for p in problems[BAD_ROWS_SHOWN:]} - shown
    if more:
        lines.append(t("upl-bad-more", count=len(more)))
    lines.append(t("upl-send-corrected"))
    return "\n".join(lines)


async def _take_file(turn: Turn, event: Event) -> None:
    if event.kind == "button":
        if event.data == "cancel":
            _cancel(turn)
        else:
            turn.say("btn-stale")
            turn.entered = True
        return
    incoming = event.file
    if incoming is None:  # a sticker, a voice message
        turn.say("upl-not-a-file")
        return
    name = (incoming.name or "")[:MAX_NAME_SHOWN]
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        turn.say("upl-bad-type", suffix=suffix or "?")
        return
    if incoming.size is not None and incoming.size > MAX_UPLOAD_BYTES:
        turn.say("upl-too-large", max_mb=_max_mb())
        return
    if incoming.fetch is None:
        turn.say("upl-fetch-failed")
        return
    try:
        data = await incoming.fetch()
    except Exception:  # the download failed (network, Telegram): nothing is lost, send again
        log.warning("upload: the file could not be downloaded", exc_info=True)
        turn.say("upl-fetch-failed")
        return
    if len(data) > MAX_UPLOAD_BYTES:
        turn.say("upl-too-large", max_mb=_max_mb())
        return
    path = save_upload(turn.ctx, data, suffix)
    _start_work(turn, "reading", path=str(path), name=name)
    ctx, account_id, token = turn.ctx, turn.account.id, str(turn.data["token"])
    working, notify = turn.t("upl-reading", name=name), incoming.notify

    async def follow_up() -> str | None:
        if notify is not None:
            try:
                await notify(working)
            except Exception:  # a courtesy; the reading goes on
                log.warning("could not show the reading notice", exc_info=True)
        result: Result
        try:
            result = await preview_upload(ctx, account_id, path, in_worker=True)
        except UploadRefused as exc:
            result = _Failed(refused=exc.reason)
        except (TableError, BrokenProcessPool) as exc:
            result = _Failed(
                table_error=exc if isinstance(exc, TableError) else TableError("unreadable")
            )
        except Exception:
            log.exception("upload: the preview failed")
            result = _Failed(internal=True)
        _keep(token, result, ctx.now())
        return turn.step_button("", f"{DONE}{token}").data

    turn.outcome.follow_up = follow_up


def _start_work(turn: Turn, step: str, **data: str) -> None:
    """Enter a step whose work runs in the follow-up, after this turn commits."""
    turn.goto(FLOW, step)
    turn.entered = False  # the follow-up's turn answers
    turn.data.update(data, token=secrets.token_hex(8), since=turn.now.isoformat())


def _result(turn: Turn, event: Event) -> Result | None:
    """The follow-up's result this event brings, else None (said what to do meanwhile)."""
    token = str(turn.data.get("token", ""))
    if event.kind == "button" and event.data == f"{DONE}{token}":
        kept = _RESULTS.pop(token, None)
        # no result: the follow-up failed before keeping one; found by the caller
        return kept[1] if kept is not None else _Failed(internal=True)
    since = datetime.fromisoformat(str(turn.data.get("since")))
    if turn.now - since < WORK_LOST_AFTER:
        turn.say("upl-working")
        return None
    return _Failed(internal=True)  # the process stopped meanwhile: found by the caller


async def _take_reading(turn: Turn, event: Event) -> None:
    found = _result(turn, event)
    if found is None:
        return
    path, name = Path(str(turn.data.get("path", ""))), str(turn.data.get("name", ""))
    if isinstance(found, UploadConfirmed):  # pragma: no cover - tokens are per step
        return
    if isinstance(found, _Failed):
        discard_upload(turn.ctx, path)
        if found.refused is not None:
            turn.finish()
            turn.say(f"upload-refused-{found.refused}", buttons=main_menu(turn))
        elif found.table_error is not None:
            _back_to_file(turn, _table_error_text(turn, name, found.table_error))
        else:
            _back_to_file(turn, turn.t("upl-file-gone"))
        return
    _show_preview(turn, found, path, name)


async def _working_prompt(turn: Turn) -> Reply:
    return Reply(turn.t("upl-working"))


def _table_error_text(turn: Turn, name: str, error: TableError) -> str:
    reason = turn.t(f"table-{error.reason}", **error.args_)
    return turn.t("upl-table-error", name=name, reason=reason)


def _previous_text(turn: Turn, earlier: PreviousImport) -> str:
    at = earlier.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    return turn.t("upl-previous", at=at, rows=earlier.rows, added=earlier.added)


def _show_preview(turn: Turn, preview: UploadPreview, path: Path, name: str) -> None:
    if preview.previous is not None:
        # the same bytes were imported before: nothing to confirm
        discard_upload(turn.ctx, path)
        lines = [turn.t("upl-file-name", name=name), _previous_text(turn, preview.previous)]
        turn.finish()
        turn.add(Reply("\n".join(lines), main_menu(turn)))
        return
    if preview.table_error is not None:
        discard_upload(turn.ctx, path)
        _back_to_file(turn, _table_error_text(turn, name, preview.table_error))
        return
    summary: dict[str, str | int] = {
        "rows": preview.rows,
        "people": preview.people,
        "new": preview.people_new,
        "hours": format_hours(preview.hours_total),
        "already": preview.already_imported,
        "duplicates": preview.claim_duplicates,
    }
    if not preview.ok:
        discard_upload(turn.ctx, path)
        turn.add(Reply(turn.t("upload-preview", **summary)))
        _back_to_file(turn, _bad_rows(turn, preview.problems))  # a corrected file next
        return
    turn.goto(FLOW, "confirm")
    turn.data.update(path=str(path), sha=preview.sha256, name=name, summary=summary)


async def _confirm_prompt(turn: Turn) -> Reply:
    t = turn.t
    summary = dict(turn.data.get("summary") or {})
    text = "\n".join(
        [
            t("upl-file-name", name=str(turn.data.get("name", ""))),
            t("upload-preview", **summary),
            t("upl-confirm-ask"),
        ]
    )
    return Reply(
        text,
        (
            (
                turn.step_button(t("upl-btn-confirm"), "yes"),
                turn.step_button(t("upl-btn-cancel"), "cancel"),
            ),
        ),
    )


def _told_items(turn: Turn, done: UploadConfirmed, account_id: int) -> dict[str, str | int]:
    records = done.records_by_account.get(account_id, ())
    lines = [
        f"· {r.title[:TITLE_SHOWN]}：{format_hours(r.hours)}" for r in records[:TOLD_SHOWN]
    ]
    if len(records) > TOLD_SHOWN:
        lines.append("· …")
    total = sum((r.hours for r in records), Fraction(0))
    return {"count": len(records), "hours": format_hours(total), "items": "\n".join(lines)}


def _tell(
    session: AsyncSession, turn: Turn, done: UploadConfirmed, source: str, now: datetime
) -> None:
    """The people who received hours (which courses, how many hours), and claimants whose
    approved claim went back to review because the import duplicates it: one outbox row per
    account, in `session`'s transaction."""
    for account_id in done.notify_account_ids:
        queue_notice(
            session,
            account_id=account_id,
            key="upload-told-records",
            now=now,
            args={"source": source, **_told_items(turn, done, account_id)},
            buttons=(("menu-progress", "m:prog"),),
        )
    for duplicate in done.duplicates:
        if not duplicate.reopened:
            continue
        for account_id in duplicate.claimant_account_ids:
            queue_notice(
                session,
                account_id=account_id,
                key="claim-told-duplicate-reopened",
                now=now,
                args={"title": duplicate.title},
                buttons=(("menu-claims", "m:claims"),),
            )


async def _take_confirm(turn: Turn, event: Event) -> None:
    if event.data == "cancel":
        _cancel(turn)
        return
    if event.data != "yes":
        turn.say("btn-stale")
        turn.entered = True
        return
    path = Path(str(turn.data.get("path", "")))
    if not turn.data.get("path") or not path.is_file():
        turn.say("upl-file-gone")
        turn.goto(FLOW, "file")
        return
    _start_work(turn, "importing")
    ctx, account_id, token = turn.ctx, turn.account.id, str(turn.data["token"])
    sha, source = str(turn.data.get("sha", "")), str(turn.data.get("source", ""))

    async def follow_up() -> str | None:
        _keep(token, await _import(ctx, turn, account_id, path, sha, source), ctx.now())
        discard_upload(ctx, path)
        return turn.step_button("", f"{DONE}{token}").data

    turn.outcome.follow_up = follow_up


async def _import(
    ctx: AppContext, turn: Turn, account_id: int, path: Path, sha: str, source: str
) -> UploadConfirmed | _Failed:
    """The import, in its own transactions (this runs after the turn committed), then the
    notices in one more."""
    try:
        done = await confirm_upload(ctx, account_id, path, expected_sha256=sha, in_worker=True)
    except ImportRejected as exc:  # the people changed since the preview (a name, say)
        return _Failed(problems=tuple(exc.problems))
    except (TableError, BrokenProcessPool) as exc:
        return _Failed(table_error=exc if isinstance(exc, TableError) else TableError("unreadable"))
    except UploadRefused as exc:
        return _Failed(refused=exc.reason)
    except ImportRaced:
        return _Failed(raced=True)
    except Exception:
        log.exception("upload: the import failed")
        return _Failed(internal=True)
    try:
        async with ctx.db.transaction() as session:
            _tell(session, turn, done, source, ctx.now())
    except Exception:  # imported all the same: say so; the people are not told
        log.exception("upload: the notices could not be queued")
    return done


async def _take_importing(turn: Turn, event: Event) -> None:
    found = _result(turn, event)
    if found is None:
        return
    name = str(turn.data.get("name", ""))
    if isinstance(found, UploadPreview):  # pragma: no cover - tokens are per step
        return
    if isinstance(found, _Failed):
        await _import_failed(turn, found, name)
        return
    done = found
    lines = []
    if done.result.added:
        lines.append(
            turn.t("upload-done", added=done.result.added, unchanged=done.result.unchanged)
        )
    else:
        lines.append(turn.t("upload-nothing-new"))
    if done.notify_account_ids:
        lines.append(turn.t("upl-told-count", count=len(done.notify_account_ids)))
    if done.duplicates:
        lines.append(
            turn.t(
                "upl-duplicates",
                count=len(done.duplicates),
                reopened=sum(1 for d in done.duplicates if d.reopened),
                unresolved=len(done.unresolved_duplicates),
            )
        )
    turn.finish()
    turn.add(Reply("\n".join(lines), main_menu(turn)))


async def _import_failed(turn: Turn, found: _Failed, name: str) -> None:
    if found.refused is not None:
        turn.finish()
        turn.say(f"upload-refused-{found.refused}", buttons=main_menu(turn))
        return
    if found.internal:
        # no result in this process (it restarted, or the import failed): the file's digest
        # says whether it was imported
        earlier = await previous_import(
            turn.svc, str(turn.data.get("source", "")), str(turn.data.get("sha", ""))
        )
        if earlier is not None:
            turn.finish()
            turn.add(Reply(_previous_text(turn, earlier), main_menu(turn)))
            return
        discard_upload(turn.ctx, Path(str(turn.data.get("path", ""))))
        _back_to_file(turn, turn.t("upl-import-unfinished"))
        return
    if found.raced:
        _back_to_file(turn, turn.t("upl-raced"))
    elif found.table_error is not None:
        _back_to_file(turn, _table_error_text(turn, name, found.table_error))
    else:
        _back_to_file(turn, _bad_rows(turn, found.problems))


def _back_to_file(turn: Turn, text: str) -> None:
    """Say `text` and wait for a (corrected) file, with a way out."""
    turn.goto(FLOW, "file")
    turn.entered = False
    turn.add(Reply(text, ((turn.step_button(turn.t("upl-btn-cancel"), "cancel"),),)))


UPLOAD = Flow(
    name=FLOW,
    first="file",
    steps={
        "file": Step(prompt=_file_prompt, accepts=FILE_OR_BUTTONS, handle=_take_file),
        "reading": Step(prompt=_working_prompt, accepts=ANYTHING, handle=_take_reading),
        "confirm": Step(prompt=_confirm_prompt, accepts=BUTTONS, handle=_take_confirm),
        "importing": Step(prompt=_working_prompt, accepts=ANYTHING, handle=_take_importing),
    },
)

FEATURE = register(
    Feature(
        name="upload",
        flows=(UPLOAD,),
        actions={"upload": open_upload},
        commands={"upload": "upload"},
    )
)
