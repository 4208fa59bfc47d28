"""Personal information in the bot: consent to the versioned notice before the first ID number
(and again when the notice changes), and "My data" — what is held, an export, the access log,
a correction request, unbinding with erasure."""

from __future__ import annotations

from pathlib import Path

from bot.flows.base import BUTTONS, TEXT, Event, Flow, OutgoingFile, Reply, Step, Turn
from bot.flows.chat_text import markdown_to_chat
from bot.flows.features import Feature, register
from bot.flows.keyboards import back_to_menu, main_menu
from services.accounts import bound_person
from services.onboarding import leave_binding
from services.policies import SHANGHAI
from services.privacy import (
    MAX_CORRECTION_TEXT,
    access_entries,
    data_summary,
    export_person,
    needs_consent,
    notice,
    record_consent,
    request_correction,
    request_erasure,
)

CONSENT = "consent"
# where a consent leads: onboarding's ID step, or back to the menu (a bound user asked again)
NEXT_ONBOARDING = "onb"
NEXT_MENU = "menu"


def privacy_url(turn: Turn) -> str:
    return f"{turn.ctx.public_url.rstrip('/')}/privacy"


def ask_consent(turn: Turn, next_step: str) -> None:
    turn.finish()
    turn.goto(CONSENT, "ask")
    turn.data["next"] = next_step


async def _consent_prompt(turn: Turn) -> Reply:
    current = notice()
    again = turn.data.get("next") == NEXT_MENU
    text = turn.t(
        "privacy-notice-again" if again else "privacy-notice",
        version=current.version,
        years=current.retention_years,
        url=privacy_url(turn),
    )
    return Reply(
        text,
        (
            (turn.step_button(turn.t("privacy-agree"), "yes"),),
            (turn.step_button(turn.t("privacy-refuse"), "no"),),
            (turn.step_button(turn.t("privacy-read-full"), "full"),),
        ),
    )


async def _consent_answer(turn: Turn, event: Event) -> None:
    from bot.flows import onboarding  # onboarding imports this module

    next_step = str(turn.data.get("next", NEXT_ONBOARDING))
    if event.data == "full":
        # the notice is Markdown: shown as chat text, its structure kept
        turn.add(Reply(markdown_to_chat(notice().full_text(turn.account.language))))
        turn.goto(CONSENT, "ask")
        turn.data["next"] = next_step
        return
    turn.outcome.button_accepted = True
    if event.data == "yes":
        record_consent(turn.session, turn.account, given=True, now=turn.now)
        turn.say("privacy-thanks")
        if next_step == NEXT_MENU:
            turn.finish()
            turn.say("menu-title", buttons=main_menu(turn))
        else:
            turn.finish()
            turn.goto(onboarding.ONBOARDING.name, onboarding.ONBOARDING.first)
        return
    record_consent(turn.session, turn.account, given=False, now=turn.now)
    turn.finish()
    if next_step == NEXT_MENU and turn.account.person_id is not None:
        # no consent to the new notice, no processing through the bot: the binding goes; the
        # department keeps the hour records it must keep
        await leave_binding(turn.session, turn.ctx, turn.account)
        turn.say("privacy-refused-bound", buttons=main_menu(turn))
    else:
        turn.say("privacy-refused", buttons=main_menu(turn))


CONSENT_FLOW = Flow(
    name=CONSENT,
    first="ask",
    steps={"ask": Step(prompt=_consent_prompt, accepts=BUTTONS, handle=_consent_answer)},
)


# ------------------------------------------------------------------ my data


async def show_my_data(turn: Turn, _args: str = "") -> None:
    t = turn.t
    person = await bound_person(turn.session, turn.account)
    if person is None:
        turn.say("privacy-not-bound", buttons=main_menu(turn))
        return
    summary = await data_summary(turn.session, turn.account, person)
    years = "、".join(f"{y}（{n}）" for y, n in summary.records_by_year.items()) or "-"
    lines = [
        t("privacy-summary-title"),
        t(
            "privacy-summary-person",
            name=summary.name,
            masked=summary.id_masked,
            unit=summary.unit or "-",
        ),
        t("privacy-summary-records", years=years),
        t(
            "privacy-summary-counts",
            claims=summary.claims,
            files=summary.evidence_files,
            attempts=summary.exam_attempts,
            certificates=summary.certificates,
        ),
        t("privacy-summary-access", count=summary.access_entries),
        t(
            "privacy-summary-consent",
            version=summary.consent_version or "-",
            years=notice().retention_years,
        ),
    ]
    turn.goto(MYDATA.name, "menu")
    turn.add(Reply("\n".join(lines)))


