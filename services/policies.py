"""Loads the yearly policy files: the shipped ones in core/policies, then the administrator's
policy directory (CEBOT_POLICY_DIR, else <data dir>/policies), where `cebot policy new` writes
drafts and the demo writes its generated years; a file there overrides a shipped year.

Only active policies are in the book's mapping: a draft is visible to administrators (`drafts`)
and never used for anyone's year. Running processes pick up an activation made elsewhere by
`refresh()`, which re-reads the files when any of them changed (checked at most every
REFRESH_SECONDS)."""

from __future__ import annotations

import hashlib
import logging
import time
import tomllib
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from core.rules import Policy, PolicyError, parse_policy

SHANGHAI = ZoneInfo("Asia/Shanghai")
REFRESH_SECONDS = 30.0
log = logging.getLogger(__name__)


def shipped_policy_dir() -> Path:
    return Path(str(resources.files("core") / "policies"))


def load_policy_file(path: Path) -> Policy:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError([f"{path.name}: {exc}"]) from exc
    policy = parse_policy(data)
    if path.stem.isdigit() and int(path.stem) != policy.year:
        raise PolicyError([f"{path.name}: file name does not match year = {policy.year}"])
    return policy


Signature = tuple[tuple[str, int, int], ...]


def _declared_status(path: Path) -> str | None:
    try:
        status = tomllib.loads(path.read_text(encoding="utf-8")).get("status", "active")
    except (tomllib.TOMLDecodeError, OSError):
        return None
    return str(status)


def _signature(dirs: tuple[Path, ...]) -> Signature:
    found = []
    for directory in dirs:
        for path in sorted(directory.glob("*.toml")) if directory.is_dir() else ():
            stat = path.stat()
            found.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(found)


class PolicyBook(Mapping[int, Policy]):
    """The active yearly policies, by year; drafts aside."""

    def __init__(
        self,
        policies: Mapping[int, Policy],
        digests: Mapping[int, str],
        *,
        drafts: Mapping[int, Policy] | None = None,
        paths: Mapping[int, Path] | None = None,
        dirs: tuple[Path, ...] = (),
    ) -> None:
        self._set(policies, digests, drafts or {}, paths or {})
        self.dirs = dirs
        self._signature = _signature(dirs) if dirs else ()
        self._checked = time.monotonic()

    def _set(
        self,
        policies: Mapping[int, Policy],
        digests: Mapping[int, str],
        drafts: Mapping[int, Policy],
        paths: Mapping[int, Path],
    ) -> None:
        self._policies = dict(sorted(policies.items()))
        self.digests = dict(digests)
        self.drafts = dict(sorted(drafts.items()))
        self.paths = dict(paths)

    @classmethod
    def load(cls, *extra_dirs: Path | None) -> PolicyBook:
        dirs = (shipped_policy_dir(), *(d for d in extra_dirs if d is not None))
        policies, digests, drafts, paths = cls._read(dirs)
        return cls(policies, digests, drafts=drafts, paths=paths, dirs=dirs)

    @staticmethod
    def _read(
        dirs: tuple[Path, ...],
    ) -> tuple[dict[int, Policy], dict[int, str], dict[int, Policy], dict[int, Path]]:
        found: dict[int, Policy] = {}
        digests: dict[int, str] = {}
        paths: dict[int, Path] = {}
        for directory in dirs:
            for path in sorted(directory.glob("*.toml")) if directory.is_dir() else ():
                try:
                    policy = load_policy_file(path)
                except PolicyError:
                    if _declared_status(path) == "draft":
                        # a draft being written must not stop the bot: `cebot policy check`
                        # shows its problems
                        log.info("draft policy %s does not load yet", path.name)
                        continue
                    raise  # an active year that does not load: refuse to run on it
                found[policy.year] = policy  # a later directory overrides an earlier one
                digests[policy.year] = hashlib.sha256(path.read_bytes()).hexdigest()
                paths[policy.year] = path
        active = {y: p for y, p in found.items() if p.active}
        drafts = {y: p for y, p in found.items() if not p.active}
        return active, {y: digests[y] for y in active}, drafts, paths

    def reload(self) -> None:
        """Read the files again now (after this process activated or wrote one)."""
        if not self.dirs:
            return
        self._set(*self._read(self.dirs))
        self._signature = _signature(self.dirs)
        self._checked = time.monotonic()

    def refresh(self) -> bool:
        """Re-read when a file changed since the last look; cheap (a few stat calls, at most
        every REFRESH_SECONDS). A file that no longer parses leaves the book as it was: a
        half-edited draft must not take the running bot down."""
        if not self.dirs or time.monotonic() - self._checked < REFRESH_SECONDS:
            return False
        self._checked = time.monotonic()
        signature = _signature(self.dirs)
        if signature == self._signature:
            return False
        try:
            self._set(*self._read(self.dirs))
        except PolicyError as exc:
            log.warning("policy files changed but do not load (%d problems)", len(exc.problems))
            return False
        self._signature = signature
        return True

    def __getitem__(self, year: int) -> Policy:
        return self._policies[year]

    def __iter__(self) -> Iterator[int]:
        return iter(self._policies)

    def __len__(self) -> int:
        return len(self._policies)

    def latest_until(self, year: int) -> Policy | None:
        """The newest policy not after `year` (last known rules, shown as such)."""
        known = [y for y in self._policies if y <= year]
        return self._policies[max(known)] if known else None


def local_today(now: datetime) -> date:
    """Deadlines are Asia/Shanghai dates."""
    return now.astimezone(SHANGHAI).date()
