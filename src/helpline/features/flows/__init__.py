"""IVR flows: the YAML format, its checks and loading, the store that keeps each tenant's flows
(``service``), and the driver that carries out an interpreter's HTTP lookups."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from helpline.features.flows.loader import CALL_VARIABLES, check_flow, load_flow, load_flows, parse_flow
    from helpline.features.flows.models import FlowIssue, FlowValidationError, LoadedFlow, Severity

__all__ = [
    "CALL_VARIABLES",
    "FlowIssue",
    "FlowValidationError",
    "LoadedFlow",
    "Severity",
    "check_flow",
    "load_flow",
    "load_flows",
    "parse_flow",
]

# Resolved on first use (PEP 562): the command line imports ``flows.commands`` at start-up, and
# the loader's pydantic schemas would otherwise be built then for every command.
_HOME = {
    "CALL_VARIABLES": "loader",
    "check_flow": "loader",
    "load_flow": "loader",
    "load_flows": "loader",
    "parse_flow": "loader",
    "FlowIssue": "models",
    "FlowValidationError": "models",
    "LoadedFlow": "models",
    "Severity": "models",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
