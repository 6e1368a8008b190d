"""Reading history: commits with their trailers, what each changed, and the graph,
each in one `git log`; and the commit-graph that makes path-limited logs fast."""

from __future__ import annotations

from dataclasses import dataclass

from agentgit.git.run import Git


@dataclass(frozen=True)
class Commit:
    """A commit as `log`, `log_numstat` or `authored` read it. `date` is the committer's,
    except from `authored`, which gives the author's (what `git log` shows a person);
    only `authored` reads `author` and `email`, and it leaves `body` empty."""

    sha: str
    parents: list[str]
    date: str
    subject: str
    body: str
    trailers: dict[str, str]
    author: str = ""
    email: str = ""


def parse_trailers(text: str) -> dict[str, str]:
    trailers: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key and " " not in key.strip():
            trailers[key.strip()] = value.strip()
    return trailers


class History(Git):
    """`git log` and what it reads."""

    def log(
        self,
        rev_args: list[str],
        paths: list[str] | None = None,
        max_count: int | None = None,
        *,
        body: bool = True,
    ) -> list[Commit]:
        """Commits with their trailers, in one git call. Without `body` their `body` is
        empty: on a long history the bodies are half of what git writes and we read."""
        sep, end = "\x1f", "\x1e"
        fmt = sep.join(["%H", "%P", "%cI", "%s", "%b" if body else "", "%(trailers:only,unfold)"])
        fmt += end
        args = ["log", f"--format={fmt}"]
        if max_count is not None:
            args.append(f"-n{max_count}")
        args += rev_args
        if paths:
            args += ["--", *paths]
        out = self.run(*args)
        commits = []
        for record in out.split(end):
            record = record.strip("\n")
            if not record:
                continue
            sha, parents, date, subject, text, trailers = record.split(sep)
            commits.append(
                Commit(sha, parents.split(), date, subject, text, parse_trailers(trailers))
            )
        return commits

    def messages(self, rev_args: list[str], revs: list[str] | None = None) -> list[Commit]:
        """Commits with the trailers of their message's last paragraph, parsed here from
        the raw body: for agentgit's own commits (one trailer a line, none folded) the
        same trailers as `log`, for half of git's time on 10,000 commits, where
        `%(trailers)` costs git more than the walk. `body` is left empty. `revs`: more
        revisions (`^rev` to exclude), one a line on git's standard input, so thousands
        of them fit."""
        sep, end = "\x1f", "\x1e"
        args = ["log", f"--format=%H{sep}%P{sep}%cI{sep}%s{sep}%b{end}", *rev_args]
        if revs is not None:
            args.append("--stdin")
        stdin = "".join(f"{rev}\n" for rev in revs) if revs is not None else None
        out = self.run(*args, input=stdin)
        commits = []
        for record in out.split(end):
            fields = record.strip("\n").split(sep)
            if len(fields) == 5:
                sha, parents, date, subject, text = fields
                block = text.rstrip().rpartition("\n\n")[2]
                commits.append(
                    Commit(sha, parents.split(), date, subject, "", parse_trailers(block))
                )
        return commits

    def authored(self, rev_args: list[str], max_count: int) -> list[Commit]:
        """Commits with their author, subject and trailers, in one git call."""
        sep, end = "\x1f", "\x1e"
        fmt = sep.join(["%H", "%P", "%an", "%ae", "%aI", "%s", "%(trailers:only,unfold)"]) + end
        out = self.run("log", f"--format={fmt}", f"-n{max_count}", *rev_args)
        found = []
        for record in out.split(end):
            fields = record.strip("\n").split(sep)
            if len(fields) == 7:
                sha, parents, name, email, date, subject, trailers = fields
                found.append(
                    Commit(
                        sha,
                        parents.split(),
                        date,
                        subject,
                        "",
                        parse_trailers(trailers),
                        author=name,
                        email=email,
                    )
                )
        return found

    def log_numstat(
        self, head: str, boundary: str
    ) -> list[tuple[Commit, list[tuple[str, int, int]]]]:
        """Commits of `head` not in `boundary`, oldest first, each with the files it
        changed: (path, lines added, lines removed; 0 and 0 for a binary file)."""
        sep, end = "\x1f", "\x1e"
        fmt = sep.join(["%H", "%P", "%cI", "%s", "%b", "%(trailers:only,unfold)"])
        out = self.run(
            "log",
            "--reverse",
            "--numstat",
            "--no-renames",
            f"--format={end}{fmt}{sep}",
            head,
            "--not",
            boundary,
        )
        result = []
        for record in out.split(end):
            if not record.strip():
                continue
            sha, parents, date, subject, body, trailers, numstat = record.split(sep)
            stat = []
            for row in numstat.strip().splitlines():
                added, removed, path = row.split("\t", 2)
                stat.append(
                    (
                        path,
                        int(added) if added.isdigit() else 0,
                        int(removed) if removed.isdigit() else 0,
                    )
                )
            commit = Commit(sha, parents.split(), date, subject, body, parse_trailers(trailers))
            result.append((commit, stat))
        return result

    def graph(self, rev: str) -> str:
        """`git log --graph` of `rev`, one line per commit: what the demo shows."""
        return self.run("log", "--graph", "--format=%h %s", rev).rstrip()

    def trailers(self, rev: str) -> dict[str, str]:
        """The trailers of one commit's message."""
        return self.log([rev], max_count=1)[0].trailers

    def write_commit_graph(self, *, only_if_present: bool = False) -> None:
        """A commit-graph with changed-path Bloom filters, which make path-limited
        `git log` (the history tool) several times faster on a long history; git keeps
        them from then on (gc too). `only_if_present` adds a layer for new commits to a
        graph that exists (milliseconds) and never writes a first one (seconds on a
        large history). Best effort: another process holding the graph's lock, or an
        old git, leaves things as they were."""
        info = self.common_dir / "objects" / "info"
        if only_if_present and not (
            (info / "commit-graph").exists() or (info / "commit-graphs").exists()
        ):
            return
        self.run_status(
            "commit-graph",
            "write",
            "--reachable",
            "--changed-paths",
            *(["--split"] if only_if_present else []),
        )

    def diff_log(self, rev_args: list[str], path: str, max_count: int) -> list[tuple[int, str]]:
        """The commits of `rev_args` that changed `path`, newest first, each as (its
        committer time, its text: `commit <short id> <date> <subject>` and its patch)."""
        out = self.run(
            "log",
            "-p",
            "--no-color",
            "--no-ext-diff",
            f"-n{max_count}",
            # Each commit opens with RS <time> US: no line of a patch starts with RS.
            "--format=%x1e%ct%x1fcommit %h %cs %s",
            *rev_args,
            "--",
            path,
        )
        records = []
        for record in ("\n" + out).split("\n\x1e")[1:]:
            when, _, text = record.partition("\x1f")
            records.append((int(when), text + "\n"))
        if records:  # the output's last newline is not a record's
            records[-1] = (records[-1][0], records[-1][1][:-1])
        return records
