"""The terrain (DESIGN §8): regions and positions of main's pieces, each session's
ground, the verdicts its walk deserves, circling and coverage, and the records
`agentgit landscape --json` prints."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import pytest
from conftest import agentgit, git
from grounds import (
    GROUNDS,
    WALKED_VERDICTS,
    Walks,
    one_sentence,
    piece_text,
    places_hold_under_a_new_keep,
    three_grounds,
    walked,
)
from helpers import session_run
from scripts import abandon, read

from agentgit.core.settings import DEAD_AFTER, Settings
from agentgit.corpus import formats
from agentgit.corpus.index import CorpusIndex
from agentgit.git import Repository
from agentgit.landscape import embedded, regions, terrain
from agentgit.landscape.terrain import Terrain

SETTINGS = Settings()  # dead_after 3


def survey(path: Path) -> Terrain:
    return terrain.survey(Repository.discover(path), SETTINGS)


def regions_of(found: Terrain) -> dict[str, int]:
    return {p.slug: p.region for p in found.pieces}


def verdicts(found: Terrain) -> dict[int, str]:
    return {s.session: s.verdict for s in found.sessions}


# -- regions --------------------------------------------------------------------------


def test_three_unrelated_grounds_fall_in_three_regions_named_by_their_words(
    corpus_repo: Path,
) -> None:
    three_grounds(corpus_repo)
    found = survey(corpus_repo)
    by_kind = {kind: {regions_of(found)[f"{kind}-{n}"] for n in (1, 2, 3)} for kind in GROUNDS}
    assert all(len(ids) == 1 for ids in by_kind.values()), by_kind
    assert len({next(iter(ids)) for ids in by_kind.values()}) == 3
    assert len(found.regions) == 3
    for region in found.regions:
        kind = region.pieces[0].rsplit("-", 1)[0]
        assert len(region.words) == 3
        text = " ".join([kind, *GROUNDS[kind]]).lower()  # the tag and title say it too
        assert all(word in text for word in region.words), (kind, region.words)


def test_the_walks_get_the_verdicts_they_deserve(corpus_repo: Path) -> None:
    walked(corpus_repo)
    found = survey(corpus_repo)
    assert verdicts(found) == WALKED_VERDICTS
    circling = {s.session for s in found.sessions if s.circling}
    assert circling == {4, 5, 6}
    bread = regions_of(found)["bread-1"]
    (region,) = [r for r in found.regions if r.id == bread]
    assert region.circling == (4, 5, 6)
    assert all(not r.circling for r in found.regions if r.id != bread)
    whys = {s.session: s.why for s in found.sessions}
    assert all(one_sentence(why) for why in whys.values()), whys
    assert "tides-1" in whys[1] and "tides-4" in whys[1]
    assert "compilers-4" in whys[2] and "never read" in whys[2]
    assert "had not read" in whys[3] and "had read" in whys[4]


def test_the_other_roads_to_exploring_wandering_and_leaping(corpus_repo: Path) -> None:
    """Exploring by the region read (its nearest piece unread); wandering by a keep that
    needed an overlap (nothing new); leaping with no nearest piece recorded."""
    walks = three_grounds(corpus_repo)
    survey(corpus_repo)  # placed as a session's orientation places them, before it runs
    walks.session(["tides-2"], {"tides-4": piece_text("tides", 4)}, {"tides-4": "tides-1"})
    walks.session(
        ["tides-1"],
        {"tides-5": piece_text("tides", 5)},
        {"tides-5": "tides-1"},
        overlap={"tides-5"},
    )
    walks.session(["compilers-1"], {"bread-4": piece_text("bread", 4)})
    found = survey(corpus_repo)
    assert verdicts(found) == {1: "exploring", 2: "wandering", 3: "leaping"}
    first, second, third = (s.why for s in found.sessions)
    assert "tides-4, new, in region" in first and "where it had read tides-2" in first
    assert second.startswith("it kept only tides-5 with an overlap, and 1 of the 1 pieces")
    assert "bread-4, new, in region" in third and "it had read compilers-1" in third


def test_coverage_counts_regions_touched_new_ones_and_founders(corpus_repo: Path) -> None:
    walks = walked(corpus_repo)
    walks.session([], {"lone": "---\ntitle: Lone\n---\n\nQuasars zebra ukulele marzipan.\n"})
    found = survey(corpus_repo)
    cov = {c.session: c for c in found.coverage}
    assert [cov[n].regions_touched for n in range(1, 9)] == [1, 2, 3, 3, 3, 3, 3, 4]
    assert [cov[n].new_regions for n in range(1, 9)] == [1, 1, 1, 0, 0, 0, 0, 1]
    # Three keeps joined a region; the fourth, unrelated to all, founded one.
    assert cov[7].founded_share == 0.0
    assert cov[8].founded_share == 0.3333
    assert verdicts(found)[8] == "leaping"


def test_regions_and_positions_hold_under_a_new_keep(corpus_repo: Path) -> None:
    after = places_hold_under_a_new_keep(corpus_repo, survey)
    places = {p.slug: p for p in after.pieces}
    near = math.dist(
        (places["bread-4"].x, places["bread-4"].y), (places["bread-3"].x, places["bread-3"].y)
    )
    assert near < 0.1
    assert verdicts(after)[8] == "exploring"


def test_the_regions_are_rebuilt_the_same_from_git_alone(corpus_repo: Path) -> None:
    walked(corpus_repo)
    first = survey(corpus_repo)
    shutil.rmtree(Repository.discover(corpus_repo).state_dir / "terrain")
    assert survey(corpus_repo) == first
    assert survey(corpus_repo) == first  # and again from the cache


def test_positions_lie_on_the_map_with_similar_pieces_near(corpus_repo: Path) -> None:
    walked(corpus_repo)
    found = survey(corpus_repo)
    for p in found.pieces:
        assert 0 <= p.x <= 1 and 0 <= p.y <= 1
    at = {p.slug: (p.x, p.y) for p in found.pieces}
    same = math.dist(at["tides-1"], at["tides-2"])
    other = math.dist(at["tides-1"], at["bread-1"])
    assert same < other


# -- records --------------------------------------------------------------------------


def test_records_are_json_lines_of_the_four_types(corpus_repo: Path) -> None:
    walked(corpus_repo)
    records = survey(corpus_repo).records()
    json.dumps(records)
    kinds = {r["type"] for r in records}
    assert kinds == {"piece", "region", "session", "coverage"}
    piece = next(r for r in records if r["type"] == "piece")
    assert set(piece) == {"type", "slug", "region", "x", "y"}
    region = next(r for r in records if r["type"] == "region")
    assert set(region) == {"type", "id", "words", "pieces", "circling"}
    session = next(r for r in records if r["type"] == "session")
    assert set(session) >= {"type", "session", "verdict", "why", "read", "wrote", "regions"}
    assert session["read"] == ["tides-1", "tides-2"] and session["wrote"] == ["tides-4"]
    cov = next(r for r in records if r["type"] == "coverage")
    assert set(cov) == {"type", "session", "regions_touched", "new_regions", "founded_share"}


def test_last_keeps_the_latest_sessions_only(corpus_repo: Path) -> None:
    walked(corpus_repo)
    found = survey(corpus_repo).last(2)
    assert [s.session for s in found.sessions] == [6, 7]
    assert [c.session for c in found.coverage] == [6, 7]
    assert len(found.pieces) == 11


# -- edge cases ------------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 1, 2])
def test_a_corpus_of_few_pieces_gets_a_sane_terrain(corpus_repo: Path, count: int) -> None:
    walks = Walks(corpus_repo)
    if count:
        walks.add_pieces({f"tides-{n}": piece_text("tides", n) for n in range(1, count + 1)})
    walks.session([f"tides-{n}" for n in range(1, count + 1)])
    found = survey(corpus_repo)
    assert len(found.pieces) == count
    assert len(found.regions) == min(count, 1)
    assert found.sessions[0].verdict in ("surveying", "wandering")
    assert found.records()


def test_pieces_with_almost_no_text_are_placed(corpus_repo: Path) -> None:
    walks = Walks(corpus_repo)
    walks.add_pieces({"a": "---\ntitle: A\n---\n", "b": "---\ntitle: the\n---\n\nof\n", "c": "x"})
    # No tags and no body: the header is written in flow style, {title: Tidewater}.
    walks.add_pieces({"e": formats.render_piece({"title": "Tidewater"}, "")})
    walks.session(["a", "b"], {"d": "---\ntitle: D\n---\n\nD.\n"})
    found = survey(corpus_repo)
    assert {p.slug for p in found.pieces} == {"a", "b", "c", "d", "e"}
    assert found.sessions[0].verdict in ("exploring", "leaping")
    (lone,) = [r for r in found.regions if "e" in r.pieces]
    assert lone.words == ("tidewater",)  # its title is its one passage


def test_a_session_whose_ground_is_unknown_says_so(corpus_repo: Path) -> None:
    walks = three_grounds(corpus_repo)
    walks.session(None)
    walks.session(None, {"tides-4": piece_text("tides", 4)})
    found = survey(corpus_repo)
    assert verdicts(found) == {1: "unknown", 2: "unknown"}
    assert all("no ground is recorded" in s.why for s in found.sessions)
    assert found.sessions[0].read is None
    assert found.records()[-3]["read"] is None


def test_a_session_that_read_pieces_since_removed(corpus_repo: Path) -> None:
    walks = three_grounds(corpus_repo)
    walks.session(["tides-1", "bread-1"])
    walks.session(["tides-2"])
    walks.remove(["tides-1", "tides-2", "tides-3"])  # a whole region gone
    found = survey(corpus_repo)
    assert len(found.regions) == 2
    first, second = found.sessions
    assert first.verdict == "surveying" and first.read == ("tides-1", "bread-1")
    assert second.verdict == "unknown" and "no longer on main" in second.why


# -- the command ----------------------------------------------------------------------


def test_landscape_prints_verdicts_circling_and_coverage(corpus_repo: Path) -> None:
    walked(corpus_repo)
    done = agentgit(corpus_repo, "landscape")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "11 pieces in 3 regions; 7 sessions shown" in out
    assert "0001  exploring" in out and "0002  leaping" in out
    assert "0004  wandering*" in out and "circling: 0004, 0005, 0006" in out
    assert "Coverage" in out
    last = agentgit(corpus_repo, "landscape", "-n", "1").stdout
    assert "0007  surveying" in last and "0006  wandering" not in last


def test_landscape_json_is_the_records(corpus_repo: Path) -> None:
    walked(corpus_repo)
    done = agentgit(corpus_repo, "landscape", "--json", "-n", "2")
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert records == survey(corpus_repo).last(2).records()
    assert [r["session"] for r in records if r["type"] == "session"] == [6, 7]


def test_landscape_on_a_fresh_corpus_and_outside_one(corpus_repo: Path, tmp_path: Path) -> None:
    done = agentgit(corpus_repo, "landscape", "--json")
    assert done.returncode == 0 and done.stdout == ""
    assert "0 pieces in 0 regions" in agentgit(corpus_repo, "landscape").stdout
    outside = agentgit(tmp_path, "landscape")
    assert outside.returncode != 0 and len(outside.stderr.strip().splitlines()) == 1


# -- the orientation ---------------------------------------------------------------------


def test_the_orientation_line_names_recent_stands_and_circling(corpus_repo: Path) -> None:
    walks = walked(corpus_repo)
    line = terrain.orientation_line(survey(corpus_repo))
    assert line.startswith(terrain.LINE_START) and "\n" not in line
    # It informs; it does not instruct (PROGRAM.md says what a session may make of it).
    assert not re.search(r"\b(should|must|try|leave|read more|consider|please)\b", line, re.I)
    assert "0003 surveying, 0004 wandering, 0005 wandering, 0006 wandering, 0007 surveying" in line
    assert "circled region" in line and "0004, 0005, 0006" in line
    assert len(line) <= terrain.ORIENT_CHARS
    for _ in range(5):
        walks.session(["compilers-2"], {f"c{walks.sessions}": "---\ntitle: C\n---\n\nZygote.\n"})
    assert "circled" not in terrain.orientation_line(survey(corpus_repo))
    assert terrain.orientation_line(terrain.Terrain((), (), (), ())) == ""


def test_a_session_is_oriented_by_the_terrain_and_replays(corpus_repo: Path) -> None:
    walked(corpus_repo)
    result = session_run(corpus_repo, [read("pieces/bread-1.md"), abandon("flat")])
    repo = Repository.discover(corpus_repo)
    note = repo.read_note(result.head) or ""
    first = json.loads(note)["messages"][0]["content"][0]["text"]
    assert terrain.recorded_line(first).startswith(terrain.LINE_START)
    assert "0007 surveying" in terrain.recorded_line(first)
    # The terrain has moved on since; a replay takes the line as it was recorded.
    Walks(corpus_repo, sessions=8).session(["tides-1"])
    replayed = agentgit(corpus_repo, "replay", str(result.session))
    assert replayed.returncode == 0 and "identical" in replayed.stdout, replayed.stdout
    assert verdicts(survey(corpus_repo))[8] == "wandering"  # bread, read by 0004-0006


def test_the_default_program_says_what_circling_means() -> None:
    program = (Path(__file__).resolve().parents[2] / "corpus" / "PROGRAM.md").read_text("utf-8")
    part = program.split("## Where the sessions stood", 1)[1].split("\n## ", 1)[0]
    part = " ".join(part.split())  # as read, whatever the line breaks
    for word in ("explores", "leaps", "surveys", "wanders", "circling", "exhausted"):
        assert word in part
    assert "leave the mapped ground" in part and "judges nothing" in part
    assert "shared words" not in part  # regions may be by embeddings (terrain_measure)


def test_the_readme_says_the_verdicts_in_words_with_their_limits() -> None:
    """The README's part on the terrain: each verdict in words, what a region is, that it
    is lexical by default, and that it is a retrospect that judges nothing."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    part = readme.split("## Exploring or wandering", 1)[1].split("\n## ", 1)[0]
    part = " ".join(part.split())
    for verdict in terrain.VERDICTS:
        assert f"`{verdict}`" in part, verdict
    assert "regions of pieces that share telling words" in part
    assert "It is lexical (shared words, not meaning)" in part and "circling" in part
    assert "retrospect" in part and "judges nothing" in part
    assert "docs/terrain.md" in part


