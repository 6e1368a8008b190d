"""The cached share of a night of experiments (issue 19, DESIGN §10): one experiment
session of 100 runs on the toy of the tests, over the real SDK, the real agent loop,
the runner and git, against the fake Messages API that bills prompt caching after the
documented rules (tests/fakeapi.py:CacheAccountant).

Each run is two turns (write train.py, run it), each turn with its thinking, text and
tool call, so the conversation grows by a run's answer every two requests; every 10
runs the session folds old runs into one summary (agentgit/lifecycle/experiment.py),
which rewrites the prefix once and then holds it. Reported, per window of 10 runs:
the share of input read from cache, and the input each request sends (the fold keeps
it bounded). Tokens are estimated at four characters each (the fake has no tokenizer).

    .venv/bin/python bench/experiment_cache_bench.py [--runs 100]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [
    str(ROOT),
    str(ROOT / "tests"),
    str(ROOT / "tests" / "experiment"),
    str(ROOT / "bench"),
]

from cache_bench import MIN_CACHEABLE, _turn, build_corpus, prose  # noqa: E402
from fakeapi import FAKE_KEY, CacheAccountant, FakeAPI  # noqa: E402
from toy import metric, toy_repo  # noqa: E402

from agentgit import lifecycle  # noqa: E402
from agentgit.core.settings import Settings  # noqa: E402
from agentgit.models import DEFAULT_MODEL  # noqa: E402
from agentgit.models import anthropic as provider  # noqa: E402
from agentgit.models.base import Usage  # noqa: E402

WINDOW = 10  # runs per row


def script(runs: int) -> list[dict[str, Any]]:
    """`runs` experiments, each a write of train.py then a run, and a crystallize."""
    rng = random.Random(19)
    steps: list[list[tuple[str, dict[str, Any]]]] = []
    for k in range(runs):
        x = round(3 + 4 * rng.random(), 3)
        hypothesis = f"X = {x}: {prose(rng, 1)[:80]}"
        steps.append([("write_file", {"path": "train.py", "content": f"X = {x}\n"})])
        steps.append([("run_experiment", {"hypothesis": hypothesis})])
        if k == runs - 1:
            steps.append([("crystallize", {"summary": "X moved toward 7."})])
    return [_turn(n, calls, rng) for n, calls in enumerate(steps, 1)]


def night(runs: int, work: Path) -> tuple[list[Usage], str]:
    repo, _ = build_corpus(work / "night")
    toy_repo(repo.top)
    accountant = CacheAccountant(min_tokens=MIN_CACHEABLE)
    with FakeAPI(script(runs), accountant=accountant) as api:
        os.environ["ANTHROPIC_BASE_URL"] = api.url
        os.environ["ANTHROPIC_API_KEY"] = FAKE_KEY
        settings = Settings(
            model=DEFAULT_MODEL,
            max_turns=2 * runs + 10,
            max_tokens=10**9,
            max_cost=1000.0,
            max_minutes=120,
            metric=metric(max_runs=runs + 1),
        )
        model = provider.AnthropicModel(DEFAULT_MODEL, max_retries=0)
        current = lifecycle.start(repo, settings, topic="a night of runs", model_name=DEFAULT_MODEL)
        result = lifecycle.run(repo, current, model, settings)
        if api.rejections:
            raise SystemExit(f"the fake API refused a request: {api.rejections[0]}")
    return [Usage.from_dict(m["usage"]) for m in api.responses], result.outcome


def table(usages: list[Usage], runs: int) -> str:
    rows = [
        "| runs | requests | input sent per request (mean) | read from cache | read share |",
        "|---|---:|---:|---:|---:|",
    ]
    per = 2 * WINDOW  # two requests a run
    for start in range(0, len(usages), per):
        part = usages[start : start + per]
        sent = sum(
            u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens for u in part
        )
        read = sum(u.cache_read_input_tokens for u in part)
        first, last = start // 2 + 1, min((start + per) // 2, runs)
        label = f"{first}–{last}" if first <= runs else "the judgement"
        rows.append(
            f"| {label} | {len(part)} | {sent // len(part):,} | {read:,} | "
            f"{read / sent if sent else 0:.1%} |"
        )
    sent = sum(
        u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens for u in usages
    )
    read = sum(u.cache_read_input_tokens for u in usages)
    rows.append(f"| all | {len(usages)} | {sent // len(usages):,} | {read:,} | {read / sent:.1%} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args(argv)
    os.environ.setdefault("GIT_CONFIG_GLOBAL", os.devnull)
    os.environ.setdefault("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_AUTHOR", "GIT_COMMITTER"):  # the toy's commit, as the tests seal it
        os.environ.setdefault(f"{var}_NAME", "Bench")
        os.environ.setdefault(f"{var}_EMAIL", "bench@example.com")
    for var in ("ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_PROFILE", "ANTHROPIC_CONFIG_DIR"):
        os.environ.pop(var, None)
    with tempfile.TemporaryDirectory(prefix="agentgit-night-bench-") as tmp:
        usages, outcome = night(args.runs, Path(tmp))
    print(f"{args.runs} runs, {len(usages)} requests, outcome {outcome}\n")
    print(table(usages, args.runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
