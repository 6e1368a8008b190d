"""The corpus index (SQLite FTS5, keyed by blob id): incremental, scoped to one tree,
and rebuilt from git objects when it is deleted or corrupt."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import git
from helpers import damage_file

from agentgit.corpus.index import HASHSIZE, CorpusIndex, index_path
from agentgit.git import Repository

TIDES = "---\ntitle: Tides\nsummary: The moon and the sea\n---\n\nThe moon pulls the sea.\n"
RIVERS = "---\ntitle: Rivers\n---\n\nA river runs to the sea, past the delta.\n"


class Blobs:
    """Blob contents by id, counting what the index asks for."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.asked: list[str] = []

    def add(self, text: str) -> str:
        sha = hashlib.sha1(text.encode()).hexdigest()
        self.data[sha] = text.encode()
        return sha

    def __call__(self, shas: list[str]) -> dict[str, bytes]:
        self.asked += shas
        return {s: self.data[s] for s in shas if s in self.data}  # as git: no missing ones


def test_only_new_blobs_are_read(tmp_path: Path) -> None:
    blobs = Blobs()
    index = CorpusIndex(tmp_path / "i.sqlite", blobs)
    files = {"pieces/tides.md": blobs.add(TIDES), "pieces/rivers.md": blobs.add(RIVERS)}
    assert index.update(files) == 2
    assert index.update(files) == 0
    files["drafts/tides.md"] = blobs.add(TIDES + "\nAnd the sun.\n")
    assert index.update(files) == 1
    assert len(blobs.asked) == 3
    index.close()
    # a second process (a later session) finds them indexed
    again = CorpusIndex(tmp_path / "i.sqlite", blobs)
    assert again.update(files) == 0 and len(blobs.asked) == 3


def test_two_connections_indexing_the_same_blobs_add_them_once(tmp_path: Path) -> None:
    """Two sessions in one clone index main's pieces at once: the second waits for the
    first one's write and finds them indexed, rather than adding every passage again."""
    path = tmp_path / "i.sqlite"
    blobs = Blobs()
    files = {"pieces/tides.md": blobs.add(TIDES), "pieces/rivers.md": blobs.add(RIVERS)}
    reading, go_on = threading.Event(), threading.Event()

    def slow(shas: list[str]) -> dict[str, bytes]:  # the first holds on mid-read
        reading.set()
        go_on.wait(10)
        return blobs(shas)

    added: dict[str, int] = {}

    def index(name: str, read: Callable[[list[str]], dict[str, bytes]]) -> None:
        one = CorpusIndex(path, read)  # a connection of its own, in its own thread
        try:
            added[name] = one.update(files)
        finally:
            one.close()

    first = threading.Thread(target=index, args=("first", slow))
    first.start()
    assert reading.wait(10)
    second = threading.Thread(target=index, args=("second", blobs))
    second.start()
    second.join(1.0)  # it waits for the first one's write lock (before the fix: it indexed)
    go_on.set()
    first.join()
    second.join()
    assert added == {"first": 2, "second": 0}
    assert sorted(blobs.asked) == sorted(files.values())  # each read once, by the first
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM passages").fetchone() == (4,)
    assert db.execute("SELECT count(*) FROM blobs").fetchone() == (2,)
    db.close()


HASHSIZE_OF = "SELECT v FROM passages_config WHERE k = 'hashsize'"


def test_the_index_holds_a_big_transaction_in_memory_before_writing_it(tmp_path: Path) -> None:
    """FTS5's `hashsize`, kept in the file: a first index of a big corpus is written out
    in a few segments, not dozens to be merged; a file made before it gets it too."""
    path = tmp_path / "i.sqlite"
    blobs = Blobs()
    index = CorpusIndex(path, blobs)
    index.update({"pieces/tides.md": blobs.add(TIDES)})
    index.close()
    db = sqlite3.connect(path)
    assert db.execute(HASHSIZE_OF).fetchone() == (HASHSIZE,)
    db.execute("DELETE FROM passages_config WHERE k = 'hashsize'")  # as an older file has it
    db.commit()
    db.close()
    again = CorpusIndex(path, blobs)
    [hit] = again.search({"pieces/tides.md": blobs.add(TIDES)}, "pulls")
    again.close()
    db = sqlite3.connect(path)
    assert db.execute(HASHSIZE_OF).fetchone() == (HASHSIZE,)
    db.close()


