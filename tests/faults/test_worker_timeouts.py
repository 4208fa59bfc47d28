"""Issue 17 item 24: a timed-out job is ended in its worker (pebble), its slot free at once; a
crashed worker is retried once; shutdown leaves no worker process; rendering and reading
still end at their timeouts.

The job functions live at module level: the workers (forkserver) import them by name."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest
from pebble import ProcessExpired

from services.worker_pool import WorkerPool
from tests.fault_ledger import FaultLedger

FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")

# ------------------------------------------------------------------ jobs (run in workers)


def _runs(marker: str) -> int:
    """Count this run in `marker` (appended by each run): how often a job really ran."""
    with open(marker, "a") as fh:
        fh.write("run\n")
    return Path(marker).read_text().count("run")


def _sleep(seconds: float, marker: str) -> int:
    _runs(marker)
    time.sleep(seconds)
    return os.getpid()


def _started(marker: str) -> tuple[float, int]:
    _runs(marker)
    return time.time(), os.getpid()


def _crash_once(marker: str) -> int:
    if _runs(marker) == 1:
        os.kill(os.getpid(), signal.SIGKILL)  # the worker dies in the job, like an OOM kill
    return os.getpid()


def _always_crash(marker: str) -> int:
    _runs(marker)
    os.kill(os.getpid(), signal.SIGKILL)
    return 0


def _pid() -> int:
    return os.getpid()


# ------------------------------------------------------------------ helpers


def _runs_of(marker: Path) -> int:
    return marker.read_text().count("run") if marker.exists() else 0


def _alive(pid: int) -> bool:
    """A process that exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return found


def _infrastructure() -> set[int]:
    """multiprocessing's own helpers, one per interpreter (not workers of any pool)."""
    from multiprocessing import forkserver, resource_tracker

    pids = {
        forkserver._forkserver._forkserver_pid,  # type: ignore[attr-defined]
        resource_tracker._resource_tracker._pid,  # type: ignore[attr-defined]
    }
    return {pid for pid in pids if pid}


@pytest.fixture
def pool() -> Iterator[WorkerPool]:
    pool = WorkerPool(lambda: 1)
    yield pool
    pool.shutdown()


def _errors(caplog: pytest.LogCaptureFixture) -> int:
    return FaultLedger.tracebacks_in(caplog.records)


# ------------------------------------------------------------------ the pool


