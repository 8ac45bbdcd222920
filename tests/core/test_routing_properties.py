"""Property tests: random event sequences keep the routing invariants.

Checked after every decision, from the snapshot and the configuration (not from the engine's
own indexes):

* no agent holds more than their per-channel or total capacity;
* an offer reserves exactly the agents it names, and only ring-all names several; no
  interaction is handled by two agents at once;
* no interaction is lost: every one that arrived is live in the engine or has a terminal fact;
* order within a queue: an agent is never offered an interaction while one ahead of it in the
  same queue, with the same requirement, waits (unless that one just missed this agent);
* matching: a ready agent with free capacity never idles while an interaction they could take
  waits;
* every agent's wallboard state agrees with their presence and work;
* refused inputs change nothing; and a snapshot plus the later facts rebuilds the live state.
"""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from helpline.core import events as E
from helpline.core import inputs as I
from helpline.core.agent import capacity_channel
from helpline.core.config import (
    AgentConfig,
    Channel,
    QueueConfig,
    SkillRequirement,
    StepAction,
    Strategy,
    TenantConfig,
    WorkflowStep,
)
from helpline.core.errors import CoreError
from helpline.core.event_records import event_from_record, event_to_record
from helpline.core.routing.engine import Decision, RoutingEngine

SKILLS = ("en", "es")
STEPS = (
    WorkflowStep(20, StepAction.DROP_SKILL, skill="es"),
    WorkflowStep(15, StepAction.LOWER_PROFICIENCY, min_proficiency=1),
    WorkflowStep(30, StepAction.ADD_QUEUE, queue="q2"),
    WorkflowStep(25, StepAction.ADD_GROUP, group="g"),
    WorkflowStep(10, StepAction.RAISE_PRIORITY, priority=2),
)
TERMINAL_KINDS = (E.InteractionOverflowed,)


@st.composite
def configs(draw: st.DrawFn) -> TenantConfig:
    queues = []
    for qid in ("q1", "q2"):
        queues.append(
            QueueConfig(
                qid,
                strategy=draw(st.sampled_from(list(Strategy))),
                weight=draw(st.sampled_from([1.0, 2.0])),
                priority=draw(st.sampled_from([0, 1])),
                channels=(Channel.VOICE, Channel.CHAT),
                required_skills=tuple(SkillRequirement(s, draw(st.integers(1, 3))) for s in draw(st.sets(st.sampled_from(SKILLS), max_size=1))),
                steps=tuple(draw(st.lists(st.sampled_from(STEPS), max_size=3, unique=True))),
                wrap_up_s=draw(st.sampled_from([0.0, 5.0])),
                offer_timeout_s=10.0,
                max_consecutive_misses=draw(st.sampled_from([0, 2])),
                max_wait_s=draw(st.sampled_from([None, 90.0])),
                preferred_agent_wait_s=draw(st.sampled_from([0.0, 8.0])),
                resume_window_s=30.0,
            )
        )
    agents = []
    for n in range(draw(st.integers(2, 5))):
        skills = {s: draw(st.integers(1, 5)) for s in draw(st.sets(st.sampled_from(SKILLS)))}
        chats = draw(st.sampled_from([0, 2]))
        capacity = {Channel.VOICE: 1} | ({Channel.CHAT: chats} if chats else {})
        agents.append(
            AgentConfig(
                f"a{n}",
                skills=skills,
                queues=tuple(draw(st.lists(st.sampled_from(["q1", "q2"]), min_size=1, max_size=2, unique=True))),
                groups=("g",) if draw(st.booleans()) else (),
                capacity=capacity,
                total_capacity=draw(st.sampled_from([1, 2])) if chats else 1,
                linear_rank=draw(st.integers(0, 3)),
            )
        )
    return TenantConfig("t", skills=SKILLS, queues=tuple(queues), agents=tuple(agents), dispositions=("ok",))


