"""The relevance floors (``SearchPlan.dense_floor`` / ``sparse_floor``), run against every adapter.

A leg keeps only candidates scoring at least its floor (Qdrant's ``score_threshold``), so a search lists
what is close in meaning or matches the query's words well enough, and nothing when nothing is: never
more than the ACL filter lets through. A short answer under a floor is normal; the graph is probed
before an exact re-run (``hybrid.graph_probe``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ragwarden.acl.decision import is_allowed
from ragwarden.core.models import AccessScope, SearchHit
from ragwarden.core.ports import VectorIndex
from ragwarden.core.settings import load_settings
from ragwarden.retrieval.hybrid import SearchPlan, graph_probe, plan_legs, unique_word_idf
from ragwarden.retrieval.sparse import Bm25Encoder, SparseVec
from ragwarden.testing.contracts.vector_index_data import BOB, CORPUS, DIM, EMBEDDER, HR, MODES, RND, make_chunk

from .conftest import ADAPTERS

FLOORED = SearchPlan(dense_floor=0.5)


def open_index(kind: str, tmp_path: Path, plan: SearchPlan) -> Any:
    if kind == "edge":
        from ragwarden.retrieval.edge_index import QdrantEdgeIndex
        from ragwarden.retrieval.index_tuning import EdgeTuning

        # One search under the whole filter, as the engine plans it: the graph-or-exact retry below is what
        # runs then (with the filter cut by token, a corpus this small is scanned exactly from the start).
        return QdrantEdgeIndex(tmp_path / "idx", plan=plan, tuning=EdgeTuning(split_filters=False))
    from qdrant_client import QdrantClient

    from ragwarden.retrieval.qdrant_index import QdrantServerIndex

    client = QdrantClient(path=str(tmp_path / "local")) if kind.endswith("disk") else QdrantClient(":memory:")
    return QdrantServerIndex(client, plan=plan)


@pytest.fixture(params=ADAPTERS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make(kind: str, tmp_path: Path) -> Iterator[Any]:
    """Opens an index of this adapter with the given plan over the contract corpus."""
    opened: list[VectorIndex] = []

    def _make(plan: SearchPlan, chunks: list[Any] = CORPUS) -> VectorIndex:
        index = open_index(kind, tmp_path / str(len(opened)), plan)
        index.ensure_collection(DIM)
        index.upsert(chunks)
        opened.append(index)
        return index  # type: ignore[no-any-return]

    yield _make
    for index in opened:
        index.close()


def search(index: VectorIndex, scope: AccessScope, text: str, mode: str = "hybrid", limit: int = 10) -> list[SearchHit]:
    return index.search(scope, EMBEDDER.embed_batch([text])[0], text, limit, mode)  # type: ignore[arg-type]


def docs(hits: list[SearchHit]) -> list[str]:
    return [hit.doc_id for hit in hits]


# -- what a floor keeps and drops ---------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["hybrid", "dense"])
def test_the_dense_floor_drops_an_unrelated_document_and_keeps_the_relevant_ones(make: Any, mode: str) -> None:
    """'salary' shares no word with any chunk: without a floor every visible chunk fills the list."""
    assert set(docs(search(make(SearchPlan()), HR, "salary", mode))) == {
        "hr-payroll", "all-vacation", "it-window", "hr-secret", "share-hr",
    }  # fmt: skip
    found = docs(search(make(FLOORED), HR, "salary", mode))
    assert set(found) == {"hr-payroll", "hr-secret", "share-hr"}  # the payroll concept; not vacation, server


def raw_bm25(tmp_path: Path, chunks: list[Any], scope: AccessScope, text: str) -> dict[str, float]:
    """Each document's raw BM25 score for ``text`` (its better language), read from Edge's legs: a
    search in sparse mode fuses the two languages' legs by rank. Both adapters score alike."""
    from ragwarden.retrieval.edge_index import QdrantEdgeIndex

    edge = QdrantEdgeIndex(tmp_path / "raw")
    try:
        edge.ensure_collection(DIM)
        edge.upsert(chunks)
        best: dict[str, float] = {}
        for name, hits in edge.leg_scores(scope, EMBEDDER.embed_batch([text])[0], text, 50).items():
            for hit in hits if name != "dense" else []:
                best[hit.doc_id] = max(best.get(hit.doc_id, hit.score), hit.score)
        return best
    finally:
        edge.close()


