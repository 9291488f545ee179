"""A missing scope is refused the same way in every layer that reads documents."""

from __future__ import annotations

import pytest

from ragwarden.core.errors import AccessControlError, MissingScopeError
from ragwarden.core.models import member_scopes, require_scope
from ragwarden.generation.answering import Answerer
from ragwarden.retrieval.filters import require_tokens
from ragwarden.retrieval.hybrid import SearchPlan, should_query, should_scroll
from ragwarden.retrieval.retriever import Retriever
from ragwarden.testing.fakes.chat import ScriptedChatModel
from ragwarden.testing.fakes.embedding import CountingEmbedder


class NoIndex:
    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"the index was asked ({name}) without a scope")


@pytest.mark.parametrize("scope", [None, "alice", {"tokens": ["group:hr"]}])
def test_every_layer_refuses_a_missing_scope_with_one_error(scope: object) -> None:
    retriever = Retriever(NoIndex(), CountingEmbedder())  # type: ignore[arg-type]
    calls = [
        lambda: require_scope(scope),
        lambda: member_scopes(scope),  # type: ignore[arg-type]
        lambda: require_tokens(scope),  # type: ignore[arg-type]
        lambda: should_query(scope, 10, "hybrid", SearchPlan()),  # type: ignore[arg-type]
        lambda: should_scroll(scope, 10),  # type: ignore[arg-type]
        lambda: retriever.search(scope, "Urlaub"),  # type: ignore[arg-type]
        lambda: retriever.document(scope, "doc"),  # type: ignore[arg-type]
        lambda: Answerer(retriever, ScriptedChatModel()).answer(scope, "Urlaub?"),  # type: ignore[arg-type]
    ]
    for call in calls:
        with pytest.raises(MissingScopeError, match="needs the caller's AccessScope") as caught:
            call()
        assert isinstance(caught.value, AccessControlError) and isinstance(caught.value, TypeError)
