"""Search fused with embeddings (``search = "fused"``, the extra agentgit[embeddings];
issue 20): a claim restated in other words is found where BM25 finds nothing of it, a
search by the piece's own words still puts it first, the vectors are kept by blob id,
and the setting's bad values and a missing extra are one line, exit 2, before a claim.
The test extra installs wordllama, so these always run."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import agentgit, git
from helpers import commit_files
from scripts import abandon, search, write_script

from agentgit.agent.tools import Toolbox
from agentgit.core.settings import Settings, coerce
from agentgit.corpus.index import CorpusIndex, index_path
from agentgit.corpus.search import Passage
from agentgit.git import Repository, blob_id
from agentgit.landscape import embedded, fused
from agentgit.lifecycle import Session, start

PIECES = {
    "salt-early": (
        "Salt meat early",
        "Salting meat hours before cooking lets the salt travel inward, so it is seasoned "
        "throughout and stays juicy.",
    ),
    "induced-demand": (
        "Induced demand",
        "Adding lanes to a highway brings more traffic, not less congestion, within a few years.",
    ),
    "tides-moon": (
        "The moon makes the tides",
        "Tides come mainly from the moon's gravity pulling on the oceans.",
    ),
    "compost": (
        "Compost feeds the soil",
        "Compost feeds the organisms of the soil, and they in turn feed the plants.",
    ),
}
# salt-early's claim in other words: not one word of the query is in the piece.
PARAPHRASE = "seasoning a roast well ahead of time gives a tastier inside"


def piece(title: str, claim: str) -> str:
    return f"---\ntitle: {title}\nsummary: {title}.\n---\n\n{claim}\n"


@pytest.fixture
def repo(corpus_repo: Path) -> Path:
    commit_files(
        corpus_repo,
        {f"corpus/pieces/{slug}.md": piece(*text) for slug, text in PIECES.items()},
        "Add pieces",
    )
    return corpus_repo


def session_box(top: Path, mode: str) -> tuple[Session, Toolbox]:
    settings = Settings(search=mode)
    session = start(Repository.discover(top), settings, topic=f"search {mode}", model_name="x")
    return session, Toolbox.for_settings(session, settings)


def found(box: Toolbox, query: str, limit: int = 8) -> list[str]:
    """The paths of the passages the search tool returned, in order."""
    result = box.call("search", {"query": query, "limit": limit})
    assert not result.is_error, result.text
    return re.findall(r"^(\S+\.md):\d+ \(score [\d.]+\)$", result.text, re.M)


def test_fused_finds_the_piece_a_paraphrase_restates_where_bm25_finds_nothing(
    repo: Path,
) -> None:
    _, words = session_box(repo, "bm25")
    assert "pieces/salt-early.md" not in found(words, PARAPHRASE)
    _, box = session_box(repo, "fused")
    assert found(box, PARAPHRASE)[0] == "pieces/salt-early.md"


def test_a_search_by_the_pieces_own_words_still_puts_it_first(repo: Path) -> None:
    _, box = session_box(repo, "fused")
    result = box.call("search", {"query": "highway lanes congestion"})
    assert found(box, "highway lanes congestion")[0] == "pieces/induced-demand.md"
    # First in both rankings: the shown score says so (K + 1 times the fused sum).
    assert "pieces/induced-demand.md:6 (score 2.00)" in result.text


def test_a_draft_is_found_by_meaning_and_its_vector_kept_under_its_blob_id(repo: Path) -> None:
    session, box = session_box(repo, "fused")
    assert found(box, "tides")  # the tree's vectors are in memory now
    body = "A dish that simmers slowly in a closed pot grows richer as the flavours meld.\n"
    done = box.call("write_draft", {"slug": "braise", "title": "Braising", "body": body})
    assert not done.is_error, done.text
    assert "drafts/braise.md" in found(box, "stewing food gently for hours deepens its taste")
    blob = git(session.worktree, "rev-parse", "HEAD:corpus/drafts/braise.md").strip()
    index = CorpusIndex(index_path(Repository.discover(repo).state_dir), lambda shas: {})
    try:
        assert set(index.derived(embedded.KIND, [blob])) == {blob}
    finally:
        index.close()


def test_a_second_session_reads_the_kept_vectors_and_ranks_the_same(repo: Path) -> None:
    _, first = session_box(repo, "fused")
    before = found(first, PARAPHRASE)
    state = Repository.discover(repo).state_dir
    index = CorpusIndex(index_path(state), lambda shas: {})
    try:
        kept = index.db.execute("SELECT count(*) FROM derived WHERE kind = ?", (embedded.KIND,))
        assert kept.fetchone()[0] >= len(PIECES)
    finally:
        index.close()
    _, second = session_box(repo, "fused")
    assert found(second, PARAPHRASE) == before


def test_auto_is_fused_with_the_extra_installed() -> None:
    assert Settings().search == "auto" and fused.mode("auto") == "fused"
    assert fused.mode("bm25") == "bm25"


@pytest.mark.parametrize(
    ("where", "env"),
    [
        ("agentgit.toml", {}),
        ("AGENTGIT_SEARCH", {"AGENTGIT_SEARCH": "semantic"}),
    ],
)
def test_a_search_that_is_not_one_is_exit_2_naming_the_key(
    repo: Path, where: str, env: dict[str, str]
) -> None:
    if not env:
        commit_files(repo, {"agentgit.toml": 'search = "semantic"\n'}, "Set search")
    done = agentgit(repo, "session", "--model", "scripted:none.jsonl", env=env)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert f"{where}: search must be one of auto, bm25, fused, not 'semantic'" in lines[0]
    with pytest.raises(ValueError, match="auto, bm25, fused"):
        coerce("search", "vectors")


def without_the_extra(top: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command line in a Python where wordllama cannot be imported (None in
    sys.modules is how Python spells "no such module")."""
    code = (
        "import sys; sys.modules['wordllama'] = None; "
        f"sys.argv = ['agentgit', *{list(args)!r}]; from agentgit.cli import main; main()"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=top, capture_output=True, text=True, env=dict(os.environ)
    )


