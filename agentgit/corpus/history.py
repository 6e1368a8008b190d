"""Main's record of sessions, from git alone: `agentgit log`, the landings, the open
sessions, and how a file evolved (the `history` tool).

Main's commit for each session carries the outcome, title, pieces, turns and cost in
its trailers, so the log is one `git log --first-parent` call.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from agentgit.core import figures, refs
from agentgit.core.refs import MAIN
from agentgit.core.trailers import Trailer
from agentgit.git import Commit, Repository


@dataclass
class LogLine:
    session: int
    date: str
    outcome: str
    title: str
    pieces: list[str]
    turns: int
    cost_usd: float | None
    commit: str
    head: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _line(commit: Commit, warnings: list[str]) -> LogLine | None:
    """The log line a landing records. Every figure goes through core.figures: a forged
    or broken one is left out (a cost becomes unknown, turns 0) with a warning naming
    the commit; a commit whose session id or head is not one is skipped whole."""
    t = commit.trailers
    if Trailer.SESSION not in t or Trailer.HEAD not in t:
        return None
    try:
        session, head = figures.session(t[Trailer.SESSION]), figures.sha(t[Trailer.HEAD])
    except figures.BadFigure as exc:
        warnings.append(figures.where(commit.sha, exc))
        return None
    cost, turns = None, 0
    try:
        cost = figures.cost(t.get(Trailer.COST, figures.UNKNOWN))
    except figures.BadFigure as exc:
        warnings.append(figures.where(commit.sha, exc))
    try:
        turns = figures.count(t.get(Trailer.TURNS, "0") or "0", "turns")
    except figures.BadFigure as exc:
        warnings.append(figures.where(commit.sha, exc))
    return LogLine(
        session=session,
        date=commit.date,
        outcome=t.get(Trailer.OUTCOME, "?"),
        title=t.get(Trailer.TITLE, commit.subject),
        pieces=[p.strip() for p in t.get(Trailer.PIECES, "").split(",") if p.strip()],
        turns=turns,
        cost_usd=cost,
        commit=commit.sha,
        head=head,
    )


# How far back a landing is looked for when a session's end is being finished (resume
# after a kill, a review decided): main's last this-many first-parent commits.
RECENT = 1000


def landings(
    repo: Repository,
    rev: str = MAIN,
    limit: int | None = None,
    session: int | None = None,
    depth: int | None = None,
) -> list[Commit]:
    """The commits on `rev` that record a session (they carry `Agentgit-Head`), newest
    first: agentgit's own, on the first-parent line, and those that arrived by a person
    merging an `agentgit:log` pull request with a merge commit, which leaves ours as the
    merge's second parent (listed in the merge's place). `session` narrows to one
    session's; `depth` bounds the walk. Their `body` is left empty (no caller reads it).

    One first-parent walk, classified here: on 5,000 sessions it is faster than git's
    own `--grep` (which runs a regex on every message) and sees the foreign merges too.
    """
    if rev == MAIN:
        repo.main_commit()  # a `master` or an empty repository is named, not git's usage
    found = []
    for commit in _walk(repo, [rev], depth)[1]:
        if session is not None and commit.trailers.get(Trailer.SESSION) != f"{session:04d}":
            continue
        found.append(commit)
        if limit and len(found) == limit:
            break
    return found


def _walk(
    repo: Repository, rev_args: list[str], depth: int | None = None
) -> tuple[list[Commit], list[Commit]]:
    """The first-parent line of `rev_args`, and the landings on it (see `landings`)."""
    line = repo.log(["--first-parent", *rev_args], max_count=depth, body=False)
    foreign = [c for c in line if len(c.parents) > 1 and Trailer.HEAD not in c.trailers]
    merged_in = (
        {
            c.sha: c
            for c in repo.log(["--no-walk=unsorted", *(m.parents[1] for m in foreign)], body=False)
        }
        if foreign
        else {}
    )
    found = []
    for commit in line:
        if Trailer.HEAD not in commit.trailers and len(commit.parents) > 1:
            commit = merged_in.get(commit.parents[1], commit)
        if Trailer.HEAD in commit.trailers:
            found.append(commit)
    return line, found


def log(repo: Repository, limit: int | None = None) -> list[LogLine]:
    """Sessions on main, newest first, one line each: a session landed twice (left for
    review, then abandoned or merged by hand) shows its latest record."""
    return [LogLine(**json.loads(text)) for text in log_json(repo, limit)]


def log_json(repo: Repository, limit: int | None = None) -> list[str]:
    """`log` as one JSON object per session, the text `agentgit log --json` prints:
    strict JSON (no NaN or Infinity: every figure went through core.figures)."""
    lines = _read(repo)[0]
    return lines[:limit] if limit else lines


def skipped(repo: Repository) -> list[str]:
    """One line per figure on main that `log` left out as forged or broken, naming its
    commit (the CLI prints them as warnings)."""
    return _read(repo)[1]


def _read(repo: Repository) -> tuple[list[str], list[str]]:
    """Main's log lines and what was skipped reading them.

    Main's history only grows at its tip, and a commit never changes, so the lines are
    kept in a cache keyed by main's commit (`LOG_CACHE`): a later call reads only the
    commits main gained since, and none when main has not moved."""
    tip = repo.main_commit()
    cache = repo.state_dir / LOG_CACHE
    cached = _read_cache(cache)
    if cached is not None and cached[0] == tip:
        return cached[1], cached[2]
    lines, warnings = _log_lines(repo, tip, cached)
    _write_cache(cache, tip, lines, warnings)
    return lines, warnings


# Where `log_json` keeps its lines, under the state directory: a header line naming
# main's commit, the format, what was skipped and a digest of the rest, then one line
# per session. The format names LogLine's fields, so a cache of another shape is never
# read back into it; bump LOG_FORMAT when `_line` changes what a field says.
LOG_CACHE = "log.jsonl"
LOG_FORMAT = f"2:{','.join(f.name for f in fields(LogLine))}"

_Cached = tuple[str, list[str], list[str]]  # main's tip, the lines, the warnings


def _log_lines(repo: Repository, tip: str, cached: _Cached | None) -> tuple[list[str], list[str]]:
    """The lines for main at `tip`: from the commits main gained since the cached tip,
    when main only moved forward from it along its first parents; else from all."""
    if cached is not None:
        old, old_lines, old_warnings = cached
        line, found = _walk(repo, [tip, f"^{old}"])
        if line and line[-1].parents[:1] == [old]:
            fresh, warnings = _dedupe(found)
            seen = {json.loads(text)["session"] for text in fresh}
            kept = [t for t in old_lines if json.loads(t)["session"] not in seen]
            return fresh + kept, warnings + old_warnings
    return _dedupe(_walk(repo, [tip])[1])


def _dedupe(commits: list[Commit]) -> tuple[list[str], list[str]]:
    """One line per session, the newest record (commits come newest first), and the
    warnings for what was skipped."""
    seen: set[int] = set()
    lines: list[str] = []
    warnings: list[str] = []
    for commit in commits:
        line = _line(commit, warnings)
        if line is not None and line.session not in seen:
            seen.add(line.session)
            lines.append(json.dumps(line.to_dict(), allow_nan=False))
    return lines, warnings


def _read_cache(path: Path) -> _Cached | None:
    """(tip, lines, warnings) from the cache, or None when it is missing, of another
    format, or not exactly as written (a digest mismatch): it is then rebuilt from git."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    head, _, rest = text.partition("\n")
    try:
        meta = json.loads(head)
        ok = meta["format"] == LOG_FORMAT and meta["digest"] == _digest(rest)
        tip = str(meta["main"])
        warnings = [str(w) for w in meta["skipped"]]
    except (ValueError, KeyError, TypeError):
        return None
    return (tip, rest.split("\n") if rest else [], warnings) if ok else None


