"""`agentgit init --ci github`: a GitHub Actions workflow that runs one session per trigger.

The workflow is plain text rendered here (no YAML library needed to write it). Every value
that comes from an event (the dispatch inputs) reaches the shell through `env:`, never
through `${{ ... }}` inside a `run:` line, so no topic can inject a command.
"""

from __future__ import annotations

from pathlib import Path

from agentgit import __version__

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
    runs-on: ubuntu-latest
    timeout-minutes: {timeout}
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install agentgit
        run: python -m pip install "agentgit=={version}"
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
          RESUME: ${{{{ inputs.resume }}}}
        run: |
          if [ -n "$RESUME" ]; then
            agentgit resume "$RESUME"
          else
            agentgit session --review "$REVIEW" --topic "$TOPIC"
          fi
"""


def render_workflow(*, cron: str = DEFAULT_CRON, timeout_minutes: int = 45,
                    version: str = __version__) -> str:
    return _TEMPLATE.format(cron=cron, timeout=timeout_minutes, version=version,
                            name=AGENT_NAME, email=AGENT_EMAIL)


def write_workflow(top: Path, *, max_minutes: float = 30.0) -> str | None:
    """Write the workflow under `top`; the relative path written, or None when a workflow
    file is already there (never overwritten)."""
    target = top / WORKFLOW_PATH
    if target.exists():
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    # The job outlives the session's own wall-clock budget by a margin for setup and push.
    target.write_text(render_workflow(timeout_minutes=int(max_minutes) + 15), "utf-8")
    return WORKFLOW_PATH
