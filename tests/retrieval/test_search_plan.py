"""The shared query plan: which legs a search runs, when a graph search is re-run exactly."""

from __future__ import annotations

import pytest

from ragwarden.core.errors import AccessControlError, ConfigurationError, InvalidRequestError, MissingScopeError
from ragwarden.core.models import AccessScope
from ragwarden.retrieval import filters
from ragwarden.retrieval.hybrid import SearchPlan, needs_exact_retry, plan_legs, should_query
from ragwarden.retrieval.sparse import Bm25Encoder, SparseVec

SCOPE = AccessScope("a", frozenset({"user:a"}))
SPARSE = {"bm25_de": SparseVec((1,), (1.0,)), "bm25_en": SparseVec((), ())}


def test_hybrid_runs_dense_and_every_non_empty_bm25_leg() -> None:
    legs = plan_legs("hybrid", [0.1, 0.2], SPARSE, 2)
    assert [leg.using for leg in legs] == ["dense", "bm25_de"]
    assert [leg.using for leg in plan_legs("dense", [0.1, 0.2], SPARSE, 2)] == ["dense"]
    assert [leg.using for leg in plan_legs("sparse", [], SPARSE, 2)] == ["bm25_de"]


def test_a_query_vector_of_the_wrong_dimension_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        plan_legs("dense", [0.1, 0.2, 0.3], {}, 2)


def test_a_short_graph_answer_is_rerun_exactly_but_bm25_answers_are_not() -> None:
    """Filtered HNSW can fall apart; BM25 (an inverted index) is exact already."""
    hybrid = plan_legs("hybrid", [0.1], SPARSE, 1)
    sparse = plan_legs("sparse", [], SPARSE, 1)
    assert needs_exact_retry(hybrid, hits=3, limit=10, exact=False)
    assert not needs_exact_retry(hybrid, hits=10, limit=10, exact=False)
    assert not needs_exact_retry(hybrid, hits=3, limit=10, exact=True)
    assert not needs_exact_retry(sparse, hits=3, limit=10, exact=False)


def test_empty_scope_means_no_query_and_bad_arguments_are_refused() -> None:
    plan = SearchPlan()
    assert should_query(SCOPE, 10, "hybrid", plan)
    assert not should_query(AccessScope("nobody", frozenset()), 10, "hybrid", plan)
    with pytest.raises(InvalidRequestError):
        should_query(SCOPE, 0, "hybrid", plan)
    with pytest.raises(MissingScopeError):  # one error for a missing scope, in every layer
        should_query(None, 10, "hybrid", plan)  # type: ignore[arg-type]


def test_no_filter_can_be_built_for_an_empty_scope() -> None:
    with pytest.raises(AccessControlError):
        filters.edge_acl_filter(AccessScope("nobody", frozenset()))
    with pytest.raises(AccessControlError):
        filters.client_acl_filter(AccessScope("nobody", frozenset()))


def test_german_and_english_word_forms_meet_in_their_language_vector() -> None:
    encoder = Bm25Encoder()
    doc, query = encoder.document("Die Gehaltsabrechnungen"), encoder.query("Gehaltsabrechnung")
    assert set(query["bm25_de"].indices) <= set(doc["bm25_de"].indices)
    doc, query = encoder.document("approved invoices"), encoder.query("invoice")
    assert set(query["bm25_en"].indices) <= set(doc["bm25_en"].indices)
    assert encoder.query("der die das the and") == {}  # stop words of both languages
