"""Loads the yearly policy files: the shipped ones in core/policies and, when set, an
administrator's CEBOT_POLICY_DIR (a file there overrides a shipped year)."""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from core.rules import Policy, PolicyError, parse_policy

SHANGHAI = ZoneInfo("Asia/Shanghai")


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


class PolicyBook(Mapping[int, Policy]):
    """All known yearly policies, by year."""

    def __init__(self, policies: Mapping[int, Policy], digests: Mapping[int, str]) -> None:
        self._policies = dict(sorted(policies.items()))
        self.digests = dict(digests)

    @classmethod
    def load(cls, extra_dir: Path | None = None) -> PolicyBook:
        policies: dict[int, Policy] = {}
        digests: dict[int, str] = {}
        dirs = [shipped_policy_dir()] + ([extra_dir] if extra_dir else [])
        for directory in dirs:
            for path in sorted(directory.glob("*.toml")):
                policy = load_policy_file(path)
                policies[policy.year] = policy
                digests[policy.year] = hashlib.sha256(path.read_bytes()).hexdigest()
        return cls(policies, digests)

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
