"""Reading pieces and log entries from a view of the corpus (agentgit/loading.py): on
disk with no git, and from git objects, where a piece's card is kept by its blob id."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from helpers import GOOD_PIECE, commit_files, log_doc, plain_repo

from agentgit.corpus.formats import OUTCOMES
from agentgit.corpus.index import CorpusIndex
from agentgit.corpus.loading import (
    Card,
    list_piece_slugs,
    load_log_entries,
    load_pieces,
    piece_cards,
)
from agentgit.corpus.view import TreeView
from agentgit.git import Repository


def test_load_pieces_skips_broken_with_a_warning(tmp_path: Path) -> None:
    pieces_dir = tmp_path / "pieces"
    pieces_dir.mkdir()
    (pieces_dir / "b-good.md").write_text(GOOD_PIECE)
    (pieces_dir / "a-broken.md").write_text("---\ntitle: T\ntags: [x\n---\n")
    (pieces_dir / "c-binary.md").write_bytes(b"\xff\xfe")
    (pieces_dir / "Not_A_Slug.md").write_text(GOOD_PIECE)
    (pieces_dir / "notes.txt").write_text("x")
    assert list_piece_slugs(tmp_path) == ["a-broken", "b-good", "c-binary"]
    pieces, problems = load_pieces(tmp_path)
    assert [p.slug for p in pieces] == ["b-good"]
    assert [(p.path, p.line) for p in problems] == [
        ("corpus/pieces/a-broken.md", 4),
        ("corpus/pieces/c-binary.md", 1),
    ]
    only, none = load_pieces(tmp_path, ["b-good", "missing", "../etc/passwd"])
    assert [p.slug for p in only] == ["b-good"] and none == []
    assert load_pieces(tmp_path / "nowhere") == ([], [])


def test_load_pieces_follows_a_symlink_only_while_it_stays_in_the_corpus(tmp_path: Path) -> None:
    corpus_dir = tmp_path / "corpus"
    pieces_dir = corpus_dir / "pieces"
    pieces_dir.mkdir(parents=True)
    (pieces_dir / "b-good.md").write_text(GOOD_PIECE)
    (pieces_dir / "a-alias.md").symlink_to("b-good.md")  # inside: read
    secret = tmp_path / "id_rsa.md"
    secret.write_text(GOOD_PIECE.replace("Body.", "PRIVATE KEY"))
    (pieces_dir / "c-leak.md").symlink_to(secret)  # outside: refused
    pieces, problems = load_pieces(corpus_dir)
    assert [p.slug for p in pieces] == ["a-alias", "b-good"]
    assert [(p.path, p.reason) for p in problems] == [
        ("corpus/pieces/c-leak.md", "a symbolic link out of the corpus; not read")
    ]
    assert all("PRIVATE KEY" not in p.body and "PRIVATE KEY" not in p.title for p in pieces)

    # A loop of links, and a directory where a piece should be: reported, not raised.
    (pieces_dir / "d-loop.md").symlink_to("e-loop.md")
    (pieces_dir / "e-loop.md").symlink_to("d-loop.md")
    (pieces_dir / "f-dir.md").mkdir()
    pieces, problems = load_pieces(corpus_dir)
    assert [p.slug for p in pieces] == ["a-alias", "b-good"]
    assert [(p.path, p.reason) for p in problems] == [
        ("corpus/pieces/c-leak.md", "a symbolic link out of the corpus; not read"),
        ("corpus/pieces/d-loop.md", "cannot be read: a loop of symbolic links"),
        ("corpus/pieces/e-loop.md", "cannot be read: a loop of symbolic links"),
        ("corpus/pieces/f-dir.md", "cannot be read: Is a directory"),
    ]
    (pieces_dir / "f-dir.md").rmdir()

    # The folder itself linked out of the corpus: nothing in it is read.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "b-good.md").write_text(GOOD_PIECE)
    for path in pieces_dir.iterdir():
        path.unlink()
    pieces_dir.rmdir()
    pieces_dir.symlink_to(elsewhere)
    pieces, problems = load_pieces(corpus_dir)
    assert pieces == [] and [p.path for p in problems] == ["corpus/pieces"]


def test_load_log_entries_newest_first(tmp_path: Path) -> None:
    log_dir = tmp_path / "log"
    log_dir.mkdir()
    for n in (1, 2, 3, 10, 11):
        (log_dir / f"{n:04d}-s.md").write_text(log_doc(n, outcome=OUTCOMES[n % 4]))
    (log_dir / "0012-broken.md").write_text("---\nsession: 12\n---\n")
    (log_dir / "junk.md").write_text("x")
    entries, problems, total = load_log_entries(tmp_path, newest=3)
    assert total == 6
    assert [e.session for e in entries] == [11, 10]
    assert [p.path for p in problems] == ["corpus/log/0012-broken.md"]
    all_entries, _, _ = load_log_entries(tmp_path)
    assert [e.session for e in all_entries] == [11, 10, 3, 2, 1]
    assert load_log_entries(tmp_path / "nowhere", 5) == ([], [], 0)


def _piece(title: str, tags: str = "[a]") -> str:
    return f"---\ntitle: {title}\nsummary: s of {title}\ntags: {tags}\n---\n\nBody.\n"


class Counted:
    """The repository's blob reader, counting what it is asked for."""

    def __init__(self, repo: Repository) -> None:
        self.repo, self.asked = repo, 0

    def __call__(self, shas: Iterable[str]) -> dict[str, bytes]:
        wanted = list(shas)
        self.asked += len(wanted)
        return self.repo.read_blobs(wanted)