async def test_a_job_past_its_timeout_is_ended_and_its_slot_is_free_at_once(
    pool: WorkerPool, tmp_path: Path, faults: FaultLedger, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    await pool.warm_up(_pid)
    [first_worker] = pool.worker_pids()
    hung, after = tmp_path / "hung", tmp_path / "after"
    submitted = time.time()
    hung_job = pool.submit(_sleep, 60, str(hung), timeout=0.5)
    next_job = pool.submit(_started, str(after))  # waits for the only worker
    with pytest.raises(TimeoutError):
        await asyncio.wrap_future(hung_job)
    ended = time.time()
    started, next_worker = await asyncio.wait_for(asyncio.wrap_future(next_job), 10)

    assert ended - submitted < 0.5 + 1.0  # ended at its timeout, not after its 60 s
    assert started - ended < 1.0  # the slot was free at once: a new worker took the next job
    assert next_worker != first_worker and not _alive(first_worker)
    lost = int(_runs_of(after) != 1)
    duplicated = max(0, _runs_of(hung) - 1) + max(0, _runs_of(after) - 1)
    faults.record(
        "24 worker timeout ends the job",
        tried=2,
        injected=1,
        lost=lost,
        duplicated=duplicated,
        tracebacks=_errors(caplog),
    )
    assert (lost, duplicated, _errors(caplog)) == (0, 0, 0)


async def test_a_job_cancelled_by_its_caller_is_ended_too(
    pool: WorkerPool, tmp_path: Path, faults: FaultLedger, caplog: pytest.LogCaptureFixture
) -> None:
    # asyncio.wait_for around run(): what read_evidence does with its whole limit
    caplog.set_level(logging.WARNING)
    await pool.warm_up(_pid)
    [first_worker] = pool.worker_pids()
    hung, after = tmp_path / "hung", tmp_path / "after"
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(pool.run(_sleep, 60, str(hung)), 0.5)
    ended = time.time()
    started, next_worker = await asyncio.wait_for(pool.run(_started, str(after)), 10)

    assert started - ended < 1.0
    assert next_worker != first_worker and not _alive(first_worker)
    lost = int(_runs_of(after) != 1)
    duplicated = max(0, _runs_of(hung) - 1)
    faults.record(
        "24 worker timeout ends the job",
        tried=2,
        injected=1,
        lost=lost,
        duplicated=duplicated,
        tracebacks=_errors(caplog),
    )
    assert (lost, duplicated, _errors(caplog)) == (0, 0, 0)


async def test_hung_jobs_among_good_ones_lose_and_repeat_nothing(
    tmp_path: Path, faults: FaultLedger, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    pool = WorkerPool(lambda: 2)
    try:
        good: list[tuple[Path, Future[object]]] = []
        hung: list[tuple[Path, Future[object]]] = []
        for i in range(12):
            if i % 3 == 1:
                marker = tmp_path / f"hung-{i}"
                hung.append((marker, pool.submit(_sleep, 60, str(marker), timeout=0.3)))
            else:
                marker = tmp_path / f"good-{i}"
                good.append((marker, pool.submit(_sleep, 0.05, str(marker), timeout=10)))
        started = time.monotonic()
        outcomes = await asyncio.gather(
            *(asyncio.wrap_future(f) for _, f in hung + good), return_exceptions=True
        )
        took = time.monotonic() - started
    finally:
        pool.shutdown()
    timed_out = sum(isinstance(o, TimeoutError) for o in outcomes[: len(hung)])
    answered = sum(isinstance(o, int) for o in outcomes[len(hung) :])
    lost = len(good) - answered + len(hung) - timed_out
    duplicated = sum(max(0, _runs_of(m) - 1) for m, _ in hung + good)
    faults.record(
        "24 worker timeout ends the job",
        tried=len(outcomes),
        injected=len(hung),
        lost=lost,
        duplicated=duplicated,
        tracebacks=_errors(caplog),
    )
    assert (lost, duplicated, _errors(caplog)) == (0, 0, 0)
    assert took < 2 * 0.3 + 8 * 0.05 + 4.0  # four hung jobs on two workers: ~1 s, not 60


async def test_a_crashed_worker_is_retried_once(
    pool: WorkerPool, tmp_path: Path, faults: FaultLedger, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    once, always = tmp_path / "once", tmp_path / "always"
    pid = await asyncio.wait_for(pool.run(_crash_once, str(once)), 30)
    assert _runs_of(once) == 2 and pid != os.getpid()  # killed, then done in a new worker
    with pytest.raises(ProcessExpired):
        await asyncio.wait_for(pool.run(_always_crash, str(always)), 30)
    assert _runs_of(always) == 2  # retried once, not forever
    after = await asyncio.wait_for(pool.run(_pid), 30)  # and the pool still works
    assert after in pool.worker_pids()
    faults.record(
        "24 crashed worker retried once",
        tried=3,
        injected=3,  # three worker deaths
        lost=int(not isinstance(pid, int) or pid <= 0),
        duplicated=_runs_of(once) - 2,
        tracebacks=_errors(caplog),
    )
    assert _errors(caplog) == 0


async def test_shutdown_leaves_no_worker_process(
    tmp_path: Path, faults: FaultLedger, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    before = _descendants(os.getpid())  # other pools' workers in this run, if any
    pool = WorkerPool(lambda: 2)
    await pool.warm_up(_pid)
    workers = set(pool.worker_pids())
    assert len(workers) == 2
    running = pool.submit(_sleep, 60, str(tmp_path / "running"), timeout=1.0)
    quick = pool.submit(_sleep, 0.2, str(tmp_path / "quick"), timeout=10)
    waiting = pool.submit(_sleep, 0.1, str(tmp_path / "waiting"))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    await asyncio.to_thread(pool.shutdown)
    took = time.monotonic() - started

    left = _descendants(os.getpid()) - before - _infrastructure()
    assert left == set() and not any(_alive(pid) for pid in workers)
    assert isinstance(quick.result(0), int)  # a running job finished
    assert isinstance(running.exception(0), TimeoutError)  # a hung one ended at its timeout
    assert waiting.cancelled() and _runs_of(tmp_path / "waiting") == 0
    assert took < 1.0 + 3.0
    pool.shutdown()  # idempotent
    faults.record(
        "24 shutdown leaves no worker",
        tried=3,
        injected=1,
        lost=0 if quick.done() and not quick.cancelled() else 1,
        tracebacks=_errors(caplog),
    )
    assert _errors(caplog) == 0


async def test_shutdown_with_a_grace_stops_a_job_that_has_no_timeout(
    tmp_path: Path, faults: FaultLedger, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    before = _descendants(os.getpid())
    pool = WorkerPool(lambda: 1)
    await pool.warm_up(_pid)
    workers = set(pool.worker_pids())
    hung = pool.submit(_sleep, 3600, str(tmp_path / "hung"))  # no timeout of its own
    waiter = asyncio.ensure_future(asyncio.wrap_future(hung))
    await asyncio.sleep(0.3)
    started = time.monotonic()
    await asyncio.to_thread(pool.shutdown, 0.5)
    took = time.monotonic() - started
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(waiter, 5)  # its caller is answered, not left waiting
    assert hung.cancelled() and 0.5 <= took < 0.5 + 4.0
    assert _descendants(os.getpid()) - before - _infrastructure() == set()
    assert not any(_alive(pid) for pid in workers)
    assert await asyncio.wait_for(pool.run(_pid), 30) > 0  # the next job starts a new pool
    pool.shutdown()
    faults.record(
        "24 shutdown leaves no worker",
        tried=2,
        injected=1,
        lost=int(not waiter.cancelled()),  # a caller left waiting (cancelling it is the design)
        tracebacks=_errors(caplog),
    )
    assert _errors(caplog) == 0


# ------------------------------------------------------------------ the reader and the renderer


@pytest.mark.skipif(not FONT.exists(), reason="Noto Sans CJK font not installed")
async def test_a_reading_past_its_timeout_frees_the_reader_at_once(
    faults: FaultLedger, caplog: pytest.LogCaptureFixture
) -> None:
    from PIL import Image, ImageDraw, ImageFont

    from services import evidence_reading
    from services.evidence_reading import read_evidence, shutdown_reader, warm_up_reader
    from services.synthetic_evidence import HALF_DAY_HOURS

    caplog.set_level(logging.WARNING)
    image = Image.new("RGB", (1754, 1240), "white")
    draw = ImageDraw.Draw(image)
    body = ImageFont.truetype(str(FONT), 40, index=2)
    for i in range(12):
        line = f"于2024年10月{i + 1}日参加培训，共计{i + 4}学时。"
        draw.text((100, 80 + 90 * i), line, font=body, fill="black")
    photo, blank = io.BytesIO(), io.BytesIO()
    image.save(photo, "PNG")
    Image.new("RGB", (400, 300), "white").save(blank, "PNG")
    try:
        await warm_up_reader()
        [worker] = evidence_reading._pool.worker_pids()
        timed_out = await read_evidence(
            photo.getvalue(), timeout=0.3, half_day_hours=HALF_DAY_HOURS
        )
        assert evidence_reading._in_flight == 0  # its queue slot is free at once
        after = await read_evidence(blank.getvalue(), half_day_hours=HALF_DAY_HOURS)
        assert not _alive(worker)  # the reading was ended in its worker
        whole = await read_evidence(photo.getvalue(), half_day_hours=HALF_DAY_HOURS)
    finally:
        shutdown_reader()
    assert (timed_out.reason, after.reason) == ("timeout", "no_text")
    assert whole.ok and whole.fields.hours is not None
    faults.record(
        "24 worker timeout ends the job",
        tried=3,
        injected=1,
        lost=int(after.reason != "no_text") + int(not whole.ok),
        tracebacks=_errors(caplog),
    )
    assert _errors(caplog) == 0


async def test_a_render_past_its_timeout_is_ended_and_the_next_one_renders(
    monkeypatch: pytest.MonkeyPatch, faults: FaultLedger, caplog: pytest.LogCaptureFixture
) -> None:
    from services import certificate_render
    from services.certificate_render import render_pdf, shutdown_renderer

    caplog.set_level(logging.WARNING)
    data = {
        "name": "张伟",
        "id_masked": "4501**********0212",
        "unit": "南宁市第一人民医院",
        "year": 2024,
        "hours": {
            "public_mandatory": "15",
            "public_elective": "10",
            "public": "25",
            "professional": "65",
            "total": "90",
        },
        "issuer": "广西壮族自治区人力资源和社会保障厅",
        "issued_on": "2025-01-15",
        "mandatory_theme": "",
    }
    url = "http://localhost/verify/GX2024-CE-000001?t=x"
    monkeypatch.setenv("CEBOT_RENDER_WORKERS", "1")
    shutdown_renderer()  # a pool of one worker, started below
    try:
        monkeypatch.setenv("CEBOT_RENDER_TIMEOUT", "0.05")  # shorter than any render
        with pytest.raises(TimeoutError):
            await render_pdf("ce", data, number="GX2024-CE-000001", verification_url=url)
        ended = time.monotonic()
        monkeypatch.setenv("CEBOT_RENDER_TIMEOUT", "60")
        pdf = await render_pdf("ce", data, number="GX2024-CE-000001", verification_url=url)
        took = time.monotonic() - ended
        workers = certificate_render._pool.worker_pids()
    finally:
        shutdown_renderer()
    assert pdf.startswith(b"%PDF") and len(workers) == 1
    assert took < 30  # a cold worker: WeasyPrint and fonts loaded again, then the render
    faults.record(
        "24 worker timeout ends the job",
        tried=2,
        injected=1,
        lost=int(not pdf.startswith(b"%PDF")),
        tracebacks=_errors(caplog),
    )
    assert _errors(caplog) == 0
