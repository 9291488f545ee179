"""Sign-in sessions and the person's rights: listed by object id, ``entra:<oid>`` or sign-in name (DSGVO
access), ended all at once (erasure), and expired ones swept now rather than when next asked (retention)."""

from __future__ import annotations

from ragwarden.api.signin import SessionStore

OID = "6f1c2c8e-1a7b-4a53-9d52-0c1f0f6b9a10"


def test_sessions_are_listed_erased_and_swept() -> None:
    now = [1000.0]
    store = SessionStore(ttl=60.0, clock=lambda: now[0])
    mine = [store.create(OID, "erika@example.org") for _ in range(2)]
    other = store.create("0b7c9f0e-0000-4000-8000-000000000001", "max@example.org")
    for who in (OID, f"entra:{OID}", "Erika@Example.org"):
        assert len(store.of(who)) == 2
    assert store.erase(f"entra:{OID}") == 2
    assert all(store.get(key) is None for key in mine) and store.get(other) is not None
    now[0] += 61
    assert store.sweep() == 1 and store.of("max@example.org") == []
