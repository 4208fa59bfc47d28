"""The engine: one transaction per event. Load the account and its flow state, feed the event
to the router, save the new state with any domain change, return the replies.

Two updates of the same user at once: the FlowState version makes one of them fail at commit;
it is retried once on fresh state, and if it conflicts again the user is asked to retry.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from bot.flows.base import ChannelUser, Event, Outcome, Reply, Turn
from bot.flows.router import dispatch
from services.context import AppContext
from services.flowstate import load_conversation, save_flow_state, track_writes, wrote_anything
from services.i18n import normalize_language, translator
from services.onboarding import active_roles
from storage.db import ScopeConflict

log = logging.getLogger(__name__)

# Errors that mean "someone else changed this user's rows first": worth one retry.
CONFLICTS = (StaleDataError, IntegrityError, ScopeConflict)


class Engine:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    async def handle(self, user: ChannelUser, event: Event) -> Outcome:
        outcome = await self._handle_once(user, event)
        # a follow-up (slow work kept out of the transaction) continues the flow as one more
        # turn; the user sees both turns' replies together
        for _ in range(3):
            follow_up, outcome.follow_up = outcome.follow_up, None
            if follow_up is None:
                break
            try:
                data = await follow_up()
            except Exception:  # the step re-checks on the next event: nothing is lost
                log.exception("turn follow-up failed")
                break
            if data is None:
                break
            more = await self._handle_once(user, Event("button", data=data, internal=True))
            outcome.replies.extend(more.replies)
            outcome.follow_up = more.follow_up
            outcome.language = more.language
            outcome.roles = more.roles if more.roles is not None else outcome.roles
        return outcome

    async def _handle_once(self, user: ChannelUser, event: Event) -> Outcome:
        for attempt in (1, 2):
            try:
                return await self._turn(user, event)
            except CONFLICTS as exc:
                # no details: the statement parameters may hold personal data
                level = logging.INFO if attempt == 1 else logging.WARNING
                log.log(level, "flow conflict on attempt %d: %s", attempt, type(exc).__name__)
        language = normalize_language(user.language_hint)
        return Outcome([Reply(translator(language)("err-busy"))], language=language)

    async def _turn(self, user: ChannelUser, event: Event) -> Outcome:
        # a policy activated by another worker or the command line (a few stat calls, at most
        # every 30 s)
        self.ctx.policies.refresh()
        now = self.ctx.now()
        async with self.ctx.db.transaction() as session:
            track_writes(session)
            conversation = await load_conversation(
                session,
                channel=user.channel,
                external_id=user.external_id,
                now=now,
                language=user.language_hint,
                display_name=user.display_name,
            )
            account, state = conversation.account, conversation.state
            turn = Turn(
                ctx=self.ctx,
                session=session,
                account=account,
                state=state,
                now=now,
                flow=state.flow,
                step=state.step,
                data=dict(state.data or {}),
            )
            # staff menus and checks read this; every action re-checks its own authority
            turn.roles = frozenset(r.role for r in await active_roles(session, account))
            if account.unreachable_at is not None:
                # they wrote again after blocking the bot: reminders may reach them again
                account.unreachable_at = None
            await dispatch(turn, event)
            save_flow_state(
                state,
                flow=turn.flow,
                step=turn.step,
                data=turn.data,
                now=now,
                domain_changed=wrote_anything(session),
            )
            if event.receipt is not None:
                # last, so that it does not count as the turn's own write; AlreadyHandled
                # rolls the whole turn back
                await event.receipt(session)
            turn.outcome.language = account.language
            turn.outcome.roles = turn.roles
            return turn.outcome
