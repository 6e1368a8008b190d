"""Novelty before a keep (DESIGN §8): the similarity, its calibration, and the gate at
crystallize, with real git, the real index and scripted sessions."""

from __future__ import annotations

import collections
import hashlib
import itertools
import json
import random
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, agentgit, git
from fakegithub import FakeGitHub
from helpers import damage_file, merge_on_remote, reviewed
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st
from scripts import crystallize, draft, turn

from agentgit.agent.tooldefs import JUDGE_TOOLS
from agentgit.agent.tools import Keep, Toolbox
from agentgit.core.settings import Settings
from agentgit.corpus import check, formats
from agentgit.corpus.index import CorpusIndex, index_path
from agentgit.corpus.search import split_passages
from agentgit.git import Repository
from agentgit.landscape import novelty, similarity
from agentgit.landscape.similarity import doc_counts, doc_words, passage_terms
from agentgit.lifecycle import Result, run, start
from agentgit.models.scripted import ScriptedModel

sys.path.insert(0, str(ROOT / "bench"))
from gen_corpus import Text  # noqa: E402

TIDES_CLAIM = (
    "The moon raises two bulges of water on opposite sides of the earth, and as the "
    "planet turns beneath them every coast meets a high tide twice a lunar day."
)
TIDES = (
    "Tides follow the moon more than the sun.\n\n"
    + TIDES_CLAIM
    + "\n\nSpring tides come when sun and moon pull along one line; neap tides when "
    "they pull at right angles, and the range between high and low water shrinks.\n"
)
RIVERS = (
    "A river carries silt from the mountains to its delta, where the current slows, "
    "the sediment settles, and new land builds out into the sea channel by channel.\n"
)
BAKING = (
    "Bread rises because yeast ferments sugar into carbon dioxide, and gluten traps the "
    "gas in a web that sets when the oven heat drives the water out of the crumb.\n"
)
HARBOURS = (
    "A harbour needs shelter from swell, depth at low water and a bottom that holds an "
    "anchor; breakwaters trade one of these against the cost of stone and dredging.\n"
)
ORBITS = (
    "An orbit is a fall that keeps missing: the satellite moves sideways fast enough that "
    "the ground curves away beneath it as quickly as gravity pulls it down toward it.\n"
)


