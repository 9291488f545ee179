"""The answer-quality question set (``ragwarden/evaluation/answer_questions.yaml``) holds what it claims
about the demo corpus: every reference fact is in the parsed text of its document, the asking user may
read that document (answerable) or may not (forbidden, and then no document the user can read gives the
fact away), and the set is balanced between German and English.

The corpus is scanned with the real folder connector (ACLs from the sidecars), parsed with the real
parser, and users resolved with the real local directory, once per module.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from typing import Any

import pytest
import yaml

from ragwarden.acl.decision import is_allowed
from ragwarden.acl.local_directory.resolver import LocalDirectory
from ragwarden.connectors.local_folder import LocalFolderConnector
from ragwarden.core.models import AccessControl, FailedItem
from ragwarden.demo.loader import demo_root, load_manifest
from ragwarden.ingestion.parsing import parse

LANGS = ("de", "en")
KINDS = ("answerable", "forbidden", "unanswerable")
REQUIRED_KEYS = {"id", "lang", "user", "kind", "question", "facts"}
MIN_QUESTIONS = 60
MIN_PER_LANG = {"forbidden": 4, "unanswerable": 4}
MAX_FACT_WORDS = 5
MAX_BYTES = 50 * 1024 * 1024


def load_answer_questions() -> list[dict[str, Any]]:
    """The question set as parsed YAML: a list of mappings (validated by the tests below)."""
    path = resources.files("ragwarden.evaluation") / "answer_questions.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, list), "answer_questions.yaml must be a YAML list of questions"
    return data


QUESTIONS = load_answer_questions()
_IDS = [str(q.get("id")) if isinstance(q, dict) else repr(q) for q in QUESTIONS]


def _of_kind(kind: str) -> list[Any]:
    return [pytest.param(q, id=i) for q, i in zip(QUESTIONS, _IDS, strict=True)
            if isinstance(q, dict) and q.get("kind") == kind]


# Soft hyphens and zero-width characters vanish; every kind of (non-breaking) space is a space.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_SPACES = re.compile(r"[\s\u00a0\u2007\u202f]+")


def normalize(text: str) -> str:
    """Case-folded, NFC, soft hyphens dropped, all whitespace runs one space."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    return _SPACES.sub(" ", text).casefold().strip()


def alternatives(fact: str | list[str]) -> list[str]:
    return [fact] if isinstance(fact, str) else list(fact)


@dataclass(frozen=True)
class Parsed:
    acl: AccessControl
    text: str  # normalized headings and text of every section


@dataclass(frozen=True)
class Corpus:
    docs: dict[str, Parsed]  # corpus-relative path -> ACL and parsed text (indexable documents only)
    directory: LocalDirectory
    indexed: set[str]  # manifest paths with indexed: true

    def can_read(self, user: str, path: str) -> bool:
        return is_allowed(self.docs[path].acl, self.directory.resolve(user))

    def readable(self, user: str) -> list[str]:
        return [path for path in self.docs if self.can_read(user, path)]


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    root = demo_root()
    connector = LocalFolderConnector(root / "corpus", source="answer-questions", max_file_size=MAX_BYTES)
    docs: dict[str, Parsed] = {}
    for item in connector.scan():
        if isinstance(item, FailedItem):
            continue  # no ACL or a broken sidecar: never indexed, never an answer source
        sections = parse(connector.read(item), item.path, max_bytes=MAX_BYTES)
        text = "\n".join(f"{s.heading}\n{s.text}" for s in sections)
        docs[item.path] = Parsed(item.acl, normalize(text))
    indexed = {entry["path"] for entry in load_manifest() if entry["indexed"]}
    return Corpus(docs, LocalDirectory.from_file(root / "directory.yaml"), indexed)


# -- the file itself --------------------------------------------------------------------------------------


@pytest.mark.parametrize("question", [pytest.param(q, id=i) for q, i in zip(QUESTIONS, _IDS, strict=True)])
def test_every_question_has_the_schema(question: Any) -> None:
    assert isinstance(question, dict), question
    keys = set(question)
    needs_doc = question.get("kind") in ("answerable", "forbidden")
    expected = REQUIRED_KEYS | ({"doc"} if needs_doc else set())
    assert keys == expected, f"keys {sorted(keys)}, expected {sorted(expected)}"
    assert question["lang"] in LANGS
    assert question["kind"] in KINDS
    assert isinstance(question["id"], str) and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", question["id"])
    assert question["id"].startswith(f"{question['lang']}-"), "the id starts with the language"
    assert isinstance(question["user"], str) and question["user"]
    assert isinstance(question["question"], str) and question["question"].strip()
    facts = question["facts"]
    assert isinstance(facts, list)
    if needs_doc:
        assert isinstance(question["doc"], str) and question["doc"]
        assert facts, "answerable and forbidden questions name at least one fact"
    else:
        assert facts == [], "an unanswerable question has no facts"
    for fact in facts:
        options = alternatives(fact)
        assert options, f"empty list of alternatives in {facts}"
        for option in options:
            assert isinstance(option, str) and option.strip(), f"a fact is a non-empty string: {option!r}"
            assert 1 <= len(option.split()) <= MAX_FACT_WORDS, f"a fact is a short snippet: {option!r}"


