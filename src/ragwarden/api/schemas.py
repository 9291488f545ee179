"""Request and response bodies of the REST API (their schemas are the OpenAPI document)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ragwarden.core.errors import InvalidRequestError
from ragwarden.core.models import SearchFilter
from ragwarden.retrieval.documents import DocumentResult
from ragwarden.retrieval.retriever import MAX_LIMIT, MAX_QUERY_CHARS

FilterValue = Annotated[str, Field(min_length=1, max_length=200)]


#: Documents per page of the search API (a page is cut from one bounded candidate list).
MAX_PAGE = 50


class SearchFilters(BaseModel):
    """The caller's narrowing of a search; every field optional, dates inclusive (UTC days)."""

    model_config = ConfigDict(extra="forbid")
    sources: list[FilterValue] = Field(default_factory=list, max_length=50)
    file_types: list[FilterValue] = Field(default_factory=list, max_length=50)
    modified_from: date | None = None
    modified_to: date | None = None

    def to_filter(self) -> SearchFilter:
        if self.modified_from and self.modified_to and self.modified_from > self.modified_to:
            raise InvalidRequestError("modified_from is after modified_to")
        start = datetime.combine(self.modified_from, time.min, UTC) if self.modified_from else None
        end = datetime.combine(self.modified_to, time.max, UTC) if self.modified_to else None
        return SearchFilter(frozenset(self.sources), frozenset(self.file_types), start, end)


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)
    limit: int = Field(default=10, ge=1, le=MAX_PAGE)
    offset: int = Field(default=0, ge=0, le=MAX_LIMIT)
    filters: SearchFilters | None = None


class SearchResponse(BaseModel):
    # the use case's own result types document the schema
    results: list[DocumentResult]
    offset: int
    limit: int
    has_more: bool
    facets: dict[str, dict[str, int]]
    # True while some sources are withheld because their permissions could not be re-checked in time
    sources_unavailable: bool = False
    notice: str | None = None


class AnswerRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=4000)
    conversation_id: str | None = Field(default=None, min_length=1, max_length=128)
    limit: int | None = Field(default=None, ge=1, le=MAX_LIMIT)
