"""Call legs on the SIP endpoint: ``InboundCall`` (we are the UAS) and ``OutboundCall`` (UAC).

A leg wraps one INVITE dialog. It owns no media: the voice layer gives it SDP bodies and sets
callbacks for what happens inside the dialog (``on_dtmf`` for SIP INFO digits, ``on_reoffer``
for a re-INVITE such as hold, ``on_refer`` for a blind transfer). ``ended`` resolves once with
the reason the leg ended ("remote-bye", "local-bye", "cancelled", "rejected 486", "timeout"...).

Inbound: ``ring`` sends 180 (or 183 with SDP for early media), ``answer`` the 200 (retransmitted
on UDP until the ACK comes, RFC 3261 §13.3.1.4), ``reject`` a final failure, ``hangup`` a BYE or,
before the answer, a 480. A CANCEL from the caller ends the leg with 487. An INVITE without a
body is a late offer (RFC 3261 §13.2.1): ``offer`` is None, the 200 carries our offer, and the
caller's answer arrives in the ACK (``ack_sdp``, None when the ACK had none or it did not parse).

Outbound: ``start`` sends the INVITE; ``outcome`` resolves with the first final response (None
when no answer came within Timer B). A 2xx is acknowledged here; a 401/407 is answered once
with the leg's digest credentials. ``cancel`` sends CANCEL before the answer, BYE after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from enum import Enum
from typing import TYPE_CHECKING

from helpline.protocols.sip import (
    Dialog,
    DialogId,
    DialogState,
    DigestClient,
    Request,
    Response,
    SessionDescription,
    SipParseError,
    SipStateError,
    TransactionKey,
    build_cancel,
    build_request,
    build_response,
    new_call_id,
    new_tag,
)
from helpline.protocols.sip.headers import Address
from helpline.protocols.sip.uri import SipUri

if TYPE_CHECKING:
    from helpline.edge.sip.endpoint import SipEndpoint

log = logging.getLogger(__name__)

Peer = tuple[str, int]
SDP = "application/sdp"
DTMF_KEYS = frozenset("0123456789*#ABCD")


class LegState(Enum):
    """new → early (1xx) → answered (2xx) → ended; any state but ended may end at once."""

    NEW = "new"
    EARLY = "early"
    ANSWERED = "answered"
    ENDED = "ended"


# The legal moves of a leg. A repeated 1xx or 2xx keeps its state; nothing leaves "ended".
LEG_MOVES: dict[LegState, frozenset[LegState]] = {
    LegState.NEW: frozenset({LegState.EARLY, LegState.ANSWERED, LegState.ENDED}),
    LegState.EARLY: frozenset({LegState.EARLY, LegState.ANSWERED, LegState.ENDED}),
    LegState.ANSWERED: frozenset({LegState.ANSWERED, LegState.ENDED}),
    LegState.ENDED: frozenset(),
}


class SipCall:
    """What both kinds of leg share: the dialog, in-dialog requests, and the end."""

    def __init__(self, endpoint: SipEndpoint, peer: Peer, reliable: bool) -> None:
        self.endpoint = endpoint
        self.peer = peer
        self.reliable = reliable
        self.dialog: Dialog | None = None
        self.state = LegState.NEW
        self.ended: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.on_dtmf: Callable[[str], None] | None = None
        self.on_reoffer: Callable[[SessionDescription], bytes | None] | None = None
        self.on_refer: Callable[[Address], bool] | None = None
        self.remote_sdp: SessionDescription | None = None
        self.call_id = ""

    @property
    def active(self) -> bool:
        return self.state is not LegState.ENDED

    def _move(self, to: LegState) -> None:
        """Change state through the table; an illegal move raises and changes nothing."""
        if to not in LEG_MOVES[self.state]:
            raise SipStateError(f"call {self.call_id}: {self.state.value} cannot become {to.value}")
        self.state = to

    def _finish(self, reason: str) -> None:
        if self.state is LegState.ENDED:
            return
        self._move(LegState.ENDED)
        self.endpoint._forget(self)
        if not self.ended.done():
            self.ended.set_result(reason)

    def _register_dialog(self, dialog: Dialog) -> None:
        self.dialog = dialog
        self.endpoint._dialogs[dialog.id] = self

    # -- requests inside the dialog --------------------------------------------------------
    def send_in_dialog(
        self,
        method: str,
        *,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        content_type: str | None = None,
        on_response: Callable[[Response | None], None] | None = None,
    ) -> None:
        if self.dialog is None or self.dialog.state is DialogState.TERMINATED:
            raise SipStateError(f"{method}: no dialog to send it in")
        request = self.dialog.create_request(
            method, self.endpoint.via(self.reliable), headers=headers, body=body, content_type=content_type
        )
        self.endpoint.send_request(request, self.peer, self.reliable, on_response)

    def notify_refer(self, status_line: str = "SIP/2.0 200 OK") -> None:
        """Report how a REFER went (RFC 3515 §2.4.4), ending the implicit subscription."""
        with contextlib.suppress(SipStateError):
            self.send_in_dialog(
                "NOTIFY",
                headers=[("Event", "refer"), ("Subscription-State", "terminated;reason=noresource")],
                body=(status_line + "\r\n").encode(),
                content_type="message/sipfrag;version=2.0",
            )

    def _bye(self) -> None:
        if self.dialog is not None and self.dialog.state is not DialogState.TERMINATED:
            with contextlib.suppress(SipStateError):
                self.send_in_dialog("BYE")

    def hangup(self) -> None:
        raise NotImplementedError

    def _on_request(self, key: TransactionKey, request: Request) -> None:
        ep = self.endpoint
        if self.dialog is None:
            ep.respond(key, request, 481)
            return
        status = self.dialog.receive_request(request)
        if status is not None:
            ep.respond(key, request, status)
            return
        method = request.method
        if method == "BYE":
            ep.respond(key, request, 200)
            self._finish("remote-bye")
        elif method == "INVITE":
            self._on_reinvite(key, request)
        elif method == "INFO":
            digit = _info_digit(request)
            ep.respond(key, request, 200)
            if digit is not None and self.on_dtmf is not None:
                self.on_dtmf(digit)
        elif method == "REFER":
            target = request.headers.get("Refer-To")
            try:
                address = Address.parse(target or "", "Refer-To")
            except SipParseError:
                ep.respond(key, request, 400, "Bad Refer-To")
                return
            if self.on_refer is None:
                ep.respond(key, request, 603)
                return
            ep.respond(key, request, 202)
            if not self.on_refer(address):
                self.notify_refer("SIP/2.0 404 Not Found")
        elif method in ("OPTIONS", "NOTIFY", "UPDATE", "ACK"):
            ep.respond(key, request, 200)
        else:
            ep.respond(key, request, 501)

    def _on_reinvite(self, key: TransactionKey, request: Request) -> None:
        ep = self.endpoint
        answer: bytes | None = None
        if request.body:
            try:
                offer = SessionDescription.parse(request.body)
            except ValueError:
                ep.respond(key, request, 400, "Bad SDP")
                return
            self.remote_sdp = offer
            answer = self.on_reoffer(offer) if self.on_reoffer is not None else None
            if answer is None:
                ep.respond(key, request, 488)
                return
        ep.respond(
            key, request, 200, headers=[("Contact", str(ep.contact()))],
            body=answer or b"", content_type=SDP if answer else None,
        )

    def _on_ack(self, request: Request) -> None:
        pass


class InboundCall(SipCall):
    def __init__(
        self,
        endpoint: SipEndpoint,
        key: TransactionKey,
        invite: Request,
        source: Peer,
        *,
        reliable: bool,
        kind: str,
        trunk: str | None = None,
        user: str | None = None,
    ) -> None:
        super().__init__(endpoint, source, reliable)
        self.key = key
        self.invite = invite
        self.kind = kind  # "did" or "external"
        self.trunk = trunk
        self.user = user  # the authenticated SIP user who placed it, if any
        self.call_id = invite.call_id
        self.to_tag = new_tag()
        uri = invite.uri
        self.called = (uri.user if isinstance(uri, SipUri) else None) or ""
        frm = invite.from_
        self.caller = (frm.uri.user if isinstance(frm.uri, SipUri) else None) or "anonymous"
        self.caller_name = frm.display_name
        self.offer: SessionDescription | None = None
        if invite.body:
            self.offer = SessionDescription.parse(invite.body)
        self.confirmed: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.ack_sdp: SessionDescription | None = None
        self._final: Response | None = None
        self._retransmit: asyncio.TimerHandle | None = None

    def _send(self, status: int, *, reason: str | None = None, body: bytes = b"",
              headers: Iterable[tuple[str, str]] = ()) -> Response:
        ep = self.endpoint
        extra = list(headers)
        if status < 300:
            extra.append(("Contact", str(ep.contact())))
        response = build_response(
            self.invite, status, reason, to_tag=self.to_tag, headers=extra,
            body=body, content_type=SDP if body else None,
        )
        if 100 < status < 300:
            if self.dialog is None:
                self._register_dialog(Dialog.as_uas(self.invite, response))
            else:
                self.dialog.response_sent(response)
        ep.send_response(self.key, response)
        return response

    def ring(self, sdp: bytes | None = None) -> None:
        """180 Ringing, or 183 Session Progress with ``sdp`` for early media."""
        if self.state not in (LegState.NEW, LegState.EARLY):
            return
        self._move(LegState.EARLY)
        self._send(183 if sdp else 180, body=sdp or b"")

    def answer(self, sdp: bytes) -> None:
        if self.state not in (LegState.NEW, LegState.EARLY):
            raise SipStateError(f"call {self.call_id} cannot be answered when {self.state.value}")
        self._move(LegState.ANSWERED)
        self._final = self._send(200, body=sdp)
        if not self.reliable:
            self._schedule_retransmit(self.endpoint.timers.t1)

    def _schedule_retransmit(self, interval: float) -> None:
        loop = asyncio.get_running_loop()
        self._retransmit = loop.call_later(interval, self._retransmit_2xx, interval)

    def _retransmit_2xx(self, interval: float) -> None:
        self._retransmit = None
        if self.confirmed.done() or self.state is not LegState.ANSWERED or self._final is None:
            return
        if interval * 2 > 64 * self.endpoint.timers.t1:
            log.info("call %s: no ACK for the 200 OK; hanging up", self.call_id)
            self.hangup()
            return
        try:
            self.endpoint.send_response(self.key, self._final)
        except SipStateError:
            return
        self._schedule_retransmit(min(interval * 2, self.endpoint.timers.t2))

    def _on_ack(self, request: Request) -> None:
        if not self.confirmed.done():
            if request.body:
                try:
                    self.ack_sdp = self.remote_sdp = SessionDescription.parse(request.body)
                except ValueError:
                    log.info("call %s: the SDP in the ACK does not parse", self.call_id)
            self.confirmed.set_result(True)
        if self._retransmit is not None:
            self._retransmit.cancel()
            self._retransmit = None

    def reject(self, status: int, reason: str | None = None, headers: Iterable[tuple[str, str]] = ()) -> None:
        if self.state in (LegState.NEW, LegState.EARLY):
            self._send(status, reason=reason, headers=headers)
            self._finish(f"rejected {status}")

    def hangup(self) -> None:
        if self.state is LegState.ANSWERED:
            self._bye()
            self._finish("local-bye")
        elif self.state in (LegState.NEW, LegState.EARLY):
            self.reject(480)

    def _cancelled(self) -> None:
        if self.state in (LegState.NEW, LegState.EARLY):
            self._send(487)
            self._finish("cancelled")

    def _finish(self, reason: str) -> None:
        if self._retransmit is not None:
            self._retransmit.cancel()
            self._retransmit = None
        super()._finish(reason)


class OutboundCall(SipCall):
    def __init__(
        self,
        endpoint: SipEndpoint,
        *,
        request_uri: SipUri,
        peer: Peer,
        from_user: str,
        from_name: str | None = None,
        to_uri: SipUri | None = None,
        sdp: bytes,
        headers: Iterable[tuple[str, str]] = (),
        credentials: DigestClient | None = None,
        reliable: bool = False,
    ) -> None:
        super().__init__(endpoint, peer, reliable)
        self.request_uri = request_uri
        self.call_id = new_call_id(endpoint.host)
        self.from_tag = new_tag()
        from_address = Address(SipUri(endpoint.host, user=from_user, port=endpoint.port), from_name)
        self.invite = build_request(
            "INVITE",
            request_uri,
            from_=from_address.with_tag(self.from_tag),
            to=Address(to_uri or request_uri),
            call_id=self.call_id,
            cseq=1,
            via=endpoint.via(reliable),
            contact=endpoint.contact(),
            headers=[*headers, ("User-Agent", endpoint.user_agent)],
            body=sdp,
            content_type=SDP,
        )
        self.outcome: asyncio.Future[Response | None] = asyncio.get_running_loop().create_future()
        self.ringing = asyncio.Event()
        self._credentials = credentials
        self._authorized = False
        self._cancel_requested = False
        self._key: TransactionKey | None = None
        self._ack: Request | None = None

    def start(self) -> None:
        self._key = self.endpoint.send_request(self.invite, self.peer, self.reliable, self._on_response)

    def _on_response(self, response: Response | None) -> None:
        if response is None:
            self._settle(None)
            self._finish("timeout")
            return
        status = response.status
        if status < 200:
            if status in (180, 183):
                self.ringing.set()
            return
        if 200 <= status < 300:
            self._on_success(response)
            return
        if status in (401, 407) and self._credentials is not None and not self._authorized and not self._cancel_requested:
            retry = self._credentials.authorize(self.invite, response)
            if retry is not None:
                self._authorized = True
                self.invite = retry
                self.start()
                return
        self._settle(response)
        self._finish("cancelled" if status == 487 else f"rejected {status}")

    def _on_success(self, response: Response) -> None:
        if self.dialog is None:
            self._register_dialog(Dialog.as_uac(self.invite, response))
        elif self.dialog.state is DialogState.EARLY:
            self.dialog.receive_response(response)
        assert self.dialog is not None
        if self._ack is None:
            self._ack = self.dialog.create_ack(self.endpoint.via(self.reliable))
        self.endpoint.send_stateless(self._ack, self.peer)
        if response.body:
            try:
                self.remote_sdp = SessionDescription.parse(response.body)
            except ValueError:
                log.info("call %s: the answer's SDP does not parse", self.call_id)
        if self.state is LegState.ENDED:
            return
        self._move(LegState.ANSWERED)
        self._settle(response)
        if self._cancel_requested:
            self.hangup()

    def _on_stray_success(self, response: Response) -> None:
        """A 2xx retransmitted after the transaction ended: acknowledge it again."""
        if self._ack is not None:
            self.endpoint.send_stateless(self._ack, self.peer)

    def _settle(self, response: Response | None) -> None:
        if not self.outcome.done():
            self.outcome.set_result(response)

    def cancel(self) -> None:
        """CANCEL while ringing (the leg ends when the 487 arrives); BYE once answered."""
        if self.state is LegState.ANSWERED:
            self.hangup()
            return
        if self.state is LegState.ENDED or self._cancel_requested:
            return
        self._cancel_requested = True
        cancel = build_cancel(self.invite)
        self.endpoint.send_request(cancel, self.peer, self.reliable, None)

    def hangup(self) -> None:
        if self.state is LegState.ANSWERED:
            self._bye()
            self._finish("local-bye")
        else:
            self.cancel()


def _info_digit(request: Request) -> str | None:
    """The key in a SIP INFO (application/dtmf-relay ``Signal=5`` or application/dtmf ``5``)."""
    ctype = request.content_type
    text = request.body.decode("ascii", "replace").strip()
    if ctype == "application/dtmf-relay":
        for line in text.splitlines():
            name, _, value = line.partition("=")
            if name.strip().lower() == "signal":
                digit = value.strip().upper()
                return digit if digit in DTMF_KEYS else None
        return None
    if ctype == "application/dtmf":
        digit = text.upper()
        return digit if digit in DTMF_KEYS else None
    return None


__all__ = ["DialogId", "InboundCall", "LegState", "OutboundCall", "SipCall"]
