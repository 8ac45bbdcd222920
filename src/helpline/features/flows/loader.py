"""Load a flow from YAML, check it whole, and build the interpreter's ``Flow``.

Every problem is collected (not just the first) and named by file, line, column and field,
using the positions PyYAML keeps on the document's nodes:

- YAML syntax errors and duplicate keys (PyYAML would silently keep the last one);
- field errors (unknown node type, unknown or missing field, keys that are not DTMF digits,
  negative timeouts, bad templates, bad regular expressions, unknown time zones);
- references: ``start``, ``next`` and the other links must name a node, ``schedule`` one of the
  flow's schedules, ``{const.NAME}`` a constant, and queue ids a known queue (when the tenant's
  queue ids are given);
- warnings: nodes no call can reach, variables read but never set.

YAML 1.1 reads an unquoted ``20:00`` as the number 1200 (base 60); the loader keeps such
values as text so that opening hours can be written unquoted.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from helpline.core.config import OpenHours
from helpline.core.hours import Schedule
from helpline.core.ivr.nodes import (
    BranchCase,
    BranchNode,
    CollectNode,
    Flow,
    HangupNode,
    HoursNode,
    HttpNode,
    MenuNode,
    Node,
    PlayNode,
    Prompt,
    PromptSpec,
    QueueNode,
    ResultMapping,
    Retry,
    SetNode,
    VoicemailNode,
)
from helpline.core.ivr.template import Template
from helpline.features.flows.models import FlowIssue, FlowValidationError, LoadedFlow, Severity
from helpline.features.flows.schemas import (
    NODE_TYPES,
    BranchSchema,
    CollectSchema,
    FlowSchema,
    HangupSchema,
    HoursSchema,
    HttpSchema,
    MenuSchema,
    NodeSchema,
    PlaySchema,
    PromptPartSchema,
    QueueSchema,
    ScheduleSchema,
    SetSchema,
    VoicemailSchema,
)

__all__ = ["CALL_VARIABLES", "check_flow", "load_flow", "load_flows", "parse_flow"]

CALL_VARIABLES = ("caller", "called")  # every call brings these (caller id, dialed number)

_NODE_ADAPTER: TypeAdapter[Any] = TypeAdapter(NodeSchema)
_SCHEMAS: dict[str, type[BaseModel]] = {
    "play": PlaySchema,
    "menu": MenuSchema,
    "collect": CollectSchema,
    "http": HttpSchema,
    "set": SetSchema,
    "branch": BranchSchema,
    "hours": HoursSchema,
    "queue": QueueSchema,
    "voicemail": VoicemailSchema,
    "hangup": HangupSchema,
}
Loc = tuple[str | int, ...]


class _FlowYaml(yaml.SafeLoader):
    """Safe YAML, except that base-60 numbers (``20:00``) stay text."""


def _int_or_text(loader: _FlowYaml, node: yaml.ScalarNode) -> Any:
    if ":" in str(node.value):
        return loader.construct_scalar(node)
    return loader.construct_yaml_int(node)


def _float_or_text(loader: _FlowYaml, node: yaml.ScalarNode) -> Any:
    if ":" in str(node.value):
        return loader.construct_scalar(node)
    return loader.construct_yaml_float(node)


def _date_or_text(loader: _FlowYaml, node: yaml.ScalarNode) -> Any:
    # An impossible date (2026-13-01) is left as text for the field check to name it.
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


_FlowYaml.add_constructor("tag:yaml.org,2002:int", _int_or_text)
_FlowYaml.add_constructor("tag:yaml.org,2002:timestamp", _date_or_text)
_FlowYaml.add_constructor("tag:yaml.org,2002:float", _float_or_text)


def load_flow(
    path: str | Path,
    *,
    known_queues: Collection[str] | None = None,
    constants: Mapping[str, str] | None = None,
) -> LoadedFlow:
    """Read and check a flow file; raise ``FlowValidationError`` listing every error.

    ``constants`` override (or add to) the file's constants, e.g. the base URL of a service
    that differs per installation.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowValidationError([FlowIssue(str(path), 0, 0, "", f"cannot read the file: {exc}")]) from exc
    return parse_flow(text, file=str(path), known_queues=known_queues, constants=constants)


