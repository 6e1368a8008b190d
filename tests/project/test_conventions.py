"""The project's conventions, kept by the test suite (so by CI): ruff's lint and format,
and mypy over the package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy", "agentgit"],
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_the_code_keeps_the_conventions(command: list[str]) -> None:
    done = subprocess.run(
        [str(BIN / command[0]), *command[1:]], cwd=TOP, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_every_trailer_name_is_spelled_once() -> None:
    """A trailer name written twice can drift: a writer's key would no longer be found by
    its reader. Only core/trailers.py spells an ``Agentgit-`` name in a string."""
    import re

    literal = re.compile(r"""["']Agentgit-[A-Za-z]""")
    home = TOP / "agentgit" / "core" / "trailers.py"
    spelled = [
        f"{path.relative_to(TOP)}:{n}"
        for path in sorted((TOP / "agentgit").rglob("*.py"))
        if path != home
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if literal.search(line)
    ]
    assert spelled == []
