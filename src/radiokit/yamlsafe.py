"""Load a script's YAML safely into plain values that remember their line numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

import yaml

MAX_DEPTH = 20

# Only the tags that plain YAML resolves on its own; anything explicit (!!python/..., !foo) is refused.
_PLAIN_TAGS = {
    "tag:yaml.org,2002:" + name
    for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
}


class YamlProblem(Exception):
    """The text is not a script radiokit can read; `line` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Scalar:
    value: Any
    line: int


@dataclass(frozen=True)
class Seq:
    items: tuple["Node", ...]
    line: int


@dataclass(frozen=True)
class Map:
    # key -> (line of the key, value node); keys are strings as written.
    entries: dict[str, tuple[int, "Node"]]
    line: int


Node = Union[Scalar, Seq, Map]


class _Loader(yaml.SafeLoader):
    """A SafeLoader that refuses anchors, aliases and runaway nesting before anything is built from them."""

    depth = 0  # how many maps and lists enclose the node being composed

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: ANN401 - PyYAML's signature
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise YamlProblem(event.start_mark.line + 1,
                              "YAML anchors and aliases (&name, *name) are not allowed: write the value out")
        # PyYAML composes nested nodes recursively: bounding the depth here stops a few kB of brackets
        # long before they reach Python's recursion limit.
        if self.depth > MAX_DEPTH:
            raise YamlProblem(event.start_mark.line + 1, f"the script nests deeper than {MAX_DEPTH} levels: a script "
                                                         "needs far fewer; look for unclosed or runaway brackets")
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def load(text: str) -> Node:
    """Parse YAML text into located nodes; raises YamlProblem for anything but plain maps, lists, scalars."""
    if "\x00" in text:
        raise YamlProblem(1, "the file contains binary data, not a YAML script")
    try:
        # The reader checks every character as the loader is made: a control character fails here.
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise YamlProblem(line, f"the file contains a control character (#x{exc.character:04x}) that YAML does not "
                                "allow: delete it (it may have come from a copy and paste)") from None
    try:
        root = loader.get_single_node()
        if root is None:
            raise YamlProblem(1, "the script is empty: start from `radiokit init` or the format reference")
        return _convert(root, loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlProblem(line, f"YAML syntax error: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise YamlProblem(1, f"YAML syntax error: {exc}") from exc
    finally:
        loader.dispose()


def _convert(node: yaml.Node, loader: _Loader) -> Node:
    line = node.start_mark.line + 1
    if node.tag not in _PLAIN_TAGS:
        raise YamlProblem(line, f"YAML tag {node.tag!r} is not allowed: remove it and write a plain value")
    if isinstance(node, yaml.MappingNode):
        entries: dict[str, tuple[int, Node]] = {}
        for key_node, value_node in node.value:
            key = _convert(key_node, loader)
            if not isinstance(key, Scalar) or isinstance(key.value, (dict, list)) or key.value is None:
                raise YamlProblem(key_node.start_mark.line + 1, "a key must be a plain word")
            name = str(key.value)
            if name in entries:
                raise YamlProblem(key.line, f"key {name!r} appears twice in the same map: keep one")
            entries[name] = (key.line, _convert(value_node, loader))
        return Map(entries, line)
    if isinstance(node, yaml.SequenceNode):
        return Seq(tuple(_convert(item, loader) for item in node.value), line)
    try:
        return Scalar(loader.construct_object(node, deep=True), line)
    except ValueError:
        # What the resolver takes for a date or a number its constructor may still refuse (2012-02-30, an integer
        # longer than Python converts): it stays the text it was written as, and a key that wants a date or a
        # number says so with its own name and line.
        return Scalar(node.value, line)
