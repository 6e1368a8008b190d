"""Pieces, log entries, frontmatter and the check rules (no git involved)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import agentgit
from helpers import GOOD_PIECE, log_doc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentgit.core.errors import CorpusError
from agentgit.corpus.check import check_text, check_tree
from agentgit.corpus.formats import (
    LogEntry,
    Piece,
    Problem,
    log_entry_name,
    normalise_piece_meta,
    parse_log_entry,
    parse_piece,
    render_log_entry,
    render_piece,
    slug_of,
    slugify,
    validate_slug,
)

TODAY = date(2025, 3, 14)


def piece_doc(**meta: Any) -> str:
    return render_piece(normalise_piece_meta(meta, today=TODAY, session=1), "Body text.")


# --- slugs ---------------------------------------------------------------------------


@pytest.mark.parametrize("slug", ["a", "0", "cost-of-context", "a" * 64])
def test_validate_slug_accepts(slug: str) -> None:
    assert validate_slug(slug) == slug


@pytest.mark.parametrize("slug", ["", "-a", "A", "a_b", "a" * 65, "../x", "a/b", None, 3])
def test_validate_slug_rejects(slug: object) -> None:
    with pytest.raises(CorpusError, match="bad slug"):
        validate_slug(slug)


@given(st.text(), st.text())
def test_slugify_is_always_valid(text: str, fallback: str) -> None:
    slug = slugify(text, fallback)
    assert validate_slug(slug) == slug
    assert len(slug) <= 40


def test_slugify_examples() -> None:
    assert slugify("  Où est la Cost of Context?! ") == "ou-est-la-cost-of-context"
    assert slugify("!!!") == "session"
    assert slugify("", fallback="Topic X") == "topic-x"
    assert log_entry_name(7, "topic") == "log/0007-topic.md"
    assert slug_of("corpus/pieces/foo.md") == "foo"


# --- normalise -----------------------------------------------------------------------


def test_normalise_orders_keys_and_coerces() -> None:
    meta = normalise_piece_meta(
        {"zeta": 1, "tags": " Alpha, beta ,alpha,, ", "title": "  Two\n  lines ", "sessions": "4"},
        today=TODAY,
        session=9,
    )
    assert list(meta) == ["title", "summary", "tags", "created", "updated", "sessions", "zeta"]
    assert meta["title"] == "Two lines"
    assert meta["tags"] == ["alpha", "beta"]
    assert meta["summary"] == ""
    assert meta["created"] == meta["updated"] == TODAY
    assert meta["sessions"] == [4, 9]


@pytest.mark.parametrize(
    "value", ["2024-01-02", date(2024, 1, 2), datetime(2024, 1, 2, 13, 5), "2024-01-02T13:05:00Z"]
)
def test_normalise_dates_of_each_type(value: object) -> None:
    meta = normalise_piece_meta({"title": "T", "created": value}, today=TODAY)
    assert meta["created"] == date(2024, 1, 2)
    assert meta["updated"] == TODAY


def test_normalise_keeps_existing_created_and_sessions() -> None:
    old = Piece(slug="t", title="Old", created=date(2020, 5, 1), sessions=[2, 3])
    meta = normalise_piece_meta(
        {"title": "T", "created": "2024-01-01"}, today=TODAY, session=5, existing=old
    )
    assert meta["created"] == date(2020, 5, 1)
    assert meta["sessions"] == [2, 3, 5]


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ({}, "title is required"),
        ({"title": "  \n "}, "title is required"),
        ({"title": ["a"]}, "title must be text"),
        ({"title": "x" * 201}, "title too long"),
        ({"title": "T", "created": "yesterday"}, "ISO date"),
        ({"title": "T", "tags": [{"a": 1}]}, "tags must be a list of strings"),
        ({"title": "T", "tags": 5}, "tags must be a list of strings"),
        ({"title": "T", "sessions": [-1]}, "non-negative integer"),
        ({"title": "T", 3: "x"}, "keys must be non-empty strings"),
        ({"title": "T", "when": datetime(2024, 1, 1)}, "not a timestamp"),
        ({"title": "T", "odd": {1, 2}}, "unsupported value"),
        ({"title": "T", "nan": float("nan")}, "finite"),
    ],
)
def test_normalise_rejects(meta: dict[str, Any], message: str) -> None:
    with pytest.raises(CorpusError, match=message):
        normalise_piece_meta(meta, today=TODAY)


def test_normalise_long_title_boundary_and_long_summary() -> None:
    meta = normalise_piece_meta({"title": "x" * 200, "summary": "word " * 100}, today=TODAY)
    assert meta["title"] == "x" * 200
    assert len(meta["summary"]) <= 300 and meta["summary"].endswith("…")
    assert "\n" not in meta["summary"]


def test_normalise_rejects_non_dict() -> None:
    with pytest.raises(CorpusError):
        normalise_piece_meta(["title"], today=TODAY)  # type: ignore[arg-type]


# --- render / parse ------------------------------------------------------------------


def test_render_parse_round_trip() -> None:
    meta = normalise_piece_meta(
        {"title": "Cost: of context", "summary": "It's 'quoted'", "tags": ["x", "y"], "k": [1]},
        today=TODAY,
        session=3,
    )
    text = render_piece(meta, "\n\nFirst para.\n\n---\n\nAfter a rule.\n\n\n")
    assert text.endswith("After a rule.\n") and not text.endswith("\n\n")
    piece = parse_piece(text, "corpus/pieces/cost.md")
    assert piece.slug == "cost"
    assert piece.title == "Cost: of context"
    assert piece.summary == "It's 'quoted'"
    assert piece.tags == ["x", "y"]
    assert piece.created == piece.updated == TODAY
    assert piece.sessions == [3]
    assert piece.extra == {"k": [1]}
    assert piece.body == "First para.\n\n---\n\nAfter a rule."
    assert render_piece(piece.meta(), piece.body) == text


def test_render_has_stable_key_order_and_no_anchors() -> None:
    text = render_piece({"sessions": [1], "zz": 1, "title": "T", "created": TODAY}, "")
    assert text == "---\ntitle: T\ncreated: 2025-03-14\nsessions: [1]\nzz: 1\n---\n"


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("no frontmatter here\n", 1, "no frontmatter"),
        ("---\ntitle: T\n", 1, "not closed"),
        ("---\ntitle: T\nsummary: s\ntags: [a\nsessions: [1]\n---\n", 5, "bad YAML"),
        ("---\ntitle: T\nsummary: s\nbad: : x\n---\n", 4, "bad YAML"),
        ('---\ntitle: "open\n---\n', 2, "bad YAML"),
        ("---\n- a\n- b\n---\n", 2, "must be a mapping"),
        ("---\nsummary: s\ntags: [a]\n---\n", 1, "missing title"),
        ("---\nsummary: s\ntitle: ''\n---\n", 3, "title is empty"),
        ("---\ntitle: T\nsummary: s\n\ntags: a, b\n---\n", 5, "tags must be a list"),
        ("---\ntitle: T\ntags: [a, 3]\n---\n", 3, "tags must be a list"),
        ("---\ntitle: T\ncreated: 14/03/2025\n---\n", 3, "ISO date"),
        ("---\ntitle: T\nsessions: [1, two]\n---\n", 3, "sessions"),
        ("---\ntitle: T\nsessions: 4\n---\n", 3, "sessions"),
    ],
)
def test_parse_piece_errors_carry_the_line(text: str, line: int, reason: str) -> None:
    with pytest.raises(CorpusError) as info:
        parse_piece(text, "corpus/pieces/t.md")
    assert str(info.value).startswith(f"corpus/pieces/t.md:{line}: ")
    assert reason in str(info.value)
    assert "\n" not in str(info.value)


def test_parse_piece_is_lenient_where_harmless() -> None:
    piece = parse_piece("\ufeff---\r\ntitle: 1984\r\ntags:\r\n---\r\nBody\r\n", "p/x.md")
    assert piece.title == "1984" and piece.tags == [] and piece.created is None


def test_log_entry_round_trip() -> None:
    entry = LogEntry(
        session=12,
        title="Cost of context",
        started="2025-03-14T10:00:00Z",
        ended="2025-03-14T10:20:00Z",
        outcome="abandoned",
        pieces=["a-b"],
        reason="nothing new",
        model="claude-x",
        turns=7,
        usage={"input": 10, "output": 20, "cache_read": 30, "cache_write": 40},
        cost_usd=0.125,
        head="ab" * 20,
        body="## Journal\n\nTried things.",
    )
    text = render_log_entry(entry)
    keys = [line.split(":")[0] for line in text.split("---\n")[1].splitlines()]
    assert keys == [
        "session", "title", "started", "ended", "outcome", "pieces", "reason",
        "model", "turns", "usage", "cost_usd", "head",
    ]  # fmt: skip
    assert parse_log_entry(text, "log/0012-cost.md") == entry
    entry.reason = None
    assert "reason" not in render_log_entry(entry)


def test_log_entry_accepts_unquoted_timestamps() -> None:
    text = "---\nsession: 3\ntitle: T\nstarted: 2025-03-14T10:00:00Z\n---\n"
    assert parse_log_entry(text, "log/0003-t.md").started == "2025-03-14T10:00:00Z"


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("---\ntitle: T\nstarted: x\n---\n", 1, "missing session"),
        ("---\nsession: 1\ntitle: T\nstarted: x\noutcome: kept\n---\n", 5, "outcome must be"),
        ("---\nsession: 1\ntitle: T\nstarted: x\nusage: {input: -1}\n---\n", 5, "usage.input"),
        ("---\nsession: 1\ntitle: T\nstarted: x\npieces: [Bad Slug]\n---\n", 5, "slugs"),
        ("---\nsession: yes\ntitle: T\nstarted: x\n---\n", 2, "session must be"),
    ],
)
def test_parse_log_entry_errors(text: str, line: int, reason: str) -> None:
    with pytest.raises(CorpusError) as info:
        parse_log_entry(text, "log/0001-t.md")
    assert str(info.value).startswith(f"log/0001-t.md:{line}: ")
    assert reason in str(info.value)


# --- check ---------------------------------------------------------------------------


def test_check_text_accepts_good_files() -> None:
    assert check_text("corpus/pieces/good.md", GOOD_PIECE) == []
    assert check_text("corpus/drafts/good.md", GOOD_PIECE.encode()) == []
    assert check_text("corpus/log/0007-topic.md", log_doc(7, outcome="crystallized")) == []
    assert check_text("corpus/PROGRAM.md", "Do good work.\n") == []
    assert check_text("corpus/pieces/.gitkeep", b"") == []
    assert check_text("corpus/notes.md", "anything") == []
    assert check_text("README.txt", b"\xff") == []  # outside corpus/: not ours


@pytest.mark.parametrize(
    ("path", "text", "line", "reason"),
    [
        ("corpus/pieces/t.md", "---\ntitle: T\ntags: [a\nx: 1\n---\n", 4, "bad YAML"),
        ("corpus/pieces/t.md", "---\nsummary: s\n---\n", 1, "missing title"),
        ("corpus/pieces/Bad_Name.md", GOOD_PIECE, 1, "bad file name"),
        ("corpus/drafts/-x.md", GOOD_PIECE, 1, "bad file name"),
        ("corpus/pieces/x.txt", "text", 1, "not a markdown file"),
        ("corpus/assets/pic.png", b"\x89PNG\xff", 1, "not a markdown file"),
        ("corpus/pieces/sub/x.md", GOOD_PIECE, 1, "directly"),
        ("corpus/log/0007-t.md", log_doc(7, outcome="kept"), 6, "outcome must be one of"),
        ("corpus/log/7-t.md", log_doc(7), 1, "bad file name"),
        ("corpus/log/0008-t.md", log_doc(7), 2, "does not match"),
        ("corpus/pieces/t.md", b"---\ntitle: T\n---\n\n\xff\xfe body", 5, "not UTF-8"),
        ("corpus/PROGRAM.md", "  \n", 1, "empty"),
    ],
)
def test_check_text_problems(path: str, text: str | bytes, line: int, reason: str) -> None:
    problems = check_text(path, text)
    assert len(problems) == 1
    assert (problems[0].path, problems[0].line) == (path, line)
    assert reason in problems[0].reason
    assert str(problems[0]).startswith(f"{path}:{line}: ")


def test_check_tree(tmp_path: Path) -> None:
    (tmp_path / "corpus" / "pieces").mkdir(parents=True)
    (tmp_path / "corpus" / "log").mkdir()
    (tmp_path / "corpus" / "pieces" / "good.md").write_text(GOOD_PIECE)
    (tmp_path / "corpus" / "pieces" / "bad.md").write_text("---\nsummary: s\n---\n")
    (tmp_path / "corpus" / "pieces" / ".gitkeep").write_text("")
    (tmp_path / "corpus" / "log" / "0001-a.md").write_text(log_doc(1, outcome="odd"))
    (tmp_path / "corpus" / "x.txt").write_text("x")
    (tmp_path / "other.txt").write_bytes(b"\xff")
    problems = check_tree(tmp_path)
    assert [(p.path, p.reason.split(":")[0]) for p in problems] == [
        ("corpus/log/0001-a.md", "outcome must be one of crystallized, abandoned, needs-review, "
         "interrupted (got 'odd')"),
        ("corpus/pieces/bad.md", "missing title"),
        ("corpus/x.txt", "not a markdown file"),
    ]  # fmt: skip
    only = check_tree(tmp_path, ["corpus/pieces/good.md", "corpus/pieces/gone.md", "other.txt"])
    assert only == []
    given = [str(tmp_path / "corpus/pieces/bad.md"), "./corpus/x.txt"]
    assert [p.path for p in check_tree(tmp_path, given)] == ["corpus/pieces/bad.md", "corpus/x.txt"]
    assert check_tree(tmp_path / "nowhere") == []


# --- loading -------------------------------------------------------------------------


# --- property ------------------------------------------------------------------------

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.dates()
    | st.datetimes()
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8) | st.integers(), inner, max_size=4)
    ),
    max_leaves=12,
)
_keys = st.sampled_from(["title", "summary", "tags", "created", "updated", "sessions", "<<"])
_metas = st.dictionaries(_keys | st.text(max_size=12) | st.integers(), _values, max_size=8)
_titled = st.builds(lambda m, t: {**m, "title": t}, _metas, st.text(min_size=1, max_size=250))
# Mostly well-formed input, so that many examples get through to the round trip.
_plain = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text() | st.dates(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=8,
)
_plausible = st.fixed_dictionaries(
    {"title": st.text(min_size=1, max_size=210)},
    optional={
        "summary": st.text(max_size=400),
        "tags": st.lists(st.text(max_size=20), max_size=5) | st.text(max_size=40),
        "created": st.dates() | st.dates().map(str),
        "sessions": st.lists(st.integers(min_value=0, max_value=10**6), max_size=4),
        "<<": _plain,
        "notes": _plain,
        "Ünicode key": _plain,
    },
)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(
    meta=_metas | _titled | _plausible,
    session=st.none() | st.integers(min_value=-2, max_value=10**6),
)
def test_normalise_either_valid_or_corpus_error(meta: dict[Any, Any], session: int | None) -> None:
    try:
        out = normalise_piece_meta(meta, today=TODAY, session=session)
    except CorpusError:
        return
    text = render_piece(out, "Body.")
    piece = parse_piece(text, "corpus/pieces/p.md")
    assert piece.meta() == out
    assert check_text("corpus/pieces/p.md", text) == []


@pytest.mark.parametrize(
    ("name", "session"),
    [
        ("corpus/log/0007-tides.md", 7),
        ("0012-Badly_Named.md", 12),  # a person's misnamed entry still holds its id
        ("12345-x.md", 12345),
        ("corpus/log/notes.md", None),
        ("x-0007.md", None),
    ],
)
def test_log_session_is_the_leading_number_of_an_entry_name(name: str, session: int | None) -> None:
    from agentgit.corpus.formats import log_session

    assert log_session(name) == session


# -- issue 17: what `check` reads ----------------------------------------------------------


def test_check_refuses_a_piece_linked_outside_the_repository_unread(
    corpus_repo: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: [unclosed\n---\n", "utf-8")  # would be a problem if read
    (corpus_repo / "corpus" / "pieces" / "evil.md").symlink_to(secret)
    for args in (["check"], ["check", "corpus/pieces/evil.md"], ["check", "corpus/pieces"]):
        proc = agentgit(corpus_repo, *args)
        assert proc.returncode == 1, proc.stderr
        assert proc.stdout.splitlines() == [
            "corpus/pieces/evil.md:1: a link to outside the repository: not read"
        ]


def test_check_of_a_folder_checks_the_pieces_in_it(corpus_repo: Path) -> None:
    pieces = corpus_repo / "corpus" / "pieces"
    (pieces / "good.md").write_text(GOOD_PIECE, "utf-8")
    (pieces / "bad.md").write_text("---\ntitle: [x\n---\n", "utf-8")
    proc = agentgit(corpus_repo, "check", "corpus/pieces")
    assert proc.returncode == 1
    assert "Is a directory" not in proc.stdout + proc.stderr
    assert [line.split(":")[0] for line in proc.stdout.splitlines()] == ["corpus/pieces/bad.md"]
    (pieces / "bad.md").unlink()
    assert agentgit(corpus_repo, "check", "corpus/pieces").returncode == 0


def test_check_refuses_a_title_of_a_hundred_thousand_characters(corpus_repo: Path) -> None:
    piece = corpus_repo / "corpus" / "pieces" / "long.md"
    piece.write_text(f"---\ntitle: {'t' * 100_000}\n---\n\nBody.\n", "utf-8")
    proc = agentgit(corpus_repo, "check", "corpus/pieces/long.md")
    assert proc.returncode == 1
    assert "title too long (100000 chars, max 200)" in proc.stdout


def test_check_bounds_what_it_reads(corpus_repo: Path) -> None:
    from agentgit.corpus.check import MAX_CHECK_BYTES

    big = corpus_repo / "corpus" / "pieces" / "big.md"
    big.write_bytes(b"x" * (MAX_CHECK_BYTES + 10))
    assert check_tree(corpus_repo) == [
        Problem("corpus/pieces/big.md", 1, f"too large (over {MAX_CHECK_BYTES} bytes)")
    ]


def test_a_draft_with_fifty_thousand_tags_is_refused() -> None:
    from agentgit.corpus import fields

    with pytest.raises(fields.Bad, match="too many tags"):
        fields.as_tags([f"t{i}" for i in range(50_000)], lenient=True)
    assert len(fields.as_tags([f"t{i}" for i in range(fields.MAX_TAGS)], lenient=True)) == 20