async def _mydata_prompt(turn: Turn) -> Reply:
    t = turn.t
    return Reply(
        t("privacy-choose"),
        (
            (turn.step_button(t("privacy-export"), "export"),),
            (turn.step_button(t("privacy-access"), "access"),),
            (turn.step_button(t("privacy-correct"), "correct"),),
            (turn.step_button(t("privacy-erase"), "erase"),),
            back_to_menu(turn),
        ),
    )


async def _mydata_choice(turn: Turn, event: Event) -> None:
    person = await bound_person(turn.session, turn.account)
    if person is None:  # unbound meanwhile
        turn.finish()
        turn.say("privacy-not-bound", buttons=main_menu(turn))
        return
    choice = event.data
    if choice == "export":
        ctx, person_id = turn.ctx, person.id

        async def produce() -> Path:
            # after the turn's commit, in its own transaction; the ZIP goes to this chat only
            return await export_person(ctx, person_id)

        turn.add(
            Reply(
                turn.t("privacy-export-ready"),
                file=OutgoingFile(path="", name="my-data.zip", produce=produce),
            )
        )
        turn.add(await _mydata_prompt(turn))  # the same choices again (same nonce)
        return
    if choice == "access":
        entries = await access_entries(turn.session, person.id)
        if not entries:
            turn.say("privacy-access-none")
            turn.add(await _mydata_prompt(turn))
            return
        lines = [turn.t("privacy-access-title")]
        for e in entries:
            lines.append(
                turn.t(
                    "privacy-access-line",
                    at=e.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
                    role=turn.t(f"role-{e.actor_role}")
                    if turn.t.has(f"role-{e.actor_role}")
                    else e.actor_role,
                    what=turn.t(f"privacy-what-{e.what}")
                    if turn.t.has(f"privacy-what-{e.what}")
                    else e.what,
                )
            )
        turn.add(Reply("\n".join(lines)))
        turn.add(await _mydata_prompt(turn))
        return
    if choice == "correct":
        turn.goto(MYDATA.name, "correction")
        return
    if choice == "erase":
        turn.goto(MYDATA.name, "erase")
        return
    turn.say("btn-stale")


async def _correction_prompt(turn: Turn) -> Reply:
    return Reply(
        turn.t("privacy-correct-ask", max=MAX_CORRECTION_TEXT),
        (back_to_menu(turn),),
    )


async def _correction_text(turn: Turn, event: Event) -> None:
    text = " ".join(event.text.split())
    if not text or len(text) > MAX_CORRECTION_TEXT:
        turn.say("privacy-correct-invalid", max=MAX_CORRECTION_TEXT)
        return
    person = await bound_person(turn.session, turn.account)
    if person is None:
        turn.finish()
        turn.say("privacy-not-bound", buttons=main_menu(turn))
        return
    told = await request_correction(turn.session, person=person, text=text, now=turn.now)
    turn.finish()
    turn.say(
        "privacy-correct-sent" if told else "privacy-correct-no-reviewer",
        buttons=main_menu(turn),
    )


async def _erase_prompt(turn: Turn) -> Reply:
    return Reply(
        turn.t("privacy-erase-confirm", years=notice().retention_years),
        (
            (turn.step_button(turn.t("privacy-erase-yes"), "yes"),),
            (turn.step_button(turn.t("privacy-erase-no"), "no"),),
        ),
    )


async def _erase_answer(turn: Turn, event: Event) -> None:
    turn.outcome.button_accepted = True
    if event.data != "yes":
        turn.finish()
        turn.say("privacy-erase-kept", buttons=main_menu(turn))
        return
    receipt = await request_erasure(
        turn.session, account=turn.account, state=turn.state, now=turn.now, today=turn.today
    )
    turn.finish()  # the chat state goes with the binding
    if receipt is None:
        turn.say("privacy-not-bound", buttons=main_menu(turn))
        return
    turn.say(
        "privacy-erase-done",
        records=receipt.records,
        certificates=receipt.certificates,
        until=receipt.retain_until.isoformat(),
        buttons=main_menu(turn),
    )


MYDATA = Flow(
    name="mydata",
    first="menu",
    steps={
        "menu": Step(prompt=_mydata_prompt, accepts=BUTTONS, handle=_mydata_choice),
        "correction": Step(prompt=_correction_prompt, accepts=TEXT, handle=_correction_text),
        "erase": Step(prompt=_erase_prompt, accepts=BUTTONS, handle=_erase_answer),
    },
)


async def ask_again_if_notice_changed(turn: Turn) -> bool:
    """A bound account whose consent is for an older notice (or none) is asked before anything
    else; True when the question was put."""
    if turn.account.person_id is None or turn.flow == CONSENT:
        return False
    if not needs_consent(turn.account):
        return False
    ask_consent(turn, NEXT_MENU)
    return True


FEATURE = register(
    Feature(
        name="privacy",
        flows=(CONSENT_FLOW, MYDATA),
        actions={"mydata": show_my_data},
        commands={"mydata": "mydata", "privacy": "mydata"},
    )
)
