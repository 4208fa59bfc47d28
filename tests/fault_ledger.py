"""The faults suite's ledger. Its tests are in tests/faults/, and a few e2e tests elsewhere
record into it too (tests/conftest.py registers the fixture and the summary for the whole
run): every defect found when cebot was tried as its users would, and attacked with bad files,
forged requests and faults, replayed as tests. Each test says what it tried
through the `faults` fixture; at the end of the run the suite prints one table:

    item | inputs tried | faults injected | lost | duplicated | tracebacks

where "lost" counts accepted work that did not survive (an update, a row, a queued notice),
"duplicated" counts work done twice, and "tracebacks" counts internal errors a user or an
operator saw (an "Internal error" reply, an unhandled exception in a log, a task that died).
All but the first two columns must be zero: each test also asserts its own zeros."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest


@dataclass
class FaultRow:
    item: str
    tried: int = 0
    injected: int = 0
    lost: int = 0
    duplicated: int = 0
    tracebacks: int = 0
    tests: set[str] = field(default_factory=set)


_ROWS: dict[str, FaultRow] = {}


class FaultLedger:
    """What one test tried. Counts add up per item across tests."""

    def __init__(self, test_id: str) -> None:
        self._test_id = test_id

    def record(
        self,
        item: str,
        *,
        tried: int = 0,
        injected: int = 0,
        lost: int = 0,
        duplicated: int = 0,
        tracebacks: int = 0,
    ) -> FaultRow:
        row = _ROWS.setdefault(item, FaultRow(item))
        row.tried += tried
        row.injected += injected
        row.lost += lost
        row.duplicated += duplicated
        row.tracebacks += tracebacks
        row.tests.add(self._test_id)
        return row

    @staticmethod
    def tracebacks_in(records: list[logging.LogRecord]) -> int:
        """Log records that carry an exception or say an internal error happened."""
        return sum(
            1
            for r in records
            if r.exc_info or "Traceback" in r.getMessage() or "never retrieved" in r.getMessage()
        )


@pytest.fixture
def faults(request: pytest.FixtureRequest) -> Iterator[FaultLedger]:
    yield FaultLedger(request.node.nodeid)


def _item_key(item: str) -> tuple[int, str]:
    head = item.split(" ", 1)[0].rstrip(".")
    return (int(head), item) if head.isdigit() else (10_000, item)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _ROWS:
        return
    rows = [_ROWS[k] for k in sorted(_ROWS, key=_item_key)]
    width = max(len(r.item) for r in rows)
    header = (
        f"{'item':<{width}} | inputs tried | faults injected | lost | duplicated | tracebacks"
    )
    terminalreporter.write_sep("=", "faults suite")
    terminalreporter.write_line(header)
    terminalreporter.write_line("-" * len(header))
    for r in rows:
        terminalreporter.write_line(
            f"{r.item:<{width}} | {r.tried:>12} | {r.injected:>15} | {r.lost:>4} | "
            f"{r.duplicated:>10} | {r.tracebacks:>10}"
        )
    total = FaultRow(
        "total",
        tried=sum(r.tried for r in rows),
        injected=sum(r.injected for r in rows),
        lost=sum(r.lost for r in rows),
        duplicated=sum(r.duplicated for r in rows),
        tracebacks=sum(r.tracebacks for r in rows),
    )
    terminalreporter.write_line("-" * len(header))
    terminalreporter.write_line(
        f"{'total':<{width}} | {total.tried:>12} | {total.injected:>15} | {total.lost:>4} | "
        f"{total.duplicated:>10} | {total.tracebacks:>10}"
    )
