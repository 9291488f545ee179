"""DSGVO: what ragwarden holds about a person (Art. 15), erasing it (Art. 17), forgetting a document, and
retention -- one set of use cases for the CLI, the admin channel and REST.

Where the data lives decides where each runs. Conversations and sign-in sessions live only in the memory of
the serving process: with ``services`` (the running server, reached through its admin channel or REST) they
are exported and erased there; from the data directory alone (no server runs) there are none to find, and
the report says so. The audit records are in the log; whose they are only the key store knows, so the export
recomputes the person's pseudonym from their key, and erasure destroys the key (the records stay, the chain
verifies, nothing can link them to the person again). Erasure, forgetting and pruning are recorded in the
audit without the person's identity: a data-protection officer sees that they happened, and how much.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from ragwarden.audit.keys import PseudonymKeys
from ragwarden.audit.log import ChainedLog
from ragwarden.audit.queries import access_records
from ragwarden.audit.query_texts import QueryTexts
from ragwarden.audit.records import privacy_body, timestamp
from ragwarden.audit.retention import expire, expire_query_texts
from ragwarden.audit.sink import AuditLog
from ragwarden.core.errors import ConfigurationError, InvalidRequestError, NotFoundError
from ragwarden.core.settings import Settings

_GUID = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
OTHER = "(another person)"  # what an export shows instead of someone else's pseudonym
NO_SERVER = ("no server is running: conversations and sign-in sessions live only in a running server's memory "
             "(gone when it stopped), so none are held")


def principals_of(user: str) -> list[str]:
    """The principals a person may appear under: the name as given, and ``entra:<oid>`` for an object id."""
    user = user.strip()
    if not user:
        raise InvalidRequestError("name the person: a user name, an Entra object id or entra:<object id>")
    found = [user]
    bare = user.removeprefix("entra:")
    if _GUID.match(bare):
        found += [f"entra:{bare.lower()}", bare]
    return list(dict.fromkeys(found))


def _principals(user: str, services: Any) -> list[str]:
    """``principals_of`` and, for a sign-in name, the ``entra:<oid>`` of its sessions (their conversations)."""
    found = principals_of(user)
    return list(dict.fromkeys([*found, *(f"entra:{s.oid.lower()}" for s in _sessions_of(services, user))]))


def export(settings: Settings, user: str, services: Any = None, interface: str = "cli") -> dict[str, Any]:
    """Everything held about ``user`` as one JSON-ready object (Art. 15)."""
    principals = _principals(user, services)
    body: dict[str, Any] = {
        "subject": user, "principals": principals, "exported_at": timestamp(datetime.now(UTC)),
        "from": "running server" if services is not None else "data directory",
        "conversations": [], "sessions": [], "audit": {"pseudonyms": [], "records": []}, "notes": [],
    }
    if services is None:
        body["notes"].append(NO_SERVER)
    else:
        body["conversations"] = _conversations_of(services, principals)
        body["sessions"] = [{"username": s.username, "object_id": s.oid, "expires": _at(s.expires)}
                            for s in _sessions_of(services, user)]
    with _keys(settings, services) as keys:
        pseudonyms = {p for p in (keys.existing(p) for p in principals) if p} if keys else set()
    body["audit"]["pseudonyms"] = sorted(pseudonyms)
    body["audit"]["records"] = [_redacted(r, pseudonyms) for r in _records_of(settings, pseudonyms)]
    body["audit"]["query_texts"] = QueryTexts(settings.audit_path).of(pseudonyms) if pseudonyms else []
    if not pseudonyms:
        body["notes"].append("the audit log holds no key for this person: never seen, or erased before")
    return body


def erase(settings: Settings, user: str, services: Any = None, interface: str = "cli") -> dict[str, Any]:
    """Delete the person's conversations and sessions and destroy their pseudonym key (Art. 17); the report."""
    principals = _principals(user, services)
    report: dict[str, Any] = {"subject": user, "where": "running server" if services is not None else "data directory",
                              "conversations_turns": 0, "sessions": 0, "pseudonym_keys": 0, "records_unlinked": 0,
                              "query_texts": 0, "notes": []}
    erased: list[str] = []
    if services is None:
        report["notes"].append(NO_SERVER)
    else:
        store = _store(services)
        if store is not None:
            report["conversations_turns"] = sum(store.erase(p) for p in principals)
        sessions = services.extras.get("sessions")
        if sessions is not None:
            report["sessions"] = sessions.erase(user)
    with _keys(settings, services) as keys:
        if keys is not None:
            pseudonyms = {p for p in (keys.existing(p) for p in principals) if p}
            report["records_unlinked"] = len(list(_records_of(settings, pseudonyms)))
            erased = QueryTexts(settings.audit_path).erased_ids(pseudonyms) if pseudonyms else []
            report["query_texts"] = len(erased)
            report["pseudonym_keys"] = sum(keys.forget(p) for p in principals)
    counts = ("conversations_turns", "sessions", "pseudonym_keys", "records_unlinked", "query_texts")
    facts = {"interface": interface, **{k: report[k] for k in counts}, "query_texts_erased": erased}
    # The record names the texts' ids *before* they go, so that a crash in between leaves texts that nothing
    # can link to the person any more (the key is gone), never a deletion that verify would call tampering.
    report["audit_record"] = _record(settings, services, "erase", facts)
    if erased:
        report["query_texts"] = QueryTexts(settings.audit_path).erase(set(erased))
    return report