WORDS = [
    make_chunk("both", "Gehaltsabrechnungen und Urlaub im Überblick.", ["everyone"]),
    make_chunk("one", "Urlaub am Meer, Urlaub in den Bergen.", ["everyone"]),
    make_chunk("none", "Die Wartung der Server.", ["everyone"]),
]


def test_the_sparse_floor_is_a_least_bm25_score(make: Any, tmp_path: Path) -> None:
    """The chunk matching both query words stays, the one matching one drops: the floor lies between.
    Its unit is the IDF of a word one of the caller's 3 chunks holds."""
    text = "Gehaltsabrechnung Urlaub"
    scores = raw_bm25(tmp_path, WORDS, RND, text)
    assert set(scores) == {"both", "one"} and scores["both"] > scores["one"] > 0
    assert set(docs(search(make(SearchPlan(), WORDS), RND, text, "sparse"))) == {"both", "one"}
    unit = unique_word_idf(3)
    between = (scores["both"] + scores["one"]) / 2 / unit
    assert docs(search(make(SearchPlan(sparse_floor=between), WORDS), RND, text, "sparse")) == ["both"]
    above = (scores["both"] + 0.01) / unit
    assert search(make(SearchPlan(sparse_floor=above), WORDS), RND, text, "sparse") == []


def test_a_where_filter_that_narrows_the_corpus_keeps_what_it_listed(make: Any) -> None:
    """IDF is computed over the caller's corpus narrowed by ``where``: 30 chunks of another source make
    every BM25 score higher without the filter. The floor scales with that corpus, so the filter that
    selects the chunk's own source still lists it (a fixed score would cut it)."""
    from ragwarden.core.models import SearchFilter

    own = [make_chunk("both", "Gehaltsabrechnungen und Urlaub.", ["everyone"], metadata={"source": "a"})]
    other = [make_chunk(f"b{i}", f"Wartung Server {i}", ["everyone"], metadata={"source": "b"}) for i in range(30)]
    index = make(SearchPlan(sparse_floor=0.5), own + other)
    vector = EMBEDDER.embed_batch(["Gehaltsabrechnung Urlaub"])[0]
    assert docs(index.search(RND, vector, "Gehaltsabrechnung Urlaub", 10, "sparse")) == ["both"]
    only_a = SearchFilter(sources=frozenset({"a"}))
    assert docs(index.search(RND, vector, "Gehaltsabrechnung Urlaub", 10, "sparse", where=only_a)) == ["both"]
    assert index.visible_points(RND, only_a) == 1 and index.visible_points(RND) == 31


def test_a_query_with_nothing_relevant_returns_nothing(make: Any) -> None:
    """'prototype' means and says nothing that hanna may see (the laboratory chunk is R&D's)."""
    plan = SearchPlan(dense_floor=0.5, sparse_floor=0.1)
    assert len(search(make(SearchPlan()), HR, "prototype")) == 5  # without a floor: a full list of noise
    index = make(plan)
    for mode in MODES:
        assert search(index, HR, "prototype", mode) == [], mode
    assert docs(search(index, RND, "prototype")) == ["rnd-lab"]  # who may see it finds it


# -- the floors never widen the ACL filter --------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_a_floor_never_returns_a_document_the_acl_filter_excludes(make: Any, mode: str) -> None:
    """The hidden chunks are the best matches there are; the floor keeps only visible ones."""
    index = make(SearchPlan(dense_floor=0.3, sparse_floor=0.1))
    for scope, hidden in ((BOB, {"hr-secret", "rnd-lab", "fin-billing"}), (RND, {"hr-payroll", "hr-secret"})):
        for text in ("Gehaltsabrechnungen der Vorstände", "prototype laboratory", "Invoices approved", "salary"):
            hits = search(index, scope, text, mode, limit=50)
            assert all(is_allowed(hit.acl, scope) for hit in hits), (scope.principal, text)
            assert not set(docs(hits)) & hidden, (scope.principal, text)


