"""A synthetic history for the map, written by one `git fast-import`: main's line of
session records in the shapes agentgit writes (subject, summary body, trailers; log
entries with LogEntry's frontmatter), with the `novelty` and `questions` frontmatter of
DESIGN §8, and a session or two still open in review.

Only main's tip carries the log entries (the map reads the tip's `corpus/log` and the
first-parent line's trailers, nothing in between), so 5,000 sessions take a second.

    python tests/synthetic.py DIR [--sessions 120] [--seed 7]   (the README's picture)
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentgit.corpus import formats

EPOCH = 1767323045  # 2026-01-02T03:04:05Z, the suite's fixed date
HOURS = 3600
WORDS = [
    "tides",
    "memory",
    "archive",
    "evidence",
    "attention",
    "budget",
    "merge",
    "history",
    "journal",
    "revision",
    "index",
    "search",
    "ranking",
    "reader",
    "question",
    "claim",
    "doubt",
    "habit",
    "craft",
    "river",
    "map",
    "compass",
    "harbour",
    "entropy",
    "orbit",
    "gravity",
    "signal",
    "noise",
    "ledger",
    "trust",
    "garden",
    "seed",
    "harvest",
    "weather",
    "storm",
]


@dataclass
class Made:
    sessions: int
    outcomes: dict[int, str] = field(default_factory=dict)
    pieces: int = 0  # kept pieces with a novelty score
    costs: dict[int, float] = field(default_factory=dict)
    questions: dict[str, str] = field(default_factory=dict)  # id -> last status


def build(path: Path, sessions: int, seed: int = 7, open_review: int = 1) -> Made:
    """A new repository at `path` with `sessions` sessions on main and `open_review`
    more sent to review (branch and review ref, nothing on main)."""
    rng = random.Random(seed)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    made = Made(sessions + open_review)
    out: list[bytes] = []
    live: dict[str, int] = {}  # question id -> times pursued
    entries: dict[str, bytes] = {}
    last = None
    for n in range(1, sessions + 1):
        outcome = rng.choices(["crystallized", "abandoned", "needs-review"], weights=(55, 38, 7))[0]
        made.outcomes[n] = outcome
        title = _title(rng)
        pieces = [f"{_slug(title)}-{n}"] if outcome == "crystallized" else []
        novelty = [_novelty(rng, n, sessions, p, made) for p in pieces]
        questions = _questions(rng, n, live, outcome, pieces, made)
        summary = (
            f"Wrote {pieces[0]}: what {title.lower()} adds to the corpus."
            if pieces
            else f"Explored {title.lower()}; nothing stood on its own yet."
        )
        reason = None if pieces else rng.choice(["nothing pulled", "needs measurements"])
        cost = round(rng.lognormvariate(-1.6, 0.6), 6)
        made.costs[n] = cost
        name = f"corpus/log/{n:04d}-{_slug(title)}.md"
        entries[name] = _entry(n, title, outcome, pieces, reason, cost, summary, novelty, questions)
        verb = {"crystallized": "Crystallize", "abandoned": "Abandon"}.get(outcome, "Review")
        message = (
            f"{verb} session {n:04d}: {title if pieces else reason or title}\n\n{summary}\n\n"
            + _trailers(n, outcome, title, pieces, cost)
        )
        tip = n == sessions
        out.append(_commit("refs/heads/main", n, message, last, entries if tip else {}))
        last = n
    for k in range(1, open_review + 1):
        n = sessions + k
        made.outcomes[n] = "in-review"
        title = _title(rng)
        name = f"corpus/log/{n:04d}-{_slug(title)}.md"
        text = _entry(n, title, "crystallized", [], None, 0.2, "Sent for review.", [], [])
        branch = f"refs/heads/session/{n:04d}-{_slug(title)}"
        out.append(_commit(branch, n, f"Crystallize session {n:04d}\n", last, {name: text}))
        out.append(f"reset refs/agentgit/review/{n:04d}\nfrom :{n}\n\n".encode())
    stream = b"".join(out)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=stream, check=True)
    # No checkout: the map reads git, not files, and 5,000 files would take seconds.
    return made


def _title(rng: random.Random) -> str:
    a, b = rng.sample(WORDS, 2)
    return rng.choice(["{a} and {b}", "why {a} needs {b}", "on {a}", "the {b} of {a}"]).format(
        a=a, b=b
    )


def _slug(title: str) -> str:
    return formats.slugify(title)


def _novelty(rng: random.Random, n: int, total: int, piece: str, made: Made) -> dict[str, Any]:
    # New ground early, mapped ground later, with a jump where a new theme opens up.
    base = 0.15 + 0.7 * math.exp(-3 * n / total) + (0.35 if 0.55 < n / total < 0.65 else 0)
    score = round(min(1.0, max(0.02, base + rng.gauss(0, 0.08))), 3)
    made.pieces += 1
    return {
        "piece": piece,
        "score": score,
        "nearest": f"piece-{rng.randint(1, max(1, n - 1))}",
        "similarity": round(1 - score, 3),
    }


def _questions(
    rng: random.Random, n: int, live: dict[str, int], outcome: str, pieces: list[str], made: Made
) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    for qid in list(live):
        roll = rng.random()
        if pieces and roll < 0.08:
            steps.append({"id": qid, "text": "", "status": "answered", "pieces": pieces})
        elif roll < 0.11:
            steps.append({"id": qid, "status": "dropped", "why": "flat"})
        elif roll < 0.3:
            steps.append({"id": qid, "status": "pursued"})
            live[qid] += 1
            continue
        else:
            continue
        del live[qid]
    if rng.random() < 0.25 and len(live) < 10:
        qid = f"q{n}-{rng.choice(WORDS)}"
        steps.append({"id": qid, "text": f"does {rng.choice(WORDS)} explain it?", "status": "open"})
        live[qid] = 0
    for step in steps:
        made.questions[step["id"]] = step["status"]
    return steps


def _entry(
    n: int,
    title: str,
    outcome: str,
    pieces: list[str],
    reason: str | None,
    cost: float,
    summary: str,
    novelty: list[dict[str, Any]],
    questions: list[dict[str, Any]],
) -> bytes:
    """A log entry with LogEntry's keys (and DESIGN §8's), each value written as JSON,
    which is YAML too: dumping 5,000 entries with PyYAML would take most of the build."""
    when = _iso(n)
    meta: dict[str, Any] = {
        "session": n,
        "title": title,
        "started": when,
        "ended": when,
        "outcome": outcome,
        "pieces": pieces,
        **({"reason": reason} if reason else {}),
        "model": "claude-sonnet-5-5",
        "turns": 6,
        "usage": {"input": 9000, "output": 900, "cache_read": 0, "cache_write": 0},
        "cost_usd": cost,
        "head": f"{n:040x}",
        **({"novelty": novelty} if novelty else {}),
        **({"questions": questions} if questions else {}),
    }
    fm = "".join(f"{key}: {json.dumps(value)}\n" for key, value in meta.items())
    body = (
        f"## Journal\n\nLooked at {title}.\n\n## Summary\n\n{summary}\n\n"
        f"## Steps\n\n- Add drafts/{_slug(title)}.md (+12)\n- Edit log/{n:04d}.md (+3)\n"
    )
    return f"---\n{fm}---\n\n{body}".encode()


def _trailers(n: int, outcome: str, title: str, pieces: list[str], cost: float) -> str:
    return (
        f"Agentgit-Session: {n:04d}\nAgentgit-Outcome: {outcome}\nAgentgit-Title: {title}\n"
        f"Agentgit-Pieces: {', '.join(pieces)}\nAgentgit-Turns: 6\n"
        f"Agentgit-Cost: {cost:.6f}\nAgentgit-Ended: {_iso(n)}\n"
        f"Agentgit-Head: {n:040x}\n"
    )


def _iso(n: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(EPOCH + n * 6 * HOURS, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _commit(ref: str, n: int, message: str, parent: int | None, files: dict[str, bytes]) -> bytes:
    data = message.encode()
    lines = [
        f"commit {ref}\nmark :{n}\n".encode(),
        f"committer agentgit <agentgit@example.invalid> {EPOCH + n * 6 * HOURS} +0000\n".encode(),
        f"data {len(data)}\n".encode() + data + b"\n",
    ]
    if parent is not None:
        lines.append(f"from :{parent}\n".encode())
    for name, blob in files.items():
        lines.append(f"M 100644 inline {name}\ndata {len(blob)}\n".encode() + blob + b"\n")
    return b"".join(lines) + b"\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--sessions", type=int, default=120)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    made = build(args.dir, args.sessions, args.seed)
    print(f"{args.dir}: {made.sessions} sessions, {len(made.questions)} questions", file=sys.stderr)
