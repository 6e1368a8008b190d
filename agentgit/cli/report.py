"""How a session shows itself: live progress while it runs (a status line on a terminal,
JSON lines in machine mode) and its result when it ends (session, resume, abandon)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from agentgit.cli.shared import _echo
from agentgit.core.outcome import Outcome
from agentgit.core.scrub import printable


def _machine_mode(json_flag: bool) -> bool:
    return json_flag or os.environ.get("CI", "") not in ("", "0", "false")


def _progress(machine: bool) -> Callable[[str, dict[str, Any]], None]:
    """Live progress: a status line on a terminal, JSON lines in machine mode."""
    state: dict[str, Any] = {"turn": 0}
    interactive = sys.stderr.isatty()

    def emit(event: str, data: dict[str, Any]) -> None:
        if event in ("delta", "block"):
            return  # streaming detail: too fine for a status line or a JSON event
        if machine:
            _echo(json.dumps({"event": event, **data}, default=str))
            return
        if event == "turn":
            state["turn"] = data.get("turn", 0)
            label = " (last: judge now)" if data.get("final") else ""
            _status(f"turn {state['turn']}{label}", interactive)
        elif event == "tool":
            usage = f" · {state['usage']}" if state.get("usage") else ""
            _status(f"turn {state['turn']}{usage} · {data.get('tool')}", interactive)
        elif event == "usage":
            share = data.get("cache_read", 0) / max(data.get("input", 0), 1)
            state["usage"] = (
                f"{data.get('tokens', 0):,} tokens · {share:.0%} cached · {data.get('cost', '?')}"
            )
            _status(f"turn {state['turn']} · {state['usage']}", interactive)
        elif event == "warning":
            _echo(f"warning: {data.get('message')}", err=True)

    return emit


def _status(text: str, interactive: bool) -> None:
    if interactive:
        click.echo(f"\r\x1b[2K{printable(text)}", nl=False, err=True)
    else:
        _echo(text, err=True)


def _report(result: Any, machine: bool) -> None:
    if sys.stderr.isatty() and not machine:
        click.echo("\r\x1b[2K", nl=False, err=True)
    if machine:
        _echo(json.dumps({"event": "result", **result.to_dict()}, default=str))
    else:
        cost = "cost unknown" if result.cost_usd is None else f"${result.cost_usd:.4f}"
        pieces = f" → {', '.join(result.pieces)}" if result.pieces else ""
        _echo(f"Session {result.session:04d} {result.outcome}{pieces}: {result.title}")
        if result.reason:
            _echo(f"  reason: {result.reason}")
        _echo(f"  {result.turns} turns · {result.usage.total:,} tokens · {cost}")
        if result.outcome == Outcome.NEEDS_REVIEW and result.branch:
            _echo(f"  branch {result.branch} is left for review")
        if result.review_url and result.outcome == Outcome.ABANDONED:
            _echo(f"  main is protected; log entry by pull request: {result.review_url}")
        elif result.review_url:
            _echo(f"  in review: {result.review_url}")
    _step_summary(markdown_summary(result))


# -- the step summary: a session's result as markdown, for $GITHUB_STEP_SUMMARY --
def _step_summary(text: str) -> None:
    """Add `text` to the job's step summary, when running in GitHub Actions."""
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        with open(summary_path, "a", encoding="utf-8") as handle:
            handle.write(text)


def markdown_summary(result: Any) -> str:
    cost = "unknown" if result.cost_usd is None else f"${result.cost_usd:.4f}"
    rows = [
        f"### agentgit session {result.session:04d}: {result.outcome}",
        "",
        f"**{result.title}**",
        "",
        "| | |",
        "|---|---|",
        f"| outcome | {result.outcome} |",
        f"| pieces | {_cell(', '.join(result.pieces)) or '—'} |",
        f"| turns | {result.turns} |",
        f"| tokens | {result.usage.total:,} |",
        f"| cost | {cost} |",
    ]
    if result.reason:
        rows.append(f"| reason | {_cell(result.reason)} |")
    if getattr(result, "review_url", None):
        rows.append(f"| review | {_cell(result.review_url)} |")
    rows += ["", result.summary.strip(), ""]
    return "\n".join(rows) + "\n"


def _cell(text: str) -> str:
    """Text as one cell of a markdown table: a model's reason may hold a `|` or a line
    break, either of which would end the cell or the table."""
    return " ".join(str(text).split()).replace("|", "\\|")
