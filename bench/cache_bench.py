"""Prompt-cache benchmark: what a session reads from cache, and what it costs.

A fake Messages API that bills prompt caching after the documented rules (prefix
match up to each breakpoint, a 20-block lookback, a minimum cacheable length; see
``tests/fakeapi.py:CacheAccountant``) drives real sessions — the real agent loop,
tools, git and AnthropicModel over the real SDK — on a corpus of 40 pieces with
some earlier log entries. The scripted model searches, reads (once ten pieces in
one parallel turn, which outruns the lookback), writes and edits a draft, notes,
and crystallizes on its last turn.

Reported, per caching strategy:

- the share of input tokens read from cache, against its limit: every token
  written once and only read afterwards, i.e. 1 − (last request's input tokens ÷
  all input tokens of the session);
- the cost of the session on the default model from the measured usage and the
  price table, and what the same requests would cost with no caching at all.

Tokens are estimated at four characters each (the fake has no tokenizer), so the
dollar figures are estimates; the shares are what the strategy controls.

    .venv/bin/python bench/cache_bench.py [--turns 18] [--cost-turns 20]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fakeapi import (  # noqa: E402
    FAKE_KEY,
    CacheAccountant,
    FakeAPI,
    message_turn,
    thinking_block,
)

from agentgit import lifecycle  # noqa: E402
from agentgit.core.settings import Settings  # noqa: E402
from agentgit.corpus import formats  # noqa: E402
from agentgit.corpus.skeleton import init  # noqa: E402
from agentgit.git import Repository  # noqa: E402
from agentgit.models import DEFAULT_MODEL  # noqa: E402
from agentgit.models import anthropic as provider  # noqa: E402
from agentgit.models.base import Usage  # noqa: E402
from agentgit.models.pricing import cost_usd  # noqa: E402

PIECES = 40
PAST_SESSIONS = 8
MIN_CACHEABLE = 1024  # tokens: the documented minimum for Sonnet-class models
DRAFT = "cache-economics"

WORDS = [
    "prefix",
    "cache",
    "breakpoint",
    "session",
    "corpus",
    "piece",
    "draft",
    "journal",
    "orientation",
    "index",
    "lookback",
    "token",
    "budget",
    "commit",
    "branch",
    "merge",
    "archive",
    "question",
    "tension",
    "evidence",
    "claim",
    "revision",
    "reader",
    "judgement",
    "exploration",
    "search",
    "passage",
    "history",
    "diff",
    "summary",
    "model",
    "tool",
    "result",
    "turn",
    "cost",
    "price",
    "write",
    "read",
    "keep",
    "abandon",
    "crystallize",
    "note",
    "open",
    "dead-end",
    "pull",
    "thread",
    "signal",
    "noise",
    "frame",
    "argument",
    "example",
    "counterexample",
    "limit",
]


# --- the corpus ----------------------------------------------------------------------------


def prose(rng: random.Random, sentences: int) -> str:
    out = []
    for _ in range(sentences):
        words = [rng.choice(WORDS) for _ in range(rng.randint(9, 18))]
        out.append(" ".join(words).capitalize() + ".")
    return " ".join(out)


def build_corpus(path: Path) -> tuple[Repository, list[str]]:
    init(path)
    repo = Repository.discover(path)
    rng = random.Random(7)
    slugs = [f"piece-{n:02d}-{rng.choice(WORDS)}" for n in range(1, PIECES + 1)]
    for n, slug in enumerate(slugs, 1):
        meta = {
            "title": f"Piece {n}: {prose(rng, 1)[:60].rstrip('.')}",
            "summary": prose(rng, 1)[:140],
            "tags": sorted({rng.choice(WORDS) for _ in range(3)}),
            "created": "2026-01-01",
            "updated": "2026-02-01",
            "sessions": [1],
        }
        body = "\n\n".join(prose(rng, 6) for _ in range(6))  # ~3,500 characters
        (path / "corpus" / "pieces" / f"{slug}.md").write_text(
            formats.render_piece(meta, body), "utf-8"
        )
    for n in range(1, PAST_SESSIONS + 1):
        entry = formats.LogEntry(
            session=n,
            title=prose(rng, 1)[:60],
            started=f"2026-01-{n:02d}T10:00:00Z",
            ended=f"2026-01-{n:02d}T10:20:00Z",
            outcome="crystallized" if n % 3 else "abandoned",
            pieces=[slugs[n]] if n % 3 else [],
            reason=None if n % 3 else "nothing pulled",
            model=DEFAULT_MODEL,
            turns=15,
            body="\n\n".join(prose(rng, 5) for _ in range(3)),
        )
        name = formats.log_entry_name(n, f"past-{n}")
        (path / "corpus" / name).write_text(formats.render_log_entry(entry), "utf-8")
    repo.run("add", "corpus")
    repo.run("commit", "-q", "--no-verify", "-m", "A corpus of 40 pieces", env=repo.identity_env())
    return repo, slugs


# --- the scripted model's turns --------------------------------------------------------------


def script(slugs: list[str], turns: int) -> list[dict[str, Any]]:
    """``turns`` assistant turns; the last one crystallizes the draft."""
    rng = random.Random(11)
    sentences = [f"Claim {k}: {prose(rng, 3)}" for k in range(12)]
    body = "\n\n".join(sentences)
    steps: list[list[tuple[str, dict[str, Any]]]] = [
        [("search", {"query": "cache breakpoint lookback"})],
        [("read", {"path": f"pieces/{slugs[0]}.md"})],
        [("read", {"path": f"pieces/{s}.md"}) for s in slugs[1:11]],  # 10 at once
        [("history", {"path": f"pieces/{slugs[0]}.md"})],
        [("search", {"query": "open question tension"})],
        [("note", {"text": "Pieces 1-11 circle the same claim; none says what it costs."})],
        [
            (
                "write_draft",
                {
                    "slug": DRAFT,
                    "title": "The economics of a cached prefix",
                    "body": body,
                    "summary": "What caching changes in a session's cost",
                    "tags": ["cost", "cache"],
                },
            )
        ],
        [("read", {"path": f"drafts/{DRAFT}.md"})],
    ]
    k = 0
    while len(steps) < turns - 1:  # alternate reading and revising until the end
        if len(steps) % 2:
            steps.append([("read", {"path": f"pieces/{slugs[11 + len(steps) % 29]}.md"})])
        else:
            steps.append(
                [
                    (
                        "edit_draft",
                        {"slug": DRAFT, "old": f"Claim {k}:", "new": f"Claim {k} (revised):"},
                    )
                ]
            )
            k += 1
    steps = steps[: turns - 1]
    steps.append([("crystallize", {"slugs": [DRAFT], "summary": "A piece on cache economics."})])
    return [_turn(n, calls, rng) for n, calls in enumerate(steps, 1)]


def _turn(n: int, calls: list[tuple[str, dict[str, Any]]], rng: random.Random) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        thinking_block(prose(rng, 4), f"sig-{n:02d}"),
        {"type": "text", "text": prose(rng, 5)},
    ]
    blocks += [
        {"type": "tool_use", "id": f"toolu_{n:02d}_{i}", "name": name, "input": args}
        for i, (name, args) in enumerate(calls)
    ]
    return message_turn(blocks, "tool_use")


# --- caching strategies ----------------------------------------------------------------------

Placer = Callable[[dict[str, Any]], list[str]]


def _none(params: dict[str, Any]) -> list[str]:
    return []


def _prefix_only(params: dict[str, Any]) -> list[str]:
    """Tools, system and orientation: the stable prefix, no moving breakpoint."""
    marks = [params["tools"][-1], params["system"][-1], params["messages"][0]["content"][-1]]
    for block in marks:
        block["cache_control"] = {"type": "ephemeral"}
    return ["tools", "system", "orientation"]


def _no_lookback_guard(params: dict[str, Any]) -> list[str]:
    saved = provider.LOOKBACK_SAFE_BLOCKS
    provider.LOOKBACK_SAFE_BLOCKS = 10**9
    try:
        return _AGENTGIT(params)
    finally:
        provider.LOOKBACK_SAFE_BLOCKS = saved


_AGENTGIT = provider.place_cache_breakpoints
STRATEGIES: dict[str, Placer] = {
    "none": _none,
    "prefix only": _prefix_only,
    "moving, no lookback guard": _no_lookback_guard,
    "agentgit": _AGENTGIT,
}


@contextmanager
def strategy(placer: Placer) -> Iterator[None]:
    provider.place_cache_breakpoints = placer  # build_params looks it up at call time
    try:
        yield
    finally:
        provider.place_cache_breakpoints = _AGENTGIT


# --- one session ----------------------------------------------------------------------------


@dataclass
class Run:
    strategy: str
    turns: int
    outcome: str
    usages: list[Usage]

    @property
    def total_input(self) -> int:
        return sum(u.total_input for u in self.usages)

    @property
    def read(self) -> int:
        return sum(u.cache_read_input_tokens for u in self.usages)

    @property
    def written(self) -> int:
        return sum(u.cache_creation_input_tokens for u in self.usages)

    @property
    def share(self) -> float:
        return self.read / self.total_input

    @property
    def limit(self) -> float:
        return 1 - self.usages[-1].total_input / self.total_input

    def cost(self, model: str = DEFAULT_MODEL) -> float:
        return sum(cost_usd(model, u) or 0.0 for u in self.usages)

    def uncached_cost(self, model: str = DEFAULT_MODEL) -> float:
        flat = [
            Usage(input_tokens=u.total_input, output_tokens=u.output_tokens) for u in self.usages
        ]
        return sum(cost_usd(model, u) or 0.0 for u in flat)


def run_session(name: str, turns: int, workdir: Path) -> Run:
    repo, slugs = build_corpus(workdir / f"{name.replace(' ', '-').replace(',', '')}-{turns}")
    accountant = CacheAccountant(min_tokens=MIN_CACHEABLE)
    with FakeAPI(script(slugs, turns), accountant=accountant) as api:
        os.environ["ANTHROPIC_BASE_URL"] = api.url
        os.environ["ANTHROPIC_API_KEY"] = FAKE_KEY
        settings = Settings(
            model=DEFAULT_MODEL,
            max_turns=turns + 10,
            max_tokens=10**8,
            max_cost=100.0,
            max_minutes=60,
        )
        model = provider.AnthropicModel(DEFAULT_MODEL, max_retries=0)
        with strategy(STRATEGIES[name]):
            current = lifecycle.start(
                repo, settings, topic="cache economics", model_name=DEFAULT_MODEL
            )
            result = lifecycle.run(repo, current, model, settings)
        if api.rejections:
            raise SystemExit(f"the fake API rejected a request: {api.rejections[0]}")
    usages = [Usage.from_dict(m["usage"]) for m in api.responses]
    return Run(name, result.turns, result.outcome, usages)


# --- report ----------------------------------------------------------------------------------


def table(runs: list[Run], cost_runs: dict[str, Run]) -> str:
    lines = [
        f"Session of {runs[0].turns} turns on {PIECES} pieces "
        f"(estimated tokens; cache minimum {MIN_CACHEABLE}, lookback 20 blocks).",
        "",
        "| caching | input tokens | read from cache | written | read share | limit | "
        f"cost of {next(iter(cost_runs.values())).turns} turns |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        cost = cost_runs[run.strategy]
        lines.append(
            f"| {run.strategy} | {run.total_input:,} | {run.read:,} | {run.written:,} "
            f"| {run.share:.1%} | {run.limit:.1%} | ${cost.cost():.3f} |"
        )
    agentgit = cost_runs["agentgit"]
    lines += [
        "",
        f"{agentgit.turns}-turn session on {DEFAULT_MODEL}: ${agentgit.cost():.3f} with "
        f"caching, ${agentgit.uncached_cost():.3f} for the same requests without.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=18)
    parser.add_argument("--cost-turns", type=int, default=20)
    parser.add_argument("--strategies", nargs="*", default=list(STRATEGIES))
    args = parser.parse_args(argv)
    os.environ.setdefault("GIT_CONFIG_GLOBAL", os.devnull)
    os.environ.setdefault("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_PROFILE", "ANTHROPIC_CONFIG_DIR"):
        os.environ.pop(var, None)
    with tempfile.TemporaryDirectory(prefix="agentgit-cache-bench-") as tmp:
        work = Path(tmp)
        runs = [run_session(name, args.turns, work) for name in args.strategies]
        cost_runs = {name: run_session(name, args.cost_turns, work) for name in args.strategies}
    print(table(runs, cost_runs))
    best = next((r for r in runs if r.strategy == "agentgit"), None)
    if best is not None:
        gap = best.limit - best.share
        print(
            f"\nagentgit: read share {best.share:.1%}, limit {best.limit:.1%}, "
            f"gap {gap * 100:.1f} points (goal ≤ 2)."
        )
        return 0 if gap <= 0.02 else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