class Run:
    def __init__(self, cfg: TenantConfig, seed: int) -> None:
        self.cfg = cfg
        self.engine = RoutingEngine(cfg, seed=seed)
        self.seed = seed
        self.now = 0.0
        self.ids: list[str] = []
        self.gone: set[str] = set()
        self.history: list[tuple[Decision, dict[str, Any]]] = []
        self.agent_cfg = {a.id: a for a in cfg.agents}

    def record(self, d: Decision) -> None:
        snap = self.engine.snapshot()
        for f in d.events:
            if isinstance(f, (E.InteractionOverflowed, E.ResumeWindowExpired)):
                self.gone.add(f.interaction)
            if isinstance(f, E.InteractionAbandoned):
                self.gone.add(f.interaction)
            if isinstance(f, E.InteractionEnded) and not f.wrap_up:
                self.gone.add(f.interaction)
            if isinstance(f, E.WrapUpEnded):
                self.gone.add(f.interaction)
        self.history.append((d, snap))
        check_invariants(self, d, snap)

    def do(self, inp: Any) -> None:
        before = self.engine.snapshot()
        try:
            d = self.engine.handle(inp, self.now)
        except CoreError:
            assert self.engine.snapshot() == before, f"refused {inp!r} changed the state"
            return
        self.record(d)

    def advance(self, dt: float) -> None:
        self.now += dt
        due = self.engine.next_timer()
        if due is not None and due <= self.now:
            self.record(self.engine.on_timer(self.now))


def route_channel(i: dict[str, Any]) -> Channel:
    return Channel.CALLBACK if i["callback_number"] is not None else Channel(i["channel"])


def can_take(cfg: AgentConfig, a: dict[str, Any], channel: Channel) -> bool:
    if a["presence"] != "ready":
        return False
    slots = a["slots"].values()
    if len(a["slots"]) >= cfg.total_capacity:
        return False
    cc = capacity_channel(channel, cfg.capacity)
    return sum(1 for s in slots if s["channel"] == cc.value) < cfg.capacity.get(cc, 0)


def serves(cfg: AgentConfig, i: dict[str, Any]) -> bool:
    if i["exclusive_agent"] is not None:
        return cfg.id == i["exclusive_agent"]
    return bool(set(cfg.queues) & set(i["queues"])) or bool(set(cfg.groups) & set(i["groups"]))


def skilled(cfg: AgentConfig, i: dict[str, Any]) -> bool:
    return all(cfg.skills.get(s, 0) >= m for s, m in i["skills"].items())


def order_key(i: dict[str, Any]) -> tuple[int, float, int]:
    return (-i["priority"], i["order_at"], i["order_seq"])


