"""Agent-selection strategies: the order in which a queue's free agents are tried.

Each strategy is a sort key over an agent (smaller first); the engine keeps each queue's free
agents in a heap by that key, so choosing costs O(log n) rather than a scan. Keys that change
(idle time, round-robin memory, handled count, the random draw) change only when the agent's
state changes, and the engine re-lists the agent then.

* longest-idle: least loaded first (spreads chats), then the longest since their last work
  ended (or since they became ready).
* round-robin (with memory): the agent this queue picked least recently; never-picked agents
  first, in configuration order.
* fewest-handled: fewest interactions completed today (UTC day of ``now``), then longest idle.
* linear: ``linear_rank``, then configuration order; fills the first agents first.
* random: a seeded pseudo-random draw, fresh each time the agent receives an offer. Because the
  draws are independent, the smallest among the free agents is a uniform choice; because the
  draw is a hash of (seed, agent, offers received), replaying the log reproduces it.
* ring-all: every matching free agent at once (voice); the key only orders the offer's list.
* highest-proficiency: the engine scores the free agents against the interaction's current
  requirement (sum of proficiencies), then least loaded, then longest idle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from helpline.core.agent import Agent
from helpline.core.config import Strategy

MASK64: Final = (1 << 64) - 1

def mix64(x: int) -> int:
    """SplitMix64 finaliser: a fast, well-spread integer hash."""
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def random_draw(seed: int, agent_index: int, offers: int) -> int:
    return mix64((seed * 0x100000001B3) ^ (agent_index << 32) ^ offers)


def key_for(
    strategy: Strategy, agent: Agent, rr_memory: Mapping[str, int] | None, seed: int
) -> tuple[float, ...]:
    """The agent's sort key in a queue using ``strategy`` (``rr_memory``: that queue's picks)."""
    if strategy is Strategy.ROUND_ROBIN:
        last = rr_memory.get(agent.id, -1) if rr_memory is not None else -1
        return (last, agent.index)
    if strategy is Strategy.FEWEST_HANDLED:
        return (agent.handled_today, agent.total, agent.idle_since, agent.index)
    if strategy is Strategy.LINEAR:
        return (agent.config.linear_rank, agent.index)
    if strategy is Strategy.RANDOM:
        return (agent.total, random_draw(seed, agent.index, agent.offers_total), agent.index)
    return (agent.total, agent.idle_since, agent.index)


def proficiency_score(agent: Agent, requirement: Mapping[str, int]) -> int:
    skills = agent.skills
    return sum(skills.get(s, 0) for s in requirement)
