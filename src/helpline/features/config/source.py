"""Reading YAML while keeping where each value came from.

PyYAML's composed node tree carries the line of every key and value; the walk below records,
for each path (``("queues", 2, "offer_timeout_s")``), the line to blame in a message.

The loader reads YAML the way operators expect rather than by YAML 1.1's surprises: ``9:30``
stays the text "9:30" (not 570, sexagesimal), and only ``true``/``false`` are booleans (``no``,
``off`` and ``on`` stay text). A key given twice in one mapping is reported instead of the last
one silently winning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from helpline.features.config.problems import Path
from helpline.yaml_rules import use_plain_scalars

# libyaml's parser when PyYAML was built with it (about ten times faster on large files).
_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[valid-type,misc]
    pass


# YAML 1.2 scalars: no sexagesimal numbers, no yes/no/on/off booleans.
use_plain_scalars(_Loader)


@dataclass
class SourceMap:
    """Lines (1-based) of the values in one YAML document, by path."""

    source: str
    lines: dict[Path, int] = field(default_factory=dict)

    def line(self, path: Path) -> int | None:
        """The line of ``path`` or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


@dataclass(frozen=True, slots=True)
class YamlProblem:
    line: int | None
    path: Path
    message: str


def read_yaml(text: str, source: str) -> tuple[Any, SourceMap, list[YamlProblem]]:
    """Parse one YAML document; returns the data, the source map and duplicate-key problems.

    Raises ``yaml.YAMLError`` for text that is not YAML; its ``problem_mark`` has the line.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        smap = SourceMap(source)
        problems: list[YamlProblem] = []
        if node is None:
            return None, smap, problems
        smap.lines[()] = node.start_mark.line + 1
        _walk(node, (), smap, problems)
        data = loader.construct_document(node)
        return data, smap, problems
    finally:
        loader.dispose()


def _scalar_key(node: Node) -> str | int | None:
    if isinstance(node, ScalarNode):
        return str(node.value)
    return None


def _walk(node: Node, path: Path, smap: SourceMap, problems: list[YamlProblem]) -> None:
    if isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            smap.lines.setdefault(path + (index,), item.start_mark.line + 1)
            _walk(item, path + (index,), smap, problems)
    elif isinstance(node, MappingNode):
        seen: dict[str | int, int] = {}
        merged: list[Node] = []
        for key_node, value_node in node.value:
            key = _scalar_key(key_node)
            if key is None:
                continue
            if key == "<<" and key_node.tag == "tag:yaml.org,2002:merge":
                merged.extend(value_node.value if isinstance(value_node, SequenceNode) else [value_node])
                continue
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(
                    YamlProblem(
                        line, path + (key,), f"given twice in one mapping (first at line {seen[key]})"
                    )
                )
                continue
            seen[key] = line
            smap.lines[path + (key,)] = line
            _walk(value_node, path + (key,), smap, problems)
        # Keys merged in with ``<<: *anchor`` point at the anchor, unless given here.
        for source in merged:
            if isinstance(source, MappingNode):
                for key_node, value_node in source.value:
                    key = _scalar_key(key_node)
                    if key is not None and path + (key,) not in smap.lines:
                        smap.lines[path + (key,)] = key_node.start_mark.line + 1
                        _walk(value_node, path + (key,), smap, problems)
