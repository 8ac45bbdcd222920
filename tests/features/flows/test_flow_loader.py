"""Loading flows from YAML: every problem found at once, each naming file, line and field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpline.core.ivr.nodes import CollectNode, HttpNode, MenuNode, PlayNode, ResultMapping
from helpline.features.flows import (
    FlowIssue,
    FlowValidationError,
    Severity,
    check_flow,
    load_flow,
    load_flows,
    parse_flow,
)

PARCELO = Path(__file__).parents[3] / "examples" / "flows" / "parcelo.yaml"


def line_of(text: str, fragment: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if fragment in line:
            return number
    raise AssertionError(fragment)


def errors(text: str, **kwargs: object) -> list[FlowIssue]:
    with pytest.raises(FlowValidationError) as excinfo:
        parse_flow(text, file="flows/test.yaml", **kwargs)  # type: ignore[arg-type]
    return list(excinfo.value.errors)


def find(issues: list[FlowIssue], field: str) -> FlowIssue:
    matching = [i for i in issues if i.field == field]
    assert len(matching) == 1, (field, [str(i) for i in issues])
    return matching[0]


BROKEN = """\
start: welcom
nodes:
  welcome:
    type: play
    prompt: Hi
    next: menu
  menu:
    type: menu
    prompt: Choose
    options:
      1: track
      12: agent
    timeout_s: -1
    fallback: nowhere
  track:
    type: colect
    variable: n
  agent:
    type: queue
    queue: sales
  lookup:
    type: http
    url: "{const.base}/x/{n"
    next: agent
    on_error: agent
    timout_s: 3
  ask:
    type: collect
    prompt: Number?
    variable: 9lives
    next: agent
    min_digits: 6
    max_digits: 4
    terminator: "x"
"""


def test_all_errors_are_collected_with_line_and_field() -> None:
    issues = errors(BROKEN, known_queues={"tracking"})
    expected = {
        "start": ("start: welcom", "no node named 'welcom' (did you mean 'welcome'?)"),
        "nodes.menu.options.12": ("12: agent", "'12' is not a single DTMF key"),
        "nodes.menu.timeout_s": ("timeout_s: -1", "must not be negative (got -1)"),
        "nodes.track.type": (
            "type: colect",
            "unknown node type 'colect' (one of: play, menu, collect, http,",
        ),
        "nodes.lookup.url": ('url: "{const.base}', "bad template: unclosed '{'"),
        "nodes.lookup.timout_s": ("timout_s: 3", "unknown field 'timout_s' (did you mean 'timeout_s'?)"),
        "nodes.ask.variable": ("variable: 9lives", "'9lives' is not a variable name"),
        "nodes.ask.terminator": ('terminator: "x"', "'x' is not a single DTMF key"),
    }
    for field, (fragment, message) in expected.items():
        issue = find(issues, field)
        assert issue.line == line_of(BROKEN, fragment), str(issue)
        assert message in issue.message, str(issue)
        assert str(issue).startswith(f"flows/test.yaml:{issue.line}:{issue.column}: error: {field}: ")
    # A node whose own fields are wrong is not checked for references; the others are.
    assert "nodes.menu.fallback" not in {i.field for i in issues}
    assert find(issues, "nodes.ask.max_digits").message == "less than min_digits (6)"
    assert find(issues, "nodes.ask.max_digits").line == line_of(BROKEN, "max_digits: 4")


def test_references_and_queues_are_checked_once_the_fields_are_right() -> None:
    text = """\
start: menu
schedules:
  office: {timezone: Europe/Amsterdam, hours: [{days: [mon-fri], opens: 08:00, closes: 18:00}]}
nodes:
  menu:
    type: menu
    prompt: Choose
    options: {1: agent, "#": nowhere}
    fallback: agnet
  agent:
    type: queue
    queue: sales
  hours:
    type: hours
    schedule: ofice
    open: agent
    closed: vm
  vm:
    type: voicemail
    queue: claimz
  lookup:
    type: http
    url: "{const.bsae}/x"
    next: agent
    on_error: agent
