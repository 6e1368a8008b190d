"""Every experiment run of the repository, read back from git (DESIGN §10).

A run is a commit whose trailers say what it was (`Agentgit-Experiment`, `-Metric`,
`-Status`, `-Seconds`); kept runs are on the session branches and, once landed, on main
and the session archives; runs that were not kept stay on `refs/agentgit/runs/`. One
`git log` over those refs finds them all, so `runs` is the state autoresearch keeps in
an untracked results.tsv, queryable and never lost.

The map draws from `runs(repo)` (its contract: keep `Run`'s fields and `as_record`).
The baseline's measurement is a run too: experiment 0, status `baseline`, its value the
median of the base tree's runs.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentgit.core import refs
from agentgit.core.trailers import Trailer
from agentgit.git import Commit, Repository

STATUSES = ("keep", "discard", "crash", "timeout")
BASELINE = "baseline"
_SUBJECT = re.compile(r"^Experiment \d+: ?(.*)$")


@dataclass(frozen=True)
class Run:
    session: int
    experiment: int  # 0: the baseline
    commit: str
    value: float | None  # None: no value (a crash or a timeout)
    status: str  # keep | discard | crash | timeout | baseline
    seconds: float
    hypothesis: str
    metric: str = ""  # the metric's name
    code: str = ""  # the digest of the editable files that ran (Agentgit-Code)

    def fields(self) -> dict[str, Any]:
        # Every field is a scalar: a copy of the instance's dict is what asdict() gives,
        # without its deep copies, which cost 10,000 runs about 0.3 s.
        return dict(vars(self))

    def as_record(self) -> dict[str, Any]:
        """JSON-safe: every field, the value None when there is none."""
        record = self.fields()
        if record["value"] is not None and not math.isfinite(record["value"]):
            record["value"] = None
        return record


def metric_trailer(name: str, value: float | None) -> str:
    return f"{name}={'none' if value is None else format_value(value)}"


def format_value(value: float) -> str:
    """A value as trailers and tables show it: short, and read back exactly."""
    return repr(float(value)) if value != int(value) or abs(value) >= 1e15 else f"{value:.1f}"


def parse_metric(text: str) -> tuple[str, float | None]:
    """`name=value ...` (a run's, or main's with more figures after it): the name and the
    first value."""
    first = text.split()[0] if text.split() else ""
    name, _, raw = first.partition("=")
    try:
        value: float | None = float(raw)
    except ValueError:
        value = None
    if value is not None and not math.isfinite(value):
        value = None
    return name, value


def from_commit(commit: Commit) -> Run | None:
    """The run a commit records, or None when it is no run's."""
    t = commit.trailers
    raw_n, session = t.get(Trailer.EXPERIMENT), t.get(Trailer.SESSION)
    if raw_n is None or session is None or not raw_n.isdigit() or not session.isdigit():
        return None
    name, value = parse_metric(t.get(Trailer.METRIC, ""))
    status = t.get(Trailer.STATUS, "")
    try:
        seconds = float(t.get(Trailer.SECONDS, "0"))
    except ValueError:
        seconds = 0.0
    found = _SUBJECT.match(commit.subject)
    hypothesis = found.group(1) if found else commit.subject
    return Run(
        session=int(session),
        experiment=int(raw_n),
        commit=commit.sha,
        value=value,
        status=status,
        seconds=seconds if math.isfinite(seconds) else 0.0,
        hypothesis=hypothesis,
        metric=name,
        code=t.get(Trailer.CODE, ""),
    )


def runs(repo: Repository, session: int | None = None, code: str | None = None) -> list[Run]:
    """Every run of the repository (or of one session, or of one code digest), by session
    then experiment, from main, the session branches and archives and the archived
    runs. `code`: git itself keeps only the runs of that code (the judge asks this
    before every run, so it parses a few commits, not the night's thousands)."""
    tips = repo.ref_tips([refs.MAIN_REF, *(p.rstrip("/") for p in PREFIXES)])
    if not tips:
        return []  # with no revision at all, git log would read HEAD
    if code is not None:
        return _walk(repo, tips, f"^{Trailer.CODE}: {code}$")
    found = _cached(repo, tips)
    return [r for r in found if session is None or r.session == session]


PREFIXES = (refs.BRANCHES, refs.ARCHIVE, refs.RUNS)
CACHE = "runs.json"  # under .git/agentgit: every run as last read, and the tips it read
CACHE_VERSION = 1


