"""The commands that set a corpus repository up and try it: init, check (what the
pre-commit hook runs) and demo."""

from __future__ import annotations

import os
from pathlib import Path

import click

from agentgit.cli.shared import _echo, _repo
from agentgit.core.errors import UsageError


@click.command()
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
@click.option(
    "--parallel",
    type=int,
    metavar="N",
    help="With --ci github: N sessions per trigger, each on a runner of its own, "
    "coordinated by the remote (1 to 256; default 1).",
)
@click.option(
    "--metric",
    is_flag=True,
    help="An experiment repository: a commented [metric] table, budgets for a night of "
    "runs and an experiment PROGRAM.md (docs/experiments.md).",
)
def init(
    path: Path, ci: str | None, install: str | None, parallel: int | None, metric: bool
) -> None:
    """Create or adopt a corpus repository at PATH (default: here).

    Adds what is missing (corpus/PROGRAM.md, corpus/pieces, corpus/log, hooks/,
    agentgit.toml), never overwrites a file you have, sets core.hooksPath=hooks and
    commits the skeleton on main. Safe to run again.
    """
    from agentgit.corpus.skeleton import init as do_init

    report = do_init(path, ci=ci, install=install, metric=metric, parallel=parallel)
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


@click.command()
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
    from agentgit.corpus.check import check_text, check_tree

    repo = _repo()
    if staged:
        problems = []
        for path, text in repo.staged_files("corpus"):
            problems += check_text(path, text)
    else:
        rels = []
        for p in paths:
            # normpath, not resolve: a piece that is a link out is check's to refuse,
            # unread, and not to be followed to where it points
            absolute = Path(os.path.normpath(Path.cwd() / p))
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


@click.command()
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option(
    "--metric",
    is_flag=True,
    help="Instead, one experiment session on a toy problem: a keep, a discard, a crash, "
    "a refused edit of the evaluator and a timeout, judged by the metric.",
)
def demo(directory: Path | None, metric: bool) -> None:
    """Run three scripted sessions (no network, no API key) in a fresh corpus repository
    and show the history they leave: one crystallizes a piece and opens a question, one
    abandons, one is refused a near-duplicate and revises the piece; then draw the map."""
    if metric:
        from agentgit.lifecycle.demo_metric import run_metric_demo

        run_metric_demo(directory, _echo)
        return
    from agentgit.lifecycle.demo import run_demo

    run_demo(directory, _echo)
