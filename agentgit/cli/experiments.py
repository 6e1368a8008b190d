"""`agentgit experiments [N]`: every experiment run of every session (DESIGN §10), read
from git: as a table, JSON Lines, or autoresearch's results.tsv columns first."""

from __future__ import annotations

import json

import click

from agentgit.cli.shared import SESSION_ID, _echo, _repo


@click.command(name="experiments")
@click.argument("session", type=SESSION_ID, required=False)
@click.option("--json", "json_flag", is_flag=True, help="JSON Lines, one run a line.")
@click.option(
    "--tsv",
    "tsv_flag",
    is_flag=True,
    help="Tab-separated, autoresearch's results.tsv columns first.",
)
def experiments(session: int | None, json_flag: bool, tsv_flag: bool) -> None:
    """Every run of every experiment session (or of session N): session, experiment,
    commit, value, status (baseline, keep, discard, crash, timeout), seconds and
    hypothesis. Runs that were not kept are listed too: their commits stay under
    refs/agentgit/runs/ and their output under refs/notes/agentgit-runs."""
    from agentgit.experiment import results

    if json_flag and tsv_flag:
        raise click.UsageError("--json and --tsv are two formats: choose one")
    found = results.runs(_repo(), session)
    if json_flag:
        for run in found:
            _echo(json.dumps(run.as_record(), ensure_ascii=False))
    elif tsv_flag:
        for line in results.tsv_lines(found):
            _echo(line)
    elif not found:
        _echo("no experiment runs" + (f" in session {session:04d}" if session else "") + " yet")
    else:
        for line in results.table_lines(found):
            _echo(line)