def _walk(repo: Repository, revs: list[str], grep: str = f"^{Trailer.EXPERIMENT}: ") -> list[Run]:
    found: dict[tuple[int, int, str], Run] = {}
    for commit in repo.messages([f"--grep={grep}"], revs):
        run = from_commit(commit)
        if run is not None:
            found[(run.session, run.experiment, run.commit)] = run
    return sorted(found.values(), key=lambda r: (r.session, r.experiment, r.commit))


def _cached(repo: Repository, tips: list[str]) -> list[Run]:
    """Every run, walking only what is new since the last call. Commits never change:
    while every tip read last time is still a tip, the runs are those read then and
    those reachable from the new tips but not from the old ones. A tip gone (a ref
    deleted or moved back) means a whole walk, as does a cache that is missing or not
    ours; so the cache can make a call faster, never different."""
    path = repo.state_dir / CACHE
    old_tips, old = _load(path)
    if old_tips is not None and old_tips <= set(tips):
        new = [t for t in tips if t not in old_tips]
        if not new:
            return old
        fresh = _walk(repo, new + [f"^{t}" for t in sorted(old_tips)])
    else:
        old, fresh = [], _walk(repo, tips)
    merged = {(r.session, r.experiment, r.commit): r for r in old + fresh}
    found = sorted(merged.values(), key=lambda r: (r.session, r.experiment, r.commit))
    _save(path, tips, found)
    return found


def _load(path: Path) -> tuple[set[str] | None, list[Run]]:
    try:
        data = json.loads(path.read_text("utf-8"))
        if data.get("version") != CACHE_VERSION:
            return None, []
        return set(data["tips"]), [Run(**record) for record in data["runs"]]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None, []  # missing or not ours: a whole walk rebuilds it


def _save(path: Path, tips: list[str], found: list[Run]) -> None:
    """Written whole to a temporary file and renamed, so a reader never sees half."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        data = {"version": CACHE_VERSION, "tips": tips, "runs": [r.fields() for r in found]}
        tmp.write_text(json.dumps(data), "utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a cache: the next call walks again


# -- what people see -----------------------------------------------------------------

# autoresearch's results.tsv columns first (commit, the metric, memory_gb, status,
# description), so its tools read ours; then what it lacks. Like it, a run without a
# value shows 0.000000 and memory 0.0 (agentgit does not measure memory).
TSV_AFTER = ("session", "experiment", "seconds")


def tsv_lines(found: list[Run]) -> list[str]:
    name = next((r.metric for r in found if r.metric), "value")
    lines = ["\t".join(("commit", name, "memory_gb", "status", "description", *TSV_AFTER))]
    for r in found:
        value = 0.0 if r.value is None else r.value
        description = " ".join(r.hypothesis.replace("\t", " ").split())
        lines.append(
            f"{r.commit[:7]}\t{value:.6f}\t0.0\t{r.status}\t{description}\t"
            f"{refs.session_id(r.session)}\t{r.experiment}\t{r.seconds:.1f}"
        )
    return lines


def table_lines(found: list[Run]) -> list[str]:
    """The terminal view: one line a run, a session's best marked."""
    lines = []
    for r in found:
        value = "—" if r.value is None else format_value(r.value)
        lines.append(
            f"{refs.session_id(r.session)}  {r.experiment:>3}  {r.commit[:10]}  "
            f"{r.status:<8}  {value:>12}  {r.seconds:>7.1f}s  {r.hypothesis}"
        )
    return lines


PR_ROWS = 100  # runs a pull request's table lists: the baseline, then the newest


def markdown_table(found: list[Run], rows: int = PR_ROWS) -> list[str]:
    """The runs as a Markdown table for a pull request body: the baseline, then the
    newest runs, `rows` in all; a line says how many more `agentgit experiments` lists."""
    base = [r for r in found if r.experiment == 0][:1]
    rest = [r for r in found if r not in base]
    shown = base + rest[max(len(rest) - (rows - len(base)), 0) :]
    name = next((r.metric for r in found if r.metric), "value")
    lines = [
        f"| # | commit | {_cell(name)} | status | seconds | hypothesis |",
        "|---:|---|---:|---|---:|---|",
    ]
    for r in shown:
        value = "—" if r.value is None else format_value(r.value)
        lines.append(
            f"| {r.experiment} | `{r.commit[:10]}` | {value} | {r.status} | {r.seconds:.1f} "
            f"| {_cell(r.hypothesis)} |"
        )
    more = len(found) - len(shown)
    if more > 0:
        session = refs.session_id(found[0].session)
        lines += ["", f"…and {more:,} earlier runs: `agentgit experiments {session}` lists them."]
    return lines


def _cell(text: str) -> str:
    """Text inside one table cell: one line, no column break, no HTML."""
    text = " ".join(text.split())[:200]
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")
