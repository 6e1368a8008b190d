"""The command reference cannot drift from the code: README's synopses and
docs/help.md are generated from --help by cog, and checked here (so by CI)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[2]


def test_the_command_reference_is_what_help_says() -> None:
    cog = Path(sys.executable).parent / "cog"
    done = subprocess.run(
        [str(cog), "--check", "README.md", "docs/help.md"],
        cwd=TOP,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (
        f"{done.stdout}{done.stderr}\nrun `cog -r README.md docs/help.md` to regenerate them"
    )


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run ends with the README's test command, word for word."""
    readme = (TOP / "README.md").read_text("utf-8")
    command = next(
        line
        for line in readme.splitlines()
        if line.startswith("python3 -m venv") and "pytest" in line
    )
    assert (TOP / ".ci" / "run").read_text("utf-8").rstrip().splitlines()[-1] == command


# --- The README and docs/ cannot drift from the tree they describe. ---

README = TOP / "README.md"
PAGES = [README, *sorted((TOP / "docs").glob("*.md")), TOP / "bench" / "README.md"]
PACKAGE = TOP / "agentgit"
README_MOST_LINES = 400  # issue 18: the README is the user's page; design lives in docs/


def _prose(text: str) -> str:
    """The text GitHub renders as prose: no fenced code, no HTML comments (cog's code)."""
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    return re.sub(r"^(```|~~~).*?^\1[^\n]*$", "", text, flags=re.S | re.M)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: its rendered text lowercased, punctuation dropped,
    each space a hyphen (github-slugger's rules)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link renders as its text
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    """Every anchor the page's headings make, a repeated heading's with -1, -2, …"""
    seen: dict[str, int] = {}
    anchors = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", _prose(path.read_text("utf-8")), re.M):
        slug = _slug(heading)
        anchors.add(f"{slug}-{seen[slug]}" if slug in seen else slug)
        seen[slug] = seen.get(slug, 0) + 1
    return anchors


def _broken_links(path: Path, top: Path = TOP) -> list[str]:
    """Every relative link (or image) of a page whose file or #anchor does not exist."""
    prose = re.sub(r"`[^`\n]*`", "", _prose(path.read_text("utf-8")))  # code spans are not links
    broken = []
    for target in re.findall(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", prose):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:: not ours to check
            continue
        file, _, anchor = target.partition("#")
        linked = (path.parent / file).resolve() if file else path
        if not linked.exists():
            broken.append(f"{path.relative_to(top)}: {target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
            broken.append(f"{path.relative_to(top)}: {target}: no such heading")
    return broken


def test_the_readme_is_the_users_page_not_the_design() -> None:
    lines = len(README.read_text("utf-8").splitlines())
    assert lines <= README_MOST_LINES, f"README.md has {lines} lines; move design into docs/"


def test_the_slug_follows_githubs_rules() -> None:
    assert _slug("Running with Claude") == "running-with-claude"
    assert _slug("What a session costs") == "what-a-session-costs"
    assert _slug("`agentgit --help`") == "agentgit---help"
    assert _slug("Exploring, or wandering?") == "exploring-or-wandering"
    assert _slug("the [map](docs/map.md) and_more") == "the-map-and_more"


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(TOP)) for p in PAGES])
def test_every_relative_link_reaches_a_file_and_a_heading(page: Path) -> None:
    assert _broken_links(page) == []


def test_the_link_check_sees_a_missing_file_and_a_missing_heading(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other page\n\n## Its part\n", "utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "# Top\n\n## Top\n\n```sh\n# not a heading\n```\n\n"
        "[ok](other.md#its-part) [ok](#top-1) [ok](https://example.com/x#y) `[no](gone.md)`\n"
        "[bad](gone.md) [bad](other.md#nope) ![bad](#not-a-heading)\n",
        "utf-8",
    )
    bad = [line.split(": ", 1)[1] for line in _broken_links(page, tmp_path)]
    assert bad == [
        "gone.md: no such file",
        "other.md#nope: no such heading",
        "#not-a-heading: no such heading",
    ]


def _named_paths(path: Path) -> list[str]:
    """The project files a page names in code spans (`agentgit/x.py`, `tests/y.py`, …)."""
    spans = re.findall(r"`([^`\s]+)`", _prose(path.read_text("utf-8")))
    return [s for s in spans if re.fullmatch(r"(agentgit|tests|bench|docs)/[\w./-]+\.(py|md)", s)]


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(TOP)) for p in PAGES])
def test_every_file_a_page_names_exists(page: Path) -> None:
    # A module or test moved into a folder leaves its old path behind in prose.
    assert [p for p in _named_paths(page) if not (TOP / p).exists()] == []


def _table_paths() -> list[str]:
    """What the first column of docs/architecture.md's module table names, under agentgit/."""
    text = (TOP / "docs" / "architecture.md").read_text("utf-8").split("## Module by module", 1)[1]
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    return [p for row in rows for p in re.findall(r"`([^`]+)`", row.split("|")[1])]