def _tree(path: Path, read: Counted) -> TreeView:
    return TreeView(read.repo.tree_entries("HEAD", "corpus"), read)


def test_piece_cards_are_read_once_per_blob(tmp_path: Path) -> None:
    work = plain_repo(tmp_path / "r")
    commit_files(
        work,
        {
            "corpus/pieces/a.md": _piece("A", "[sea, moon]"),
            "corpus/pieces/b.md": _piece("B"),
            "corpus/pieces/c-broken.md": "---\ntitle: [x\n---\nthe sea\n",
            "corpus/pieces/d-binary.md": b"\xff\xfe",
        },
    )
    read = Counted(Repository.discover(work))
    memo = CorpusIndex(tmp_path / "index.sqlite", read)
    slugs = ["a", "b", "c-broken", "d-binary", "missing"]
    first = piece_cards(_tree(work, read), slugs, memo)
    assert first[0] == [Card("a", "A", "s of A", ("sea", "moon")), Card("b", "B", "s of B", ("a",))]
    assert [(p.path, p.line) for p in first[1]] == [
        ("corpus/pieces/c-broken.md", 3),
        ("corpus/pieces/d-binary.md", 1),
    ]
    assert read.asked == 4
    # A second listing (another session: a fresh view, the same index) reads nothing.
    again = piece_cards(_tree(work, read), slugs, CorpusIndex(tmp_path / "index.sqlite", read))
    assert again == first and read.asked == 4
    # A broken piece is reported with a tag only if its text names it; one that is not
    # text, always (as load_pieces with `keep` does).
    assert [p.path for p in piece_cards(_tree(work, read), slugs, memo, naming="sea")[1]] == [
        "corpus/pieces/c-broken.md",
        "corpus/pieces/d-binary.md",
    ]
    assert [p.path for p in piece_cards(_tree(work, read), slugs, memo, naming="sky")[1]] == [
        "corpus/pieces/d-binary.md"
    ]
    # A new version of one piece is one new blob: only it is read.
    commit_files(work, {"corpus/pieces/b.md": _piece("B, revised", "[sky]")})
    cards, _ = piece_cards(_tree(work, read), slugs, memo)
    assert cards[1] == Card("b", "B, revised", "s of B, revised", ("sky",))
    assert read.asked == 5


def test_piece_cards_on_disk_match_the_pieces(tmp_path: Path) -> None:
    corpus_dir = tmp_path / "corpus"
    pieces_dir = corpus_dir / "pieces"
    pieces_dir.mkdir(parents=True)
    (pieces_dir / "b-good.md").write_text(GOOD_PIECE)
    (pieces_dir / "a-alias.md").symlink_to("b-good.md")
    (pieces_dir / "c-leak.md").symlink_to(tmp_path / "elsewhere.md")
    (tmp_path / "elsewhere.md").write_text(GOOD_PIECE)
    cards, problems = piece_cards(corpus_dir, list_piece_slugs(corpus_dir))
    pieces, same = load_pieces(corpus_dir)
    assert [(c.slug, c.title, c.summary, list(c.tags)) for c in cards] == [
        (p.slug, p.title, p.summary, p.tags) for p in pieces
    ]
    assert problems == same and [p.path for p in problems] == ["corpus/pieces/c-leak.md"]
