"""A process pool for CPU-bound work kept off the event loop (certificate PDFs, reading
evidence), started on first use. The processes are pebble's ProcessPool, because a worker of
concurrent.futures cannot be stopped in the middle of a job.

- forkserver: workers fork from a clean server process, never from the bot's process with its
  event loop, threads and database connections. The forkserver is one per process: the first
  pool to start sets what it preloads.
- A job that runs past its `timeout` is ended: pebble terminates its worker (SIGTERM, SIGKILL
  after 3 s) and starts another; the caller gets TimeoutError. A job cancelled while it runs
  (asyncio.wait_for, a cancelled task) is ended the same way, so a slot is never held by work
  nobody waits for.
- A worker that dies in a job (killed, out of memory, a crash in C code) fails only that job:
  it is retried once in a new worker. A broken pool is replaced, and its jobs retried once.
- Jobs wait here until a worker is free, not in pebble's pipe: a job cancelled while it waits
  costs no worker, and its arguments (a 10 MB photo) are not copied into the pipe early.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import multiprocessing
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, Future, InvalidStateError
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from pebble import ProcessExpired, ProcessPool

ATTEMPTS = 2  # a job whose worker died is tried once more


@dataclass(eq=False)
class _Job:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    timeout: float | None
    future: Future[Any] = field(default_factory=Future)  # what the caller holds
    attempt: int = 0
    running: Future[Any] | None = None  # pebble's future while the job is in a worker
    pool: ProcessPool | None = None  # the pool it was handed to


class WorkerPool:
    def __init__(
        self,
        workers: Callable[[], int],
        initializer: Callable[..., object] | None = None,
        initargs: Callable[[], tuple[Any, ...]] = tuple,
        preload: Sequence[str] = (),
    ) -> None:
        # settings are read when the pool starts (tests and benchmarks change them between)
        self._workers, self._initializer, self._initargs = workers, initializer, initargs
        self._preload = list(preload)
        self._pool: ProcessPool | None = None
        self._size = 0  # workers of the current pool
        self._lock = threading.RLock()
        self._waiting: deque[_Job] = deque()
        self._running: set[_Job] = set()
        self._stopping = 0  # shutdowns under way: no job starts (nor a new pool) meanwhile

    def get(self) -> ProcessPool:
        """The pebble pool, started if need be (replaced when it broke)."""
        with self._lock:
            if self._pool is not None and not self._pool.active:
                self._discard(self._pool)
            if self._pool is None:
                methods = multiprocessing.get_all_start_methods()
                method = "forkserver" if "forkserver" in methods else "spawn"
                mp = multiprocessing.get_context(method)
                if method == "forkserver" and self._preload:
                    mp.set_forkserver_preload(self._preload)
                self._size = max(1, self._workers())
                self._pool = ProcessPool(
                    max_workers=self._size,
                    initializer=self._initializer,
                    initargs=self._initargs(),
                    context=mp,
                )
            return self._pool

    def worker_pids(self) -> list[int]:
        """The pids of the running workers (diagnostics and tests)."""
        with self._lock:
            pool = self._pool
        if pool is None:
            return []
        workers = pool._pool_manager.worker_manager.workers  # pebble keeps no public list
        return [pid for pid, process in list(workers.items()) if process.is_alive()]

    def submit(
        self, fn: Callable[..., Any], *args: Any, timeout: float | None = None
    ) -> Future[Any]:
        """fn(*args) in a worker, as a concurrent Future: at most `workers()` jobs run at once,
        more wait. Cancelling the future ends the job, running or waiting. With `timeout`
        (seconds of running) the job is ended then and the future raises TimeoutError."""
        job = _Job(fn, tuple(args), timeout)
        job.future.add_done_callback(lambda _: self._caller_done(job))
        with self._lock:
            self._waiting.append(job)
        self._dispatch()
        return job.future

    async def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        submitted: Callable[[Future[Any]], None] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """fn(*args) in a worker (at most `workers()` at once; more queue); see `submit`.
        `submitted` sees the job's future once it is queued (a retry stays in that future)."""
        job = self.submit(fn, *args, timeout=timeout)
        if submitted is not None:
            submitted(job)
        return await asyncio.wrap_future(job)

    async def warm_up(self, fn: Callable[[], Any]) -> None:
        """Start every worker and run `fn` in each (fonts, models loaded before a user waits)."""
        self.get()
        await asyncio.gather(*(self.run(fn) for _ in range(self._size)))

    def shutdown(self, grace: float | None = None) -> None:
        """Stop the processes (idempotent): waiting jobs are cancelled; running ones finish or
        end at their timeout, or with `grace` are stopped after that many seconds (their
        callers see CancelledError). The next job after it starts a new pool."""
        with self._lock:
            pool, self._pool = self._pool, None
            self._stopping += 1
            waiting = list(self._waiting)
            self._waiting.clear()
        try:
            for job in waiting:
                job.future.cancel()
            if pool is not None:
                pool.close()
                try:
                    pool.join(grace)  # running jobs end; their done callbacks have run
                except TimeoutError:
                    pool.stop()
                    pool.join()
        finally:
            with self._lock:
                self._stopping -= 1
                stranded = [job for job in self._running if job.pool is pool]
        for job in stranded:  # a stopped pebble pool never answers the jobs it was running
            job.future.cancel()

    # ------------------------------------------------------------------ inside

    def _dispatch(self) -> None:
        """Hand waiting jobs to pebble while a worker is free."""
        while True:
            with self._lock:
                if self._stopping:
                    for job in self._waiting:  # a retry while the pool stops: not run
                        job.future.cancel()
                    self._waiting.clear()
                if not self._waiting:
                    return
                pool = self.get()
                if len(self._running) >= self._size:
                    return
                job = self._waiting.popleft()
                if job.future.done():  # cancelled while it waited
                    continue
                try:
                    running = pool.schedule(job.fn, job.args, timeout=job.timeout)
                except RuntimeError:  # the pool broke just now: a new one, once
                    self._discard(pool)
                    pool = self.get()
                    try:
                        running = pool.schedule(job.fn, job.args, timeout=job.timeout)
                    except RuntimeError as error:
                        self._fail(job, BrokenProcessPool(str(error)))
                        continue
                job.attempt += 1
                job.running, job.pool = running, pool
                self._running.add(job)
            running.add_done_callback(functools.partial(self._job_done, job))

    def _job_done(self, job: _Job, done: Future[Any]) -> None:
        """pebble's future of a job ended (result, error, timeout, cancellation)."""
        with self._lock:
            self._running.discard(job)
            job.running = None
            retry = False
            if not done.cancelled():
                error = done.exception()
                if isinstance(error, ProcessExpired | BrokenProcessPool):
                    retry = job.attempt < ATTEMPTS and not job.future.done()
                if retry:
                    self._waiting.appendleft(job)
        if not retry:
            self._settle(job, done)
        self._dispatch()

    def _caller_done(self, job: _Job) -> None:
        # the caller cancelled: end the job in its worker (pebble stops that worker). Under the
        # lock: a job is either still waiting (then _dispatch skips it) or has `running` set.
        if not job.future.cancelled():
            return
        with self._lock:
            running = job.running
        if running is not None:
            running.cancel()

    def _discard(self, pool: ProcessPool | None) -> None:
        if pool is not None and self._pool is pool:
            self._pool = None
            pool.stop()  # its loops have ended; the join below only reaps what is left
            threading.Thread(target=pool.join, daemon=True).start()

    @staticmethod
    def _settle(job: _Job, done: Future[Any]) -> None:
        try:
            if done.cancelled():
                job.future.cancel()
            elif (error := done.exception()) is not None:
                job.future.set_exception(error)
            else:
                job.future.set_result(done.result())
        except (InvalidStateError, CancelledError):  # the caller cancelled it meanwhile
            pass

    @staticmethod
    def _fail(job: _Job, error: BaseException) -> None:
        with contextlib.suppress(InvalidStateError):
            job.future.set_exception(error)
