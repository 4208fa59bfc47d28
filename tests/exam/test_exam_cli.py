"""`cebot courses import`, `cebot questions import`, `cebot exam reopen`, run as a user runs
them (the Typer apps directly, as cebot/cli.py registers them)."""

from __future__ import annotations

import asyncio
import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
import typer
from exam_helpers import add_person, choices_for, id_number_of, read_course
from typer.testing import CliRunner

from cebot.cli import build_context, ensure_migrated
from cebot.cli_content import courses_app, exam_app, questions_app
from cebot.settings import load_settings
from services.i18n import translator
from services.question_bank import demo_content_file


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for key, value in {
        "CEBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'db' / 'cebot.sqlite3'}",
        "CEBOT_DATA_DIR": str(tmp_path / "data"),
        "CEBOT_SECRET_KEY": "cli-test-secret",
        "CEBOT_LANGUAGE": "en",
    }.items():
        monkeypatch.setenv(key, value)


def run(app: typer.Typer, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_imports_report_and_are_idempotent(env: None, tmp_path: Path) -> None:
    code, out, _ = run(courses_app, "import", str(demo_content_file("course-2024.json")))
    assert code == 0 and "6 entries, 6 added" in out
    code, out, _ = run(questions_app, "import", str(demo_content_file("questions-2024.csv")))
    assert code == 0 and "42 added" in out
    code, out, _ = run(questions_app, "import", str(demo_content_file("questions-2024.csv")))
    assert code == 0 and "0 added, 0 updated, 42 unchanged" in out

    bad = tmp_path / "bad.csv"
    with bad.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["code", "year", "kind", "text", "option_a", "option_b", "answer"])
        w.writerow(["X1", "2024", "single", "题", "甲", "乙", "C"])
    code, _, err = run(questions_app, "import", str(bad))
    assert code == 1
    assert "nothing was imported" in err and "line 2:" in err and "one option letter" in err
    code, _, err = run(courses_app, "import", str(tmp_path / "missing.json"))
    assert code == 1 and "Traceback" not in err and len(err.strip().splitlines()) == 1


@time_machine.travel(datetime(2024, 11, 20, 2, 0, tzinfo=UTC), tick=False)
def test_reopen_after_three_failures(env: None) -> None:
    run(courses_app, "import", str(demo_content_file("course-2024.json")))
    run(questions_app, "import", str(demo_content_file("questions-2024.csv")))
    code, _, err = run(exam_app, "reopen", id_number_of(5), "--year", "2024")
    assert code == 1 and "No person" in err

    async def fail_three_times() -> None:
        from services.exam import answer, start_or_resume_attempt, submit

        settings = load_settings()
        ensure_migrated(settings)
        ctx = build_context(settings)
        try:
            pid = await add_person(ctx, 5)
            await read_course(ctx, pid)
            for _ in range(3):
                view = await start_or_resume_attempt(ctx, pid)
                for position, chosen in enumerate(await choices_for(ctx, view.id, right=False)):
                    await answer(ctx, pid, view.id, position, chosen)
                await submit(ctx, pid, view.id)
        finally:
            await ctx.db.dispose()

    async def person_notices() -> list[tuple[str, list[tuple[str, str]]]]:
        from sqlalchemy import select

        from services.notify import render_notice
        from storage.models import Account, OutboxMessage

        ctx = build_context(load_settings())
        try:
            async with ctx.db.transaction() as s:
                rows = await s.scalars(
                    select(OutboxMessage)
                    .join(Account, Account.id == OutboxMessage.account_id)
                    .where(Account.external_id == "u5")
                )
                return [render_notice(m.payload, "en") for m in rows]
        finally:
            await ctx.db.dispose()

    code, _, err = run(exam_app, "reopen", "450103", "--year", "2024")
    assert code == 1 and "18 characters" in err
    asyncio.run(fail_three_times())
    code, out, err = run(exam_app, "reopen", id_number_of(5), "--year", "2024", "--reason", "电话")
    assert code == 0, err
    assert "3 more attempts (3 left now)" in out
    assert id_number_of(5) not in out + err
    # the learner was promised "you will be told": the reopening queues their notice
    assert "told through the bot (accounts: 1)" in out
    notices = asyncio.run(person_notices())
    assert len(notices) == 1
    text, buttons = notices[0]
    assert "reopened your 2024 exam" in text and "3 more attempts (3 available now)" in text
    assert buttons == [("📚 Study and exam", "m:study")]
    code, _, err = run(exam_app, "reopen", id_number_of(5), "--year", "2024")
    assert code == 1 and "still have 3 attempts" in err


def test_every_message_key_exists_in_both_languages() -> None:
    keys = []
    for line in Path("services/locales/en/exam.ftl").read_text(encoding="utf-8").splitlines():
        if line and line[0].isalpha() and "=" in line:
            keys.append(line.split("=")[0].strip())
    zh = Path("services/locales/zh/exam.ftl").read_text(encoding="utf-8")
    for key in keys:
        assert f"\n{key} =" in zh, key
    for reason in [
        "closed",
        "already_done",
        "no_course",
        "not_found",
        "locked",
        "not_ready",
        "bad_answer",
        "busy",
        "course_unfinished",
        "no_attempts_left",
        "not_enough_questions",
        "not_yours",
        "finished",
        "expired",
        "stale",
        "attempts_remain",
        "not_admin",
    ]:
        for language in ("zh", "en"):
            assert translator(language).has(f"study-refused-{reason}"), (language, reason)
