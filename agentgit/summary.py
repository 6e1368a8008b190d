"""A session's result as markdown, for $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

from typing import Any


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
