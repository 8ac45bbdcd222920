"""Load tenants' configuration from YAML, refusing it whole with every problem located.

A file holds one tenant (its fields at the top) or several (a list under ``tenants:``); keys
starting with ``x-`` are skipped, so they can hold anchors to reuse (``x-hours: &hours ...``).
Each problem names the file, the line and the field::

    examples/demo.yaml:42: queues[2].offer_timeout_s: must be ≥ 0 (got -5)

Every problem is collected, not only the first: the file is checked tenant by tenant, and
within a tenant queue by queue and agent by agent, so one bad entity does not hide another;
a field that failed its own check is left out of the cross checks so that one mistake is
reported once. When anything is wrong the loader raises ``ConfigError`` and returns nothing.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from helpline.core.config import TenantConfig
from helpline.features.agents.schemas import AgentDoc
from helpline.features.config.problems import ConfigError, ConfigProblem, Path, Problem, field_name
from helpline.features.config.source import SourceMap, read_yaml
from helpline.features.config.validation import KnownIds, check_tenant_config
from helpline.features.queues.schemas import HoursDoc, QueueDoc, StepDoc
from helpline.features.tenants.schemas import EXTENSION_SECTIONS, TenantDoc

M = TypeVar("M", bound=BaseModel)

_VOCABULARY = sorted(
    {name for model in (TenantDoc, QueueDoc, StepDoc, HoursDoc, AgentDoc) for name in model.model_fields}
)


@dataclass(frozen=True)
class ConfigDocument:
    """A checked configuration file: the tenants, and the raw sections other features read."""

    source: str
    tenants: tuple[TenantConfig, ...]
    sections: Mapping[str, Mapping[str, Any]]  # tenant id -> section name (flows, ...) -> raw data
    source_map: SourceMap
    tenant_paths: Mapping[str, Path]  # tenant id -> where the tenant is in the file

    def locate(self, tenant_id: str, path: Path, message: str) -> ConfigProblem:
        """A problem a feature found in one of its sections, placed at its file and line."""
        full = self.tenant_paths[tenant_id] + path
        return ConfigProblem(self.source, self.source_map.line(full), field_name(full), message)


def load_config_file(path: str | FilePath) -> ConfigDocument:
    """Read and check a configuration file; raises ``ConfigError`` listing every problem."""
    source = str(path)
    try:
        text = FilePath(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([ConfigProblem(source, None, "", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigProblem(source, None, "", f"cannot be read: {exc}")]) from None
    return parse_config(text, source=source)


def read_tenant_configs(path: str | FilePath) -> list[TenantConfig]:
    """The tenants of a configuration file (see ``load_config_file``)."""
    return list(load_config_file(path).tenants)


def parse_config(text: str, *, source: str = "<config>") -> ConfigDocument:
    """Check configuration text; ``source`` names it in messages."""
    try:
        data, smap, yaml_problems = read_yaml(text, source)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or exc.context or "not valid YAML"
        where = f" (column {mark.column + 1})" if mark is not None else ""
        raise ConfigError([ConfigProblem(source, line, "", f"malformed YAML: {what}{where}")]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigProblem(source, None, "", f"malformed YAML: {exc}")]) from None
    problems = [ConfigProblem(source, p.line, field_name(p.path), p.message) for p in yaml_problems]

    def report(found: list[Problem]) -> None:
        problems.extend(
            ConfigProblem(source, smap.line(p.path), field_name(p.path), p.message) for p in found
        )

    tenants: list[TenantConfig] = []
    sections: dict[str, dict[str, Any]] = {}
    paths: dict[str, Path] = {}
    for prefix, raw in _tenant_entries(data, report):
        tenant, extra, found = _load_tenant(raw, prefix)
        report(found)
        if tenant is None:
            continue
        if tenant.id in paths:
            report([Problem(prefix + ("id",), f"duplicate tenant id {tenant.id!r}")])
            continue
        tenants.append(tenant)
        sections[tenant.id] = extra
        paths[tenant.id] = prefix
    if problems:
        raise ConfigError(sorted(problems, key=lambda p: p.line or 0))
    return ConfigDocument(source, tuple(tenants), sections, smap, paths)


def _tenant_entries(data: Any, report: Any) -> list[tuple[Path, Any]]:
    if data is None:
        report([Problem((), "the file is empty: expected a tenant (id, skills, queues, agents)")])
        return []
    if not isinstance(data, dict):
        report([Problem((), f"expected a tenant (id, skills, queues, agents), got {_show(data)}")])
        return []
    if "tenants" not in data:
        return [((), data)]
    for key in _without_scratch(data):
        if key != "tenants":
            report([Problem((key,), "unknown field: a file with tenants: holds nothing else")])
    if not isinstance(data["tenants"], list) or not data["tenants"]:
        report([Problem(("tenants",), f"must be a list of tenants (got {_show(data['tenants'])})")])
        return []
    return [(("tenants", i), raw) for i, raw in enumerate(data["tenants"])]


def _without_scratch(raw: Any) -> Any:
    # Keys starting with "x-" hold YAML anchors for reuse (as in docker-compose) and are skipped.
    if isinstance(raw, dict):
        return {k: v for k, v in raw.items() if not (isinstance(k, str) and k.startswith("x-"))}
    return raw


def _load_tenant(raw: Any, prefix: Path) -> tuple[TenantConfig | None, dict[str, Any], list[Problem]]:
    raw = _without_scratch(raw)
    doc, problems, tenant_partial = validate_partially(TenantDoc, raw, prefix)
    raw = raw if isinstance(raw, dict) else {}
    raw_skills = raw.get("skills") if isinstance(raw.get("skills"), list) else []

    queues, queue_index, queue_partial, queue_ids = _entities(QueueDoc, raw, "queues", prefix, problems)
    raw_queues = raw.get("queues") if isinstance(raw.get("queues"), list) else []
    queues_without_id = len(queue_ids) < len(raw_queues)
    agents, agent_index, agent_partial, _ = _entities(AgentDoc, raw, "agents", prefix, problems)
    if doc is None:
        return None, {}, problems
    config = TenantConfig(
        id=doc.id,
        name=doc.name,
        skills=doc.skills,
        queues=tuple(q.to_config() for q in queues),
        agents=tuple(a.to_config() for a in agents),
        dispositions=doc.dispositions,
        pause_reasons=doc.pause_reasons,
        short_abandon_s=doc.short_abandon_s,
    )
    skills_unreadable = any(p.path[len(prefix) : len(prefix) + 1] == ("skills",) for p in problems)
    known = KnownIds(
        skills=frozenset(s for s in raw_skills if isinstance(s, str)),
        queues=frozenset(queue_ids),
        any_skill=skills_unreadable,
        any_queue=queues_without_id,
    )
    servable = not (tenant_partial or queue_partial or agent_partial)
    for problem in check_tenant_config(config, require_servable=servable, known=known):
        path = problem.path
        if len(path) >= 2 and path[0] in ("queues", "agents") and isinstance(path[1], int):
            index = queue_index if path[0] == "queues" else agent_index
            path = (path[0], index[path[1]], *path[2:])
        problems.append(Problem(prefix + path, problem.message))
    extra = {name: raw[name] for name in EXTENSION_SECTIONS if raw.get(name) is not None}
    return config, extra, problems


def _entities(
    model: type[M], raw: dict[str, Any], section: str, prefix: Path, problems: list[Problem]
) -> tuple[list[M], list[int], bool, set[str]]:
    """Validate a tenant's list one entity at a time: the good ones, their positions, and ids."""
    items = raw.get(section)
    if not isinstance(items, list):
        return [], [], items is not None, set()
    good: list[M] = []
    index: list[int] = []
    ids: set[str] = set()
    partial = False
    for i, item in enumerate(items):
        doc, found, was_partial = validate_partially(model, item, prefix + (section, i))
        problems.extend(found)
        partial |= was_partial
        if isinstance(item, dict) and isinstance(item.get("id"), str | int):
            ids.add(str(item["id"]))
        if doc is not None:
            good.append(doc)
            index.append(i)
    return good, index, partial, ids


