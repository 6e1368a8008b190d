"""The step summary a CI job shows (agentgit/cli/report.py)."""

from __future__ import annotations

from agentgit.cli.report import markdown_summary
from agentgit.models.base import Usage
from agentgit.session.workspace import Result


def test_a_reason_with_a_bar_or_a_line_break_stays_in_its_cell() -> None:
    result = Result(
        session=7,
        outcome="abandoned",
        title="Tides",
        summary="Nothing crystallized.",
        reason="a | b\nand | a second line",
        usage=Usage(),
    )
    rows = markdown_summary(result).splitlines()
    reason = next(r for r in rows if r.startswith("| reason |"))
    assert reason == "| reason | a \\| b and \\| a second line |"
    table = [r for r in rows if r.startswith("|")]
    assert all(r.count("|") - r.count("\\|") == 3 for r in table)  # two cells each
