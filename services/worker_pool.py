"""A process pool for CPU-bound work kept off the event loop (certificate PDFs, reading
evidence), started on first use.

- forkserver: workers fork from a clean server process, never from the bot's process with its
  event loop, threads and database connections. The forkserver is one per process: the first
  pool to start sets what it preloads.
- A crashed worker breaks a ProcessPoolExecutor for good: the pool is replaced and the job
  retried once.
"""

from __future__ import annotations

import asyncio
import atexit
import multiprocessing
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any


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
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        atexit.register(self.shutdown)

    def get(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                methods = multiprocessing.get_all_start_methods()
                method = "forkserver" if "forkserver" in methods else "spawn"
                mp = multiprocessing.get_context(method)
                if method == "forkserver" and self._preload:
                    mp.set_forkserver_preload(self._preload)
                self._pool = ProcessPoolExecutor(
                    max_workers=self._workers(),
                    mp_context=mp,
                    initializer=self._initializer,
                    initargs=self._initargs(),
                )
            return self._pool

    def drop(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is broken:
                self._pool = None
        broken.shutdown(wait=False, cancel_futures=True)

    async def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        submitted: Callable[[Future[Any]], None] | None = None,
    ) -> Any:
        """fn(*args) in a worker (at most `workers()` at once; more queue). `submitted` sees
        each job as it is submitted (the retry is a second one)."""
        for attempt in (1, 2):
            pool = self.get()
            try:
                job: Future[Any] = pool.submit(fn, *args)
                if submitted is not None:
                    submitted(job)
                return await asyncio.wrap_future(job)
            except BrokenProcessPool:
                self.drop(pool)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def warm_up(self, fn: Callable[[], Any]) -> None:
        """Start every worker and run `fn` in each (fonts, models loaded before a user waits)."""
        pool = self.get()
        await asyncio.gather(
            *(asyncio.wrap_future(pool.submit(fn)) for _ in range(self._workers()))
        )

    def shutdown(self) -> None:
        """Stop the processes (idempotent); the next job starts a new pool."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
