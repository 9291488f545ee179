"""Teams bot benchmark: activity received -> typing indicator sent, and -> answer card sent.

    ragwarden bench teams [-n 50] [--data-dir DIR] [--group-every 5] [--target-ms 300]

Runs the real app (demo corpus ingested into a temporary folder, or ``--data-dir``) with the bot mounted,
in front of the local channel stand-in (signing keys, OpenID metadata, outbound token authority,
connector, Graph). Sends N signed activities over HTTP one after the other -- 1:1 questions from
the demo users, every ``--group-every``-th one in a group chat (answered in the asker's 1:1 chat, then
noted in the group) -- and times each from just before the POST to the moment the stand-in connector
received the typing indicator and the card (in a group chat: the note, sent after the card). The
first activity (model loading, first tokens) is reported apart and not counted. Exit status 1 when the
typing indicator's p95 misses the target.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ragwarden.demo.loader import load_manifest

USERS = ["alice", "bernd", "clara", "dirk", "eva", "frank", "ines", "gesa", "hans"]


def p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def questions() -> list[str]:
    manifest = load_manifest()
    facts = [f["question"] for d in manifest if d["indexed"] for f in d.get("facts", [])]
    return facts + [d["query"] for d in manifest if d["indexed"]]


def one(world: Any, index: int, group_every: int, question: str) -> tuple[float, float]:
    """(ms to the typing indicator, ms to the answer) for one activity."""
    sender = USERS[index % len(USERS)]
    if group_every and index % group_every == group_every - 1:
        # a group chat: the card goes to the sender's 1:1 chat, then the group gets a short note (timed)
        conversation = f"19:{uuid.uuid4().hex}@thread.v2"
        activity = world.activity(question, sender, conversation_id=conversation, conversation_type="groupChat",
                                  mention=True)
    else:
        activity = world.activity(question, sender)
    started = time.perf_counter()
    response = world.post(activity)
    if response.status_code != 202:
        raise SystemExit(f"/api/messages answered {response.status_code}: {response.text}")
    answer = world.wait_answer(activity)
    typing = next(s for s in world.replies(activity) if s.body.get("type") == "typing")
    return (typing.at - started) * 1000, (answer.at - started) * 1000


def _line(label: str, values: Sequence[float]) -> str:
    return (f"{label}: median {statistics.median(values):.0f} ms, p95 {p95(values):.0f} ms, "
            f"max {max(values):.0f} ms (n={len(values)})")


def run(args: argparse.Namespace, root: Path) -> int:
    from ragwarden.testing.microsoft.teams_world import start_world

    print("starting the app, the channel stand-in and the demo corpus ...", flush=True)
    world = start_world(root, data_dir=Path(args.data_dir) if args.data_dir else None)
    try:
        asked = questions()
        cold = one(world, 0, 0, asked[0])
        print(f"first activity (cold: keys, tokens, model load): typing {cold[0]:.0f} ms, card {cold[1]:.0f} ms")
        typing, card = [], []
        for i in range(args.n):
            t, c = one(world, i, args.group_every, asked[i % len(asked)])
            typing.append(t)
            card.append(c)
    finally:
        world.close()
    print(_line("activity received -> typing indicator sent", typing))
    print(_line("activity received -> answer card sent     ", card))
    ok = p95(typing) <= args.target_ms
    print(f"{'PASS' if ok else 'FAIL'}: typing indicator p95 {p95(typing):.0f} ms (target <= {args.target_ms:.0f} ms)")
    return 0 if ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ragwarden bench teams", description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=50, help="activities to time (default 50)")
    parser.add_argument("--data-dir", help="index and state here (the corpus is synced, not re-embedded)")
    parser.add_argument("--group-every", type=int, default=5, help="every Nth activity in a group chat (0: never)")
    parser.add_argument("--target-ms", type=float, default=300.0, help="typing indicator p95 target")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("-n must be at least 1")
    with tempfile.TemporaryDirectory(prefix="ragwarden-bench-teams-") as tmp:
        return run(args, Path(tmp))


if __name__ == "__main__":
    raise SystemExit(main())
