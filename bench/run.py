#!/usr/bin/env python3
"""Benchmark agentgit on a large corpus, each figure as a ratio against plain git.

    .venv/bin/python bench/run.py [--corpus DIR] [--fresh] [--runs N] [--session-runs N]

It works on a corpus repository of 10,000 pieces and 5,000 sessions made by
bench/gen_corpus.py (in bench/out/corpus unless --corpus says where), generating it
first when it is missing, was made with other parameters, or --fresh is given.
Every measurement times agentgit and the plain git operation it is compared with in
the same run, on the same repository, alternating the two, and reports medians. It
prints a markdown table and writes every raw timing to bench/out/results.json.

The repository is used, not just read: each run adds a few sessions to it (the
scripted sessions land on main; the exploration-commit measurement abandons its
session). That barely moves the figures; --fresh starts from the generated state.
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
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))

import gen_corpus  # noqa: E402  (bench/ is not a package)

GOALS = {
    "log": ("ratio", 3.0),
    "commit": ("ratio", 1.5),
    "orientation": ("seconds", 1.0),
    "session": ("seconds", 10.0),
    "hook": ("seconds", 0.3),
    "search": ("seconds", 0.05),
}
GIT_LOG_FORMAT = "--format=%H%x1f%P%x1f%cI%x1f%s%x1f%b%x1f%(trailers:only,unfold)%x1e"


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
    proc = subprocess.run(args, cwd=cwd, env=env, input=input, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise SystemExit(
            f"{' '.join(args[:4])}… failed ({proc.returncode}): "
            f"{(proc.stderr or proc.stdout).strip()[-800:]}"
        )
    return proc


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
    key: str, label: str, ours: list[float], theirs: list[float], baseline: str, **extra: Any
) -> dict[str, Any]:
    a, b = statistics.median(ours), statistics.median(theirs)
    kind, goal = GOALS[key]
    value = a / b if kind == "ratio" else a
    return {
        "key": key,
        "label": label,
        "agentgit_s": a,
        "git_s": b,
        "ratio": a / b,
        "baseline": baseline,
        "goal": f"≤ {goal:g}×" if kind == "ratio" else f"< {goal:g} s",
        "met": value <= goal if kind == "ratio" else value < goal,
        "runs": len(ours),
        "agentgit_runs": ours,
        "git_runs": theirs,
        **extra,
    }


# --- the measurements -----------------------------------------------------------------


def bench_log(repo: Path, agentgit: str, runs: int) -> dict[str, Any]:
    ours_cmd = [agentgit, "log", "--json"]
    git_cmd = ["git", "log", "--first-parent", "--grep=^Agentgit-Session: ", GIT_LOG_FORMAT, "main"]
    lines = run(ours_cmd, repo).stdout.count("\n") + 1
    a, b = paired(runs, lambda: run(ours_cmd, repo), lambda: run(git_cmd, repo))
    return figure(
        "log",
        "`agentgit log --json` (CLI, all sessions)",
        a,
        b,
        "`git log --first-parent --grep=… --format=<fields, trailers> main`",
        sessions_listed=lines,
    )


def bench_commit_and_orientation(repo_dir: Path, runs: int) -> list[dict[str, Any]]:
    from agentgit import corpus, lifecycle
    from agentgit.repo import Repository
    from agentgit.settings import Settings

    repo = Repository.discover(repo_dir)
    settings = Settings(model="scripted")
    session = lifecycle.start(
        repo, settings, topic="bench exploration commit", model_name="scripted"
    )
    drafts = session.corpus_dir / "drafts"
    drafts.mkdir(parents=True, exist_ok=True)
    text = gen_corpus.Text(gen_corpus.random.Random(7), themes=8, invented=500)
    env = {**os.environ, **repo.identity_env()}
    counter = iter(range(10_000))

    def draft(prefix: str) -> Path:
        n = next(counter)
        theme = text.theme()
        meta = corpus.normalise_piece_meta(
            {"title": text.title(theme), "summary": text.sentence(theme), "tags": ["bench"]},
            today=session.today,
            session=session.session,
        )
        path = drafts / f"{prefix}-{n}.md"
        path.write_text(corpus.render_piece(meta, text.body(theme)), "utf-8")
        return path

    def ours() -> float:
        draft("agentgit")  # what write_draft writes, untimed
        return timed(
            lambda: session.commit_step("write_draft", "Bench: one more draft.", next(counter))
        )

    def theirs() -> float:
        path = draft("git")
        rel = str(path.relative_to(session.worktree))
        message = f"Add {rel}\n\nBench: one more draft.\n"

        def commit() -> None:
            run(["git", "add", "--", rel], session.worktree, env)
            run(
                ["git", "commit", "--quiet", "--no-verify", "-F", "-"],
                session.worktree,
                env,
                input=message,
            )

        return timed(commit)

    a, b = paired(runs, ours, theirs)
    results = [
        figure(
            "commit",
            "one exploration commit (in-process `commit_step`)",
            a,
            b,
            "`git add <file>` + `git commit --no-verify` in the same worktree",
        )
    ]

    def orient() -> None:
        holder["text"], holder["problems"] = lifecycle.orientation(session, settings)

    holder: dict[str, Any] = {}
    a, b = paired(runs, orient, lambda: run(["git", "ls-files", "corpus"], session.worktree))
    size = len(holder["text"])
    results.append(
        figure(
            "orientation",
            "orientation (in-process `build_orientation`)",
            a,
            b,
            "`git ls-files corpus` in the session worktree",
            chars=size,
            bound=settings.orient_max_chars,
            within_bound=size <= settings.orient_max_chars,
            problems=len(holder["problems"]),
        )
    )
    results[-1]["met"] = results[-1]["met"] and size <= settings.orient_max_chars
    lifecycle.abandon(repo, session.session, "benchmark done", settings)
    return results


SEARCH_QUERIES = [
    "archive memory",
    "what the entropy of a tide means",
    "ledger trust",
    "how a river delta forms at the estuary",
    "compiler grammar",
    "why harvest and ferment go together",
    "orbit telescope",
]


def bench_search(repo_dir: Path, runs: int) -> list[dict[str, Any]]:
    """The search tool on the whole corpus, per call, through the index (in-process, as
    a session calls it), against the `git grep -l` a search needed before the index;
    and what building and updating the index cost, once."""
    from agentgit.index import CorpusIndex, index_path
    from agentgit.repo import Repository
    from agentgit.search import query_terms

    repo = Repository.discover(repo_dir)
    path = index_path(repo.state_dir)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    files = {
        p.removeprefix("corpus/"): sha
        for p, sha in repo.tree_files(
            "main", "corpus/pieces", "corpus/log", "corpus/drafts"
        ).items()
    }
    index = CorpusIndex(path, repo.read_blobs)
    build = timed(lambda: index.update(files))
    changed = dict(files)
    changed["drafts/bench-new.md"] = repo.hash_blob("---\ntitle: New\n---\n\nA new draft.\n")
    update = timed(lambda: index.update(changed))
    queries = iter(SEARCH_QUERIES * runs * 4)

    def ours() -> None:
        index.search(changed, next(queries), 8)

    def theirs() -> None:
        terms = query_terms(next(queries))
        run(
            [
                "git",
                "grep",
                "-l",
                "-i",
                "-F",
                *(a for t in terms for a in ("-e", t)),
                "--",
                "corpus",
            ],
            repo_dir,
            check=False,
        )

    a, b = paired(runs * 2, ours, theirs)
    index.close()
    return [
        figure(
            "search",
            "one `search` call on the whole corpus (in-process, indexed)",
            a,
            b,
            "`git grep -l -i -F -e <term>… -- corpus` (the old prefilter alone)",
            index_build_s=build,
            index_update_s=update,
            indexed_files=len(files),
        )
    ]


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


def bench_session(repo: Path, agentgit: str, runs: int) -> dict[str, Any]:
    OUT.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%H%M%S")
    outcomes: list[dict[str, Any]] = []

    def ours() -> float:
        script = OUT / f"session-{len(outcomes) + 1}.jsonl"
        turns = session_script(repo, f"{stamp}-{len(outcomes)}")
        script.write_text("".join(json.dumps(t) + "\n" for t in turns), "utf-8")
        cmd = [agentgit, "session", "--model", f"scripted:{script}", "--max-turns", "45", "--json"]
        start = time.perf_counter()
        proc = run(cmd, repo)
        elapsed = time.perf_counter() - start
        result = next(
            json.loads(line)
            for line in proc.stdout.splitlines()
            if line.startswith("{") and '"event": "result"' in line
        )
        outcomes.append(
            {
                "seconds": elapsed,
                "outcome": result["outcome"],
                "turns": result["turns"],
                "pieces": result["pieces"],
            }
        )
        if result["outcome"] != "crystallized" or result["turns"] != 40:
            raise SystemExit(f"the scripted session did not go as planned: {result}")
        return elapsed

    def theirs() -> None:
        # Where agentgit puts a session's worktree: inside the git dir, same filesystem.
        path = repo / ".git" / "agentgit" / "worktrees" / "bench-baseline"
        run(["git", "worktree", "add", "--quiet", "--detach", str(path), "main"], repo)
        run(["git", "worktree", "remove", "--force", str(path)], repo)

    a, b = paired(runs, ours, theirs, warmup=False)
    return figure(
        "session",
        "40-turn scripted session, end to end (CLI)",
        a,
        b,
        "`git worktree add` + `git worktree remove` of main",
        sessions=outcomes,
    )


def session_breakdown(repo_dir: Path) -> dict[str, dict[str, float]]:
    """Where a session's time goes: the same 40-turn script, tool by tool, in-process."""
    from agentgit import lifecycle
    from agentgit.repo import Repository
    from agentgit.settings import Settings
    from agentgit.tools import SessionEnd, Toolbox

    repo = Repository.discover(repo_dir)
    settings = Settings(model="scripted")
    start = time.perf_counter()
    session = lifecycle.start(repo, settings, topic=None, model_name="scripted")
    spent: dict[str, dict[str, float]] = {
        "start (worktree add)": {"calls": 1, "seconds": time.perf_counter() - start}
    }
    toolbox = Toolbox.for_settings(session, settings)
    stamp = datetime.now(UTC).strftime("%H%M%S")
    try:
        for turn, step in enumerate(session_script(repo_dir, f"{stamp}-b"), 1):
            toolbox.turn = turn
            start = time.perf_counter()
            try:
                result = toolbox.call(step["tool"], step["input"], step["text"])
            except SessionEnd:
                break
            row = spent.setdefault(step["tool"], {"calls": 0, "seconds": 0.0})
            row["calls"] += 1
            row["seconds"] += time.perf_counter() - start
            if result.is_error:
                raise SystemExit(f"breakdown: {step['tool']} failed: {result.text[:300]}")
    finally:
        lifecycle.abandon(repo, session.session, "benchmark breakdown done", settings)
    return spent


