"""Review feedback back into the loop (DESIGN §8).

When `agentgit sync` records what review decided for a session, it also records what a
person said and did: the pull request's reviews, review comments and conversation
comments (read with GITHUB_TOKEN), and the commits a person added to the session's
branch after its last commit. They become a "Review" section at the end of the
session's log entry on main, and the next orientation shows it with that session.

Only the authors the repository trusts are quoted (DESIGN §11: `review_trust`, by
GitHub's `author_association`); others and bots are counted, never quoted, because a
public repository's pull request takes comments from anyone. What is quoted is bounded,
stripped of HTML comments, invisible characters and terminal controls, scrubbed of
secrets, and one line per comment, so nobody's words can forge a heading of the journal.
The log entry's frontmatter records that sync wrote the section (`review`), so a heading
in a model's own text is never read back as review. Feedback is best effort: what cannot
be read is named in one line, and the decision is recorded all the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from agentgit.core import refs
from agentgit.core.errors import AgentgitError, CorpusError
from agentgit.core.quote import quoted
from agentgit.core.scrub import clean_line
from agentgit.core.settings import REVIEW_TRUST
from agentgit.core.trailers import Trailer
from agentgit.corpus import formats
from agentgit.corpus.journal import HEADING
from agentgit.git import Commit, RefUpdate, Repository

if TYPE_CHECKING:
    from agentgit.review.github import GitHub

MAX_SECTION = 6000  # characters of a log entry's Review section
MAX_COMMENT = 500  # characters of one comment (on one line)
MAX_COMMITS = 20  # a person's commits listed
MAX_PAGES = 5  # pages of 100 read from each GitHub list
MERGE_DEPTH = 200  # main's first-parent commits searched for the merge of a deleted branch
_VERBS = {
    "APPROVED": "approved",
    "CHANGES_REQUESTED": "requested changes",
    "COMMENTED": "reviewed",
    "DISMISSED": "reviewed (dismissed)",
}


class Decided(Protocol):
    """What review decided for a session, as sync reads it (review.py's decision)."""

    number: int
    head: str  # the session's last commit
    branch: str | None  # its branch, if a person has not deleted it
    merged: bool
    pull: int | None
    how: str
    review: Feedback | None


@dataclass
class Feedback:
    section: str = ""  # the Review section's markdown; "" when there is nothing to record
    warning: str | None = None  # what could not be read, in one line
    kept: str | None = None  # the remote branch's tip, when a person added commits to it
    quoted: int = 0  # comments and reviews quoted
    others: int = 0  # by authors not trusted, or bots: counted, not quoted


def collect(
    repo: Repository,
    decision: Decided,
    github: GitHub | None,
    remote: str | None,
    trust: Sequence[str] = REVIEW_TRUST,
) -> Feedback:
    """What people said and did in review of `decision`'s session; only the authors whose
    association is in `trust` are quoted."""
    warnings: list[str] = []
    pull: dict[str, Any] = {}
    said: list[tuple[str, str]] = []  # (when, line), ordered by when
    others = 0
    if github is not None and decision.pull is not None:
        try:
            pull = github.pull(decision.pull)
            said, others = _said(github.pull_feedback(decision.pull, MAX_PAGES), trust)
        except AgentgitError as exc:
            warnings.append(f"review comments could not be fetched: {exc.message}")
    try:
        commits = _persons_commits(repo, decision, remote, pull)
    except AgentgitError as exc:
        commits = []
        warnings.append(f"commits added in review could not be read: {exc.message}")
    kept = repo.rev_parse(refs.reviewed(decision.number)) if remote else None
    main = repo.rev_parse(refs.tracking(remote)) if remote else None
    if kept and (not commits or (main and repo.is_ancestor(kept, main))):
        repo.ref_transaction([RefUpdate.delete(refs.reviewed(decision.number), kept)])
        kept = None  # nothing of a person's, or main holds it all
    warning = clean_line("; ".join(warnings)) or None
    if not said and not commits and warning is None and not others:
        return Feedback()
    section = _section(decision, pull, [line for _, line in said], others, commits, warning)
    return Feedback(section, warning, kept, len(said), others)


def refspecs(decision: Decided) -> list[str]:
    """What sync pushes with the archive: the person's commits, when sync is about to
    delete the only branch on the remote that holds them."""
    kept = decision.review.kept if decision.review else None
    return [f"{kept}:{refs.reviewed(decision.number)}"] if kept else []


def with_warning(note: str, feedback: Feedback | None) -> str:
    """Sync's one-line note, plus what of the feedback could not be read."""
    return f"{note}; {feedback.warning}" if feedback and feedback.warning else note


def appended(body: str, feedback: Feedback | None) -> str:
    """A journal with the Review section at its end."""
    if not feedback or not feedback.section:
        return body
    return body.rstrip() + "\n\n" + feedback.section


def append_to(entry: formats.LogEntry, feedback: Feedback | None) -> None:
    """The Review section at the end of `entry`'s journal, and the frontmatter's record
    that sync wrote it: only then is the section read back as review."""
    if feedback and feedback.section:
        entry.body = appended(entry.body, feedback)
        entry.review = {"quoted": feedback.quoted, "others": feedback.others}


def tree_builder(repo: Repository, name: str, feedback: Feedback | None) -> Callable[[str], str]:
    """For a merged session: main's tree as it is, its log entry (as the merge left it)
    given the Review section when there is one to record."""

    def build(old: str) -> str:
        text = repo.read_blob(old, name) if feedback and feedback.section else None
        if text is None:
            return repo.tree_of(old)
        try:
            entry = formats.parse_log_entry(text, name)
        except CorpusError:  # a person broke its frontmatter: `agentgit check` says so
            return repo.tree_with_file(old, name, appended(text, feedback))
        append_to(entry, feedback)
        return repo.tree_with_file(old, name, formats.render_log_entry(entry))

    return build


# -- what people said --------------------------------------------------------------------


def _said(found: dict[str, list[Any]], trust: Sequence[str]) -> tuple[list[tuple[str, str]], int]:
    """One line per review, review comment and comment a trusted person wrote, oldest
    first, and how many others wrote (untrusted authors and bots: counted, not quoted).
    Reviews still pending are nobody's review yet."""
    said: list[tuple[str, str]] = []
    others = 0

    def heard(item: dict[str, Any]) -> bool:
        nonlocal others
        if _is_bot(item) or str(item.get("author_association") or "NONE") not in trust:
            others += 1
            return False
        return True

    for review in _items(found, "reviews"):
        state = str(review.get("state") or "")
        if state not in _VERBS or (state == "COMMENTED" and not _one_line(review.get("body"))):
            continue  # pending; or a bare review whose comments are listed on their own
        if not heard(review):
            continue
        body = _one_line(review.get("body"))
        when = str(review.get("submitted_at") or "")
        said.append((when, _line(review, _VERBS[state], when, body)))
    for comment in _items(found, "review_comments"):
        if not _one_line(comment.get("body")) or not heard(comment):
            continue
        where = clean_line(str(comment.get("path") or ""))
        line = comment.get("line") or comment.get("original_line")
        if where and isinstance(line, int):
            where += f" line {line}"
        when = str(comment.get("created_at") or "")
        verb = f"commented on {where}" if where else "commented on the diff"
        said.append((when, _line(comment, verb, when, _one_line(comment.get("body")))))
    for comment in _items(found, "comments"):
        if not _one_line(comment.get("body")) or not heard(comment):
            continue
        when = str(comment.get("created_at") or "")
        said.append((when, _line(comment, "commented", when, _one_line(comment.get("body")))))
    return sorted(said, key=lambda pair: pair[0]), others


def _items(found: dict[str, list[Any]], key: str) -> list[dict[str, Any]]:
    return [item for item in found.get(key) or [] if isinstance(item, dict)]


def _is_bot(item: dict[str, Any]) -> bool:
    user = item.get("user") or {}
    return isinstance(user, dict) and user.get("type") == "Bot"


def _login(item: dict[str, Any]) -> str:
    user = item.get("user") or {}
    login = user.get("login") if isinstance(user, dict) else None
    return clean_line(str(login)) if login else "ghost"  # GitHub's name for a deleted user


def _line(item: dict[str, Any], verb: str, when: str, body: str) -> str:
    date = f" ({clean_line(when[:10])})" if when else ""
    return f"- @{_login(item)} {verb}{date}" + (f": {body}" if body else "")


def _one_line(text: object) -> str:
    """A person's text, fit to quote on one line (agentgit.core.scrub.quoted)."""
    return quoted(str(text or ""), MAX_COMMENT)


# -- what a person committed -------------------------------------------------------------


def _persons_commits(
    repo: Repository, decision: Decided, remote: str | None, pull: dict[str, Any]
) -> list[Commit]:
    """Commits on the session's branch after its last one that are not the session's own
    (another author, or no trailer naming this session), newest first. The branch's
    first parents only: a person's merge of main is one commit, not main's history."""
    tip = _branch_tip(repo, decision, remote, pull)
    if tip is None or tip == decision.head:
        return []
    session = repo.authored([decision.head], 1)
    own = (session[0].author, session[0].email) if session else None
    number = refs.session_id(decision.number)
    found = repo.authored(["--first-parent", tip, f"^{decision.head}"], MAX_COMMITS + 1)
    return [
        c for c in found if (c.author, c.email) != own or c.trailers.get(Trailer.SESSION) != number
    ]


def _branch_tip(
    repo: Repository, decision: Decided, remote: str | None, pull: dict[str, Any]
) -> str | None:
    """Where the session's branch got to in review: the branch (on the remote, if any),
    else the pull request's head, else the merge on main that brought the session in."""
    if decision.branch:
        ref = refs.head(decision.branch)
        if remote is None:
            if tip := repo.rev_parse(ref):
                return tip
        elif tip := repo.ls_remote(remote, ref).get(ref):
            if tip != decision.head:  # kept by a ref of ours: sync deletes the branch
                repo.fetch(remote, f"+{ref}:{refs.reviewed(decision.number)}")
            return tip
    head = pull.get("head")
    sha = head.get("sha") if isinstance(head, dict) else None
    if isinstance(sha, str) and re.fullmatch(r"[0-9a-f]{40}", sha) and repo.rev_parse(sha):
        return sha
    if not decision.merged:
        return None
    main = repo.rev_parse(refs.tracking(remote)) if remote else repo.main_commit()
    return _merged_side(repo, decision.head, main) if main else None


def _merged_side(repo: Repository, head: str, main: str) -> str | None:
    """The branch side of the merge on main's first-parent line that brought `head` in."""
    line = repo.log(["--first-parent", main, f"^{head}"], max_count=MERGE_DEPTH)
    if not line or len(line[-1].parents) != 2:
        return None
    first, second = line[-1].parents
    if repo.is_ancestor(head, first) or not repo.is_ancestor(head, second):
        return None
    return second


# -- the section -------------------------------------------------------------------------


def _section(
    decision: Decided,
    pull: dict[str, Any],
    said: list[str],
    others: int,
    commits: list[Commit],
    warning: str | None,
) -> str:
    lines = [HEADING, "", _headline(decision, pull), ""]
    used = sum(len(line) + 1 for line in lines) + 200  # room for the fold lines
    shown = 0
    for line in said:
        if used + len(line) + 1 > MAX_SECTION:
            break
        lines.append(line)
        used += len(line) + 1
        shown += 1
    if shown < len(said):
        lines.append(f"- …and {len(said) - shown} more on the pull request.")
    if others:
        lines.append(f"- {others} comment{'s' if others != 1 else ''} from others not shown.")
    if commits:
        lines += ["", "Commits a person added to the branch after the session's last commit:", ""]
        for commit in commits[:MAX_COMMITS]:
            line = (
                f"- {commit.sha[:10]} {clean_line(commit.author)} "
                f"({clean_line(commit.date[:10])}): {_one_line(commit.subject)}"
            )
            if used + len(line) + 1 > MAX_SECTION:
                break
            lines.append(line)
            used += len(line) + 1
        if len(commits) > MAX_COMMITS:
            lines.append(f"- …and more: `git log --first-parent {decision.head[:10]}..`.")
    if warning:
        lines += ["", f"({warning[:300]}.)"]
    return "\n".join(lines) + "\n"


def _headline(decision: Decided, pull: dict[str, Any]) -> str:
    merger = pull.get("merged_by")
    by = ""
    if isinstance(merger, dict) and merger.get("login"):
        by = f" by @{clean_line(str(merger['login']))}"
    url = pull.get("html_url")
    link = f" ({clean_line(url)})" if isinstance(url, str) and url.startswith("http") else ""
    return f"Decided in review: {clean_line(decision.how)}{by}{link}."
