"""The wheel carries the corpus skeleton and hooks, so `init` works from a plain install."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_ships_skeleton_and_init_works_from_it(tmp_path: Path, agentgit_wheel: Path) -> None:
    with zipfile.ZipFile(agentgit_wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    for required in (
        "agentgit/_skeleton/corpus/PROGRAM.md",
        "agentgit/_skeleton/hooks/pre-commit",
        "agentgit/lifecycle/scripts/keep.jsonl",
        "agentgit/lifecycle/scripts/abandon.jsonl",
    ):
        assert required in names
    target = tmp_path / "fresh"
    code = (
        "import sys; from pathlib import Path; import agentgit.corpus.skeleton as s; "
        "assert '_skeleton' in str(s.skeleton_root()), s.skeleton_root(); "
        "s.init(Path(sys.argv[1]))"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    subprocess.run(
        [sys.executable, "-c", code, str(target)],
        check=True,
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    program = (target / "corpus" / "PROGRAM.md").read_text("utf-8")
    assert program == (ROOT / "corpus" / "PROGRAM.md").read_text("utf-8")
    assert os.access(target / "hooks" / "pre-commit", os.X_OK)


def test_ruff_is_clean() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "agentgit", "tests", "bench"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_commands_that_do_not_talk_to_a_model_do_not_import_the_sdk(tmp_path: Path) -> None:
    code = (
        "import sys, agentgit.cli, agentgit.corpus.history, agentgit.corpus.formats; "
        "import agentgit.session.workspace; "
        "print('anthropic' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "False"


def test_the_embeddings_extra_is_optional() -> None:
    """The default install stays without a model: wordllama only in the extra."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert not any("wordllama" in d for d in project["dependencies"])
    assert [d.split(">")[0] for d in project["optional-dependencies"]["embeddings"]] == [
        "wordllama"
    ]
