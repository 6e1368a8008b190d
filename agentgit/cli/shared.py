"""What every command module shares: the one way to print, the repository of the current
directory, its settings, and the session-id argument."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from agentgit.core.scrub import printable

if TYPE_CHECKING:  # imported when called: `agentgit --version` stays quick
    from agentgit.core.settings import Settings
    from agentgit.git import Repository

SESSION_ID = click.IntRange(1)  # ids start at 1: `show 0` is a usage error, not a lookup


def _echo(text: str = "", **kwargs: Any) -> None:
    """Every line the CLI prints goes through here: titles, topics, reasons and file
    names come from people and models, and a control sequence among them (an OSC that
    retitles the terminal, a BEL) must not reach the terminal."""
    click.echo(printable(str(text)), **kwargs)


def _repo(path: str = ".") -> Repository:
    from agentgit.git import Repository

    return Repository.discover(Path(path))


def _settings(repo: Repository, flags: dict[str, Any]) -> Settings:
    from agentgit.core import settings as settings_mod

    return settings_mod.load(repo.top, flags)
