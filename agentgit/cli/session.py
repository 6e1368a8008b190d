"""The session commands: session, resume, abandon, and sync (what review decided)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from agentgit.cli.report import _machine_mode, _progress, _report, _step_summary
from agentgit.cli.shared import SESSION_ID, _echo, _repo, _settings
from agentgit.core.errors import AgentgitError, UsageError
from agentgit.core.outcome import Outcome


def _recorded(repo: Any, number: int, strict: bool = True) -> dict[str, Any]:
    """The settings session N's transcript recorded when it started (killed before it had
    one: what its claim recorded; {} if neither is there). Not `strict` (abandon, which
    ends a session whatever its transcript holds): {} too if it cannot be read."""
    from agentgit.lifecycle.claim import claimed_meta
    from agentgit.lifecycle.reopen import read_transcript
    from agentgit.session import transcript
    from agentgit.session.workspace import session_branches

    path = transcript.transcript_path(repo.state_dir, number)
    if not path.exists():
        branches = list(session_branches(repo, number))
        return claimed_meta(repo, number, branches[0]).began_with() if branches else {}
    try:
        return transcript.session_meta(read_transcript(repo, number)).began_with()
    except AgentgitError:
        if strict:
            raise
        return {}


def _model(spec: str, settings: Any) -> Any:
    from agentgit.models import make_model

    return make_model(spec, settings)


class _Setting(click.ParamType):
    """A flag checked by the rule of the setting it sets (settings.RULES), so a flag, a
    variable and agentgit.toml accept exactly the same values."""

    def __init__(self, setting: str, kind: str) -> None:
        self.setting = setting
        self.name = kind

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from agentgit.core.settings import coerce

        try:
            return coerce(self.setting, value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


_BUDGET_OPTIONS = [
    click.option("--model", "model", help="Model: a Claude model id, or scripted:FILE."),
    click.option("--max-turns", type=_Setting("max_turns", "integer"), help="Turn budget."),
    click.option(
        "--max-tokens", type=_Setting("max_tokens", "integer"), help="Token budget (input+output)."
    ),
    click.option("--max-cost", type=_Setting("max_cost", "float"), help="Budget in USD."),
    click.option("--max-minutes", type=_Setting("max_minutes", "float"), help="Wall-clock budget."),
    click.option(
        "--json",
        "json_flag",
        is_flag=True,
        help="Machine-readable output: one JSON object per event.",
    ),
]


def _budget_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_BUDGET_OPTIONS):
        fn = option(fn)
    return fn


@click.command()
@click.option("--topic", help="What the session should think about.")
@_budget_options
@click.option(
    "--review",
    type=click.Choice(["merge", "pr", "branch"]),
    help="merge: the session's judgement lands on main (default); pr: push "
    "the branch and open a pull request; branch: push the branch and stop.",
)
@click.option(
    "--no-push",
    "no_push",
    is_flag=True,
    help="Keep everything local even when the repository has a remote.",
)
def session(
    topic: str | None,
    model: str | None,
    max_turns: int | None,
    max_tokens: int | None,
    max_cost: float | None,
    max_minutes: float | None,
    review: str | None,
    no_push: bool,
    json_flag: bool,
) -> None:
    """Run one session: orient, explore, judge, land.

    It runs in the repository of the current directory. Without flags it uses the
    settings of agentgit.toml and AGENTGIT_* variables, else the defaults: model
    claude-sonnet-5-5 (ANTHROPIC_API_KEY, or ANTHROPIC_BASE_URL for a local server),
    30 turns, 600,000 tokens, $1.00, 30 minutes; without --topic the model picks what
    pulls.

    Exits 0 when the session judged (kept, abandoned or needs-review), 3 when it was
    interrupted (resume it with `agentgit resume N`), 1 on an error.
    """
    from agentgit.lifecycle import explore
    from agentgit.lifecycle.claim import start

    repo = _repo()
    topic = (topic or "").strip() or None  # CI passes an empty topic when none was given
    settings = _settings(
        repo,
        {
            "model": model,
            "max_turns": max_turns,
            "max_tokens": max_tokens,
            "max_cost": max_cost,
            "max_minutes": max_minutes,
            "review": review,
            "push": False if no_push else None,
        },
    )
    if settings.review != "merge":
        from agentgit.session import coordinator

        if coordinator.active(repo, settings) is None:
            raise UsageError(
                f"--review {settings.review} needs the remote '{settings.remote}' and pushing on"
            )
        if settings.review == "pr" and not os.environ.get("GITHUB_TOKEN"):
            raise UsageError("--review pr needs GITHUB_TOKEN in the environment")
    machine = _machine_mode(json_flag)
    progress = _progress(machine)
    if _spent_too_much(repo, settings, machine, progress):
        return
    drift = explore.program_warning(repo)
    if drift:
        progress("warning", {"message": drift})
    llm = _model(settings.model, settings)
    spec = settings.model
    if spec.startswith("scripted:"):  # resume may run from another directory
        spec = "scripted:" + str(Path(spec.removeprefix("scripted:")).resolve())
    current = start(repo, settings, topic=topic, model_name=llm.name, model_spec=spec)
    progress("started", {"session": current.session, "branch": current.branch})
    result = explore.run(repo, current, llm, settings, progress)
    _report(result, machine)


def _spent_too_much(
    repo: Any, settings: Any, machine: bool, progress: Callable[[str, dict[str, Any]], None]
) -> bool:
    """The spend ledger (max_cost_day, max_cost_week): True when the session must not
    start, after saying so in one line (exit 0: nothing went wrong)."""
    from agentgit.session import ledger

    if not ledger.caps(settings):
        return False
    from agentgit.core.settings import DEFAULT_MODEL
    from agentgit.models.base import Usage
    from agentgit.models.pricing import cost_usd
    from agentgit.session import coordinator

    rate = cost_usd(
        settings.model or DEFAULT_MODEL, Usage(input_tokens=1_000_000), settings.pricing
    )
    line, total = ledger.refusal(
        repo, settings, coordinator.active(repo, settings), may=settings.max_cost if rate else 0.0
    )
    if line is None:
        unknown = max(total.unknown.values())
        if unknown or rate is None:
            what = [] if rate is not None else ["this session's cost is unknown"]
            what += (
                [f"{unknown} recent session{'s' if unknown > 1 else ''} had an unknown cost"]
                if unknown
                else []
            )
            progress(
                "warning",
                {"message": f"{' and '.join(what)}: counted as $0 against the spending caps"},
            )
        return False
    if machine:
        _echo(
            json.dumps(
                {
                    "event": "result",
                    "outcome": Outcome.SKIPPED,
                    "reason": line,
                    "spent": total.cost,
                    "unknown_cost": total.unknown,
                }
            )
        )
    else:
        _echo(f"Session {line}")
    _step_summary(f"Session {line}\n")
    return True


@click.command()
@click.argument("number", type=SESSION_ID)
@_budget_options
def resume(
    number: int,
    model: str | None,
    max_turns: int | None,
    max_tokens: int | None,
    max_cost: float | None,
    max_minutes: float | None,
    json_flag: bool,
) -> None:
    """Continue an interrupted session N from its transcript.

    With a remote, an interrupted session is left there (its branch, and its transcript
    as a note), so it can be resumed from any clone: the next CI run, say."""
    from agentgit.lifecycle import reopen
    from agentgit.session import coordinator

    repo = _repo()
    # Say "no open session" before any complaint about the model (a missing API key);
    # a session parked on the remote by another machine is fetched here.
    reopen.check_open(repo, number, coordinator.active(repo, _settings(repo, {})))
    # A resumed session keeps the model and budget it started with, unless told otherwise.
    told = {
        "model": model or None,
        "max_turns": max_turns,
        "max_tokens": max_tokens,
        "max_cost": max_cost,
        "max_minutes": max_minutes,
    }
    settings = _settings(
        repo, {**_recorded(repo, number), **{k: v for k, v in told.items() if v is not None}}
    )
    machine = _machine_mode(json_flag)
    llm = _model(settings.model, settings)
    result = reopen.resume(repo, number, llm, settings, _progress(machine))
    _report(result, machine)


@click.command()
@click.argument("number", type=SESSION_ID)
@click.option("--reason", required=True, help="Why the session is abandoned.")
@click.option("--json", "json_flag", is_flag=True, help="Machine-readable output.")
def abandon(number: int, reason: str, json_flag: bool) -> None:
    """End open session N (interrupted, killed or left for review) as abandoned.

    A session killed after it had already judged (its branch's last commit holds the
    judgement) is landed as it judged, since undoing that commit would lose it; the
    output says which outcome it landed with.
    """
    from agentgit.lifecycle.abandon import abandon

    repo = _repo()
    recorded = _recorded(repo, number, strict=False)
    settings = _settings(repo, {k: recorded.get(k) for k in ("review", "push")})
    machine = _machine_mode(json_flag)
    result = abandon(repo, number, reason, settings, _progress(machine))
    _report(result, machine)


@click.command()
@click.option("--json", "json_flag", is_flag=True, help="One JSON object per session.")
def sync(json_flag: bool) -> None:
    """Record what review decided for sessions sent with --review pr or branch, and
    for needs-review branches left for a person to merge.

    \b
    Kept (logged "kept in review") when the session's log entry reached the
    remote's main by any merge: a merge commit, squash, rebase or fast-forward,
    on GitHub or by hand (for a needs-review session: when its head did); or
    when its pull request says merged.
    Abandoned ("closed in review") when its pull request was closed unmerged,
    or its branch was deleted from the remote without merging.

    Without a remote: needs-review branches merged into main here are kept, deleted
    ones abandoned.

    What people said in review (the pull request's reviews and comments) and the
    commits a person added to the branch go into a Review section of the session's
    log entry, which the next orientation shows.

    Each decided session is archived and its branch deleted. Pull requests are
    read only when GITHUB_TOKEN is set; without it sync reads git alone. Also
    cleans up decided agentgit:log pull requests. Running it twice changes
    nothing the second time."""
    from agentgit.review.sync import sync as do_sync

    repo = _repo()
    for item in do_sync(repo, _settings(repo, {})):
        if json_flag:
            _echo(json.dumps(item.__dict__))
        else:
            _echo(f"Session {item.session:04d} {item.outcome} in review: {item.note}")