"""
    issues = errors(text, known_queues={"tracking", "claims"})
    assert str(find(issues, "nodes.menu.options.#")) == (
        f"flows/test.yaml:{line_of(text, 'options:')}:30: error: nodes.menu.options.#: no node named 'nowhere'"
    )
    assert find(issues, "nodes.menu.fallback").message == "no node named 'agnet' (did you mean 'agent'?)"
    assert find(issues, "nodes.agent.queue").message == "unknown queue 'sales'"
    assert find(issues, "nodes.vm.queue").message == "unknown queue 'claimz' (did you mean 'claims'?)"
    assert (
        find(issues, "nodes.hours.schedule").message == "no schedule named 'ofice' (did you mean 'office'?)"
    )
    assert find(issues, "nodes.lookup.url").message == "no constant named 'bsae'"
    assert find(issues, "nodes.hours.schedule").line == line_of(text, "schedule: ofice")


@pytest.mark.parametrize(
    ("fragment", "replacement", "field", "message"),
    [
        (
            "timezone: Europe/Amsterdam",
            "timezone: Europe/Amsterdm",
            "schedules.office.timezone",
            "unknown time zone 'Europe/Amsterdm'",
        ),
        (
            "days: [mon-fri]",
            "days: [mon-fry]",
            "schedules.office.hours.0.days",
            "'mon-fry' is not a day range",
        ),
        ("opens: 08:00", "opens: 25:00", "schedules.office.hours.0.opens", "valid time"),
        ("equals: gold", "regex: '([a-z'", "nodes.br.cases.0.regex", "bad regular expression"),
        (
            "equals: gold",
            "equals: gold\n        in: [a]",
            "nodes.br.cases.0",
            "exactly one of 'equals', 'in' or 'regex'",
        ),
        ("max_length_s: 60", "max_length_s: 0", "nodes.vm.max_length_s", "greater than 0"),
        ("prompt: [Bye]", "prompt: [{file: a.wav, text: b}]", "nodes.vm.prompt.0", "either 'file' or 'text'"),
        (
            "first_digit_timeout_s: 5",
            "first_digit_timeout_s: -0.5",
            "nodes.ask.first_digit_timeout_s",
            "must not be negative",
        ),
        ("type: hangup", "reason: x", "nodes.end.type", "a node needs a 'type'"),
        ("max_node_visits: 10", "max_node_visits: 0", "max_node_visits", "greater than or equal to 1"),
    ],
)
def test_field_errors(fragment: str, replacement: str, field: str, message: str) -> None:
    text = """\
start: ask
max_node_visits: 10
schedules:
  office:
    timezone: Europe/Amsterdam
    hours: [{days: [mon-fri], opens: 08:00, closes: 18:00}]
nodes:
  ask:
    type: collect
    prompt: Number?
    variable: tier
    first_digit_timeout_s: 5
    next: br
  br:
    type: branch
    variable: tier
    cases:
      - equals: gold
        next: vm
    default: end
  vm:
    type: voicemail
    prompt: [Bye]
    max_length_s: 60
  end:
    type: hangup
"""
    assert fragment in text
    broken = text.replace(fragment, replacement)
    issue = find(errors(broken), field)
    assert message in issue.message, str(issue)
    assert (
        issue.line == line_of(broken, replacement.splitlines()[0])
        or field.endswith(".type")
        or (field == "nodes.br.cases.0")
    )
    parse_flow(text)  # the unbroken flow loads


def test_yaml_syntax_errors_and_duplicate_keys_have_lines() -> None:
    syntax = "start: a\nnodes:\n  a: {type: hangup\n  b: x\n"
    (issue,) = errors(syntax)
    assert issue.message.startswith("YAML syntax:")
    assert issue.line >= 3
    duplicate = "start: a\nnodes:\n  a:\n    type: hangup\n  a:\n    type: hangup\n"
    (issue,) = errors(duplicate)
    assert (issue.line, issue.message) == (5, "duplicate key 'a' (first at line 3); only one may be given")
    assert errors("")[0].message == "the file is empty"
    assert errors("- just\n- a list\n")[0].message == "a flow is a mapping with 'start' and 'nodes'"


def test_warnings_for_unreachable_nodes_and_unset_variables() -> None:
    text = """\
start: hello
variables: [account]
nodes:
  hello:
    type: play
    prompt: "Hello {caller:digits}, account {account}, order {order_id}."
    next: end
  orphan:
    type: play
    prompt: never heard
    next: end
  end:
    type: hangup