def bench_hook(repo: Path, agentgit: str, runs: int) -> dict[str, Any]:
    env = {**os.environ, "PATH": f"{Path(agentgit).parent}{os.pathsep}{os.environ['PATH']}"}
    pieces = run(["git", "ls-tree", "--name-only", "main", "corpus/pieces/"], repo).stdout
    rel = next(p for p in pieces.split() if p.endswith(".md"))
    path = repo / rel
    original = path.read_text("utf-8")
    path.write_text(original.rstrip() + "\n\nOne more line, staged by the benchmark.\n", "utf-8")
    run(["git", "add", "--", rel], repo)
    try:
        hook = ["sh", "hooks/pre-commit"]
        staged = run([agentgit, "check", "--staged"], repo, env)
        a, b = paired(
            runs,
            lambda: run(hook, repo, env),
            lambda: run(["git", "diff", "--cached", "--name-only"], repo),
        )
        bare = [timed(lambda: run([agentgit, "check", "--staged"], repo, env)) for _ in range(runs)]
    finally:
        run(["git", "reset", "--quiet", "--", rel], repo)
        path.write_text(original, "utf-8")
    return figure(
        "hook",
        "pre-commit hook (`agentgit check --staged`), one piece staged",
        a,
        b,
        "`git diff --cached --name-only`",
        staged_output=staged.stdout,
        check_staged_alone_s=statistics.median(bare),
    )


