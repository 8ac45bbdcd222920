"""The SIP edge: UDP and TCP transports, the registrar for agents' phones, trunks and the call
policy, and the call legs (UAS and UAC) the voice layer drives."""

from helpline.edge.sip.calls import InboundCall, LegState, OutboundCall, SipCall
from helpline.edge.sip.endpoint import CallHandler, SipEndpoint
from helpline.edge.sip.ratelimit import TokenBuckets
from helpline.edge.sip.registrar import Binding, Registrar, RegistrationChange

__all__ = [
    "Binding",
    "CallHandler",
    "InboundCall",
    "LegState",
    "OutboundCall",
    "Registrar",
    "RegistrationChange",
    "SipCall",
    "SipEndpoint",
    "TokenBuckets",
]
