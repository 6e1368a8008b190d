#!/usr/bin/env python3
"""Does fusing BM25 with embeddings find more? (issue 20) Recall and latency of `search`.

    python bench/search_bench.py [--large DIR] [--out FILE]

The queries are bench/retrieval_set.py's: for each of its 36 pieces a paraphrase (its
claim in other words) and a keyword query (its three rarest words); the one relevant
answer is the piece. Each query goes through the `search` tool of a session started
by `agentgit.lifecycle.start`, as a model calls it, once with ``search = "bm25"`` and
once with ``search = "fused"``; a file's rank is where its first passage appears in
what the tool returned (limit 10). "vectors" is the embedding ranking alone, for
reference (fused reads it; no setting gives it).

Two corpora: the 36 pieces alone, and (with --large, a repository made by
bench/gen_corpus.py, copied first) the same 36 committed on top of its 10,000 pieces
and 5,000 log entries, whose text of real and invented words is the noise they must be
found in. Latency per call is the median over the queries; the first call of a
session is given apart: it reads every file's vector from the index, or embeds them
when none is kept (a corpus never surveyed by embeddings nor searched fused).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from retrieval_set import PIECES, keyword_queries, paraphrase_queries, shared_words  # noqa: E402

LIMIT = 10
ENV = {
    "GIT_AUTHOR_NAME": "agentgit bench",
    "GIT_AUTHOR_EMAIL": "bench@agentgit.invalid",
    "GIT_COMMITTER_NAME": "agentgit bench",
    "GIT_COMMITTER_EMAIL": "bench@agentgit.invalid",
}
_HIT = re.compile(r"^(\S+\.md):\d+ \(score -?[\d.]+\)$", re.M)


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, env={**os.environ, **ENV})


def add_pieces(repo: Path) -> None:
    """The set's pieces, committed on main as agentgit writes pieces."""
    from agentgit.corpus import formats

    for piece in PIECES:
        meta = {"title": piece.title, "summary": piece.summary, "created": "2026-01-02"}
        text = formats.render_piece(meta, "\n\n".join(piece.body) + "\n")
        (repo / "corpus" / "pieces" / f"{piece.slug}.md").write_text(text, "utf-8")
    git(repo, "add", "corpus/pieces")
    git(repo, "commit", "-q", "--no-verify", "-m", "Add the retrieval set's pieces")


def small_repo(where: Path) -> Path:
    from agentgit.corpus.skeleton import init

    repo = where / "retrieval"
    init(repo)
    add_pieces(repo)
    return repo


def ranks(text: str) -> list[str]:
    """The slugs of the pieces in the tool's answer, in order of their first passage."""
    found = [m.group(1) for m in _HIT.finditer(text)]
    slugs = [
        p.removeprefix("pieces/").removesuffix(".md") for p in found if p.startswith("pieces/")
    ]
    return list(dict.fromkeys(slugs))


def scores(ranked: list[list[str]], answers: list[str]) -> dict[str, float]:
    """recall@1, @3, @10 and MRR (the reciprocal of the answer's rank, 0 past 10)."""
    at = [r.index(a) + 1 if a in r else None for r, a in zip(ranked, answers, strict=True)]
    n = len(answers)
    out = {f"recall@{k}": sum(1 for x in at if x and x <= k) / n for k in (1, 3, 10)}
    out["mrr"] = sum(1 / x for x in at if x) / n
    return {k: round(v, 3) for k, v in out.items()}


def measure(repo: Path, mode: str) -> dict[str, Any]:
    """Every query through one session's search tool, with ``search = mode``."""
    from agentgit import lifecycle
    from agentgit.agent.tools import Toolbox
    from agentgit.core.settings import Settings
    from agentgit.git import Repository

    settings = Settings(model="scripted", search=mode)
    handle = Repository.discover(repo)
    session = lifecycle.start(handle, settings, topic=f"search {mode}", model_name="scripted")
    try:
        box = Toolbox.for_settings(session, settings)
        out: dict[str, Any] = {"mode": mode}
        times: list[float] = []
        for kind, queries in (("paraphrase", paraphrase_queries()), ("keyword", keyword_queries())):
            ranked = []
            for turn, (query, _) in enumerate(queries, len(times) + 1):
                box.turn = turn
                start = time.perf_counter()
                result = box.call("search", {"query": query, "limit": LIMIT}, "Bench.", f"b{turn}")
                times.append(time.perf_counter() - start)
                if result.is_error:
                    raise SystemExit(f"search failed: {result.text[:300]}")
                ranked.append(ranks(result.text))
            out[kind] = scores(ranked, [slug for _, slug in queries])
            out[f"{kind}_missed"] = [
                slug for r, (_, slug) in zip(ranked, queries, strict=True) if slug not in r[:LIMIT]
            ]
        out["first_call_s"] = round(times[0], 3)
        out["per_call_ms"] = round(statistics.median(times[1:]) * 1000, 1)
        if mode == "fused":
            out["vectors"] = vectors_alone(box)
        return out
    finally:
        lifecycle.abandon(handle, session.session, f"benchmark: search {mode}", settings)


