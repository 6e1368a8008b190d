"""`agentgit init --ci github`: the workflow it writes (DESIGN §5)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from conftest import agentgit, git

from agentgit import __version__
from agentgit.ci import WORKFLOW_PATH, render_workflow


def run_lines(text: str) -> list[str]:
    """Every line of shell the workflow runs: `run: x` and the body of `run: |` blocks."""
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        match = re.match(r"^(\s*)(?:- )?run:\s*(.*)$", lines[i])
        if match:
            indent, rest = len(match.group(1)), match.group(2)
            if rest.strip() in ("|", ">", "|-", ">-"):
                i += 1
                while i < len(lines) and (not lines[i].strip()
                                          or len(lines[i]) - len(lines[i].lstrip()) > indent):
                    out.append(lines[i])
                    i += 1
                continue
            out.append(rest)
        i += 1
    return out


def test_init_ci_writes_a_valid_least_privilege_workflow(tmp_path: Path) -> None:
    repo = tmp_path / "corpus"
    proc = agentgit(tmp_path, "init", str(repo), "--ci", "github")
    assert proc.returncode == 0, proc.stderr
    workflow = repo / WORKFLOW_PATH
    text = workflow.read_text("utf-8")
    # Committed with the skeleton.
    assert WORKFLOW_PATH in git(repo, "ls-tree", "-r", "--name-only", "main")
    checked = subprocess.run(
        [str(Path(sys.executable).parent / "check-jsonschema"), "--builtin-schema",
         "vendor.github-workflows", str(workflow)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    assert "schedule:" in text and "workflow_dispatch:" in text
    assert re.search(r"cron: \"[^\"]+ \* \* \*\"", text)  # daily
    assert "cancel-in-progress: false" in text
    permissions = text.split("permissions:\n", 1)[1].split("\n\n", 1)[0]
    assert sorted(line.strip() for line in permissions.splitlines()) == [
        "contents: write", "pull-requests: write"]
    assert re.search(r"timeout-minutes: \d+", text)
    assert "fetch-depth: 0" in text
    assert 'python-version: "3.11"' in text
    assert f"agentgit=={__version__}" in text
    assert "git config user.name" in text and "git config user.email" in text
    assert "ANTHROPIC_API_KEY: ${{ secrets.ANTHROPIC_API_KEY }}" in text
    assert "GITHUB_TOKEN: ${{ github.token }}" in text
    assert 'agentgit session --review "$REVIEW" --topic "$TOPIC"' in text
    assert 'agentgit resume "$RESUME"' in text and "RESUME: ${{ inputs.resume }}" in text
    # Yesterday's review decisions are recorded before today's session reads the log.
    assert 0 < text.index("run: agentgit sync") < text.index("agentgit session --review")
    # No expression at all inside a run: line; event text only through env:.
    shell = run_lines(text)
    assert any("agentgit session" in line for line in shell)
    for line in shell:
        assert "${{" not in line, line


def test_init_ci_never_overwrites_an_existing_workflow(tmp_path: Path) -> None:
    repo = tmp_path / "corpus"
    mine = repo / WORKFLOW_PATH
    mine.parent.mkdir(parents=True)
    mine.write_text("name: mine\n", "utf-8")
    proc = agentgit(tmp_path, "init", str(repo), "--ci", "github")
    assert proc.returncode == 0, proc.stderr
    assert mine.read_text("utf-8") == "name: mine\n"
    assert "not overwritten" in proc.stdout
    again = agentgit(repo, "init", "--ci", "github")
    assert again.returncode == 0 and mine.read_text("utf-8") == "name: mine\n"


def test_the_rendered_run_lines_hold_no_event_text() -> None:
    text = render_workflow()
    for line in run_lines(text):
        assert "${{ github.event" not in line and "${{ inputs" not in line
