from __future__ import annotations

import dataclasses
from datetime import date, time
from pathlib import Path

import pytest

from helpline.core.config import Channel, QueueConfig, StepAction, Strategy
from helpline.features.config.export import dump_tenants
from helpline.features.config.loader import load_config_file, parse_config
from helpline.features.config.problems import ConfigError
from helpline.features.queues.schemas import QueueDoc, queue_to_doc

DEMO = Path(__file__).parents[2] / "examples" / "demo.yaml"

BASE = """\
id: acme
skills: [english, billing]
queues:
  - id: sales
    required_skills: {english: 2}
    offer_timeout_s: 10
  - id: support
    channels: [voice, chat]
    required_skills: {billing: 1}
    steps:
      - {after_s: 30, action: add-queue, queue: sales}
agents:
  - id: a1
    skills: {english: 3, billing: 2}
    queues: [sales, support]
"""


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "tenant.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config_file(path)
    prefix = f"{path}:"
    lines = [str(p) for p in caught.value.problems]
    assert all(line.startswith(prefix) for line in lines), lines
    return [line.removeprefix(prefix) for line in lines]


def test_the_demo_file_loads() -> None:
    tenant = load_config_file(DEMO).tenants[0]
    assert tenant.id == "parcelo"
    assert set(tenant.skills) == {"english", "spanish", "tracking", "billing", "claims"}
    assert 8 <= len(tenant.agents) <= 12
    claims = tenant.queue("claims")
    assert [(s.after_s, s.action) for s in claims.steps][:2] == [
        (30.0, StepAction.LOWER_PROFICIENCY),
        (60.0, StepAction.ADD_QUEUE),
    ]
    assert tenant.queue("chat").channels == (Channel.CHAT,)
    assert tenant.agent("carla").capacity == {Channel.VOICE: 1, Channel.CHAT: 3}
    assert claims.hours[0].weekdays == (1, 2, 3, 4, 5) and claims.hours[1].weekdays == (6,)
    assert claims.hours[0].opens == time(8, 0)
    assert date(2026, 12, 25) in claims.holidays
    assert sum(len(a.queues) > 1 for a in tenant.agents) >= 3


