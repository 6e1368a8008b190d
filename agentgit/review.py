"""Review by a person (DESIGN §5): `--review branch` pushes the session's branch and
stops; `--review pr` also opens a pull request; `agentgit sync` records what review
decided (merged: kept; closed unmerged: abandoned, "closed in review").

A session sent to review ends with outcome `in-review`: its branch and archive ref are
on the remote, its last commit holds the judgement and the log entry that merging lands,
and main is not touched until review decides.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agentgit import corpus
from agentgit import remote as remote_mod
from agentgit.errors import AgentgitError
from agentgit.github import GitHub
from agentgit.repo import ARCHIVE_PREFIX, EMPTY, MAIN, SESSION_BRANCH_PREFIX, Repository
from agentgit.settings import Settings

if TYPE_CHECKING:
    from agentgit.session import Result, Session

CLOSED_REASON = "closed in review"
LOG_BRANCH_PREFIX = "agentgit/log/"
LOG_LABEL = "agentgit:log"


def submit(repo: Repository, session: Session, result: Result, settings: Settings,
           remote: str) -> Result:
    """Push the branch (and archive, notes); for `pr`, open or update its pull request."""
    remote_mod.publish(repo, remote, session.id, session.branch, keep_branch=True)
    judged = result.outcome
    result.outcome = "in-review"
    result.review_url = f"{remote} {session.branch}"
    if settings.review == "pr":
        github = GitHub.from_env(repo.remote_url(remote))
        title = f"agentgit session {session.id}: {result.title}"[:250]
        pull = github.open_or_update_pull(session.branch, MAIN, title,
                                          pr_body(repo, session, result, judged))
        github.add_labels(pull["number"], ["agentgit", judged])
        result.review_url = pull.get("html_url") or f"#{pull['number']}"
    return result


def submit_log(repo: Repository, session: Session, result: Result, remote: str) -> str:
    """An abandoned session whose log entry a protected main refused: push the log-only
    commit on `agentgit/log/NNNN` and open (or update) a small pull request for it,
    labelled `agentgit:log`. Where it went is returned. Resuming reuses the branch."""
    from agentgit.session import log_commit

    branch = f"{LOG_BRANCH_PREFIX}{session.id}"
    ref = f"refs/heads/{branch}"
    if ref not in repo.ls_remote(remote, ref):
        base = remote_mod.fetch_main(repo, remote)
        if base is None:
            raise AgentgitError(f"{remote} has no {MAIN} for session {session.id}'s log entry")
        commit = log_commit(repo, session, result, base)
        pushed = repo.push(remote, [f"{commit}:{ref}"], leases=[f"{ref}:"])
        if not pushed.ok and ref not in repo.ls_remote(remote, ref):
            raise remote_mod.PushRefused(
                f"{remote} refused {branch}: {pushed.rejected(ref) or pushed.message}")
    github = GitHub.from_env(repo.remote_url(remote))
    title = f"agentgit log: session {session.id} abandoned"
    body = (f"**Session {session.id}** was abandoned: {result.reason or result.title}\n\n"
            f"`{remote}` refused the push of its log entry to `{MAIN}`, so the entry "
            f"(`corpus/{session.log_rel}`, nothing else) comes by this pull request. The "
            f"session's head stays archived at `{ARCHIVE_PREFIX}{session.id}`.\n\n"
            "Merge it to record the session in the log; closing it leaves the entry only "
            "in the archive (`agentgit sync` cleans up either way).\n")
    pull = github.open_or_update_pull(branch, MAIN, title, body)
    github.add_labels(pull["number"], [LOG_LABEL])
    return str(pull.get("html_url") or f"#{pull['number']}")


def pr_body(repo: Repository, session: Session, result: Result, judged: str) -> str:
    base = session.meta.get("base")
    commits = repo.log([f"{base}..{result.head}" if base else str(result.head)])
    lines = [f"**Session {session.id}** — judgement: **{judged}**", ""]
    lines += ["### Summary", "", result.summary.strip() or "(none)", ""]
    if result.pieces:
        lines += ["### Pieces", ""] + [f"- `corpus/pieces/{p}.md`" for p in result.pieces] + [""]
    lines += ["### Explorations", ""]
    for commit in reversed(commits):
        reasoning = next((ln.strip() for ln in commit.body.splitlines()
                          if ln.strip() and not re.match(r"^[\w-]+: ", ln)), "")
        lines.append(f"- `{commit.sha[:10]}` {commit.subject}"
                     + (f" — {reasoning[:200]}" if reasoning else ""))
    usage = result.usage
    cost = "unknown" if result.cost_usd is None else f"${result.cost_usd:.4f}"
    lines += ["", "### Usage", "",
              f"{result.turns} turns · {usage.input_tokens:,} input, {usage.output_tokens:,} "
              f"output, {usage.cache_read_input_tokens:,} cache-read tokens · cost {cost}", "",
              "Merging this pull request keeps the session; closing it unmerged abandons it "
              "(`agentgit sync` records either in the log)."]
    return "\n".join(lines) + "\n"


# -- sync ------------------------------------------------------------------------------


@dataclass
class Synced:
    session: int
    outcome: str
    pull: int
    main_commit: str | None
    note: str = ""


def sync(repo: Repository, settings: Settings) -> list[Synced]:
    """For every session branch on the remote, read its pull request; record a decided
    one on main, archive it and delete its branch. Running it again changes nothing."""
    remote = remote_mod.active(repo, settings)
    if remote is None:
        raise AgentgitError(f"sync needs the remote '{settings.remote}' (and push enabled)")
    github = GitHub.from_env(repo.remote_url(remote))
    done: list[Synced] = []
    decided = _decided_pulls(repo, remote, github, f"{SESSION_BRANCH_PREFIX}*",
                             r"session/(\d+)-.*")
    for ref, head, branch, number, pull in decided:
        repo.fetch(remote, f"+{ref}:refs/agentgit/review/{number:04d}")
        merged = _merged(pull)
        commit = _record(repo, remote, number, head, merged, pull["number"], settings)
        archive = f"{ARCHIVE_PREFIX}{number:04d}"
        repo.ref_transaction([(archive, head, None)])
        pushed = repo.push(remote, [f"{head}:{archive}", f":{ref}"], atomic=True)
        if not pushed.ok:
            raise AgentgitError(f"could not archive session {number:04d} on {remote}: "
                                f"{pushed.message}")
        for local in (f"refs/heads/{branch}", f"refs/agentgit/review/{number:04d}"):
            if repo.rev_parse(local):
                repo.ref_transaction([(local, EMPTY, None)])
        done.append(Synced(number, "crystallized" if merged else "abandoned",
                           pull["number"], commit))
    done += _sync_log_pulls(repo, remote, github)
    return done


def _decided_pulls(repo: Repository, remote: str, github: GitHub, pattern: str,
                   name_re: str) -> Iterator[tuple[str, str, str, int, dict[str, Any]]]:
    """(ref, head, branch, session number, pull request) for each remote branch matching
    `pattern` whose pull request review has closed, merged or not."""
    for ref, head in sorted(repo.ls_remote(remote, pattern).items()):
        branch = ref.removeprefix("refs/heads/")
        match = re.fullmatch(name_re, branch)
        if not match:
            continue
        pull = github.find_pull(branch)
        if pull is not None and pull.get("state") == "closed":
            yield ref, head, branch, int(match.group(1)), pull


def _merged(pull: dict[str, Any]) -> bool:
    return bool(pull.get("merged_at") or pull.get("merged"))


def _sync_log_pulls(repo: Repository, remote: str, github: GitHub) -> list[Synced]:
    """`agentgit:log` pull requests review decided: merged, the entry is on main and only
    the branch is left to delete; closed unmerged, the entry stays archived on the
    session's head. Either way the branch goes, so a second run finds nothing."""
    done: list[Synced] = []
    decided = _decided_pulls(repo, remote, github, f"refs/heads/{LOG_BRANCH_PREFIX}*",
                             rf"{re.escape(LOG_BRANCH_PREFIX)}(\d+)")
    for ref, head, branch, number, pull in decided:
        merged = _merged(pull)
        pushed = repo.push(remote, [f":{ref}"], leases=[f"{ref}:{head}"])
        if not pushed.ok and ref in repo.ls_remote(remote, ref):
            raise AgentgitError(f"could not delete {branch} on {remote}: {pushed.message}")
        archive = f"{ARCHIVE_PREFIX}{number:04d}"
        note = ("log entry merged into main" if merged else
                f"log pull request closed unmerged: the entry stays archived on {archive}")
        done.append(Synced(number, "abandoned", pull["number"],
                           remote_mod.fetch_main(repo, remote) if merged else None, note))
    return done