def test_fused_without_the_extra_is_one_line_before_a_session_claims_an_id(
    repo: Path, tmp_path: Path
) -> None:
    """Asked for by name, a missing extra is said, not worked around: the user chose it."""
    commit_files(repo, {"agentgit.toml": 'search = "fused"\n'}, "Fused")
    script = write_script(tmp_path / "s.jsonl", [search("tides"), abandon("nothing")])
    done = without_the_extra(repo, "session", "--model", f"scripted:{script}")
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert "search = \"fused\" needs the extra: pip install 'agentgit[embeddings]'" in done.stderr
    assert git(repo, "branch", "--list", "session/*").strip() == ""


def test_auto_without_the_extra_searches_by_words(repo: Path, tmp_path: Path) -> None:
    """The default asks for nothing: without the extra it is BM25, and the session runs."""
    script = write_script(tmp_path / "s.jsonl", [search("tides moon"), abandon("nothing")])
    done = without_the_extra(repo, "session", "--model", f"scripted:{script}", "--json")
    assert done.returncode == 0, done.stderr
    assert '"outcome": "abandoned"' in done.stdout


def test_a_blob_read_by_path_is_known_by_its_id_in_either_hash(tmp_path: Path) -> None:
    """A file is embedded under its blob id only when the bytes read are that blob: in a
    SHA-256 repository as in a SHA-1 one (else nothing would ever be embedded there)."""
    for fmt in ("sha1", "sha256"):
        top = tmp_path / fmt
        subprocess.run(["git", "init", "-q", f"--object-format={fmt}", str(top)], check=True)
        (top / "a.md").write_bytes(b"tides and moons\n")
        blob = subprocess.run(
            ["git", "hash-object", "a.md"], cwd=top, capture_output=True, text=True, check=True
        ).stdout.strip()
        assert blob_id(b"tides and moons\n", blob) == blob
        assert blob_id(b"something else\n", blob) != blob