def test_passages_of_blobs_not_indexed_are_read_and_split_without_indexing(
    tmp_path: Path,
) -> None:
    """A first survey of the terrain needs the pieces' text, not their ranking: asking
    for passages fills no FTS5 table, and the update that later indexes them reads them
    no more."""
    blobs = Blobs()
    index = CorpusIndex(tmp_path / "i.sqlite", blobs)
    files = {"pieces/tides.md": blobs.add(TIDES), "pieces/rivers.md": blobs.add(RIVERS)}
    tides = files["pieces/tides.md"]
    found = index.passages_of(files.values())
    assert found[tides] == [(1, "Tides — The moon and the sea"), (6, "The moon pulls the sea.")]
    assert index.db.execute("SELECT count(*) FROM passages").fetchone() == (0,)
    assert index.update(files) == 2 and len(blobs.asked) == 2  # split once, read once
    assert [h.line for h in index.search(files, "moon")] == [1, 6]
    index.close()
    again = CorpusIndex(tmp_path / "i.sqlite", blobs)  # from the file, not from git
    assert again.passages_of([tides]) == {tides: found[tides]} and len(blobs.asked) == 2
    assert again.passages_of(["0" * 40]) == {"0" * 40: []}  # nothing in git: no text


def test_a_search_sees_only_the_tree_it_is_asked_about(tmp_path: Path) -> None:
    blobs = Blobs()
    index = CorpusIndex(tmp_path / "i.sqlite", blobs)
    old = {"pieces/tides.md": blobs.add(TIDES)}
    assert [h.path for h in index.search(old, "moon")] == ["pieces/tides.md", "pieces/tides.md"]
    new = {"pieces/tides.md": blobs.add("---\ntitle: Tides\n---\n\nThe sun matters too.\n")}
    assert index.search(new, "moon") == []  # the old version is indexed, not in this tree
    [hit] = index.search(new, "sun")
    assert (hit.path, hit.line, hit.text) == ("pieces/tides.md", 5, "The sun matters too.")
    assert index.search({}, "sun") == []


@pytest.mark.parametrize(
    "query",
    [
        '"moon',
        "moon AND",
        "NOT sea",
        "mo*",
        "sea -moon",
        "(",
        "title:moon",
        "NEAR(moon sea)",
        "\x00",
        "'",
    ],
)
def test_query_syntax_is_words_not_fts5_operators(tmp_path: Path, query: str) -> None:
    blobs = Blobs()
    index = CorpusIndex(tmp_path / "i.sqlite", blobs)
    hits = index.search({"pieces/tides.md": blobs.add(TIDES)}, query)
    assert all(h.path == "pieces/tides.md" for h in hits)


def test_an_index_split_by_an_older_schema_is_split_again(tmp_path: Path) -> None:
    """Schema 2 split a header in flow style ({title: T}) into no passage: an index file
    of that schema is rebuilt, so the header is found."""
    blobs = Blobs()
    path = tmp_path / "i.sqlite"
    files = {"pieces/lone.md": blobs.add("---\n{title: Tidewater}\n---\n")}
    index = CorpusIndex(path, blobs)
    assert [h.line for h in index.search(files, "tidewater")] == [1]
    index.close()
    db = sqlite3.connect(path)  # as schema 2 left it: the blob indexed, no passage
    db.execute("DELETE FROM passages")
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    again = CorpusIndex(path, blobs)
    assert [(h.path, h.line) for h in again.search(files, "tidewater")] == [("pieces/lone.md", 1)]
    again.close()


def session_index(repo: Path) -> tuple[CorpusIndex, dict[str, str]]:
    r = Repository.discover(repo)
    files = {
        p.removeprefix("corpus/"): s
        for p, s in r.tree_files("main", "corpus/pieces", "corpus/log", "corpus/drafts").items()
    }
    return CorpusIndex(index_path(r.state_dir), r.read_blobs), files