class Blobs:
    """Blob contents by id, as git would hand them to the index."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    def add(self, text: str) -> str:
        sha = hashlib.sha1(text.encode()).hexdigest()
        self.data[sha] = text.encode()
        return sha

    def __call__(self, shas: list[str]) -> dict[str, bytes]:
        return {s: self.data[s] for s in shas}


def piece(title: str, body: str) -> str:
    return formats.render_piece({"title": title}, body)


def pieces_of(texts: dict[str, str], path: Path | None = None) -> similarity.Pieces:
    blobs = Blobs()
    files = {f"pieces/{slug}.md": blobs.add(text) for slug, text in texts.items()}
    return similarity.Pieces(CorpusIndex(path, blobs), files)


# -- the similarity ------------------------------------------------------------------


def test_identical_texts_are_one_unrelated_zero_and_sharing_in_between() -> None:
    assert similarity.similarity(TIDES, TIDES).similarity == pytest.approx(1.0)
    assert similarity.similarity(RIVERS, ORBITS).similarity == 0.0  # no word in common
    assert similarity.similarity(TIDES, BAKING).similarity < 0.1  # "water", nothing else
    shared = similarity.similarity(RIVERS, RIVERS.replace("mountains", "hills") + HARBOURS)
    assert 0.3 < shared.similarity < 0.95
    back = similarity.similarity(RIVERS.replace("mountains", "hills") + HARBOURS, RIVERS)
    assert back.similarity == pytest.approx(shared.similarity)  # symmetric


def test_a_claim_restated_inside_a_longer_piece_is_a_restatement() -> None:
    longer = "\n\n".join([RIVERS, BAKING, HARBOURS, ORBITS, TIDES_CLAIM]) + "\n"
    compared = similarity.similarity(piece("Tides", TIDES), piece("Many things", longer))
    assert compared.whole < 0.5  # on the whole, a different piece
    assert compared.paragraph == pytest.approx(1.0)  # but one paragraph is the same claim
    assert compared.similarity == compared.paragraph
    first, second = compared.lines or (0, 0)
    assert piece("Tides", TIDES).split("\n")[first - 1] == TIDES_CLAIM
    assert piece("Many things", longer).split("\n")[second - 1] == TIDES_CLAIM


def test_a_short_paragraph_is_not_compared_on_its_own() -> None:
    # A shared one-line heading would make two unrelated pieces look the same.
    a = similarity.similarity(f"## Notes on water\n\n{BAKING}", f"## Notes on water\n\n{ORBITS}")
    assert a.paragraph < 0.3 and a.lines != (1, 1)
    assert len(similarity.text_terms("## Notes on water\n").paras) == 0


def test_a_word_most_pieces_have_weighs_less_than_a_rare_one() -> None:
    weights = similarity.Weights({"water": 99, "estuary": 1}, 100)
    assert weights.idf("water") < weights.idf("estuary")
    vec = weights.vector({"water": 1, "estuary": 1})
    assert vec["estuary"] > vec["water"]
    assert sum(w * w for w in vec.values()) == pytest.approx(1.0)


# -- finding the nearest piece and calibrating -----------------------------------------


FIVE = {
    "tides": piece("Tides", TIDES),
    "rivers": piece("Rivers", RIVERS),
    "baking": piece("Baking", BAKING),
    "harbours": piece("Harbours", HARBOURS),
    "orbits": piece("Orbits", ORBITS),
}


def brute_force_closest(pieces: similarity.Pieces) -> tuple[float, set[str]]:
    weights = pieces.weights()
    terms = pieces.terms(pieces.files.values())
    vectors = {p: similarity.Vectors(terms[b], weights) for p, b in pieces.files.items()}
    pairs = [
        (similarity.compare(vectors[a], vectors[b]).similarity, {a, b})
        for a, b in itertools.combinations(sorted(vectors), 2)
    ]
    return max(pairs, key=lambda p: p[0])


def test_one_piece_calibrates_to_the_floor() -> None:
    pieces = pieces_of({"tides": FIVE["tides"]})
    limit = novelty.threshold(pieces, pieces.weights())
    assert limit.value == novelty.FLOOR and "no pair" in limit.how
    [found] = novelty.measure(pieces, {"copy": FIVE["tides"]})
    assert (found.record.nearest, found.record.similarity, found.record.score) == (
        "tides",
        1.0,
        0.0,
    )
    assert found.near_duplicate


def test_five_pieces_calibrate_on_their_closest_pair(tmp_path: Path) -> None:
    texts = dict(FIVE, estuary=piece("Estuaries", RIVERS.replace("new land", "marsh") + TIDES))
    pieces = pieces_of(texts, tmp_path / "i.sqlite")
    sim, pair = brute_force_closest(pieces)
    found = novelty.closest_pair(pieces, pieces.weights())
    assert found is not None
    assert found[0] == pytest.approx(sim) and {found[1], found[2]} == pair
    limit = novelty.threshold(pieces, pieces.weights())
    assert limit.value == pytest.approx(min(max(1 - sim, novelty.FLOOR), novelty.CEILING))
    assert "estuary" in limit.how
    # A setting overrides the calibration.
    assert novelty.threshold(pieces, pieces.weights(), 0.05).value == 0.05


def test_only_a_draft_within_the_calibrations_reach_is_calibrated_for(tmp_path: Path) -> None:
    """novelty_min is held within [FLOOR, CEILING]: a draft at CEILING or above is novel
    whatever the corpus's closest pair says, so a keep of one does not measure it (a
    fresh clone's most costly step); a draft below it gets the calibrated verdict."""
    texts = dict(FIVE, estuary=piece("Estuaries", RIVERS.replace("new land", "marsh") + TIDES))
    pieces = pieces_of(texts, tmp_path / "i.sqlite")
    sample = sorted(set(pieces.files.values()))
    lichens = piece("Lichens", "A lichen is a fungus farming an alga, slow to grow on bare rock.\n")
    [novel] = novelty.measure(pieces, {"lichens": lichens})
    assert novel.record.score >= novelty.CEILING and not novel.near_duplicate
    assert novel.threshold is None
    assert pieces.index.derived(novelty._NEAREST, sample) == {}  # nothing was calibrated
    [close] = novelty.measure(pieces, {"copy": FIVE["tides"]})
    limit = novelty.threshold(pieces, pieces.weights())
    assert close.near_duplicate and close.threshold == limit
    assert pieces.index.derived(novelty._NEAREST, sample) != {}


