"""Sections to embedder-sized chunks with llama-index's ``SentenceSplitter``, counted in word pieces.

The budget is counted with the embedder's own tokenizer (all-MiniLM-L6-v2 reads at most 256 word
pieces, a BERT WordPiece vocabulary that splits German words far more finely than tiktoken would), and
it leaves room for what is embedded in front of every chunk: the document title and the section
heading, plus the model's [CLS] and [SEP]. Chunks never straddle sections, so every chunk keeps its
section's heading and page.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragwarden.core.errors import ConfigurationError
from ragwarden.core.models import Section
from ragwarden.ingestion.sections import HEADING_SEPARATOR

Tokenize = Callable[[str], list[int]]

_SPECIAL_TOKENS = 2  # [CLS] ... [SEP]
_PREFIX_SEPARATORS = 2  # " – " between title and heading, and the line break after them
_MIN_BUDGET = 32


@dataclass(frozen=True, slots=True)
class ChunkText:
    """One chunk's text with the heading and page of the section it came from."""

    text: str
    heading: str = ""
    page: int | None = None


class Chunker:
    """Splits sections into chunks of at most ``chunk_tokens`` word pieces (less when the prefix needs it).

    ``title_reserve`` word pieces are kept free for the document title when :meth:`split` is not told
    the title; headings longer than ``max_heading_tokens`` are shortened (outer levels dropped first).
    """

    def __init__(
        self,
        chunk_tokens: int = 200,
        overlap: int = 20,
        *,
        model: str | Path | None = None,
        max_seq_tokens: int | None = None,
        title_reserve: int = 24,
        max_heading_tokens: int = 32,
    ) -> None:
        if chunk_tokens < _MIN_BUDGET:
            raise ConfigurationError(f"chunk_tokens must be at least {_MIN_BUDGET}")
        if not 0 <= overlap < chunk_tokens:
            raise ConfigurationError("chunk overlap must be at least 0 and smaller than chunk_tokens")
        path = _model_path(model)
        self.chunk_tokens = chunk_tokens
        self.overlap = overlap
        self.max_seq_tokens = max_seq_tokens or _max_seq_length(path)
        self.title_reserve = title_reserve
        self.max_heading_tokens = max_heading_tokens
        self.tokenize: Tokenize = load_tokenizer(path)
        self.count_tokens: Callable[[str], int] = _counter(self.tokenize)
        self._splitters: dict[int, Any] = {}

    def split(self, sections: Sequence[Section], title: str = "") -> list[ChunkText]:
        """Chunks in document order; each fits the embedder together with ``title`` and its heading."""
        title_tokens = self.count_tokens(title) if title else self.title_reserve
        chunks: list[ChunkText] = []
        for section in sections:
            if not section.text.strip():
                continue
            heading = self.fit_heading(section.heading)
            budget = self.text_budget(title_tokens, self.count_tokens(heading))
            for text in self._split_text(section.text, budget):
                chunks.append(ChunkText(text, heading, section.page))
        return chunks

    def text_budget(self, title_tokens: int, heading_tokens: int) -> int:
        """Word pieces left for a chunk's own text once its prefix and the special tokens are in."""
        prefix = title_tokens + heading_tokens + _PREFIX_SEPARATORS if title_tokens or heading_tokens else 0
        room = self.max_seq_tokens - _SPECIAL_TOKENS - prefix
        return max(_MIN_BUDGET, min(self.chunk_tokens, room))

    def fit_heading(self, heading: str) -> str:
        """``heading`` within ``max_heading_tokens``: outer levels go first, then trailing words."""
        heading = " ".join(heading.split())
        parts = heading.split(HEADING_SEPARATOR)
        while len(parts) > 1 and self.count_tokens(HEADING_SEPARATOR.join(parts)) > self.max_heading_tokens:
            parts.pop(0)
        words = HEADING_SEPARATOR.join(parts).split(" ")
        while len(words) > 1 and self.count_tokens(" ".join(words)) > self.max_heading_tokens:
            words.pop()
        return " ".join(words) if self.count_tokens(" ".join(words)) <= self.max_heading_tokens else ""

    def _split_text(self, text: str, budget: int) -> list[str]:
        pieces = [p.strip() for p in self._splitter(budget).split_text(text) if p.strip()]
        out: list[str] = []
        for piece in pieces:
            # The splitter sums the counts of its pieces; joined text can count a little differently.
            out.extend([piece] if self.count_tokens(piece) <= budget else self._hard_split(piece, budget))
        return out

    def _splitter(self, budget: int) -> Any:
        splitter = self._splitters.get(budget)
        if splitter is None:
            from llama_index.core.node_parser import SentenceSplitter

            overlap = min(self.overlap, budget // 4)
            splitter = SentenceSplitter(chunk_size=budget, chunk_overlap=overlap, tokenizer=self.tokenize)
            self._splitters[budget] = splitter
        return splitter

    def _hard_split(self, text: str, budget: int) -> list[str]:
        """Greedy word packing, the last resort for a piece the sentence splitter left too long."""
        out: list[str] = []
        current: list[str] = []
        for word in text.split():
            if current and self.count_tokens(" ".join([*current, word])) > budget:
                out.append(" ".join(current))
                current = []
            current.append(word)
            while len(current) == 1 and self.count_tokens(current[0]) > budget:
                # One "word" longer than the budget (a URL, a hash): cut it by characters.
                word = current[0]
                cut = max(1, len(word) // 2)
                while cut > 1 and self.count_tokens(word[:cut]) > budget:
                    cut //= 2
                out.append(word[:cut])
                current = [word[cut:]] if word[cut:] else []
        if current:
            out.append(" ".join(current))
        return out


def load_tokenizer(model_path: Path) -> Tokenize:
    """The model's own tokenizer as text → word-piece ids, without special tokens or truncation."""
    tokenizer_file = model_path / "tokenizer.json"
    if tokenizer_file.is_file():
        from tokenizers import Tokenizer

        fast = Tokenizer.from_file(str(tokenizer_file))
        # The shipped tokenizer.json pads and truncates to 128: counting needs neither.
        fast.no_truncation()
        fast.no_padding()
        return lambda text: fast.encode(text, add_special_tokens=False).ids
    from transformers import AutoTokenizer

    slow = AutoTokenizer.from_pretrained(str(model_path), local_files_only=True)
    return lambda text: list(slow.encode(text, add_special_tokens=False))


def _counter(tokenize: Tokenize) -> Callable[[str], int]:
    return lambda text: len(tokenize(text)) if text else 0


def _model_path(model: str | Path | None) -> Path:
    from ragwarden.ingestion.embedding import resolve_model_path

    return resolve_model_path(model)


def _max_seq_length(model_path: Path) -> int:
    """The embedder's input limit from its sentence-transformers config (256 for all-MiniLM-L6-v2)."""
    config = model_path / "sentence_bert_config.json"
    try:
        value = json.loads(config.read_text(encoding="utf-8")).get("max_seq_length")
    except (OSError, ValueError):
        value = None
    return int(value) if isinstance(value, int) and value > 0 else 256
