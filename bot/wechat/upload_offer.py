"""The upload link offered in a WeChat reply at the claim's evidence step: WeChat's chat takes
one photo per message and no PDF, so the step's message ends with a signed, single-use,
expiring link to the upload page (services/upload_links.py, web/upload.py)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.claim import CLAIM_FLOW
from services.context import AppContext
from services.i18n import Translator
from services.upload_links import DEFAULT_TTL, issue_link
from storage.models import FlowState

EVIDENCE_STEP = "evidence"
UPLOAD_MINUTES = int(DEFAULT_TTL.total_seconds() // 60)  # WECHAT_UPLOAD_MINUTES


async def upload_offer(
    session: AsyncSession,
    ctx: AppContext,
    account_id: int,
    t: Translator,
    *,
    ttl: timedelta = DEFAULT_TTL,
) -> str | None:
    """The offer's line with a new link when the account is now at the evidence step (in the
    caller's transaction, the one that composes the reply); else None."""
    state = await session.get(FlowState, account_id)
    if state is None or state.flow != CLAIM_FLOW.name or state.step != EVIDENCE_STEP:
        return None
    url = await issue_link(session, ctx, account_id, ttl=ttl)
    return t("wupload-offer", url=url, minutes=int(ttl.total_seconds() // 60))


def with_offer(text: str, offer: str | None) -> str:
    return f"{text}\n\n{offer}" if offer else text