def test_five_unrelated_pieces_do_not_refuse_every_related_draft() -> None:
    pieces = pieces_of(FIVE)
    limit = novelty.threshold(pieces, pieces.weights())
    assert limit.value == novelty.CEILING  # far apart: held at the ceiling
    related = piece(
        "Harbour pilots",
        "A pilot brings a ship into the harbour at high water, when the depth over the "
        "bar allows it, and leaves the anchor to the crew once the berth is reached.\n",
    )
    [found] = novelty.measure(pieces, {"harbour-tides": related})
    assert found.record.nearest == "harbours" and not found.near_duplicate


def test_a_revision_is_compared_with_the_other_pieces() -> None:
    pieces = pieces_of(FIVE)
    [found] = novelty.measure(pieces, {"tides": FIVE["tides"]})
    assert found.record.nearest != "tides" and not found.near_duplicate


def test_document_frequencies_follow_main_by_the_blobs_that_changed(tmp_path: Path) -> None:
    pieces = pieces_of(FIVE, tmp_path / "i.sqlite")
    pieces.weights()
    blobs = pieces.index.read_blobs
    assert isinstance(blobs, Blobs)
    pieces.files["pieces/extra.md"] = blobs.add(piece("Extra", ORBITS + "\nMoons orbit too.\n"))
    del pieces.files["pieces/baking.md"]
    updated = pieces.weights()
    fresh = similarity.Pieces(CorpusIndex(None, blobs), dict(pieces.files)).weights()
    assert updated.df == fresh.df and updated.n == fresh.n == 5
    assert "yeast" not in updated.df and updated.df["orbit"] == 2


@pytest.mark.parametrize(
    "damage",
    ["not json", "[]", '{"blobs": 3, "df": {}}', ("count", "x"), ("count", 0.5)],
)
def test_damaged_document_frequencies_are_counted_afresh_and_replaced(
    tmp_path: Path, damage: str | tuple[str, object]
) -> None:
    """A memo of document frequencies that weights() does not write (not JSON, not
    its shape, a count that is no whole number) is counted afresh, not a traceback."""
    pieces = pieces_of(FIVE, tmp_path / "i.sqlite")
    made = pieces.weights()
    kept = pieces.index.memo(similarity._DF)
    assert kept is not None
    if isinstance(damage, tuple):  # the blobs as kept, one word's count no count
        data = json.loads(kept)
        data["df"][min(data["df"])] = damage[1]
        damage = json.dumps(data)
    pieces.index.store_memo(similarity._DF, damage)
    again = similarity.Pieces(pieces.index, dict(pieces.files)).weights()
    assert again.df == made.df and again.n == made.n == 5
    assert pieces.index.memo(similarity._DF) == kept


def test_main_pieces_in_a_fresh_clone_are_read_from_its_checkout(corpus_repo: Path) -> None:
    """A clone's first keep reads main's pieces from the checkout beside it, where they
    are git's blobs, and measures them as read from git: no git reader starts."""
    for slug, text in FIVE.items():
        (corpus_repo / "corpus/pieces" / f"{slug}.md").write_text(text)
    git(corpus_repo, "add", "corpus/pieces")
    git(corpus_repo, "commit", "-q", "--no-verify", "-m", "Five")
    repo = Repository.discover(corpus_repo)
    pieces = novelty.main_pieces(repo)
    [found] = novelty.measure(pieces, {"harbours": piece("Harbours", FIVE["tides"])})
    assert repo._blobs is None  # every piece read from the checkout
    assert found.record.nearest == "tides" and found.near_duplicate
    from_git = similarity.Pieces(CorpusIndex(None, repo.read_blobs), dict(pieces.files))
    assert novelty.measure(from_git, {"harbours": piece("Harbours", FIVE["tides"])}) == [found]