def forget_document(services: Any, document: str, interface: str = "cli") -> dict[str, Any]:
    """Remove a document from the index, the sync state and the conversations that cited it, at once, and
    keep it out of later passes until it changes or goes at the source (a tombstone)."""
    state = services.state
    found = {d.doc_id: d for d in state.find(document)}
    if not found:
        raise NotFoundError(f"no indexed document is {document!r} (a doc id, a path or a URI)")
    doc_ids = sorted(found)
    stones = state.tombstones.bury(doc_ids)  # first: a pass running now skips it from here on
    services.index.delete_documents(doc_ids)  # through the index's own deletion, as `sources remove` does
    state.remove(doc_ids)
    store = _store(services)
    dropped = store.forget_documents(set(doc_ids)) if store is not None else 0
    facts = {"interface": interface, "doc_ids": doc_ids, "sources": sorted({s.source for s in stones}),
             "conversations_dropped": dropped}
    record = _record(services.settings, services, "forget-document", facts)
    return {"document": document, "doc_ids": doc_ids, "titles": [found[d].title for d in doc_ids],
            "tombstones": [{"source": s.source, "source_uri": s.source_uri} for s in stones],
            "conversations_dropped": dropped, "audit_record": record}


def retention(settings: Settings, services: Any = None, now: datetime | None = None) -> dict[str, Any]:
    """Enforce the retention settings now: expired turns and sessions, and audit day files past their time."""
    report: dict[str, Any] = {"conversations_turns": 0, "sessions": 0, "audit_files": [], "audit_query_files": [],
                              "notes": []}
    if services is None:
        report["notes"].append(NO_SERVER)
    else:
        store = _store(services)
        report["conversations_turns"] = store.sweep() if store is not None and hasattr(store, "sweep") else 0
        sessions = services.extras.get("sessions")
        report["sessions"] = sessions.sweep() if sessions is not None else 0
    if not settings.audit:
        return report
    chain = services.audit.chain if services is not None and isinstance(services.audit, AuditLog) else None
    chain = chain or ChainedLog(settings.audit_path)
    # query texts go on their own schedule, never after the records that name them
    limit = min((r for r in (settings.retention_audit_queries, settings.retention_audit) if r), default=None)
    report["audit_query_files"] = expire_query_texts(chain, limit, now) if limit else []
    if settings.retention_audit:
        report["audit_files"] = expire(chain, settings.retention_audit, now)
    return report


