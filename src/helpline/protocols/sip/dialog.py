"""SIP dialogs (RFC 3261 §12): the peer-to-peer relationship an INVITE (or REFER...) creates.

Theory of operation
-------------------
A dialog is identified by Call-ID plus the local and remote tags. It is created from the
first response carrying a To tag: a 1xx makes it Early, a 2xx Confirmed. The UAC builds it
from its request and the response (``Dialog.as_uac``), the UAS from the request and the
response it sends (``Dialog.as_uas``). The dialog then remembers what every request inside it
needs: the route set (from Record-Route; reversed on the UAC side), the remote target (the
peer's Contact, replaced by target-refresh requests and their 2xx), and the two CSeq
counters. ``create_request`` builds BYE, re-INVITE, REFER, INFO... and ``create_ack`` the ACK
for a 2xx, which, unlike the ACK for a failure, belongs to the dialog and not to the
transaction.

State changes go through a transition table over (state, input). Responses and requests feed
inputs: a 2xx confirms, a failure to the initial INVITE ends an early dialog, a 481 or 408 to
any request ends the dialog (§12.2.1.2), and a BYE sent or received ends it. Anything the
table lacks raises SipStateError and leaves the dialog as it was.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from helpline.protocols.sip.builders import build_request, new_branch
from helpline.protocols.sip.errors import SipStateError
from helpline.protocols.sip.headers import Address, Via
from helpline.protocols.sip.message import Request, Response
from helpline.protocols.sip.uri import SipUri, Uri

TARGET_REFRESH = frozenset({"INVITE", "UPDATE", "SUBSCRIBE", "NOTIFY", "REFER"})


class DialogState(enum.Enum):
    EARLY = "early"
    CONFIRMED = "confirmed"
    TERMINATED = "terminated"


class DialogInput(enum.Enum):
    PROVISIONAL = "1xx with tag"
    SUCCESS = "2xx"
    FAILURE = "failure of the initial INVITE"
    REJECTED = "failure of a mid-dialog request"
    GONE = "481 or 408"
    BYE = "BYE"


_D = DialogState
_In = DialogInput
_TABLE: dict[tuple[DialogState, DialogInput], DialogState] = {
    (_D.EARLY, _In.PROVISIONAL): _D.EARLY,
    (_D.EARLY, _In.SUCCESS): _D.CONFIRMED,
    (_D.EARLY, _In.FAILURE): _D.TERMINATED,
    (_D.EARLY, _In.REJECTED): _D.EARLY,
    (_D.EARLY, _In.GONE): _D.TERMINATED,
    (_D.EARLY, _In.BYE): _D.TERMINATED,
    (_D.CONFIRMED, _In.PROVISIONAL): _D.CONFIRMED,
    (_D.CONFIRMED, _In.SUCCESS): _D.CONFIRMED,
    (_D.CONFIRMED, _In.REJECTED): _D.CONFIRMED,
    (_D.CONFIRMED, _In.GONE): _D.TERMINATED,
    (_D.CONFIRMED, _In.BYE): _D.TERMINATED,
}


class Role(enum.Enum):
    UAC = "uac"
    UAS = "uas"


@dataclass(frozen=True, slots=True)
class DialogId:
    call_id: str
    local_tag: str
    remote_tag: str

    @classmethod
    def of_incoming_request(cls, request: Request) -> DialogId | None:
        """The id an arriving in-dialog request refers to (None without a To tag)."""
        to_tag = request.to.tag
        if not to_tag:
            return None
        return cls(request.call_id, to_tag, request.from_.tag or "")

    @classmethod
    def of_incoming_response(cls, response: Response) -> DialogId | None:
        to_tag = response.to.tag
        if not to_tag:
            return None
        return cls(response.call_id, response.from_.tag or "", to_tag)


class Dialog:
    def __init__(
        self,
        *,
        role: Role,
        call_id: str,
        local_tag: str,
        remote_tag: str,
        local_address: Address,
        remote_address: Address,
        remote_target: Uri,
        route_set: list[Address],
        local_seq: int | None,
        remote_seq: int | None,
        local_contact: Address | None,
        state: DialogState,
        secure: bool = False,
    ) -> None:
        self.role = role
        self.call_id = call_id
        self.local_tag = local_tag
        self.remote_tag = remote_tag
        self.local_address = local_address
        self.remote_address = remote_address
        self.remote_target = remote_target
        self.route_set = route_set
        self.local_seq = local_seq
        self.remote_seq = remote_seq
        self.local_contact = local_contact
        self.state = state
        self.secure = secure
        self.invite_seq: int | None = None
        self._ack: Request | None = None

    @property
    def id(self) -> DialogId:
        return DialogId(self.call_id, self.local_tag, self.remote_tag)

    # -- creation (§12.1) -----------------------------------------------------------------
    @classmethod
    def as_uac(cls, request: Request, response: Response) -> Dialog:
        """The dialog a UAC gets from a 1xx-with-tag or a 2xx to its request (§12.1.2)."""
        tag = response.to.tag
        if not tag or not 100 < response.status < 300:
            raise SipStateError("a dialog needs a 101-299 response with a To tag")
        contacts = response.contact
        dialog = cls(
            role=Role.UAC,
            call_id=request.call_id,
            local_tag=request.from_.tag or "",
            remote_tag=tag,
            local_address=request.from_.without_param("tag"),
            remote_address=response.to.without_param("tag"),
            remote_target=contacts[0].uri if contacts else request.uri,
            route_set=list(reversed(response.record_route)),
            local_seq=request.cseq.seq,
            remote_seq=None,
            local_contact=request.contact[0] if request.contact else None,
            state=DialogState.CONFIRMED if response.success else DialogState.EARLY,
            secure=isinstance(request.uri, SipUri) and request.uri.secure,
        )
        if request.method == "INVITE":
            dialog.invite_seq = request.cseq.seq
        return dialog

    @classmethod
    def as_uas(cls, request: Request, response: Response) -> Dialog:
        """The dialog a UAS gets by answering ``request`` with ``response`` (§12.1.1)."""
        tag = response.to.tag
        if not tag or not 100 < response.status < 300:
            raise SipStateError("a dialog needs a 101-299 response with a To tag")
        contacts = request.contact
        if not contacts:
            raise SipStateError("a dialog-creating request must carry a Contact")
        return cls(
            role=Role.UAS,
            call_id=request.call_id,
            local_tag=tag,
            remote_tag=request.from_.tag or "",
            local_address=response.to.without_param("tag"),
            remote_address=request.from_.without_param("tag"),
            remote_target=contacts[0].uri,
            route_set=list(request.record_route),
            local_seq=None,
            remote_seq=request.cseq.seq,
            local_contact=response.contact[0] if response.contact else None,
            state=DialogState.CONFIRMED if response.success else DialogState.EARLY,
            secure=isinstance(request.uri, SipUri) and request.uri.secure,
        )

    # -- requests within the dialog (§12.2.1) ---------------------------------------------
    def create_request(
        self,
        method: str,
        via: Via,
        *,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        content_type: str | None = None,
    ) -> Request:
        """A request inside the dialog; ``via`` gets a fresh branch unless it has one.

        A BYE ends the dialog as soon as it is built (§15): nothing more may be sent in it.
        """
        if method in ("ACK", "CANCEL"):
            raise SipStateError(f"use create_ack() or build_cancel() for {method}")
        if self.state is DialogState.TERMINATED:
            raise SipStateError(f"dialog {self.call_id} is terminated")
        if method == "BYE":
            self._fire(DialogInput.BYE)
        self.local_seq = 1 if self.local_seq is None else self.local_seq + 1
        if method == "INVITE":
            self.invite_seq = self.local_seq
        return self._build(method, self.local_seq, via, headers, body, content_type)

    def create_ack(
        self, via: Via, *, body: bytes = b"", content_type: str | None = None
    ) -> Request:
        """The ACK for a 2xx to the last INVITE (§13.2.2.4): same CSeq number, new branch.

        Asked again for the same INVITE (a retransmitted 2xx), it returns the very same ACK.
        """
        if self.invite_seq is None:
            raise SipStateError("no INVITE to acknowledge in this dialog")
        if self._ack is not None and self._ack.cseq.seq == self.invite_seq:
            return self._ack
        self._ack = self._build("ACK", self.invite_seq, via, (), body, content_type)
        return self._ack

    def _build(
        self,
        method: str,
        seq: int,
        via: Via,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        content_type: str | None,
    ) -> Request:
        if via.branch is None:
            via = via.with_param("branch", new_branch())
        uri, routes = self._request_target()
        contact = self.local_contact if method in TARGET_REFRESH else None
        return build_request(
            method,
            uri,
            from_=self.local_address.with_tag(self.local_tag),
            to=self.remote_address.with_tag(self.remote_tag),
            call_id=self.call_id,
            cseq=seq,
            via=via,
            contact=contact,
            route=routes,
            headers=headers,
            body=body,
            content_type=content_type,
        )

    def _request_target(self) -> tuple[Uri, list[Address]]:
        if not self.route_set:
            return self.remote_target, []
        first = self.route_set[0].uri
        if isinstance(first, SipUri) and first.lr:
            return self.remote_target, list(self.route_set)
        # Strict router (RFC 2543): it goes in the Request-URI and the remote target goes last.
        strict = first.without_headers() if isinstance(first, SipUri) else first
        return strict, [*self.route_set[1:], Address(self.remote_target)]

    # -- what arrives -----------------------------------------------------------------------
    def receive_request(self, request: Request) -> int | None:
        """Apply an in-dialog request (§12.2.2). Returns None to go on, or the status to reject
        it with (500 when it is out of order)."""
        if request.method in ("ACK", "CANCEL"):
            return None
        seq = request.cseq.seq
        if self.remote_seq is not None and seq < self.remote_seq:
            return 500
        if self.state is DialogState.TERMINATED:
            return 481
        self.remote_seq = seq
        if request.method in TARGET_REFRESH and request.contact:
            self.remote_target = request.contact[0].uri
        if request.method == "BYE":
            self._fire(DialogInput.BYE)
        return None

    def receive_response(self, response: Response) -> None:
        """Apply a response the UAC received inside the dialog (or to the creating INVITE)."""
        self._apply_response(response, received=True)

    def response_sent(self, response: Response) -> None:
        """Apply a response the UAS sent (e.g. the 2xx confirming an early dialog)."""
        self._apply_response(response, received=False)

    def _apply_response(self, response: Response, *, received: bool) -> None:
        method = response.cseq.method
        status = response.status
        if status == 100:
            return
        if status in (481, 408):
            self._fire(DialogInput.GONE)
        elif status < 200:
            self._fire(DialogInput.PROVISIONAL)
        elif status < 300:
            was_early = self.state is DialogState.EARLY
            self._fire(DialogInput.SUCCESS)
            if received and method in TARGET_REFRESH and response.contact:
                self.remote_target = response.contact[0].uri
            if received and was_early:
                # §13.2.2.4: the 2xx fixes the route set of the now confirmed dialog.
                self.route_set = list(reversed(response.record_route))
        elif method == "INVITE" and self.state is DialogState.EARLY:
            # No re-INVITE can be pending in an early dialog: this ends the initial one.
            self._fire(DialogInput.FAILURE)
        else:
            self._fire(DialogInput.REJECTED)

    def _fire(self, event: DialogInput) -> None:
        try:
            self.state = _TABLE[(self.state, event)]
        except KeyError:
            raise SipStateError(f"dialog {self.call_id}: {event.value} not allowed when {self.state.value}") from None

    def __repr__(self) -> str:
        return f"<Dialog {self.role.value} {self.call_id} {self.state.value}>"