def check_invariants(run: Run, d: Decision, snap: dict[str, Any]) -> None:
    cfg = run.cfg
    agents = snap["agents"]
    interactions = snap["interactions"]
    strategies = {q.id: q.strategy for q in cfg.queues}
    # capacity
    for aid, a in agents.items():
        ac = run.agent_cfg[aid]
        assert len(a["slots"]) <= ac.total_capacity, (aid, a)
        for ch, cap in ac.capacity.items():
            assert sum(1 for s in a["slots"].values() if s["channel"] == ch.value) <= cap, (aid, a)
        for ch in {s["channel"] for s in a["slots"].values()}:
            assert Channel(ch) in ac.capacity, (aid, a)
    # offers and handling
    handled_by: dict[str, list[str]] = {}
    for aid, a in agents.items():
        for iid, s in a["slots"].items():
            i = interactions.get(iid)
            assert i is not None, f"{aid} holds unknown {iid}"
            if s["state"] == "offered":
                assert i["state"] == "offered" and aid in i["offer"]["agents"], (aid, iid, i)
            if s["state"] == "active":
                handled_by.setdefault(iid, []).append(aid)
                assert i["state"] in ("connected", "held") and i["agent"] == aid, (aid, iid, i)
            if s["state"] == "wrap-up":
                assert aid in i["wrap_agents"]
    for iid, agents_on in handled_by.items():
        assert len(agents_on) == 1, (iid, agents_on)
    for iid, i in interactions.items():
        if i["state"] == "offered":
            offer = i["offer"]
            assert offer["agents"], iid
            if len(offer["agents"]) > 1:
                assert strategies[offer["queue"]] is Strategy.RING_ALL, (iid, offer)
            for aid in offer["agents"]:
                assert agents[aid]["slots"].get(iid, {}).get("state") == "offered", (iid, aid)
        if i["state"] in ("connected", "held"):
            assert handled_by.get(iid) == [i["agent"]], (iid, i)
    # none lost
    for iid in run.ids:
        assert iid in interactions or iid in run.gone, f"{iid} was lost"
    waiting = {iid: i for iid, i in interactions.items() if i["state"] in ("queued", "callback-waiting")}
    for q in cfg.queues:
        listed = run.engine.waiting(q.id)
        assert set(listed) == {iid for iid, i in waiting.items() if i["queue"] == q.id}
    # wallboard state agrees with presence and work
    for aid, a in agents.items():
        states = {s["state"] for s in a["slots"].values()}
        if a["presence"] == "offline":
            want = "offline"
        elif "active" in states:
            want = "busy"
        elif "offered" in states:
            want = "reserved"
        elif "wrap-up" in states:
            want = "wrap-up"
        elif a["presence"] == "paused":
            want = "paused"
        else:
            want = "available"
        assert a["state"] == want, (aid, a)
    # matching: nobody who could take a waiting interaction idles
    for aid, a in agents.items():
        ac = run.agent_cfg[aid]
        for iid, i in waiting.items():
            if iid not in a["slots"] and serves(ac, i) and skilled(ac, i) and can_take(ac, a, route_channel(i)):
                raise AssertionError(f"{aid} idles while {iid} waits: {a} {i}")
    # order within a queue
    for f in d.events:
        if not isinstance(f, E.InteractionOffered) or f.interaction not in interactions:
            continue
        x = interactions[f.interaction]
        for aid in f.agents:
            if x["preferred_agent"] == aid or x["exclusive_agent"] == aid:
                continue
            for yid, y in waiting.items():
                if (
                    y["queue"] == x["queue"]
                    and y["skills"] == x["skills"]
                    and route_channel(y) == route_channel(x)
                    and y["queues"] == x["queues"]
                    and y["groups"] == x["groups"]
                    and y["exclusive_agent"] is None
                    and y["last_missed"] != aid
                    and order_key(y) < order_key(x)
                ):
                    raise AssertionError(f"{f.interaction} offered to {aid} ahead of {yid}")


# action kinds, repeated to weight them: arrivals and answers are the common events
KINDS = (0, 1, 2, 3, 4, 4, 4, 5, 6, 6, 6, 7, 7, 8, 9, 10, 11, 11, 12, 13, 13, 14, 15)


@st.composite
def actions(draw: st.DrawFn, n_agents: int) -> list[tuple[Any, ...]]:
    out = []
    for _ in range(draw(st.integers(5, 60))):
        out.append(
            (
                draw(st.sampled_from(KINDS)),
                draw(st.integers(0, n_agents - 1)),
                draw(st.integers(0, 40)),
                draw(st.sampled_from([0.0, 0.0, 0.5, 1.0, 2.0, 3.0, 7.0, 12.0, 25.0])),
                draw(st.integers(0, 3)),
            )
        )
    return out


def random_run(data: st.DataObject) -> Run:
    """A random tenant with some agents logged in, after a random sequence of inputs."""
    cfg = data.draw(configs())
    run = Run(cfg, seed=data.draw(st.integers(0, 3)))
    counter = [0]
    for a in cfg.agents:
        if data.draw(st.integers(0, 4)):
            run.do(I.AgentLogin(a.id))
    for action in data.draw(actions(len(cfg.agents))):
        step(run, action, counter)
    return run


