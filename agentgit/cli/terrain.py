"""`agentgit landscape`: the terrain of the inquiry (DESIGN §8) — regions, each
session's verdict and its reason, circling, and coverage over time."""

from __future__ import annotations

import json

import click

from agentgit.cli.shared import _echo, _repo, _settings


@click.command(name="landscape")
@click.option("-n", "limit", type=click.IntRange(1), help="Show only the last N sessions.")
@click.option(
    "--json",
    "json_flag",
    is_flag=True,
    help="JSON Lines: piece, region, session, coverage records.",
)
def landscape(limit: int | None, json_flag: bool) -> None:
    """Where each session stood and where it went: main's pieces in regions of similar
    pieces, each session's verdict (exploring, leaping, surveying, wandering, or
    unknown) with its reason, the regions sessions are circling, and coverage over
    time. A retrospect: it judges nothing (docs/terrain.md)."""
    from agentgit.landscape import terrain

    repo = _repo()
    repo.main_commit()  # no main: one line saying so
    found = terrain.survey(repo, _settings(repo, {})).last(limit)
    if json_flag:
        for record in found.records():
            _echo(json.dumps(record, ensure_ascii=False))
        return
    for line in terrain.view(found):
        _echo(line)