def _reads(*paths: str) -> list[dict[str, object]]:
    """A transcript's messages: one `read` of each path, each answered."""
    uses = [
        {"type": "tool_use", "id": f"r{i}", "name": "read", "input": {"path": p}}
        for i, p in enumerate(paths)
    ]
    results = [
        {"type": "tool_result", "tool_use_id": f"r{i}", "content": "…"} for i in range(len(paths))
    ]
    return [
        {"role": "user", "content": "Begin."},
        {"role": "assistant", "content": uses},
        {"role": "user", "content": results},
    ]


def test_an_older_session_stands_where_its_transcript_says(corpus_repo: Path) -> None:
    walks = three_grounds(corpus_repo)
    walks.session(None, transcript=_reads("pieces/bread-1.md", "corpus/pieces/bread-2.md"))
    walks.session(None, transcript=_reads("pieces/bread-3.md"))
    walks.session(None)  # no note, no ground: unknown
    found = survey(corpus_repo)
    first, second, third = found.sessions
    assert first.read == ("bread-1", "bread-2") and first.verdict == "surveying"
    assert second.read == ("bread-3",) and second.verdict == "wandering"
    assert third.read is None and third.verdict == "unknown"
    assert survey(corpus_repo) == found  # and from the cache


def test_a_region_whose_pieces_were_all_revised_into_other_words(corpus_repo: Path) -> None:
    walks = three_grounds(corpus_repo)
    before = survey(corpus_repo)
    tides = regions_of(before)["tides-1"]
    walks.add_pieces({f"tides-{n}": piece_text("compilers", 10 + n) for n in (1, 2, 3)})
    after = survey(corpus_repo)
    assert regions_of(after) == regions_of(before)  # a revision keeps its region and place
    (region,) = [r for r in after.regions if r.id == tides]
    assert "tides" not in region.words  # named by what its pieces now say
    assert [p for p in after.pieces] == [p for p in before.pieces]


