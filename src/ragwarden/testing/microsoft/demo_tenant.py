"""The demo directory as an Entra tenant, for the Teams benchmark and tests.

Teams names people by Entra object id, and Graph answers with ``entra:<objectId>`` tokens, while the demo
corpus grants ``group:hr``, ``user:eva``, ``everyone``. This gives every demo user and group a fixed
object id, lists each user's transitive groups as Graph would, and writes a copy of the demo corpus whose
ACL sidecars grant the same people by object id (``everyone`` becomes an all-users group). Sidecars that
do not parse are copied unchanged, so the broken ones stay broken (and unindexed).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ragwarden.acl import tokens
from ragwarden.core.errors import AccessControlError
from ragwarden.demo.loader import demo_root

_NAMESPACE = uuid.UUID("6f1c2a52-4c55-4c69-9a7b-7261677761a1")
EVERYONE_GROUP = "all-users"


def object_id(kind: str, name: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{name}"))


@dataclass(frozen=True)
class DemoTenant:
    users: dict[str, str]  # demo user name -> object id
    groups: dict[str, str]  # demo group name -> object id
    member_of: dict[str, list[str]]  # user object id -> transitive group object ids
    display_names: dict[str, str]  # object id -> display name
    group_member_of: dict[str, list[str]]  # group object id -> the groups it is nested in, transitively

    def user_json(self, oid: str) -> dict[str, Any]:
        name = self.display_names[oid]
        return {"id": oid, "accountEnabled": True, "displayName": name, "onPremisesSecurityIdentifier": None,
                "userPrincipalName": f"{_user_name(self, oid)}@nordlicht.example"}

    def groups_json(self, oid: str) -> list[dict[str, Any]]:
        return [{"@odata.type": "#microsoft.graph.group", "id": gid, "displayName": self.display_names[gid]}
                for gid in self.member_of[oid]]

    def translate(self, token: str) -> str:
        kind = "everyone" if token == tokens.EVERYONE else tokens.kind_of(token)
        if kind == "everyone":
            return tokens.entra(self.groups[EVERYONE_GROUP])
        if kind == "group":
            return tokens.entra(self.groups[tokens.name_of(token)])
        if kind == "user":
            return tokens.entra(self.users[tokens.name_of(token)])
        raise ValueError(f"the demo tenant has no translation for {token!r}")


def _user_name(tenant: DemoTenant, oid: str) -> str:
    return next(name for name, value in tenant.users.items() if value == oid)


def demo_tenant() -> DemoTenant:
    directory = yaml.safe_load((demo_root() / "directory.yaml").read_text(encoding="utf-8"))
    groups_def: dict[str, Any] = directory["groups"]
    users_def: dict[str, Any] = directory["users"]
    groups = {name: object_id("group", name) for name in [*groups_def, EVERYONE_GROUP]}
    users = {name: object_id("user", name) for name in users_def}
    names = {groups[g]: str((groups_def.get(g) or {}).get("display_name", g)) for g in groups}
    names[groups[EVERYONE_GROUP]] = "Alle Benutzer"
    member_of = {}
    for name, spec in users_def.items():
        names[users[name]] = str(spec.get("display_name", name))
        reached = _closure(list(spec.get("groups", [])), groups_def) | {EVERYONE_GROUP}
        member_of[users[name]] = [groups[g] for g in sorted(reached)]
    # the all-users group holds users only: a group (a team's, say) is never nested in it
    nested = {groups[g]: [groups[p] for p in sorted(_closure(list((spec or {}).get("member_of", [])), groups_def))]
              for g, spec in groups_def.items()}
    return DemoTenant(users, groups, member_of, names, nested)


def _closure(start: list[str], groups_def: dict[str, Any]) -> set[str]:
    seen: set[str] = set()
    todo = list(start)
    while todo:
        group = todo.pop()
        if group not in seen:
            seen.add(group)
            todo.extend((groups_def.get(group) or {}).get("member_of", []))
    return seen


def write_corpus(tenant: DemoTenant, dest: Path) -> Path:
    """The demo corpus at ``dest`` with its ACLs in object ids; files already there and equal stay."""
    source = demo_root() / "corpus"
    for path in sorted(source.rglob("*")):
        if path.is_dir():
            continue
        target = dest / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        data = _translated(tenant, path) if path.name.endswith(".acl.json") else path.read_bytes()
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)
    return dest


def _translated(tenant: DemoTenant, sidecar: Path) -> bytes:
    raw = sidecar.read_bytes()
    try:
        acl = json.loads(raw)
        lists = {key: [tenant.translate(t) for t in acl[key]] for key in ("allow", "deny", "share") if key in acl}
        out = {**acl, **lists}
    except (ValueError, KeyError, TypeError, AccessControlError):
        return raw  # not understood: left as it is, and refused at ingestion as before
    return json.dumps(out, indent=2).encode()