def _store(services: Any) -> Any:
    """The running answerer's conversation store (None: nobody has asked a question in this process)."""
    answerer = services.extras.get("answerer")
    store = getattr(answerer, "conversations", None)
    if store is not None and not all(hasattr(store, m) for m in ("of", "erase", "forget_documents")):
        raise ConfigurationError(f"the conversation store {type(store).__name__} cannot export or erase")
    return store


def _conversations_of(services: Any, principals: list[str]) -> list[dict[str, Any]]:
    store = _store(services)
    if store is None:
        return []
    out = []
    now = datetime.now(UTC).timestamp()
    for principal in principals:
        for cid, turns in store.of(principal).items():
            out.append({"conversation_id": cid, "turns": [
                {"question": t.question, "standalone_question": t.standalone_question, "answer": t.answer,
                 "language": t.language, "cited_doc_ids": list(t.cited_doc_ids), "stored": _at(now - age)}
                for age, t in turns]})
    return out


def _sessions_of(services: Any, user: str) -> list[Any]:
    sessions = services.extras.get("sessions") if services is not None else None
    return sessions.of(user) if sessions is not None else []


def _records_of(settings: Settings, pseudonyms: set[str]) -> Iterator[dict[str, Any]]:
    if not pseudonyms:
        return
    for record in access_records(settings.audit_path):
        readers = {g["reader"] for d in record["documents"] for g in d["grants"]}
        if record["caller"] in pseudonyms or readers & pseudonyms:
            yield record


def _redacted(record: dict[str, Any], mine: set[str]) -> dict[str, Any]:
    """The record as the person may see it: other people's pseudonyms replaced (a team answer names all)."""
    def who(p: str) -> str:
        return p if p in mine else OTHER

    out = {k: v for k, v in record.items() if k not in ("prev", "seq")} | {"seq": record["seq"]}
    out["caller"] = who(record["caller"])
    out["documents"] = [d | {"grants": [g | {"reader": who(g["reader"])} for g in d["grants"]]}
                        for d in record["documents"]]
    return out


def _record(settings: Settings, services: Any, action: str, facts: dict[str, Any]) -> str | None:
    """Append the action's record (without the person); its hash, None when auditing is off."""
    if not settings.audit:
        return None
    chain = services.audit.chain if services is not None and isinstance(services.audit, AuditLog) else None
    return (chain or ChainedLog(settings.audit_path)).append(privacy_body(action, datetime.now(UTC), facts))


@contextmanager
def _keys(settings: Settings, services: Any) -> Iterator[PseudonymKeys | None]:
    """The serving process's key store (its cache forgets with it), or the one on disk; None when none exists."""
    if services is not None and isinstance(services.audit, AuditLog):
        yield services.audit.keys
        return
    if not settings.audit_key_path.is_dir():
        yield None
        return
    keys = PseudonymKeys(settings.audit_key_path)
    try:
        yield keys
    finally:
        keys.close()


def _at(epoch: float) -> str:
    return timestamp(datetime.fromtimestamp(epoch, UTC))


def handle(services: Any, body: dict[str, Any], interface: str = "cli") -> dict[str, Any]:
    """One DSGVO action asked of a running process (admin channel or REST): ``{"action": ..., ...}``."""
    action, settings = body.get("action"), services.settings
    if action in ("export", "erase"):
        user = body.get("user")
        if not isinstance(user, str):
            raise InvalidRequestError(f"{action} needs the person: {{\"user\": \"...\"}}")
        return (export if action == "export" else erase)(settings, user, services, interface)
    if action == "forget-document":
        document = body.get("document")
        if not isinstance(document, str) or not document.strip():
            raise InvalidRequestError("forget-document needs {\"document\": \"a doc id, path or URI\"}")
        return forget_document(services, document.strip(), interface)
    if action == "retention":
        return retention(settings, services)
    raise InvalidRequestError("action must be export, erase, forget-document or retention")
