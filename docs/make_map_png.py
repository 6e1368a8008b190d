#!/usr/bin/env python3
"""Remake docs/map.png, the README's picture of `agentgit map`.

    python docs/make_map_png.py [--out docs/map.png] [--keep DIR]

It builds a corpus of 40 real sessions in a new repository: `agentgit init`, three
pieces a person wrote, then the sessions, each run by the scripted model through the
same code as `agentgit session` (a worktree, a commit per step, a landing on main).
They are walks with known verdicts on five subjects: sessions that read a piece and
keep one beside it (exploring), that keep one in ground they never read (leaping), that
read and keep nothing (surveying; three times running in one region, wandering, which
is circling), with a question opened, carried and answered. A piece is five sentences
drawn from its subject's own, so the regions are the five subjects (lexical, the default
measure). Then `agentgit map` draws the page, and headless Chromium (`apt-get install
chromium`) takes the screenshot at 1400 x 1435.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The subjects' sentences are the terrain tests' own (tests/grounds.py), and the browser
# is the one the map's tests drive, with their flags (tests/browser.py).
sys.path.insert(0, str(ROOT / "tests"))
import browser  # noqa: E402
import grounds  # noqa: E402

SIZE = "1400,1435"  # the map and the terrain, down to the verdicts list
ENV = {
    "GIT_AUTHOR_NAME": "agentgit docs",
    "GIT_AUTHOR_EMAIL": "docs@agentgit.invalid",
    "GIT_COMMITTER_NAME": "agentgit docs",
    "GIT_COMMITTER_EMAIL": "docs@agentgit.invalid",
}
Turn = dict[str, Any]


def piece(subject: str, n: int) -> dict[str, Any]:
    """Piece `n` of `subject`: five of its sentences, the draw the terrain's tests make."""
    drawn = grounds.sentences(subject, n)
    return {
        "slug": f"{subject}-{n}",
        "title": f"{subject.title()}, {n}",
        "summary": drawn[0],
        "body": " ".join(drawn[:3]) + "\n\n" + " ".join(drawn[3:]) + "\n",
        "tags": [subject],
    }


def turn(tool: str, args: dict[str, Any], text: str) -> Turn:
    return {"text": text, "tool": tool, "input": args}


def read(slug: str) -> Turn:
    return turn("read", {"path": f"pieces/{slug}.md"}, f"Reading {slug}.")


def keep(slug: str, *between: Turn) -> list[Turn]:
    subject, n = slug.rsplit("-", 1)
    return [
        turn("write_draft", piece(subject, int(n)), f"Drafting {slug}."),
        turn("note", {"text": f"Drafted {slug}."}, "Noting what happened."),
        *between,
        turn("crystallize", {"slugs": [slug], "summary": f"Wrote {slug}."}, "It stands."),
    ]


def nothing(reason: str) -> list[Turn]:
    return [
        turn("note", {"text": reason}, "Noting why nothing came of it."),
        turn("abandon", {"reason": reason, "summary": "Nothing crystallized."}, "Abandoning."),
    ]


SEEDS = ("tides-1", "bread-1", "compilers-1")  # what a person wrote before any session
QUESTION = "forgetting-tides"


