"""The commands that read what sessions left: log, questions, show, map, and replay
(which re-runs a recorded session offline to check it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from agentgit.cli.shared import SESSION_ID, _echo, _repo, _settings
from agentgit.core import refs
from agentgit.core.outcome import OPEN, Outcome

if TYPE_CHECKING:  # the CLI imports the bands only for the command that runs
    from agentgit.corpus.formats import NoveltyRecord


@click.command(name="log")
@click.option("-n", "limit", type=click.IntRange(1), help="Show at most N sessions.")
@click.option("--json", "json_flag", is_flag=True, help="One JSON object per line.")
def log_command(limit: int | None, json_flag: bool) -> None:
    """One line per session, newest first: id, date, outcome, title, pieces, turns, cost."""
    from agentgit.corpus import history

    repo = _repo()
    if json_flag:
        _echo("\n".join(history.log_json(repo, limit)))
        _warn_skipped(repo)
        return
    lines = history.log(repo)
    # One line per session: one that main records is listed by that record (a
    # needs-review one with the branch that waits), not also as open.
    recorded = {x.session for x in lines}
    waiting: dict[int, str] = {}
    for number, branch in history.open_sessions(repo):
        if number in recorded:
            waiting[number] = branch
            continue
        state = Outcome.IN_REVIEW if history.in_review(repo, number) else OPEN
        _echo(f"{number:04d}  ({state}){' ' * (10 - len(state))}{state:<13} {branch}")
    for x in lines[:limit]:
        cost = "cost ?" if x.cost_usd is None else f"${x.cost_usd:.4f}"
        pieces = f" [{', '.join(x.pieces)}]" if x.pieces else ""
        branch = (
            f"  branch {waiting[x.session]}"
            if x.outcome == Outcome.NEEDS_REVIEW and x.session in waiting
            else ""
        )
        _echo(
            f"{x.session:04d}  {x.date[:10]}  {x.outcome:<13} {x.title}{pieces}"
            f"  ({x.turns} turns, {cost}){branch}"
        )
    _warn_skipped(repo)


def _warn_skipped(repo: Any) -> None:
    """A forged or broken figure on main, skipped by the reader, said on stderr."""
    from agentgit.corpus import history

    for line in history.skipped(repo):
        _echo(f"warning: {line}", err=True)


@click.command()
@click.option("--all", "show_all", is_flag=True, help="Also the answered and dropped ones.")
@click.option("--json", "json_flag", is_flag=True, help="One JSON object per line.")
def questions(show_all: bool, json_flag: bool) -> None:
    """The questions sessions opened, read from main's log: open ones by default, the
    most recently carried first, with how many sessions carried each. Marked
    possibly-dead when pursued in `dead_after` sessions with no piece that answers it;
    worth-reopening when a piece kept since is near a dropped or possibly-dead one."""
    from agentgit.landscape import questions as questions_mod

    repo = _repo()
    repo.main_commit()  # no main: one line saying so
    found = questions_mod.read(repo, _settings(repo, {}).dead_after)
    shown = [q for q in found if show_all or q.live]
    if json_flag:
        for q in shown:
            _echo(json.dumps(q.to_dict()))
        return
    if not shown:
        _echo("No questions yet." if show_all or not found else "No open questions.")
        return
    for q in shown:
        _echo(q.describe())


@click.command()
@click.argument("number", type=SESSION_ID)
@click.option(
    "--transcript",
    "with_transcript",
    is_flag=True,
    help="Also print the whole exchange with the model.",
)
def show(number: int, with_transcript: bool) -> None:
    """Session N: summary, exploration commits with their reasoning, pieces."""
    from agentgit.session.show import entry_for_show, session_view
    from agentgit.session.transcript import render_transcript

    repo = _repo()
    view = session_view(repo, number)
    if view.line:
        x = view.line
        cost = "unknown" if x.cost_usd is None else f"${x.cost_usd:.4f}"
        _echo(f"Session {number:04d} — {x.outcome} — {x.title}")
        _echo(f"  {x.date} · {x.turns} turns · cost {cost} · main {x.commit[:12]}")
        if x.pieces:
            _echo(f"  pieces: {', '.join(x.pieces)}")
        for kept in view.kept:
            _echo(f"    {kept.slug} — {kept.title}" + _novelty_text(kept.novelty))
    else:
        _echo(f"Session {number:04d} — open on {view.branch}")
    where = refs.head(view.branch) if view.branch and not view.line else refs.archive(number)
    _echo(f"  head {view.head[:12]} ({where})\n")
    if view.log_entry:
        _echo(entry_for_show(view.log_entry).rstrip() + "\n")
    _echo("Explorations:")
    for e in view.explorations:
        stat = ", ".join(f"{p} +{a} -{r}" for p, a, r in e.stat)
        _echo(f"  {e.sha[:10]} {e.subject}" + (f"  [{stat}]" if stat else ""))
        for line in e.reasoning.splitlines()[:6]:
            _echo(f"      {line}")
    if with_transcript:
        _echo("\nTranscript:")
        if view.transcript is None:
            _echo("  (no transcript note on this session's head)")
        else:
            _echo(render_transcript(view.transcript))
    _warn_skipped(repo)


@click.command(name="map")
@click.option(
    "-o",
    "--output",
    "output",
    metavar="FILE",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write the page (default: .git/agentgit/map.html; - for stdout).",
)
def map_command(output: Path | None) -> None:
    """Write the map: one self-contained HTML file (no network) of the sessions over
    time by outcome, each kept piece's novelty, the cost per session and each
    question's lifeline; a session's title, summary and commits on hover or click."""
    from agentgit.map import drawing, gather

    repo = _repo()
    # dead_after is the questions' and the terrain's setting (DESIGN §8).
    settings = _settings(repo, {})
    page = gather.gather(repo, settings.dead_after, settings)
    _warn_skipped(repo)
    text = drawing.render(page)
    if str(output) == "-":
        _echo(text, nl=False)  # user text is JSON-escaped in it: nothing is lost here
        return
    target = drawing.write(text, (output or drawing.default_path(repo)).absolute())
    counts = ", ".join(f"{n} {o}" for o, n in sorted(page.counts().items()))
    _echo(f"Wrote the map of {len(page.sessions)} sessions ({counts or 'none yet'}) to {target}")


def _novelty_text(record: NoveltyRecord | None) -> str:
    from agentgit.landscape.novelty import describe

    return f": {describe(record)}" if record else ""


@click.command()
@click.argument("number", type=SESSION_ID)
def replay(number: int) -> None:
    """Re-run recorded session N from its transcript, offline, in a scratch worktree,
    and report whether it produces the same trees."""
    from agentgit.lifecycle.replay import replay as do_replay

    report = do_replay(_repo(), number)
    _echo(report.message)
    if not report.identical:
        raise SystemExit(1)