def _record(repo: Repository, remote: str, number: int, head: str, merged: bool,
            pull: int, settings: Settings) -> str | None:
    """Main's commit naming the session, so `agentgit log` lists it: merged, a commit that
    changes nothing but records the keep; closed, one that adds the abandoned log entry."""
    from agentgit.session import _landing_trailers, _message, find_landing

    if find_landing(repo, number, remote) is not None:
        return None  # already recorded
    name = next((n for n in repo.ls_tree_names(head, "corpus/log")
                 if n.rsplit("/", 1)[-1].startswith(f"{number:04d}-")), None)
    if name is None:
        raise AgentgitError(f"session {number:04d}: no log entry on its branch")
    entry = corpus.parse_log_entry(repo.read_blob(head, name) or "", name)
    trailers = _landing_trailers(repo, head)
    trailers["Agentgit-Review"] = f"{'merged' if merged else 'closed'} #{pull}"
    if merged:
        subject = f"Crystallize session {number:04d}: {entry.title} (kept in review)"
        build: Callable[[str], str] = lambda old: repo.tree_of(old)  # noqa: E731
    else:
        entry.outcome, entry.reason, entry.pieces = "abandoned", CLOSED_REASON, []
        text = corpus.render_log_entry(entry)
        trailers.update({"Agentgit-Outcome": "abandoned", "Agentgit-Pieces": ""})
        subject = f"Abandon session {number:04d}: {CLOSED_REASON}"
        build = lambda old: repo.tree_with_file(old, name, text)  # noqa: E731
    message = _message(subject, f"Pull request #{pull}.", trailers)
    for _ in range(settings.merge_retries):
        old = remote_mod.fetch_main(repo, remote)
        if old is None:
            raise AgentgitError(f"{remote} has no {MAIN}")
        commit = repo.commit_tree(build(old), [old], message)
        pushed, why = remote_mod.push_main(repo, remote, commit)
        if pushed is remote_mod.Pushed.OK:
            from agentgit.session import _bring_local_main

            _bring_local_main(repo, commit)
            return commit
        if pushed is remote_mod.Pushed.REFUSED:
            raise AgentgitError(f"{remote} refused the push to {MAIN}: {why}")
    raise AgentgitError(f"{remote}'s {MAIN} kept moving; run `agentgit sync` again")
