"""IVR flows: the flow model, the inputs and commands exchanged with the voice edge, and the
pure per-call interpreter."""

from helpline.core.ivr.commands import (
    FlowCommand,
    Hangup,
    HttpRequest,
    Play,
    PromptPart,
    RecordVoicemail,
    StopPlayback,
    ToQueue,
)
from helpline.core.ivr.inputs import (
    CallerHungUp,
    CallStarted,
    DigitReceived,
    FlowInput,
    HttpResult,
    PlaybackFinished,
    TimerFired,
)
from helpline.core.ivr.interpreter import CallState, FlowInterpreter, IllegalInput
from helpline.core.ivr.nodes import Flow, Node, NodeKind
from helpline.core.ivr.template import Template, TemplateError

__all__ = [
    "CallState",
    "CallStarted",
    "CallerHungUp",
    "DigitReceived",
    "Flow",
    "FlowCommand",
    "FlowInput",
    "FlowInterpreter",
    "Hangup",
    "HttpRequest",
    "HttpResult",
    "IllegalInput",
    "Node",
    "NodeKind",
    "Play",
    "PlaybackFinished",
    "PromptPart",
    "RecordVoicemail",
    "StopPlayback",
    "Template",
    "TemplateError",
    "TimerFired",
    "ToQueue",
]
