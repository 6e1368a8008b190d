"""`agentgit demo`: two scripted sessions in a fresh corpus repository, offline."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from agentgit import history, refs
from agentgit.claim import start
from agentgit.errors import AgentgitError
from agentgit.explore import run
from agentgit.models.scripted import ScriptedModel
from agentgit.repo import Repository
from agentgit.settings import Settings
from agentgit.skeleton import init

SCRIPTS = Path(__file__).parent / "scripts"
SESSIONS = (
    ("keep.jsonl", "why keep abandoned explorations"),
    ("abandon.jsonl", None),
)


def run_demo(directory: Path | None, echo: Callable[[str], None]) -> Path:
    if directory is None:
        directory = Path(tempfile.mkdtemp(prefix="agentgit-demo-"))
    elif directory.exists() and not directory.is_dir():
        raise AgentgitError(f"{directory}: is a file; give the demo a new directory")
    elif directory.exists() and any(directory.iterdir()):
        raise AgentgitError(f"{directory}: not empty; give the demo a new directory")
    echo("This is a scripted replay: the model's turns come from files shipped with")
    echo("agentgit, no network and no API key. Everything else (the corpus, the git")
    echo(f"shape of each session, the log) is real. Repository: {directory}\n")
    init(directory)
    repo = Repository.discover(directory)
    settings = Settings(model="scripted", max_minutes=60)
    for script, topic in SESSIONS:
        model = ScriptedModel.from_file(SCRIPTS / script)
        current = start(repo, settings, topic=topic, model_name="scripted")
        result = run(repo, current, model, settings)
        pieces = f" → {', '.join(result.pieces)}" if result.pieces else ""
        echo(f"session {result.session:04d}: {result.outcome}{pieces} ({result.turns} turns)")
    echo("\nHistory (git log --graph --oneline main):")
    echo(repo.graph(refs.MAIN))
    echo(f"\nArchived sessions ({refs.ARCHIVE}*):")
    for ref, sha in repo.list_refs(refs.ARCHIVE.rstrip("/")).items():
        echo(f"  {ref}  {sha[:10]}")
    echo("\nagentgit log:")
    for x in history.log(repo):
        pieces = f" [{', '.join(x.pieces)}]" if x.pieces else ""
        echo(f"  {x.session:04d}  {x.outcome:<12} {x.title}{pieces}  ({x.turns} turns)")
    echo(f"\nLook around: cd {directory} && {_program()} show 1 --transcript")
    return directory


def _program() -> str:
    """How to run agentgit again: by name where it is on PATH (an activated venv), else
    by the path of this one (`.venv/bin/agentgit demo` run as the README says)."""
    if shutil.which("agentgit"):
        return "agentgit"
    beside = Path(sys.executable).with_name("agentgit")
    return str(beside) if beside.exists() else f"{sys.executable} -m agentgit"
