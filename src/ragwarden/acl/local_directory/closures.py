"""Nested groups made flat: every group reachable from each group, computed once when the directory loads.

Apart from the directory because it is a graph algorithm (iterative Tarjan) with its own invariants; the
directory only feeds it the ``member_of`` edges and reads the closures back.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping


def closures(edges: Mapping[str, tuple[str, ...]]) -> dict[str, frozenset[str]]:
    """Every group reachable from each group, itself included; cycles are tolerated.

    Iterative Tarjan: strongly connected components come out in reverse topological order, so a
    component's closure is its members plus the (already final) closures of its successors. No
    recursion, so a chain thousands of groups deep is fine.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    closure: dict[str, frozenset[str]] = {}
    work: list[tuple[str, Iterator[str]]] = []  # the explicit call stack of the depth-first search

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        work.append((node, iter(edges[node])))

    for start in edges:
        if start in index:
            continue
        visit(start)
        while work:
            node, successors = work[-1]
            for nxt in successors:
                if nxt not in index:
                    visit(nxt)
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    _close_component(node, stack, on_stack, edges, closure)
    return closure


def _close_component(
    root: str,
    stack: list[str],
    on_stack: set[str],
    edges: Mapping[str, tuple[str, ...]],
    closure: dict[str, frozenset[str]],
) -> None:
    component: list[str] = []
    while True:
        member = stack.pop()
        on_stack.discard(member)
        component.append(member)
        if member == root:
            break
    members = set(component)
    reach = set(members)
    for member in component:
        for nxt in edges[member]:
            if nxt not in members:
                reach |= closure[nxt]
    frozen = frozenset(reach)
    for member in component:
        closure[member] = frozen