def plan() -> list[tuple[str, list[Turn]]]:
    """(topic, turns) of each session, in order: read -> kept, or read and nothing."""
    steps: list[tuple[list[str], str | None]] = [
        (["tides-1"], "tides-2"), (["bread-1"], "bread-2"), ([], "archives-1"),
        (["compilers-1"], "compilers-2"), (["archives-1"], "archives-2"),
        (["tides-1", "tides-2"], None), ([], "gardens-1"), (["gardens-1"], "gardens-2"),
        (["bread-1", "bread-2"], None), (["compilers-2"], "compilers-3"),
        (["tides-1", "tides-2"], None), (["tides-1", "tides-2"], None),
        (["tides-1", "tides-2"], None), (["tides-1", "tides-2"], None),
        (["tides-2"], "tides-3"), (["archives-2"], "archives-3"), ([], "bread-3"),
        (["gardens-2"], "gardens-3"), (["compilers-3"], "compilers-4"),
        (["tides-3"], "tides-4"), (["bread-3"], None), (["archives-3"], "archives-4"),
        ([], "compilers-5"), (["gardens-3"], "gardens-4"), (["bread-3"], "bread-4"),
        (["archives-3", "archives-4"], None), (["archives-3", "archives-4"], None),
        (["archives-3", "archives-4"], None), (["archives-4"], "archives-5"),
        (["tides-4"], "tides-5"), (["gardens-4"], "gardens-5"), (["bread-4"], "bread-5"),
        ([], "tides-6"), (["compilers-5"], "compilers-6"), (["gardens-5"], None),
        (["archives-5"], "archives-6"), (["bread-5"], "bread-6"),
        (["gardens-5"], "gardens-6"), (["compilers-6"], "compilers-7"),
        (["tides-6"], "tides-7"),
    ]  # fmt: skip
    out = []
    for n, (reads, kept) in enumerate(steps, 1):
        turns = [read(slug) for slug in reads]
        subject = (kept or reads[0]).rsplit("-", 1)[0]
        if 11 <= n <= 14:  # one question, carried by the sessions circling the tides
            action = {"action": "open", "text": "What do the tides forget?"} if n == 11 else {}
            args = {"action": "pursue", "id": QUESTION, **action}
            turns.append(turn("question", args, "A question to carry."))
        if kept is None:
            turns += nothing(f"Read the {subject} again; nothing new to add.")
        elif n == 15:
            answer = {"action": "answer", "id": QUESTION, "pieces": [kept]}
            turns += keep(kept, turn("question", answer, "This piece answers it."))
        else:
            turns += keep(kept)
        topic = piece(subject, int(kept.rsplit("-", 1)[1]))["title"] if kept else None
        out.append((topic or f"Around the {subject}", turns))
    return out


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, env={**os.environ, **ENV})


def build(repo: Path, scripts: Path) -> None:
    from agentgit.core.settings import Settings
    from agentgit.corpus import formats
    from agentgit.corpus.skeleton import init
    from agentgit.git import Repository
    from agentgit.lifecycle.claim import start
    from agentgit.lifecycle.explore import run
    from agentgit.models.scripted import ScriptedModel

    init(repo)
    for slug in SEEDS:
        subject, n = slug.rsplit("-", 1)
        made = piece(subject, int(n))
        meta = {k: made[k] for k in ("title", "summary", "tags")} | {"created": "2026-12-01"}
        text = formats.render_piece(meta, made["body"])
        (repo / "corpus" / "pieces" / f"{slug}.md").write_text(text, "utf-8")
    git(repo, "add", "corpus/pieces")
    git(repo, "commit", "-q", "--no-verify", "-m", "Three pieces to start from")
    # A subject's pieces share their sentences: the gate is off so each scripted keep
    # lands at once (a real model would answer a refusal with an overlap).
    (repo / "agentgit.toml").write_text("novelty_min = 0\n", "utf-8")
    git(repo, "add", "agentgit.toml")
    git(repo, "commit", "-q", "--no-verify", "-m", "No novelty gate for the picture")
    handle = Repository.discover(repo)
    settings = Settings(model="scripted", novelty_min=0.0, max_minutes=60)
    for n, (topic, turns) in enumerate(plan(), 1):
        script = scripts / f"{n:02d}.jsonl"
        script.write_text("".join(json.dumps(t) + "\n" for t in turns), "utf-8")
        spec = f"scripted:{script}"
        session = start(handle, settings, topic=topic, model_name="scripted", model_spec=spec)
        result = run(handle, session, ScriptedModel.from_file(script), settings)
        print(f"session {result.session:04d}: {result.outcome} {' '.join(result.pieces)}")


def draw(repo: Path, page: Path) -> None:
    from agentgit.core.settings import DEAD_AFTER
    from agentgit.git import Repository
    from agentgit.map import drawing, gather

    drawing.write(drawing.render(gather.gather(Repository.discover(repo), DEAD_AFTER)), page)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "map.png")
    parser.add_argument("--keep", type=Path, help="build the repository here and keep it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="agentgit-map-") as tmp:
        where = Path(tmp)
        repo = args.keep or where / "inquiry"
        build(repo, where)
        page = where / "map.html"
        draw(repo, page)
        browser.screenshot(page, where / "profile", args.out.resolve(), SIZE)
    print(f"{args.out}: {args.out.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