def vectors_alone(box: Any) -> dict[str, Any]:
    """The embedding ranking of the session's files alone (what fused reads)."""
    import numpy

    from agentgit.landscape import embedded

    engine = box._fused
    paths, rows = engine._rows(box.workspace.search_files(), box._view().read_many)
    out = {}
    for kind, queries in (("paraphrase", paraphrase_queries()), ("keyword", keyword_queries())):
        ranked = []
        for query, _ in queries:
            target = numpy.asarray(embedded.embed({"q": query})["q"], numpy.float32)
            near = (rows @ target).tolist()
            order = sorted(range(len(paths)), key=lambda i: (-near[i], paths[i]))
            top = [paths[i] for i in order if paths[i].startswith("pieces/")][:LIMIT]
            ranked.append([p.removeprefix("pieces/").removesuffix(".md") for p in top])
        out[kind] = scores(ranked, [slug for _, slug in queries])
    return out


def large_repo(source: Path, where: Path) -> Path:
    repo = where / "large"
    subprocess.run(["cp", "-a", str(source), str(repo)], check=True)
    add_pieces(repo)
    return repo


def drop_vectors(repo: Path) -> None:
    """Forget every kept vector, so the next session's first search embeds them all."""
    import sqlite3

    from agentgit.corpus.index import index_path
    from agentgit.git import Repository

    path = index_path(Repository.discover(repo).state_dir)
    if path.exists():
        with sqlite3.connect(path) as db:
            db.execute("DELETE FROM derived WHERE kind LIKE '%wordllama%'")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--large", type=Path, help="a bench/gen_corpus.py repository")
    parser.add_argument("--out", type=Path, default=Path("bench/out/search.json"))
    args = parser.parse_args(argv)
    overlap = [len(shared_words(p)) for p in PIECES]
    results: dict[str, Any] = {
        "paraphrases_sharing_no_word": sum(1 for n in overlap if n == 0),
        "shared_words_median": statistics.median(overlap),
    }
    with tempfile.TemporaryDirectory(dir="/dev/shm" if Path("/dev/shm").is_dir() else None) as tmp:
        repo = small_repo(Path(tmp))
        results["small"] = [measure(repo, "bm25"), measure(repo, "fused")]
        if args.large:
            big = large_repo(args.large, Path(tmp))
            drop_vectors(big)
            cold = [measure(big, "bm25"), measure(big, "fused")]
            warm = measure(big, "fused")  # the vectors are kept in the index now
            cold[1]["first_call_kept_vectors_s"] = warm["first_call_s"]
            results["large"] = cold
            shutil.rmtree(big)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    print(table(results))


def table(results: dict[str, Any]) -> str:
    lines = [
        f"{results['paraphrases_sharing_no_word']} of {len(PIECES)} paraphrases share no word "
        f"with their piece; median shared: {results['shared_words_median']}",
        "",
        "| corpus | search | queries | recall@1 | recall@3 | recall@10 | MRR |",
        "|---|---|---|---|---|---|---|",
    ]
    for corpus in ("small", "large"):
        for row in results.get(corpus, []):
            names = [(row["mode"], row)]
            if "vectors" in row:
                names.append(("vectors alone", row["vectors"]))
            for name, figures in names:
                for kind in ("paraphrase", "keyword"):
                    f = figures[kind]
                    lines.append(
                        f"| {corpus} | {name} | {kind} | {f['recall@1']} | {f['recall@3']} | "
                        f"{f['recall@10']} | {f['mrr']} |"
                    )
    lines += ["", "| corpus | search | first call (s) | per call (ms) |", "|---|---|---|---|"]
    for corpus in ("small", "large"):
        for row in results.get(corpus, []):
            first = f"{row['first_call_s']}"
            if "first_call_kept_vectors_s" in row:
                first += f" (vectors kept: {row['first_call_kept_vectors_s']})"
            lines.append(f"| {corpus} | {row['mode']} | {first} | {row['per_call_ms']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