"""
    loaded = parse_flow(text, file="w.yaml")
    assert [(w.field, w.severity, w.line) for w in loaded.warnings] == [
        ("nodes.hello.prompt.0.text", Severity.WARNING, 6),
        ("nodes.orphan", Severity.WARNING, 8),
    ]
    assert "variable 'order_id' is never set" in loaded.warnings[0].message
    assert loaded.warnings[1].message == "no call can reach this node"
    flow, issues = check_flow(text)
    assert flow is not None and len(issues) == 2


def test_unreadable_file_and_folders_of_flows(tmp_path: Path) -> None:
    with pytest.raises(FlowValidationError) as excinfo:
        load_flow(tmp_path / "missing.yaml")
    assert str(excinfo.value.errors[0]).startswith(
        f"{tmp_path / 'missing.yaml'}: error: cannot read the file"
    )

    (tmp_path / "a.yaml").write_text("start: x\nnodes:\n  x: {type: hangup}\n")
    (tmp_path / "b.yml").write_text("name: a\nstart: x\nnodes:\n  x: {type: hangup}\n")
    (tmp_path / "c.yaml").write_text("start: x\nnodes:\n  x: {type: nope}\n")
    with pytest.raises(FlowValidationError) as excinfo:
        load_flows(tmp_path)
    messages = sorted(str(i) for i in excinfo.value.errors)
    assert len(messages) == 2
    assert "flow name 'a' is also used by" in messages[0]
    assert re.search(r"c\.yaml:3:\d+: error: nodes\.x\.type: unknown node type 'nope'", messages[1])
    (tmp_path / "b.yml").unlink()
    (tmp_path / "c.yaml").unlink()
    assert list(load_flows(tmp_path)) == ["a"]


def test_parcelo_loads_clean_and_builds_the_model() -> None:
    loaded = load_flow(PARCELO, known_queues={"tracking", "billing", "claims"})
    assert loaded.warnings == ()
    flow = loaded.flow
    assert (flow.name, flow.start, flow.max_node_visits) == ("parcelo", "check_hours", 60)
    assert flow.reachable() == frozenset(flow.nodes)
    menu = flow.nodes["main_menu"]
    assert isinstance(menu, MenuNode)
    assert dict(menu.options) == {"1": "ask_number", "2": "to_billing", "3": "to_claims", "0": "to_agent"}
    ask = flow.nodes["ask_number"]
    assert isinstance(ask, CollectNode)
    assert (ask.min_digits, ask.max_digits, ask.terminator, ask.first_digit_timeout_s) == (10, 10, "#", 8)
    lookup = flow.nodes["lookup"]
    assert isinstance(lookup, HttpNode)
    assert ResultMapping("parcel_eta", ("parcel", "eta"), optional=True) in lookup.results
    office = flow.schedules["office"]
    assert office.timezone == "Europe/Amsterdam"
    assert [(h.weekdays, h.opens.hour, h.closes.hour) for h in office.hours] == [
        ((1, 2, 3, 4, 5), 8, 20),
        ((6,), 9, 17),
    ]
    welcome = flow.nodes["welcome"]
    assert isinstance(welcome, PlayNode) and welcome.barge_in
    # The tenant's constants override the file's, so the flow follows the service's real port.
    assert load_flow(PARCELO, constants={"tracking_url": "http://127.0.0.1:1"}).flow.constants == {
        "tracking_url": "http://127.0.0.1:1"
    }


def test_parcelo_against_a_tenant_without_a_claims_queue() -> None:
    with pytest.raises(FlowValidationError) as excinfo:
        load_flow(PARCELO, known_queues={"tracking", "billing"})
    (issue,) = excinfo.value.errors
    assert issue.field == "nodes.to_claims.queue"
    assert issue.line == line_of(PARCELO.read_text(), "queue: claims")


def test_loops_that_never_wait_are_warned_about() -> None:
    text = """\
start: a
nodes:
  a: {type: set, values: {x: "{x}1"}, next: b}
  b:
    type: branch
    variable: x
    cases: [{equals: "111", next: done}]
    default: a
  h: {type: hours, open: h, closed: done}
  done: {type: hangup}
  start_h: {type: play, prompt: hi, next: h}
"""
    loaded = parse_flow(text, file="loop.yaml")
    loops = [w for w in loaded.warnings if "loops without waiting" in w.message]
    assert [(w.field, w.line) for w in loops] == [("nodes.a", 3), ("nodes.h", 9)]
    assert loops[0].message.startswith("a > b > a loops without waiting for the caller")


def test_clock_times_without_leading_zero_and_impossible_holidays() -> None:
    text = """\
start: h
schedules:
  s:
    hours: [{days: [sat, sun], opens: 9:30, closes: 17:00}]
    holidays: [2026-12-25, 2026-13-01]
nodes:
  h: {type: hours, schedule: s, open: x, closed: x}
  x: {type: hangup}
"""
    (issue,) = errors(text)
    assert (issue.field, issue.line) == ("schedules.s.holidays.1", 5)
    assert "month value is outside expected range" in issue.message
    flow = parse_flow(text.replace(", 2026-13-01", "")).flow
    (hours,) = flow.schedules["s"].hours
    assert (hours.weekdays, hours.opens.isoformat(), hours.closes.isoformat()) == ((6, 7), "09:30:00", "17:00:00")


def test_every_example_flow_loads_clean() -> None:
    flows = load_flows(PARCELO.parent, known_queues={"tracking", "billing", "claims"})
    assert sorted(flows) == ["parcelo", "parcelo-claims"]
    assert all(loaded.warnings == () for loaded in flows.values())
