#!/usr/bin/env python3
"""Benchmark agentgit on a large corpus, on tmpfs and on the real disk, each figure set
against plain git measured in the same run.

    .venv/bin/python bench/run.py [--fresh] [--runs N] [--session-runs N] [--places ...]

It generates (bench/gen_corpus.py) a corpus of 10,000 pieces and 5,000 sessions, and
one of 10 pieces, once, on tmpfs; every run then copies them afresh to each place it
measures (a tmpfs directory and one on the disk under bench/out/), so that both places
start from the same repository. Each measurement alternates agentgit and the plain git
operation it is compared with, after an untimed warm-up of each, and reports medians;
a ratio is the median of the run-by-run ratios. It prints markdown tables and writes
every raw timing to bench/out/results.json.

The sessions the benchmark runs go through the public entry points only (the
`agentgit session` command with a scripted model, and `agentgit.lifecycle.start` with
the tool box a session uses), so it measures whatever a session is made of.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))

import gen_corpus  # noqa: E402  (bench/ is not a package)

# key: (what the goal bounds, the bound). "ratio": agentgit / git; "seconds": agentgit;
# "overhead": the 10,000-piece figure minus the 10-piece one.
GOALS: dict[str, tuple[str, float]] = {
    "log": ("ratio", 2.0),
    "session": ("seconds", 3.0),
    "startup": ("overhead", 0.5),
    "landing": ("overhead", 0.5),
    "commit": ("ratio", 1.5),
    "orientation": ("seconds", 1.0),
    "search": ("seconds", 0.05),
    "novelty": ("seconds", 0.5),
    "hook": ("seconds", 0.3),
    "landscape": ("seconds", 5.0),
    "first_keep": ("overhead", 1.0),
    "warm_keep": ("overhead", 0.5),
    "map": ("seconds", 10.0),
    "page": ("seconds", 10.0),
    "version": ("ratio", 1.0),
}
MAP_BYTES = 10_000_000  # issue 20: the map's page at 10,000 pieces, at most 10 MB
# The commit whose `agentgit --version` issue 18 names as the yardstick.
VERSION_BASELINE = "39ac77d"
# What a command that does not need them must not import at its start.
HEAVY = ("anthropic", "yaml", "frontmatter", "agentgit.landscape", "agentgit.map", "sqlite3")
# The plain `git log` of main that issue 10 names as the yardstick for `agentgit log`.
GIT_LOG = ["git", "log", "--first-parent", "--format=%H%x09%s%x09%(trailers)", "main"]
SMALL = {"pieces": 10, "sessions": 8}
SEED = 1


# --- timing ----------------------------------------------------------------------------


def timed(fn: Callable[[], Any]) -> float:
    """Seconds `fn` took; a float it returns is its own measure of the part that counts."""
    start = time.perf_counter()
    own = fn()
    return own if isinstance(own, float) else time.perf_counter() - start


def run(
    args: list[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    input: str | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        args, cwd=cwd, env=env or ENV, input=input, capture_output=True, text=True
    )
    if check and proc.returncode != 0:
        raise SystemExit(
            f"{' '.join(args[:4])}… failed ({proc.returncode}): "
            f"{(proc.stderr or proc.stdout).strip()[-800:]}"
        )
    return proc


def _environment() -> dict[str, str]:
    """What the commands run with: as installed, agentgit has its bytecode compiled, so
    a PYTHONDONTWRITEBYTECODE of the shell (which makes every start compile agentgit's
    modules anew, 15 ms and more) is dropped; unbuffered, so events arrive as printed.
    Search is BM25 unless a measure names fused: "auto" is fused only where the extra
    is installed, and the figures would then differ by install."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONUNBUFFERED"] = "1"
    env["AGENTGIT_SEARCH"] = "bm25"
    return env


ENV = _environment()


def search_modes() -> list[str]:
    """The searches measured: BM25 always, fused where agentgit[embeddings] is."""
    from agentgit.landscape import embedded

    return ["bm25", "fused"] if embedded.available() else ["bm25"]


SEARCH_NAMES = {"bm25": "BM25", "fused": "fused with embeddings"}


def paired(
    runs: int, ours: Callable[[], Any], theirs: Callable[[], Any], warmup: bool = True
) -> tuple[list[float], list[float]]:
    """Time both `runs` times, alternating which goes first; one untimed warm-up each."""
    if warmup:
        ours()
        theirs()
    a: list[float] = []
    b: list[float] = []
    for i in range(runs):
        if i % 2:
            b.append(timed(theirs))
            a.append(timed(ours))
        else:
            a.append(timed(ours))
            b.append(timed(theirs))
    return a, b