def test_a_floor_keeps_the_caller_filter_on_every_leg(make: Any) -> None:
    """Bob is denied the board's payroll chunk: with the floor, what he sees is what he saw without it
    and scores above the floor, never more."""
    plain, floored = make(SearchPlan()), make(SearchPlan(dense_floor=0.5, sparse_floor=0.1))
    for mode in MODES:
        before = {h.doc_id: h for h in search(plain, BOB, "Gehaltsabrechnungen salary", mode, limit=50)}
        after = docs(search(floored, BOB, "Gehaltsabrechnungen salary", mode, limit=50))
        assert set(after) <= set(before) and "hr-secret" not in after and "hr-payroll" in after, mode


# -- a short answer under a floor: probe the graph before an exact re-run ------------------------------------


class Spy:
    """Stands in for the engine handle and records each query: 'graph', 'probe' (ids only, no floor)
    or 'exact' (single-leg requests only, as in the tests below)."""

    def __init__(self, inner: Any, calls: list[str]) -> None:
        self._inner, self._calls = inner, calls

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name not in ("query", "query_points"):
            return attr

        def recorded(*args: Any, **kwargs: Any) -> Any:
            if name == "query":  # Edge: one QueryRequest
                payload, params, floor = args[0].with_payload, args[0].params, args[0].score_threshold
            else:  # qdrant-client: keyword arguments
                payload, params = kwargs.get("with_payload"), kwargs.get("search_params")
                floor = kwargs.get("score_threshold")
            if payload is False:
                assert floor is None
                self._calls.append("probe")
            else:
                self._calls.append("exact" if params is not None and params.exact else "graph")
            return attr(*args, **kwargs)

        return recorded


def _spied(index: Any, kind: str) -> list[str]:
    calls: list[str] = []
    attr = "_shard" if kind == "edge" else "_client"
    setattr(index, attr, Spy(getattr(index, attr), calls))
    return calls


MANY = [make_chunk(f"pay-{i}", f"Gehalt Abschnitt {i}", ["everyone"]) for i in range(30)]


def test_a_short_floored_answer_is_probed_and_not_rerun_when_the_graph_is_sound(make: Any, kind: str) -> None:
    """31 visible chunks, 30 about pay: 'salary' fills 20 places above the floor; 'Server maintenance'
    finds one, and the probe (unfloored) reaches 20 of the caller's points: the short answer stands
    without an exact scan."""
    chunks = MANY + [make_chunk("noise", "Server", ["everyone"])]
    index = make(SearchPlan(dense_floor=0.5), chunks)
    calls = _spied(index, kind)
    hits = search(index, RND, "salary", "dense", limit=20)
    assert len(hits) == 20 and "noise" not in docs(hits) and calls == ["graph"]  # full: nothing more
    calls.clear()
    hits = search(index, RND, "Server maintenance", "dense", limit=20)
    assert docs(hits) == ["noise"]  # cut short by the floor
    assert calls == ["graph", "probe"]  # the graph reached 20 of the caller's points: the answer stands


def test_a_short_floored_answer_is_rerun_exactly_when_the_probe_comes_back_short(make: Any, kind: str) -> None:
    """The caller sees fewer points than the leg asked for: the probe is short, the exact re-run keeps
    the floor."""
    index = make(SearchPlan(dense_floor=0.5))
    calls = _spied(index, kind)
    hits = search(index, HR, "salary", "dense", limit=20)
    assert set(docs(hits)) == {"hr-payroll", "hr-secret", "share-hr"}
    assert calls == ["graph", "probe", "exact"]


def test_without_a_dense_floor_a_short_graph_answer_is_rerun_exactly_at_once(make: Any, kind: str) -> None:
    index = make(SearchPlan(sparse_floor=0.1))
    calls = _spied(index, kind)
    search(index, HR, "salary", "dense", limit=20)
    assert calls == ["graph", "exact"]


