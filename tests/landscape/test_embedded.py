"""The terrain by embeddings (the optional extra agentgit[embeddings], DESIGN §8): the same
regions, verdicts and stability as the lexical measure on ground that is known, region
names still words, nothing fetched from the network, and without the extra a one-line
error that says how to install it. The extra is optional for users; the test extra
installs it, so these tests always run (the lexical terrain is tested without it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import agentgit
from grounds import (
    GROUNDS,
    piece_text,
    places_hold_under_a_new_keep,
    three_grounds,
    walked,
)
from helpers import commit_files

from agentgit.core.settings import Settings
from agentgit.corpus.index import CorpusIndex, index_path
from agentgit.git import Repository
from agentgit.landscape import embedded, terrain, token_ids
from agentgit.landscape.terrain import Terrain

EMBEDDED = Settings(terrain_measure="embeddings")
LEXICAL = Settings()


def survey(path: Path, settings: Settings = EMBEDDED) -> Terrain:
    return terrain.survey(Repository.discover(path), settings)


def regions_of(found: Terrain) -> dict[str, int]:
    return {p.slug: p.region for p in found.pieces}


def test_three_grounds_fall_in_three_regions_named_by_words(corpus_repo: Path) -> None:
    three_grounds(corpus_repo)
    found = survey(corpus_repo)
    by_kind = {kind: {regions_of(found)[f"{kind}-{n}"] for n in (1, 2, 3)} for kind in GROUNDS}
    assert all(len(ids) == 1 for ids in by_kind.values()), by_kind
    assert len(found.regions) == 3
    for region in found.regions:
        kind = region.pieces[0].rsplit("-", 1)[0]
        text = " ".join([kind, *GROUNDS[kind]]).lower()
        assert region.words and all(word in text for word in region.words), region.words


def test_the_walks_get_the_verdicts_the_lexical_measure_gives(corpus_repo: Path) -> None:
    walked(corpus_repo)
    lexical, embedded = survey(corpus_repo, LEXICAL), survey(corpus_repo)
    assert [(s.session, s.verdict) for s in embedded.sessions] == [
        (s.session, s.verdict) for s in lexical.sessions
    ]
    assert {s.session for s in embedded.sessions if s.circling} == {4, 5, 6}
    # Each measure keeps its own cache: neither overwrote the other.
    assert survey(corpus_repo, LEXICAL) == lexical and survey(corpus_repo) == embedded


def test_regions_and_positions_hold_under_a_new_keep(corpus_repo: Path) -> None:
    places_hold_under_a_new_keep(corpus_repo, survey)


def test_a_first_survey_of_many_pieces_places_them_as_one_at_a_time_would(
    corpus_repo: Path,
) -> None:
    """Past regions.FEW new pieces the nearest are found in memory (a matrix), not by
    asking for candidates: the regions come out the same."""
    pieces = {f"{kind}-{n}": piece_text(kind, n) for kind in GROUNDS for n in range(1, 21)}
    commit_files(corpus_repo, {f"corpus/pieces/{s}.md": t for s, t in pieces.items()}, "Add")
    found = survey(corpus_repo)
    assert len(found.pieces) == 60 and len(found.regions) == 3
    for kind in GROUNDS:
        assert len({regions_of(found)[f"{kind}-{n}"] for n in range(1, 21)}) == 1


def test_pieces_with_no_text_are_placed_alone(corpus_repo: Path) -> None:
    three_grounds(corpus_repo)
    commit_files(corpus_repo, {"corpus/pieces/blank.md": "---\ntitle: x\n---\n"}, "Add")
    found = survey(corpus_repo)
    (alone,) = [r for r in found.regions if "blank" in r.pieces]
    assert alone.pieces == ("blank",)  # no text, no direction: near nothing


def test_landscape_by_embeddings_never_reaches_the_network(corpus_repo: Path) -> None:
    """A home with nothing cached, and every proxy a closed port: the model is the one in
    the wheel, and nothing is written under the home."""
    walked(corpus_repo)
    commit_files(corpus_repo, {"agentgit.toml": 'terrain_measure = "embeddings"\n'}, "Embed")
    home = corpus_repo.parent / "empty-home"
    home.mkdir()
    dead = "http://127.0.0.1:9"
    env = {"HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"), "HF_HUB_OFFLINE": "1"}
    env |= {k: dead for k in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")}
    done = agentgit(corpus_repo, "landscape", env=env)
    assert done.returncode == 0, done.stderr
    assert "0001  exploring" in done.stdout and "0002  leaping" in done.stdout
    assert list(home.rglob("*")) == []


def test_without_the_extra_it_is_one_line_saying_how_to_install_it(corpus_repo: Path) -> None:
    three_grounds(corpus_repo)
    commit_files(corpus_repo, {"agentgit.toml": 'terrain_measure = "embeddings"\n'}, "Embed")
    # A Python where wordllama cannot be imported (None in sys.modules is how Python
    # spells "no such module"), running the real command line.
    code = (
        "import sys; sys.modules['wordllama'] = None; sys.argv = ['agentgit', 'landscape']; "
        "from agentgit.cli import main; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=corpus_repo,
        capture_output=True,
        text=True,
        env=dict(os.environ),
    )
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert "pip install 'agentgit[embeddings]'" in done.stderr


def test_a_measure_that_is_not_one_is_named() -> None:
    with pytest.raises(ValueError, match="lexical, embeddings"):
        from agentgit.core.settings import coerce

        coerce("terrain_measure", "semantic")


TEXTS = [
    "tides",
    "The moon pulls the sea. " * 300,
    "Café déjà vu — naïve façade, 1999 and 2024. 漢字かな 🌊🌊 x",
    "  two   spaces\n\nand a new paragraph\t tab ",
    "▁already ▁▁marked",
    "a <s> b </s> c <unk>d",  # the special tokens' spellings: the tokenizer's, whole
    "zqxjvwk",
    " ",
    *(f"piece {i}: " + "salt and time " * (i % 17) for i in range(150)),
]


def test_a_text_is_pooled_as_wordllama_pools_it_to_the_bit() -> None:
    """Each text's tokens are summed alone, not padded to the longest of a batch of 64,
    and the vectors are wordllama's own: short and long texts, accents, other scripts,
    blank runs, special tokens' spellings, a word the model knows nothing of, and more
    than one batch of them."""
    import numpy

    made = embedded.embed({str(i): text for i, text in enumerate(TEXTS)})
    theirs = embedded.model().embed(TEXTS, norm=True)
    assert numpy.array_equal(embedded._pooled(TEXTS), theirs)
    assert [made[str(i)] for i in range(len(TEXTS))] == theirs.round(4).tolist()


def test_a_text_is_tokenised_word_by_word_as_the_tokenizer_does_it_whole() -> None:
    """token_ids cuts the shipped tokenizer's input at runs of "▁" (it is of the shape
    that allows it) and gives the ids the tokenizer gives the whole text, asked twice
    (the second time every word is known)."""
    from tokenizers import Tokenizer

    tokenizer = embedded.model().tokenizer
    words = token_ids.Words.of(tokenizer)
    assert words is not None
    whole = Tokenizer.from_str(tokenizer.to_str())
    whole.no_padding()
    theirs = [e.ids for e in whole.encode_batch(TEXTS, add_special_tokens=False)]
    for _ in range(2):
        assert [ids.tolist() for ids in words.ids(TEXTS)] == theirs


def test_a_tokenizer_whose_merges_cross_a_word_is_not_cut() -> None:
    """A merge joining a word's end to the next word's start would make the cut change
    the ids: such a tokenizer is left whole."""
    import json

    from tokenizers import Tokenizer

    spec = json.loads(embedded.model().tokenizer.to_str())
    spec["model"]["vocab"]["s▁t"] = len(spec["model"]["vocab"])
    spec["model"]["merges"].append(["s", "▁t"])
    assert token_ids.Words.of(Tokenizer.from_str(json.dumps(spec))) is None


def test_the_terrain_keeps_the_vectors_fused_search_reads(corpus_repo: Path) -> None:
    """One embedding per blob serves both: a survey by embeddings keeps each piece's
    vector as float32 bytes under fused search's kind, and reads them back the same."""
    three_grounds(corpus_repo)
    found = survey(corpus_repo)
    repo = Repository.discover(corpus_repo)
    files = {p: b for p, b in repo.tree_files("main", "corpus/pieces").items() if p.endswith(".md")}
    index = CorpusIndex(index_path(repo.state_dir), repo.read_blobs)
    try:
        kept = index.derived(embedded.KIND, files.values())
        assert set(kept) == set(files.values())
        rows = {blob: embedded.row(data) for blob, data in kept.items()}
        assert all(r is not None and r.dtype.str == "<f4" for r in rows.values())
    finally:
        index.close()
    assert survey(corpus_repo) == found  # from the kept vectors, no cache of places lost
    shutil.rmtree(repo.state_dir / "terrain")
    assert survey(corpus_repo) == found  # placed again from the kept vectors alone


def test_a_damaged_kept_vector_is_embedded_again_by_the_terrain(corpus_repo: Path) -> None:
    """A vector in the index that is not 256 float32s (here three bytes, and one not
    base64) is embedded again and replaced: the survey neither fails nor places that
    piece as one without text."""
    three_grounds(corpus_repo)
    found = survey(corpus_repo)
    repo = Repository.discover(corpus_repo)
    files = {p: b for p, b in repo.tree_files("main", "corpus/pieces").items() if p.endswith(".md")}
    blobs = sorted(files.values())
    index = CorpusIndex(index_path(repo.state_dir), repo.read_blobs)
    try:
        kept = index.derived(embedded.KIND, blobs)
        index.store_derived(embedded.KIND, {blobs[0]: "AAAA", blobs[1]: "not base64!"})
    finally:
        index.close()
    shutil.rmtree(repo.state_dir / "terrain")
    assert survey(corpus_repo) == found
    index = CorpusIndex(index_path(repo.state_dir), repo.read_blobs)
    try:
        assert index.derived(embedded.KIND, blobs) == kept
    finally:
        index.close()