def _modules_to_name() -> set[str]:
    """Every module the table must name: all but the `__init__.py` that hold only a
    docstring (a folder's note, not code)."""
    found = set()
    for path in PACKAGE.glob("*/**/*.py"):
        body = ast.parse(path.read_text("utf-8")).body
        code = [
            s for s in body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
        ]
        if path.name != "__init__.py" or code:
            found.add(path.relative_to(PACKAGE).as_posix())
    return found


def test_the_module_table_names_every_module_and_only_modules() -> None:
    named = _table_paths()
    assert len(named) == len(set(named)), "a path is named twice in docs/architecture.md"
    assert [p for p in named if not (PACKAGE / p).exists()] == [], "named, but not in agentgit/"
    missing = sorted(_modules_to_name() - set(named))
    assert missing == [], "add these to docs/architecture.md's module table"
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert {p.split("/")[0] for p in named} == folders


def _commands() -> set[str]:
    from agentgit.cli import cli

    return set(cli.commands)


def test_every_command_has_one_line_in_the_readme() -> None:
    section = README.read_text("utf-8").split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `agentgit ([a-z-]+)` \|", section, re.M)
    assert len(rows) == len(set(rows)), "a command has two lines in README's Commands table"
    assert set(rows) == _commands()


def test_docs_help_has_every_commands_whole_help() -> None:
    helps = re.findall(
        r"^## agentgit ([a-z-]+)$", (TOP / "docs" / "help.md").read_text("utf-8"), re.M
    )
    assert sorted(helps) == sorted(_commands())


def test_the_readmes_folder_table_is_the_stack_in_order() -> None:
    # The README says a folder imports only those below it in its table: so the order
    # is architecture.md's drawing, the one tests/project/test_layout.py enforces.
    from tests.project.test_layout import _bands

    section = README.read_text("utf-8").split("\n## Where each part lives\n", 1)[1]
    folders = re.findall(r"^\| `([a-z_]+)/` \|", section.split("\n## ", 1)[0], re.M)
    assert folders == _bands()


def test_every_docs_page_is_reachable_from_the_readme() -> None:
    # A newcomer finds docs/ through the README; a page nothing links to is lost.
    prose = _prose(README.read_text("utf-8"))
    linked = {Path(t.partition("#")[0]).name for t in re.findall(r"\]\((docs/[^)#\s]+)", prose)}
    assert sorted(p.name for p in (TOP / "docs").glob("*.md") if p.name not in linked) == []


def test_every_setting_is_in_the_configuration_table() -> None:
    from dataclasses import fields

    from agentgit.core.settings import Settings

    text = (TOP / "docs" / "configuration.md").read_text("utf-8")
    rows = [line.split("|")[1] for line in text.splitlines() if line.startswith("| `")]
    named = {
        re.sub(r"[\[\]]", "", n).split(".")[0]
        for row in rows
        for n in re.findall(r"`([^`]+)`", row)
    }
    assert sorted(f.name for f in fields(Settings) if f.name not in named) == []


def test_the_readmes_history_is_the_one_the_demo_leaves(tmp_path: Path) -> None:
    # A newcomer runs the demo and compares: only the hashes may differ, and the
    # subjects the README shortens with "…".
    from conftest import agentgit, git

    readme = README.read_text("utf-8").split("`git log --graph --oneline main` reads", 1)[1]
    shown = readme.split("```\n", 2)[1].splitlines()
    done = agentgit(tmp_path, "demo", str(tmp_path / "demo"))
    assert done.returncode == 0, done.stderr
    real = git(tmp_path / "demo", "log", "--graph", "--oneline", "main").splitlines()
    assert len(shown) == len(real)
    for want, got in zip(shown, real, strict=True):
        (w_graph, w_subject), (g_graph, g_subject) = _graph_line(want), _graph_line(got)
        subject = re.escape(w_subject).replace("…", ".*?")
        assert w_graph == g_graph and re.fullmatch(subject, g_subject), f"{want}\n{got}"


def _graph_line(line: str) -> tuple[str, str]:
    """A line of `git log --graph --oneline`: its graph, and its subject without the hash."""
    parts = re.fullmatch(r"([*|\\/ ]*?) *(?:[0-9a-f]{7,} (.*))?", line.rstrip())
    assert parts, line
    return parts[1].rstrip(), parts[2] or ""


def test_every_page_a_commands_help_names_exists() -> None:
    # --help points a user at docs/ by path (no link to check), so the path must hold.
    text = (TOP / "docs" / "help.md").read_text("utf-8")
    named = set(re.findall(r"\b(docs/[\w.-]+\.md)\b", text))
    assert named and sorted(p for p in named if not (TOP / p).is_file()) == []
