"""Keeping the routing indexes in step with the state: waiting interactions by pool and
requirement, free agents by pool and strategy key, and the wait-estimate aggregates.
"""

from __future__ import annotations

from helpline.core.agent import Agent
from helpline.core.interaction import WAITING, Interaction
from helpline.core.routing import ewt
from helpline.core.routing.matching import Bucket, Signature, WaitEntry, agent_pool, group_pool, queue_pool
from helpline.core.routing.state import (
    PRESENCE_READY,
    STRATEGY_LONGEST_IDLE,
    EngineState,
    route_channel,
)
from helpline.core.routing.strategies import key_for


class Indexes(EngineState):
    """Register and unregister waiting interactions; re-list agents whose capacity or key changed."""

    def _entry_valid(self, e: WaitEntry) -> bool:
        i = self._interactions.get(e[4])
        return i is not None and i.version == e[3]

    def _flush_pending(self) -> None:
        if self._pending:
            pending = self._pending
            self._pending = {}
            for i in pending.values():
                if i.state in WAITING:
                    self._register(i, dirty=False)

    def _register(self, i: Interaction, *, dirty: bool = True) -> None:
        self._reg_seq += 1
        version = self._reg_seq
        i.version = version
        signature: Signature = (route_channel(i), tuple(sorted(i.skills.items())))
        entry: WaitEntry = (-i.priority, i.order_at, i.order_seq, version, i.id)
        if i.exclusive_agent is not None:
            pools = [agent_pool(i.exclusive_agent)]
        else:
            pools = [queue_pool(q) for q in i.queues] + [group_pool(g) for g in i.groups]
        buckets: list[Bucket] = []
        for p in pools:
            by_sig = self._waiting.get(p)
            if by_sig is None:
                by_sig = self._waiting[p] = {}
            b = by_sig.get(signature)
            if b is None:
                b = by_sig[signature] = Bucket(by_sig, signature)
            b.push(entry, self._entry_valid)
            buckets.append(b)
        self._regs[i.id] = (buckets, i.queue, i.priority)
        qx = self._qx[i.queue]
        qx.queue_waiting[i.id] = None
        counts = qx.prio_counts
        counts[i.priority] = counts.get(i.priority, 0) + 1
        if dirty:
            self._dirty_i[i.id] = None

    def _unregister(self, i: Interaction) -> None:
        if self._pending:
            self._pending.pop(i.id, None)
        reg = self._regs.pop(i.id, None)
        if reg is None:
            return
        buckets, queue, priority = reg
        self._reg_seq += 1
        i.version = self._reg_seq
        for b in buckets:
            b.drop()
        qx = self._qx[queue]
        del qx.queue_waiting[i.id]
        counts = qx.prio_counts
        counts[priority] -= 1
        if not counts[priority]:
            del counts[priority]

    def _relist(self, a: Agent, *, rates: bool = True) -> None:
        """Refresh the agent's entries in their pools' free heaps (after any change to capacity or key).

        ``rates=False``: the agent's presence and handle times did not change, so neither did the
        release rates it adds to wait estimates (only its free units are recomputed).
        """
        idx = a.index
        pools = a.free_pools
        if a.listed:  # the entries pushed last time go stale now
            for _, fh, _ in pools:
                fh.live -= 1
        stamp = self._stamp[idx] + 1
        self._stamp[idx] = stamp
        if a.has_free_capacity():
            a.listed = True
            stamps = self._stamp
            seed = self.seed
            idle_entry = (a.total, a.idle_since, idx, stamp)
            for strategy, fh, rr in pools:
                fh.push(idle_entry if strategy is STRATEGY_LONGEST_IDLE else (*key_for(strategy, a, rr, seed), stamp), stamps)
        else:
            a.listed = False
        self._update_aggregates(a, rates)

    def _freed(self, a: Agent, *, rates: bool = True) -> None:
        self._relist(a, rates=rates)
        self._dirty_a[a.id] = a

    def _update_aggregates(self, a: Agent, rates: bool = True) -> None:
        memberships = a.memberships
        if not memberships:
            return
        ready = a.presence is PRESENCE_READY
        room = a.total_capacity - a.total
        load = a.load
        aht = a.aht
        scale = ewt.RATE_SCALE
        for cc, units, name, prior, aggregates, share in memberships:
            old_free = share.free
            old_rate = share.rate
            if ready:
                free = units - load.get(cc, 0)
                if free > room:
                    free = room
                if free < 0:
                    free = 0
                if rates:
                    mine = aht.get(name)
                    held = mine[0] if mine is not None else prior
                    rate = int(units * scale / (held if held > 1e-3 else 1e-3))
                else:
                    rate = old_rate
            else:
                free = rate = 0
            if rate != old_rate:
                d_free = free - old_free
                d_rate = rate - old_rate
                for aggregate in aggregates:
                    aggregate.free += d_free
                    aggregate.rate += d_rate
                share.free = free
                share.rate = rate
            elif free != old_free:  # an offer or a release with no new handle time: the usual case
                d_free = free - old_free
                for aggregate in aggregates:
                    aggregate.free += d_free
                share.free = free
