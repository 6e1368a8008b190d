"""`agentgit demo --metric`: one scripted experiment session on the toy problem that ships
in the package (agentgit/experiment/toy.py), offline, in seconds. It shows a keep, a
refused edit of the evaluator, a discard, a crash and a timeout, and what git keeps of
them: the runs on the branch, the ones not kept on refs/agentgit/runs/, main's figures."""

from __future__ import annotations

import shlex
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from agentgit.core import refs
from agentgit.core.errors import AgentgitError
from agentgit.core.settings import load
from agentgit.core.trailers import Trailer
from agentgit.corpus.skeleton import init
from agentgit.experiment import results, toy
from agentgit.git import Repository
from agentgit.lifecycle.demo import demo_session
from agentgit.session import transcript
from agentgit.session.show import session_view

SCRIPT = Path(__file__).parent / "scripts" / "metric.jsonl"


def run_metric_demo(directory: Path | None, echo: Callable[[str], None]) -> Path:
    if directory is None:
        directory = Path(tempfile.mkdtemp(prefix="agentgit-demo-metric-"))
    elif directory.exists() and not directory.is_dir():
        raise AgentgitError(f"{directory}: is a file; give the demo a new directory")
    elif directory.exists() and any(directory.iterdir()):
        raise AgentgitError(f"{directory}: not empty; give the demo a new directory")
    echo("A scripted experiment session on a toy problem: train.py holds one number,")
    echo("evaluate.py (read-only) prints its loss. The model's turns come from a file")
    echo(f"shipped with agentgit; the runs, the judge and git are real. Repository: {directory}\n")
    init(directory)
    repo = Repository.discover(directory)
    files = {
        "train.py": toy.TRAIN,
        "evaluate.py": toy.EVALUATE,
        "agentgit.toml": toy.TOML.format(python=shlex.quote(sys.executable)),
    }
    for name, text in files.items():
        (directory / name).write_text(text, "utf-8")
    repo.commit_paths(list(files), lambda staged: "A toy experiment: train.py and its evaluator\n")
    settings = load(directory, {"model": "scripted", "max_minutes": 10}, env={})
    result = demo_session(repo, settings, "fit the toy", SCRIPT)
    echo(f"session {result.session:04d}: {result.outcome} ({result.turns} turns)\n")
    refused = _refusals(repo, result.session)
    if refused:
        echo("The edit of the evaluator was refused:")
        echo(f"  {refused[0]}\n")
    echo("agentgit experiments:")
    for line in results.table_lines(results.runs(repo)):
        echo(f"  {line}")
    echo(f"\nRuns not kept stay reachable ({refs.RUNS}*), each with its output as a note:")
    for ref, sha in repo.list_refs(refs.RUNS.rstrip("/")).items():
        echo(f"  {ref}  {sha[:10]}")
    figures = repo.trailers(refs.MAIN).get(Trailer.METRIC)
    echo(f"\nMain's commit carries {Trailer.METRIC}: {figures}")
    echo("\nHistory (git log --graph --oneline main):")
    echo(repo.graph(refs.MAIN))
    echo(
        f"\nLook around: cd {directory} && git notes --ref {refs.RUN_NOTES} show {refs.RUNS}0001/3"
    )
    return directory


def _refusals(repo: Repository, number: int) -> list[str]:
    """The errors the model's write tools got back, from the session's transcript."""
    note = session_view(repo, number).transcript
    messages = transcript.parse(note).get("messages", []) if note else []
    found = []
    for m in messages:
        for block in m.get("content", []):
            if (
                isinstance(block, dict)
                and block.get("type") == "tool_result"
                and block.get("is_error")
            ):
                content = block.get("content")
                text = content if isinstance(content, str) else str(content)
                if "not editable" in text:
                    found.append(text.splitlines()[0])
    return found
