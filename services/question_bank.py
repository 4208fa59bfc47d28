"""Course content and the question bank as data: `cebot courses import`, `cebot questions
import`, and the 2024 demo content.

As with the other imports, every row is checked first; one bad row rejects the whole file,
every bad row is reported with its line, and importing the same file again changes nothing.
Rows are keyed by (year, code): a re-import updates the text in place.

Questions file (CSV, or XLSX, or JSON list of objects with the same keys):
    code,year,topic,course,kind,text,option_a,...,option_f,answer
- kind: single | multiple | truefalse (单选 | 多选 | 判断)
- answer: option letters ("A", "AC", "A,C"); for true/false also 对/错, true/false
- topic: empty for the mandatory exam, or one of the policy's elective topics
- course (optional): the code of the course the question belongs to (an elective's check)
Courses file (JSON): a list of {year, code, kind, topic, title, chapters: [{title, body,
media?}]}, or one such object.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

import storage.exam_models  # noqa: F401 - complete metadata (remedial requests)
from core.exam import QuestionKind
from core.rules import Policy
from core.text import bad_character, char_label
from services.audit import audit
from services.context import AppContext
from services.imports import ImportRejected, ImportResult, RowProblem, raced_import
from services.tabular import Row, TableError, read_table
from storage.models import Chapter, Course, ImportBatch, Question

OPTION_LETTERS = "ABCDEF"
OPTION_COLUMNS = tuple(f"option_{c.lower()}" for c in OPTION_LETTERS)
TRUEFALSE_OPTIONS = ("对", "错")  # original index 0 = true, 1 = false
_TRUE = {"对", "正确", "是", "true", "t", "yes", "y", "√", "a"}
_FALSE = {"错", "错误", "否", "false", "f", "no", "n", "×", "x", "b"}
_KINDS = {
    "single": QuestionKind.SINGLE,
    "单选": QuestionKind.SINGLE,
    "单选题": QuestionKind.SINGLE,
    "multiple": QuestionKind.MULTIPLE,
    "多选": QuestionKind.MULTIPLE,
    "多选题": QuestionKind.MULTIPLE,
    "truefalse": QuestionKind.TRUEFALSE,
    "判断": QuestionKind.TRUEFALSE,
    "判断题": QuestionKind.TRUEFALSE,
}
QUESTION_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("code", "题号", "编号"),
    "year": ("year", "年度"),
    "topic": ("topic", "专题", "主题"),
    "course": ("course", "课程编号"),
    "kind": ("kind", "题型"),
    "text": ("text", "题目", "题干"),
    **{
        col: (col, f"选项{letter}", f"选项 {letter}")
        for col, letter in zip(OPTION_COLUMNS, OPTION_LETTERS, strict=True)
    },
    "answer": ("answer", "答案"),
}
REQUIRED_QUESTION_COLUMNS = ("code", "year", "kind", "text", "answer")
MAX_CODE, MAX_TITLE, MAX_TOPIC = 50, 200, 50
COURSE_KINDS = ("mandatory", "elective")


# ------------------------------------------------------------------------------ reading


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def json_items(path: Path) -> list[tuple[int, Any]]:
    """Top-level items of a JSON array, each with the line it starts on, so that problems
    name lines as they do for CSV. A single object is a list of one."""
    if not path.is_file():
        raise TableError("missing_file", path=str(path))
    try:
        text = path.read_bytes().decode("utf-8-sig")
        data = json.loads(text)
    except UnicodeDecodeError as exc:
        raise TableError("encoding") from exc
    except json.JSONDecodeError as exc:
        raise TableError("json", line=exc.lineno, message=exc.msg) from exc
    except RecursionError as exc:  # [[[[…]]]] nested deeper than the parser's stack
        raise TableError("json_depth") from exc
    decoder = json.JSONDecoder()
    if isinstance(data, dict):
        return [(_line_of(text, text.index("{")), data)]  # a single object
    if not isinstance(data, list):
        raise TableError("json", line=1, message="expected a list of objects")
    start = text.index("[")
    items: list[tuple[int, Any]] = []
    pos = start + 1
    while True:
        while text[pos] in " \t\r\n,":
            pos += 1
        if text[pos] == "]":
            return items
        item, end = decoder.raw_decode(text, pos)
        items.append((_line_of(text, pos), item))
        pos = end


def _question_rows(path: Path) -> list[Row]:
    if path.suffix.lower() == ".json":
        rows = []
        for line, item in json_items(path):
            rows.append(Row(line, _question_values(item)))
        return rows
    try:
        return read_table(path, QUESTION_COLUMNS)
    except TableError as exc:
        if exc.reason != "missing_columns":
            raise
        missing = set(exc.args_["columns"].split(", "))
        required = [c for c in REQUIRED_QUESTION_COLUMNS if c in missing]
        if required:
            raise TableError("missing_columns", columns=", ".join(required)) from exc
        # the other columns are optional (true/false-only files need no options); too few
        # options on a row is reported per row
        present = {k: v for k, v in QUESTION_COLUMNS.items() if k not in missing}
        rows = read_table(path, present)
        return [Row(r.line, {**dict.fromkeys(missing, ""), **r.values}) for r in rows]


def _question_values(item: Any) -> dict[str, str]:
    """A JSON question as the same flat values a CSV row has."""
    if not isinstance(item, Mapping):
        return {"_not_object": "1"}
    values = {
        k: "" if item.get(k) is None else str(item.get(k)).strip()
        for k in ("code", "year", "topic", "course", "kind", "text")
    }
    options = item.get("options") or []
    if not isinstance(options, list) or len(options) > len(OPTION_COLUMNS):
        values["_options"] = "bad"
        options = []
    for col, opt in zip(OPTION_COLUMNS, [*options, *[""] * len(OPTION_COLUMNS)], strict=False):
        values[col] = str(opt).strip()
    answer = item.get("answer", "")
    if isinstance(answer, list):
        answer = ",".join(str(a) for a in answer)
    elif isinstance(answer, bool):
        answer = "true" if answer else "false"
    values["answer"] = str(answer).strip()
    return values


# ------------------------------------------------------------------------------ validation


@dataclass(slots=True)
class ParsedQuestion:
    line: int
    year: int
    code: str
    topic: str | None
    course: str | None
    kind: QuestionKind
    text: str
    options: list[str]
    answer: list[int]  # original indexes, sorted


def parse_answer(kind: QuestionKind, raw: str, option_count: int) -> list[int] | None:
    """Sorted original indexes, or None when the answer cannot be read for this question."""
    raw = raw.strip()
    if kind is QuestionKind.TRUEFALSE:
        low = raw.lower()
        if low in _TRUE:
            return [0]
        if low in _FALSE:
            return [1]
        return None
    letters = [c for c in raw.upper() if c not in " ,，、;；"]
    if not letters or any(c not in OPTION_LETTERS[:option_count] for c in letters):
        return None
    indexes = sorted({OPTION_LETTERS.index(c) for c in letters})
    if len(indexes) != len(letters):
        return None  # a letter given twice
    if kind is QuestionKind.SINGLE and len(indexes) != 1:
        return None
    return indexes


def _year(raw: str, line: int, ctx: AppContext, problems: list[RowProblem]) -> Policy | None:
    # a draft year takes its content before activation (`cebot policy check` wants it there)
    year = int(raw) if raw.isdigit() else None
    policy = (ctx.policies.get(year) or ctx.policies.drafts.get(year)) if year is not None else None
    if policy is None:
        problems.append(RowProblem(line, "year", {"value": raw}))
    return policy


def _parse_question(ctx: AppContext, row: Row, problems: list[RowProblem]) -> ParsedQuestion | None:
    v, line, before = row.values, row.line, len(problems)
    if "_not_object" in v:
        problems.append(RowProblem(line, "q-not-object"))
        return None
    empty = [c for c in ("code", "year", "kind", "text", "answer") if not v.get(c)]
    if empty:
        problems.append(RowProblem(line, "empty", {"columns": ", ".join(empty)}))
        return None
    for column, value in v.items():
        bad = bad_character(value.replace("\n", "").replace("\t", ""))  # a question may wrap
        if bad is not None:
            problems.append(
                RowProblem(line, "text-control", {"column": column, "char": char_label(bad)})
            )
            return None
    policy = _year(v["year"], line, ctx, problems)
    kind = _KINDS.get(v["kind"].strip().lower())
    if kind is None:
        problems.append(RowProblem(line, "q-kind", {"value": v["kind"]}))
    if len(v["code"]) > MAX_CODE:
        problems.append(RowProblem(line, "q-too-long", {"column": "code", "max": MAX_CODE}))
    topic = v.get("topic") or None
    if topic is not None and policy is not None and topic not in policy.elective_topics:
        problems.append(RowProblem(line, "q-topic", {"value": topic, "year": policy.year}))
    given = [v.get(c, "") for c in OPTION_COLUMNS]
    last = max((i for i, o in enumerate(given) if o), default=-1)
    options = given[: last + 1]
    if "_options" in v or any(not o for o in options):
        problems.append(RowProblem(line, "q-options-gap"))
    if kind is QuestionKind.TRUEFALSE:
        if options and len(options) != 2:
            problems.append(RowProblem(line, "q-truefalse-options"))
        options = options or list(TRUEFALSE_OPTIONS)
    elif kind is not None and len(options) < 2:
        problems.append(RowProblem(line, "q-options-few"))
    if len(problems) > before or kind is None or policy is None:
        return None
    answer = parse_answer(kind, v["answer"], len(options))
    if answer is None:
        problems.append(RowProblem(line, f"q-answer-{kind.value}", {"value": v["answer"]}))
        return None
    return ParsedQuestion(
        line,
        policy.year,
        v["code"],
        topic,
        v.get("course") or None,
        kind,
        v["text"],
        options,
        answer,
    )


# ------------------------------------------------------------------------------ questions


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _batch(ctx: AppContext, kind: str, path: Path, rows: int, added: int, actor: str) -> Any:
    return ImportBatch(
        kind=kind,
        filename=path.name,
        sha256=_digest(path),
        rows=rows,
        added=added,
        actor=actor,
        created_at=ctx.now(),
    )


async def _courses_by_code(
    session: AsyncSession, keys: set[tuple[int, str]]
) -> dict[tuple[int, str], Course]:
    years = sorted({y for y, _c in keys})
    found = await session.scalars(select(Course).where(Course.year.in_(years)))
    return {(c.year, c.code): c for c in found if (c.year, c.code) in keys}


async def import_questions(ctx: AppContext, path: Path, *, actor: str = "cli") -> ImportResult:
    """Raises TableError (file unreadable) or ImportRejected (bad rows; nothing written)."""
    rows = _question_rows(path)
    problems: list[RowProblem] = []
    parsed: dict[tuple[int, str], ParsedQuestion] = {}
    for row in rows:
        q = _parse_question(ctx, row, problems)
        if q is None:
            continue
        if (q.year, q.code) in parsed:
            problems.append(RowProblem(q.line, "duplicate", {"other": parsed[q.year, q.code].line}))
            continue
        parsed[q.year, q.code] = q
    if not rows and not problems:
        problems.append(RowProblem(1, "q-no-rows"))
    now = ctx.now()
    async with raced_import(), ctx.db.transaction() as session:
        courses = await _courses_by_code(
            session, {(q.year, q.course) for q in parsed.values() if q.course}
        )
        for q in parsed.values():
            if q.course is None:
                continue
            course = courses.get((q.year, q.course))
            if course is None:
                problems.append(RowProblem(q.line, "q-course", {"value": q.course}))
            elif q.topic is not None and q.topic != course.topic:
                problems.append(RowProblem(q.line, "q-course-topic", {"value": q.course}))
        if problems:
            raise ImportRejected(sorted(problems, key=lambda p: p.line))
        existing = {
            (e.year, e.code): e
            for e in await session.scalars(
                select(Question).where(Question.year.in_(sorted({y for y, _ in parsed})))
            )
        }
        added = updated = 0
        for key, q in parsed.items():
            course = courses.get((q.year, q.course)) if q.course else None
            fields: dict[str, Any] = {
                "course_id": course.id if course else None,
                "topic": q.topic if course is None else course.topic,
                "kind": q.kind.value,
                "text": q.text,
                "options": q.options,
                "answer": q.answer,
                "active": True,
            }
            current = existing.get(key)
            if current is None:
                session.add(Question(year=q.year, code=q.code, **fields))
                added += 1
            elif any(getattr(current, k) != val for k, val in fields.items()):
                for k, val in fields.items():
                    setattr(current, k, val)
                updated += 1
        session.add(_batch(ctx, "questions", path, len(rows), added, actor))
        audit(
            session,
            at=now,
            actor=actor,
            action="import",
            entity="questions",
            data={"file": path.name, "rows": len(rows), "added": added, "updated": updated},
        )
    return ImportResult(len(rows), added, updated, len(parsed) - added - updated)


# ------------------------------------------------------------------------------ courses


@dataclass(slots=True)
class ParsedCourse:
    line: int
    year: int
    code: str
    kind: str
    topic: str | None
    title: str
    chapters: list[tuple[str, str, list[Any]]]  # (title, body, media)


def _text(item: Mapping[str, Any], key: str) -> str:
    value = item.get(key)
    return value.strip() if isinstance(value, str) else ""


def _parse_course(
    ctx: AppContext, line: int, item: Any, problems: list[RowProblem]
) -> ParsedCourse | None:
    before = len(problems)
    if not isinstance(item, Mapping):
        problems.append(RowProblem(line, "q-not-object"))
        return None
    empty = [k for k in ("code", "kind", "title") if not _text(item, k)]
    if "year" not in item:
        empty.insert(0, "year")
    if empty:
        problems.append(RowProblem(line, "empty", {"columns": ", ".join(empty)}))
        return None
    policy = _year(str(item["year"]), line, ctx, problems)
    code, kind, title = _text(item, "code"), _text(item, "kind"), _text(item, "title")
    topic = _text(item, "topic") or None
    if len(code) > MAX_CODE:
        problems.append(RowProblem(line, "q-too-long", {"column": "code", "max": MAX_CODE}))
    if len(title) > MAX_TITLE:
        problems.append(RowProblem(line, "q-too-long", {"column": "title", "max": MAX_TITLE}))
    if kind not in COURSE_KINDS:
        problems.append(RowProblem(line, "c-kind", {"value": kind}))
    elif policy is not None and kind == "elective" and topic not in policy.elective_topics:
        problems.append(RowProblem(line, "q-topic", {"value": topic or "", "year": policy.year}))
    elif kind == "mandatory" and topic is not None:
        problems.append(RowProblem(line, "c-mandatory-topic"))
    chapters: list[tuple[str, str, list[Any]]] = []
    raw_chapters = item.get("chapters")
    if not isinstance(raw_chapters, list) or not raw_chapters:
        problems.append(RowProblem(line, "c-chapters"))
    else:
        for number, ch in enumerate(raw_chapters, start=1):
            media = ch.get("media", []) if isinstance(ch, Mapping) else None
            if (
                not isinstance(ch, Mapping)
                or not _text(ch, "title")
                or not _text(ch, "body")
                or len(_text(ch, "title")) > MAX_TITLE
                or not isinstance(media, list)
            ):
                problems.append(RowProblem(line, "c-chapter", {"number": number}))
                continue
            chapters.append((_text(ch, "title"), _text(ch, "body"), media))
    texts = [("code", code), ("title", title), ("topic", topic or "")] + [
        (f"chapters[{n}]", part) for n, chapter in enumerate(chapters, 1) for part in chapter[:2]
    ]
    for column, value in texts:
        # a body may wrap and indent; nothing else no stored text may hold
        bad = bad_character(value.replace("\n", "").replace("\t", "").replace("\r", ""))
        if bad is not None:
            problems.append(
                RowProblem(line, "text-control", {"column": column, "char": char_label(bad)})
            )
            break
    if len(problems) > before or policy is None:
        return None
    return ParsedCourse(line, policy.year, code, kind, topic, title, chapters)


async def import_courses(ctx: AppContext, path: Path, *, actor: str = "cli") -> ImportResult:
    """Raises TableError or ImportRejected. Chapters are replaced by position (seq 1..n), so a
    person's remembered place survives a re-import that only corrects the text."""
    items = json_items(path)
    problems: list[RowProblem] = []
    parsed: dict[tuple[int, str], ParsedCourse] = {}
    mandatory: dict[int, ParsedCourse] = {}
    for line, item in items:
        c = _parse_course(ctx, line, item, problems)
        if c is None:
            continue
        if (c.year, c.code) in parsed:
            problems.append(RowProblem(line, "duplicate", {"other": parsed[c.year, c.code].line}))
            continue
        if c.kind == "mandatory":
            if c.year in mandatory:
                problems.append(RowProblem(line, "c-mandatory-twice", {"year": c.year}))
                continue
            mandatory[c.year] = c
        parsed[c.year, c.code] = c
    if not items and not problems:
        problems.append(RowProblem(1, "q-no-rows"))
    now = ctx.now()
    async with raced_import(), ctx.db.transaction() as session:
        years = sorted({y for y, _ in parsed})
        existing = {
            (e.year, e.code): e
            for e in await session.scalars(select(Course).where(Course.year.in_(years)))
        }
        for (year, code), other in existing.items():
            c = mandatory.get(year)
            if c and other.kind == "mandatory" and other.active and other.code != c.code:
                problems.append(RowProblem(c.line, "c-mandatory-exists", {"code": code}))
        if problems:
            raise ImportRejected(sorted(problems, key=lambda p: p.line))
        added = updated = 0
        for key, c in parsed.items():
            course = existing.get(key)
            changed = course is None
            if course is None:
                course = Course(year=c.year, code=c.code, kind=c.kind, topic=c.topic, title=c.title)
                session.add(course)
                await session.flush()
                added += 1
            elif (course.kind, course.topic, course.title, course.active) != (
                c.kind,
                c.topic,
                c.title,
                True,
            ):
                course.kind, course.topic, course.title, course.active = (
                    c.kind,
                    c.topic,
                    c.title,
                    True,
                )
                changed = True
            changed = await _sync_chapters(session, course.id, c.chapters) or changed
            if changed and key in existing:
                updated += 1
        session.add(_batch(ctx, "courses", path, len(items), added, actor))
        audit(
            session,
            at=now,
            actor=actor,
            action="import",
            entity="courses",
            data={"file": path.name, "rows": len(items), "added": added, "updated": updated},
        )
    return ImportResult(len(items), added, updated, len(parsed) - added - updated)