def test_a_good_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "tenant.yaml"
    path.write_text(BASE)
    tenant = load_config_file(path).tenants[0]
    assert tenant.queue("support").steps[0].queue == "sales"
    assert tenant.agent("a1").total_capacity == 1
    assert tenant.pause_reasons == ("break", "lunch", "training", "missed")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            ("{english: 2}", "{englsh: 2}"),
            "5: queues[0].required_skills.englsh: unknown skill 'englsh' (did you mean 'english'?)",
            id="unknown skill",
        ),
        pytest.param(
            ("  - id: support", "  - id: sales"),
            "7: queues[1]: duplicate queue id 'sales'",
            id="duplicate id",
        ),
        pytest.param(
            ("offer_timeout_s: 10", "offer_timeout_s: -5"),
            "6: queues[0].offer_timeout_s: must be ≥ 0 (got -5)",
            id="negative timeout",
        ),
        pytest.param(
            ("{english: 3, billing: 2}", "{english: 7, billing: 2}"),
            "14: agents[0].skills.english: must be ≤ 5 (got 7)",
            id="proficiency above 5",
        ),
        pytest.param(
            ("{english: 3, billing: 2}", "{english: 3, billing: 0}"),
            "14: agents[0].skills.billing: must be ≥ 1 (got 0)",
            id="proficiency below 1",
        ),
        pytest.param(
            ("offer_timeout_s: 10\n", "offer_timeout_s: 10\n    strategy: fastest\n"),
            "7: queues[0].strategy: must be one of 'longest-idle', 'round-robin', 'fewest-handled', 'linear', "
            "'random', 'ring-all' or 'highest-proficiency' (got 'fastest')",
            id="unknown strategy",
        ),
        pytest.param(
            ("queue: sales}", "queue: sails}"),
            "11: queues[1].steps[0].queue: unknown queue 'sails' (did you mean 'sales'?)",
            id="unknown queue in a step",
        ),
        pytest.param(
            ("{english: 3, billing: 2}", "{english: 1, billing: 2}"),
            "4: queues[0]: no agent can take queue 'sales': none of the agents serving it has the "
            "required skills (english ≥ 2)",
            id="queue nobody can serve",
        ),
        pytest.param(
            ("queues: [sales, support]", "queues: [support]"),
            "4: queues[0]: no agent can take queue 'sales': no agent serves it",
            id="queue nobody serves",
        ),
        pytest.param(
            (
                "    skills: {english: 3, billing: 2}\n",
                "    skills: {english: 3, billing: 2}\n    capacity: {voice: 0, chat: 0}\n",
            ),
            "4: queues[0]: no agent can take queue 'sales': none of the skilled agents serving it has "
            "capacity for voice",
            id="no capacity for the queue's channel",
        ),
        pytest.param(
            ("    offer_timeout_s: 10\n", "    offer_timeout: 10\n"),
            "6: queues[0].offer_timeout: unknown field (did you mean 'offer_timeout_s'?)",
            id="misspelt field",
        ),
        pytest.param(
            ("  - id: sales\n", "  - name: Sales\n"),
            "4: queues[0].id: required",
            id="missing id",
        ),
        pytest.param(
            ("channels: [voice, chat]", "channels: [voice, fax]"),
            "8: queues[1].channels[1]: must be one of 'voice', 'chat', 'email', 'sms', 'callback' or "
            "'voicemail' (got 'fax')",
            id="unknown channel",
        ),
        pytest.param(
            ("action: add-queue, queue: sales}", "action: add-queue}"),
            "11: queues[1].steps[0]: an add-queue step needs queue",
            id="step without its target",
        ),
        pytest.param(
            ("    offer_timeout_s: 10\n", "    offer_timeout_s: 10\n    sl_target: 80\n"),
            "7: queues[0].sl_target: must be a share between 0 and 1 (got 80; write 0.8 for 80 %)",
            id="service level as a percentage",
        ),
        pytest.param(
            (
                "    offer_timeout_s: 10\n",
                "    offer_timeout_s: 10\n    hours:\n      - {weekdays: mon-fri, opens: '18:00', closes: '08:00'}\n",
            ),
            "8: queues[0].hours[0]: closes (08:00) must be after opens (18:00)",
            id="hours closing before opening",
        ),
        pytest.param(
            ("    offer_timeout_s: 10\n", "    offer_timeout_s: 10\n    timezone: Europe/Atlantis\n"),
            "7: queues[0].timezone: unknown time zone 'Europe/Atlantis' (use a name such as Europe/Berlin)",
            id="unknown time zone",
        ),
        pytest.param(
            ("    offer_timeout_s: 10\n", "    offer_timeout_s: 10\n    offer_timeout_s: 12\n"),
            "7: queues[0].offer_timeout_s: given twice in one mapping (first at line 6)",
            id="key given twice",
        ),
        pytest.param(
            ("skills: [english, billing]", "skills: [english, billing, english]"),
            "2: skills[2]: duplicate skill id 'english'",
            id="duplicate skill",
        ),
    ],
)
def test_bad_input_is_refused_naming_line_and_field(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    old, new = change
    assert old in BASE
    assert expected in problems_of(tmp_path, BASE.replace(old, new, 1))


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    text = BASE.replace("    offer_timeout_s: 10\n", "    offer_timeout_s: [10\n")
    (problem,) = problems_of(tmp_path, text)
    assert problem.startswith("7: malformed YAML:"), problem


def test_every_problem_is_reported_not_only_the_first(tmp_path: Path) -> None:
    text = (
        BASE.replace("offer_timeout_s: 10", "offer_timeout_s: -5")
        .replace("{english: 3, billing: 2}", "{english: 9, billing: 2}")
        .replace("queue: sales}", "queue: sails}")
    )
    found = problems_of(tmp_path, text)
    assert found == [
        "6: queues[0].offer_timeout_s: must be ≥ 0 (got -5)",
        "11: queues[1].steps[0].queue: unknown queue 'sails' (did you mean 'sales'?)",
        "14: agents[0].skills.english: must be ≤ 5 (got 9)",
    ]


def test_a_bad_entity_does_not_cause_follow_on_errors(tmp_path: Path) -> None:
    # The queue fails on its own field; agents serving it must not be told it does not exist.
    text = BASE.replace("  - id: support\n", "  - id: support\n    priority: high\n")
    assert problems_of(tmp_path, text) == ["8: queues[1].priority: must be a whole number (got 'high')"]


def test_the_message_matches_the_documented_form() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(BASE.replace("offer_timeout_s: 10", "offer_timeout_s: -5"), source="examples/demo.yaml")
    assert [str(p) for p in caught.value.problems] == [
        "examples/demo.yaml:6: queues[0].offer_timeout_s: must be ≥ 0 (got -5)"
    ]
    assert "examples/demo.yaml:6: queues[0].offer_timeout_s: must be ≥ 0 (got -5)" in str(caught.value)


def test_several_tenants_in_one_file_with_their_own_paths() -> None:
    indented = "\n".join(("    " + line if line else line) for line in BASE.splitlines())
    text = "tenants:\n  - " + indented.strip() + "\n  - id: other\n    skills: [x]\n"
    doc = parse_config(text, source="t.yaml")
    assert [t.id for t in doc.tenants] == ["acme", "other"]
    with pytest.raises(ConfigError) as caught:
        parse_config(
            text.replace("offer_timeout_s: 10", "offer_timeout_s: -1") + "  - id: other\n", source="t.yaml"
        )
    assert [str(p) for p in caught.value.problems] == [
        "t.yaml:7: tenants[0].queues[0].offer_timeout_s: must be ≥ 0 (got -1)",
        "t.yaml:19: tenants[2].id: duplicate tenant id 'other'",
    ]


def test_yaml_reads_times_and_words_as_written() -> None:
    text = BASE.replace(
        "    offer_timeout_s: 10\n",
        "    offer_timeout_s: 10\n    hours:\n      - {weekdays: [mon, tue], opens: 9:30, closes: 17:00}\n",
    ).replace("skills: [english, billing]", "skills: [english, billing, no]")
    tenant = parse_config(text).tenants[0]
    assert tenant.queue("sales").hours[0].opens == time(9, 30)
    assert "no" in tenant.skills


def test_sections_for_other_features_are_handed_over_with_their_lines() -> None:
    text = BASE + "flows:\n  main:\n    - play: welcome\n"
    doc = parse_config(text, source="t.yaml")
    assert doc.sections["acme"]["flows"] == {"main": [{"play": "welcome"}]}
    assert str(doc.locate("acme", ("flows", "main", 0, "play"), "no such prompt")) == (
        "t.yaml:18: flows.main[0].play: no such prompt"
    )


def test_the_queue_schema_covers_every_field_of_the_core_queue() -> None:
    core_fields = {f.name for f in dataclasses.fields(QueueConfig)}
    doc_fields = set(QueueDoc.model_fields) - {"required_skills"} | {"required_skills"}
    assert core_fields == doc_fields
    queue = QueueConfig("q", strategy=Strategy.LINEAR, preferred_agent_wait_s=3.0, aht_prior_s=90.0)
    assert QueueDoc.model_validate(queue_to_doc(queue)).to_config() == queue


def test_an_exported_configuration_reads_back_equal() -> None:
    tenant = load_config_file(DEMO).tenants[0]
    other = dataclasses.replace(tenant, id="copy", name="Copy: with a colon")
    assert parse_config(dump_tenants([tenant])).tenants == (tenant,)
    assert parse_config(dump_tenants([tenant, other])).tenants == (tenant, other)


def test_shared_defaults_by_yaml_merge_keys_are_blamed_where_written() -> None:
    text = BASE.replace(
        "queues:\n",
        "x-defaults: &defaults {offer_timeout_s: -1, wrap_up_s: 5}\nqueues:\n",
    ).replace("  - id: sales\n", "  - id: sales\n    <<: *defaults\n")
    text = text.replace("    offer_timeout_s: 10\n", "")
    with pytest.raises(ConfigError) as caught:
        parse_config(text, source="t.yaml")
    assert [str(p) for p in caught.value.problems] == [
        "t.yaml:3: queues[0].offer_timeout_s: must be ≥ 0 (got -1)"
    ]
    assert (
        parse_config(text.replace("offer_timeout_s: -1", "offer_timeout_s: 7")).tenants[0].queues[0].wrap_up_s
        == 5.0
    )
