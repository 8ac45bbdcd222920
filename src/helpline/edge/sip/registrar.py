"""The registrar: where each SIP user's phones can be reached (RFC 3261 §10.3).

A user authenticates with digest (passwords from the settings); a wrong password is answered
with 403 and never with another challenge, so a guessing client learns nothing more. A user
may have several contacts (desk phone and softphone), each with its own expiry; expired
bindings are dropped when looked at. ``handle`` returns the response and, when a user gains
its first contact or loses its last one, the change, so the voice layer can log the agent in
or out. No I/O here: the endpoint passes the request, where it came from and the time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from helpline.protocols.sip import AuthStatus, DigestServer, Request, Response, build_response, new_tag
from helpline.protocols.sip.headers import Address

Peer = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Binding:
    user: str
    contact: Address
    source: Peer
    reliable: bool
    expires_at: float
    call_id: str
    cseq: int


@dataclass(frozen=True, slots=True)
class RegistrationChange:
    user: str
    registered: bool  # True: first contact added; False: last contact gone


class Registrar:
    def __init__(
        self,
        digest: DigestServer,
        password_for: Callable[[str], str | None],
        *,
        min_expires: int = 30,
        max_expires: int = 3600,
        default_expires: int = 3600,
    ) -> None:
        self.digest = digest
        self.password_for = password_for
        self.min_expires = min_expires
        self.max_expires = max_expires
        self.default_expires = default_expires
        self._bindings: dict[str, dict[str, Binding]] = {}
        self.failures = 0

    def contacts(self, user: str, now: float) -> list[Binding]:
        """The user's live bindings, most recently refreshed first."""
        bindings = self._bindings.get(user)
        if not bindings:
            return []
        live = [b for b in bindings.values() if b.expires_at > now]
        if len(live) != len(bindings):
            self._bindings[user] = {str(b.contact.uri): b for b in live}
        return sorted(live, key=lambda b: -b.expires_at)

    def expire(self, now: float) -> list[RegistrationChange]:
        """Drop expired bindings; the users left without any."""
        changes = []
        for user in list(self._bindings):
            if not self.contacts(user, now):
                self._bindings.pop(user, None)
                changes.append(RegistrationChange(user, False))
        return changes

    def handle(
        self, request: Request, source: Peer, now: float, *, reliable: bool = False
    ) -> tuple[Response, RegistrationChange | None]:
        tag = new_tag()
        result = self.digest.verify(request, self.password_for, now)
        if result.status is AuthStatus.MISSING:
            return self.digest.challenge_response(request, now, to_tag=tag), None
        if result.status is AuthStatus.STALE:
            return self.digest.challenge_response(request, now, stale=True, to_tag=tag), None
        if result.status is AuthStatus.FAILED:
            self.failures += 1
            return build_response(request, 403, f"Forbidden ({result.reason})", to_tag=tag), None
        user = result.username or ""
        to_user = getattr(request.to.uri, "user", None)
        if to_user != user:
            return build_response(request, 403, "Forbidden (To is not the authenticated user)", to_tag=tag), None
        had = bool(self.contacts(user, now))
        bindings = self._bindings.setdefault(user, {})
        header_expires = request.expires
        wildcard = any(v.strip() == "*" for v in request.headers.get_all("Contact"))
        if wildcard:
            if header_expires != 0 or len(request.contact) > 0:
                return build_response(request, 400, "Contact * needs Expires: 0 and no other contact", to_tag=tag), None
            bindings.clear()
        call_id, cseq = request.call_id, request.cseq.seq
        for contact in request.contact:
            key = str(contact.uri)
            param = contact.param("expires")
            expires = int(param) if param is not None and param.isdigit() else header_expires
            if expires is None:
                expires = self.default_expires
            old = bindings.get(key)
            if old is not None and old.call_id == call_id and old.cseq >= cseq:
                continue  # an old REGISTER overtaken by a newer one (§10.3 step 7)
            if expires == 0:
                bindings.pop(key, None)
                continue
            if expires < self.min_expires:
                return build_response(
                    request, 423, to_tag=tag, headers=[("Min-Expires", str(self.min_expires))]
                ), None
            expires = min(expires, self.max_expires)
            bindings[key] = Binding(user, contact.without_param("expires"), source, reliable, now + expires, call_id, cseq)
        live = self.contacts(user, now)
        if not live:
            self._bindings.pop(user, None)
        headers = [("Contact", f"{b.contact};expires={max(0, int(b.expires_at - now))}") for b in live]
        response = build_response(request, 200, to_tag=tag, headers=headers)
        change = None
        if live and not had:
            change = RegistrationChange(user, True)
        elif had and not live:
            change = RegistrationChange(user, False)
        return response, change

    def users(self) -> list[str]:
        return sorted(self._bindings)