def test_a_line_recorded_before_the_embeddings_measure_is_read_for_a_replay() -> None:
    older = "Terrain (a retrospect, lexical): the last sessions were 0001 wandering."
    assert terrain.recorded_line(f"## Recent sessions\n{older}\n## Pieces") == older
    assert terrain.recorded_line("Terrain: something else") == ""


# -- what is kept, and where -------------------------------------------------------------


def _refs_and_objects(path: Path) -> tuple[str, str]:
    return git(path, "for-each-ref"), git(path, "count-objects", "-v")


def test_the_terrain_is_a_cache_under_git_agentgit_and_no_verdict_is_stored(
    corpus_repo: Path,
) -> None:
    """Derived, never stored: the commands write no ref, object or file of the work tree,
    and what they keep under .git/agentgit/ (places, regions' words, ground) holds no
    verdict. Deleted whole, index and all, it is built again from git objects alone."""
    walked(corpus_repo)
    before = _refs_and_objects(corpus_repo)
    shown = agentgit(corpus_repo, "landscape", "--json")
    assert shown.returncode == 0, shown.stderr
    assert agentgit(corpus_repo, "map", "-o", "-").returncode == 0
    assert _refs_and_objects(corpus_repo) == before
    assert git(corpus_repo, "status", "--porcelain", "--ignored") == ""
    state = Repository.discover(corpus_repo).state_dir
    assert state == corpus_repo / ".git" / "agentgit"
    kept = sorted(p.name for p in (state / "terrain").rglob("*"))
    assert kept == ["entries.json", "regions.json"]
    whys = [json.loads(line)["why"] for line in shown.stdout.splitlines() if '"why"' in line]
    for name in kept:
        text = (state / "terrain" / name).read_text("utf-8")
        assert not any(v in text for v in terrain.VERDICTS) and not any(w in text for w in whys)
    shutil.rmtree(state)
    again = agentgit(corpus_repo, "landscape", "--json")
    assert again.stdout == shown.stdout


