"""The sources file as a composed YAML node tree, so that every problem can name its line.

:class:`Problem` is what is wrong on which line; the helpers read a key's or a value's line, a mapping's
entries (a repeated key is refused at any depth), and a node's Python value. Apart from the rules of a
source entry because they are about YAML, not about sources.
"""

from __future__ import annotations

from typing import Any

import yaml

Pair = tuple[yaml.Node, yaml.Node]  # (key node, value node)


class Problem(Exception):
    """What is wrong on which line; ``parse_sources`` adds the file name."""

    def __init__(self, line: int, what: str) -> None:
        super().__init__(line, what)
        self.line, self.what = line, what


def line_of(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _yaml_problem(exc: yaml.YAMLError, text: str) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        line = mark.line + 1
    elif isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
    else:
        line = 1
    problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc)
    return Problem(line, "not valid YAML: " + " ".join(str(problem).split()))


def compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise _yaml_problem(exc, text) from None


def value_of(node: yaml.Node) -> Any:
    _check_nested_keys(node)
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise _yaml_problem(exc, "") from None
    finally:
        loader.dispose()


def items_of(node: yaml.MappingNode) -> dict[str, Pair]:
    """The mapping's entries by key; a repeated key is refused (YAML would silently keep the last)."""
    items: dict[str, Pair] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise Problem(line_of(key_node), "a key must be a plain name")
        if (key := str(key_node.value)) in items:
            raise Problem(line_of(key_node), f"duplicate key {key!r} (first on line {line_of(items[key][0])})")
        items[key] = (key_node, value_node)
    return items


def _check_nested_keys(node: yaml.Node) -> None:
    """Refuses repeated keys at any depth of a value (aliases may make the tree cyclic)."""
    pending, seen = [node], set()
    while pending:
        if id(current := pending.pop()) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            pending.extend(value for _, value in items_of(current).values())
        elif isinstance(current, yaml.SequenceNode):
            pending.extend(current.value)
