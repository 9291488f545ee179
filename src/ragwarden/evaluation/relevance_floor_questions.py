"""The questions :mod:`ragwarden.evaluation.relevance_floor` asks of the demo corpus, each with its asker
and the document it expects: the answer and search question sets shipped with the package, and the
keyword searches made from the corpus manifest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ragwarden.acl.decision import is_allowed


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    lang: str  # de | en; "kw", "pair" or "word" for the keyword searches
    user: str
    kind: str  # answerable | forbidden | unanswerable
    text: str
    doc: str | None  # the expected document's corpus path (answerable questions)



def _package_file(name: str) -> str:
    return resources.files("ragwarden.evaluation").joinpath(name).read_text(encoding="utf-8")


def load_questions(services: Any) -> list[Question]:
    """Both question sets; a ``questions.yaml`` question is asked by the first demo user who may open
    its document (the directory's order, as in ``ragwarden bench quality``)."""
    questions = [
        Question(q["id"], q["lang"], q["user"], q["kind"], q["question"], q.get("doc"))
        for q in yaml.safe_load(_package_file("answer_questions.yaml"))
    ]
    users: list[str] = services.directory.users()
    for q in yaml.safe_load(_package_file("questions.yaml")):
        doc = next(iter(services.state.find(q["expect"])))
        user = next((u for u in users if is_allowed(doc.acl, services.directory.resolve(u))), None)
        if user is None:
            raise SystemExit(f"no demo user may see {q['expect']}")
        questions.append(Question(f"q:{q['expect']}", q["lang"], user, "answerable", q["question"], q["expect"]))
    return questions


def load_keywords(services: Any, manifest: Path) -> list[Question]:
    """Each indexed document's manifest keywords, asked by every demo user who may open it ("kw"); each
    two neighbouring words of them ("pair") and each word alone ("word"), asked by the first user who
    may."""
    out: list[Question] = []
    for entry in json.loads(manifest.read_text(encoding="utf-8")):
        if not entry["indexed"]:
            continue
        path, doc = entry["path"], next(iter(services.state.find(entry["path"])))
        users = [u for u in services.directory.users() if is_allowed(doc.acl, services.directory.resolve(u))]
        out += [Question(f"kw:{path}", "kw", user, "answerable", entry["query"], path) for user in users]
        words = entry["query"].split()
        out += [Question(f"word:{path}", "word", users[0], "answerable", w, path) for w in words]
        pairs = [" ".join(words[i : i + 2]) for i in range(len(words) - 1)]
        out += [Question(f"pair:{path}", "pair", users[0], "answerable", p, path) for p in pairs]
    return out