def test_a_new_keep_places_only_the_new_piece(corpus_repo: Path) -> None:
    """Incremental: the places kept under .git/agentgit/ are read, not worked out again.
    An earlier piece's place, moved by hand in the cache, stays where the cache says
    after a keep; the survey that follows has one new piece to place, within a bound
    of one."""
    walks = walked(corpus_repo)
    repo = Repository.discover(corpus_repo)
    survey(corpus_repo)
    cache = regions.cache_path(repo.state_dir)
    data = json.loads(cache.read_text("utf-8"))
    data["pieces"]["tides-1"][2:] = [0.9, 0.1]
    cache.write_text(json.dumps(data), "utf-8")
    walks.session(["bread-3"], {"bread-4": piece_text("bread", 4)}, {"bread-4": "bread-3"})
    after = terrain.survey(repo, SETTINGS, most_new=1)
    places = {p.slug: p for p in after.pieces}
    assert (places["tides-1"].x, places["tides-1"].y) == (0.9, 0.1)
    assert places["bread-4"].region == places["bread-3"].region


@pytest.mark.parametrize(("dead_after", "circling"), [(3, [4, 5, 6]), (4, [])])
def test_circling_is_dead_after_wandering_sessions_as_agentgit_toml_sets_it(
    corpus_repo: Path, dead_after: int, circling: list[int]
) -> None:
    """The walks' three wandering sessions in the bread circle it when `dead_after` is
    3, and do not when it is 4: the setting is read, not assumed."""
    walked(corpus_repo)
    (corpus_repo / "agentgit.toml").write_text(f"dead_after = {dead_after}\n", "utf-8")
    git(corpus_repo, "add", "agentgit.toml")
    git(corpus_repo, "commit", "-q", "--no-verify", "-m", "dead_after")
    done = agentgit(corpus_repo, "landscape", "--json")
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["session"] for r in records if r.get("circling") is True] == circling
    assert [r["circling"] for r in records if r["type"] == "region" and r["circling"]] == (
        [circling] if circling else []
    )
    shown = agentgit(corpus_repo, "landscape").stdout
    assert f"circling means {dead_after} wandering in a row in one region" in shown