class CountingIndex(CorpusIndex):
    """The real index, counting the candidate queries calibration makes."""

    queries = 0

    def nearest_passages(self, *args: Any, **kwargs: Any) -> list[tuple[str, str, int, float]]:
        self.queries += 1
        return super().nearest_passages(*args, **kwargs)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Blobs, dict[str, str]]:
    """A generated corpus (bench/gen_corpus.py's text) larger than the sample, indexed
    once: a proxy for 10,000 pieces, whose figures bench/run.py measures."""
    rng = random.Random(7)
    text, blobs, files = Text(rng), Blobs(), {}
    for i in range(3 * novelty.SAMPLE):
        theme = text.theme()
        meta = {"title": text.title(theme), "summary": text.sentence(theme)}
        files[f"pieces/p{i:04d}.md"] = blobs.add(formats.render_piece(meta, text.body(theme)))
    path = tmp_path_factory.mktemp("large") / "i.sqlite"
    similarity.Pieces(CorpusIndex(path, blobs), files).weights()
    return path, blobs, files


def test_a_large_corpus_calibrates_on_a_sample_and_then_on_what_is_new(
    large: tuple[Path, Blobs, dict[str, str]],
) -> None:
    path, blobs, files = large
    index = CountingIndex(path, blobs)
    pieces = similarity.Pieces(index, dict(files))
    weights = pieces.weights()
    limit = novelty.threshold(pieces, weights)
    assert novelty.FLOOR <= limit.value <= novelty.CEILING
    assert index.queries == novelty.SAMPLE  # one query a sampled piece, not one a pair
    index.queries = 0
    assert novelty.threshold(pieces, pieces.weights()).value == limit.value
    assert index.queries == 0  # nothing new: all of it kept by blob id
    # A copy of a piece joins main: a pair at similarity 1, found without a full pass.
    copied = files["pieces/p0007.md"]
    pieces.files["pieces/copy.md"] = copied
    again = novelty.threshold(pieces, pieces.weights())
    assert again.value == novelty.FLOOR and index.queries == 0
    del pieces.files["pieces/copy.md"]
    # A near-copy (one word changed) of a sampled piece: found by its own lookup.
    sampled = min(files.values())
    near = blobs.data[sampled].decode().replace(" the ", " a ", 1)
    pieces.files["pieces/near.md"] = blobs.add(near)
    close = novelty.threshold(pieces, pieces.weights())
    assert index.queries <= 2
    [found] = novelty.measure(pieces, {"draft": near}, "auto")
    assert (
        found.record.nearest is not None and found.record.similarity > 0.9 and found.near_duplicate
    )
    assert close.value <= limit.value


# -- the gate at crystallize, in sessions -------------------------------------------------

RESTATING = (
    "Harbours and tides meet twice a day.\n\n"
    + TIDES_CLAIM
    + "\n\nA harbour master reads the tide table before every berth is given out.\n"
)
OVERLAP = "It is about harbour masters reading tide tables, which tides does not say."


def main_with_pieces(repo_path: Path) -> None:
    for slug, text in FIVE.items():
        (repo_path / "corpus/pieces" / f"{slug}.md").write_text(text)
    git(repo_path, "add", "corpus/pieces")
    git(repo_path, "commit", "-q", "--no-verify", "-m", "Five pieces")


def session_run(path: Path, turns: list[dict[str, Any]], topic: str) -> Result:
    repo = Repository.discover(path)
    settings = Settings(model="scripted")
    current = start(repo, settings, topic=topic, model_name="scripted")
    return run(repo, current, ScriptedModel(turns), settings)


def tool_results(repo: Path, number: int) -> list[dict[str, Any]]:
    head = f"refs/agentgit/sessions/{number:04d}"
    data = json.loads(git(repo, "notes", "--ref", "refs/notes/agentgit", "show", head))
    return [
        block
        for m in data["messages"]
        if m["role"] == "user" and isinstance(m["content"], list)
        for block in m["content"]
        if block.get("type") == "tool_result"
    ]


