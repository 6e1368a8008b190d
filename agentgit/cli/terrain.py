"""`agentgit landscape`: the terrain of the inquiry (DESIGN §8) — regions, each
session's verdict and its reason, circling, and coverage over time."""

from __future__ import annotations

import json
from typing import Any

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
    time. Lexical and retrospective: it judges nothing (docs/terrain.md)."""
    from agentgit.landscape import terrain

    repo = _repo()
    repo.main_commit()  # no main: one line saying so
    found = terrain.survey(repo, _settings(repo, {})).last(limit)
    if json_flag:
        for record in found.records():
            _echo(json.dumps(record, ensure_ascii=False))
        return
    for line in lines(found):
        _echo(line)


def lines(found: Any) -> list[str]:
    """The terminal view of a Terrain."""
    out = [
        f"{len(found.pieces)} piece{'s' * (len(found.pieces) != 1)} in "
        f"{len(found.regions)} region{'s' * (len(found.regions) != 1)}; "
        f"{len(found.sessions)} session{'s' * (len(found.sessions) != 1)} shown "
        f"(circling: {found.dead_after} wandering in a row in one region)"
    ]
    if found.regions:
        out += ["", "Regions"]
        for r in found.regions:
            mark = ""
            if r.circling:
                mark = "  circling: " + ", ".join(f"{s:04d}" for s in r.circling)
            words = ", ".join(r.words) or "(no words)"
            out.append(f"  {r.id:>4}  {words:<36} {len(r.pieces):>5} pieces{mark}")
    if found.sessions:
        out += ["", "Sessions"]
        for s in found.sessions:
            verdict = s.verdict + ("*" if s.circling else "")
            out.append(f"  {s.session:04d}  {verdict:<11} {s.why}")
        if any(s.circling for s in found.sessions):
            out.append("  (* circling)")
        out += ["", "Coverage (regions touched so far, new this session, keeps that founded one)"]
        for c in found.coverage:
            out.append(
                f"  {c.session:04d}  {c.regions_touched:>5} regions  +{c.new_regions:<4} "
                f"founded {c.founded_share:.0%}"
            )
    return out
