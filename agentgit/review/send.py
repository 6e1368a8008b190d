"""Sending a session to review (DESIGN §5): `--review branch` pushes the session's branch
and stops; `--review pr` also opens a pull request; `agentgit sync` (agentgit/sync.py)
later records what review decided.

A session sent to review ends with outcome `in-review`: its branch and archive ref are
on the remote, its last commit holds the judgement and the log entry that merging lands,
and main is not touched until review decides.
"""

from __future__ import annotations

from collections.abc import Callable

from agentgit.core import faults, refs
from agentgit.core.errors import AgentgitError
from agentgit.core.outcome import Outcome
from agentgit.core.refs import MAIN
from agentgit.core.settings import Settings
from agentgit.core.trailers import PREFIX
from agentgit.experiment import results
from agentgit.git import Repository
from agentgit.landscape.novelty import describe
from agentgit.review.github import GitHub
from agentgit.session import coordinator
from agentgit.session.mainline import log_commit
from agentgit.session.messages import kept_novelty
from agentgit.session.workspace import Result, Session

CLOSED_REASON = "closed in review"
LOG_LABEL = "agentgit:log"


def submit(
    repo: Repository, session: Session, result: Result, settings: Settings, remote: str
) -> Result:
    """Push the branch (and archive, notes); for `pr`, open or update its pull request."""
    coordinator.publish(repo, remote, session.id, session.branch, keep_branch=True, in_review=True)
    faults.point("pushed")
    judged = result.outcome
    result.outcome = Outcome.IN_REVIEW
    result.review_url = f"{remote} {session.branch}"
    if settings.review == "pr":
        github = GitHub.from_env(repo.remote_url(remote))
        title = f"agentgit session {session.id}: {result.title}"[:250]
        pull = github.open_or_update_pull(
            session.branch, MAIN, title, pr_body(repo, session, result, judged)
        )
        github.add_labels(pull["number"], ["agentgit", judged])
        result.review_url = pull.get("html_url") or f"#{pull['number']}"
    return result


def submit_log(repo: Repository, session: Session, result: Result, remote: str) -> str:
    """An abandoned session whose log entry a protected main refused: the log-only commit
    goes by an `agentgit:log` pull request. Where it went is returned."""
    body = (
        f"**Session {session.id}** was abandoned: {result.reason or result.title}\n\n"
        f"`{remote}` refused the push of its log entry to `{MAIN}`, so the entry "
        f"(`corpus/{session.log_rel}`, nothing else) comes by this pull request. The "
        f"session's head stays archived at `{refs.archive(session.session)}`.\n\n"
        "Merge it to record the session in the log; closing it leaves the entry only "
        "in the archive (`agentgit sync` cleans up either way).\n"
    )
    return log_pull(
        repo,
        remote,
        GitHub.from_env(repo.remote_url(remote)),
        session.session,
        lambda base: log_commit(repo, session, result, base),
        f"agentgit log: session {session.id} abandoned",
        body,
    )


def log_pull(
    repo: Repository,
    remote: str,
    github: GitHub,
    number: int,
    make_commit: Callable[[str], str],
    title: str,
    body: str,
) -> str:
    """Push `make_commit(remote's main)` on `agentgit/log/NNNN` and open (or update) a
    small pull request for it, labelled `agentgit:log`: how a log commit reaches a main
    that refuses pushes. A branch already pushed (a run killed halfway) is reused, and
    its pull request updated rather than duplicated. Where it went is returned."""
    branch = refs.log_branch_name(number)
    ref = refs.head(branch)
    if ref not in repo.ls_remote(remote, ref):
        base = coordinator.fetch_main(repo, remote)
        if base is None:
            raise AgentgitError(f"{remote} has no {MAIN} for session {number:04d}'s log entry")
        pushed = repo.push(remote, [f"{make_commit(base)}:{ref}"], leases=[f"{ref}:"])
        if not pushed.ok and ref not in repo.ls_remote(remote, ref):
            raise coordinator.PushRefused(
                f"{remote} refused {branch}: {pushed.rejected(ref) or pushed.message}"
            )
        faults.point("log-pushed")
    pull = github.open_or_update_pull(branch, MAIN, title, body)
    github.add_labels(pull["number"], [LOG_LABEL])
    return str(pull.get("html_url") or f"#{pull['number']}")


MAX_EXPLORATIONS = 60  # the newest listed in a pull request's body


def pr_body(repo: Repository, session: Session, result: Result, judged: str) -> str:
    base = session.meta.base
    commits = repo.log([f"{base}..{result.head}" if base else str(result.head)])
    lines = [f"**Session {session.id}** — judgement: **{judged}**", ""]
    lines += ["### Summary", "", result.summary.strip() or "(none)", ""]
    if result.pieces:
        lines += ["### Pieces", ""] + _piece_lines(repo, session, result) + [""]
    lines += _run_lines(repo, session)
    lines += ["### Explorations", ""]
    if len(commits) > MAX_EXPLORATIONS:
        # A night of experiments makes hundreds: the newest are listed, so the body stays
        # inside what GitHub takes with its usage and its footer whole.
        range_ = f"{base[:10]}..{str(result.head)[:10]}" if base else str(result.head)[:10]
        lines.append(
            f"- … {len(commits) - MAX_EXPLORATIONS} earlier explorations "
            f"(`git log {range_}` lists them all)"
        )
    for commit in reversed(commits[:MAX_EXPLORATIONS]):
        # Only agentgit's trailers are skipped: reasoning may well start "Plan: ...".
        reasoning = next(
            (
                ln.strip()
                for ln in commit.body.splitlines()
                if ln.strip() and not ln.startswith(PREFIX)
            ),
            "",
        )
        lines.append(
            f"- `{commit.sha[:10]}` {commit.subject}"
            + (f" — {reasoning[:200]}" if reasoning else "")
        )
    usage = result.usage
    cost = "unknown" if result.cost_usd is None else f"${result.cost_usd:.4f}"
    lines += [
        "",
        "### Usage",
        "",
        f"{result.turns} turns · {usage.input_tokens:,} input, {usage.output_tokens:,} "
        f"output, {usage.cache_read_input_tokens:,} cache-read tokens · cost {cost}",
        "",
        "Merging this pull request keeps the session; closing it unmerged abandons it "
        "(`agentgit sync` records either in the log).",
    ]
    return "\n".join(lines) + "\n"


def _piece_lines(repo: Repository, session: Session, result: Result) -> list[str]:
    """Each kept piece, with its novelty against main when the log entry has it."""
    records = kept_novelty(repo, str(result.head), f"corpus/{session.log_rel}")
    by_piece = {r.piece: r for r in records}
    return [
        f"- `corpus/pieces/{p}.md`" + (f" — {describe(by_piece[p])}" if p in by_piece else "")
        for p in result.pieces
    ]


def _run_lines(repo: Repository, session: Session) -> list[str]:
    """An experiment session's runs as a table, with main's figures to be (DESIGN §10);
    nothing for an inquiry session."""
    found = results.runs(repo, session.session)
    if not found:
        return []
    figures = session.meta.judgement.metric if session.meta.judgement else ""
    lines = ["### Runs", ""]
    if figures:
        lines += [f"`{figures}`", ""]
    return lines + results.markdown_table(found) + [""]