def log_entry(repo: Path, number: int) -> formats.LogEntry:
    names = git(repo, "ls-tree", "--name-only", "main", "corpus/log/").split()
    [name] = [n for n in names if n.startswith(f"corpus/log/{number:04d}-")]
    return formats.parse_log_entry(git(repo, "show", f"main:{name}"), name)


def novelty_trailers(repo: Path, rev: str = "main") -> list[str]:
    out = git(repo, "log", "-1", "--format=%(trailers:key=Agentgit-Novelty,valueonly)", rev)
    return [line for line in out.splitlines() if line]


def test_a_near_duplicate_is_refused_once_then_kept_with_its_overlap(corpus_repo: Path) -> None:
    main_with_pieces(corpus_repo)
    turns = [
        draft("harbour-tides", "Harbour tides", RESTATING, summary="Tides in a harbour."),
        crystallize(["harbour-tides"], summary="Kept harbour tides."),
        turn(
            "crystallize",
            {"slugs": ["harbour-tides"], "summary": "Kept harbour tides.", "overlap": OVERLAP},
        ),
    ]
    result = session_run(corpus_repo, turns, "harbour tides")
    assert (result.outcome, result.pieces) == ("crystallized", ["harbour-tides"])
    refused = [r for r in tool_results(corpus_repo, 1) if r.get("is_error")]
    assert len(refused) == 1
    text = refused[0]["content"] if isinstance(refused[0]["content"], str) else ""
    text = text or " ".join(b["text"] for b in refused[0]["content"])
    assert "near-duplicate of pieces/tides.md (Tides)" in text
    assert "write it as drafts/tides.md" in text and "overlap" in text
    # The log entry on main records the score, the neighbour and the overlap.
    [record] = log_entry(corpus_repo, 1).novelty
    assert record.piece == "harbour-tides" and record.nearest == "tides"
    assert record.overlap == OVERLAP
    assert record.score == pytest.approx(1 - record.similarity, abs=1e-9)
    assert f"novelty {record.score:.3f}" in text
    # Main's merge commit carries one trailer per kept piece.
    assert novelty_trailers(corpus_repo) == [
        f"harbour-tides {record.score:.3f} nearest=tides:{record.similarity:.3f}"
    ]
    # `agentgit check` accepts the entry, and `show` lists the piece by title.
    assert agentgit(corpus_repo, "check").returncode == 0
    shown = agentgit(corpus_repo, "show", "1")
    assert shown.returncode == 0, shown.stderr
    assert (
        f"harbour-tides — Harbour tides: novelty {record.score:.3f}, nearest tides "
        f"(similarity {record.similarity:.3f}); overlap: {OVERLAP}"
    ) in shown.stdout
    # A replay compares with main as the session saw it, so it makes the same record.
    replayed = agentgit(corpus_repo, "replay", "1")
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr


def test_a_revision_of_the_neighbour_is_kept_without_a_refusal(corpus_repo: Path) -> None:
    main_with_pieces(corpus_repo)
    revised = TIDES + "\nHarbour masters read the tide table before giving out a berth.\n"
    turns = [draft("tides", "Tides", revised), crystallize(["tides"], summary="Revised tides.")]
    result = session_run(corpus_repo, turns, "tides again")
    assert (result.outcome, result.pieces) == ("crystallized", ["tides"])
    assert not [r for r in tool_results(corpus_repo, 1) if r.get("is_error")]
    [record] = log_entry(corpus_repo, 1).novelty
    assert record.nearest != "tides" and record.overlap is None
    [trailer] = novelty_trailers(corpus_repo)
    assert trailer.startswith(f"tides {record.score:.3f} nearest={record.nearest}:")
    # Main now holds the revision; a replay compares with main as the session saw it.
    replayed = agentgit(corpus_repo, "replay", "1")
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr


def test_an_empty_main_gives_novelty_one_and_no_neighbour(corpus_repo: Path) -> None:
    result = session_run(corpus_repo, [draft("tides", "Tides", TIDES), crystallize(["tides"])], "t")
    assert result.outcome == "crystallized"
    assert log_entry(corpus_repo, 1).novelty == [formats.NoveltyRecord("tides", 1.0, None, 0.0)]
    assert novelty_trailers(corpus_repo) == ["tides 1.000 nearest=-"]


@pytest.mark.parametrize("damage", ["delete", "garbage", "truncate"])
def test_a_deleted_or_corrupt_index_gives_the_same_refusal(corpus_repo: Path, damage: str) -> None:
    main_with_pieces(corpus_repo)
    repo = Repository.discover(corpus_repo)
    session = start(repo, Settings(model="scripted"), topic="harbours", model_name="scripted")
    toolbox = Toolbox(session)
    toolbox.call(
        "write_draft", {"slug": "harbour-tides", "title": "Harbour tides", "body": RESTATING}
    )
    args = {"slugs": ["harbour-tides"], "summary": "s"}
    before = toolbox.call("crystallize", args)
    assert before.is_error and "near-duplicate of pieces/tides.md" in before.text
    for index in (session._index, session._main.index if session._main else None):
        if index is not None:
            index.close()
    session._main = None
    path = index_path(repo.state_dir)
    damage_file(path, damage)
    after = toolbox.call("crystallize", args)
    assert after.is_error and after.text == before.text
    assert git(corpus_repo, "status", "--porcelain") == ""


def test_the_last_turn_keeps_a_near_duplicate_with_its_score(corpus_repo: Path) -> None:
    """Only judging is left: a refusal would end the session abandoned, and the score
    never keeps or discards by itself."""
    main_with_pieces(corpus_repo)
    repo = Repository.discover(corpus_repo)
    session = start(repo, Settings(model="scripted"), topic="harbours", model_name="scripted")
    toolbox = Toolbox(session)
    toolbox.call("write_draft", {"slug": "copy", "title": "Copy", "body": TIDES})
    toolbox.allowed = JUDGE_TOOLS
    with pytest.raises(Keep) as kept:
        toolbox.call("crystallize", {"slugs": ["copy"], "summary": "s"})
    assert kept.value.novelty == [formats.NoveltyRecord("copy", 0.0, "tides", 1.0)]


def restating_on_remote(corpus_repo: Path) -> list[dict[str, Any]]:
    """Main with the pieces, pushed; the turns of a session that restates one of them."""
    main_with_pieces(corpus_repo)
    git(corpus_repo, "push", "-q", "origin", "main")
    return [
        draft("harbour-tides", "Harbour tides", RESTATING),
        turn("crystallize", {"slugs": ["harbour-tides"], "summary": "s", "overlap": OVERLAP}),
    ]


def test_the_pull_request_shows_each_pieces_novelty(
    corpus_repo: Path,
    remote: Path,  # noqa: F811
    github_env: FakeGitHub,  # noqa: F811
) -> None:
    result = reviewed(corpus_repo, restating_on_remote(corpus_repo), "pr", topic="harbour tides")
    assert result.outcome == "in-review"
    body = github_env.pulls[1]["body"]
    line = next(ln for ln in body.splitlines() if "corpus/pieces/harbour-tides.md" in ln)
    assert line.startswith("- `corpus/pieces/harbour-tides.md` — novelty 0.")
    assert "nearest tides (similarity " in line and line.endswith(f"; overlap: {OVERLAP}")