def figure(
    key: str,
    label: str,
    ours: list[float],
    theirs: list[float],
    baseline: str,
    goal: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    """One measure: medians, the median of the pair-by-pair ratios, and its goal."""
    a, b = statistics.median(ours), statistics.median(theirs)
    ratio = statistics.median(x / y for x, y in zip(ours, theirs, strict=True))
    kind, bound = GOALS[key] if goal and key in GOALS else ("", 0.0)
    met = {"ratio": ratio <= bound, "seconds": a < bound}.get(kind)
    return {
        "key": key,
        "label": label,
        "agentgit_s": a,
        "git_s": b,
        "ratio": ratio,
        "baseline": baseline,
        "goal": {"ratio": f"≤ {bound:g}×", "seconds": f"< {bound:g} s"}.get(kind, ""),
        "met": met,
        "runs": len(ours),
        "agentgit_runs": ours,
        "git_runs": theirs,
        **extra,
    }


# --- places and corpora ----------------------------------------------------------------


@dataclass
class Place:
    name: str  # "tmpfs" or "disk"
    root: Path
    fs: str  # the file system type, from /proc/mounts

    @property
    def big(self) -> Path:
        return self.root / "corpus"

    @property
    def small(self) -> Path:
        return self.root / "small"


def fs_type(path: Path) -> str:
    """The type of the file system `path` is on: the longest mount point above it."""
    path = path.resolve()
    best, kind = "", "unknown"
    try:
        mounts = Path("/proc/mounts").read_text("utf-8").splitlines()
    except OSError:
        return kind
    for line in mounts:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = path == Path(point) or str(path).startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best, kind = point, fields[2]
    return kind


def pristine(tmpfs: Path, pieces: int, sessions: int, fresh: bool) -> Path:
    """The generated corpus of that size, made once (on tmpfs, where it takes 35 s,
    against minutes on this disk) and only copied from then on."""
    repo = tmpfs / "pristine" / f"corpus-{pieces}-{sessions}"
    stamp = repo / ".git" / "bench-corpus.json"
    wanted = {"pieces": pieces, "sessions": sessions, "seed": SEED}
    try:
        made = json.loads(stamp.read_text("utf-8"))
    except (OSError, ValueError):
        made = {}
    if fresh or made.get("params") != wanted:
        if repo.exists():
            shutil.rmtree(repo)
        repo.parent.mkdir(parents=True, exist_ok=True)
        stats = gen_corpus.generate(repo, pieces, sessions, seed=SEED)
        stamp.write_text(json.dumps({"params": wanted, "stats": stats}, indent=1), "utf-8")
    else:
        print(f"reusing {repo} (--fresh generates it again)", flush=True)
    return repo


def lay(source: Path, dest: Path) -> float:
    """A working copy of a pristine corpus (a plain copy: same objects, same index), so
    the sessions each run lands never pile up. Seconds it took."""
    start = time.perf_counter()
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cp", "-a", str(source), str(dest)], check=True)
    subprocess.run(["sync"], check=True)  # the copy's writeback is not the first measure's
    return time.perf_counter() - start


@contextmanager
def opened_session(
    repo_dir: Path, topic: str, search: str = "bm25"
) -> Iterator[tuple[Any, Any, Any, Any]]:
    """A session started through the public API, with the tool box a session runs and
    the search named (never "auto", which differs by install); abandoned at the end.
    (repo, settings, session, toolbox)."""
    from agentgit import lifecycle
    from agentgit.agent.tools import Toolbox
    from agentgit.core.settings import Settings
    from agentgit.git import Repository

    repo = Repository.discover(repo_dir)
    settings = Settings(model="scripted", search=search)
    session = lifecycle.start(repo, settings, topic=topic, model_name="scripted")
    try:
        yield repo, settings, session, Toolbox.for_settings(session, settings)
    finally:
        lifecycle.abandon(repo, session.session, f"benchmark: {topic}, done", settings)


def call(toolbox: Any, tool: str, turn: int, **tool_input: Any) -> str:
    """One tool call as the loop makes it; the benchmark stops at a failed one."""
    toolbox.turn = turn
    result = toolbox.call(tool, tool_input, f"Bench: {tool}.", f"bench-{turn}")
    if result.is_error:
        raise SystemExit(f"{tool} failed: {result.text[:300]}")
    return str(result.text)


# --- the measurements -----------------------------------------------------------------


def bench_log(repo: Path, agentgit: str, runs: int) -> list[dict[str, Any]]:
    """`agentgit log --json` against issue 10's plain `git log` of main: as it runs
    again and again (main unchanged, or a few sessions on), and with no cache at all
    (the first call in a clone)."""
    from agentgit.corpus import history
    from agentgit.git import Repository

    cache = Repository.discover(repo).state_dir / getattr(history, "LOG_CACHE", "log.jsonl")
    ours_cmd = [agentgit, "log", "--json"]
    listed = len(run(ours_cmd, repo).stdout.splitlines())

    def cold() -> float:
        cache.unlink(missing_ok=True)
        return timed(lambda: run(ours_cmd, repo))

    baseline = "`git log --first-parent --format=%H%x09%s%x09%(trailers) main`"
    a, b = paired(runs, lambda: run(ours_cmd, repo), lambda: run(GIT_LOG, repo))
    warm = figure("log", "`agentgit log --json`", a, b, baseline, sessions_listed=listed)
    a, b = paired(runs, cold, lambda: run(GIT_LOG, repo))
    first = figure(
        "log", "`agentgit log --json`, no cache (first call)", a, b, baseline, goal=False
    )
    return [warm, first]


def bench_landscape(repo: Path, agentgit: str, runs: int) -> list[dict[str, Any]]:
    """`agentgit landscape --json` (issue 20: at most 5 s on 10,000 pieces and 5,000
    sessions) against the plain `git log` of main, with its caches as a survey leaves
    them, and once with none (the terrain's first survey; the search index kept)."""
    from agentgit.git import Repository

    cache = Repository.discover(repo).state_dir / "terrain"
    ours_cmd = [agentgit, "landscape", "--json"]
    baseline = "`git log --first-parent --format=%H%x09%s%x09%(trailers) main`"

    def cold() -> float:
        shutil.rmtree(cache, ignore_errors=True)
        return timed(lambda: run(ours_cmd, repo))

    first, theirs = paired(1, cold, lambda: run(GIT_LOG, repo), warmup=False)
    records = len(run(ours_cmd, repo).stdout.splitlines())
    a, b = paired(runs, lambda: run(ours_cmd, repo), lambda: run(GIT_LOG, repo))
    warm = figure("landscape", "`agentgit landscape --json`", a, b, baseline, records=records)
    none = figure(
        "landscape",
        "`agentgit landscape --json`, no terrain cache",
        first,
        theirs,
        baseline,
        goal=False,
    )
    return [warm, none]


def bench_landscape_embedded(repo: Path, agentgit: str, runs: int) -> list[dict[str, Any]]:
    """`agentgit landscape --json` with ``terrain_measure = "embeddings"`` (the optional
    extra; nothing where it is not installed): the first survey (every piece embedded
    and placed), with no terrain cache (the vectors kept in the index), and warm."""
    from agentgit.git import Repository
    from agentgit.landscape import embedded

    if not embedded.available():
        return []
    cache = Repository.discover(repo).state_dir / "terrain"
    env = {**ENV, "AGENTGIT_TERRAIN_MEASURE": "embeddings"}
    ours_cmd = [agentgit, "landscape", "--json"]
    baseline = "`git log --first-parent --format=%H%x09%s%x09%(trailers) main`"

    def cold() -> float:
        shutil.rmtree(cache, ignore_errors=True)
        return timed(lambda: run(ours_cmd, repo, env=env))

    first, theirs_first = paired(1, cold, lambda: run(GIT_LOG, repo), warmup=False)
    again, git_again = paired(1, cold, lambda: run(GIT_LOG, repo), warmup=False)
    a, b = paired(runs, lambda: run(ours_cmd, repo, env=env), lambda: run(GIT_LOG, repo))
    label = "`agentgit landscape --json`, by embeddings"
    return [
        figure("landscape", label, a, b, baseline),
        figure("landscape", f"{label}, no terrain cache", again, git_again, baseline, goal=False),
        figure("landscape", f"{label}, first survey", first, theirs_first, baseline, goal=False),
    ]


def bench_map(repo: Path, agentgit: str, runs: int) -> list[dict[str, Any]]:
    """`agentgit map` (issue 20: with its terrain, at most 10 s on a cold cache and at
    most 10 MB) against the plain `git log` of main: with nothing under .git/agentgit
    (a fresh clone whose CI cache missed), with the caches a CI run restores but no
    terrain, and warm. The page of the last run is kept for `bench_page`."""
    from agentgit.git import Repository

    state = Repository.discover(repo).state_dir
    page = repo.parent / f"{repo.name}-map.html"
    ours_cmd = [agentgit, "map", "-o", str(page)]
    baseline = "`git log --first-parent --format=%H%x09%s%x09%(trailers) main`"

    def cold() -> float:
        shutil.rmtree(state, ignore_errors=True)
        return timed(lambda: run(ours_cmd, repo))

    def no_terrain() -> float:
        shutil.rmtree(state / "terrain", ignore_errors=True)
        return timed(lambda: run(ours_cmd, repo))

    a, b = paired(runs, cold, lambda: run(GIT_LOG, repo), warmup=False)
    size = page.stat().st_size
    first = figure(
        "map",
        f"`agentgit map`, cold cache (nothing under .git/agentgit), {size / 1e6:.1f} MB page",
        a,
        b,
        baseline,
        bytes=size,
    )
    first["met"] = bool(first["met"]) and size <= MAP_BYTES
    first["goal"] += f", ≤ {MAP_BYTES / 1e6:g} MB"
    a, b = paired(runs, no_terrain, lambda: run(GIT_LOG, repo), warmup=False)
    restored = figure(
        "map", "`agentgit map`, CI's caches restored, no terrain cache", a, b, baseline, goal=False
    )
    a, b = paired(runs, lambda: run(ours_cmd, repo), lambda: run(GIT_LOG, repo))
    warm = figure("map", "`agentgit map`, warm", a, b, baseline, goal=False)
    return [first, restored, warm]


def bench_page(page: Path, runs: int) -> dict[str, Any]:
    """The map's page loading in headless Chromium (issue 20: at most 10 s at 10,000
    pieces and 5,000 sessions): from navigating to the load event, its script having
    drawn (`data-status` "drawn"), through the DevTools pipe the map's tests use. The
    yardstick is the same browser loading a page of one line, its own floor."""
    sys.path.insert(0, str(HERE.parent / "tests"))
    import browser  # tests/browser.py: Chromium over the DevTools protocol

    floor = page.with_name("blank.html")
    floor.write_text("<!doctype html><title>blank</title><p>blank</p>\n", "utf-8")
    with tempfile.TemporaryDirectory(prefix="agentgit-bench-chromium-") as profile:
        tools = browser.DevTools(Path(profile))
        status: list[str] = []
        try:

            def load(target: Path) -> None:
                tools.open(target)
                status.append(str(tools.js("document.body.dataset.status")))

            a, b = paired(runs, lambda: load(page), lambda: load(floor))
        finally:
            tools.close()
    drawn = status.count("drawn")
    result = figure(
        "page",
        f"the map's page loading in headless Chromium ({page.stat().st_size / 1e6:.1f} MB)",
        a,
        b,
        "the same browser loading a one-line page",
        drawn=drawn,
    )
    result["met"] = bool(result["met"]) and drawn == len(a) + 1  # and the warm-up's
    return result


def fresh_clone(source: Path, dest: Path) -> Path:
    """A clone as a CI runner whose cache missed has one: main checked out, nothing
    under .git/agentgit. Without its remote: the keep lands locally, as in the other
    figures (a push would time the remote, the same at every size)."""
    if dest.exists():
        shutil.rmtree(dest)
    run(["git", "clone", "--quiet", str(source), str(dest)], source.parent)
    run(["git", "config", "core.hooksPath", "hooks"], dest)
    run(["git", "remote", "remove", "origin"], dest)
    return dest


def git_keep(repo: Path, tag: str) -> None:
    """Plain git's equivalent of a session that keeps one piece: a worktree of main, a
    file written and committed there, merged into main with --no-ff (the checkout
    brought forward), the worktree removed."""
    path = repo / ".git" / "agentgit-bench" / f"keep-{tag}"
    branch = f"bench-keep-{tag}"
    run(["git", "worktree", "add", "--quiet", "-b", branch, str(path), "main"], repo)
    (path / "corpus" / "pieces" / f"{branch}.md").write_text("One benchmark piece.\n", "utf-8")
    run(["git", "add", "--", "corpus/pieces"], path)
    run(["git", "commit", "--quiet", "--no-verify", "-m", f"Add {branch}"], path)
    run(["git", "merge", "--quiet", "--no-ff", "--no-verify", "-m", f"Keep {branch}", branch], repo)
    run(["git", "worktree", "remove", "--force", str(path)], repo)
    run(["git", "branch", "--quiet", "-D", branch], repo)


def bench_first_keep(place: Place, agentgit: str, runs: int) -> list[dict[str, Any]]:
    """Issue 18: the first keep in a fresh clone (the shortest session that lands a
    piece, `agentgit session` end to end) at 10 and at 10,000 pieces, each against plain
    git's keep (`git_keep`) in a fresh clone of its own; the clones are not timed."""
    figures = []
    measured: dict[str, tuple[list[float], list[float]]] = {}
    for size, source in (("10", place.small), ("10,000", place.big)):
        clones = place.root / "clones"
        ours: list[float] = []
        theirs: list[float] = []
        for i in range(runs):
            mine = fresh_clone(source, clones / "agentgit")
            plain = fresh_clone(source, clones / "git")
            tag = f"{time.time_ns()}"

            def a(mine: Path = mine, tag: str = tag) -> float:
                return float(scripted_session(mine, agentgit, short_script(tag))["seconds"])

            def b(plain: Path = plain, tag: str = tag) -> None:
                git_keep(plain, tag)

            if i % 2:  # alternating which goes first, as `paired` does
                theirs.append(timed(b))
                ours.append(timed(a))
            else:
                ours.append(timed(a))
                theirs.append(timed(b))
        shutil.rmtree(clones, ignore_errors=True)
        measured[size] = ours, theirs
        figures.append(
            figure(
                "first_keep",
                f"the first keep in a fresh clone, {size} pieces",
                ours,
                theirs,
                "plain git's keep in a fresh clone: worktree, commit, merge --no-ff, remove",
                goal=False,
            )
        )
    overhead = statistics.median(measured["10,000"][0]) - statistics.median(measured["10"][0])
    git_overhead = statistics.median(measured["10,000"][1]) - statistics.median(measured["10"][1])
    figures[-1].update(
        overhead_s=overhead,
        git_overhead_s=git_overhead,
        goal=f"≤ {GOALS['first_keep'][1]:g} s more than at 10",
        met=overhead <= GOALS["first_keep"][1],
    )
    return figures


def bench_version(runs: int) -> dict[str, Any]:
    """`agentgit --version` (issue 18: no slower than at 39ac77d) as `python -m agentgit`,
    against the same at that commit (its tree from `git archive`, on PYTHONPATH): the
    interpreter's start and the command line's imports. Both compiled first (warm-up)."""
    root = HERE.parent
    with tempfile.TemporaryDirectory(prefix="agentgit-bench-version-") as old:
        archive = subprocess.run(
            ["git", "-C", str(root), "archive", VERSION_BASELINE],
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", old], input=archive, check=True)
        import agentgit as package

        mine = {**ENV, "PYTHONPATH": str(Path(package.__file__).parent.parent)}
        theirs = {**ENV, "PYTHONPATH": old}
        cmd = [sys.executable, "-m", "agentgit", "--version"]
        a, b = paired(runs, lambda: run(cmd, root, mine), lambda: run(cmd, root, theirs))
        git_s = [timed(lambda: run(["git", "--version"], root)) for _ in range(runs)]
    return figure(
        "version",
        "`agentgit --version`",
        a,
        b,
        f"`agentgit --version` at {VERSION_BASELINE}",
        git_version_s=statistics.median(git_s),
    )


SEARCH_QUERIES = [
    "archive memory",
    "what the entropy of a tide means",
    "ledger trust",
    "how a river delta forms at the estuary",
    "compiler grammar",
    "why harvest and ferment go together",
    "orbit telescope",
]


def bench_tools(repo_dir: Path, runs: int) -> list[dict[str, Any]]:
    """Per call, in a session started by `agentgit.lifecycle.start`, through its tool box:
    `search`, `history` (a revised piece, an old and a new log entry), an exploration
    commit (`write_draft`) and the orientation; each against plain git."""
    from agentgit import lifecycle
    from agentgit.corpus.index import index_path
    from agentgit.corpus.search import query_terms

    figures = []
    scratch = repo_dir.parent / f"{repo_dir.name}-scratch"
    run(["git", "worktree", "add", "--quiet", "--detach", str(scratch), "main"], repo_dir)
    try:
        with opened_session(repo_dir, "bench tools") as (repo, settings, session, toolbox):
            turns = iter(range(1, 100_000))
            path = index_path(repo.state_dir)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            queries = iter(SEARCH_QUERIES * runs * 4)
            build = timed(lambda: call(toolbox, "search", next(turns), query=next(queries)))

            def grep() -> None:
                terms = query_terms(next(queries))
                args = [a for t in terms for a in ("-e", t)]
                run(["git", "grep", "-l", "-i", "-F", *args, "--", "corpus"], repo_dir, check=False)

            a, b = paired(
                runs * 2,
                lambda: call(toolbox, "search", next(turns), query=next(queries)),
                grep,
            )
            figures.append(
                figure(
                    "search",
                    "`search`, per call, BM25 (indexed)",
                    a,
                    b,
                    "`git grep -l -i -F -e <term>… -- corpus`",
                    first_call_with_index_build_s=build,
                )
            )
            if "fused" in search_modes():
                figures.append(_fused_search(repo_dir, runs, grep))
            figures += _history(repo_dir, toolbox, turns, runs)
            figures.append(_commit(repo_dir, scratch, session, toolbox, turns, runs))
            holder: dict[str, Any] = {}

            def orient() -> None:
                holder["text"], holder["problems"] = lifecycle.orientation(session, settings)

            a, b = paired(runs, orient, lambda: run(["git", "ls-files", "corpus"], scratch))
            size = len(holder["text"])
            figures.append(
                figure(
                    "orientation",
                    f"orientation, {size:,} chars (bound {settings.orient_max_chars:,})",
                    a,
                    b,
                    "`git ls-files corpus`",
                    chars=size,
                    within_bound=size <= settings.orient_max_chars,
                )
            )
            figures[-1]["met"] = figures[-1]["met"] and size <= settings.orient_max_chars
    finally:
        run(["git", "worktree", "remove", "--force", str(scratch)], repo_dir)
    return figures


def _fused_search(repo_dir: Path, runs: int, grep: Callable[[], None]) -> dict[str, Any]:
    """`search` per call with ``search = "fused"``, in a session of its own: its first
    call in this copy (no vectors kept: the model loaded and every file embedded, the
    cost the extra's first search in a clone pays), then per call against the same
    grep, then the first call of a second session (the vectors read back)."""
    from agentgit.corpus.index import CorpusIndex
    from agentgit.landscape import embedded

    queries = iter(SEARCH_QUERIES * runs * 4)
    turns = iter(range(1, 100_000))
    with opened_session(repo_dir, "bench fused search", "fused") as (repo, _, _, toolbox):
        first = timed(lambda: call(toolbox, "search", next(turns), query=next(queries)))
        a, b = paired(
            runs * 2, lambda: call(toolbox, "search", next(turns), query=next(queries)), grep
        )
    with opened_session(repo_dir, "bench fused search, kept", "fused") as (_, _, _, toolbox):
        kept = timed(lambda: call(toolbox, "search", 1, query=next(queries)))
    index = CorpusIndex.of(repo)
    try:
        count = "SELECT count(*) FROM derived WHERE kind = ?"
        vectors = index.db.execute(count, (embedded.KIND,)).fetchone()[0]
    finally:
        index.close()
    return figure(
        "search",
        "`search`, per call, fused with embeddings",
        a,
        b,
        "`git grep -l -i -F -e <term>… -- corpus`",
        first_call_embedding_every_file_s=first,
        first_call_vectors_kept_s=kept,
        vectors_kept=vectors,
    )


def _history(repo_dir: Path, toolbox: Any, turns: Iterator[int], runs: int) -> list[dict[str, Any]]:
    """The `history` tool on three kinds of path, against the same question put to git
    (the log of main and the archived sessions, limited to the path, with patches)."""
    pieces = run(["git", "ls-tree", "--name-only", "main", "corpus/pieces/"], repo_dir).stdout
    slugs = [p.rsplit("/", 1)[-1][:-3] for p in pieces.split() if p.endswith(".md")]
    logs = run(["git", "ls-tree", "--name-only", "main", "corpus/log/"], repo_dir).stdout
    entries = sorted(p.removeprefix("corpus/") for p in logs.split() if p.endswith(".md"))
    paths = {
        "a revised piece": f"pieces/{_revised_piece(repo_dir, slugs)}.md",
        "an old log entry": entries[len(entries) // 2],
        "a recent log entry": entries[-3],
    }
    figures = []
    for kind, path in paths.items():
        git_cmd = [
            "git",
            "log",
            "-p",
            "--no-color",
            "-n20",
            "--format=commit %h %cs %s",
            "main",
            "--glob=refs/agentgit/sessions/*",
            "--",
            f"corpus/{path}",
        ]
        a, b = paired(
            runs,
            lambda: call(toolbox, "history", next(turns), path=path),  # noqa: B023
            lambda: run(git_cmd, repo_dir),  # noqa: B023
        )
        figures.append(
            figure(
                "history",
                f"`history`, per call: {kind}",
                a,
                b,
                "`git log -p -n20 main --glob=refs/agentgit/sessions/* -- <path>`",
                path=path,
            )
        )
    return figures


def _commit(
    repo_dir: Path, scratch: Path, session: Any, toolbox: Any, turns: Iterator[int], runs: int
) -> dict[str, Any]:
    """One `write_draft` (a draft written, staged and committed with its trailers)
    against writing the same file and `git add` + `git commit --no-verify` (agentgit's
    commits skip the user's pre-commit hook by design) in a plain worktree."""
    from agentgit.corpus import formats

    text = gen_corpus.Text(gen_corpus.random.Random(7), themes=8, invented=500)
    counter = iter(range(100_000))
    drafts = scratch / "corpus" / "drafts"
    drafts.mkdir(parents=True, exist_ok=True)

    def content() -> tuple[dict[str, Any], str]:
        theme = text.theme()
        meta = {"title": text.title(theme), "summary": text.sentence(theme), "tags": ["bench"]}
        return meta, text.body(theme)

    def ours() -> None:
        meta, body = content()
        call(toolbox, "write_draft", next(turns), slug=f"bench-{next(counter)}", body=body, **meta)

    def theirs() -> None:
        meta, body = content()
        meta = formats.normalise_piece_meta(meta, today=session.today, session=session.session)
        rel = f"corpus/drafts/git-{next(counter)}.md"
        (scratch / rel).write_text(formats.render_piece(meta, body), "utf-8")
        run(["git", "add", "--", rel], scratch)
        run(
            ["git", "commit", "--quiet", "--no-verify", "-F", "-"],
            scratch,
            input=f"Add {rel}\n\nBench: one more draft.\n",
        )

    a, b = paired(runs, ours, theirs)
    return figure(
        "commit",
        "one exploration commit (`write_draft`)",
        a,
        b,
        "write the file, `git add` + `git commit --no-verify`",
    )


def bench_novelty(repo_dir: Path, runs: int) -> list[dict[str, Any]]:
    """The novelty check one crystallize makes (a draft against main's pieces, in-process,
    calibration kept), against one search call on the same index; and what calibration
    costs from nothing and after one new piece on main, once."""
    import random

    from agentgit.git import Repository
    from agentgit.landscape import novelty

    repo = Repository.discover(repo_dir)
    pieces = novelty.main_pieces(repo)
    index, files = pieces.index, dict(pieces.files)
    index.update(files)  # the passages: bench_search measured building them
    index.db.execute("DELETE FROM derived")
    index.db.execute("DELETE FROM memo")
    build = timed(lambda: novelty.threshold(pieces, pieces.weights()))
    text = gen_corpus.Text(random.Random(5))
    theme = text.theme()
    new = corpus_piece(text.title(theme), text.body(theme))
    pieces.files["pieces/bench-new.md"] = repo.hash_blob(new)
    update = timed(lambda: novelty.threshold(pieces, pieces.weights()))
    drafts = [corpus_piece(text.title(theme), text.body(theme)) for _ in range(runs * 4)]
    queries = iter(SEARCH_QUERIES * runs * 4)
    check = iter(drafts)

    def ours() -> None:
        novelty.measure(pieces, {"bench-draft": next(check)})

    def theirs() -> None:
        index.search(pieces.files, next(queries), 8)

    a, b = paired(runs, ours, theirs)
    index.close()
    return [
        figure(
            "novelty",
            "the novelty check of one crystallize, one draft against main's pieces",
            a,
            b,
            "one `search` call on the same index",
            calibration_build_s=build,
            calibration_update_s=update,
            pieces=len(files),
        )
    ]


def corpus_piece(title: str, body: str) -> str:
    from agentgit.corpus import formats

    return formats.render_piece({"title": title}, body)


def session_script(repo: Path, tag: str) -> list[dict[str, Any]]:
    """A 40-turn session that reads, searches and writes, and ends by crystallizing."""
    pieces = run(["git", "ls-tree", "--name-only", "main", "corpus/pieces/"], repo).stdout
    slugs = [p.rsplit("/", 1)[-1][:-3] for p in pieces.split() if p.endswith(".md")]
    logs = run(["git", "ls-tree", "--name-only", "main", "corpus/log/"], repo).stdout
    entries = sorted(p.removeprefix("corpus/") for p in logs.split() if p.endswith(".md"))
    revised = _revised_piece(repo, slugs)
    step = max(len(slugs) // 7, 1)
    pick = [slugs[i * step % len(slugs)] for i in range(7)]
    queries = iter(
        [  # as a model writes them: some keywords, some questions
            "archive memory",
            "what the entropy of a tide means",
            "ledger trust",
            "how a river delta forms at the estuary",
            "compiler grammar",
            "why harvest and ferment go together",
            "orbit telescope",
            "what rituals are for in a festival",
            "latency of the cache",
            "attention budget",
        ]
    )
    x, y = f"bench-{tag}-x", f"bench-{tag}-y"

    def body(points: range) -> str:
        return "\n\n".join(
            f"Paragraph {i}: memory and archive meet here (point {i}). The ledger of "
            f"explorations keeps what a later session needs to orient."
            for i in points
        )

    def t(say: str, tool: str, **input: Any) -> dict[str, Any]:
        return {"text": say, "tool": tool, "input": input}

    turns = [
        t("Read the newest log entry first.", "read", path=entries[-1]),
        t("Search what the corpus says.", "search", query=next(queries)),
        t("Read a piece the search suggested.", "read", path=f"pieces/{pick[0]}.md"),
        t("Search another angle.", "search", query=next(queries)),
        t("Read a revised piece.", "read", path=f"pieces/{revised}.md"),
        t("How did it evolve?", "history", path=f"pieces/{revised}.md"),
        t("Scan the index by tag.", "list_pieces", tag="memory"),
        t("Search once more.", "search", query=next(queries), limit=5),
        t("Read a third piece.", "read", path=f"pieces/{pick[1]}.md"),
        t("Record what pulled.", "note", text="The archive pieces pull against the ledger."),
        t(
            "Draft the first claim.",
            "write_draft",
            slug=x,
            title="Ledgers of exploration",
            summary="Explorations kept as a ledger orient later sessions.",
            tags=["memory"],
            body=body(range(1, 5)),
        ),
        t("Check the wording elsewhere.", "search", query=next(queries)),
        t("Reread the draft.", "read", path=f"drafts/{x}.md"),
        t(
            "Sharpen point 1.",
            "edit_draft",
            slug=x,
            old="(point 1)",
            new="(point 1, sharpened: a ledger is read, an archive is searched)",
        ),
        t("Journal.", "note", text="Drafted the ledger claim; point 1 sharpened."),
        t("Look for counterexamples.", "search", query=next(queries)),
        t("Read a fourth piece.", "read", path=f"pieces/{pick[2]}.md"),
        t("And its history.", "history", path=f"pieces/{pick[2]}.md"),
        t("Tighten point 2.", "edit_draft", slug=x, old="(point 2)", new="(point 2, tightened)"),
        t(
            "A second, related draft.",
            "write_draft",
            slug=y,
            title="What a log entry owes",
            summary="A log entry owes the next session its open questions.",
            tags=["method"],
            body=body(range(1, 4)),
        ),
        t("Search for open questions.", "search", query=next(queries)),
        t("Read a fifth piece.", "read", path=f"pieces/{pick[3]}.md"),
        t(
            "Revise the second draft.",
            "edit_draft",
            slug=y,
            old="(point 1)",
            new="(point 1: the open questions come first)",
        ),
        t("Journal.", "note", text="Second draft started; it leans on the first."),
        t("Search the log too.", "search", query=next(queries)),
        t("Read an older log entry.", "read", path=entries[len(entries) // 2]),
        t("Its history.", "history", path=entries[len(entries) // 2]),
        t(
            "Point 3 of the first draft.",
            "edit_draft",
            slug=x,
            old="(point 3)",
            new="(point 3, with the example from the log)",
        ),
        t(
            "Point 2 of the second.",
            "edit_draft",
            slug=y,
            old="(point 2)",
            new="(point 2, shorter)",
        ),
        t("One more search.", "search", query=next(queries)),
        t("Read a sixth piece.", "read", path=f"pieces/{pick[4]}.md"),
        t("Journal.", "note", text="Both drafts hold; the first needs a cleaner opening."),
        t(
            "Rewrite the first draft whole.",
            "write_draft",
            slug=x,
            title="Ledgers of exploration",
            summary="Explorations kept as a ledger orient "
            "later sessions, and abandoned ones most of all.",
            tags=["memory", "method"],
            body=body(range(1, 6)),
        ),
        t("Polish point 4.", "edit_draft", slug=x, old="(point 4)", new="(point 4, polished)"),
        t("Last check.", "search", query=next(queries)),
        t("Reread the second draft.", "read", path=f"drafts/{y}.md"),
        t(
            "Close point 3 of the second.",
            "edit_draft",
            slug=y,
            old="(point 3)",
            new="(point 3, closed)",
        ),
        t("Journal before judging.", "note", text="Both drafts are ready to keep."),
        t("A final search for duplicates.", "search", query="ledger exploration archive"),
        t(
            "Both crystallized.",
            "crystallize",
            slugs=[x, y],
            summary="Kept two pieces on ledgers of exploration and what a log entry owes.",
            # Every run writes the same text: novelty would rightly refuse the second.
            overlap="a benchmark run's own copy",
        ),
    ]
    assert len(turns) == 40, len(turns)
    for i, turn in enumerate(turns):
        turn["usage"] = {"input_tokens": 3000 + 150 * i, "output_tokens": 200}
    return turns


def _revised_piece(repo: Path, slugs: list[str]) -> str:
    """A piece that more than one session wrote (its history has several diffs)."""
    for slug in slugs[:2000]:
        head = (repo / "corpus" / "pieces" / f"{slug}.md").read_text("utf-8")[:600]
        match = re.search(r"^sessions: \[(.*)\]$", head, re.M)
        if match and "," in match.group(1):
            return slug
    return slugs[0]


def scripted_session(
    repo: Path,
    agentgit: str,
    turns: list[dict[str, Any]],
    scripts: Path = OUT / "scripts",
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """`agentgit session --model scripted:FILE --json`, as a user runs it, with each of
    its events stamped as it arrives: seconds from the start to the first model request
    (the first `turn` event), and from the last tool call (the model's judgement) to
    the process's end: the final commit, landing on main, the note, cleaning up."""
    script = scripts / f"session-{time.time_ns()}.jsonl"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text("".join(json.dumps(t) + "\n" for t in turns), "utf-8")
    cmd = [agentgit, "session", "--model", f"scripted:{script}", "--max-turns", "45", "--json"]
    events: list[tuple[float, dict[str, Any]]] = []
    with tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=repo, env=env or ENV, stdout=subprocess.PIPE, stderr=err, text=True
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("{"):
                events.append((time.perf_counter() - start, json.loads(line)))
        code = proc.wait()
        total = time.perf_counter() - start
        err.seek(0)
        problem = err.read().strip()[-800:]
    result = next((e for _, e in events if e.get("event") == "result"), None)
    if code != 0 or result is None or result["outcome"] != "crystallized":
        raise SystemExit(f"the scripted session did not go as planned ({code}): {result} {problem}")
    first = next(t for t, e in events if e.get("event") == "turn")
    judged = max(t for t, e in events if e.get("event") == "tool")
    script.unlink()
    return {
        "seconds": total,
        "startup_s": first,
        "landing_s": total - judged,
        "turns": result["turns"],
        "session": result["session"],
    }


def worktree_round_trip(repo: Path) -> None:
    """The plain-git yardstick of a session's start and end: `git worktree add` of main
    and `git worktree remove`, where agentgit puts a session's worktree."""
    path = repo / ".git" / "agentgit" / "worktrees" / "bench-baseline"
    run(["git", "worktree", "add", "--quiet", "--detach", str(path), "main"], repo)
    run(["git", "worktree", "remove", "--force", str(path)], repo)


# Sessions run untimed before the 40-turn ones: a fresh copy's once-per-clone costs
# fall in them (the pieces' cards, main's document frequencies, the novelty calibration
# that the second keep of the same text asks for; fused: every file's vector).
SESSION_WARMUPS = 2


def bench_session(repo: Path, agentgit: str, runs: int, search: str = "bm25") -> dict[str, Any]:
    """The 40-turn session with the search named, after SESSION_WARMUPS untimed ones
    (their seconds kept): a clone in use has paid what a fresh copy pays once."""
    outcomes: list[dict[str, Any]] = []
    env = {**ENV, "AGENTGIT_SEARCH": search}

    def ours() -> float:
        turns = session_script(repo, f"{time.strftime('%H%M%S')}-{len(outcomes)}")
        outcomes.append(scripted_session(repo, agentgit, turns, env=env))
        if outcomes[-1]["turns"] != 40:
            raise SystemExit(f"the scripted session took {outcomes[-1]['turns']} turns, not 40")
        return float(outcomes[-1]["seconds"])

    untimed = [ours() for _ in range(SESSION_WARMUPS)]
    a, b = paired(runs, ours, lambda: worktree_round_trip(repo), warmup=False)
    return figure(
        "session",
        f"40-turn scripted session, end to end (`agentgit session`), {SEARCH_NAMES[search]}",
        a,
        b,
        "`git worktree add` + `git worktree remove` of main",
        search=search,
        untimed_s=untimed,
        sessions=outcomes,
    )


def short_script(tag: str) -> list[dict[str, Any]]:
    """The shortest session that lands a piece: one draft, then crystallize it."""
    slug = f"bench-start-{tag}"
    return [
        {
            "text": "Draft it.",
            "tool": "write_draft",
            "input": {
                "slug": slug,
                "title": "A benchmark piece",
                "summary": "What the start-up benchmark keeps.",
                "tags": ["bench"],
                "body": "One paragraph, so that the session has something to land.",
            },
        },
        {
            "text": "Keep it.",
            "tool": "crystallize",
            "input": {
                "slugs": [slug],
                "summary": "Kept the benchmark piece.",
                # Each run keeps the same text: novelty would rightly refuse the second.
                "overlap": "a benchmark run's own copy",
            },
        },
    ]


def _startup_runs(repo: Path, agentgit: str, runs: int) -> dict[str, list[float]]:
    rows: list[dict[str, Any]] = []

    def ours() -> float:
        rows.append(scripted_session(repo, agentgit, short_script(f"{time.time_ns()}")))
        return float(rows[-1]["seconds"])

    _, git_s = paired(runs, ours, lambda: worktree_round_trip(repo))
    rows = rows[1:]  # not the warm-up's
    return {
        "startup": [r["startup_s"] for r in rows],
        "landing": [r["landing_s"] for r in rows],
        "warm_keep": [r["seconds"] for r in rows],
        "git": git_s,
    }


def bench_startup(place: Place, agentgit: str, runs: int) -> list[dict[str, Any]]:
    """Start-up (the command's start to the first model request) and landing (the
    model's judgement to the command's end) at 10 and at 10,000 pieces: what a session
    pays for the size of the corpus, whatever it changes."""
    figures = []
    measured = {
        "10": _startup_runs(place.small, agentgit, runs),
        "10,000": _startup_runs(place.big, agentgit, runs),
    }
    for key, what in (
        ("startup", "start-up to the first model request"),
        ("landing", "landing"),
        ("warm_keep", "a keep in a used clone, end to end"),
    ):
        small, big = measured["10"], measured["10,000"]
        for size, m in measured.items():
            figures.append(
                figure(
                    key,
                    f"{what}, {size} pieces",
                    m[key],
                    m["git"],
                    "`git worktree add` + `remove` of main",
                    goal=False,
                )
            )
        overhead = statistics.median(big[key]) - statistics.median(small[key])
        bound = GOALS[key][1]
        figures[-1].update(
            overhead_s=overhead,
            goal=f"≤ {bound:g} s more than at 10",
            met=overhead <= bound,
        )
    return figures


def session_breakdown(repo_dir: Path, search: str = "bm25") -> dict[str, dict[str, float]]:
    """Where a session's time goes: the same 40-turn script, tool by tool, in-process."""
    from agentgit.agent.ending import SessionEnd

    spent: dict[str, dict[str, float]] = {}
    with opened_session(repo_dir, f"bench breakdown, {search}", search) as (_, _, _, toolbox):
        for turn, step in enumerate(session_script(repo_dir, f"{time.strftime('%H%M%S')}-b"), 1):
            toolbox.turn = turn
            start = time.perf_counter()
            try:
                result = toolbox.call(step["tool"], step["input"], step["text"], f"b-{turn}")
            except SessionEnd:
                break
            row = spent.setdefault(step["tool"], {"calls": 0, "seconds": 0.0})
            row["calls"] += 1
            row["seconds"] += time.perf_counter() - start
            if result.is_error:
                raise SystemExit(f"breakdown: {step['tool']} failed: {result.text[:300]}")
    return spent


def bench_hook(repo: Path, agentgit: str, runs: int) -> dict[str, Any]:
    env = {**ENV, "PATH": f"{Path(agentgit).parent}{os.pathsep}{ENV['PATH']}"}
    pieces = run(["git", "ls-tree", "--name-only", "main", "corpus/pieces/"], repo).stdout
    rel = next(p for p in pieces.split() if p.endswith(".md"))
    path = repo / rel
    original = path.read_text("utf-8")
    path.write_text(original.rstrip() + "\n\nOne more line, staged by the benchmark.\n", "utf-8")
    run(["git", "add", "--", rel], repo)
    try:
        a, b = paired(
            runs,
            lambda: run(["sh", "hooks/pre-commit"], repo, env),
            lambda: run(["git", "diff", "--cached", "--name-only"], repo),
        )
    finally:
        run(["git", "reset", "--quiet", "--", rel], repo)
        path.write_text(original, "utf-8")
    return figure(
        "hook",
        "pre-commit hook (`agentgit check --staged`), one piece staged",
        a,
        b,
        "`git diff --cached --name-only`",
    )


def import_check(repo: Path) -> dict[str, Any]:
    """`python -X importtime -m agentgit CMD`: which modules each command loads."""
    report: dict[str, Any] = {}
    for name, args in (
        ("--version", ["--version"]),
        ("log", ["log", "-n", "1"]),
        ("show", ["show", "1"]),
        ("check --staged", ["check", "--staged"]),
    ):
        proc = run([sys.executable, "-X", "importtime", "-m", "agentgit", *args], repo)
        modules = []
        for line in proc.stderr.splitlines():
            match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
            if match:
                modules.append((match.group(4), int(match.group(2)), len(match.group(3))))
        top = sorted((m for m in modules if m[2] == 1), key=lambda m: -m[1])
        report[name] = {
            "modules": len(modules),
            "anthropic": any(m[0] == "anthropic" or m[0].startswith("anthropic.") for m in modules),
            "heavy": sorted(
                {h for h in HEAVY for m in modules if m[0] == h or m[0].startswith(f"{h}.")}
            ),
            "import_ms": round(sum(m[1] for m in top) / 1000, 1),
            "heaviest": [(m[0], round(m[1] / 1000, 1)) for m in top[:6]],
        }
    return report


# --- report ----------------------------------------------------------------------------


def table(by_place: dict[str, list[dict[str, Any]]]) -> str:
    """One row a measure, a column group a place: agentgit, git, ratio (or overhead)."""
    names = list(by_place)
    head = "| measure | " + " | ".join(f"{n}: agentgit | git | ratio" for n in names)
    rows = [
        head + " | goal | met |",
        "|---|" + "---:|---:|---:|" * len(names) + "---|:---:|",
    ]
    labels = list(dict.fromkeys(f["label"] for fs in by_place.values() for f in fs))
    for label in labels:
        cells, goals, met = [], "", []
        for name in names:
            f = next((f for f in by_place[name] if f["label"] == label), None)
            if f is None:
                cells.append("| | ")
                continue
            extra = f" (+{_s(f['overhead_s'])})" if "overhead_s" in f else ""
            cells.append(f"{_s(f['agentgit_s'])}{extra} | {_s(f['git_s'])} | {f['ratio']:.2f}×")
            goals = f["goal"] or goals
            if f["met"] is not None:
                met.append(f"{name} {'yes' if f['met'] else '**no**'}")
        rows.append(f"| {label} | " + " | ".join(cells) + f" | {goals} | {', '.join(met)} |")
    return "\n".join(rows)


def _s(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def machine() -> dict[str, Any]:
    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "git": git,
        "platform": platform.platform(),
        "load": os.getloadavg(),
    }


def places(args: argparse.Namespace) -> list[Place]:
    found = []
    for name, root in (("tmpfs", args.tmpfs), ("disk", args.disk)):
        if name not in args.places:
            continue
        kind = fs_type(root.parent if not root.exists() else root)
        if (name == "tmpfs") != (kind == "tmpfs"):
            sys.exit(f"--{name} {root} is on {kind}; give a directory on {name}")
        found.append(Place(name, root.resolve(), kind))
    return found


# The measures at one place, in the order they run: the sessions last, since each one
# lands on main. (name, what is printed, the measure); `--only` picks some by name.
STEPS: list[tuple[str, str, Callable[[Place, str, int, int], list[dict[str, Any]]]]] = [
    ("log", "agentgit log", lambda p, a, r, s: bench_log(p.big, a, r)),
    ("landscape", "agentgit landscape", lambda p, a, r, s: bench_landscape(p.big, a, r)),
    (
        "landscape_embedded",
        "agentgit landscape by embeddings (the optional extra, where installed)",
        lambda p, a, r, s: bench_landscape_embedded(p.big, a, r),
    ),
    (
        "map",
        "agentgit map, cold and warm, and its page in Chromium",
        lambda p, a, r, s: [
            *bench_map(p.big, a, max(s, 1)),
            bench_page(p.big.parent / f"{p.big.name}-map.html", r),
        ],
    ),
    (
        "tools",
        "search, history, exploration commit, orientation",
        lambda p, a, r, s: bench_tools(p.big, r),
    ),
    ("novelty", "novelty", lambda p, a, r, s: bench_novelty(p.big, r)),
    ("hook", "pre-commit hook", lambda p, a, r, s: [bench_hook(p.big, a, r)]),
    (
        "startup",
        "start-up, landing and a whole keep at 10 and 10,000 pieces",
        lambda p, a, r, s: bench_startup(p, a, s),
    ),
    (
        "first_keep",
        "the first keep in a fresh clone at 10 and 10,000 pieces",
        lambda p, a, r, s: bench_first_keep(p, a, s),
    ),
    (
        "session",
        "40-turn session, each search",
        lambda p, a, r, s: [bench_session(p.big, a, s, mode) for mode in search_modes()],
    ),
]


def measure(
    place: Place, agentgit: str, runs: int, session_runs: int, only: list[str] | None = None
) -> list[dict[str, Any]]:
    """Every figure at one place (or those of the steps named in ``only``)."""
    figures: list[dict[str, Any]] = []
    for name, what, step in STEPS:
        if only is None or name in only:
            print(f"  {what}…", flush=True)
            figures += step(place, agentgit, runs, session_runs)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--tmpfs",
        type=Path,
        default=Path("/dev/shm/agentgit-bench"),
        help="a directory on tmpfs: the generated corpora, and the tmpfs copies",
    )
    parser.add_argument(
        "--disk",
        type=Path,
        default=OUT / "disk",
        help="a directory on the machine's disk for the disk copies (default bench/out/disk)",
    )
    parser.add_argument("--places", nargs="+", choices=["tmpfs", "disk"], default=["tmpfs", "disk"])
    parser.add_argument("--fresh", action="store_true", help="generate the corpora again")
    parser.add_argument("--runs", type=int, default=7, help="runs of the fast measures")
    parser.add_argument(
        "--session-runs",
        type=int,
        default=3,
        help="runs of each scripted session and its yardstick",
    )
    parser.add_argument("--pieces", type=int, default=10_000)
    parser.add_argument("--sessions", type=int, default=5_000)
    parser.add_argument(
        "--only",
        nargs="+",
        choices=[name for name, _, _ in STEPS] + ["version"],
        help="measure only these (the session breakdowns and the imports always run)",
    )
    args = parser.parse_args(argv)
    agentgit = str(Path(sys.executable).with_name("agentgit"))
    if not Path(agentgit).exists():
        agentgit = shutil.which("agentgit") or sys.exit("agentgit is not installed")
    OUT.mkdir(exist_ok=True)
    import agentgit as package

    chosen = places(args)
    args.tmpfs.mkdir(parents=True, exist_ok=True)
    big = pristine(args.tmpfs, args.pieces, args.sessions, args.fresh)
    small = pristine(args.tmpfs, SMALL["pieces"], SMALL["sessions"], args.fresh)
    results: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(),
        "machine": machine(),
        "agentgit": str(Path(package.__file__).parent),
        "corpus": json.loads((big / ".git" / "bench-corpus.json").read_text("utf-8"))["stats"],
        "places": {},
    }
    by_place: dict[str, list[dict[str, Any]]] = {}
    for place in chosen:
        copied = lay(big, place.big)
        lay(small, place.small)
        print(
            f"{place.name} ({place.fs}, {place.root}): corpus copied in {copied:.1f} s; "
            f"{args.runs} runs, {args.session_runs} for the sessions",
            flush=True,
        )
        figures = measure(place, agentgit, args.runs, args.session_runs, args.only)
        by_place[place.name] = figures
        results["places"][place.name] = {
            "fs": place.fs,
            "root": str(place.root),
            "figures": figures,
        }
    if args.only is None or "version" in args.only:
        print("  agentgit --version against its start at 39ac77d…", flush=True)
        version = bench_version(args.runs * 3)
        by_place.setdefault(chosen[0].name, []).append(version)
        results["version"] = version
    print("  session breakdown (tmpfs), imports…", flush=True)
    first = chosen[0]
    breakdowns = {mode: session_breakdown(first.big, mode) for mode in search_modes()}
    imports = import_check(first.big)
    results.update(
        session_breakdown={"place": first.name, "steps": breakdowns},
        imports=imports,
        finished=datetime.now(UTC).isoformat(),
    )
    (OUT / "results.json").write_text(json.dumps(results, indent=1) + "\n", "utf-8")
    print()
    print(table(by_place))
    print()
    modes = list(breakdowns)
    print(f"Where the 40-turn session's time goes ({first.name}, in-process, one run each):")
    print()
    heads = " | ".join(f"{SEARCH_NAMES[m]}: total | per call" for m in modes)
    print(f"| step | calls | {heads} |")
    print("|---|---:|" + "---:|---:|" * len(modes))
    steps = breakdowns["bm25"]
    for tool, row in sorted(steps.items(), key=lambda kv: -kv[1]["seconds"]):
        cells = []
        for mode in modes:
            got = breakdowns[mode].get(tool, {"calls": 1, "seconds": 0.0})
            cells.append(f"{_s(got['seconds'])} | {_s(got['seconds'] / got['calls'])}")
        print(f"| `{tool}` | {row['calls']:g} | " + " | ".join(cells) + " |")
    print()
    for name, info in imports.items():
        heavy = ", ".join(f"{m} {ms:g} ms" for m, ms in info["heaviest"])
        print(
            f"- `agentgit {name}` imports {info['modules']} modules "
            f"({info['import_ms']:g} ms); anthropic: "
            f"{'**imported**' if info['anthropic'] else 'not imported'}; of "
            f"{', '.join(HEAVY)}: {', '.join(info['heavy']) or 'none'}; heaviest: {heavy}"
        )
    if imports["log"]["anthropic"]:
        print("FAIL: `agentgit log` imports anthropic", file=sys.stderr)
        return 1
    if imports["--version"]["heavy"]:
        heavy = ", ".join(imports["--version"]["heavy"])
        print(f"FAIL: `agentgit --version` imports {heavy}", file=sys.stderr)
        return 1
    missed = [f for fs in by_place.values() for f in fs if f["met"] is False]
    return 2 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