def validate_partially(model: type[M], data: Any, prefix: Path = ()) -> tuple[M | None, list[Problem], bool]:
    """Validate ``data`` as ``model``, reporting every problem under ``prefix``.

    Fields that fail are dropped and the rest validated again, so the caller still gets the
    entity (with defaults for the bad fields) to check its references. Returns the model (None
    when even its id is wrong), the problems, and whether anything was dropped.
    """
    if not isinstance(data, dict):
        return None, [Problem(prefix, f"must be a mapping of fields (got {_show(data)})")], True
    current = dict(data)
    problems: list[Problem] = []
    for _ in range(len(current) + 1):
        try:
            return model.model_validate(current), problems, bool(problems)
        except ValidationError as exc:
            bad: set[str | int] = set()
            for error in exc.errors():
                loc = tuple(part for part in error["loc"] if part != "[key]")
                problems.append(Problem(prefix + loc, describe(error)))
                if not loc or loc[0] == "id":
                    return None, problems, True
                bad.add(loc[0])
            for key in bad:
                current.pop(str(key), None)
    return None, problems, True


def describe(error: ErrorDetails) -> str:
    """A pydantic error in an operator's words: what the field must be, and what it was."""
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    got = f" (got {_show(error.get('input'))})"
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        name = str(error["loc"][-1])
        close = difflib.get_close_matches(name, _VOCABULARY, n=1)
        return "unknown field" + (f" (did you mean {close[0]!r}?)" if close else "")
    if kind in ("value_error", "assertion_error"):
        return str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    bounds = {
        "greater_than_equal": ("≥", "ge"),
        "greater_than": (">", "gt"),
        "less_than_equal": ("≤", "le"),
        "less_than": ("<", "lt"),
    }
    if kind in bounds:
        sign, key = bounds[kind]
        return f"must be {sign} {ctx.get(key)}{got}"
    if kind == "enum":
        return f"must be one of {ctx.get('expected')}{got}"
    messages = {
        "int_parsing": "must be a whole number",
        "int_type": "must be a whole number",
        "int_from_float": "must be a whole number",
        "float_parsing": "must be a number",
        "float_type": "must be a number",
        "finite_number": "must be a finite number",
        "string_type": "must be text",
        "bool_type": "must be true or false",
        "bool_parsing": "must be true or false",
        "list_type": "must be a list",
        "tuple_type": "must be a list",
        "dict_type": "must be a mapping",
        "model_type": "must be a mapping of fields",
        "model_attributes_type": "must be a mapping of fields",
        "date_type": "must be a date such as 2026-12-25",
        "date_parsing": "must be a date such as 2026-12-25",
        "date_from_datetime_parsing": "must be a date such as 2026-12-25",
        "date_from_datetime_inexact": "must be a date such as 2026-12-25",
    }
    if kind in messages:
        return messages[kind] + got
    if kind == "too_short":
        return f"must have at least {ctx.get('min_length')} item(s){got}"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters"
    return str(error["msg"]) + got


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return str(value)