def test_graph_probe_asks_the_dense_leg_for_what_the_query_asked_of_it() -> None:
    sparse = {"bm25_de": SparseVec((1,), (1.0,))}
    hybrid, dense_only = plan_legs("hybrid", [0.1], sparse, 1), plan_legs("dense", [0.1], {}, 1)
    sparse_only = plan_legs("sparse", [], sparse, 1)
    assert graph_probe(SearchPlan(), hybrid, 10) is None  # no floor: the short answer tells
    assert graph_probe(SearchPlan(dense_floor=0.4), hybrid, 10) == (hybrid[0], 40)  # the prefetch depth
    assert graph_probe(SearchPlan(dense_floor=0.4), dense_only, 10) == (dense_only[0], 10)
    assert graph_probe(SearchPlan(dense_floor=0.4), sparse_only, 10) is None


def test_the_bm25_leg_of_a_one_word_query_has_no_floor() -> None:
    """Each of its candidates holds the whole query; the floor cuts partial matches of longer ones."""
    plan = SearchPlan(dense_floor=0.4, sparse_floor=3.0)
    one, two = Bm25Encoder().query("Gehalt"), Bm25Encoder().query("Gehalt Urlaub")
    assert [plan.floor(leg, 100) for leg in plan_legs("hybrid", [0.1], one, 1)] == [0.4, None, None]
    expected = 3.0 * math.log(1 + 99.5 / 1.5)  # Qdrant's IDF of a word 1 of 100 chunks hold
    assert [plan.floor(leg, 100) for leg in plan_legs("hybrid", [0.1], two, 1)] == [0.4, expected, expected]
    assert not any(SearchPlan(dense_floor=0.4).floors_bm25(leg) for leg in plan_legs("hybrid", [0.1], two, 1))


def test_a_one_word_query_keeps_every_chunk_that_holds_the_word(make: Any) -> None:
    """However high the BM25 floor: a one-word search lists what contains the word."""
    index = make(SearchPlan(dense_floor=0.99, sparse_floor=1000.0), WORDS)
    assert set(docs(search(index, RND, "Urlaub", "sparse"))) == {"both", "one"}
    assert search(index, RND, "Gehaltsabrechnung Urlaub", "sparse") == []


# -- settings -----------------------------------------------------------------------------------------


def test_the_floors_are_settings_and_none_switches_one_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from ragwarden.core import settings as s
    from ragwarden.services import build_index

    defaults = load_settings(data_dir=tmp_path)
    assert (defaults.search_dense_floor, defaults.search_sparse_floor) == (s.DENSE_FLOOR, s.SPARSE_FLOOR)
    monkeypatch.setenv("RAGWARDEN_SEARCH_DENSE_FLOOR", "none")
    monkeypatch.setenv("RAGWARDEN_SEARCH_SPARSE_FLOOR", "2.5")
    configured = load_settings(data_dir=tmp_path)
    assert (configured.search_dense_floor, configured.search_sparse_floor) == (None, 2.5)
    index = build_index(configured)
    try:
        assert (index._plan.dense_floor, index._plan.sparse_floor) == (None, 2.5)  # type: ignore[attr-defined]
    finally:
        index.close()
    monkeypatch.setenv("RAGWARDEN_SEARCH_DENSE_FLOOR", "1.5")
    from ragwarden.core.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        load_settings(data_dir=tmp_path)


# -- the demo corpus, with the shipped embedder and the calibrated floors ------------------------------

SALARY = re.compile(r"geh[aä]lt|salar|lohn|entgelt", re.IGNORECASE)


def test_gehalt_as_customer_service_lists_only_documents_about_salaries(demo: Any) -> None:
    """Without the floors, 'Gehalt' as gesa filled ten places with the canteen menu and the town hall."""
    from ragwarden.retrieval.documents import search_documents

    retriever = demo.services.retriever
    gesa = demo.services.directory.resolve("gesa")
    results = search_documents(retriever, gesa, "Gehalt", 10)
    assert results and len(results) < 10
    assert "all-staff/intern/benefits_uebersicht.html" in [r.path for r in results]
    for result in results:
        text = " ".join(chunk.text for chunk in retriever.document(gesa, result.doc_id))
        assert SALARY.search(text), result.path