def load_flows(
    directory: str | Path,
    *,
    known_queues: Collection[str] | None = None,
    constants: Mapping[str, str] | None = None,
) -> dict[str, LoadedFlow]:
    """Every ``*.yaml``/``*.yml`` flow in a folder, by flow name; all files' errors at once."""
    loaded: dict[str, LoadedFlow] = {}
    issues: list[FlowIssue] = []
    for path in sorted([*Path(directory).glob("*.yaml"), *Path(directory).glob("*.yml")]):
        try:
            flow = load_flow(path, known_queues=known_queues, constants=constants)
        except FlowValidationError as exc:
            issues.extend(exc.issues)
            continue
        if flow.flow.name in loaded:
            issues.append(
                FlowIssue(
                    str(path),
                    1,
                    1,
                    "name",
                    f"flow name {flow.flow.name!r} is also used by {loaded[flow.flow.name].file}",
                )
            )
            continue
        loaded[flow.flow.name] = flow
    if any(i.severity is Severity.ERROR for i in issues):
        raise FlowValidationError(issues)
    return loaded


def parse_flow(
    text: str,
    *,
    file: str = "<flow>",
    known_queues: Collection[str] | None = None,
    constants: Mapping[str, str] | None = None,
) -> LoadedFlow:
    flow, issues = check_flow(text, file=file, known_queues=known_queues, constants=constants)
    if flow is None or any(i.severity is Severity.ERROR for i in issues):
        raise FlowValidationError(issues)
    return LoadedFlow(flow, file, tuple(issues))


def check_flow(
    text: str,
    *,
    file: str = "<flow>",
    known_queues: Collection[str] | None = None,
    constants: Mapping[str, str] | None = None,
) -> tuple[Flow | None, list[FlowIssue]]:
    """All issues of a flow text (errors and warnings, in file order) and the flow when it has
    no errors."""
    checker = _Checker(file, known_queues, constants)
    flow = checker.run(text)
    issues = sorted(checker.issues, key=lambda i: (i.line, i.column, i.severity != Severity.ERROR))
    has_errors = any(i.severity is Severity.ERROR for i in issues)
    return (None if has_errors else flow), issues


