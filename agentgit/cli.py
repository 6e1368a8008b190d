"""The command line: the only place that prints or exits.

Exit codes: 0 a session ended with a judgement (kept, abandoned or needs-review) or a
command succeeded; 1 an error (one line, no traceback; AGENTGIT_DEBUG=1 shows it);
2 usage; 3 interrupted and resumable (the model or, while landing, the remote was down).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from agentgit import __version__, refs
from agentgit.ending import Outcome
from agentgit.errors import AgentgitError, UsageError
from agentgit.scrub import printable

EXIT_INTERRUPTED = 3
SESSION_ID = click.IntRange(1)  # ids start at 1: `show 0` is a usage error, not a lookup


def main() -> None:
    from agentgit import stops

    stops.install()
    try:
        cli.main(prog_name="agentgit", standalone_mode=False)
    except click.exceptions.Abort:
        _echo("agentgit: aborted", err=True)
        sys.exit(1)
    except click.exceptions.NoArgsIsHelpError as exc:
        exc.show()  # bare `agentgit`: the help, as before
        sys.exit(2)
    except click.UsageError as exc:
        # One line, like every other error, naming where the help is.
        hint = f" (see '{exc.ctx.command_path} -h')" if exc.ctx else ""
        _echo(f"agentgit: {_one_line(exc.format_message())}{hint}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        _echo(f"agentgit: {_one_line(exc.format_message())}", err=True)
        sys.exit(exc.exit_code)
    except AgentgitError as exc:
        _debug()
        _echo(f"agentgit: {exc.message}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt as exc:
        why = getattr(exc, "message", "stopped by the user")
        _echo(f"agentgit: interrupted: {why}", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:  # the last line of defence: still one line
        _debug()
        _echo(f"agentgit: internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)


def _echo(text: str = "", **kwargs: Any) -> None:
    """Every line the CLI prints goes through here: titles, topics, reasons and file
    names come from people and models, and a control sequence among them (an OSC that
    retitles the terminal, a BEL) must not reach the terminal."""
    click.echo(printable(str(text)), **kwargs)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _debug() -> None:
    if os.environ.get("AGENTGIT_DEBUG", "") not in ("", "0"):
        traceback.print_exc()


def _repo(path: str = ".") -> Any:
    from agentgit.repo import Repository

    return Repository.discover(Path(path))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="agentgit")
def cli() -> None:
    """agentgit: a git-native agent that versions its own thinking.

    A corpus of markdown pieces and a log of sessions live in a git repository. Each
    session is a branch; each exploration a commit carrying the model's reasoning. A
    session that crystallizes a piece merges to main; one that does not is abandoned,
    its log entry still lands on main and its branch is archived, never lost.
    """


# -- init / check ---------------------------------------------------------------------


@cli.command()
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option("--ci", type=click.Choice(["github"]), help="Also write a CI workflow.")
@click.option(
    "--install",
    "install",
    metavar="SPEC",
    help="What the workflow's install step passes to pip, e.g. "
    "git+https://github.com/OWNER/agentgit@COMMIT (default: agentgit as this copy "
    "was installed, where a runner can reach that).",
)
def init(path: Path, ci: str | None, install: str | None) -> None:
    """Create or adopt a corpus repository at PATH (default: here).

    Adds what is missing (corpus/PROGRAM.md, corpus/pieces, corpus/log, hooks/,
    agentgit.toml), never overwrites a file you have, sets core.hooksPath=hooks and
    commits the skeleton on main. Safe to run again.
    """
    from agentgit.skeleton import init as do_init

    report = do_init(path, ci=ci, install=install)
    verb = "Created" if report.created else "Adopted"
    _echo(f"{verb} corpus repository {report.path}")
    if report.added:
        _echo(f"Added {', '.join(report.added)}")
    else:
        _echo("Nothing to add: already set up")
    if report.kept_workflow:
        _echo(f"Kept the existing {report.kept_workflow} (not overwritten)")
    if report.program:
        _echo(_PROGRAM_NOTES[report.program])
    if report.install_note:
        _echo(f"warning: {report.install_note}", err=True)


_PROGRAM_NOTES = {
    "adopted": "Adopted your corpus/PROGRAM.md: committed it with the skeleton, so sessions run it",
    "kept": "Kept your corpus/PROGRAM.md as committed on main: sessions run it",
    "kept-modified": "Kept corpus/PROGRAM.md as committed on main; sessions run that one, "
    "not your uncommitted changes to it, until you commit them",
}


@cli.command()
@click.argument("paths", nargs=-1)
@click.option(
    "--staged",
    is_flag=True,
    help="Check the corpus files staged for commit (what the pre-commit hook runs).",
)
def check(paths: tuple[str, ...], staged: bool) -> None:
    """Validate corpus files: frontmatter, slugs, file kinds.

    Prints FILE:LINE: REASON for each problem and exits 1 if there is any. With no
    PATHS, checks every file under corpus/.
    """
    from agentgit.check import check_text, check_tree

    repo = _repo()
    if staged:
        problems = []
        for path, text in repo.staged_files("corpus"):
            problems += check_text(path, text)
    else:
        rels = []
        for p in paths:
            absolute = (Path.cwd() / p).resolve()
            try:
                rels.append(str(absolute.relative_to(repo.top)))
            except ValueError:
                raise UsageError(f"{p}: outside the repository") from None
            if not absolute.exists():  # or it would pass as checked
                raise UsageError(f"{p}: no such file or directory")
        problems = check_tree(repo.top, rels or None)
    for problem in problems:
        _echo(str(problem))
    if problems:
        raise SystemExit(1)


# -- sessions ---------------------------------------------------------------------------


def _settings(repo: Any, flags: dict[str, Any]) -> Any:
    from agentgit import settings as settings_mod

    return settings_mod.load(repo.top, flags)


def _recorded(repo: Any, number: int, strict: bool = True) -> dict[str, Any]:
    """What session N's transcript recorded when it started ({} if it has none). Not
    `strict` (abandon, which ends a session whatever its transcript holds): {} too if
    it cannot be read."""
    from agentgit import transcript
    from agentgit.reopen import read_transcript

    path = transcript.transcript_path(repo.state_dir, number)
    if not path.exists():
        return {}
    try:
        return dict(read_transcript(repo, number))
    except AgentgitError:
        if strict:
            raise
        return {}


def _model(spec: str, settings: Any) -> Any:
    from agentgit.models import make_model

    return make_model(spec, settings)


def _machine_mode(json_flag: bool) -> bool:
    return json_flag or os.environ.get("CI", "") not in ("", "0", "false")


def _progress(machine: bool) -> Callable[[str, dict[str, Any]], None]:
    """Live progress: a status line on a terminal, JSON lines in machine mode."""
    state: dict[str, Any] = {"turn": 0}
    interactive = sys.stderr.isatty()

    def emit(event: str, data: dict[str, Any]) -> None:
        if event in ("delta", "block"):
            return  # streaming detail: too fine for a status line or a JSON event
        if machine:
            _echo(json.dumps({"event": event, **data}, default=str))
            return
        if event == "turn":
            state["turn"] = data.get("turn", 0)
            label = " (last: judge now)" if data.get("final") else ""
            _status(f"turn {state['turn']}{label}", interactive)
        elif event == "tool":
            usage = f" · {state['usage']}" if state.get("usage") else ""
            _status(f"turn {state['turn']}{usage} · {data.get('tool')}", interactive)
        elif event == "usage":
            share = data.get("cache_read", 0) / max(data.get("input", 0), 1)
            state["usage"] = (
                f"{data.get('tokens', 0):,} tokens · {share:.0%} cached · {data.get('cost', '?')}"
            )
            _status(f"turn {state['turn']} · {state['usage']}", interactive)
        elif event == "warning":
            _echo(f"warning: {data.get('message')}", err=True)

    return emit


def _status(text: str, interactive: bool) -> None:
    if interactive:
        click.echo(f"\r\x1b[2K{printable(text)}", nl=False, err=True)
    else:
        _echo(text, err=True)


def _report(result: Any, machine: bool) -> None:
    from agentgit.summary import markdown_summary

    if sys.stderr.isatty() and not machine:
        click.echo("\r\x1b[2K", nl=False, err=True)
    if machine:
        _echo(json.dumps({"event": "result", **result.to_dict()}, default=str))
    else:
        cost = "cost unknown" if result.cost_usd is None else f"${result.cost_usd:.4f}"
        pieces = f" → {', '.join(result.pieces)}" if result.pieces else ""
        _echo(f"Session {result.session:04d} {result.outcome}{pieces}: {result.title}")
        if result.reason:
            _echo(f"  reason: {result.reason}")
        _echo(f"  {result.turns} turns · {result.usage.total:,} tokens · {cost}")
        if result.outcome == Outcome.NEEDS_REVIEW and result.branch:
            _echo(f"  branch {result.branch} is left for review")
        if result.review_url and result.outcome == Outcome.ABANDONED:
            _echo(f"  main is protected; log entry by pull request: {result.review_url}")
        elif result.review_url:
            _echo(f"  in review: {result.review_url}")
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        with open(summary_path, "a", encoding="utf-8") as handle:
            handle.write(markdown_summary(result))


class _Setting(click.ParamType):
    """A flag checked by the rule of the setting it sets (settings.RULES), so a flag, a
    variable and agentgit.toml accept exactly the same values."""

    def __init__(self, setting: str, kind: str) -> None:
        self.setting = setting
        self.name = kind

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from agentgit.settings import coerce

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


@cli.command()
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
    from agentgit import claim, explore

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
        from agentgit import remote as remote_mod

        if remote_mod.active(repo, settings) is None:
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
    current = claim.start(repo, settings, topic=topic, model_name=llm.name, model_spec=spec)
    progress("started", {"session": current.session, "branch": current.branch})
    result = explore.run(repo, current, llm, settings, progress)
    _report(result, machine)


def _spent_too_much(
    repo: Any, settings: Any, machine: bool, progress: Callable[[str, dict[str, Any]], None]
) -> bool:
    """The spend ledger (max_cost_day, max_cost_week): True when the session must not
    start, after saying so in one line (exit 0: nothing went wrong)."""
    from agentgit import ledger

    if not ledger.caps(settings):
        return False
    from agentgit import remote as remote_mod
    from agentgit.models.base import Usage
    from agentgit.pricing import cost_usd
    from agentgit.settings import DEFAULT_MODEL

    rate = cost_usd(
        settings.model or DEFAULT_MODEL, Usage(input_tokens=1_000_000), settings.pricing
    )
    line, total = ledger.refusal(
        repo, settings, remote_mod.active(repo, settings), may=settings.max_cost if rate else 0.0
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
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        with open(summary_path, "a", encoding="utf-8") as handle:
            handle.write(f"Session {line}\n")
    return True


@cli.command()
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
    from agentgit import remote as remote_mod
    from agentgit import reopen

    repo = _repo()
    # Say "no open session" before any complaint about the model (a missing API key);
    # a session parked on the remote by another machine is fetched here.
    reopen.check_open(repo, number, remote_mod.active(repo, _settings(repo, {})))
    recorded = _recorded(repo, number)
    # A resumed session keeps the model and budget it started with, unless told otherwise.
    budget = recorded.get("budget") or {}
    settings = _settings(
        repo,
        {
            "model": model or recorded.get("model_spec") or recorded.get("model"),
            **{
                name: budget.get(name) if flag is None else flag
                for name, flag in (
                    ("max_turns", max_turns),
                    ("max_tokens", max_tokens),
                    ("max_cost", max_cost),
                    ("max_minutes", max_minutes),
                )
            },
            "review": recorded.get("review"),
            "push": recorded.get("push"),
            **(recorded.get("thinking") or {}),
        },
    )
    machine = _machine_mode(json_flag)
    llm = _model(settings.model, settings)
    result = reopen.resume(repo, number, llm, settings, _progress(machine))
    _report(result, machine)


@cli.command()
@click.argument("number", type=SESSION_ID)
@click.option("--reason", required=True, help="Why the session is abandoned.")
@click.option("--json", "json_flag", is_flag=True, help="Machine-readable output.")
def abandon(number: int, reason: str, json_flag: bool) -> None:
    """End open session N (interrupted, killed or left for review) as abandoned.

    A session killed after it had already judged (its branch's last commit holds the
    judgement) is landed as it judged, since undoing that commit would lose it; the
    output says which outcome it landed with.
    """
    from agentgit import abandon as abandoning

    repo = _repo()
    recorded = _recorded(repo, number, strict=False)
    settings = _settings(repo, {"review": recorded.get("review"), "push": recorded.get("push")})
    machine = _machine_mode(json_flag)
    result = abandoning.abandon(repo, number, reason, settings, _progress(machine))
    _report(result, machine)


@cli.command()
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
    from agentgit.sync import sync as do_sync

    repo = _repo()
    for item in do_sync(repo, _settings(repo, {})):
        if json_flag:
            _echo(json.dumps(item.__dict__))
        else:
            _echo(f"Session {item.session:04d} {item.outcome} in review: {item.note}")


# -- reading ----------------------------------------------------------------------------


@cli.command(name="log")
@click.option("-n", "limit", type=click.IntRange(1), help="Show at most N sessions.")
@click.option("--json", "json_flag", is_flag=True, help="One JSON object per line.")
def log_command(limit: int | None, json_flag: bool) -> None:
    """One line per session, newest first: id, date, outcome, title, pieces, turns, cost."""
    from agentgit import history

    repo = _repo()
    if json_flag:
        _echo("\n".join(history.log_json(repo, limit)))
        return
    lines = history.log(repo)
    # One line per session: one that main records is listed by that record (a
    # needs-review one with the branch that waits), not also as open.
    recorded = {x.session for x in lines}
    waiting: dict[int, str] = {}
    for number, branch in history.open_sessions(repo):
        if number in recorded:
            waiting[number] = branch
            continue
        state = Outcome.IN_REVIEW if history.in_review(repo, number) else "open"
        _echo(f"{number:04d}  ({state}){' ' * (10 - len(state))}{state:<13} {branch}")
    for x in lines[:limit]:
        cost = "cost ?" if x.cost_usd is None else f"${x.cost_usd:.4f}"
        pieces = f" [{', '.join(x.pieces)}]" if x.pieces else ""
        branch = (
            f"  branch {waiting[x.session]}"
            if x.outcome == Outcome.NEEDS_REVIEW and x.session in waiting
            else ""
        )
        _echo(
            f"{x.session:04d}  {x.date[:10]}  {x.outcome:<13} {x.title}{pieces}"
            f"  ({x.turns} turns, {cost}){branch}"
        )


@cli.command()
@click.option("--all", "show_all", is_flag=True, help="Also the answered and dropped ones.")
@click.option("--json", "json_flag", is_flag=True, help="One JSON object per line.")
def questions(show_all: bool, json_flag: bool) -> None:
    """The questions sessions opened, read from main's log: open ones by default, the
    most recently carried first, with how many sessions carried each. Marked
    possibly-dead when pursued in `dead_after` sessions with no piece that answers it;
    worth-reopening when a piece kept since is near a dropped or possibly-dead one."""
    from agentgit import questions as questions_mod

    repo = _repo()
    repo.main_commit()  # no main: one line saying so
    found = questions_mod.read(repo, _settings(repo, {}).dead_after)
    shown = [q for q in found if show_all or q.live]
    if json_flag:
        for q in shown:
            _echo(json.dumps(q.to_dict()))
        return
    if not shown:
        _echo("No questions yet." if show_all or not found else "No open questions.")
        return
    for q in shown:
        _echo(q.describe())


@cli.command()
@click.argument("number", type=SESSION_ID)
@click.option(
    "--transcript",
    "with_transcript",
    is_flag=True,
    help="Also print the whole exchange with the model.",
)
def show(number: int, with_transcript: bool) -> None:
    """Session N: summary, exploration commits with their reasoning, pieces."""
    from agentgit import history

    view = history.show(_repo(), number)
    if view.line:
        x = view.line
        cost = "unknown" if x.cost_usd is None else f"${x.cost_usd:.4f}"
        _echo(f"Session {number:04d} — {x.outcome} — {x.title}")
        _echo(f"  {x.date} · {x.turns} turns · cost {cost} · main {x.commit[:12]}")
        if x.pieces:
            _echo(f"  pieces: {', '.join(x.pieces)}")
        for kept in view.kept:
            _echo(f"    {kept.slug} — {kept.title}" + _novelty_text(kept.novelty))
    else:
        _echo(f"Session {number:04d} — open on {view.branch}")
    _echo(f"  head {view.head[:12]} ({refs.archive(number)})\n")
    if view.log_entry:
        _echo(view.log_entry.rstrip() + "\n")
    _echo("Explorations:")
    for e in view.explorations:
        stat = ", ".join(f"{p} +{a} -{r}" for p, a, r in e.stat)
        _echo(f"  {e.sha[:10]} {e.subject}" + (f"  [{stat}]" if stat else ""))
        for line in e.reasoning.splitlines()[:6]:
            _echo(f"      {line}")
    if with_transcript:
        _echo("\nTranscript:")
        if view.transcript is None:
            _echo("  (no transcript note on this session's head)")
        else:
            _echo(history.render_transcript(view.transcript))


@cli.command(name="map")
@click.option(
    "-o",
    "--output",
    "output",
    metavar="FILE",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write the page (default: .git/agentgit/map.html; - for stdout).",
)
def map_command(output: Path | None) -> None:
    """Write the map: one self-contained HTML file (no network) of the sessions over
    time by outcome, each kept piece's novelty, the cost per session and each
    question's lifeline; a session's title, summary and commits on hover or click."""
    from agentgit import map as landscape

    repo = _repo()
    # dead_after is the questions' setting (DESIGN §8), where this agentgit has it.
    dead_after = _settings(repo, {}).dead_after
    page = landscape.gather(repo, dead_after)
    text = landscape.render(page)
    if str(output) == "-":
        _echo(text, nl=False)  # user text is JSON-escaped in it: nothing is lost here
        return
    target = landscape.write(text, (output or landscape.default_path(repo)).absolute())
    counts = ", ".join(f"{n} {o}" for o, n in sorted(page.counts().items()))
    _echo(f"Wrote the map of {len(page.sessions)} sessions ({counts or 'none yet'}) to {target}")


def _novelty_text(record: dict[str, Any] | None) -> str:
    from agentgit.novelty import describe

    return f": {describe(record)}" if record else ""


@cli.command()
@click.argument("number", type=SESSION_ID)
def replay(number: int) -> None:
    """Re-run recorded session N from its transcript, offline, in a scratch worktree,
    and report whether it produces the same trees."""
    from agentgit.replay import replay as do_replay

    report = do_replay(_repo(), number)
    _echo(report.message)
    if not report.identical:
        raise SystemExit(1)


@cli.command()
@click.argument("directory", required=False, type=click.Path(path_type=Path))
def demo(directory: Path | None) -> None:
    """Run three scripted sessions (no network, no API key) in a fresh corpus repository
    and show the history they leave: one crystallizes a piece and opens a question, one
    abandons, one is refused a near-duplicate and revises the piece; then draw the map."""
    from agentgit.demo import run_demo

    run_demo(directory, _echo)


if __name__ == "__main__":
    main()
