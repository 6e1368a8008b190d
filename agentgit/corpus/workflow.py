"""`agentgit init --ci github`: a GitHub Actions workflow that runs one session per trigger
(or, with `--parallel N`, N at once, each on a runner of its own).

The workflow is plain text rendered here (no YAML library needed to write it). Every value
that comes from an event (the dispatch inputs) reaches the shell through `env:`, never
through `${{ ... }}` inside a `run:` line, so no topic can inject a command.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from agentgit import __version__
from agentgit.core.errors import UsageError

WORKFLOW_PATH = ".github/workflows/agentgit.yml"
DEFAULT_CRON = "17 6 * * *"  # daily, off the top of the hour
AGENT_NAME = "agentgit"
AGENT_EMAIL = "agentgit@users.noreply.github.com"

_TEMPLATE = """\
# Written by `agentgit init --ci github`. One agentgit session per trigger: a daily
# schedule, or by hand (Actions > agentgit > Run workflow) with a topic and review mode,
# or the number of an interrupted session to resume (exit 3 left it on the remote).
# Needs the ANTHROPIC_API_KEY secret and, for --review pr, the repository setting
# "Allow GitHub Actions to create and approve pull requests".
name: agentgit

on:
  schedule:
    - cron: "{cron}"
  workflow_dispatch:
    inputs:
      topic:
        description: "What the session should think about (empty: the agent chooses)"
        required: false
        default: ""
        type: string
      review:
        description: "pr: open a pull request; branch: push the branch; merge: land on main"
        required: false
        default: "pr"
        type: choice
        options:
          - pr
          - branch
          - merge
      resume:
        description: "Resume interrupted session N instead (it was left on the remote)"
        required: false
        default: ""
        type: string

# Sessions queue one after another; a running one is never cancelled.
concurrency:
  group: agentgit-${{{{ github.repository }}}}
  cancel-in-progress: false

permissions:
  contents: write
  pull-requests: write

jobs:
  session:
    # An experiment repository's command (its [metric]) runs the agent's code here: give
    # it a runner of its own, e.g. `runs-on: [self-hosted, gpu]` (docs/experiments.md).
    runs-on: ubuntu-latest
    timeout-minutes: {timeout}
{strategy}    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      # What agentgit derives from git objects (the search index with the pieces' cards and
      # the novelty figures, the questions, the log's lines, the terrain's places) is kept by
      # object id and only grows: restored from the last run, a session reads what changed
      # since, instead of indexing and placing 10,000 pieces again on a fresh clone (many
      # seconds before its first request). A stale or foreign one is rebuilt.
      - name: Restore agentgit's caches
        uses: actions/cache@v4
        with:
          path: |
            .git/agentgit/index
            .git/agentgit/questions
            .git/agentgit/log.jsonl
            .git/agentgit/terrain
          key: agentgit-caches-${{{{ github.run_id }}}}{slot_suffix}
          restore-keys: agentgit-caches-
      # What to install is `agentgit init --ci github --install SPEC` (a pip argument).
      - name: Install agentgit
        run: |
          python -m pip install '{install}'
      - name: Git identity of the agent
        run: |
          git config user.name "{name}"
          git config user.email "{email}"
      # Record what review decided since the last run (merged or closed pull requests),
      # so the session reads an up-to-date log. A failure here does not stop the session.
      - name: Record review decisions
        continue-on-error: true
        env:
          GITHUB_TOKEN: ${{{{ github.token }}}}
        run: agentgit sync
      - name: Session
        env:
          ANTHROPIC_API_KEY: ${{{{ secrets.ANTHROPIC_API_KEY }}}}
          GITHUB_TOKEN: ${{{{ github.token }}}}
          TOPIC: ${{{{ inputs.topic }}}}
          REVIEW: ${{{{ inputs.review || 'pr' }}}}
          RESUME: ${{{{ inputs.resume }}}}{slot_env}
        run: |
          if [ -n "$RESUME" ]; then
{resume}          else
            agentgit session --review "$REVIEW" --topic "$TOPIC"
          fi
      # The map of every session so far (`agentgit map`: one HTML file), kept with the run
      # as an artifact and linked from its summary; drawn whatever the session's outcome.
      - name: Map
        if: ${{{{ !cancelled() }}}}
        run: agentgit map -o "$RUNNER_TEMP/agentgit-map.html"
      - name: Upload the map
        id: map
        if: ${{{{ !cancelled() }}}}
        uses: actions/upload-artifact@v4
        with:
          name: agentgit-map{slot_suffix}
          path: ${{{{ runner.temp }}}}/agentgit-map.html
          if-no-files-found: ignore
      - name: Link the map
        if: ${{{{ !cancelled() && steps.map.outputs.artifact-url != '' }}}}
        env:
          MAP_URL: ${{{{ steps.map.outputs.artifact-url }}}}
        run: |
          echo "[The map of the sessions]($MAP_URL) (open agentgit-map.html in a browser)" \\
            >> "$GITHUB_STEP_SUMMARY"
