"""The `[metric]` table of agentgit.toml (DESIGN §10): a repository that names a metric
runs experiment sessions, where a command's number judges the keep.

Checked like every setting: an unknown key, a bad value, a pattern that does not
compile or has no group is a UsageError (exit 2) naming the key. Whether `editable`
matches a tracked file needs the repository, so `check_editable` is called where the
tracked files are known (the session's start).
"""

from __future__ import annotations

import difflib
import fnmatch
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

from agentgit.core.errors import UsageError

DIRECTIONS = ("lower", "higher")


@dataclass(frozen=True)
class Metric:
    name: str
    command: str
    pattern: str
    editable: tuple[str, ...]
    direction: str = "lower"
    run_minutes: float = 5.0
    baseline_runs: int = 1
    min_gain: float = 0.0
    noise_factor: float = 2.0
    max_runs: int = 100

    @property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern, re.MULTILINE)

    def better(self, value: float, than: float, by: float = 0.0) -> bool:
        """Whether `value` beats `than` by more than `by`, in this metric's direction."""
        return (than - value > by) if self.direction == "lower" else (value - than > by)

    def is_editable(self, path: str) -> bool:
        return editable(path, self.editable)


REQUIRED = ("name", "command", "pattern", "editable")
_KEYS = tuple(f.name for f in fields(Metric))
WHERE = "agentgit.toml [metric]"


def editable(path: str, globs: Iterable[str]) -> bool:
    """Whether a path from the repository's root matches one of the globs. A glob without
    a slash also matches a file of that name in any folder, as .gitignore reads one."""
    for glob in globs:
        if fnmatch.fnmatchcase(path, glob):
            return True
        if "/" not in glob and fnmatch.fnmatchcase(path.rsplit("/", 1)[-1], glob):
            return True
    return False


def parse(table: Any) -> Metric:
    """The `[metric]` table as a Metric; a UsageError names the key that is wrong."""
    if not isinstance(table, dict):
        raise UsageError(f"agentgit.toml: metric must be a table ([metric]), not {table!r}")
    values: dict[str, Any] = {}
    for raw_key, value in table.items():
        key = str(raw_key).replace("-", "_")
        if key not in _KEYS:
            close = difflib.get_close_matches(key, _KEYS, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise UsageError(f"{WHERE}: {raw_key} is not a metric key{hint}")
        values[key] = _value(key, value)
    missing = [k for k in REQUIRED if k not in values]
    if missing:
        raise UsageError(f"{WHERE}: {missing[0]} is required (needs {', '.join(REQUIRED)})")
    return Metric(**values)


def _value(key: str, value: Any) -> Any:
    def bad(why: str) -> UsageError:
        return UsageError(f"{WHERE}: {key} {why}")

    if key in ("name", "command", "pattern", "direction"):
        if not isinstance(value, str) or not value.strip():
            raise bad(f"must be non-empty text, not {value!r}")
        if key == "name" and not re.fullmatch(r"[A-Za-z0-9_.:-]+", value):
            raise bad(f"must be one word (letters, digits, _ . : -), not {value!r}")
        if key == "direction" and value not in DIRECTIONS:
            raise bad(f"must be one of {', '.join(DIRECTIONS)}, not {value!r}")
        if key == "pattern":
            try:
                compiled = re.compile(value, re.MULTILINE)
            except re.error as exc:
                raise bad(f"does not compile: {exc}") from None
            if compiled.groups < 1:
                raise bad("needs a group, (...), around the value")
        return value
    if key == "editable":
        globs = [value] if isinstance(value, str) else value
        if (
            not isinstance(globs, list)
            or not globs
            or not all(isinstance(g, str) and g.strip() for g in globs)
        ):
            raise bad(f"must be a non-empty list of globs, not {value!r}")
        for glob in globs:
            if glob.startswith("/") or ".." in glob.split("/"):
                raise bad(f"globs are paths inside the repository, not {glob!r}")
        return tuple(globs)
    whole = key in ("baseline_runs", "max_runs")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad(f"must be a number, not {value!r}")
    if not math.isfinite(value):
        raise bad(f"must be a finite number, not {value!r}")
    if whole and value != int(value):
        raise bad(f"must be a whole number, not {value!r}")
    if key in ("run_minutes", "baseline_runs", "max_runs") and value <= 0:
        raise bad(f"must be more than 0, not {value:g}")
    if key in ("min_gain", "noise_factor") and value < 0:
        raise bad(f"must be at least 0, not {value:g}")
    return int(value) if whole else float(value)


def check_editable(metric: Metric, tracked: Iterable[str]) -> None:
    """Every editable glob matches a tracked file: a glob that matches none is a typo
    that would refuse every write (exit 2, naming it)."""
    files = list(tracked)
    for glob in metric.editable:
        if not any(editable(path, [glob]) for path in files):
            raise UsageError(f"{WHERE}: editable {glob!r} matches no tracked file")
