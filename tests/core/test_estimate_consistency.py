"""The wait-estimate aggregates the engine keeps up to date agree with ones built from scratch.

The engine updates each queue's free units and release rate incrementally as agents change;
an engine restored from a snapshot builds them anew from the agents' state. After any sequence
of inputs both must give every newcomer the same estimate, whatever extra skill it asks for.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpline.core.config import Channel, SkillRequirement
from helpline.core.routing.engine import RoutingEngine

from .test_routing_properties import random_run


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_incremental_estimates_equal_estimates_rebuilt_from_a_snapshot(data: st.DataObject) -> None:
    run = random_run(data)
    cfg = run.cfg
    restored = RoutingEngine.from_snapshot(cfg, json.loads(json.dumps(run.engine.snapshot())), seed=run.seed)
    variants = [(), (SkillRequirement("en", 2),), (SkillRequirement("en", 5),), (SkillRequirement("fr", 1),)]
    for q in cfg.queues:
        for skills in variants:
            for channel in (Channel.VOICE, Channel.CHAT):
                live = run.engine.estimated_wait_for_newcomer(q.id, run.now, skills, channel=channel)
                rebuilt = restored.estimated_wait_for_newcomer(q.id, run.now, skills, channel=channel)
                assert live == rebuilt, (q.id, skills, channel)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_narrower_requirements_sum_the_same_members_as_a_scan_of_the_roster(data: st.DataObject) -> None:
    """The per-skill index behind a narrower requirement finds exactly the members a full scan
    of the queue's agents finds (the scan is the path for widened interactions: forced here by
    naming the queue twice)."""
    run = random_run(data)
    cfg = run.cfg
    engine = run.engine
    variants = [
        (("en", 2),),
        (("es", 4),),
        (("fr", 1),),
        (("en", 3), ("es", 2)),
        (("es", 1), ("en", 1)),
    ]
    for q in cfg.queues:
        own = {r.skill: r.min_proficiency for r in q.required_skills}
        for extra in variants:
            requirement = dict(own)
            for skill, level in extra:
                requirement[skill] = max(requirement.get(skill, 0), level)
            items = tuple(sorted(requirement.items()))
            for channel in (Channel.VOICE, Channel.CHAT):
                for k in (1, 3):
                    indexed = engine._estimate(q.id, (q.id,), (), None, channel, items, k, run.now)
                    scanned = engine._estimate(q.id, (q.id, q.id), (), None, channel, items, k, run.now)
                    assert indexed == scanned, (q.id, items, channel, k)