class _Checker:
    def __init__(self, file: str, known_queues: Collection[str] | None, constants: Mapping[str, str] | None):
        self.file = file
        self.known_queues = None if known_queues is None else frozenset(known_queues)
        self.overrides = dict(constants or {})
        self.issues: list[FlowIssue] = []
        self.root: yaml.Node | None = None

    # -- reporting ------------------------------------------------------------------------------

    def report(self, loc: Loc, message: str, *, at_key: bool = False, warning: bool = False) -> None:
        line = column = 0
        node = self.root
        if node is not None:
            line, column = node.start_mark.line + 1, node.start_mark.column + 1
        for element in loc:
            found = _child(node, element) if node is not None else None
            if found is None:
                continue
            key, node = found
            mark = (key if at_key else node).start_mark
            line, column = mark.line + 1, mark.column + 1
        severity = Severity.WARNING if warning else Severity.ERROR
        self.issues.append(
            FlowIssue(self.file, line, column, ".".join(str(e) for e in loc), message, severity)
        )

    def report_pydantic(self, prefix: Loc, error: ValidationError, node_type: str | None = None) -> None:
        for err in error.errors():
            loc: Loc = tuple(err["loc"])
            if node_type is not None and loc[:1] == (node_type,):
                loc = loc[1:]  # the discriminated union puts the node type first
            at_key = "[key]" in loc or err["type"] == "extra_forbidden"
            loc = tuple(e for e in loc if e != "[key]")
            if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
                loc = ("type",)
            self.report(prefix + loc, _message(err, node_type), at_key=at_key)

    # -- the checks -----------------------------------------------------------------------------

    def run(self, text: str) -> Flow | None:
        data = self.read(text)
        if data is None:
            return None
        if not isinstance(data, dict):
            self.report((), "a flow is a mapping with 'start' and 'nodes'")
            return None
        try:
            top = FlowSchema.model_validate(data)
        except ValidationError as exc:
            self.report_pydantic((), exc)
            top = None
        raw_nodes = data.get("nodes")
        schemas: dict[str, BaseModel] = {}
        names: set[str] = set()
        if isinstance(raw_nodes, dict):
            for name, raw in raw_nodes.items():
                names.add(str(name))
                node_type = raw.get("type") if isinstance(raw, dict) else None
                try:
                    schemas[str(name)] = _NODE_ADAPTER.validate_python(raw)
                except ValidationError as exc:
                    self.report_pydantic(
                        ("nodes", str(name)), exc, node_type if isinstance(node_type, str) else None
                    )
        if top is None:
            return None
        constants = {**top.constants, **self.overrides}
        self.check_references(top, schemas, names, constants)
        if len(schemas) != len(names):
            return None
        flow = Flow(
            name=top.name or Path(self.file).stem,
            start=top.start,
            nodes={name: _build(name, schema) for name, schema in schemas.items()},
            constants=constants,
            schedules={name: _schedule(s) for name, s in top.schedules.items()},
            max_node_visits=top.max_node_visits,
        )
        for name in sorted(set(flow.nodes) - flow.reachable()):
            self.report(("nodes", name), "no call can reach this node", at_key=True, warning=True)
        for cycle in _instant_cycles(flow):
            self.report(("nodes", cycle[0]), f"{' > '.join([*cycle, cycle[0]])} loops without waiting for the "
                        "caller; the loop guard will hang up such calls", at_key=True, warning=True)
        self.check_variables(top, schemas)
        return flow

    def read(self, text: str) -> Any:
        loader = _FlowYaml(text)
        try:
            self.root = loader.get_single_node()
            if self.root is None:
                self.report((), "the file is empty")
                return None
            for message, loc_node in _duplicates(self.root):
                self.issues.append(
                    FlowIssue(
                        self.file, loc_node.start_mark.line + 1, loc_node.start_mark.column + 1, "", message
                    )
                )
            return loader.construct_document(self.root)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            what = " ".join(str(p) for p in (exc.context, exc.problem) if p)
            line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
            self.issues.append(FlowIssue(self.file, line, column, "", f"YAML syntax: {what}"))
            return None
        except yaml.YAMLError as exc:
            self.issues.append(FlowIssue(self.file, 0, 0, "", f"YAML: {exc}"))
            return None
        finally:
            loader.dispose()

    def check_references(
        self, top: FlowSchema, schemas: Mapping[str, BaseModel], names: set[str], constants: Mapping[str, str]
    ) -> None:
        def node_ref(loc: Loc, target: str) -> None:
            if target not in names:
                self.report(loc, f"no node named {target!r}{_did_you_mean(target, names)}")

        def queue_ref(loc: Loc, queue: str | None) -> None:
            if queue is not None and self.known_queues is not None and queue not in self.known_queues:
                self.report(loc, f"unknown queue {queue!r}{_did_you_mean(queue, self.known_queues)}")

        node_ref(("start",), top.start)
        for name, schema in schemas.items():
            for field, target in _build(name, schema).targets():
                node_ref(("nodes", name, *_split(field)), target)
            if isinstance(schema, HoursSchema):
                if schema.schedule is not None and schema.schedule not in top.schedules:
                    self.report(
                        ("nodes", name, "schedule"),
                        f"no schedule named {schema.schedule!r}{_did_you_mean(schema.schedule, top.schedules)}",
                    )
                queue_ref(("nodes", name, "queue"), schema.queue)
            elif isinstance(schema, QueueSchema | VoicemailSchema):
                queue_ref(("nodes", name, "queue"), schema.queue)
            for loc, source in _templates(schema):
                for placeholder in Template.parse(source).names:
                    const = placeholder.removeprefix("const.")
                    if placeholder.startswith("const.") and const not in constants:
                        self.report(
                            ("nodes", name, *loc),
                            f"no constant named {const!r}{_did_you_mean(const, constants)}",
                        )

    def check_variables(self, top: FlowSchema, schemas: Mapping[str, BaseModel]) -> None:
        known = set(CALL_VARIABLES) | set(top.variables)
        for schema in schemas.values():
            if isinstance(schema, CollectSchema):
                known.add(schema.variable)
            elif isinstance(schema, HttpSchema):
                known.update(schema.results)
                known.update([schema.status_variable] if schema.status_variable else [])
            elif isinstance(schema, SetSchema):
                known.update(schema.values)
        for name, schema in schemas.items():
            used: list[tuple[Loc, str]] = [
                (loc, p)
                for loc, source in _templates(schema)
                for p in Template.parse(source).names
                if not p.startswith("const.")
            ]
            if isinstance(schema, BranchSchema):
                used.append((("variable",), schema.variable))
            for variable in sorted({v for _, v in used} - known):
                loc = next(loc for loc, v in used if v == variable)
                self.report(
                    ("nodes", name, *loc),
                    f"variable {variable!r} is never set in this flow"
                    f"{_did_you_mean(variable, known)} (declare call variables under 'variables')",
                    warning=True,
                )


