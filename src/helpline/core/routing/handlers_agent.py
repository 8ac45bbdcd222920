"""Decisions on agents' requests: log in, log out, pause, ready (validate first, then emit).
"""

from __future__ import annotations

from helpline.core import events as E
from helpline.core import inputs as I
from helpline.core.errors import InvalidInput
from helpline.core.routing.state import (
    PRESENCE_TRIGGER_LOGIN,
    PRESENCE_TRIGGER_LOGOUT,
    PRESENCE_TRIGGER_PAUSE,
    PRESENCE_TRIGGER_READY,
)
from helpline.core.routing.timers import Timers


class AgentHandlers(Timers):
    """One method per agent input."""

    def _h_login(self, ev: I.AgentLogin, now: float) -> None:
        a = self._get_a(ev.agent)
        a.check_presence(PRESENCE_TRIGGER_LOGIN)
        self._emit(E.AgentLoggedIn(now, a.id))

    def _h_logout(self, ev: I.AgentLogout, now: float) -> None:
        a = self._get_a(ev.agent)
        a.check_presence(PRESENCE_TRIGGER_LOGOUT)
        self._cancel_agent_offers(a, "agent-logout", now)
        self._emit(E.AgentLoggedOut(now, a.id))

    def _h_pause(self, ev: I.AgentPause, now: float) -> None:
        a = self._get_a(ev.agent)
        a.check_presence(PRESENCE_TRIGGER_PAUSE)
        reasons = self.config.pause_reasons
        if reasons and ev.reason not in reasons:
            raise InvalidInput(f"agent {a.id!r}: unknown pause reason {ev.reason!r} (known: {', '.join(reasons)})")
        self._pause(a, ev.reason, now, notify=False)

    def _h_ready(self, ev: I.AgentReady, now: float) -> None:
        a = self._get_a(ev.agent)
        a.check_presence(PRESENCE_TRIGGER_READY)
        self._emit(E.AgentUnpaused(now, a.id))
