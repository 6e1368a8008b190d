"""A toy experiment repository for the tests: train.py holds a number, evaluate.py (the
evaluator, read-only) prints `loss: (X - 7)^2` plus seeded noise, so a change of X
moves the metric."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from conftest import git
from helpers import commit_files
from scripts import Turn, turn

from agentgit.core.metric import Metric
from agentgit.core.refs import NOTES, archive

EVALUATE = """import os, random, sys
sys.path.insert(0, ".")
import train
# Seeded noise: each run takes the next seed from an untracked counter, so the runs
# differ as real ones do, and the same sequence of runs gives the same values.
seed = int(open(".seed").read()) if os.path.exists(".seed") else 0
open(".seed", "w").write(str(seed + 1))
random.seed(seed)
noise = float(open("noise.txt").read()) if os.path.exists("noise.txt") else 0.0
print("training...")
print(f"loss: {(train.X - 7) ** 2 + random.uniform(-noise, noise)}")
"""


def toy_repo(path: Path, x: float = 3, noise: float = 0.0) -> Path:
    """`path` (an agentgit corpus) with train.py and its evaluator committed on main."""
    files: dict[str, str | bytes] = {
        "train.py": f"X = {x}\n",
        "evaluate.py": EVALUATE,
    }
    if noise:
        files["noise.txt"] = f"{noise}\n"
    commit_files(path, files, "Add the toy")
    git(path, "status", "--short")
    return path


def metric(**changes: Any) -> Metric:
    values: dict[str, Any] = {
        "name": "loss",
        "command": f"{sys.executable} evaluate.py",
        "pattern": r"^loss: ([-+0-9.eE]+)",
        "editable": ("train.py",),
        "run_minutes": 0.5,
    }
    values.update(changes)
    return Metric(**values)


def write(path: str, content: str, text: str = "") -> Turn:
    return turn("write_file", {"path": path, "content": content}, text or f"Writing {path}.")


def edit_file(path: str, old: str, new: str) -> Turn:
    return turn("edit_file", {"path": path, "old": old, "new": new}, f"Editing {path}.")


def run(hypothesis: str) -> Turn:
    return turn("run_experiment", {"hypothesis": hypothesis}, f"Testing: {hypothesis}.")


def keep(summary: str = "X moved toward 7.") -> Turn:
    return turn("crystallize", {"summary": summary}, "The metric improved.")


def answers(path: Path, session: int = 1) -> list[tuple[str, str, bool]]:
    """Every tool call of the session's transcript: (tool, the answer's text without the
    budget's footer, is_error)."""
    note = json.loads(git(path, "notes", "--ref", NOTES, "show", archive(session)))
    names: dict[str, str] = {}
    found = []
    for message in note["messages"]:
        for block in message["content"] if isinstance(message["content"], list) else []:
            if block.get("type") == "tool_use":
                names[block["id"]] = block["name"]
            elif block.get("type") == "tool_result":
                content = block.get("content")
                text = content if isinstance(content, str) else str(content)
                text = text.rsplit("\n\n[budget left: ", 1)[0]
                found.append((names[block["tool_use_id"]], text, bool(block.get("is_error"))))
    return found