def test_ids_are_unique() -> None:
    duplicates = [i for i, n in Counter(_IDS).items() if n > 1]
    assert not duplicates


def test_the_set_is_large_and_balanced_between_german_and_english() -> None:
    assert len(QUESTIONS) >= MIN_QUESTIONS
    per_lang = Counter(q["lang"] for q in QUESTIONS)
    assert per_lang["de"] == per_lang["en"] == len(QUESTIONS) // 2, per_lang
    per_kind = Counter((q["lang"], q["kind"]) for q in QUESTIONS)
    for lang in LANGS:
        for kind, least in MIN_PER_LANG.items():
            assert per_kind[lang, kind] >= least, (lang, kind, per_kind)
        assert per_kind[lang, "answerable"] >= len(QUESTIONS) // 4, (lang, per_kind)


def test_every_user_is_an_enabled_demo_user(corpus: Corpus) -> None:
    unknown = sorted({q["user"] for q in QUESTIONS if not corpus.directory.is_enabled(q["user"])})
    assert not unknown


def test_answerable_questions_spread_over_users_departments_and_formats() -> None:
    answerable = [q for q in QUESTIONS if q["kind"] == "answerable"]
    assert len({q["user"] for q in answerable}) >= 8
    assert {q["doc"].split("/")[0] for q in answerable} >= {"all-staff", "hr", "rnd", "finance", "it"}
    formats = {q["doc"].rsplit(".", 1)[-1] for q in answerable}
    assert formats >= {"docx", "pdf", "pptx", "xlsx", "html", "eml", "md", "txt"}


# -- against the corpus -----------------------------------------------------------------------------------


@pytest.mark.parametrize("question", _of_kind("answerable") + _of_kind("forbidden"))
def test_the_document_is_indexed_and_holds_every_fact(question: dict[str, Any], corpus: Corpus) -> None:
    doc = question["doc"]
    assert doc in corpus.indexed, f"{doc} is not an indexed document of the manifest"
    assert doc in corpus.docs, f"{doc} is not yielded by the folder connector"
    text = corpus.docs[doc].text
    missing = [option for fact in question["facts"] for option in alternatives(fact)
               if normalize(option) not in text]
    assert not missing, f"not in the parsed text of {doc}: {missing}"


@pytest.mark.parametrize("question", _of_kind("answerable"))
def test_the_user_may_read_the_document_of_an_answerable_question(
    question: dict[str, Any], corpus: Corpus
) -> None:
    assert question["doc"] in corpus.docs
    assert corpus.can_read(question["user"], question["doc"])


@pytest.mark.parametrize("question", _of_kind("forbidden"))
def test_no_document_the_user_may_read_gives_a_forbidden_fact_away(
    question: dict[str, Any], corpus: Corpus
) -> None:
    user = question["user"]
    assert question["doc"] in corpus.docs
    assert not corpus.can_read(user, question["doc"]), f"{user} may read {question['doc']}"
    leaks = [
        (path, option)
        for path in corpus.readable(user)
        for fact in question["facts"]
        for option in alternatives(fact)
        if normalize(option) in corpus.docs[path].text
    ]
    assert not leaks, f"{user} can read the fact elsewhere: {leaks}"


def test_contractors_see_little(corpus: Corpus) -> None:
    """A sanity check of the ACL resolution the tests rely on: hans (contractor) reads only the public
    all-staff pages and the guide for external developers, alice every HR document."""
    hans = set(corpus.readable("hans"))
    assert "rnd/external_developer_guide.md" in hans
    assert not any(p.startswith(("hr/", "finance/", "it/", "all-staff/intern/")) for p in hans)
    assert "all-staff/unternehmensnews_q1_2026.html" not in hans
    assert {p for p in corpus.docs if p.startswith("hr/")} <= set(corpus.readable("alice"))
    assert not corpus.can_read("bernd", "hr/gespraechsnotiz_becker_fehlzeiten.docx")
