"""YAML 1.2's plain scalars for our configuration files.

PyYAML follows YAML 1.1, where ``9:30`` is the sexagesimal number 570 and ``no`` is False: an
operator writing an opening time or a country code gets a baffling error. Our loaders use these
resolvers instead: integers and floats in decimal (and 0x/0o/0b), booleans only as true/false,
and, where a loader asks for it, dates and timestamps left as text for its own parser.
"""

from __future__ import annotations

import re
from typing import Any

_INT = re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$")
_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_REPLACED = ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


def use_plain_scalars(loader: Any, *, timestamps: bool = True) -> None:
    """Give ``loader`` (a SafeLoader subclass) YAML 1.2-style implicit types, in place."""
    dropped = _REPLACED if timestamps else (*_REPLACED, "tag:yaml.org,2002:timestamp")
    loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in dropped]
        for first, resolvers in loader.yaml_implicit_resolvers.items()
    }
    loader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL, list("tTfF"))
    loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
    loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))