def commit_pieces(repo: Path) -> None:
    for name, text in (("tides", TIDES), ("rivers", RIVERS)):
        (repo / "corpus/pieces" / f"{name}.md").write_text(text)
    git(repo, "add", "corpus/pieces")
    git(repo, "commit", "-q", "--no-verify", "-m", "Pieces")


def test_the_repository_index_reads_the_checkout_where_it_is_main(corpus_repo: Path) -> None:
    """CorpusIndex.of reads the pieces from the main worktree where its files are git's
    blobs, so a clean checkout starts no git reader at all, and ranks as one built from
    git; a file changed in the checkout is read from git, as committed."""
    commit_pieces(corpus_repo)
    (corpus_repo / "corpus/pieces/tides.md").write_text(TIDES.replace("moon", "comet"))
    repo = Repository.discover(corpus_repo)
    files = {
        p.removeprefix("corpus/"): s for p, s in repo.tree_files("main", "corpus/pieces").items()
    }
    index = CorpusIndex.of(repo)
    assert index.update({"pieces/rivers.md": files["pieces/rivers.md"]}) == 1
    assert repo._blobs is None  # rivers.md is as committed: read from the checkout
    assert [h.path for h in index.search(files, "moon")] == ["pieces/tides.md"] * 2
    assert index.search(files, "comet") == []  # the change in the checkout is not read
    assert repo._blobs is not None  # tides.md came from git
    from_git = CorpusIndex(None, Repository.discover(corpus_repo).read_blobs)
    for query in ("moon sea", "delta river"):
        assert index.search(files, query) == from_git.search(files, query)
    index.close()
    from_git.close()


@pytest.mark.parametrize("damage", ["delete", "garbage", "truncate"])
def test_a_deleted_or_corrupt_index_is_rebuilt_with_nothing_lost(
    corpus_repo: Path, damage: str
) -> None:
    commit_pieces(corpus_repo)
    index, files = session_index(corpus_repo)
    before = index.search(files, "sea delta")
    assert [h.path for h in before][:1] == ["pieces/rivers.md"]
    index.close()
    path = index_path(Repository.discover(corpus_repo).state_dir)
    damage_file(path, damage)
    rebuilt, files = session_index(corpus_repo)
    assert rebuilt.search(files, "sea delta") == before
    assert git(corpus_repo, "status", "--porcelain") == ""  # never in a tree


def test_damage_the_file_opens_with_is_found_by_the_query_and_rebuilt(
    corpus_repo: Path,
) -> None:
    """The pages of one table can be broken while the file still opens: the read that
    finds it rebuilds the index, rather than failing (or, in a keep, leaving the draft's
    novelty unmeasured)."""
    commit_pieces(corpus_repo)
    index, files = session_index(corpus_repo)
    before = index.search(files, "sea delta")
    passages = index.passages_of(files.values())
    index.store_memo("probe", "kept")
    index.close()
    db = sqlite3.connect(index_path(Repository.discover(corpus_repo).state_dir))
    db.execute("DELETE FROM passages_config")  # FTS5 finds it when the table is read
    db.commit()
    db.close()
    damaged, files = session_index(corpus_repo)
    assert damaged.search(files, "sea delta") == before
    assert damaged.memo("probe") is None  # a new index: what was derived is derived again
    assert damaged.passages_of(files.values()) == passages
    damaged.close()


def test_the_search_tool_reads_the_index(corpus_repo: Path) -> None:
    from agentgit.agent.tools import Toolbox
    from agentgit.core.settings import Settings
    from agentgit.lifecycle import start

    commit_pieces(corpus_repo)
    repo = Repository.discover(corpus_repo)
    session = start(repo, Settings(model="scripted"), topic=None, model_name="scripted")
    toolbox = Toolbox(session)
    found = toolbox.call("search", {"query": "delta"})
    assert found.text.startswith("pieces/rivers.md:5 ")
    assert index_path(repo.state_dir).exists()
    toolbox.call("write_draft", {"slug": "deltas", "title": "Deltas", "body": "A delta forms."})
    again = toolbox.call("search", {"query": "delta forms"})
    assert again.text.startswith("drafts/deltas.md:")  # the step's commit is searched