def test_the_thresholds_docs_terrain_states_are_the_codes() -> None:
    """docs/terrain.md is where a reader who disagrees with a verdict looks up why: its
    numbers are the code's."""
    page = (Path(__file__).resolve().parents[2] / "docs" / "terrain.md").read_text("utf-8")
    prose = " ".join(page.split())
    words = {3: "three", 5: "five"}
    for stated in (
        f"{regions.SIGNATURE} heaviest words",
        f"at least **{regions.JOIN}** alike: of its {words[regions.NEIGHBOURS]} nearest",
        f"named by the {words[regions.WORDS]} words",
        f"at least **{regions.NEAR}** alike",
        f"joins at **{embedded.JOIN}**",
        f"a founder at least {embedded.NEAR} alike",
        f"(default {DEAD_AFTER})",
        f"({terrain.ORIENT_CHARS} characters at most)",
        f"the last {words[terrain.ORIENT_SESSIONS]} sessions",
        f"places at most {terrain.ORIENT_MOST_NEW} new pieces",
    ):
        assert stated in prose, stated
    assert terrain.MOSTLY == 0.5 and "at least half of the pieces it read" in prose


@pytest.mark.parametrize("damage", ["alpha beta\t0.5", "alpha\tnot-a-number", "alpha", "a\tnan"])
def test_a_damaged_kept_signature_is_made_again_and_replaced(
    corpus_repo: Path, damage: str
) -> None:
    """A signature in the index that `stored` never writes (fewer weights than words,
    a weight that is no number or none finite, no tab) is made again and stored over
    it: the survey neither fails nor reads it as that piece's words."""
    three_grounds(corpus_repo)
    found = survey(corpus_repo)
    repo = Repository.discover(corpus_repo)
    files = {p: b for p, b in repo.tree_files("main", "corpus/pieces").items() if p.endswith(".md")}
    blobs = sorted(files.values())
    kind = f"terrain-{regions.Lexical.name}/{regions.STORED}"
    index = CorpusIndex.of(repo)
    try:
        kept = index.derived(kind, blobs)
        assert set(kept) == set(blobs)
        index.store_derived(kind, {blobs[0]: damage})
    finally:
        index.close()
    shutil.rmtree(repo.state_dir / "terrain")
    assert survey(corpus_repo) == found
    index = CorpusIndex.of(repo)
    try:
        assert index.derived(kind, blobs) == kept
    finally:
        index.close()
