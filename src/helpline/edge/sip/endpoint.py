"""The SIP endpoint: transports, the transaction layer, the registrar and the call policy.

Theory of operation
-------------------
Bytes come in on UDP or TCP. Untrusted sources pass a token bucket per address first (trunks'
addresses are exempt), so a flood from one address is dropped while others proceed. A
datagram that does not parse is answered 400 with the parser's reason when it is a request
whose headers can be echoed, and dropped otherwise. Parsed messages go to the sans-I/O
``TransactionLayer`` with the current time; the endpoint then drains the layer's events,
sends what it queued and arms its one timer at ``next_timer()``. Everything the endpoint
does on behalf of a call ends with the same ``_kick`` (drain, send, re-arm), which is
re-entrant: a handler that answers from inside an event simply adds to the current drain.

Requests outside a dialog: OPTIONS is answered 200; REGISTER goes to the registrar; INVITE
is checked against the policy below and handed to the call handler (the voice layer) as an
``InboundCall``; CANCEL ends the pending INVITE with 487. Requests inside a dialog go to the
call leg that owns it.

Call policy (no toll fraud). The dialed user part decides: a DID from the settings rings the
tenant's flow; a number that looks external (``external_number_pattern``) may only be called
by a SIP user who authenticated (407 challenge, then digest) with ``dial_out``, or from a
trunk with ``dial_out``; anyone else gets 403. Anything else is 404.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import re
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Protocol

from helpline.edge.sip.calls import InboundCall, OutboundCall, SipCall
from helpline.edge.sip.ratelimit import TokenBuckets
from helpline.edge.sip.registrar import Registrar, RegistrationChange
from helpline.edge.sip.transport import TcpConnection, UdpTransport
from helpline.protocols.sip import (
    AckReceived,
    AuthStatus,
    DialogId,
    DigestServer,
    Request,
    RequestReceived,
    Response,
    ResponseReceived,
    SipParseError,
    SipStateError,
    StrayResponse,
    Timers,
    TransactionKey,
    TransactionLayer,
    TransactionTerminated,
    TransactionTimeout,
    TransportFailed,
    Via,
    add_received,
    build_error_response,
    build_response,
    new_branch,
    new_tag,
    parse_message,
)
from helpline.protocols.sip.headers import Address
from helpline.protocols.sip.uri import SipUri
from helpline.settings import SipSettings

log = logging.getLogger(__name__)

Peer = tuple[str, int]
ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY, REGISTER"
_OUT_OF_DIALOG_481 = frozenset({"BYE", "INFO", "PRACK", "UPDATE", "REFER", "NOTIFY"})


class CallHandler(Protocol):
    def on_invite(self, call: InboundCall) -> None:
        """Ring, answer or reject the call (at once or later)."""


class SipEndpoint:
    user_agent = "Helpline"

    def __init__(
        self,
        settings: SipSettings,
        *,
        handler: CallHandler | None = None,
        secret: bytes | None = None,
        timers: Timers = Timers(),
        on_registration: Callable[[RegistrationChange], None] | None = None,
    ) -> None:
        self.settings = settings
        self.host = settings.host
        self.port = settings.port
        self.timers = timers
        self.layer = TransactionLayer(timers)
        self.digest = DigestServer(secret or secrets.token_bytes(32), settings.realm)
        self.registrar = Registrar(self.digest, self._user_password)
        self.limiter = TokenBuckets(settings.rate_limit_per_s, settings.rate_limit_burst)
        self.handler = handler
        self.on_registration = on_registration
        self.stats: Counter[str] = Counter()
        self._external = re.compile(settings.external_number_pattern)
        self._trunk_nets = [
            (name, ipaddress.ip_network(src, strict=False))
            for name, trunk in settings.trunks.items()
            for src in trunk.allow_from
        ]
        self._trunk_users = {t.username: name for name, t in settings.trunks.items() if t.username}
        self._udp: UdpTransport | None = None
        self._tcp_server: asyncio.Server | None = None
        self._tcp: dict[Peer, TcpConnection] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._expiry: asyncio.TimerHandle | None = None
        self.expiry_check_s = 15.0
        self._busy = False
        self._dialogs: dict[DialogId, SipCall] = {}
        self._pending: dict[TransactionKey, InboundCall] = {}
        self._clients: dict[TransactionKey, Callable[[Response | None], None]] = {}
        self._outbound_by_call_id: dict[str, OutboundCall] = {}

    # -- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        udp = UdpTransport(self.on_datagram)
        await loop.create_datagram_endpoint(lambda: udp, local_addr=(self.host, self.port))
        self._udp = udp
        self.host, self.port = udp.address
        if self.settings.tcp:
            self._tcp_server = await loop.create_server(
                lambda: TcpConnection(self._on_stream_message, self._on_tcp_closed), self.host, self.port
            )
        log.info("SIP listening on %s:%d (UDP%s)", self.host, self.port, " and TCP" if self.settings.tcp else "")
        self._expiry = loop.call_later(self.expiry_check_s, self._expire_bindings)

    def _expire_bindings(self) -> None:
        """Phones that stopped refreshing their registration: their users lose them (and the
        voice layer logs the agent out), without waiting for a lookup to notice."""
        for change in self.registrar.expire(time.time()):
            if self.on_registration is not None:
                try:
                    self.on_registration(change)
                except Exception:
                    log.exception("SIP: registration change %r could not be handled", change)
        self._expiry = asyncio.get_running_loop().call_later(self.expiry_check_s, self._expire_bindings)

    async def close(self) -> None:
        for call in list(self._dialogs.values()) + list(self._pending.values()):
            if call.active:
                with contextlib.suppress(SipStateError):
                    call.hangup()
        if self._timer is not None:
            self._timer.cancel()
        if self._expiry is not None:
            self._expiry.cancel()
        if self._udp is not None:
            self._udp.close()
        if self._tcp_server is not None:
            self._tcp_server.close()
            for conn in list(self._tcp.values()):
                conn.close()
            await self._tcp_server.wait_closed()
        await asyncio.sleep(0)

    # -- identities ----------------------------------------------------------------------------
    def _user_password(self, user: str) -> str | None:
        u = self.settings.users.get(user)
        return u.password.get_secret_value() if u is not None else None

    def _any_password(self, name: str) -> str | None:
        password = self._user_password(name)
        if password is not None:
            return password
        trunk = self._trunk_users.get(name)
        if trunk is not None:
            secret = self.settings.trunks[trunk].password
            return secret.get_secret_value() if secret is not None else None
        return None

    def trunk_for(self, host: str) -> str | None:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return None
        for name, net in self._trunk_nets:
            if address in net:
                return name
        return None

    def via(self, reliable: bool = False) -> Via:
        return Via("TCP" if reliable else "UDP", self.host, self.port, (("branch", new_branch()), ("rport", None)))

    def contact(self, user: str = "helpline") -> Address:
        return Address(SipUri(self.host, user=user, port=self.port))

    # -- input -----------------------------------------------------------------------------------
    def on_datagram(self, data: bytes, source: Peer) -> None:
        if not data.strip(b"\r\n\0 "):
            return  # keep-alive
        if not self._admit(source):
            return
        try:
            message = parse_message(data)
        except SipParseError as exc:
            self.stats["malformed"] += 1
            response = build_error_response(exc)
            if response is not None and self._udp is not None:
                self._udp.send(bytes(response), source)
            return
        self._receive(message, source, reliable=False)

    def _on_stream_message(self, conn: TcpConnection, item: Request | Response | SipParseError) -> None:
        self._tcp[conn.peer] = conn
        if not self._admit(conn.peer):
            return
        if isinstance(item, SipParseError):
            self.stats["malformed"] += 1
            response = build_error_response(item)
            if response is not None:
                conn.write(bytes(response))
            return
        self._receive(item, conn.peer, reliable=True)

    def _on_tcp_closed(self, conn: TcpConnection) -> None:
        if self._tcp.get(conn.peer) is conn:
            del self._tcp[conn.peer]

    def _admit(self, source: Peer) -> bool:
        if self.trunk_for(source[0]) is not None:
            return True
        if self.limiter.allow(source[0], time.monotonic()):
            return True
        self.stats["rate_limited"] += 1
        return False

    def _receive(self, message: Request | Response, source: Peer, *, reliable: bool) -> None:
        # Transaction timers run on the monotonic clock: a wall-clock step must not fire or
        # starve retransmissions. Registrations and nonces keep wall time (they outlive a run).
        now = time.monotonic()
        if isinstance(message, Request):
            self.stats["requests"] += 1
            try:
                add_received(message, source[0], source[1])
            except SipParseError:
                return
        try:
            self.layer.receive(message, source, now, reliable=reliable)
        except SipStateError as exc:
            log.debug("SIP: %s", exc)
        self._kick()

    # -- the drain: events, sends, the timer -----------------------------------------------------
    def _kick(self) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            while True:
                events = self.layer.pop_events()
                if not events:
                    break
                for event in events:
                    try:
                        self._dispatch(event)
                    except Exception:
                        log.exception("SIP: handling %r failed", event)
            self._flush()
        finally:
            self._busy = False
        self._arm()

    def _flush(self) -> None:
        for out in self.layer.messages_to_send():
            self._send(bytes(out.message), out.peer)

    def _send(self, data: bytes, peer: Peer) -> None:
        conn = self._tcp.get(peer)
        if conn is not None:
            conn.write(data)
        elif self._udp is not None:
            self._udp.send(data, peer)

    def _arm(self) -> None:
        deadline = self.layer.next_timer()
        if deadline == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = deadline
        if deadline is not None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_at(loop.time() + max(0.0, deadline - time.monotonic()), self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = None
        self.layer.handle_timer(time.monotonic())
        self._kick()

    def _dispatch(self, event: object) -> None:
        if isinstance(event, RequestReceived):
            self._on_request(event.transaction, event.request, event.source)
        elif isinstance(event, ResponseReceived):
            owner = self._clients.get(event.transaction)
            if owner is not None:
                owner(event.response)
        elif isinstance(event, StrayResponse):
            response = event.response
            if response.success and response.cseq.method == "INVITE":
                call = self._outbound_by_call_id.get(response.call_id)
                if call is not None:
                    call._on_stray_success(response)
        elif isinstance(event, AckReceived):
            dialog_id = DialogId.of_incoming_request(event.request)
            leg = self._dialogs.get(dialog_id) if dialog_id is not None else None
            if leg is not None:
                leg._on_ack(event.request)
        elif isinstance(event, TransactionTimeout | TransportFailed):
            owner = self._clients.pop(event.transaction, None)
            if owner is not None:
                owner(None)
        elif isinstance(event, TransactionTerminated):
            self._clients.pop(event.transaction, None)
            self._pending.pop(event.transaction, None)

    # -- sending (used by the call legs) ---------------------------------------------------------
    def respond(
        self,
        key: TransactionKey,
        request: Request,
        status: int,
        reason: str | None = None,
        *,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        content_type: str | None = None,
    ) -> None:
        response = build_response(
            request, status, reason, to_tag=None if request.to.tag else _tag_for(request),
            headers=headers, body=body, content_type=content_type,
        )
        self.send_response(key, response)

    def send_response(self, key: TransactionKey, response: Response) -> None:
        self.stats[f"sent_{response.status}"] += 1
        self.layer.send_response(key, response, time.monotonic())
        self._kick()

    def send_request(
        self, request: Request, peer: Peer, reliable: bool, on_response: Callable[[Response | None], None] | None
    ) -> TransactionKey:
        key = self.layer.send_request(request, peer, time.monotonic(), reliable=reliable)
        if on_response is not None:
            self._clients[key] = on_response
        self._kick()
        return key

    def send_stateless(self, message: Request | Response, peer: Peer) -> None:
        self.layer.send_stateless(message, peer)
        self._kick()

    def dial(self, call: OutboundCall) -> OutboundCall:
        self._outbound_by_call_id[call.call_id] = call
        call.start()
        return call

    def _forget(self, call: SipCall) -> None:
        if call.dialog is not None:
            self._dialogs.pop(call.dialog.id, None)
        if isinstance(call, InboundCall):
            self._pending.pop(call.key, None)
            self._dialogs.pop(DialogId(call.call_id, call.to_tag, call.invite.from_.tag or ""), None)
        elif isinstance(call, OutboundCall):
            self._outbound_by_call_id.pop(call.call_id, None)

    # -- requests --------------------------------------------------------------------------------
    def _on_request(self, key: TransactionKey, request: Request, source: Peer) -> None:
        method = request.method
        if method == "CANCEL":
            self._on_cancel(key, request)
            return
        dialog_id = DialogId.of_incoming_request(request)
        if dialog_id is not None:
            leg = self._dialogs.get(dialog_id)
            if leg is not None:
                leg._on_request(key, request)
            elif method == "OPTIONS":
                self._options(key, request)
            else:
                self.respond(key, request, 481)
            return
        if method == "OPTIONS":
            self._options(key, request)
        elif method == "REGISTER":
            response, change = self.registrar.handle(request, source, time.time(), reliable=source in self._tcp)
            self.send_response(key, response)
            if change is not None and self.on_registration is not None:
                self.on_registration(change)
        elif method == "INVITE":
            self._on_invite(key, request, source)
        elif method in _OUT_OF_DIALOG_481:
            self.respond(key, request, 481)
        elif method in ALLOW:
            self.respond(key, request, 405, headers=[("Allow", ALLOW)])
        else:
            self.respond(key, request, 501, headers=[("Allow", ALLOW)])

    def _options(self, key: TransactionKey, request: Request) -> None:
        self.respond(
            key, request, 200,
            headers=[("Allow", ALLOW), ("Accept", "application/sdp"), ("User-Agent", self.user_agent)],
        )

    def _on_cancel(self, key: TransactionKey, cancel: Request) -> None:
        invite_key = self.layer.invite_for_cancel(cancel)
        call = self._pending.get(invite_key) if invite_key is not None else None
        if call is None:
            self.respond(key, cancel, 481)
            return
        self.respond(key, cancel, 200)
        call._cancelled()

    def _on_invite(self, key: TransactionKey, request: Request, source: Peer) -> None:
        now = time.time()
        trunk = self.trunk_for(source[0])
        user: str | None = None
        if request.headers.get("Proxy-Authorization") is not None:
            result = self.digest.verify(request, self._any_password, now, proxy=True)
            if result.status is AuthStatus.STALE:
                self.send_response(key, self.digest.challenge_response(request, now, proxy=True, stale=True, to_tag=_tag_for(request)))
                return
            if result.status is not AuthStatus.OK:
                self.stats["auth_failed"] += 1
                self.respond(key, request, 403, "Forbidden (bad credentials)")
                return
            name = result.username or ""
            if name in self._trunk_users:
                trunk = self._trunk_users[name]
            else:
                user = name
        uri = request.uri
        called = uri.user if isinstance(uri, SipUri) else None
        if not called:
            self.respond(key, request, 404)
            return
        if called in self.settings.dids:
            self._hand_over(key, request, source, "did", trunk, user)
            return
        if self._external.fullmatch(called):
            allowed = (trunk is not None and self.settings.trunks[trunk].dial_out) or (
                user is not None and self.settings.users[user].dial_out
            )
            if allowed:
                self._hand_over(key, request, source, "external", trunk, user)
                return
            from_user = getattr(request.from_.uri, "user", None)
            if user is None and from_user in self.settings.users:
                self.send_response(key, self.digest.challenge_response(request, now, proxy=True, to_tag=_tag_for(request)))
                return
            self.stats["toll_fraud_refused"] += 1
            self.respond(key, request, 403, "Forbidden (calls out need an authenticated user or trunk)")
            return
        self.respond(key, request, 404)

    def _hand_over(
        self, key: TransactionKey, request: Request, source: Peer, kind: str, trunk: str | None, user: str | None
    ) -> None:
        try:
            call = InboundCall(self, key, request, source, reliable=source in self._tcp, kind=kind, trunk=trunk, user=user)
        except ValueError:
            self.respond(key, request, 400, "Bad SDP")
            return
        self._pending[key] = call
        self._dialogs[DialogId(call.call_id, call.to_tag, request.from_.tag or "")] = call
        if self.handler is None:
            call.reject(503)
            return
        try:
            self.handler.on_invite(call)
        except Exception:
            log.exception("SIP: the call handler failed on %s", call.call_id)
            call.reject(500)


def _tag_for(request: Request) -> str:
    # Answers outside a dialog (errors, OPTIONS) need a To tag too; any fresh one will do.
    return new_tag()