def step(run: Run, action: tuple[Any, ...], counter: list[int]) -> None:
    kind, ai, pick, dt, extra = action
    engine = run.engine
    run.advance(dt)
    agent = run.cfg.agents[ai].id
    snap = engine.snapshot()
    live = list(snap["interactions"])
    iid = live[pick % len(live)] if live and pick < 35 else (run.ids[pick % len(run.ids)] if run.ids else "none")
    offers = [(k, a) for k, i in snap["interactions"].items() if i["state"] == "offered" for a in i["offer"]["agents"]]
    if kind == 0:
        run.do(I.AgentLogin(agent))
    elif kind == 1:
        run.do(I.AgentLogout(agent))
    elif kind == 2:
        run.do(I.AgentPause(agent, "break"))
    elif kind == 3:
        run.do(I.AgentReady(agent))
    elif kind in (4, 5):
        counter[0] += 1
        new = f"i{counter[0]}"
        run.ids.append(new)
        run.do(
            I.InteractionArrived(
                new,
                ("q1", "q2")[extra % 2],
                channel=Channel.CHAT if extra == 3 else Channel.VOICE,
                priority=extra % 3,
                skills=(SkillRequirement("en", 2),) if pick % 4 == 0 else (),
                preferred_agent=agent if pick % 5 == 0 else None,
                customer=f"c{pick % 4}",
            )
        )
    elif kind in (6, 7):
        target = offers[pick % len(offers)] if offers else (iid, agent)
        run.do(I.OfferAccepted(*target))
    elif kind == 8:
        target = offers[pick % len(offers)] if offers else (iid, agent)
        run.do(I.OfferRejected(*target))
    elif kind == 9:
        run.do(I.InteractionHeld(iid) if extra % 2 else I.InteractionResumed(iid))
    elif kind == 10:
        run.do(I.InteractionTransferred(iid, to_queue=("q1", "q2")[extra % 2], to_agent=agent if extra == 3 else None))
    elif kind in (11, 12):
        run.do(I.InteractionEnded(iid))
    elif kind == 13:
        run.do(I.WrapUpDone(iid, "ok" if extra else None, "note"))
    elif kind == 14:
        run.do(I.InteractionAbandoned(iid))
    elif kind == 15:
        run.do(I.CallbackRequested(iid, "+15550100"))


def check_replay(run: Run, cut: int) -> None:
    history = run.history
    if not history:
        return
    cut = cut % len(history)
    snap = json.loads(json.dumps(history[cut][1]))
    restored = RoutingEngine.from_snapshot(run.cfg, snap, seed=run.seed)
    for d, _ in history[cut + 1:]:
        for f in d.events:
            kind, payload = event_to_record(f)
            restored.apply(event_from_record(kind, json.loads(json.dumps(payload))))
    assert restored.snapshot() == run.engine.snapshot()
    assert restored.next_timer() == run.engine.next_timer()


# HELPLINE_PROPERTY_EXAMPLES raises the count for a longer hunt than the suite's budget allows
@settings(max_examples=int(os.environ.get("HELPLINE_PROPERTY_EXAMPLES", "400")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_sequences_keep_the_invariants(data: st.DataObject) -> None:
    run = random_run(data)
    # drain: let every timer run out
    for _ in range(40):
        due = run.engine.next_timer()
        if due is None:
            break
        run.now = max(run.now, due)
        run.record(run.engine.on_timer(run.now))
    kinds = {type(f).__name__ for d, _ in run.history for f in d.events}
    for name in ("OfferAccepted", "WorkflowStepApplied", "InteractionTransferred", "CallbackRequested", "OfferTimedOut"):
        event(f"{name}: {name in kinds}")
    check_replay(run, data.draw(st.integers(0, 10_000)))