def git_blob(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Trees:
    """Trees of files (path -> text) with what fused search is given for one: the
    paths' blob ids, a reader by path (counting what it reads) and BM25 over them."""

    def __init__(self) -> None:
        self.by_id: dict[str, bytes] = {}
        self.index = CorpusIndex(None, lambda shas: {s: self.by_id[s] for s in shas})
        self.reads: list[str] = []
        self.unreadable: set[str] = set()  # paths whose bytes on disk are not the blob

    def ask(
        self, searcher: fused.FusedSearch, tree: dict[str, str], query: str, limit: int = 4
    ) -> list[tuple[str, int, float, str]]:
        files = {}
        for path, text in tree.items():
            data = text.encode()
            files[path] = git_blob(data)
            self.by_id[files[path]] = data

        def read(rels: list[str]) -> dict[str, bytes]:
            self.reads += rels
            return {
                r: tree[r].encode() + (b"changed" if r in self.unreadable else b"")
                for r in rels
                if r in tree
            }

        def bm25(q: str, n: int) -> list[Passage]:
            return self.index.search(files, q, n)

        found = searcher.search(files, read, bm25, query, limit)
        return [(p.path, p.line, p.score, p.text) for p in found]


def test_one_fused_search_asked_about_changing_trees_answers_as_a_fresh_one() -> None:
    """A session's fused search keeps the last tree's rows and changes only the paths a
    step changed: added, changed, moved, removed, sharing a blob, and a file that could
    not be read until a later step. Each answer is a fresh search's (which embeds the
    whole tree), and a file found by meaning alone is read once, not at every search."""
    base = {f"pieces/{slug}.md": piece(*text) for slug, text in PIECES.items()}
    braise = piece("Braising", "A dish simmered slowly in a closed pot grows richer.")
    trees = [
        base,
        {**base, "drafts/braise.md": braise},
        {**base, "drafts/braise.md": braise, "pieces/compost.md": braise},
        {k: v for k, v in base.items() if k != "pieces/tides-moon.md"},
        {**base, "drafts/aaa.md": braise, "log/0001-x.md": piece("Tides", "The sea.")},
        {},
        base,
    ]
    queries = (PARAPHRASE, "highway lanes congestion", "stewing food gently for hours")
    kept, trees_seen = fused.FusedSearch(), Trees()
    for tree in [*trees, *trees[::-1]]:
        for query in queries:
            want = Trees().ask(fused.FusedSearch(), tree, query)
            assert trees_seen.ask(kept, tree, query) == want, (sorted(tree), query)
    # A draft whose bytes are not its blob yet is searched by words alone, then by
    # meaning once it can be read, as a fresh search finds it.
    late = {**base, "drafts/late.md": piece("Late", "Stewing food gently for hours.")}
    blind = Trees()
    trees_seen.unreadable = blind.unreadable = {"drafts/late.md"}
    query = "slow cooking deepens flavour"
    assert trees_seen.ask(kept, late, query) == blind.ask(fused.FusedSearch(), late, query)
    trees_seen.unreadable = set()
    again = {**late, "pieces/new.md": piece("New", "Something else entirely.")}
    answer = trees_seen.ask(kept, again, query)
    assert answer == Trees().ask(fused.FusedSearch(), again, query)
    assert answer != blind.ask(fused.FusedSearch(), late, query)
    # Found by meaning alone: read to pick its passage the first time only.
    trees_seen.reads.clear()
    for _ in range(3):
        trees_seen.ask(kept, again, PARAPHRASE)
    assert trees_seen.reads.count("pieces/salt-early.md") <= 1


def test_a_first_search_stopped_midway_keeps_the_vectors_it_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The tree's files are embedded a chunk at a time and each chunk is kept at once:
    a session stopped during its first search (Ctrl-C, its time up) does not start
    the next from nothing."""
    monkeypatch.setattr(fused, "CHUNK", 2)
    tree = {f"pieces/{slug}.md": piece(*text) for slug, text in PIECES.items()}
    files = {path: git_blob(text.encode()) for path, text in tree.items()}
    chunks: list[list[str]] = []

    def read(rels: list[str]) -> dict[str, bytes]:
        chunks.append(rels)
        if len(chunks) == 2:
            raise KeyboardInterrupt
        return {r: tree[r].encode() for r in rels}

    memo = CorpusIndex(None, lambda shas: {})
    with pytest.raises(KeyboardInterrupt):
        fused.FusedSearch(memo).search(files, read, lambda q, n: [], "tides", 4)
    kept = memo.derived(embedded.KIND, files.values())
    assert set(kept) == {files[rel] for rel in chunks[0]} and len(kept) == 2


_FLOATS = base64.b64encode(bytes(4 * 255)).decode()  # 255 float32s, one short
_NAN = base64.b64encode(b"\x00\x00\xc0\x7f" * 256).decode()  # 256 NaNs


@pytest.mark.parametrize("damage", ["not base64!", "AAAA", _FLOATS, _NAN])
def test_a_damaged_kept_vector_is_embedded_again_and_replaced(damage: str) -> None:
    """A kept vector that is not base64, not 256 float32s (three bytes, 255 floats) or
    not finite is neither a crash nor read as a blob without text: the file is
    embedded again, ranked as a fresh index ranks it, and its vector replaced."""
    tree = {f"pieces/{slug}.md": piece(*text) for slug, text in PIECES.items()}
    files = {path: git_blob(text.encode()) for path, text in tree.items()}

    def read(rels: list[str]) -> dict[str, bytes]:
        return {r: tree[r].encode() for r in rels}

    fresh = CorpusIndex(None, lambda shas: {})
    found = fused.FusedSearch(fresh).search(files, read, lambda q, n: [], PARAPHRASE, 4)
    damaged = CorpusIndex(None, lambda shas: {})
    damaged.store_derived(embedded.KIND, {blob: damage for blob in files.values()})
    again = fused.FusedSearch(damaged).search(files, read, lambda q, n: [], PARAPHRASE, 4)
    assert again == found and found[0].path == "pieces/salt-early.md"
    assert damaged.derived(embedded.KIND, files.values()) == fresh.derived(
        embedded.KIND, files.values()
    )
