#!/usr/bin/env python3
"""Generate a large corpus repository for the benchmark, in one `git fast-import` stream.

    python bench/gen_corpus.py DIR [--pieces 10000] [--sessions 5000] [--seed 1]

DIR gets what `agentgit init` lays down (it is run first, with a fixed identity and
date), then the history that N sessions of agentgit would have left, in the exact
shapes session.py writes:

- a crystallized session is a branch off main with exploration commits (one per
  write_draft / edit_draft / note, trailers Agentgit-Session/-Turn/-Tool), then the
  final commit that moves the drafts to corpus/pieces/ and finalises the log entry
  (summary trailers), then on main a `--no-ff` merge commit "Crystallize session
  NNNN: <title>" whose second parent is that final commit and whose trailers repeat
  the summary plus Agentgit-Head;
- an abandoned session is the same branch (journal notes, sometimes a draft that
  never became a piece) ending in "Abandon session NNNN: edit log/..." and, on main,
  one commit that adds only the log entry, "Abandon session NNNN: <reason>";
- every session's head is archived under refs/agentgit/sessions/NNNN and carries a
  (small, synthetic) transcript note under refs/notes/agentgit.

Pieces and log entries are rendered by agentgit.corpus itself, so their frontmatter
is exactly what agentgit writes. The text is drawn from a seeded vocabulary of real
words and a long tail of invented ones, clustered by theme, so that a search for a
word finds some pieces and not all. Same seed, same repository, same shas.

Then `git gc` (a repository in use has packed refs, a real pack, a commit-graph; the
pack fast-import leaves makes a checkout of main take seconds) and a checkout of main.
Most of the ~30 s goes to fast-import re-serialising the big pieces/ and log/ trees at
each commit that touches them; see bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from queue import Queue
from typing import IO

from agentgit.corpus import formats

NAME, EMAIL = "agentgit bench", "bench@agentgit.invalid"
# Session commits are written on this scratch ref (deleted at the end): once a session
# has landed, its branch is gone and only refs/agentgit/sessions/NNNN keeps its head.
SCRATCH = "refs/agentgit-bench/scratch"
NOTES_REF = "refs/notes/agentgit"
EPOCH = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
MODELS = ("claude-sonnet-4-5", "claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5")
PRICES = {  # USD per million input / output tokens, for plausible Agentgit-Cost values
    "claude-sonnet-4-5": (3.0, 15.0),
    "claude-opus-4-1": (15.0, 75.0),
    "claude-haiku-4-5": (1.0, 5.0),
}
CRYSTALLIZE_SHARE = 0.7
REVISION_SHARE = 0.15  # crystallized sessions that also revise an existing piece
TOPIC_SHARE = 0.6  # sessions started with --topic (the others log as NNNN-explore.md)


def _words(text: str) -> list[str]:
    return text.split()


# Real words for titles, tags, queries and readable text. The long tail of the
# vocabulary is invented (see _invented), which keeps term statistics Zipf-like.
REAL = _words("""
archive memory evidence inquiry method question answer claim argument reason doubt belief
judgement habit attention context budget cost price value measure metric signal noise
pattern structure system network graph tree branch merge history record journal note
draft revision piece essay index summary title tag search query ranking passage paragraph
reader writer author editor review critique proof test trial experiment hypothesis theory
model simulation prediction forecast error failure success outcome decision choice option
risk uncertainty probability chance luck skill practice craft tool instrument machine
engine compiler parser language grammar syntax meaning sense reference symbol sign token
word sentence story narrative plot character scene setting voice style tone rhythm metre
poem verse song melody harmony chord scale tempo pulse beat silence sound echo light
shadow colour surface texture material wood stone glass metal clay paper ink pigment
river lake ocean tide wave current delta estuary marsh forest meadow prairie desert dune
mountain valley glacier ridge cliff cave island harbour bridge road path trail map compass
city village market street house room window door garden orchard field farm harvest seed
soil root leaf flower fruit grain bread salt sugar yeast ferment kitchen recipe meal
fire water earth air weather storm rain snow frost wind cloud season winter spring summer
autumn morning evening night calendar clock time duration interval rhythm cycle loop
energy heat entropy order chaos equilibrium balance tension friction pressure force
motion velocity inertia momentum gravity orbit planet star comet galaxy telescope lens
cell gene protein enzyme neuron brain muscle bone blood breath sleep dream fatigue
learning teaching school lesson student teacher library book chapter page margin footnote
money trade labour wage rent debt credit bank ledger account contract law court rule
norm custom ritual festival game play puzzle riddle chess card dice strategy tactic
cooperation competition trust betrayal promise gift exchange reciprocity kinship friend
stranger guest host neighbour community crowd audience public private secret privacy
software repository commit patch diff conflict rebase worktree hook pipeline deploy
server client protocol packet latency bandwidth cache buffer queue stack heap pointer
function variable constant loop recursion iteration abstraction interface module
boundary frontier edge margin centre periphery scale size growth decay collapse repair
maintenance care attention neglect waste thrift abundance scarcity limit constraint
freedom permission refusal consent power authority institution bureaucracy committee
""")
FUNCTION = _words("""
the the the of of of and and and to to a a in in is is that that for it as with was on be
by this are or from at which but not have an they more can one has their been what its if
would there so only when who will about than into these some could other them most much
any also may often rarely because while where each every between through without
""")
TAGS = _words("""
method git memory writing reading search ranking economics ecology music language craft
science history cooking weather learning games trust money law software networks time
energy biology astronomy maps cities farming design attention cost failure evidence
practice teaching institutions privacy community maintenance scale limits tools poetry
""")
TITLE_FORMS = (
    "{A} and the {b} of {c}",
    "Why {a} needs {b}",
    "On {a}",
    "The {b} of {a}",
    "{A} as {b}",
    "When {a} meets {b}",
    "What {a} owes to {b}",
    "Against {a}",
    "{A}, {b} and {c}",
    "Without {a}, {b}",
    "How {a} becomes {b}",
    "The case for {a}",
    "{A} is a kind of {b}",
    "Notes on {a} and {b}",
    "The {a} problem",
)
SYLLABLES_ON = _words("b c d f g h k l m n p r s t v z br dr gr kl pl st tr sh th ch")
SYLLABLES_V = _words("a e i o u ai ea ie ou")
SYLLABLES_CODA = ["", "", "", "n", "r", "l", "s", "m", "nd", "st", "rk", "x"]


# --- text ------------------------------------------------------------------------------


@dataclass
class Theme:
    real: list[str]
    invented: list[str]
    tags: list[str]


class Text:
    """Seeded, themed prose: sentences mixing function words, theme words and a Zipf tail."""

    def __init__(self, rng: random.Random, themes: int = 160, invented: int = 12000) -> None:
        self.rng = rng
        words = sorted(_invented(rng, invented))
        # Real and invented words share one Zipf ranking, real words spread through it:
        # a few are common, most are rare, as content words are.
        self.vocab = sorted(set(REAL)) + words
        rng.shuffle(self.vocab)
        # Zipf weights over the whole vocabulary (cumulative, for random.choices).
        total, cum = 0.0, []
        for rank in range(len(self.vocab)):
            total += 1.0 / (rank + 10) ** 1.05
            cum.append(total)
        self.cum = cum
        self.themes = [
            Theme(rng.sample(REAL, 12), rng.sample(words, 30), rng.sample(TAGS, 4))
            for _ in range(themes)
        ]

    def theme(self) -> Theme:
        return self.rng.choice(self.themes)

    def sentence(self, theme: Theme, lo: int = 8, hi: int = 20) -> str:
        rng = self.rng
        n = rng.randint(lo, hi)
        kinds = rng.choices((0, 1, 2, 3), weights=(35, 14, 18, 33), k=n)
        tail = iter(rng.choices(self.vocab, cum_weights=self.cum, k=n))
        words = []
        for kind in kinds:
            if kind == 0:
                words.append(rng.choice(FUNCTION))
            elif kind == 1:
                words.append(rng.choice(theme.real))
            elif kind == 2:
                words.append(rng.choice(theme.invented))
            else:
                words.append(next(tail))
        text = " ".join(words)
        if rng.random() < 0.15:
            cut = rng.randint(3, max(3, n - 3))
            text = " ".join(words[:cut]) + ", " + " ".join(words[cut:])
        return text[0].upper() + text[1:] + rng.choice(".....?")

    def paragraph(self, theme: Theme, lo: int = 3, hi: int = 6) -> str:
        return " ".join(self.sentence(theme) for _ in range(self.rng.randint(lo, hi)))

    def body(self, theme: Theme, lo: int = 3, hi: int = 6) -> str:
        paras = []
        for i in range(self.rng.randint(lo, hi)):
            if i and self.rng.random() < 0.2:
                paras.append("## " + self.title(theme))
            paras.append(self.paragraph(theme))
        return "\n\n".join(paras) + "\n"

    def title(self, theme: Theme) -> str:
        a, b, c = (
            self.rng.choice(theme.real if self.rng.random() < 0.7 else REAL) for _ in range(3)
        )
        form = self.rng.choice(TITLE_FORMS)
        return form.format(a=a, b=b, c=c, A=a.capitalize())

    def tags(self, theme: Theme) -> list[str]:
        n = self.rng.randint(1, 4)
        pool = theme.tags + self.rng.sample(TAGS, 2)
        return list(dict.fromkeys(self.rng.sample(pool, n)))


def _invented(rng: random.Random, n: int) -> set[str]:
    found: set[str] = set()
    while len(found) < n:
        word = "".join(
            rng.choice(SYLLABLES_ON) + rng.choice(SYLLABLES_V) + rng.choice(SYLLABLES_CODA)
            for _ in range(rng.choice((2, 2, 3)))
        )
        if 4 <= len(word) <= 14 and word not in REAL:
            found.add(word)
    return found


# --- the fast-import stream -----------------------------------------------------------


class FastImport:
    """A `git fast-import` process: blobs and commits by mark, shas read back on demand."""

    def __init__(self, repo: Path) -> None:
        read_fd, write_fd = os.pipe()
        self.proc = subprocess.Popen(
            ["git", "fast-import", "--quiet", "--done", f"--cat-blob-fd={write_fd}"],
            cwd=repo,
            stdin=subprocess.PIPE,
            pass_fds=(write_fd,),
        )
        os.close(write_fd)
        self.answers: IO[bytes] = os.fdopen(read_fd, "rb")
        assert self.proc.stdin is not None
        self.out = self.proc.stdin
        self.mark = 0
        self.out.write(b"feature done\n")

    def _data(self, text: str) -> None:
        data = text.encode("utf-8")
        self.out.write(b"data %d\n" % len(data))
        self.out.write(data)
        self.out.write(b"\n")

    def blob(self, text: str) -> int:
        self.mark += 1
        self.out.write(b"blob\nmark :%d\n" % self.mark)
        self._data(text)
        return self.mark

    def commit(
        self,
        ref: str,
        when: datetime,
        message: str,
        parents: list[str],
        changes: list[tuple[str, ...]],
    ) -> int:
        """parents: ':mark' or a sha, first parent first. changes: ('M', blob mark, path),
        ('T', tree sha, path) or ('D', path)."""
        self.mark += 1
        stamp = f"{NAME} <{EMAIL}> {int(when.timestamp())} +0000"
        head = f"commit {ref}\nmark :{self.mark}\nauthor {stamp}\ncommitter {stamp}\n"
        self.out.write(head.encode())
        self._data(message)
        cmds = []
        if parents:
            cmds.append(f"from {parents[0]}")
            cmds += [f"merge {p}" for p in parents[1:]]
        for change in changes:
            if change[0] == "M":
                cmds.append(f"M 100644 :{change[1]} {change[2]}")
            elif change[0] == "T":  # a whole tree, by sha
                cmds.append(f"M 040000 {change[1]} {change[2]}")
            else:
                cmds.append(f"D {change[1]}")
        self.out.write(("\n".join(cmds) + "\n\n").encode())
        return self.mark

    def reset(self, ref: str, mark: int) -> None:
        self.out.write(f"reset {ref}\nfrom :{mark}\n\n".encode())

    def sha(self, ref: str) -> str:
        """The sha of a commit given as ':mark' (a round trip: flushes the stream)."""
        self.out.write(f"get-mark {ref}\n".encode())
        self.out.flush()
        return self.answers.readline().decode().strip()

    def sha_and_tree(self, mark: int, path: str) -> tuple[str, str]:
        """The sha of commit :mark and of the tree at `path` in it, in one round trip."""
        self.out.write(b"get-mark :%d\nls :%d %s\n" % (mark, mark, path.encode()))
        self.out.flush()
        sha = self.answers.readline().decode().strip()
        entry = self.answers.readline().decode()  # "040000 tree <sha>\t<path>"
        return sha, entry.split()[2]

    def notes(self, ref: str, when: datetime, message: str, notes: list[tuple[int, int]]) -> None:
        """One commit on `ref` attaching blob :b to commit :c for each (b, c)."""
        self.mark += 1
        stamp = f"{NAME} <{EMAIL}> {int(when.timestamp())} +0000"
        self.out.write(
            f"commit {ref}\nmark :{self.mark}\nauthor {stamp}\ncommitter {stamp}\n".encode()
        )
        self._data(message)
        self.out.write("".join(f"N :{b} :{c}\n" for b, c in notes).encode() + b"\n")

    def finish(self) -> None:
        self.out.write(b"done\n")
        self.out.close()
        code = self.proc.wait()
        self.answers.close()
        if code != 0:
            raise SystemExit(f"git fast-import failed with exit code {code}")


# --- messages, exactly as session.py builds them ---------------------------------------


def message(subject: str, body: str, trailers: dict[str, str]) -> str:
    parts = [_one_line(subject)[:200]]
    if body.strip():
        parts.append(body.strip())
    parts.append("\n".join(f"{k}: {_one_line(v)}" for k, v in trailers.items()))
    return "\n\n".join(parts) + "\n"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0].strip() if text.strip() else ""
    return line if len(line) <= 80 else line[:77].rstrip() + "…"


def describe(parts: list[str], added: int, removed: int) -> str:
    """The subject diffsubject.describe derives from a diff with these parts and counts."""
    named = ", ".join(parts[:3])
    if len(parts) > 3:
        named += f" and {len(parts) - 3} more"
    counts = f"+{added}" + (f" -{removed}" if removed else "")
    return f"{named[0].upper()}{named[1:]} ({counts})"


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def lines(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") else 1)


# --- the plan: what each session did (pure, seeded; runs in its own thread) -----------


@dataclass
class PieceState:
    slug: str
    title: str
    summary: str
    tags: list[str]
    created: date
    sessions: list[int]
    body: str

    def render(self, updated: date, body: str | None = None) -> str:
        meta = {
            "title": self.title,
            "summary": self.summary,
            "tags": self.tags,
            "created": self.created,
            "updated": updated,
            "sessions": self.sessions,
        }
        return formats.render_piece(meta, self.body if body is None else body)


@dataclass
class Step:
    """One exploration commit: a tool call that wrote one file."""

    tool: str
    subject: str
    reasoning: str
    turn: int
    path: str
    content: str


@dataclass
class Plan:
    number: int
    slug: str
    topic: str | None
    model: str
    start: datetime
    ended: datetime
    steps: list[Step]
    pieces: list[str]  # slugs moved from drafts/ to pieces/ (crystallized)
    drafts: list[str]  # every slug drafted
    entry: formats.LogEntry  # the final log entry, head still unknown
    summary: str
    transcript: str

    @property
    def sid(self) -> str:
        return f"{self.number:04d}"

    @property
    def log_path(self) -> str:
        return f"corpus/log/{self.sid}-{self.slug}.md"


def plan_outcomes(rng: random.Random, sessions: int, pieces: int) -> dict[int, int]:
    """session -> number of new pieces it crystallizes (absent: abandoned)."""
    crystallized = min(pieces, max(1, round(sessions * CRYSTALLIZE_SHARE))) if pieces else 0
    chosen = sorted(rng.sample(range(1, sessions + 1), crystallized))
    counts = dict.fromkeys(chosen, 1)
    for number in rng.choices(chosen, k=pieces - crystallized) if chosen else []:
        counts[number] += 1
    return counts


def plans(seed: int, sessions: int, pieces: int) -> Iterator[Plan]:
    rng = random.Random(seed)
    text = Text(rng)
    outcomes = plan_outcomes(rng, sessions, pieces)
    known: list[PieceState] = []
    slugs: set[str] = set()
    when = EPOCH
    for number in range(1, sessions + 1):
        when += timedelta(minutes=rng.randint(60, 360))
        yield _plan(text, rng, number, when, outcomes.get(number, 0), known, slugs)


def _plan(
    text: Text,
    rng: random.Random,
    number: int,
    start: datetime,
    new_pieces: int,
    known: list[PieceState],
    slugs: set[str],
) -> Plan:
    sid = f"{number:04d}"
    theme = text.theme()
    topic = None
    if rng.random() < TOPIC_SHARE:
        topic = f"{rng.choice(theme.real)} and {rng.choice(theme.real)}"
        if rng.random() < 0.5:
            topic = f"{rng.choice(('why', 'how', 'whether', 'what'))} {topic}"
    slug = formats.slugify(topic or "", fallback="explore")
    log_rel = f"log/{sid}-{slug}.md"
    model = rng.choice(MODELS)
    crystallize = new_pieces > 0
    today = start.date()

    # What the session drafts: new pieces, maybe a revision of one, or a draft that an
    # abandoned session leaves on its branch.
    drafts: list[PieceState] = []
    for _ in range(new_pieces):
        title = text.title(theme)
        piece_slug = _unique(formats.slugify(title, fallback="piece"), slugs)
        drafts.append(
            PieceState(
                piece_slug,
                title,
                text.sentence(theme, 10, 22),
                text.tags(theme),
                today,
                [number],
                text.body(theme),
            )
        )
    fresh = list(drafts)
    if crystallize and known and rng.random() < REVISION_SHARE:
        old = rng.choice(known)
        old.body = old.body.rstrip() + "\n\n" + text.paragraph(theme) + "\n"
        old.sessions = sorted({*old.sessions, number})
        drafts.append(old)
    if not crystallize and rng.random() < 0.5:
        title = text.title(theme)
        drafts.append(
            PieceState(
                formats.slugify(title, fallback="draft"),
                title,
                text.sentence(theme),
                text.tags(theme),
                today,
                [number],
                text.body(theme, 2, 4),
            )
        )

    # The exploration commits: one per write_draft / edit_draft / note, in turn order.
    turn = rng.randint(1, 3)  # the first turns read and search: no commit
    steps: list[Step] = []

    def step(tool: str, what: str, added: int, path: str, content: str) -> None:
        nonlocal turn
        steps.append(
            Step(
                tool, describe([what], max(added, 1), 0), text.sentence(theme), turn, path, content
            )
        )
        turn += rng.randint(1, 3)

    for piece in drafts:
        final = piece.render(today)
        path = f"corpus/drafts/{piece.slug}.md"
        if rng.random() < 0.3 and "\n\n" in piece.body.strip():
            # Drafted short, then extended with edit_draft.
            first = piece.render(today, piece.body.rstrip().rpartition("\n\n")[0])
            step("write_draft", f"add drafts/{piece.slug}.md", lines(first), path, first)
            step(
                "edit_draft",
                f"edit drafts/{piece.slug}.md",
                lines(final) - lines(first),
                path,
                final,
            )
        else:
            step("write_draft", f"add drafts/{piece.slug}.md", lines(final), path, final)
    journal, before = "## Journal\n", ""
    title0 = (topic or f"Session {sid}")[:120]
    for i in range(rng.choices((1, 2, 3), weights=(6, 3, 1))[0]):
        journal += "\n" + text.paragraph(theme, 2, 4) + "\n"
        after = formats.render_log_entry(
            formats.LogEntry(
                session=number, title=title0, started=iso(start), model=model, body=journal
            )
        )
        step(
            "note",
            f"{'edit' if i else 'add'} {log_rel}",
            lines(after) - (lines(before) if before else 0),
            f"corpus/{log_rel}",
            after,
        )
        before = after

    usage = {"input": rng.randint(20_000, 400_000), "output": rng.randint(1_000, 30_000)}
    usage["cache_read"] = usage["input"] * rng.randint(40, 85) // 100
    usage["cache_write"] = usage["input"] // rng.randint(8, 20)
    price_in, price_out = PRICES[model]
    cost = round((usage["input"] * price_in + usage["output"] * price_out) / 1e6, 6)
    ended = start + timedelta(seconds=40 * (len(steps) + 1) + rng.randint(30, 600))
    summary = text.paragraph(theme, 1, 3)
    if crystallize:
        kept = drafts
        title = topic or "; ".join(p.title for p in kept)
        reason = None
        known.extend(fresh)
    else:
        kept = []
        reason = rng.choice(ABANDON_REASONS)
        title = topic or _first_line(summary) or reason
    body = journal.rstrip() + "\n\n## Summary\n\n" + summary.strip() + "\n"
    body += "\n## Steps\n\n" + "".join(f"- {s.subject}\n" for s in steps)
    entry = formats.LogEntry(
        session=number,
        title=title,
        started=iso(start),
        ended=iso(ended),
        outcome="crystallized" if crystallize else "abandoned",
        pieces=[p.slug for p in kept],
        reason=reason,
        model=model,
        turns=turn,
        usage=usage,
        cost_usd=cost,
        head=None,
        body=body,
    )
    transcript = (
        json.dumps(
            {
                "version": 1,
                "session": number,
                "slug": slug,
                "topic": topic,
                "title": title0,
                "model": model,
                "started": iso(start),
                "ended": iso(ended),
                "status": "judged",
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {
                                "type": "text",
                                "text": "(a synthetic transcript written by bench/gen_corpus.py)",
                            }
                        ],
                    }
                ],
                "turn": turn,
                "usage": {"input_tokens": usage["input"], "output_tokens": usage["output"]},
                "cost_usd": cost,
            },
            indent=1,
        )
        + "\n"
    )
    return Plan(
        number,
        slug,
        topic,
        model,
        start,
        ended,
        steps,
        [p.slug for p in kept],
        [p.slug for p in drafts],
        entry,
        summary,
        transcript,
    )


ABANDON_REASONS = (
    "nothing new: the corpus already says it",
    "budget exhausted",
    "the thread went flat",
    "needs evidence the corpus does not have",
    "two pieces already cover it between them",
)


def _unique(slug: str, taken: set[str]) -> str:
    candidate, n = slug, 2
    while candidate in taken:
        candidate = f"{slug[:58]}-{n}"
        n += 1
    taken.add(candidate)
    return candidate


# --- the stream: plans become commits ------------------------------------------------


def emit(stream: FastImport, plan: Plan, main: str) -> tuple[int, int]:
    """Write one session: its branch, its final commit, main's commit. Returns the marks
    of (the session's head, main's new commit)."""
    sid = plan.sid
    parent = main
    marks: dict[str, int] = {}
    for i, step in enumerate(plan.steps):
        marks[step.path] = stream.blob(step.content)
        trailers = {
            "Agentgit-Session": sid,
            "Agentgit-Turn": str(step.turn),
            "Agentgit-Tool": step.tool,
        }
        commit = stream.commit(
            SCRATCH,
            plan.start + timedelta(seconds=40 * (i + 1)),
            message(step.subject, step.reasoning, trailers),
            [parent],
            [("M", marks[step.path], step.path)],
        )
        parent = f":{commit}"

    # The branch's last commit: drafts move to pieces/, the log entry is finalised.
    entry = plan.entry
    entry.head = stream.sha(parent)
    log_text = formats.render_log_entry(entry)
    log_mark = stream.blob(log_text)
    changes: list[tuple[str, ...]] = [("M", log_mark, plan.log_path)]
    parts = [f"edit {plan.log_path.removeprefix('corpus/')}"]
    for slug in plan.pieces:
        changes += [
            ("D", f"corpus/drafts/{slug}.md"),
            ("M", marks[f"corpus/drafts/{slug}.md"], f"corpus/pieces/{slug}.md"),
        ]
        parts.append(f"move drafts/{slug}.md to pieces/{slug}.md")
    crystallized = entry.outcome == "crystallized"
    verb = "Crystallize" if crystallized else "Abandon"
    subject = describe(parts, max(lines(log_text) - 10, 1), 7)
    trailers = {
        "Agentgit-Session": sid,
        "Agentgit-Outcome": entry.outcome or "",
        "Agentgit-Title": _one_line(entry.title),
        "Agentgit-Pieces": ", ".join(entry.pieces),
        "Agentgit-Turns": str(entry.turns),
        "Agentgit-Cost": f"{entry.cost_usd:.6f}",
        "Agentgit-Usage": " ".join(f"{k}={v}" for k, v in entry.usage.items()),
        "Agentgit-Model": plan.model,
    }
    head = stream.commit(
        SCRATCH,
        plan.ended,
        message(f"{verb} session {sid}: {subject[0].lower()}{subject[1:]}", plan.summary, trailers),
        [parent],
        changes,
    )

    # Main's commit. Its tree equals the head's tree whenever the branch left nothing
    # behind (no stray draft): then main takes the head's corpus/ tree whole, which
    # spares fast-import re-serialising the big pieces/ and log/ trees.
    head_sha, corpus_tree = stream.sha_and_tree(head, "corpus")
    landing = {**trailers, "Agentgit-Head": head_sha}
    same_tree = crystallized or not plan.drafts
    tree_change = [("T", corpus_tree, "corpus")] if same_tree else [("M", log_mark, plan.log_path)]
    if crystallized:
        subject = f"Crystallize session {sid}: {_one_line(entry.title)}"
        parents = [main, f":{head}"]
    else:
        subject = f"Abandon session {sid}: {_one_line(entry.reason or entry.title)}"
        parents = [main]
    new_main = stream.commit(
        "refs/heads/main", plan.ended, message(subject, plan.summary, landing), parents, tree_change
    )
    return head, new_main


def generate(
    path: Path, pieces: int, sessions: int, seed: int, echo: Callable[[str], None] = print
) -> dict:
    started = time.perf_counter()
    if pieces < 0 or sessions < 0 or (pieces and not sessions):
        raise SystemExit("pieces come from sessions: give --sessions >= 1 and counts >= 0")
    if path.exists() and any(path.iterdir()):
        raise SystemExit(f"{path}: not empty; give a new directory")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": NAME,
        "GIT_AUTHOR_EMAIL": EMAIL,
        "GIT_COMMITTER_NAME": NAME,
        "GIT_COMMITTER_EMAIL": EMAIL,
        "GIT_AUTHOR_DATE": iso(EPOCH - timedelta(days=1)),
        "GIT_COMMITTER_DATE": iso(EPOCH - timedelta(days=1)),
    }
    subprocess.run(
        [sys.executable, "-m", "agentgit", "init", str(path)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    main = _git(path, "rev-parse", "refs/heads/main").strip()

    # Planning (text generation) runs in a thread while this one feeds fast-import and
    # waits for the shas it needs back, so the two overlap.
    queue: Queue[Plan | BaseException | None] = Queue(maxsize=64)
    producer = threading.Thread(target=_produce, args=(queue, seed, sessions, pieces), daemon=True)
    producer.start()
    stream = FastImport(path)
    notes: list[tuple[int, int]] = []
    counts = {"commits": 1, "crystallized": 0}
    last = EPOCH
    while (plan := queue.get()) is not None:
        if isinstance(plan, BaseException):
            raise plan
        head, main_mark = emit(stream, plan, main)
        main = f":{main_mark}"
        stream.reset(f"refs/agentgit/sessions/{plan.sid}", head)
        notes.append((stream.blob(plan.transcript), head))
        counts["commits"] += len(plan.steps) + 2
        counts["crystallized"] += plan.entry.outcome == "crystallized"
        last = plan.ended
    if notes:
        stream.notes(NOTES_REF, last, f"Transcripts of {len(notes)} sessions (synthetic)\n", notes)
    stream.finish()
    imported = time.perf_counter()
    _git(path, "update-ref", "-d", SCRATCH)
    # fast-import's pack is far from what git would keep (it deltifies each object
    # against the one before it, in chains hundreds deep, which makes a checkout of
    # main take seconds). A repository that has been in use has been through `git gc`:
    # refs packed, objects repacked, a commit-graph written. So does this one.
    _git(path, "gc", "--quiet")
    gc_done = time.perf_counter()
    _git(path, "reset", "--quiet", "--hard", "refs/heads/main")
    done = time.perf_counter()
    stats = {
        "path": str(path),
        "seed": seed,
        "sessions": sessions,
        "pieces": len(_git(path, "ls-tree", "--name-only", "main", "corpus/pieces/").split())
        - 1,  # minus .gitkeep
        "crystallized": counts["crystallized"],
        "commits": counts["commits"],
        "main": _git(path, "rev-parse", "refs/heads/main").strip(),
        "import_seconds": round(imported - started, 2),
        "gc_seconds": round(gc_done - imported, 2),
        "checkout_seconds": round(done - gc_done, 2),
        "total_seconds": round(done - started, 2),
    }
    echo(
        f"{path}: {stats['pieces']:,} pieces, {sessions:,} sessions "
        f"({stats['crystallized']:,} crystallized), {stats['commits']:,} commits in "
        f"{stats['total_seconds']:.1f} s (init + fast-import {stats['import_seconds']:.1f} s, "
        f"gc {stats['gc_seconds']:.1f} s, checkout {stats['checkout_seconds']:.1f} s); "
        f"main {stats['main'][:12]}"
    )
    return stats


def _produce(queue: Queue, seed: int, sessions: int, pieces: int) -> None:
    try:
        for plan in plans(seed, sessions, pieces):
            queue.put(plan)
        queue.put(None)
    except BaseException as exc:  # hand it to the consumer, which re-raises it
        queue.put(exc)


def _git(path: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=path, check=True, capture_output=True, text=True
    ).stdout


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--pieces", type=int, default=10_000)
    parser.add_argument("--sessions", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--force", action="store_true", help="replace DIR if it exists")
    args = parser.parse_args(argv)
    if args.force and args.directory.exists():
        shutil.rmtree(args.directory)
    generate(args.directory, args.pieces, args.sessions, args.seed)


if __name__ == "__main__":
    main()
