"""Organisers' hour files (📥 导入学时, /upload): an organiser sends a CSV or XLSX file, sees a
preview (rows, people, hours, rows imported before, rows that look like people's own claims,
and every bad row by line), and confirms or cancels.

Preview and import are services.organiser_upload's, the same parser and validation as
`cebot hours import`; the source of the rows is always the organiser role's. The file is
written under data_dir/uploads with a random name (the sender's name is only shown back) and
removed on confirm or cancel (housekeeping removes one left behind). Importing the same file
again adds nothing. A bad file imports nothing: the organiser gets the bad rows and may send a
corrected file in the same step. The people who received hours, and claimants whose approved
claim an import duplicates (sent back for review), are told through the outbox in the turn's
own transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from bot.flows.base import BUTTONS, Event, Flow, Reply, Step, Turn
from bot.flows.features import Feature, register
from bot.flows.keyboards import main_menu
from core.hours import format_hours
from services.imports import ImportRejected, RowProblem
from services.notify import queue_notice
from services.organiser_upload import (
    MAX_UPLOAD_BYTES,
    UPLOAD_SUFFIXES,
    UploadConfirmed,
    UploadRefused,
    confirm_upload,
    discard_upload,
    organiser_source,
    preview_upload,
    save_upload,
)
from services.tabular import TableError

log = logging.getLogger(__name__)

FLOW = "upload"
BAD_ROWS_SHOWN = 10
MAX_NAME_SHOWN = 60
FILE_OR_BUTTONS = frozenset({"file", "button"})


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
    if len(problems) > BAD_ROWS_SHOWN:
        lines.append(t("upl-bad-more", count=len(problems) - BAD_ROWS_SHOWN))
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
    try:
        preview = await preview_upload(turn.svc, turn.account.id, path)
    except UploadRefused as exc:
        discard_upload(turn.ctx, path)
        turn.finish()
        turn.say(f"upload-refused-{exc.reason}", buttons=main_menu(turn))
        return
    if preview.table_error is not None:
        discard_upload(turn.ctx, path)
        error = preview.table_error
        reason = turn.t(f"table-{error.reason}", **error.args_)
        turn.say("upl-table-error", name=name, reason=reason)
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
        turn.add(Reply(_bad_rows(turn, preview.problems)))
        return  # stay: a corrected file is the next answer
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


def _tell(turn: Turn, done: UploadConfirmed, source: str) -> None:
    """The people who received hours, and claimants whose approved claim went back to review
    because the import duplicates it: one outbox row per account, in this transaction."""
    for account_id in done.notify_account_ids:
        queue_notice(
            turn.session,
            account_id=account_id,
            key="upload-told",
            now=turn.now,
            args={"source": source},
            buttons=(("menu-progress", "m:prog"),),
        )
    for duplicate in done.duplicates:
        if not duplicate.reopened:
            continue
        for account_id in duplicate.claimant_account_ids:
            queue_notice(
                turn.session,
                account_id=account_id,
                key="claim-told-duplicate-reopened",
                now=turn.now,
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
    try:
        done = await confirm_upload(
            turn.svc, turn.account.id, path, expected_sha256=str(turn.data.get("sha", ""))
        )
    except ImportRejected as exc:  # the people changed since the preview (a name, say)
        discard_upload(turn.ctx, path)
        turn.add(Reply(_bad_rows(turn, exc.problems)))
        turn.goto(FLOW, "file")
        return
    except TableError as exc:
        discard_upload(turn.ctx, path)
        reason = turn.t(f"table-{exc.reason}", **exc.args_)
        turn.say("upl-table-error", name=str(turn.data.get("name", "")), reason=reason)
        turn.goto(FLOW, "file")
        return
    except UploadRefused as exc:
        discard_upload(turn.ctx, path)
        turn.finish()
        turn.say(f"upload-refused-{exc.reason}", buttons=main_menu(turn))
        return
    discard_upload(turn.ctx, path)
    source = str(turn.data.get("source", ""))
    _tell(turn, done, source)
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


UPLOAD = Flow(
    name=FLOW,
    first="file",
    steps={
        "file": Step(prompt=_file_prompt, accepts=FILE_OR_BUTTONS, handle=_take_file),
        "confirm": Step(prompt=_confirm_prompt, accepts=BUTTONS, handle=_take_confirm),
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