def _write_cache(path: Path, tip: str, lines: list[str], warnings: list[str]) -> None:
    """Best effort: a repository we may not write to (or a full disk) just reads git."""
    rest = "\n".join(lines)
    meta = {"format": LOG_FORMAT, "main": tip, "skipped": warnings, "digest": _digest(rest)}
    head = json.dumps(meta)
    temp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".log-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(f"{head}\n{rest}")
        os.replace(temp, path)  # whole or not at all, for a concurrent reader
    except OSError:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def path_history(repo: Repository, path: str, max_count: int = 20) -> str:
    """The commits on main and in the archived sessions that changed `path` (under
    corpus/), newest first, with their patches: what the `history` tool shows.

    git answers by walking every commit (32,000 on the benchmark corpus) and, for the
    log directory, diffing the 5,000-entry tree at each one its Bloom filter cannot rule
    out, which for some names is one commit in ten: seconds. A log entry
    `log/NNNN-*.md` is written by session NNNN alone, and after it by commits on main
    (a review's decision, a person's edit), so only those are walked, and only since
    the commit session NNNN started from."""
    found = _session_base(repo, path)
    where = f"corpus/{path}"
    if found:
        records = repo.diff_log([MAIN, *found], where, max_count)
    else:
        # Two walks, main's and the archives' beyond it, cost less than their union
        # (5,000 archive tips): 0.10 s against 0.16 on the benchmark corpus.
        records = repo.diff_log([MAIN], where, max_count)
        records += repo.diff_log([f"--glob={refs.ARCHIVE}*", "--not", MAIN], where, max_count)
        # Newest first. Commits of the same second (or a skewed clock) may come in
        # another order than git's one walk gives them: the same commits, newest first.
        records.sort(key=lambda r: -r[0])
    return "".join(text for _, text in records[:max_count])


def _session_base(repo: Repository, path: str) -> list[str]:
    """For session NNNN's log entry, its archived head and `^` the main commit it
    started from: the first commit down the head's first parents that is not the
    session's own, and is on main. Nothing when that cannot be told (no archive yet,
    a session of more than SESSION_COMMITS commits, a base not on main)."""
    match = _LOG_ENTRY.fullmatch(path)
    if match is None:
        return []
    number = int(match.group(1))
    archive = refs.archive(number)
    if repo.rev_parse(archive) is None:
        return []
    for commit in repo.log(["--first-parent", archive], max_count=SESSION_COMMITS, body=False):
        if commit.trailers.get(Trailer.SESSION, "").lstrip("0") != str(number):
            return [archive, f"^{commit.sha}"] if repo.is_ancestor(commit.sha, MAIN) else []
    return []


_LOG_ENTRY = re.compile(r"log/(\d+)-[^/]*\.md")
SESSION_COMMITS = 500  # far more than a session's turns make


def open_sessions(repo: Repository) -> list[tuple[int, str]]:
    """Sessions with a branch still open (running, interrupted, left for review)."""
    result = []
    for ref in repo.list_refs(refs.BRANCHES.rstrip("/")):
        parsed = refs.parse_branch(ref)
        if parsed:
            result.append((parsed[0], refs.short(ref)))
    return sorted(result, reverse=True)


def in_review(repo: Repository, number: int) -> bool:
    """Sent with --review pr|branch and not yet recorded by `agentgit sync`."""
    return repo.rev_parse(refs.review(number)) is not None
