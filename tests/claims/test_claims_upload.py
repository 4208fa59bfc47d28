"""Organisers' uploads: preview writes nothing, confirm imports once through import_hours, a
bad file imports nothing, only a live organiser may upload, and an import that duplicates a
person's own claim is flagged for the reviewer instead of counted twice."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from claims_helpers import (
    ORGANISER_SOURCE,
    World,
    at,
    build_world,
    claim,
    count,
    id_number_of,
    shanghai,
)
from sqlalchemy import select

from services.claims import ClaimRefused, decide, list_claims, review_queue
from services.context import AppContext
from services.imports import ImportRejected
from services.organiser_upload import UploadRefused, confirm_upload, preview_upload
from services.progress import year_evaluation
from services.tabular import TableError
from storage.models import AuditEntry, HourRecord, ImportBatch, Person, Review

HEADER = "身份证号,姓名,年度,科目,课程编号,课程名称,学时,完成日期\n"
NEW_PERSON = id_number_of(77)


@pytest.fixture
async def world(ctx: AppContext) -> World:
    return await build_world(ctx)


def good_file(tmp_path: Path, name: str = "hours.csv") -> Path:
    path = tmp_path / name
    path.write_text(
        HEADER
        + f"{id_number_of(1)},王芳,2024,专业科目,ZY-1,市级教研活动：作业设计专题,12,2024-10-16\n"
        + f"{id_number_of(1)},王芳,2024,专业科目,ZY-2,课堂观察方法,6,2024-06-02\n"
        + f"{NEW_PERSON},韦新,2024,专业科目,ZY-2,课堂观察方法,6.5,2024-06-02\n",
        encoding="utf-8",
    )
    return path


async def snapshot(ctx: AppContext) -> tuple[int, ...]:
    return tuple(
        [await count(ctx, m) for m in (HourRecord, Person, ImportBatch, AuditEntry, Review)]
    )


async def verified(ctx: AppContext, person_id: int) -> Fraction:
    async with ctx.db.transaction() as s:
        ev = await year_evaluation(s, ctx.policies[2024], person_id)
    return ev.professional_verified_hours


async def test_preview_writes_nothing_and_confirm_imports_once(
    ctx: AppContext, world: World, tmp_path: Path
) -> None:
    path = good_file(tmp_path)
    before = await snapshot(ctx)
    preview = await preview_upload(ctx, world.organiser, path)
    assert await snapshot(ctx) == before
    assert preview.ok and (preview.rows, preview.people, preview.people_new) == (3, 2, 1)
    assert preview.hours_total == Fraction(49, 2) and preview.source == ORGANISER_SOURCE
    assert (preview.already_imported, preview.claim_duplicates) == (0, 0)

    done = await confirm_upload(ctx, world.organiser, path, expected_sha256=preview.sha256)
    assert (done.result.rows, done.result.added, done.result.people_created) == (3, 3, 1)
    assert done.notify_account_ids == (world.claimant_account,)  # the new person has no account
    assert done.batch_id is not None and not done.duplicates
    async with ctx.db.transaction() as s:
        sources = set(await s.scalars(select(HourRecord.source)))
    assert sources == {ORGANISER_SOURCE}  # the role's source, whatever the file says
    assert await verified(ctx, world.claimant) == 18

    again = await preview_upload(ctx, world.organiser, path)
    assert again.already_imported == 3
    twice = await confirm_upload(ctx, world.organiser, path)
    assert twice.result.added == 0 and twice.notify_account_ids == ()
    assert await count(ctx, HourRecord) == 3 and await verified(ctx, world.claimant) == 18


async def test_a_bad_file_imports_nothing(ctx: AppContext, world: World, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        HEADER
        + f"{id_number_of(1)},王芳,2024,专业科目,ZY-1,课程,12,2024-10-16\n"
        + "450103198803120210,某人,2024,专业科目,ZY-1,课程,12,2024-10-16\n"
        + f"{id_number_of(1)},王芳,2024,专业科目,ZY-3,课程,2.25,2024-10-16\n"
        + f"{id_number_of(1)},王芳,2023,专业科目,ZY-4,课程,2,2023-10-16\n"
        + f"{id_number_of(2)},错名,2024,专业科目,ZY-4,课程,2,2024-10-16\n",
        encoding="utf-8",
    )
    before = await snapshot(ctx)
    preview = await preview_upload(ctx, world.organiser, path)
    assert not preview.ok
    by_line = [(p.line, p.reason) for p in preview.problems]
    assert by_line == [
        (3, "id-checksum"),
        (4, "hours-not_half"),
        (5, "year"),
        (6, "name-mismatch"),
    ]
    with pytest.raises(ImportRejected) as exc:
        await confirm_upload(ctx, world.organiser, path)
    assert [(p.line, p.reason) for p in exc.value.problems] == by_line  # the same validation
    assert await snapshot(ctx) == before


async def test_unreadable_file(ctx: AppContext, world: World, tmp_path: Path) -> None:
    path = tmp_path / "hours.txt"
    path.write_text("hello", encoding="utf-8")
    preview = await preview_upload(ctx, world.organiser, path)
    assert not preview.ok and preview.table_error is not None
    assert preview.table_error.reason == "file_type"
    with pytest.raises(TableError):
        await confirm_upload(ctx, world.organiser, path)


@pytest.mark.parametrize("who", ["organiser_revoked", "reviewer1", "admin", "claimant_account"])
async def test_only_a_live_organiser(
    ctx: AppContext, world: World, tmp_path: Path, who: str
) -> None:
    path = good_file(tmp_path)
    for call in (preview_upload, confirm_upload):
        with pytest.raises(UploadRefused) as exc:
            await call(ctx, getattr(world, who), path)
        assert exc.value.reason == "not_organiser"
    assert await count(ctx, HourRecord) == 0


async def test_a_changed_file_is_refused(ctx: AppContext, world: World, tmp_path: Path) -> None:
    path = good_file(tmp_path)
    preview = await preview_upload(ctx, world.organiser, path)
    path.write_text(path.read_text(encoding="utf-8") + "\n\n", encoding="utf-8")
    with pytest.raises(UploadRefused) as exc:
        await confirm_upload(ctx, world.organiser, path, expected_sha256=preview.sha256)
    assert exc.value.reason == "file_changed"


async def test_pending_claim_duplicated_by_an_import_is_flagged(
    ctx: AppContext, world: World, tmp_path: Path
) -> None:
    pending = await claim(ctx, world.claimant)  # same title and day as the file's first row
    other = await claim(ctx, world.claimant, title="与导入无关")  # same day: also flagged
    path = good_file(tmp_path)
    assert (await preview_upload(ctx, world.organiser, path)).claim_duplicates == 1
    done = await confirm_upload(ctx, world.organiser, path)
    assert {d.claim_id for d in done.duplicates} == {pending.id, other.id}
    assert not any(d.reopened for d in done.duplicates) and not done.unresolved_duplicates
    [imported_id] = {d.imported_id for d in done.duplicates}
    queue = {q.claim.id: q.claim for q in await review_queue(ctx, world.reviewer1)}
    assert queue[pending.id].possible_duplicates == (imported_id,)
    mine = {c.id: c for c in await list_claims(ctx, world.claimant)}
    assert mine[pending.id].possible_duplicates == (imported_id,)
    with pytest.raises(ClaimRefused) as exc:
        await decide(ctx, world.reviewer1, pending.id, approve=True)
    assert exc.value.reason == "duplicate"
    assert await verified(ctx, world.claimant) == 18  # the import, not the claim as well
    rejected = await decide(
        ctx, world.reviewer1, pending.id, approve=False, reason="duplicate_import"
    )
    assert rejected.status == "rejected"
    approved = await decide(ctx, world.reviewer1, other.id, approve=True, override_duplicate=True)
    assert approved.status == "approved" and await verified(ctx, world.claimant) == 30


async def test_approved_claim_duplicated_by_an_import_goes_back_to_review(
    ctx: AppContext, world: World, tmp_path: Path
) -> None:
    view = await claim(ctx, world.claimant)
    await decide(ctx, world.reviewer1, view.id, approve=True)
    assert await verified(ctx, world.claimant) == 12
    done = await confirm_upload(ctx, world.organiser, good_file(tmp_path))
    [dup] = done.duplicates
    assert dup.claim_id == view.id and dup.previous_status == "approved" and dup.reopened
    assert done.claimant_account_ids == (world.claimant_account,)
    assert await verified(ctx, world.claimant) == 18  # counted once: 12 imported + 6
    [mine] = await list_claims(ctx, world.claimant)
    assert mine.status == "pending"
    async with ctx.db.transaction() as s:
        decisions = list(
            await s.scalars(
                select(Review.decision).where(Review.record_id == view.id).order_by(Review.id)
            )
        )
    assert decisions == ["approved", "duplicate_reopened"]
    assert await count(ctx, AuditEntry, AuditEntry.action == "claim_duplicate_reopened") == 1


async def test_after_the_deadline_an_approved_duplicate_is_reported_not_reopened(
    ctx: AppContext, world: World, tmp_path: Path
) -> None:
    view = await claim(ctx, world.claimant)
    await decide(ctx, world.reviewer1, view.id, approve=True)
    late = at(ctx, shanghai(2025, 4, 2, 9))
    done = await confirm_upload(late, world.organiser, good_file(tmp_path))
    [dup] = done.unresolved_duplicates
    assert dup.claim_id == view.id and not dup.reopened
    assert [c.status for c in await list_claims(late, world.claimant)] == ["approved"]


async def test_the_same_bytes_again_are_recognised_and_people_told_what_they_got(
    ctx: AppContext, world: World, tmp_path: Path
) -> None:
    """Issue 17 item 21: a file imported before is named with when and how many rows, before
    it is read again; each person's notice carries their own courses and hours."""
    path = good_file(tmp_path)
    done = await confirm_upload(ctx, world.organiser, path)
    told = done.records_by_account[world.claimant_account]
    assert [(r.title, r.hours) for r in told] == [
        ("课堂观察方法", Fraction(6)),
        ("市级教研活动：作业设计专题", Fraction(12)),
    ]  # by completion date; the new person has no account, so is told nothing
    assert set(done.records_by_account) == set(done.notify_account_ids)
    again = await preview_upload(ctx, world.organiser, path)
    assert not again.ok and again.previous is not None
    assert (again.previous.rows, again.previous.added) == (3, 3)
    assert again.previous.at == ctx.now()
    # other bytes (one more blank line), the same rows: previewed as usual, adding nothing
    copy = tmp_path / "copy.csv"
    copy.write_bytes(path.read_bytes() + b"\n")
    assert (await preview_upload(ctx, world.organiser, copy)).previous is None
