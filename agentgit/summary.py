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
        f"| pieces | {', '.join(result.pieces) or '—'} |",
        f"| turns | {result.turns} |",
        f"| tokens | {result.usage.total:,} |",
        f"| cost | {cost} |",
    ]
    if result.reason:
        rows.append(f"| reason | {result.reason} |")
    if getattr(result, "review_url", None):
        rows.append(f"| review | {result.review_url} |")
    rows += ["", result.summary.strip(), ""]
    return "\n".join(rows) + "\n"
