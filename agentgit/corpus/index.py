"""One retrieval index of the corpus, built from git objects (DESIGN §8).

Passages (a file's title, summary and tags; each paragraph) of every blob ever seen in
pieces/, log/ and drafts/ are kept in an SQLite FTS5 table under ``.git/agentgit/``,
keyed by blob id: a file that did not change is never read again, and a new version is
one more blob. A search ranks (BM25, built into FTS5) only the passages of the blobs in
the tree it is asked about, so a session sees exactly its own corpus. Deleting the file
loses nothing: it is rebuilt from git, and so is a file that is not a readable index.
"""

from __future__ import annotations

import functools
import hashlib
import sqlite3
from collections.abc import Callable, Iterable
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from agentgit.corpus.search import AREAS, Passage, query_terms, searchable, shown, split_passages

if TYPE_CHECKING:
    from agentgit.git import Repository

# 2: each blob names the rowids of its passages, so they are read without a scan.
# 3: a header in flow style ({title: T}) is a passage too: older files split it to none.
SCHEMA = 3
# \w+ as agentgit.search tokenizes: letters, digits and the underscore, case folded.
OVERFETCH = 5  # nearest_passages asks the whole index for this many times what it needs
_TOKENIZE = "unicode61 remove_diacritics 0 tokenchars '_'"

# FTS5 holds a transaction's terms in memory up to this many bytes before it writes them
# out as one more segment, which its merges then rewrite (1 MB by default). A fresh
# clone's first index of 10,000 pieces (63,000 passages, 25 MB, one transaction) took
# about 1.06 s of CPU with the default and 0.75 s with this; it ranks the same.
HASHSIZE = 16 << 20
_HASHSIZE = "INSERT INTO passages (passages, rank) VALUES ('hashsize', ?)"
_HASHSIZE_SET = "SELECT 1 FROM passages_config WHERE k = 'hashsize'"

ReadBlobs = Callable[[list[str]], dict[str, bytes]]
ReadCheckout = Callable[[dict[str, str]], dict[str, bytes]]
_F = TypeVar("_F", bound=Callable[..., Any])
# SQLite's primary result codes that say nothing of the file's contents: busy, locked,
# read-only, an I/O error, a full disk, a file that cannot be opened. Any other error of
# the database is taken for damage.
_TRANSIENT = (5, 6, 8, 10, 13, 14)


def corrupt(exc: sqlite3.DatabaseError) -> bool:
    """A damaged file, as opposed to a busy or unwritable one: rebuilt, not reported.
    A mistake in a statement fails again on the fresh index, and so is still raised."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is None or code & 0xFF not in _TRANSIENT


def _rebuilt_if_corrupt(method: _F) -> _F:
    """Damage found by any read or write (the pages of one table can be broken while the
    file opens) empties the index and the call is made again on a fresh one: it is
    rebuilt from git objects, as if deleted."""

    @functools.wraps(method)
    def call(self: CorpusIndex, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            if not corrupt(exc):
                raise
            self.close()
            self._reset()
            return method(self, *args, **kwargs)

    return cast(_F, call)


def index_path(state_dir: Path) -> Path:
    """Where a repository's index lives: in its agentgit state, never in a tree."""
    return state_dir / "index" / "corpus.sqlite"


