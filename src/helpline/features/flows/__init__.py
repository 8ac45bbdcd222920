"""IVR flows as files: the YAML format, its checks and loading, and the driver that carries out
an interpreter's HTTP lookups."""

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
