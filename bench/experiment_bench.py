#!/usr/bin/env python3
"""Benchmark the experiment judge (DESIGN §10, issue 19) against the bare command and
plain git, measured in the same run.

    .venv/bin/python bench/experiment_bench.py [--history 1000] [--listed 10000] [--runs 20]

1. **The judge's own cost per run.** A repository whose history holds `--history` runs
   (sessions of 100 runs each: the kept ones on the session's archive, the others each
   on its own refs/agentgit/runs/ ref, as a night leaves them) gets one more experiment
   session, through the public entry points (`agentgit.lifecycle.start`, the session's
   tool box, its judge). Each run is `run_experiment` on a tree edited by `write_file`,
   half of them kept and half discarded (a discard is restored), against the bare
   command on the same worktree, alternated. The judge's cost is the median of the
   run-by-run differences: the commit, the note, the checks, the restore. Goal: at most
   +0.3 s.
2. **`agentgit experiments --tsv` over `--listed` runs**, the command as a subprocess,
   against the one `git log` that reads them all: with its cache (the runs as last
   read, kept while no ref they came from is gone; goal: under 1 s), and without.

The histories are written by `git fast-import` on tmpfs (`--dir`), in the shapes the
judge leaves: each run a commit with its trailers, each session's archive and run refs.
It prints a markdown table and writes the raw timings to bench/out/experiment.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RUNS_PER_SESSION = 100
KEPT_EVERY = 5  # one run in five kept: a night is mostly discards
DATE = 1_765_000_000
IDENTITY = "Bench <bench@example.invalid>"
OUT = Path(__file__).resolve().parent / "out"
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV.update(
    GIT_AUTHOR_NAME="Bench",
    GIT_AUTHOR_EMAIL="bench@example.invalid",
    GIT_COMMITTER_NAME="Bench",
    GIT_COMMITTER_EMAIL="bench@example.invalid",
)
# The bench's own `git` processes (the setup and the yardstick); agentgit's run its own.
os.environ.update({k: v for k, v in ENV.items() if k.startswith("GIT_")})


def git(repo: Path, *args: str, input: bytes | None = None) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, input=input, capture_output=True, env=ENV)
    if proc.returncode != 0:
        raise SystemExit(f"git {' '.join(args[:3])} failed: {proc.stderr.decode()[-600:]}")
    return proc.stdout.decode()


def toy_repo(path: Path) -> Path:
    """An agentgit corpus with the toy of `demo --metric` (agentgit/experiment/toy.py),
    its bound a minute so a loaded machine cannot turn a run into a timeout."""
    from agentgit.corpus.skeleton import init
    from agentgit.experiment import toy
    from agentgit.git import Repository

    if path.exists():
        shutil.rmtree(path)
    init(path)
    files = {
        "train.py": toy.TRAIN,
        "evaluate.py": toy.EVALUATE,
        "agentgit.toml": toy.TOML.format(python=shlex.quote(sys.executable)).replace(
            "run_minutes = 0.02", "run_minutes = 1"
        ),
    }
    for name, text in files.items():
        (path / name).write_text(text, "utf-8")
    Repository.discover(path).commit_paths(list(files), lambda staged: "The toy\n")
    return path


def add_history(repo: Path, runs: int) -> int:
    """`runs` experiment runs in sessions of RUNS_PER_SESSION, by one fast-import; the
    number of sessions written."""
    from agentgit.core import refs
    from agentgit.core.trailers import Trailer

    main = git(repo, "rev-parse", "main").strip()
    sessions = -(-runs // RUNS_PER_SESSION)
    out: list[bytes] = []
    mark = 0
    left = runs
    for s in range(1, sessions + 1):
        sid = refs.session_id(s)
        tip = main
        for n in range(1, min(RUNS_PER_SESSION, left) + 1):
            mark += 1
            kept = n % KEPT_EVERY == 0
            status = "keep" if kept else "discard"
            value = 16.0 - s * 0.01 - n * 0.0001
            message = (
                f"Experiment {n}: hypothesis {n} of session {sid}, one idea in a line\n\n"
                f"{Trailer.SESSION}: {sid}\n{Trailer.TURN}: {2 * n}\n"
                f"{Trailer.TOOL}: run_experiment\n{Trailer.EXPERIMENT}: {n}\n"
                f"{Trailer.METRIC}: loss={value!r}\n{Trailer.STATUS}: {status}\n"
                f"{Trailer.SECONDS}: 300.00\n{Trailer.CODE}: {s:08x}{n:08x}\n"
            ).encode()
            train = f"X = {3 + s / 1000 + n / 1e6}\n".encode()
            ref = refs.archive(s) if kept else refs.run_archive(s, n)
            out += [
                f"blob\nmark :{2 * mark - 1}\ndata {len(train)}\n".encode(),
                train,
                f"\ncommit {ref}\nmark :{2 * mark}\n".encode(),
                f"committer {IDENTITY} {DATE + mark} +0000\n".encode(),
                f"data {len(message)}\n".encode(),
                message,
                f"from {tip}\nM 100644 :{2 * mark - 1} train.py\n\n".encode(),
            ]
            if kept:
                tip = f":{2 * mark}"
        left -= RUNS_PER_SESSION
        if tip == main:  # a session with no keep still has its archive
            out.append(f"reset {refs.archive(s)}\nfrom {main}\n\n".encode())
    git(repo, "fast-import", "--quiet", input=b"".join(out))
    git(repo, "gc", "--quiet")
    return sessions


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# -- 1. the judge's own cost ------------------------------------------------------------


def bench_judge(repo_dir: Path, runs: int) -> dict[str, Any]:
    from agentgit import lifecycle
    from agentgit.agent.experiment_tools import ExperimentToolbox
    from agentgit.core.settings import load
    from agentgit.experiment import results
    from agentgit.git import Repository
    from agentgit.lifecycle import experiment

    repo = Repository.discover(repo_dir)
    history = len(results.runs(repo))
    settings = load(repo_dir, {"model": "scripted", "max_minutes": 600}, env={})
    assert settings.metric is not None
    session = lifecycle.start(repo, settings, topic="bench the judge", model_name="scripted")
    lab = experiment.lab_for(repo, session, settings, None)
    lab.measure_baseline()
    box = ExperimentToolbox.for_lab(session, settings, lab)
    command = settings.metric.command

    def bare() -> None:
        subprocess.run(command, shell=True, cwd=lab.worktree, capture_output=True, check=True)

    judged: list[float] = []
    plain: list[float] = []
    statuses: list[str] = []
    bare()  # a warm-up of each
    for i in range(runs):
        # Even runs move X toward 7 (a keep); odd ones far off (a discard, restored).
        x = 3 + (i + 2) / 1000 if i % 2 == 0 else -100 - i
        box.turn = 2 * i + 1
        wrote = box.call("write_file", {"path": "train.py", "content": f"X = {x}\n"}, "", f"w{i}")
        if wrote.is_error:
            raise SystemExit(f"write_file failed: {wrote.text[:300]}")
        if i % 2:
            plain.append(timed(bare))
        start = time.perf_counter()
        answer = lab.run(f"X = {x}", "Bench.", 2 * i + 2, f"r{i}")
        judged.append(time.perf_counter() - start)
        if i % 2 == 0:
            plain.append(timed(bare))
        statuses.append(str(answer.status))
    lifecycle.abandon(repo, session.session, "benchmark: the judge, done", settings)
    cost = [a - b for a, b in zip(judged, plain, strict=True)]
    return {
        "history_runs": history,
        "statuses": {s: statuses.count(s) for s in sorted(set(statuses))},
        "judged": judged,
        "bare": plain,
        "judge_cost": statistics.median(cost),
        "judge_cost_keep": statistics.median(cost[0::2]),
        "judge_cost_discard": statistics.median(cost[1::2]),
        "goal_seconds": 0.3,
    }


# -- 2. experiments --tsv ------------------------------------------------------------------


def bench_tsv(repo_dir: Path, runs: int) -> dict[str, Any]:
    from agentgit.core import refs
    from agentgit.core.trailers import Trailer

    agentgit = [sys.executable, "-m", "agentgit", "experiments", "--tsv"]
    plain = [
        "git",
        "log",
        "main",
        *(f"--glob={p}" for p in (refs.BRANCHES, refs.ARCHIVE, refs.RUNS)),
        f"--grep=^{Trailer.EXPERIMENT}: ",
        "--format=%H%x09%s%x09%(trailers)",
    ]

    def ours() -> None:
        subprocess.run(agentgit, cwd=repo_dir, env=ENV, capture_output=True, check=True)

    def theirs() -> None:
        subprocess.run(plain, cwd=repo_dir, env=ENV, capture_output=True, check=True)

    cache = repo_dir / ".git" / "agentgit" / "runs.json"

    def cold() -> None:  # a fresh clone's first call, or one after a ref was deleted
        cache.unlink(missing_ok=True)
        ours()

    lines = subprocess.run(
        agentgit, cwd=repo_dir, env=ENV, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    theirs()
    a: list[float] = []
    b: list[float] = []
    for i in range(runs):
        pair = (theirs, ours) if i % 2 else (ours, theirs)
        for fn in pair:
            (a if fn is ours else b).append(timed(fn))
    c: list[float] = []
    d: list[float] = []
    for i in range(runs):
        pair = (theirs, cold) if i % 2 else (cold, theirs)
        for fn in pair:
            (c if fn is cold else d).append(timed(fn))
    return {
        "rows": len(lines) - 1,
        "cold": c,
        "cold_git": d,
        "cold_median": statistics.median(c),
        "cold_ratio": statistics.median(x / y for x, y in zip(c, d, strict=True)),
        "agentgit": a,
        "git": b,
        "median": statistics.median(a),
        "git_median": statistics.median(b),
        "ratio": statistics.median(x / y for x, y in zip(a, b, strict=True)),
        "goal_seconds": 1.0,
    }


def ms(seconds: float) -> str:
    return f"{seconds * 1000:+.0f} ms" if abs(seconds) < 1 else f"{seconds:+.2f} s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history", type=int, default=1_000, help="runs in the history")
    parser.add_argument("--listed", type=int, default=10_000, help="runs for experiments --tsv")
    parser.add_argument("--runs", type=int, default=20, help="timed runs of each measure")
    parser.add_argument("--dir", type=Path, default=Path("/dev/shm/agentgit-bench-experiment"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)

    judge_repo = toy_repo(args.dir / f"judge-{args.history}")
    add_history(judge_repo, args.history)
    judge = bench_judge(judge_repo, args.runs)
    tsv_repo = toy_repo(args.dir / f"tsv-{args.listed}")
    add_history(tsv_repo, args.listed)
    tsv = bench_tsv(tsv_repo, max(args.runs // 2, 5))

    bare = statistics.median(judge["bare"])
    judged = statistics.median(judge["judged"])
    met_judge = judge["judge_cost"] <= judge["goal_seconds"]
    met_tsv = tsv["median"] < tsv["goal_seconds"]
    print("| measure | agentgit | bare / git | cost or ratio | goal | met |")
    print("|---|---:|---:|---:|---|:---:|")
    print(
        f"| one run judged, {judge['history_runs']:,} runs in the history "
        f"({', '.join(f'{n} {s}s' for s, n in judge['statuses'].items())}) | "
        f"{judged * 1000:.0f} ms | {bare * 1000:.0f} ms | "
        f"{ms(judge['judge_cost'])} (keep {ms(judge['judge_cost_keep'])}, discard "
        f"{ms(judge['judge_cost_discard'])}) | ≤ +0.3 s | {'yes' if met_judge else 'no'} |"
    )
    print(
        f"| `agentgit experiments --tsv`, {tsv['rows']:,} runs | {tsv['median'] * 1000:.0f} ms "
        f"| {tsv['git_median'] * 1000:.0f} ms | {tsv['ratio']:.2f}× | < 1 s | "
        f"{'yes' if met_tsv else 'no'} |"
    )
    print(
        f"| … no cache (the first call, or one after a ref was deleted) | "
        f"{tsv['cold_median'] * 1000:.0f} ms | {statistics.median(tsv['cold_git']) * 1000:.0f} ms "
        f"| {tsv['cold_ratio']:.2f}× |  |  |"
    )
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")
    OUT.mkdir(exist_ok=True)
    (OUT / "experiment.json").write_text(json.dumps({"judge": judge, "tsv": tsv}, indent=1))
    return 0 if met_judge and met_tsv else 2


if __name__ == "__main__":
    raise SystemExit(main())