"""


INDEX_SPEC = f"agentgit=={__version__}"


@dataclass
class Install:
    """What the workflow's install step passes to pip, and, when that is only a guess (the
    index version of a package this copy was not installed from), why."""

    spec: str
    note: str | None = None


def check_spec(spec: str) -> str:
    """A pip argument the workflow can carry verbatim: one shell word in single quotes,
    with no GitHub expression (Actions would expand it before the shell runs)."""
    spec = spec.strip()
    if not spec:
        raise UsageError("--install: give a pip requirement, such as git+URL@COMMIT")
    if "'" in spec or "${{" in spec or not spec.isprintable():
        raise UsageError(
            f"--install: {spec!r} cannot go into the workflow as one pip argument "
            "(no quote, expression or control character)"
        )
    return spec


def install_from(direct_url: str | None) -> Install:
    """The install step for a copy of agentgit whose PEP 610 direct_url.json is
    `direct_url` (None: installed from an index, or not installed at all)."""
    if direct_url is None:
        return Install(INDEX_SPEC)
    try:
        data = json.loads(direct_url)
        url = data["url"]
    except (ValueError, KeyError, TypeError):
        return Install(INDEX_SPEC, _local_note("an unreadable direct_url.json"))
    if urlsplit(url).scheme in ("", "file"):
        kind = (
            "an editable checkout"
            if (data.get("dir_info") or {}).get("editable")
            else ("a local directory" if "dir_info" in data else "a local file")
        )
        return Install(INDEX_SPEC, _local_note(f"{kind} ({url})"))
    if urlsplit(url).password:  # PEP 610 says strip it; a workflow is committed, so check
        return Install(
            INDEX_SPEC,
            _local_note(
                "a URL with a password in it", "which must not go into a committed workflow"
            ),
        )
    fragment = f"#subdirectory={data['subdirectory']}" if data.get("subdirectory") else ""
    vcs = data.get("vcs_info")
    if vcs:
        return Install(f"{vcs.get('vcs', 'git')}+{url}@{vcs['commit_id']}{fragment}")
    return Install(f"agentgit @ {url}{fragment}")  # an archive a runner can download too


def _local_note(source: str, why: str = "which a runner cannot reach") -> str:
    return (
        f"The workflow installs {INDEX_SPEC} from the package index, but this agentgit "
        f"came from {source}, {why}: pass --install SPEC "
        "(a pip argument, e.g. git+https://github.com/OWNER/agentgit@COMMIT)"
    )


def default_install() -> Install:
    """Install agentgit on the runner the way this copy was installed, where a runner can
    reach that (PEP 610 records a VCS URL and commit, or an archive's URL)."""
    from importlib import metadata

    try:
        return install_from(metadata.distribution("agentgit").read_text("direct_url.json"))
    except metadata.PackageNotFoundError:
        return Install(INDEX_SPEC, _local_note("a source tree that is not installed"))


MAX_PARALLEL = 256  # the most jobs GitHub runs from one matrix

# `--parallel N`: a matrix of N slots, each job on a runner of its own. The sessions need
# nothing from each other: they claim their numbers and land through the remote, as
# sessions on several machines do (DESIGN §5).
_STRATEGY = """\
    # {parallel} sessions per trigger, each on a runner of its own, coordinated by the
    # remote: each claims its own number there, and main moves only by fast-forward.
    strategy:
      fail-fast: false
      matrix:
        slot: [{slots}]
"""
_RESUME_ONE = """\
            agentgit resume "$RESUME"
"""
# A resume is one session: the first slot runs it, the others have nothing to do.
_RESUME_SLOT = """\
            if [ "$SLOT" = 1 ]; then
              agentgit resume "$RESUME"
            else
              echo "slot $SLOT: a resume runs in slot 1 only"
            fi
"""


def check_parallel(parallel: int) -> int:
    if not 1 <= parallel <= MAX_PARALLEL:
        raise UsageError(
            f"--parallel: {parallel} is not a number of sessions from 1 to {MAX_PARALLEL} "
            "(GitHub's most jobs in one matrix)"
        )
    return parallel


def render_workflow(
    *,
    cron: str = DEFAULT_CRON,
    timeout_minutes: int = 45,
    install: str = INDEX_SPEC,
    parallel: int = 1,
) -> str:
    """The workflow; `parallel` > 1 runs that many sessions per trigger, one a runner."""
    many = check_parallel(parallel) > 1
    return _TEMPLATE.format(
        cron=cron,
        timeout=timeout_minutes,
        install=check_spec(install),
        name=AGENT_NAME,
        email=AGENT_EMAIL,
        strategy=_STRATEGY.format(
            parallel=parallel, slots=", ".join(str(i) for i in range(1, parallel + 1))
        )
        if many
        else "",
        # Each job saves its own cache and uploads its own map: one name each.
        slot_suffix="-${{ matrix.slot }}" if many else "",
        slot_env="\n          SLOT: ${{ matrix.slot }}" if many else "",
        resume=_RESUME_SLOT if many else _RESUME_ONE,
    )


def write_workflow(
    top: Path, *, max_minutes: float = 30.0, install: str = INDEX_SPEC, parallel: int = 1
) -> str | None:
    """Write the workflow under `top`; the relative path written, or None when a workflow
    file is already there (never overwritten)."""
    target = top / WORKFLOW_PATH
    if target.exists():
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    # The job outlives the session's own wall-clock budget by a margin for setup and push.
    text = render_workflow(
        timeout_minutes=int(max_minutes) + 15, install=install, parallel=parallel
    )
    target.write_text(text, "utf-8")
    return WORKFLOW_PATH