class CorpusIndex:
    @classmethod
    def of(cls, repo: Repository) -> CorpusIndex:
        """The repository's index: its file under .git/agentgit/, its blobs read from
        the main worktree where it holds them as git does, else from git."""

        def read_checkout(files: dict[str, str]) -> dict[str, bytes]:
            return repo.read_checkout({f"corpus/{rel}": sha for rel, sha in files.items()})

        return cls(index_path(repo.state_dir), repo.read_blobs, read_checkout)

    def __init__(
        self, path: Path | None, read_blobs: ReadBlobs, read_checkout: ReadCheckout | None = None
    ) -> None:
        """``path`` None: an index in memory, for one search over a plain directory.
        ``read_checkout``: the blobs of some files (path relative to corpus/ -> blob id)
        that a checkout holds unchanged, which are cheaper read from it; the rest are
        read with ``read_blobs``."""
        self.path = path
        self.read_blobs = read_blobs
        self.read_checkout = read_checkout
        self._db: sqlite3.Connection | None = None
        self._current: dict[str, str] = {}  # what the temp table `cur` holds: path -> blob
        self._known: set[str] | None = None  # blobs known to be indexed
        # The last tree indexed and selected as given: asked again (novelty asks one tree
        # many times), nothing is scanned.
        self._indexed: dict[str, str] | None = None
        self._selected: dict[str, str] | None = None
        # Per area asked for (None: all): the tree it was worked out for, blob -> paths.
        self._by_blob: dict[str | None, tuple[dict[str, str], dict[str, list[str]]]] = {}
        # The passages of the blobs this process indexed, as it split them: a first
        # survey reads every piece's terms right after indexing it, and reading 25 MB
        # back from the file it just wrote cost a fresh clone of 10,000 pieces 0.6 s.
        self._fresh: dict[str, list[tuple[int, str]]] = {}

    # -- the file ------------------------------------------------------------------

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            try:
                self._db = self._open()
            # Not an index (corrupt, truncated; a header so broken that SQLite's own
            # message is not UTF-8): rebuild.
            except (sqlite3.DatabaseError, UnicodeDecodeError):
                self._reset()
                self._db = self._open()
        return self._db

    def _connect(self) -> sqlite3.Connection:
        if self.path is None:
            return sqlite3.connect(":memory:", isolation_level=None)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return sqlite3.connect(self.path, timeout=30, isolation_level=None)

    def _open(self) -> sqlite3.Connection:
        db = self._connect()
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA):  # another layout: rebuilt, not migrated
                db.close()
                self._reset()
                db = self._connect()
            db.execute("PRAGMA journal_mode=WAL")  # concurrent sessions read while one writes
            # No fsync per transaction (a session adds its drafts at every search): in WAL
            # mode a crash can lose the last writes, never the file, and the index is a
            # cache of git objects, rebuilt from them.
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(f"""
                CREATE TABLE IF NOT EXISTS blobs (
                    sha TEXT PRIMARY KEY, first INTEGER, last INTEGER);
                CREATE VIRTUAL TABLE IF NOT EXISTS passages USING fts5(
                    text, blob UNINDEXED, line UNINDEXED, tokenize="{_TOKENIZE}");
                CREATE TABLE IF NOT EXISTS derived (
                    kind TEXT, blob TEXT, data TEXT, PRIMARY KEY (kind, blob));
                CREATE TABLE IF NOT EXISTS memo (key TEXT PRIMARY KEY, data TEXT);
                PRAGMA user_version = {SCHEMA};
                CREATE TEMP TABLE cur (path TEXT PRIMARY KEY, blob TEXT);
                CREATE INDEX temp.cur_blob ON cur (blob);
            """)
            db.execute("SELECT count(*) FROM blobs").fetchone()  # fails on a corrupt file
            if db.execute(_HASHSIZE_SET).fetchone() is None:
                db.execute(_HASHSIZE, (HASHSIZE,))
        except (sqlite3.DatabaseError, UnicodeDecodeError):
            db.close()
            raise
        return db

    def _reset(self) -> None:
        self._current, self._known = {}, None
        self._indexed = self._selected = None
        if self.path is None:
            return
        for suffix in ("", "-wal", "-shm"):
            with suppress(FileNotFoundError):
                Path(f"{self.path}{suffix}").unlink()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
            self._fresh = {}
            self._current, self._known = {}, None
            self._indexed = self._selected = None

    # -- keeping it up to date -----------------------------------------------------

    @_rebuilt_if_corrupt
    def update(self, files: dict[str, str]) -> int:
        """Index the blobs of ``files`` (path relative to corpus/ -> blob id) not yet
        indexed; how many were added."""
        if files == self._indexed:
            return 0
        # Every blob of the last tree is indexed: only what differs from it is looked at.
        added = self._add(tree_delta(self._indexed, files)[0])
        self._indexed = dict(files)
        return added

    def _add(self, files: dict[str, str]) -> int:
        db = self.db
        if self._known is None:  # once per process: then only new blobs are looked up
            self._known = {r[0] for r in db.execute("SELECT sha FROM blobs")}
        wanted = sorted(
            {sha for rel, sha in files.items() if sha not in self._known and searchable(rel)}
        )
        if not wanted:
            return 0
        # Under the write lock from the look-up on: another process (or connection) that
        # is indexing the same blobs holds it until it commits, and this one then finds
        # them indexed instead of reading, splitting and adding them a second time.
        db.execute("BEGIN IMMEDIATE")
        try:
            known = set()
            for chunk in _chunks(wanted, 500):
                marks = ",".join("?" * len(chunk))
                known |= {
                    r[0] for r in db.execute(f"SELECT sha FROM blobs WHERE sha IN ({marks})", chunk)
                }
            missing = [sha for sha in wanted if sha not in known]
            split = self._split(missing, files)
            # Rowids given here, so each blob knows its span.
            rowid = db.execute("SELECT coalesce(max(rowid), 0) FROM passages").fetchone()[0]
            rows, spans = [], []
            for sha, passages in split.items():
                spans.append((sha, rowid + 1, rowid + len(passages)))
                for line, passage in passages:
                    rowid += 1
                    rows.append((rowid, passage, sha, line))
            db.executemany("INSERT OR IGNORE INTO blobs (sha, first, last) VALUES (?, ?, ?)", spans)
            db.executemany(
                "INSERT INTO passages (rowid, text, blob, line) VALUES (?, ?, ?, ?)", rows
            )
            db.execute("COMMIT")
        except BaseException:
            with suppress(sqlite3.Error):  # SQLite may have rolled back already
                db.execute("ROLLBACK")
            raise
        self._known |= set(wanted)
        self._fresh.update(split)
        return len(missing)

    def _split(
        self, blobs: list[str], files: dict[str, str] | None = None
    ) -> dict[str, list[tuple[int, str]]]:
        """Each blob's passages: as split already (its passages were asked for before it
        was indexed), else read (``files``: where in the tree each may be) and split."""
        fresh = self._fresh
        unread = [sha for sha in blobs if sha not in fresh]
        contents = self._read(unread, files or {}) if unread else {}
        split = {}
        for sha in blobs:
            if sha in fresh:
                split[sha] = fresh[sha]
                continue
            try:
                text = contents.get(sha, b"").decode("utf-8")
            except UnicodeDecodeError:
                text = ""  # binary: nothing to rank, but known
            split[sha] = list(split_passages(text))
        return split

    def _read(self, blobs: list[str], files: dict[str, str]) -> dict[str, bytes]:
        """The blobs' contents: from the checkout where it holds them (``files`` says
        where each may be), else from git (a blob git does not give: none)."""
        contents: dict[str, bytes] = {}
        if files and self.read_checkout is not None:
            wanted = set(blobs)
            where: dict[str, str] = {}
            for rel, sha in files.items():
                if sha in wanted:
                    where.setdefault(sha, rel)  # one path for a blob held by two
            contents = self.read_checkout({rel: sha for sha, rel in where.items()})
        rest = [sha for sha in blobs if sha not in contents]
        if rest:
            contents.update(self.read_blobs(rest))
        return contents

    # -- searching -----------------------------------------------------------------

    @_rebuilt_if_corrupt
    def search(self, files: dict[str, str], query: str, limit: int = 8) -> list[Passage]:
        """The best passages for ``query`` among the files of one tree (path relative to
        corpus/ -> blob id), best first; ties in path and line order."""
        terms = query_terms(query)
        if not terms or limit < 1:
            return []
        self.update(files)
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        # The best passages of the whole index first, without the join to the tree (which
        # doubles a query's cost). Exact when the tree's best are all scored above the
        # last passage fetched: any better one of the tree's would have been fetched too.
        paths = self._paths_by_blob(files, None)
        for want in (limit * OVERFETCH, limit * OVERFETCH**2):
            rows, exact = self._best_of_index(paths, match, limit, want)
            if exact:
                break
        if not exact:
            self._select(files)
            rows = self.db.execute(
                "SELECT c.path, p.line, p.text, round(-bm25(passages), 4) AS score "
                "FROM passages p JOIN cur c ON c.blob = p.blob "
                "WHERE passages MATCH ? ORDER BY score DESC, c.path, p.line LIMIT ?",
                (match, limit),
            ).fetchall()
        return [shown(path, int(line), score, text, terms) for path, line, text, score in rows]

    def _best_of_index(
        self, paths: dict[str, list[str]], match: str, limit: int, want: int
    ) -> tuple[list[tuple[str, int, str, float]], bool]:
        """The tree's best ``limit`` among the index's best ``want`` passages, and whether
        they are the tree's best: every passage fetched (fewer came than asked), or the
        last kept scores above the last fetched, so any better one would have been
        fetched too. A second, deeper fetch (the index holds old versions and other
        sessions' drafts, whose ties can fill the first) costs a few milliseconds; the
        join to the tree, the first time, a fifth of a second at 15,000 files."""
        fetched = self.db.execute(
            "SELECT blob, line, text, round(-bm25(passages), 4) AS score FROM passages "
            "WHERE passages MATCH ? ORDER BY score DESC LIMIT ?",
            (match, want),
        ).fetchall()
        rows = sorted(
            (
                (path, int(line), text, score)
                for blob, line, text, score in fetched
                for path in paths.get(blob, ())
            ),
            key=lambda r: (-r[3], r[0], r[1]),
        )[:limit]
        exact = len(fetched) < want or (len(rows) == limit and rows[-1][3] > fetched[-1][3])
        return rows, exact

    @_rebuilt_if_corrupt
    def nearest_passages(
        self, files: dict[str, str], terms: list[str], limit: int, area: str = "pieces"
    ) -> list[tuple[str, str, int, float]]:
        """(path, blob, line, BM25 score) of the passages of ``area`` in one tree that
        best match any of ``terms``, best first: the candidates a comparison starts from."""
        terms = [t for t in dict.fromkeys(terms) if t]
        if not terms or limit < 1:
            return []
        self.update(files)
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        # The best passages of the whole index first, without the join to the tree (which
        # doubles a query's cost); the tree's are among them unless it is a small part.
        paths = self._paths_by_blob(files, area)
        rows = self.db.execute(
            "SELECT blob, line, -bm25(passages) AS score FROM passages "
            "WHERE passages MATCH ? ORDER BY score DESC LIMIT ?",
            (match, limit * OVERFETCH),
        ).fetchall()
        found = [
            (path, blob, int(line), float(score))
            for blob, line, score in rows
            for path in paths.get(blob, ())
        ]
        if len(found) < limit and len(rows) == limit * OVERFETCH:
            self._select(files)
            found = [
                (path, blob, int(line), float(score))
                for path, blob, line, score in self.db.execute(
                    "SELECT c.path, p.blob, p.line, -bm25(passages) AS score "
                    "FROM passages p JOIN cur c ON c.blob = p.blob "
                    "WHERE passages MATCH ? AND c.path >= ? AND c.path < ? "
                    "ORDER BY score DESC LIMIT ?",
                    (match, f"{area}/", f"{area}0", limit),
                )
            ]
        found.sort(key=lambda r: (-r[3], r[0], r[2]))
        return found[:limit]

    def _paths_by_blob(self, files: dict[str, str], area: str | None) -> dict[str, list[str]]:
        """Blob id -> the paths of the tree that hold it, in `area` (None: every area),
        worked out from the last tree asked about: a step changes a path or two."""
        last = self._by_blob.get(area)
        if last is not None and last[0] == files:
            return last[1]
        before, paths = last if last is not None else ({}, {})
        changed, gone = tree_delta(before if last is not None else None, files)
        for rel in [*gone, *(rel for rel in changed if rel in before)]:
            held = paths.get(before[rel])
            if held is not None and rel in held:
                held.remove(rel)
                if not held:
                    del paths[before[rel]]
        for rel, sha in changed.items():
            if (area is None or rel.startswith(f"{area}/")) and searchable(rel):
                paths.setdefault(sha, []).append(rel)
        self._by_blob[area] = (dict(files), paths)
        return paths

    @_rebuilt_if_corrupt
    def passages_of(
        self, blobs: Iterable[str], files: dict[str, str] | None = None
    ) -> dict[str, list[tuple[int, str]]]:
        """The passages of each blob, (line, text) in line order: as indexed, or, for a
        blob not indexed yet, read from git and split as the index splits it. Those are
        kept in memory until `update` indexes them (without reading them again): a first
        survey of the terrain needs every piece's text, and not the ranking, whose FTS5
        table cost 10,000 pieces more than a second to fill."""
        wanted = set(blobs)
        found = {sha: self._fresh[sha] for sha in wanted & self._fresh.keys()}
        # One statement a chunk: each blob's passages are its span of rowids, which
        # FTS5 reads by range (a statement per blob cost 10,000 blobs half a second).
        for chunk in _chunks(sorted(wanted - found.keys()), 500):
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                "SELECT b.sha, p.line, p.text FROM blobs b LEFT JOIN passages p "
                f"ON p.rowid BETWEEN b.first AND b.last WHERE b.sha IN ({marks})",
                chunk,
            ).fetchall()
            for sha, line, text in rows:
                held = found.setdefault(sha, [])  # a blob of no passages holds none
                if text is not None:
                    held.append((int(line), text))
        for passages in found.values():
            passages.sort()
        unindexed = sorted(wanted - found.keys())
        if unindexed:
            split = self._split(unindexed, files)  # ``files``: where a checkout may hold them
            self._fresh.update(split)
            found.update(split)
        return found

    # -- what other readers derive from blobs (novelty), kept beside the passages --------

    @_rebuilt_if_corrupt
    def derived(self, kind: str, blobs: Iterable[str]) -> dict[str, str]:
        """What was stored under ``kind`` for each of ``blobs`` (those that have any)."""
        found: dict[str, str] = {}
        for chunk in _chunks(sorted(set(blobs)), 500):
            marks = ",".join("?" * len(chunk))
            found.update(
                self.db.execute(
                    f"SELECT blob, data FROM derived WHERE kind = ? AND blob IN ({marks})",
                    [kind, *chunk],
                ).fetchall()
            )
        return found

    @_rebuilt_if_corrupt
    def store_derived(self, kind: str, data: dict[str, str]) -> None:
        self._write(
            "INSERT OR REPLACE INTO derived (kind, blob, data) VALUES (?, ?, ?)",
            [(kind, blob, value) for blob, value in data.items()],
        )

    @_rebuilt_if_corrupt
    def memo(self, key: str) -> str | None:
        row = self.db.execute("SELECT data FROM memo WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    @_rebuilt_if_corrupt
    def store_memo(self, key: str, data: str) -> None:
        self._write("INSERT OR REPLACE INTO memo (key, data) VALUES (?, ?)", [(key, data)])

    def _write(self, sql: str, rows: list[tuple[str, ...]]) -> None:
        if not rows:
            return
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(sql, rows)
            db.execute("COMMIT")
        except BaseException:
            with suppress(sqlite3.Error):  # SQLite may have rolled back already
                db.execute("ROLLBACK")
            raise

    def _select(self, files: dict[str, str]) -> None:
        """Make the temp table `cur` hold exactly ``files``: only what changed is
        written, so a search after one draft edit costs one row."""
        if files == self._selected:
            return
        changed, gone = tree_delta(self._selected, files)
        rows_gone = [(rel,) for rel in gone if rel in self._current]
        rows = [(rel, sha) for rel, sha in changed.items() if searchable(rel)]
        if rows_gone or rows:
            db = self.db
            db.executemany("DELETE FROM cur WHERE path = ?", rows_gone)
            db.executemany("INSERT OR REPLACE INTO cur (path, blob) VALUES (?, ?)", rows)
            for (rel,) in rows_gone:
                del self._current[rel]
            self._current.update(rows)
        self._selected = dict(files)


def word_documents(texts: Iterable[str]) -> dict[str, int]:
    """word -> how many of ``texts`` have it, counted by FTS5 in C (a third of the time
    Python's tokens and sets take over 10,000 pieces). FTS5's tokens are agentgit.search's
    for ASCII text and common punctuation only (beyond, FTS5 keeps marks and some symbols
    in words and folds case its own way): agentgit.similarity chooses what it is given."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    try:
        db.execute(
            f'CREATE VIRTUAL TABLE docs USING fts5(text, content="", detail=none, '
            f'tokenize="{_TOKENIZE}")'
        )
        db.execute("INSERT INTO docs (docs, rank) VALUES ('hashsize', ?)", (HASHSIZE,))
        db.execute("CREATE VIRTUAL TABLE temp.words USING fts5vocab(main, docs, 'row')")
        db.execute("BEGIN")
        db.executemany("INSERT INTO docs (text) VALUES (?)", ((text,) for text in texts))
        db.execute("COMMIT")
        return dict(db.execute("SELECT term, doc FROM temp.words").fetchall())
    finally:
        db.close()


def search_directory(
    corpus_dir: Path, query: str, limit: int = 8, candidates: Iterable[str] | None = None
) -> list[Passage]:
    """The same search over a plain directory (a corpus outside git), in memory:
    pieces/, log/ and drafts/, or only ``candidates`` among them."""
    if candidates is None:
        candidates = [
            f"{area}/{entry.name}"
            for area in AREAS
            if (corpus_dir / area).is_dir()
            for entry in (corpus_dir / area).iterdir()
        ]
    contents: dict[str, bytes] = {}
    files: dict[str, str] = {}
    for rel in candidates:
        path = corpus_dir / rel
        if searchable(rel) and path.is_file():
            data = path.read_bytes()
            sha = hashlib.sha1(data).hexdigest()
            contents[sha], files[rel] = data, sha
    index = CorpusIndex(None, lambda shas: {s: contents[s] for s in shas})
    try:
        return index.search(files, query, limit)
    finally:
        index.close()


def tree_delta(
    before: dict[str, str] | None, after: dict[str, str]
) -> tuple[dict[str, str], list[str]]:
    """From one tree to the next: (path -> blob of the paths new or changed, the paths
    gone). One pass of lookups (a step changes a path or two of 15,000: half a
    millisecond, a third of what the set difference of the items took); the paths gone
    are looked for only when the sizes say some are."""
    if before is None:
        return after, []
    get = before.get
    changed = {rel: sha for rel, sha in after.items() if get(rel) != sha}
    added = sum(1 for rel in changed if rel not in before)
    gone = list(before.keys() - after.keys()) if len(after) - added != len(before) else []
    return changed, gone


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