def test_a_keep_decided_in_review_carries_the_novelty_trailers(
    corpus_repo: Path,
    remote: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    result = reviewed(
        corpus_repo, restating_on_remote(corpus_repo), "branch", topic="harbour tides"
    )
    merge_on_remote(remote, str(result.branch), tmp_path)  # a person, by hand
    proc = agentgit(corpus_repo, "sync")
    assert proc.returncode == 0, proc.stderr
    [record] = formats.parse_log_entry(
        git(remote, "show", f"{result.head}:corpus/log/0001-harbour-tides.md"), "log"
    ).novelty
    assert novelty_trailers(remote) == [novelty.trailer_value(record)]


# -- the record is checked -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("novelty_yaml", "why"),
    [
        ("novelty: 3", "novelty must be a list"),
        ("novelty: [{piece: Bad, score: 0.5, nearest: null, similarity: 0.5}]", "piece"),
        ("novelty: [{piece: a, score: 1.5, nearest: null, similarity: 0.5}]", "score"),
        ("novelty: [{piece: a, score: 0.5, nearest: B!, similarity: 0.5}]", "nearest"),
        ("novelty: [{piece: a, score: 0.5, nearest: b, similarity: x}]", "similarity"),
        ("novelty: [{piece: a, score: 0.5, nearest: b, similarity: 0.5, why: x}]", "unknown"),
    ],
)
def test_a_malformed_novelty_record_is_reported_by_check(novelty_yaml: str, why: str) -> None:
    text = f"---\nsession: 1\ntitle: T\nstarted: x\n{novelty_yaml}\n---\n\nBody.\n"
    [problem] = check.check_text("corpus/log/0001-t.md", text)
    assert why in problem.reason and problem.line == 5


def test_a_novelty_record_survives_a_round_trip() -> None:
    record = formats.NoveltyRecord("a", 0.25, "b", 0.75, "x")
    entry = formats.LogEntry(session=1, title="T", started="x", novelty=[record])
    text = formats.render_log_entry(entry)
    assert formats.parse_log_entry(text, "log/0001-t.md").novelty == [record]
    assert formats.NoveltyRecord.parse(record.record()) == record
    assert "novelty" not in formats.render_log_entry(formats.LogEntry(1, "T", "x"))
    assert novelty.trailer_value(record) == "a 0.250 nearest=b:0.750"


def test_novelty_min_is_auto_or_a_number_from_0_to_1(tmp_path: Path) -> None:
    from agentgit.core.errors import UsageError
    from agentgit.core.settings import load

    assert load(None, env={}).novelty_min == "auto"
    assert load(None, env={"AGENTGIT_NOVELTY_MIN": "0.3"}).novelty_min == 0.3
    (tmp_path / "agentgit.toml").write_text("novelty_min = 2\n")
    with pytest.raises(UsageError, match="novelty_min must be at most 1"):
        load(tmp_path, env={})
    (tmp_path / "agentgit.toml").write_text('novelty_min = "often"\n')
    with pytest.raises(UsageError, match="novelty_min must be auto or a number"):
        load(tmp_path, env={})


@given(st.text(alphabet=st.sampled_from("ab Ç_\n\n-—:'1é"), max_size=300))
def test_a_pieces_whole_counts_in_one_pass_are_its_paragraphs_counts(text: str) -> None:
    """Document frequencies and signatures count a piece's words in one pass over its
    joined passages: the very counts the paragraph-by-paragraph pass adds up."""
    passages = list(split_passages(f"---\ntitle: {text[:20]!r}\n---\n{text}"))
    assert doc_counts(passages) == passage_terms(passages).doc
    assert doc_words(passages) == set(passage_terms(passages).doc)


@examples(max_examples=60, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from("aB z_9\n\n.,;+$—–’“…\u00a0éΣς\u0301🙂İ"), max_size=80),
        min_size=1,
        max_size=6,
    )
)
def test_document_frequencies_counted_by_fts5_are_pythons(bodies: list[str]) -> None:
    """A fresh count hands the texts FTS5 splits as agentgit.search does to FTS5, in C,
    and counts the rest in Python: the frequencies are the same as all in Python."""
    pieces = pieces_of({f"p{i}": piece(f"T{i}", f"word {body}") for i, body in enumerate(bodies)})
    blobs = collections.Counter(pieces.files.values())
    pieces.index.update(pieces.files)
    passages = pieces.index.passages_of(blobs)
    expected: collections.Counter[str] = collections.Counter()
    for blob, times in blobs.items():
        for _ in range(times):
            expected.update(doc_words(passages.get(blob, [])))
    assert expected  # "word" at least
    assert similarity._count_afresh(pieces.index, blobs) == expected
