"""One document's bytes to chunks that carry its ACL: parse, split, stamp.

:class:`ProcessorSpec` is the same processor as a recipe: a :class:`Chunker` holds a tokenizer and closures, which
do not travel to another process; these few values do, so a parse worker
(:mod:`ragwarden.ingestion.parse_pool`) builds its own processor, equal to the parent's.
"""

from __future__ import annotations

from dataclasses import dataclass

from ragwarden.core.models import Chunk, SourceDocument
from ragwarden.ingestion.chunking import Chunker
from ragwarden.ingestion.parsing import parse


@dataclass
class DocumentProcessor:
    chunker: Chunker
    max_bytes: int

    def __call__(self, doc: SourceDocument, data: bytes) -> list[Chunk]:
        sections = parse(data, doc.path or doc.title, max_bytes=self.max_bytes)
        pieces = self.chunker.split(sections, title=doc.title)
        metadata = document_metadata(doc)
        return [
            Chunk(
                doc_id=doc.doc_id,
                index=i,
                text=piece.text,
                acl=doc.acl,
                title=doc.title,
                source_uri=doc.source_uri,
                section=piece.heading,
                page=piece.page,
                metadata=metadata,
            )
            for i, piece in enumerate(pieces)
        ]


@dataclass(frozen=True)
class ProcessorSpec:
    """What a :class:`DocumentProcessor` is built from; calling it builds one (in whichever process calls)."""

    chunk_tokens: int
    overlap: int
    model: str | None
    max_bytes: int

    def __call__(self) -> DocumentProcessor:
        return DocumentProcessor(Chunker(self.chunk_tokens, self.overlap, model=self.model), self.max_bytes)


def document_metadata(doc: SourceDocument) -> dict[str, object]:
    """Payload fields every chunk of ``doc`` carries for filters and result lists."""
    return {
        "source": doc.source,
        "path": doc.path,
        "file_type": doc.file_type,
        "modified": doc.modified.isoformat() if doc.modified else None,
        "department": str(doc.metadata.get("department", "")),
        "content_hash": doc.content_hash,
    }