async def _sync_chapters(
    session: AsyncSession, course_id: int, chapters: Sequence[tuple[str, str, list[Any]]]
) -> bool:
    current = {
        ch.seq: ch
        for ch in await session.scalars(select(Chapter).where(Chapter.course_id == course_id))
    }
    changed = False
    for seq, (title, body, media) in enumerate(chapters, start=1):
        ch = current.get(seq)
        if ch is None:
            session.add(Chapter(course_id=course_id, seq=seq, title=title, body=body, media=media))
            changed = True
        elif (ch.title, ch.body, ch.media) != (title, body, media):
            ch.title, ch.body, ch.media = title, body, media
            changed = True
    extra = [seq for seq in current if seq > len(chapters)]
    if extra:
        await session.execute(
            delete(Chapter).where(Chapter.course_id == course_id, Chapter.seq.in_(extra))
        )
        changed = True
    return changed


# ------------------------------------------------------------------------------ demo


@dataclass(frozen=True, slots=True)
class DemoContentResult:
    courses: ImportResult
    questions: ImportResult


def demo_content_file(name: str) -> Path:
    return Path(str(resources.files("services") / "demo" / name))


async def seed_demo_content(ctx: AppContext) -> DemoContentResult:
    """The 2024 demo course, electives and questions. Idempotent (keyed by year and code)."""
    courses = await import_courses(ctx, demo_content_file("course-2024.json"), actor="demo")
    questions = await import_questions(ctx, demo_content_file("questions-2024.csv"), actor="demo")
    return DemoContentResult(courses, questions)
