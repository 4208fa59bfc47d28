"""GET/POST /upload/{link}?t=<signature>: the upload page of a WeChat user's claim evidence
(PDFs, several photos at once), opened from the single-use link the bot gives at the evidence
step (services/upload_links.py). A plain mobile form, no script.

POST: the body is bounded by its declared length before it is read (at most the claim's
file count times its per-file limit), the form by Starlette's limits (files, fields); every
file is checked (size, type by its first bytes) before any reaches the flow, so a refused
upload stores nothing and leaves the link usable. Then each file is one turn of the engine
for the link's account, exactly as a photo sent in the chat; the first file's turn consumes
the link. The turns' replies are queued to the user through the outbox as a deferred WeChat
reply (bot/wechat/webhook.py), with their numbered choices.

Nothing here logs a file's name or content, nor the link's signature (the bearer secret; the
access log drops query strings: cebot.logging_setup)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import jinja2
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from bot.flows import ChannelUser, Engine, Event, IncomingFile, Outcome
from bot.flows.claim import CLAIM_FLOW
from bot.wechat.screens import remember_choices
from bot.wechat.upload_offer import upload_offer, with_offer
from bot.wechat.webhook import DEFERRED_KEY, compose, step_wants_number
from services.context import AppContext
from services.evidence import (
    MAX_EVIDENCE_BYTES,
    MAX_EVIDENCE_PER_CLAIM,
    EvidenceRefused,
    check_evidence,
)
from services.i18n import Translator, normalize_language, translator
from services.notify import queue_notice
from services.upload_links import (
    UPLOAD_PATH,
    LinkState,
    LinkUsed,
    OpenLink,
    consume_receipt,
    open_link,
)
from storage.models import FlowState
from web.verify import TEMPLATE_DIR

log = logging.getLogger(__name__)
FIELD = "files"
# the multipart framing around the files (headers, boundaries): generous, still small
FORM_OVERHEAD = 64 * 1024
MAX_BODY = MAX_EVIDENCE_PER_CLAIM * MAX_EVIDENCE_BYTES + FORM_OVERHEAD
EVIDENCE_STEPS = frozenset({"evidence"})  # the claim's step that takes files
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the link is a bearer secret
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
}


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@dataclass(frozen=True)
class Page:
    status: int
    kind: str  # form | done | gone | forged | refused | over
    message: str = ""


def _render(page: Page, t: Translator, language: str) -> HTMLResponse:
    html = (
        _environment()
        .get_template("upload.html.j2")
        .render(
            t=t,
            p=page,
            field=FIELD,
            max=MAX_EVIDENCE_PER_CLAIM,
            max_mb=MAX_EVIDENCE_BYTES // (1024 * 1024),
            lang="zh-CN" if language == "zh" else "en",
        )
    )
    return HTMLResponse(html, status_code=page.status, headers=HEADERS)


async def _room(ctx: AppContext, account_id: int) -> int | None:
    """How many more files the account's claim takes now; None when it is not at the
    evidence step (the link outlived the step: the chat has moved on)."""
    async with ctx.db.transaction() as session:
        state = await session.get(FlowState, account_id)
        if state is None or state.flow != CLAIM_FLOW.name or state.step not in EVIDENCE_STEPS:
            return None
        held = state.data.get("evidence") or []
        return max(0, MAX_EVIDENCE_PER_CLAIM - len(held))


def _files(form_values: Sequence[object]) -> list[UploadFile]:
    return [v for v in form_values if isinstance(v, UploadFile) and (v.filename or v.size)]


class UploadPage:
    def __init__(self, ctx: AppContext, engine: Engine | None = None) -> None:
        self.ctx = ctx
        self.engine = engine or Engine(ctx)

    def routes(self) -> list[BaseRoute]:
        return [Route(f"{UPLOAD_PATH}/{{link}}", self.endpoint, methods=["GET", "POST"])]

    async def endpoint(self, request: Request) -> Response:
        state, link = await open_link(
            self.ctx, request.path_params["link"], request.query_params.get("t")
        )
        if state is LinkState.FORGED or link is None:
            t = translator("zh")
            status, kind = (403, "forged") if state is LinkState.FORGED else (410, "gone")
            return _render(Page(status, kind), t, "zh")
        language = normalize_language(link.language)
        t = translator(language)
        room = await _room(self.ctx, link.account_id)
        if room is None:
            return _render(Page(409, "over"), t, language)
        if request.method == "GET":
            return _render(Page(200, "form"), t, language)
        return await self._post(request, link, t, language, room)

    async def _post(
        self, request: Request, link: OpenLink, t: Translator, language: str, room: int
    ) -> Response:
        max_mb = MAX_EVIDENCE_BYTES // (1024 * 1024)
        declared = request.headers.get("content-length", "")
        if not declared.isdigit():  # a browser's form always says its length
            return _render(Page(411, "refused", t("wupload-refused-length")), t, language)
        if int(declared) > MAX_BODY:  # refused before a byte of it is read
            return _render(
                Page(413, "refused", t("evidence-refused-too_large", max_mb=max_mb)), t, language
            )
        try:
            form = await request.form(
                max_files=MAX_EVIDENCE_PER_CLAIM, max_fields=4, max_part_size=1024
            )
        except (MultiPartException, HTTPException):  # Starlette turns the first into the second
            return _render(
                Page(400, "refused", t("wupload-refused-count", max=MAX_EVIDENCE_PER_CLAIM)),
                t,
                language,
            )
        try:
            files = _files(form.getlist(FIELD))
            if not files:
                return _render(Page(400, "refused", t("wupload-refused-none")), t, language)
            if len(files) > room:  # the claim's limit counts what the draft holds already
                message = t("wupload-refused-room", count=len(files), room=room)
                return _render(Page(400, "refused", message), t, language)
            contents: list[tuple[UploadFile, bytes, str]] = []
            for upload in files:
                if upload.size is not None and upload.size > MAX_EVIDENCE_BYTES:
                    message = t("wupload-refused-file", name=upload.filename or "?")
                    message += " " + t("evidence-refused-too_large", max_mb=max_mb)
                    return _render(Page(413, "refused", message), t, language)
                data = await upload.read()
                try:
                    mime = check_evidence(data)  # size and type by the first bytes
                except EvidenceRefused as exc:
                    message = t("wupload-refused-file", name=upload.filename or "?")
                    message += " " + t(f"evidence-refused-{exc.reason}", **exc.args_)
                    return _render(Page(415, "refused", message), t, language)
                contents.append((upload, data, mime))
        finally:
            await form.close()
        try:
            done = await self._feed(link, contents)
        except Exception:  # the first file's turn failed: nothing taken, the link unused
            return _render(Page(500, "refused", t("err-generic")), t, language)
        if done == 0:
            return _render(Page(410, "gone"), t, language)
        return _render(Page(200, "done", t("wupload-done", count=done)), t, language)

    async def _feed(self, link: OpenLink, contents: list[tuple[UploadFile, bytes, str]]) -> int:
        """Each file as one turn, in order; the replies queued as one message. The number of
        files the flow was given (0: the link was used meanwhile). A failed turn stops the
        upload there; when it is the first, the failure is raised (nothing was taken)."""
        user = ChannelUser(link.channel, link.external_id, link.language)
        outcomes: list[Outcome] = []
        for index, (upload, data, mime) in enumerate(contents):

            async def fetch(data: bytes = data) -> bytes:
                return data

            incoming = IncomingFile(
                f"upload-{index}", upload.filename, mime, len(data), fetch=fetch
            )
            event = Event(
                "file", file=incoming, receipt=consume_receipt(self.ctx, link.link_id, index)
            )
            try:
                outcomes.append(await self.engine.handle(user, event))
            except LinkUsed:
                break
            except Exception:  # the turn rolled back: what came before it stays, and is said
                log.exception("upload page: a file's turn failed")
                if not outcomes:
                    raise
                break
        if outcomes:
            await self._queue(link, outcomes)
        return len(outcomes)

    async def _queue(self, link: OpenLink, outcomes: list[Outcome]) -> None:
        """The turns' replies as one deferred WeChat message: each earlier turn's lines
        without its repeated prompt, then the last turn whole, with its numbered choices."""
        last = outcomes[-1]
        t = translator(last.language)
        before = [
            reply.text for outcome in outcomes[:-1] for reply in outcome.replies[:-1] if reply.text
        ]
        now = self.ctx.now()
        async with self.ctx.db.transaction() as session:
            composed = compose(
                last, t, before, takes_number=await step_wants_number(session, link.account_id)
            )
            # still at the evidence step (fewer files than the claim takes): a new link
            offer = await upload_offer(session, self.ctx, link.account_id, t, ttl=link.ttl)
            composed.plain = with_offer(composed.plain, offer)
            await remember_choices(session, link.account_id, composed.buttons, now)
            queue_notice(
                session,
                account_id=link.account_id,
                key=DEFERRED_KEY,
                now=now,
                args={"text": composed.plain},
                buttons=[(b.label, b.data) for b in composed.buttons],
            )


def upload_routes(ctx: AppContext, engine: Engine | None = None) -> list[BaseRoute]:
    """The upload page, for mounting in the web app (bot/webhook.web_routes)."""
    return UploadPage(ctx, engine).routes()