def _joined(index: CorpusIndex, files: dict[str, str], query: str, limit: int) -> list[object]:
    """The tree's best passages by the plain join: what the fast path must equal."""
    from agentgit.corpus.search import query_terms

    index.update(files)
    index._select(files)
    match = " OR ".join(f'"{t}"' for t in query_terms(query))
    return [
        (path, int(line))
        for path, line, _, _ in index.db.execute(
            "SELECT c.path, p.line, p.text, round(-bm25(passages), 4) AS score "
            "FROM passages p JOIN cur c ON c.blob = p.blob "
            "WHERE passages MATCH ? ORDER BY score DESC, c.path, p.line LIMIT ?",
            (match, limit),
        ).fetchall()
    ]


@pytest.mark.parametrize("share", [1, 3, 40])
def test_a_search_of_a_small_tree_in_a_big_index_ranks_as_the_join_does(share: int) -> None:
    """The index holds every blob ever seen; a search asks the whole index first and
    keeps the tree's, then asks it deeper, then joins to the tree. Whether the tree
    holds most of the index or a sliver of it (so its best passages are not among the
    index's best), the answer is the join's: these queries take all three ways."""
    blobs = Blobs()
    index = CorpusIndex(None, blobs)
    everything = {
        f"pieces/p{i:03d}.md": blobs.add(
            f"---\ntitle: Piece {i}\n---\n\n" + " ".join(["sea"] * (i % 7 + 1)) + f" tide {i}.\n"
        )
        for i in range(120)
    }
    index.update(everything)
    tree = {p: sha for n, (p, sha) in enumerate(sorted(everything.items())) if n % share == 0}
    for query, limit in (("sea", 8), ("sea tide", 3), ("tide 7", 5)):
        found = [(p.path, p.line) for p in index.search(tree, query, limit)]
        assert found == _joined(index, tree, query, limit), (query, share)
        assert found and all(path in tree for path, _ in found)


def test_one_index_asked_about_changing_trees_answers_as_a_fresh_one(tmp_path: Path) -> None:
    """The index works out each tree from the last one it was asked about (a step
    changes a path or two): paths added, changed, moved, sharing a blob, removed, and
    two trees asked in turn (a session's and main's) answer as a new reader of the same
    file (which starts from nothing) does."""
    blobs = Blobs()
    tides, rivers = blobs.add(TIDES), blobs.add(RIVERS)
    sea = blobs.add("---\ntitle: Sea\n---\n\nThe sea keeps the moon's time.\n")
    trees = [
        {"pieces/tides.md": tides, "pieces/rivers.md": rivers},
        {"pieces/tides.md": tides, "pieces/rivers.md": rivers, "drafts/sea.md": sea},
        {"pieces/tides.md": sea, "pieces/rivers.md": rivers, "drafts/sea.md": sea},
        {"pieces/moved.md": tides, "pieces/rivers.md": rivers, "drafts/sea.md": sea},
        {"pieces/rivers.md": rivers, "log/0001-x.md": tides, "pieces/x.txt": sea},
        {"pieces/tides.md": tides, "pieces/rivers.md": rivers},
        {},
        {"pieces/tides.md": tides, "drafts/tides.md": tides},
    ]
    index = CorpusIndex(tmp_path / "i.sqlite", blobs)
    for tree in [*trees, *trees[::-1], trees[1], trees[4], trees[1]]:
        fresh = CorpusIndex(tmp_path / "i.sqlite", blobs)
        for query in ("moon", "sea delta", "time"):
            assert index.search(tree, query, limit=1) == fresh.search(tree, query, limit=1)
            assert index.search(tree, query) == fresh.search(tree, query)
            terms = query.split()
            assert index.nearest_passages(tree, terms, 2) == fresh.nearest_passages(tree, terms, 2)
        fresh.close()
