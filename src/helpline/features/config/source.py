"""Reading YAML while keeping where each value came from.

PyYAML's composed node tree carries the line of every key and value; the walk below records,
for each path (``("queues", 2, "offer_timeout_s")``), the line to blame in a message.

The loader reads YAML the way operators expect rather than by YAML 1.1's surprises: ``9:30``
stays the text "9:30" (not 570, sexagesimal), and only ``true``/``false`` are booleans (``no``,
``off`` and ``on`` stay text). A key given twice in one mapping is reported instead of the last
one silently winning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from helpline.features.config.problems import Path

# libyaml's parser when PyYAML was built with it (about ten times faster on large files).
_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[valid-type,misc]
    pass


# Rebuild the implicit resolvers without YAML 1.1's sexagesimal numbers and yes/no/on/off.
_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
# The float resolver also accepts sexagesimal; keep only the decimal forms.
for _first in list(_Loader.yaml_implicit_resolvers):
    _Loader.yaml_implicit_resolvers[_first] = [
        (tag, rx) for tag, rx in _Loader.yaml_implicit_resolvers[_first] if tag != "tag:yaml.org,2002:float"
    ]
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


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
