"""How late the event loop answers: a ticker sleeps 10 ms at a time and keeps each gap. A
gap far above 10 ms means something held the loop (parsing on it, a blocking call). Used by
the tests and benchmarks that prove slow work (rendering, reading files) is kept off the loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

TICK = 0.01  # seconds


@dataclass
class LoopLag:
    gaps: list[float] = field(default_factory=list)

    @property
    def longest(self) -> float:
        return max(self.gaps, default=0.0)

    def quantile(self, q: float) -> float:
        ordered = sorted(self.gaps)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0


@asynccontextmanager
async def watching_the_loop() -> AsyncIterator[LoopLag]:
    """`async with watching_the_loop() as lag:` the gaps between ticks while the body runs."""
    lag = LoopLag()
    stop = asyncio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(TICK)
            now = time.perf_counter()
            lag.gaps.append(now - last)
            last = now

    task = asyncio.create_task(ticker())
    try:
        yield lag
    finally:
        stop.set()
        await task
