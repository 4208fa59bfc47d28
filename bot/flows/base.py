"""The vocabulary of the flow engine: events in, replies out, and the declared shape of a flow.

Nothing here knows Telegram: an adapter turns its updates into `Event`s and renders `Outcome`s.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from services.context import AppContext
from services.i18n import Translator, translator
from storage.models import Account, FlowState

EventKind = Literal["text", "button", "command", "file", "open", "contact"]
CALLBACK_DATA_LIMIT = 64  # bytes, Telegram's limit for callback_data


FileFetcher = Callable[[], Awaitable[bytes]]
# Say something to the user at once, while the turn still works (reading a photo takes seconds)
Notifier = Callable[[str], Awaitable[None]]
FileProducer = Callable[[], Awaitable[Path]]
# the adapter's record that an event was handled, written in the turn's transaction
Receipt = Callable[[AsyncSession], Awaitable[None]]


@dataclass(frozen=True)
class IncomingFile:
    """A photo or document the user sent. `fetch` downloads its bytes (the adapter knows
    how: Bot API getFile, or a local path on the console); call it only when the step
    wants the file, after checking `size`."""

    file_id: str
    name: str | None = None
    mime: str | None = None
    size: int | None = None
    fetch: FileFetcher | None = field(default=None, compare=False, repr=False)
    # the adapter's way to show "working on it" now (chat action and a short message)
    notify: Notifier | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Event:
    """One user action. `open` is an adapter starting a session (the console): resume the
    current step, or greet."""

    kind: EventKind
    text: str = ""  # a message's text, or a command's arguments
    command: str = ""  # "start" for "/start"
    data: str = ""  # a button's callback data
    file: IncomingFile | None = None
    # a "contact": the phone number the user shared of themselves ("" when the contact shared
    # was someone else's: the adapter checks it is the sender's own)
    phone: str = field(default="", repr=False)
    # made by the engine for a turn's follow-up (not by a user): a stale one is dropped quietly
    internal: bool = False
    # written in the turn's transaction (the webhook inbox: services/inbox.py); it raises
    # for a second copy of the same update, rolling the turn back
    receipt: Receipt | None = field(default=None, compare=False, repr=False)

    @classmethod
    def message(cls, text: str) -> Event:
        """A typed line: a command when it starts with '/', else text."""
        stripped = text.strip()
        if stripped.startswith("/") and len(stripped) > 1:
            head, _, args = stripped[1:].partition(" ")
            # "/start@cebot_bot" in groups: the bot name is not part of the command
            return cls("command", text=args.strip(), command=head.split("@")[0].lower())
        return cls("text", text=text)

    @classmethod
    def button(cls, data: str) -> Event:
        return cls("button", data=data)


@dataclass(frozen=True)
class Button:
    label: str
    data: str

    def __post_init__(self) -> None:
        if len(self.data.encode()) > CALLBACK_DATA_LIMIT:
            raise ValueError("callback data longer than 64 bytes")


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class OutgoingFile:
    """A document to send. Either `path` exists now, or `produce` makes it after the turn's
    transaction has committed (a certificate rendered off the event loop must not hold the
    database transaction open while it renders)."""

    path: str
    name: str
    produce: FileProducer | None = field(default=None, compare=False, repr=False)
    # the certificate's number when the file is one: a channel that cannot send files gives
    # a signed download link instead (bot/wechat/files.py)
    certificate: str | None = None

    async def ready_path(self) -> Path:
        return await self.produce() if self.produce is not None else Path(self.path)


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: Keyboard = ()
    file: OutgoingFile | None = None
    # the label of a "share my phone number" button (Telegram's contact request); a message
    # holds either it or `buttons`
    request_contact: str | None = None


@dataclass
class Outcome:
    """What an adapter does after one event."""

    replies: list[Reply] = field(default_factory=list)
    delete_incoming: bool = False  # the user's message held personal data (an ID number)
    notice: str | None = None  # short answer to a button press (a toast on Telegram)
    button_accepted: bool = False  # the pressed keyboard is used up and may be removed
    # the first reply replaces the message whose button was pressed (an exam question whose
    # choices are toggled), instead of arriving as a new message
    edit_pressed: bool = False
    language: str = "zh"
    # the account's roles at the end of the turn (None: not known, e.g. a turn that failed):
    # adapters show each role its own commands
    roles: frozenset[str] | None = None
    # slow work to run after this turn's transaction commits (reading evidence): it returns
    # the callback data of the step button to press next, handled as a new turn, or None
    follow_up: Callable[[], Awaitable[str | None]] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class ChannelUser:
    channel: str  # "telegram", "console"
    external_id: str
    language_hint: str | None = None
    display_name: str | None = None


# ------------------------------------------------------------------ declared flows


StepHandler = Callable[["Turn", Event], Awaitable[None]]
PromptFn = Callable[["Turn"], Awaitable[Reply]]


@dataclass(frozen=True)
class Step:
    """One question of a flow: what it asks, what it accepts, who handles the answer.

    `prompt` is a message key, or a coroutine building the reply (for buttons from data).
    `sensitive`: the answer is personal data; the adapter deletes the user's message.
    """

    prompt: str | PromptFn
    accepts: frozenset[str]
    handle: StepHandler
    sensitive: bool = False


TEXT = frozenset({"text"})
BUTTONS = frozenset({"button"})
TEXT_OR_BUTTONS = frozenset({"text", "button"})


@dataclass(frozen=True)
class StaleTap:
    """A button of an earlier step of this account (its nonce is no longer current), as
    remembered by bot/flows/stale.py: which flow and step showed it, the value it carries,
    and the step data the flow asked to keep (`Flow.remember`)."""

    flow: str
    step: str
    value: str
    memo: Mapping[str, Any]


# leads a stale button of the flow to where the user is now; False: the router's default
StaleHandler = Callable[["Turn", StaleTap], Awaitable[bool]]


@dataclass(frozen=True)
class Flow:
    name: str
    first: str
    steps: Mapping[str, Step]
    # leaving it by a menu button keeps its draft (turn.data["_paused"]) for the feature to
    # offer "continue"; /cancel or starting again drops it
    resumable: bool = False
    # a stale button of this flow: where it leads (default: the flow's current step if the
    # user is in it, else the menu); `remember`: step data keys (ids, never personal data)
    # kept with each step's nonce for that handler
    on_stale: StaleHandler | None = None
    remember: tuple[str, ...] = ()


PAUSED = "_paused"


# ------------------------------------------------------------------ one turn


@dataclass
class Turn:
    """Everything a step handler needs for one event, inside the engine's transaction.
    Handlers change `flow`/`step`/`data` through goto/finish; the engine saves them."""

    ctx: AppContext
    session: AsyncSession
    account: Account
    state: FlowState
    now: datetime
    flow: str | None
    step: str | None
    data: dict[str, Any]
    outcome: Outcome = field(default_factory=Outcome)
    entered: bool = False  # a step was (re-)entered: the engine shows its prompt
    roles: frozenset[str] = frozenset()  # the account's active roles (menus; not authority)
    # recent steps' nonces (bot/flows/stale.py), kept apart from `data` during the turn
    seen: list[Any] = field(default_factory=list)

    @property
    def t(self) -> Translator:
        return translator(self.account.language)

    @property
    def svc(self) -> AppContext:
        """The context for use cases called from this turn: they join its transaction."""
        return self.ctx.within(self.session)

    @property
    def today(self) -> date:
        return self.ctx.today()

    def say(self, key: str, buttons: Keyboard = (), **args: Any) -> None:
        self.outcome.replies.append(Reply(self.t(key, **args), buttons))

    def add(self, reply: Reply) -> None:
        self.outcome.replies.append(reply)

    def goto(self, flow: str, step: str) -> None:
        """Enter a step. A fresh nonce makes the buttons of any earlier step stale."""
        self.flow, self.step = flow, step
        self.data["_n"] = secrets.token_hex(2)
        self.entered = True

    def finish(self) -> None:
        self.flow, self.step, self.data = None, None, {}
        self.entered = False

    def step_button(self, label: str, value: str) -> Button:
        return Button(label, f"s:{self.data.get('_n', '')}:{value}")
