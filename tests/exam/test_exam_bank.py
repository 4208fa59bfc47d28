"""Question and course imports: everything checked first, bad rows with their lines, nothing
written from a bad file, idempotent by (year, code)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.exam import QuestionKind
from services.context import AppContext
from services.i18n import translator
from services.imports import ImportRejected
from services.question_bank import (
    demo_content_file,
    import_courses,
    import_questions,
    parse_answer,
    seed_demo_content,
)
from services.tabular import TableError
from storage.models import Chapter, Course, Question

HEADER = ["code", "year", "topic", "kind", "text", "option_a", "option_b", "option_c", "answer"]


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


async def count(ctx: AppContext, model: type) -> int:
    async with ctx.db.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def test_demo_content_is_complete_and_idempotent(ctx: AppContext) -> None:
    first = await seed_demo_content(ctx)
    assert (first.courses.added, first.questions.added) == (6, 42)
    again = await seed_demo_content(ctx)
    assert (again.courses.added, again.courses.updated, again.courses.unchanged) == (0, 0, 6)
    assert (again.questions.added, again.questions.updated) == (0, 0)
    async with ctx.db.transaction() as s:
        pool = await s.scalar(
            select(func.count())
            .select_from(Question)
            .where(Question.topic.is_(None), Question.course_id.is_(None))
        )
        kinds = set(await s.scalars(select(Question.kind)))
        topics = set(await s.scalars(select(Course.topic).where(Course.kind == "elective")))
    assert pool is not None and pool >= 30 and pool >= ctx.policies[2024].exam.question_count
    assert kinds == {"single", "multiple", "truefalse"}
    assert topics == set(ctx.policies[2024].elective_topics)
    assert await count(ctx, Chapter) == 4 + 5


async def test_malformed_rows_rejected_with_lines_and_nothing_imported(
    ctx: AppContext, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "q.csv",
        [
            ["Q1", "2024", "", "single", "好题", "甲", "乙", "", "A"],  # line 2: fine
            ["Q2", "2024", "", "single", "两个答案", "甲", "乙", "丙", "AB"],  # 3
            ["Q3", "2099", "", "single", "年度", "甲", "乙", "", "A"],  # 4
            ["Q4", "2024", "", "choice", "题型", "甲", "乙", "", "A"],  # 5
            ["Q5", "2024", "", "multiple", "越界", "甲", "乙", "", "AC"],  # 6
            ["Q6", "2024", "", "truefalse", "判断", "", "", "", "也许"],  # 7
            ["Q7", "2024", "", "single", "", "甲", "乙", "", "A"],  # 8: no text
            ["Q1", "2024", "", "single", "重复", "甲", "乙", "", "B"],  # 9
            ["Q8", "2024", "", "single", "空缺", "甲", "", "丙", "A"],  # 10
            ["Q9", "2024", "烹饪", "single", "专题", "甲", "乙", "", "A"],  # 11
        ],
    )
    with pytest.raises(ImportRejected) as rejected:
        await import_questions(ctx, path)
    found = [(p.line, p.reason) for p in rejected.value.problems]
    assert found == [
        (3, "q-answer-single"),
        (4, "year"),
        (5, "q-kind"),
        (6, "q-answer-multiple"),
        (7, "q-answer-truefalse"),
        (8, "empty"),
        (9, "duplicate"),
        (10, "q-options-gap"),
        (11, "q-topic"),
    ]
    assert await count(ctx, Question) == 0
    for language in ("zh", "en"):
        t = translator(language)
        for p in rejected.value.problems:
            assert t.has(f"import-bad-{p.reason}"), (language, p.reason)


async def test_reimport_updates_text_in_place(ctx: AppContext, tmp_path: Path) -> None:
    rows = [
        ["Q1", "2024", "", "single", "旧题干", "甲", "乙", "", "A"],
        ["Q2", "2024", "", "truefalse", "判断", "", "", "", "true"],
        ["Q3", "2024", "", "multiple", "多选", "甲", "乙", "丙", "A,C"],
    ]
    first = await import_questions(ctx, write_csv(tmp_path / "a.csv", rows))
    assert (first.added, first.updated) == (3, 0)
    rows[0][4] = "新题干"
    second = await import_questions(ctx, write_csv(tmp_path / "b.csv", rows))
    assert (second.added, second.updated, second.unchanged) == (0, 1, 2)
    async with ctx.db.transaction() as s:
        qs = {q.code: q for q in await s.scalars(select(Question))}
    assert qs["Q1"].text == "新题干" and len(qs) == 3
    assert (qs["Q2"].options, qs["Q2"].answer) == (["对", "错"], [0])
    assert qs["Q3"].answer == [0, 2]


async def test_json_questions_report_the_line_of_each_bad_entry(
    ctx: AppContext, tmp_path: Path
) -> None:
    path = tmp_path / "q.json"
    good = {"code": "J1", "year": 2024, "kind": "single", "text": "题", "options": ["甲", "乙"]}
    items = [good | {"answer": "B"}, good | {"code": "J2", "answer": "C"}, "not an object"]
    path.write_text(json.dumps(items, ensure_ascii=False, indent=2), encoding="utf-8")
    with pytest.raises(ImportRejected) as rejected:
        await import_questions(ctx, path)
    text = path.read_text(encoding="utf-8").splitlines()
    lines = [p.line for p in rejected.value.problems]
    assert [p.reason for p in rejected.value.problems] == ["q-answer-single", "q-not-object"]
    assert text[lines[0] - 1].strip() == "{" and '"not an object"' in text[lines[1] - 1]
    path.write_text(json.dumps(items[:1], ensure_ascii=False), encoding="utf-8")
    assert (await import_questions(ctx, path)).added == 1


async def test_unreadable_files(ctx: AppContext, tmp_path: Path) -> None:
    broken = tmp_path / "q.json"
    broken.write_text('[{"code": "x",\n', encoding="utf-8")
    with pytest.raises(TableError) as err:
        await import_questions(ctx, broken)
    assert err.value.reason == "json"
    with pytest.raises(TableError) as err:
        await import_questions(ctx, write_csv(tmp_path / "h.csv", [], header=["code", "text"]))
    assert err.value.reason == "missing_columns"


async def test_course_import_checks_and_updates(ctx: AppContext, tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    bad = [
        {"year": 2024, "code": "M2", "kind": "mandatory", "title": "另一门", "chapters": []},
        {
            "year": 2024,
            "code": "E1",
            "kind": "elective",
            "topic": "烹饪",
            "title": "t",
            "chapters": [{"title": "a", "body": "b"}],
        },
        {"year": 2024, "code": "E2", "kind": "lecture", "title": "t", "chapters": [{"title": "a"}]},
    ]
    path.write_text(json.dumps(bad, ensure_ascii=False, indent=1), encoding="utf-8")
    with pytest.raises(ImportRejected) as rejected:
        await import_courses(ctx, path)
    reasons = [p.reason for p in rejected.value.problems]
    assert reasons == ["c-chapters", "q-topic", "c-kind", "c-chapter"]
    assert await count(ctx, Course) == 0

    await import_courses(ctx, demo_content_file("course-2024.json"))
    data = json.loads(demo_content_file("course-2024.json").read_text(encoding="utf-8"))
    data[0]["chapters"] = data[0]["chapters"][:3]
    data[0]["chapters"][0]["body"] = "更正后的正文"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = await import_courses(ctx, path)
    assert (result.added, result.updated, result.unchanged) == (0, 1, 5)
    async with ctx.db.transaction() as s:
        bodies = list(await s.scalars(select(Chapter.body).where(Chapter.course_id == 1)))
    assert len(bodies) == 3 and "更正后的正文" in bodies

    other = [dict(data[0], code="BRI-OTHER")]
    path.write_text(json.dumps(other, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ImportRejected) as rejected:
        await import_courses(ctx, path)
    assert [p.reason for p in rejected.value.problems] == ["c-mandatory-exists"]


@pytest.mark.parametrize(
    ("kind", "raw", "count", "expected"),
    [
        (QuestionKind.SINGLE, "b", 4, [1]),
        (QuestionKind.SINGLE, "AB", 4, None),
        (QuestionKind.MULTIPLE, "C、A", 4, [0, 2]),
        (QuestionKind.MULTIPLE, "AA", 4, None),
        (QuestionKind.MULTIPLE, "E", 4, None),
        (QuestionKind.TRUEFALSE, "错", 2, [1]),
        (QuestionKind.TRUEFALSE, "TRUE", 2, [0]),
        (QuestionKind.TRUEFALSE, "maybe", 2, None),
    ],
)
def test_parse_answer(kind: QuestionKind, raw: str, count: int, expected: list[int] | None) -> None:
    assert parse_answer(kind, raw, count) == expected
