"""The YAML (and, later, API) shape of a flow, checked field by field with pydantic.

A flow file::

    name: parcelo                  # defaults to the file name
    start: check_hours             # the first node
    variables: [account]           # call variables set before the flow (caller, called always)
    max_node_visits: 100           # loop guard per call
    constants: {tracking_url: "http://127.0.0.1:8470"}   # {const.tracking_url} in templates
    schedules:
      office:
        timezone: Europe/Amsterdam
        hours: [{days: [mon-fri], opens: "08:00", closes: "20:00"}]
        holidays: [2026-12-25]
    nodes:
      check_hours: {type: hours, schedule: office, open: welcome, closed: voicemail}
      ...

Node types: play, menu, collect, http, set, branch, hours, queue, voicemail, hangup (see the
node classes below for their fields). A prompt is text (for TTS), ``{file: name}``,
``{text: ...}`` or a list of those. Text fields are templates (``{variable}``,
``{variable:digits}``, ``{const.name}``).

Cross-references (does ``next`` name a node, does the queue exist) are the loader's job: it
needs the whole flow and the tenant's queues.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from helpline.core.hours import valid_timezone
from helpline.core.ivr.nodes import DTMF_KEYS
from helpline.core.ivr.template import Template, TemplateError

__all__ = ["NODE_TYPES", "FlowSchema", "NodeSchema", "PromptPartSchema", "ScheduleSchema"]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}


def _template(value: str) -> str:
    try:
        Template.parse(value)
    except TemplateError as exc:
        raise ValueError(f"bad template: {exc}") from None
    return value


def _identifier(value: str) -> str:
    if not _IDENTIFIER.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a variable name (letters, digits and _, not starting with a digit)"
        )
    return value


def _scalar_text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


TemplateText = Annotated[str, BeforeValidator(_scalar_text), AfterValidator(_template)]
VariableName = Annotated[str, AfterValidator(_identifier)]
NodeName = Annotated[str, Field(min_length=1)]
Timeout = Annotated[float, Field(ge=0, le=3600)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PromptPartSchema(_Strict):
    file: TemplateText | None = None
    text: TemplateText | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> PromptPartSchema:
        if (self.file is None) == (self.text is None):
            raise ValueError("a prompt part has either 'file' or 'text'")
        return self


def _prompt(value: Any) -> Any:
    """Text, ``{file: ...}``/``{text: ...}``, or a list of those: always a list of parts."""
    items = value if isinstance(value, list) else [value]
    parts: list[Any] = []
    for item in items:
        if isinstance(item, str):
            parts.append({"text": item})
        elif isinstance(item, dict):
            parts.append(item)
        else:
            raise ValueError("a prompt is text, {file: ...}, {text: ...} or a list of those")
    return parts


Prompt = Annotated[list[PromptPartSchema], BeforeValidator(_prompt)]


def _dtmf(value: str) -> str:
    if value not in DTMF_KEYS:
        raise ValueError(f"{value!r} is not a single DTMF key (0-9, *, #, A-D)")
    return value


DtmfKey = Annotated[str, BeforeValidator(_scalar_text), AfterValidator(_dtmf)]


class _Retries(_Strict):
    retries: int = Field(2, ge=0, le=20)
    timeout_prompt: Prompt = []
    invalid_prompt: Prompt = []
    fallback: NodeName | None = None
    barge_in: bool = True


class PlaySchema(_Strict):
    type: Literal["play"]
    description: str = ""
    prompt: Prompt = Field(min_length=1)
    next: NodeName
    barge_in: bool = False


class MenuSchema(_Retries):
    type: Literal["menu"]
    description: str = ""
    prompt: Prompt = Field(min_length=1)
    options: dict[DtmfKey, NodeName] = Field(min_length=1)
    timeout_s: Timeout = 5.0

    @field_validator("options", mode="before")
    @classmethod
    def _keys_as_text(cls, value: Any) -> Any:
        # YAML reads `1: track` with an integer key.
        if isinstance(value, dict):
            return {_scalar_text(k): v for k, v in value.items()}
        return value


class CollectSchema(_Retries):
    type: Literal["collect"]
    description: str = ""
    prompt: Prompt = Field(min_length=1)
    variable: VariableName
    next: NodeName
    min_digits: int = Field(1, ge=1, le=64)
    max_digits: int = Field(20, ge=1, le=64)
    terminator: DtmfKey | None = "#"
    first_digit_timeout_s: Timeout = 5.0
    inter_digit_timeout_s: Timeout = 3.0

    @field_validator("max_digits")
    @classmethod
    def _digit_range(cls, value: int, info: ValidationInfo) -> int:
        # A field validator (not a model one) so that it runs even when other fields are wrong.
        minimum = info.data.get("min_digits")
        if minimum is not None and value < minimum:
            raise ValueError(f"less than min_digits ({minimum})")
        return value


class HttpSchema(_Strict):
    type: Literal["http"]
    description: str = ""
    method: Literal["GET", "POST"] = "GET"
    url: TemplateText
    timeout_s: float = Field(3.0, gt=0, le=60)
    headers: dict[str, TemplateText] = {}
    body: Any = None
    results: dict[VariableName, str] = {}
    status_variable: VariableName | None = None
    next: NodeName
    on_error: NodeName

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"(https?://|\{const\.)", value):
            raise ValueError("the URL must start with http://, https:// or a {const.NAME} base")
        return value

    @field_validator("body")
    @classmethod
    def _json_templates(cls, value: Any) -> Any:
        _check_json(value)
        return value

    @field_validator("results")
    @classmethod
    def _paths(cls, value: dict[str, str]) -> dict[str, str]:
        for variable, path in value.items():
            if not re.fullmatch(r"[^.?\s]+(\.[^.?\s]+)*\??", path):
                raise ValueError(
                    f"{variable}: {path!r} is not a path like 'status' or 'parcel.eta' ('?' = optional)"
                )
        return value


def _check_json(value: Any) -> None:
    if isinstance(value, str):
        _template(value)
    elif isinstance(value, dict):
        for v in value.values():
            _check_json(v)
    elif isinstance(value, list):
        for v in value:
            _check_json(v)
    elif not (value is None or isinstance(value, bool | int | float)):
        raise ValueError(f"{value!r} is not a JSON value")


class SetSchema(_Strict):
    type: Literal["set"]
    description: str = ""
    values: dict[VariableName, TemplateText] = Field(min_length=1)
    next: NodeName


class BranchCaseSchema(_Strict):
    equals: Annotated[str, BeforeValidator(_scalar_text)] | None = None
    in_: list[Annotated[str, BeforeValidator(_scalar_text)]] | None = Field(None, alias="in")
    regex: str | None = None
    next: NodeName

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _one_test(self) -> BranchCaseSchema:
        given = [name for name in ("equals", "in_", "regex") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("a case has exactly one of 'equals', 'in' or 'regex'")
        return self

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"bad regular expression: {exc}") from None
        return value


class BranchSchema(_Strict):
    type: Literal["branch"]
    description: str = ""
    variable: VariableName
    cases: list[BranchCaseSchema] = Field(min_length=1)
    default: NodeName


class HoursSchema(_Strict):
    type: Literal["hours"]
    description: str = ""
    schedule: str | None = None
    queue: str | None = None
    open: NodeName
    closed: NodeName

    @model_validator(mode="after")
    def _one_source(self) -> HoursSchema:
        if self.schedule is not None and self.queue is not None:
            raise ValueError("give 'schedule' or 'queue', not both")
        return self


class QueueSchema(_Strict):
    type: Literal["queue"]
    description: str = ""
    queue: str = Field(min_length=1)
    priority: TemplateText | None = None
    skills: list[TemplateText] = []
    attributes: list[VariableName] | None = None


class VoicemailSchema(_Strict):
    type: Literal["voicemail"]
    description: str = ""
    prompt: Prompt = []
    max_length_s: float = Field(120.0, gt=0, le=3600)
    beep: bool = True
    queue: str | None = None
    barge_in: bool = True
    attributes: list[VariableName] | None = None


class HangupSchema(_Strict):
    type: Literal["hangup"]
    description: str = ""
    reason: str = "flow ended"


NodeSchema = Annotated[
    PlaySchema
    | MenuSchema
    | CollectSchema
    | HttpSchema
    | SetSchema
    | BranchSchema
    | HoursSchema
    | QueueSchema
    | VoicemailSchema
    | HangupSchema,
    Field(discriminator="type"),
]
NODE_TYPES = ("play", "menu", "collect", "http", "set", "branch", "hours", "queue", "voicemail", "hangup")


def _days(value: Any) -> Any:
    items = value if isinstance(value, list) else [value]
    out: list[Any] = []
    for item in items:
        if isinstance(item, str) and "-" in item:
            first, _, last = item.lower().partition("-")
            if first not in _DAYS or last not in _DAYS:
                raise ValueError(f"{item!r} is not a day range like mon-fri")
            out.extend(
                range(_DAYS[first], _DAYS[last] + 1)
                if _DAYS[first] <= _DAYS[last]
                else [*range(_DAYS[first], 8), *range(1, _DAYS[last] + 1)]
            )
        elif isinstance(item, str):
            if item.lower()[:3] not in _DAYS:
                raise ValueError(f"{item!r} is not a day (mon, tue, ... sun, or 1-7)")
            out.append(_DAYS[item.lower()[:3]])
        else:
            out.append(item)
    return out


def _clock(value: Any) -> Any:
    """Accept 9:00 as well as 09:00."""
    if isinstance(value, str) and re.fullmatch(r"\d:\d\d(:\d\d)?", value.strip()):
        return "0" + value.strip()
    return value


ClockTime = Annotated[time, BeforeValidator(_clock)]


class OpenHoursSchema(_Strict):
    days: Annotated[list[Annotated[int, Field(ge=1, le=7)]], BeforeValidator(_days)] = Field(min_length=1)
    opens: ClockTime
    closes: ClockTime


def _zone(value: str) -> str:
    if not valid_timezone(value):
        raise ValueError(f"unknown time zone {value!r} (use an IANA name like Europe/Amsterdam)")
    return value


class ScheduleSchema(_Strict):
    timezone: Annotated[str, AfterValidator(_zone)] = "UTC"
    hours: list[OpenHoursSchema] = []
    holidays: list[date] = []


class FlowSchema(_Strict):
    """Everything but the nodes, which are checked one by one so that one bad node does not
    hide the errors of the others."""

    name: str | None = None
    description: str = ""
    start: NodeName
    max_node_visits: int = Field(100, ge=1, le=10_000)
    variables: list[VariableName] = []  # what calls bring besides caller and called
    constants: dict[VariableName, Annotated[str, BeforeValidator(_scalar_text)]] = {}
    schedules: dict[str, ScheduleSchema] = {}
    nodes: dict[NodeName, Any] = Field(min_length=1)