def import_check(repo: Path) -> dict[str, Any]:
    """`python -X importtime -m agentgit CMD`: which modules each command loads."""
    report: dict[str, Any] = {}
    for name, args in (
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
            "import_ms": round(sum(m[1] for m in top) / 1000, 1),
            "heaviest": [(m[0], round(m[1] / 1000, 1)) for m in top[:6]],
        }
    return report


# --- report ----------------------------------------------------------------------------


def table(figures: list[dict[str, Any]]) -> str:
    rows = [
        "| measure | agentgit | plain git (baseline) | ratio | goal | met |",
        "|---|---:|---:|---:|---|:---:|",
    ]
    for f in figures:
        extra = ""
        if f["key"] == "orientation":
            extra = f" — {f['chars']:,} chars (bound {f['bound']:,})"
        if f["key"] == "search":
            extra = (
                f" — index of {f['indexed_files']:,} files built in "
                f"{_s(f['index_build_s'])}, updated for one new file in "
                f"{_s(f['index_update_s'])}"
            )
        rows.append(
            f"| {f['label']}{extra} | {_s(f['agentgit_s'])} | {_s(f['git_s'])} "
            f"{f['baseline']} | {f['ratio']:.2f}× | {f['goal']} | "
            f"{'yes' if f['met'] else '**no**'} |"
        )
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--corpus",
        type=Path,
        default=OUT / "corpus",
        help="where the generated corpus repository lives (default: "
        "bench/out/corpus); generated when missing",
    )
    parser.add_argument("--fresh", action="store_true", help="regenerate it even if it exists")
    parser.add_argument(
        "--bloom",
        action="store_true",
        help="give the corpus a commit-graph with changed-path Bloom filters "
        "(`git commit-graph write --reachable --changed-paths`), which git "
        "does not write by default; path-limited `git log` (the history "
        "tool) gets much faster",
    )
    parser.add_argument("--runs", type=int, default=7, help="runs of the fast measures")
    parser.add_argument(
        "--session-runs",
        type=int,
        default=3,
        help="runs of the 40-turn session and of its baseline",
    )
    parser.add_argument("--pieces", type=int, default=10_000)
    parser.add_argument("--sessions", type=int, default=5_000)
    args = parser.parse_args(argv)
    agentgit = str(Path(sys.executable).with_name("agentgit"))
    if not Path(agentgit).exists():
        agentgit = shutil.which("agentgit") or sys.exit("agentgit is not installed")
    OUT.mkdir(exist_ok=True)
    import agentgit as package

    results: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(),
        "machine": machine(),
        "agentgit": str(Path(package.__file__).parent),
    }
    repo = args.corpus.resolve()
    stamp = repo / ".git" / "bench-corpus.json"
    wanted = {"pieces": args.pieces, "sessions": args.sessions, "seed": 1, "bloom": args.bloom}
    try:
        made = json.loads(stamp.read_text("utf-8"))
    except (OSError, ValueError):
        made = {}
    if repo.exists() and any(repo.iterdir()) and not made:
        sys.exit(f"{repo}: exists and was not made by bench/gen_corpus.py; give another --corpus")
    if args.fresh or made.get("params") != wanted:
        if repo.exists():
            shutil.rmtree(repo)
        made = {
            "params": wanted,
            "stats": gen_corpus.generate(repo, args.pieces, args.sessions, seed=1),
        }
        if args.bloom:
            run(["git", "commit-graph", "write", "--reachable", "--changed-paths"], repo)
        stamp.write_text(json.dumps(made, indent=1) + "\n", "utf-8")
    else:
        print(f"reusing {repo} (generated earlier; --fresh regenerates it)")
    results["corpus"] = made["stats"]
    print(
        f"benchmarking {results['agentgit']} on {repo} ({args.runs} runs, "
        f"{args.session_runs} for the session)",
        flush=True,
    )
    figures = []
    for label, step in (
        ("agentgit log", lambda: [bench_log(repo, agentgit, args.runs)]),
        ("exploration commit, orientation", lambda: bench_commit_and_orientation(repo, args.runs)),
        ("search", lambda: bench_search(repo, args.runs)),
        ("40-turn session", lambda: [bench_session(repo, agentgit, args.session_runs)]),
        ("pre-commit hook", lambda: [bench_hook(repo, agentgit, args.runs)]),
    ):
        print(f"  {label}…", flush=True)
        figures += step()
    print("  session breakdown, imports…", flush=True)
    breakdown = session_breakdown(repo)
    imports = import_check(repo)
    results.update(
        figures=figures,
        session_breakdown=breakdown,
        imports=imports,
        finished=datetime.now(UTC).isoformat(),
    )
    (OUT / "results.json").write_text(json.dumps(results, indent=1) + "\n", "utf-8")
    print()
    print(table(figures))
    print()
    print("Where the 40-turn session's time goes (the same script, in-process, one run):")
    print()
    print("| step | calls | total | per call |")
    print("|---|---:|---:|---:|")
    for tool, row in sorted(breakdown.items(), key=lambda kv: -kv[1]["seconds"]):
        print(
            f"| {tool} | {row['calls']:g} | {_s(row['seconds'])} | "
            f"{_s(row['seconds'] / row['calls'])} |"
        )
    print()
    for name, info in imports.items():
        heavy = ", ".join(f"{m} {ms:g} ms" for m, ms in info["heaviest"])
        print(
            f"- `agentgit {name}` imports {info['modules']} modules "
            f"({info['import_ms']:g} ms); anthropic: "
            f"{'**imported**' if info['anthropic'] else 'not imported'}; heaviest: {heavy}"
        )
    if imports["log"]["anthropic"]:
        print("FAIL: `agentgit log` imports anthropic", file=sys.stderr)
        return 1
    return 0 if all(f["met"] for f in figures) else 2


if __name__ == "__main__":
    sys.exit(main())
