"""The command reference cannot drift from the code: README's synopses and
docs/help.md are generated from --help by cog, and checked here (so by CI)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]


def test_the_command_reference_is_what_help_says() -> None:
    cog = Path(sys.executable).parent / "cog"
    done = subprocess.run(
        [str(cog), "--check", "README.md", "docs/help.md"],
        cwd=TOP,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (
        f"{done.stdout}{done.stderr}\nrun `cog -r README.md docs/help.md` to regenerate them"
    )


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run ends with the README's test command, word for word."""
    readme = (TOP / "README.md").read_text("utf-8")
    command = next(
        line
        for line in readme.splitlines()
        if line.startswith("python3 -m venv") and "pytest" in line
    )
    assert (TOP / ".ci" / "run").read_text("utf-8").rstrip().splitlines()[-1] == command
