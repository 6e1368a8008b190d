"""`agentgit demo`: three scripted sessions in a fresh corpus repository, offline.

The first keeps a piece and opens a question; the second carries the question and
abandons; the third names the question dead, tries to keep a near-duplicate of the
piece, is refused, and revises the piece instead. Then the map is drawn."""

from __future__ import annotations

import shlex
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from agentgit.agent.budget import NOTE_OPEN
from agentgit.core import refs
from agentgit.core.errors import AgentgitError, Interrupted
from agentgit.core.scrub import clean_line
from agentgit.core.settings import Settings
from agentgit.corpus import history
from agentgit.corpus.skeleton import init
from agentgit.git import Repository
from agentgit.landscape import questions, terrain
from agentgit.lifecycle.claim import start
from agentgit.lifecycle.explore import run
from agentgit.map import drawing, gather
from agentgit.models.scripted import ScriptedModel
from agentgit.session import transcript
from agentgit.session.show import session_view
from agentgit.session.workspace import Result

SCRIPTS = Path(__file__).parent / "scripts"
SESSIONS = (
    ("keep.jsonl", "why keep abandoned explorations"),
    ("abandon.jsonl", None),
    ("revise.jsonl", "discarded work as evidence"),
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
        result = demo_session(repo, settings, topic, SCRIPTS / script)
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
    refused = _refusal(repo, len(SESSIONS))
    if refused:
        echo(f"\nSession {len(SESSIONS):04d} tried to keep a near-duplicate; crystallize answered:")
        echo(f"  {refused}")
    echo("\nagentgit questions --all:")
    for q in questions.read(repo, settings.dead_after):
        echo("  " + q.describe().replace("\n", "\n  "))
    echo("\nagentgit landscape (where each session stood; docs/terrain.md):")
    for line in terrain.view(terrain.survey(repo, settings)):
        echo(f"  {line}" if line else "")
    page = gather.gather(repo, settings.dead_after)
    target = drawing.write(drawing.render(page), drawing.default_path(repo))
    echo(f"\nThe map: {target} (open it in a browser)")
    echo(f"\nLook around: cd {directory} && {_program()} show 3 --transcript")
    return directory


def demo_session(repo: Repository, settings: Settings, topic: str | None, script: Path) -> Result:
    """One scripted session of a demo. The transcript records the script's path (not the
    bare name "scripted", which would be taken for a Claude model id), so a demo cut
    short resumes offline; the hint says where, since the demo's directory is not ours."""
    spec = f"scripted:{script}"
    try:
        current = start(repo, settings, topic=topic, model_name="scripted", model_spec=spec)
        return run(repo, current, ScriptedModel.from_file(script), settings)
    except Interrupted as exc:
        n = exc.session
        if n is None:
            raise
        here = f"`cd {shlex.quote(str(repo.top))} && {_program()} resume {n}`"
        raise Interrupted(exc.message.replace(f"`agentgit resume {n}`", here), n) from None


def _refusal(repo: Repository, number: int) -> str | None:
    """The first error a judging call of session `number` got back, from its transcript."""
    note = session_view(repo, number).transcript
    messages = transcript.parse(note).get("messages", []) if note else []
    calls = {
        b.get("id"): b.get("name")
        for m in messages
        for b in m.get("content", [])
        if isinstance(b, dict) and b.get("type") == "tool_use"
    }
    for m in messages:
        for b in m.get("content", []):
            if (
                isinstance(b, dict)
                and b.get("type") == "tool_result"
                and b.get("is_error")
                and calls.get(b.get("tool_use_id")) == "crystallize"
            ):
                content = b.get("content")
                text = content if isinstance(content, str) else str(content)
                return clean_line(text.split(f"\n\n{NOTE_OPEN}")[0])  # the loop's own note
    return None


def _program() -> str:
    """How to run agentgit again: by name where it is on PATH (an activated venv), else
    by the path of this one (`.venv/bin/agentgit demo` run as the README says)."""
    if shutil.which("agentgit"):
        return "agentgit"
    beside = Path(sys.executable).with_name("agentgit")
    return str(beside) if beside.exists() else f"{sys.executable} -m agentgit"