def _instant_cycles(flow: Flow) -> list[list[str]]:
    """Cycles made only of nodes that do not wait (set, branch, hours), each once."""
    instant = {name for name, node in flow.nodes.items() if isinstance(node, SetNode | BranchNode | HoursNode)}
    edges = {name: [t for _, t in flow.nodes[name].targets() if t in instant] for name in instant}

    def reach(start: str) -> set[str]:
        seen: set[str] = set()
        todo = list(edges[start])
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(edges[name])
        return seen

    reaches = {name: reach(name) for name in instant}
    cycles: dict[frozenset[str], list[str]] = {}
    for name in sorted(instant):
        if name in reaches[name]:
            members = frozenset(m for m in reaches[name] if name in reaches[m])
            cycles.setdefault(members, sorted(members))
    return list(cycles.values())


def _child(node: yaml.Node, key: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == str(key):
                return k, v
    elif isinstance(node, yaml.SequenceNode):
        index = int(key) if isinstance(key, int) or str(key).isdigit() else -1
        if 0 <= index < len(node.value):
            return node.value[index], node.value[index]
    return None


def _duplicates(node: yaml.Node) -> Iterator[tuple[str, yaml.Node]]:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, yaml.Node] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    first = seen[key.value].start_mark.line + 1
                    yield f"duplicate key {key.value!r} (first at line {first}); only one may be given", key
                else:
                    seen[key.value] = key
            yield from _duplicates(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _duplicates(item)


def _message(err: Any, node_type: str | None) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "union_tag_invalid":
        return f"unknown node type {ctx.get('tag')!r} (one of: {', '.join(NODE_TYPES)})"
    if kind == "union_tag_not_found":
        return f"a node needs a 'type' (one of: {', '.join(NODE_TYPES)})"
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        field = str(err["loc"][-1])
        schema = _SCHEMAS.get(node_type or "")
        known = list(schema.model_fields) if schema is not None and len(err["loc"]) == 2 else []
        return f"unknown field {field!r}{_did_you_mean(field, known)}"
    if kind == "greater_than_equal" and ctx.get("ge") == 0:
        return f"must not be negative (got {err['input']!r})"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    message = str(err["msg"])
    value = err.get("input")
    if isinstance(value, str | int | float) and len(str(value)) < 60:
        message += f" (got {value!r})"
    return message


def _did_you_mean(word: str, choices: Collection[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _split(field: str) -> Loc:
    return tuple(field.split("."))


def _templates(schema: BaseModel) -> Iterator[tuple[Loc, str]]:
    """Every template text of a node, with its place."""

    def prompt(field: str, parts: list[PromptPartSchema]) -> Iterator[tuple[Loc, str]]:
        for i, part in enumerate(parts):
            for attr in ("file", "text"):
                value = getattr(part, attr)
                if value is not None:
                    yield (field, i, attr), value

    def json_strings(loc: Loc, value: Any) -> Iterator[tuple[Loc, str]]:
        if isinstance(value, str):
            yield loc, value
        elif isinstance(value, dict):
            for k, v in value.items():
                yield from json_strings((*loc, str(k)), v)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                yield from json_strings((*loc, i), v)

    for field in ("prompt", "timeout_prompt", "invalid_prompt"):
        parts = getattr(schema, field, None)
        if parts:
            yield from prompt(field, parts)
    if isinstance(schema, HttpSchema):
        yield ("url",), schema.url
        for header, value in schema.headers.items():
            yield ("headers", header), value
        yield from json_strings(("body",), schema.body)
    elif isinstance(schema, SetSchema):
        for variable, value in schema.values.items():
            yield ("values", variable), value
    elif isinstance(schema, QueueSchema):
        if schema.priority is not None:
            yield ("priority",), schema.priority
        for i, skill in enumerate(schema.skills):
            yield ("skills", i), skill


def _prompt(parts: list[PromptPartSchema]) -> Prompt:
    return tuple(
        PromptSpec(
            file=None if p.file is None else Template.parse(p.file),
            text=None if p.text is None else Template.parse(p.text),
        )
        for p in parts
    )


def _retry(schema: MenuSchema | CollectSchema) -> Retry:
    return Retry(
        schema.retries, _prompt(schema.timeout_prompt), _prompt(schema.invalid_prompt), schema.fallback
    )


def _json_template(value: Any) -> object:
    if isinstance(value, str):
        return Template.parse(value)
    if isinstance(value, dict):
        return {str(k): _json_template(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_template(v) for v in value]
    return value


def _result(variable: str, path: str) -> ResultMapping:
    return ResultMapping(variable, tuple(path.removesuffix("?").split(".")), optional=path.endswith("?"))


def _build(name: str, s: BaseModel) -> Node:
    if isinstance(s, PlaySchema):
        return PlayNode(name, _prompt(s.prompt), s.next, s.barge_in)
    if isinstance(s, MenuSchema):
        return MenuNode(name, _prompt(s.prompt), dict(s.options), s.timeout_s, _retry(s), s.barge_in)
    if isinstance(s, CollectSchema):
        return CollectNode(
            name,
            _prompt(s.prompt),
            s.variable,
            s.next,
            s.min_digits,
            s.max_digits,
            s.terminator,
            s.first_digit_timeout_s,
            s.inter_digit_timeout_s,
            _retry(s),
            s.barge_in,
        )
    if isinstance(s, HttpSchema):
        return HttpNode(
            name,
            s.method,
            Template.parse(s.url),
            s.next,
            s.on_error,
            s.timeout_s,
            tuple((k, Template.parse(v)) for k, v in s.headers.items()),
            _json_template(s.body),
            tuple(_result(k, v) for k, v in s.results.items()),
            s.status_variable,
        )
    if isinstance(s, SetSchema):
        return SetNode(name, tuple((k, Template.parse(v)) for k, v in s.values.items()), s.next)
    if isinstance(s, BranchSchema):
        cases = tuple(
            BranchCase(
                c.next,
                c.equals,
                None if c.in_ is None else tuple(c.in_),
                None if c.regex is None else re.compile(c.regex),
            )
            for c in s.cases
        )
        return BranchNode(name, s.variable, cases, s.default)
    if isinstance(s, HoursSchema):
        return HoursNode(name, s.open, s.closed, s.schedule, s.queue)
    if isinstance(s, QueueSchema):
        return QueueNode(
            name,
            s.queue,
            None if s.priority is None else Template.parse(s.priority),
            tuple(Template.parse(x) for x in s.skills),
            None if s.attributes is None else tuple(s.attributes),
        )
    if isinstance(s, VoicemailSchema):
        return VoicemailNode(
            name,
            _prompt(s.prompt),
            s.max_length_s,
            s.beep,
            s.queue,
            s.barge_in,
            None if s.attributes is None else tuple(s.attributes),
        )
    assert isinstance(s, HangupSchema)
    return HangupNode(name, s.reason)


def _schedule(s: ScheduleSchema) -> Schedule:
    hours = tuple(OpenHours(tuple(sorted(set(h.days))), h.opens, h.closes) for h in s.hours)
    return Schedule(s.timezone, hours, tuple(s.holidays))
