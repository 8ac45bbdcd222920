"""Digest authentication for SIP (RFC 3261 §22, RFC 2617, RFC 7616, RFC 8760).

Server side, nonces are stateless: ``issued-at || HMAC(secret, issued-at)``, so a server checks
a nonce's authenticity and age without keeping a table, and answers an expired one with
``stale=true`` (the client retries at once with the new nonce, without asking the user).
Replay protection through nonce counts needs memory; it is optional (pass a mapping).

Client side, ``DigestClient.auth_flow`` is a generator in the style of httpx's auth flows: it
yields the request to send, receives the response, and yields the authorized retry when the
response is a 401/407 challenge. The caller owns all I/O.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import secrets
import struct
from collections.abc import Callable, Generator, Iterable, MutableMapping
from dataclasses import dataclass

from helpline.protocols.sip.builders import build_response, new_branch
from helpline.protocols.sip.errors import SipParseError
from helpline.protocols.sip.message import Request, Response
from helpline.protocols.sip.syntax import TOKEN_CHARS, WSP, quote, scan_quoted
from helpline.protocols.sip.uri import parse_uri

_HASHES: dict[str, Callable[[bytes], str]] = {
    "MD5": lambda b: hashlib.md5(b, usedforsecurity=False).hexdigest(),
    "SHA-256": lambda b: hashlib.sha256(b).hexdigest(),
}
ALGORITHMS = ("SHA-256", "SHA-256-sess", "MD5", "MD5-sess")


def _hash_for(algorithm: str) -> Callable[[bytes], str]:
    base = algorithm.upper().removesuffix("-SESS")
    try:
        return _HASHES[base]
    except KeyError:
        raise SipParseError(f"unsupported digest algorithm {algorithm}") from None


def parse_auth_params(value: str) -> tuple[str, dict[str, str]]:
    """Split ``Scheme k=v, k="v"...`` into the scheme and its parameters (keys lower-cased,
    values unquoted)."""
    text = value.strip()
    i = 0
    n = len(text)
    while i < n and text[i] in TOKEN_CHARS:
        i += 1
    scheme = text[:i]
    if not scheme:
        raise SipParseError("authentication header without a scheme")
    params: dict[str, str] = {}
    while True:
        while i < n and text[i] in WSP + ",":
            i += 1
        if i >= n:
            return scheme, params
        start = i
        while i < n and text[i] in TOKEN_CHARS:
            i += 1
        name = text[start:i].lower()
        while i < n and text[i] in WSP:
            i += 1
        if not name or i >= n or text[i] != "=":
            raise SipParseError(f"bad {scheme} parameter near {text[start:start + 20]!r}")
        i += 1
        while i < n and text[i] in WSP:
            i += 1
        if i < n and text[i] == '"':
            val, i = scan_quoted(text, i)
        else:
            start = i
            while i < n and text[i] not in WSP + ",":
                i += 1
            val = text[start:i]
        params[name] = val


def compute_response(
    *,
    algorithm: str,
    username: str,
    realm: str,
    password: str,
    method: str,
    uri: str,
    nonce: str,
    nc: str | None = None,
    cnonce: str | None = None,
    qop: str | None = None,
    body: bytes = b"",
) -> str:
    """The digest ``response`` value (RFC 2617 §3.2.2, RFC 7616 §3.4.1)."""
    h = _hash_for(algorithm)
    ha1 = h(f"{username}:{realm}:{password}".encode())
    if algorithm.upper().endswith("-SESS"):
        ha1 = h(f"{ha1}:{nonce}:{cnonce}".encode())
    if qop == "auth-int":
        ha2 = h(f"{method}:{uri}:{h(body)}".encode())
    else:
        ha2 = h(f"{method}:{uri}".encode())
    if qop:
        return h(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}".encode())
    return h(f"{ha1}:{nonce}:{ha2}".encode())


@dataclass(frozen=True, slots=True)
class Challenge:
    """A WWW-Authenticate / Proxy-Authenticate Digest challenge."""

    realm: str
    nonce: str
    algorithm: str = "MD5"
    qop: tuple[str, ...] = ()
    opaque: str | None = None
    stale: bool = False

    @classmethod
    def parse(cls, value: str) -> Challenge:
        scheme, p = parse_auth_params(value)
        if scheme.lower() != "digest":
            raise SipParseError(f"not a Digest challenge ({scheme})")
        if "realm" not in p or "nonce" not in p:
            raise SipParseError("Digest challenge without realm or nonce")
        qop = tuple(q.strip() for q in p.get("qop", "").split(",") if q.strip())
        return cls(
            realm=p["realm"],
            nonce=p["nonce"],
            algorithm=p.get("algorithm", "MD5"),
            qop=qop,
            opaque=p.get("opaque"),
            stale=p.get("stale", "").lower() == "true",
        )

    def __str__(self) -> str:
        parts = [f"realm={quote(self.realm)}", f"nonce={quote(self.nonce)}", f"algorithm={self.algorithm}"]
        if self.qop:
            parts.append(f"qop={quote(','.join(self.qop))}")
        if self.opaque is not None:
            parts.append(f"opaque={quote(self.opaque)}")
        if self.stale:
            parts.append("stale=true")
        return "Digest " + ", ".join(parts)


@dataclass(frozen=True, slots=True)
class Credentials:
    """An Authorization / Proxy-Authorization Digest header."""

    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    algorithm: str = "MD5"
    cnonce: str | None = None
    nc: str | None = None
    qop: str | None = None
    opaque: str | None = None

    @classmethod
    def parse(cls, value: str) -> Credentials:
        scheme, p = parse_auth_params(value)
        if scheme.lower() != "digest":
            raise SipParseError(f"not Digest credentials ({scheme})")
        try:
            return cls(
                username=p["username"],
                realm=p["realm"],
                nonce=p["nonce"],
                uri=p["uri"],
                response=p["response"],
                algorithm=p.get("algorithm", "MD5"),
                cnonce=p.get("cnonce"),
                nc=p.get("nc"),
                qop=p.get("qop"),
                opaque=p.get("opaque"),
            )
        except KeyError as exc:
            raise SipParseError(f"Digest credentials without {exc.args[0]}") from None

    def __str__(self) -> str:
        parts = [
            f"username={quote(self.username)}",
            f"realm={quote(self.realm)}",
            f"nonce={quote(self.nonce)}",
            f"uri={quote(self.uri)}",
            f"response={quote(self.response)}",
            f"algorithm={self.algorithm}",
        ]
        if self.qop:
            parts += [f"qop={self.qop}", f"nc={self.nc}", f"cnonce={quote(self.cnonce or '')}"]
        if self.opaque is not None:
            parts.append(f"opaque={quote(self.opaque)}")
        return "Digest " + ", ".join(parts)


# -- client -------------------------------------------------------------------------------

_PREFERENCE = {"SHA-256": 0, "SHA-256-SESS": 1, "MD5": 2, "MD5-SESS": 3}


class DigestClient:
    """Answers challenges for one account; remembers nonce counts across requests."""

    def __init__(self, username: str, password: str, *, cnonce_factory: Callable[[], str] | None = None) -> None:
        self.username = username
        self.password = password
        self._cnonce = cnonce_factory or (lambda: secrets.token_hex(8))
        self._nc: dict[str, int] = {}

    def credentials(self, challenge: Challenge, method: str, uri: str, body: bytes = b"") -> Credentials:
        qop = "auth" if "auth" in challenge.qop else ("auth-int" if "auth-int" in challenge.qop else None)
        nc = cnonce = None
        if qop:
            count = self._nc.get(challenge.nonce, 0) + 1
            self._nc[challenge.nonce] = count
            nc = f"{count:08x}"
            cnonce = self._cnonce()
        response = compute_response(
            algorithm=challenge.algorithm, username=self.username, realm=challenge.realm,
            password=self.password, method=method, uri=uri, nonce=challenge.nonce,
            nc=nc, cnonce=cnonce, qop=qop, body=body,
        )
        return Credentials(
            username=self.username, realm=challenge.realm, nonce=challenge.nonce, uri=uri,
            response=response, algorithm=challenge.algorithm, cnonce=cnonce, nc=nc, qop=qop,
            opaque=challenge.opaque,
        )

    def authorize(self, request: Request, response: Response) -> Request | None:
        """The retry of ``request`` answering the challenge in ``response`` (None when it holds
        no Digest challenge we support). The retry gets the next CSeq and a new branch."""
        proxy = response.status == 407
        header = "Proxy-Authenticate" if proxy else "WWW-Authenticate"
        challenges: list[Challenge] = []
        for value in response.headers.get_all(header):
            try:
                c = Challenge.parse(value)
                _hash_for(c.algorithm)
            except SipParseError:
                continue
            challenges.append(c)
        if not challenges:
            return None
        challenge = min(challenges, key=lambda c: _PREFERENCE.get(c.algorithm.upper(), 9))
        retry = request.copy()
        cseq = request.cseq
        retry.headers.set("CSeq", f"{cseq.seq + 1} {cseq.method}")
        top = request.top_via.with_param("branch", new_branch())
        vias = request.headers.values("Via")
        retry.headers.remove("Via")
        retry.headers.insert(0, "Via", ", ".join([str(top), *vias[1:]]))
        creds = self.credentials(challenge, request.method, str(request.uri), request.body)
        retry.headers.set("Proxy-Authorization" if proxy else "Authorization", str(creds))
        return retry

    def auth_flow(self, request: Request) -> Generator[Request, Response, None]:
        """Yield the request; send back its final response; get the authorized retry, if any.

        A second challenge is answered only when it says the nonce was stale.
        """
        response = yield request
        for _ in range(2):
            if response.status not in (401, 407):
                return
            retry = self.authorize(request, response)
            if retry is None:
                return
            request = retry
            response = yield request
            header = "Proxy-Authenticate" if response.status == 407 else "WWW-Authenticate"
            if not any(_is_stale(v) for v in response.headers.get_all(header)):
                return


def _is_stale(value: str) -> bool:
    try:
        return Challenge.parse(value).stale
    except SipParseError:
        return False


# -- server -------------------------------------------------------------------------------


class NonceState(enum.Enum):
    VALID = "valid"
    STALE = "stale"
    INVALID = "invalid"


class AuthStatus(enum.Enum):
    OK = "ok"
    MISSING = "missing"  # no credentials for this realm: challenge
    STALE = "stale"  # right password, expired nonce: challenge with stale=true
    FAILED = "failed"  # wrong password, unknown user, forged nonce, replay: challenge (or 403)


@dataclass(frozen=True, slots=True)
class AuthResult:
    status: AuthStatus
    username: str | None = None
    reason: str = ""


class DigestServer:
    """Challenges and verifies requests for one realm, without per-nonce state."""

    def __init__(
        self,
        secret: bytes,
        realm: str,
        *,
        nonce_lifetime: float = 300.0,
        algorithms: Iterable[str] = ("MD5",),
    ) -> None:
        # MD5 alone by default: baresip 1.0 (libre) gives up on a 401 that offers SHA-256 at
        # all, even next to MD5. Realms whose phones follow RFC 8760 can offer
        # ("SHA-256", "MD5"), strongest first.
        if len(secret) < 16:
            raise ValueError("the nonce secret must be at least 16 bytes")
        self._secret = secret
        self.realm = realm
        self.nonce_lifetime = nonce_lifetime
        self.algorithms = tuple(algorithms)
        for a in self.algorithms:
            _hash_for(a)

    def make_nonce(self, now: float) -> str:
        stamp = struct.pack(">Q", int(now))
        mac = hmac.new(self._secret, stamp + self.realm.encode(), hashlib.sha256).digest()[:18]
        return base64.urlsafe_b64encode(stamp + mac).decode().rstrip("=")

    def check_nonce(self, nonce: str, now: float) -> NonceState:
        try:
            raw = base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4))
        except ValueError:
            return NonceState.INVALID
        if len(raw) != 26:
            return NonceState.INVALID
        stamp, mac = raw[:8], raw[8:]
        expected = hmac.new(self._secret, stamp + self.realm.encode(), hashlib.sha256).digest()[:18]
        if not hmac.compare_digest(mac, expected):
            return NonceState.INVALID
        issued = struct.unpack(">Q", stamp)[0]
        if issued > now + 5 or now - issued > self.nonce_lifetime:
            return NonceState.STALE
        return NonceState.VALID

    def challenges(self, now: float, *, stale: bool = False) -> list[Challenge]:
        nonce = self.make_nonce(now)
        return [Challenge(self.realm, nonce, a, ("auth",), None, stale) for a in self.algorithms]

    def challenge_response(
        self, request: Request, now: float, *, proxy: bool = False, stale: bool = False, to_tag: str | None = None
    ) -> Response:
        """The 401 (or 407) carrying one challenge per algorithm, strongest first (RFC 8760)."""
        header = "Proxy-Authenticate" if proxy else "WWW-Authenticate"
        return build_response(
            request,
            407 if proxy else 401,
            to_tag=to_tag,
            headers=[(header, str(c)) for c in self.challenges(now, stale=stale)],
        )

    def verify(
        self,
        request: Request,
        password_for: Callable[[str], str | None],
        now: float,
        *,
        proxy: bool = False,
        seen_nc: MutableMapping[str, int] | None = None,
    ) -> AuthResult:
        """Check the request's credentials for this realm.

        ``password_for(username)`` returns the password, or None for an unknown user.
        ``seen_nc`` (nonce -> highest nc) turns on replay detection.
        """
        header = "Proxy-Authorization" if proxy else "Authorization"
        creds: Credentials | None = None
        for value in request.headers.get_all(header):
            try:
                c = Credentials.parse(value)
            except SipParseError:
                continue
            if c.realm == self.realm:
                creds = c
                break
        if creds is None:
            return AuthResult(AuthStatus.MISSING)
        user = creds.username
        if creds.algorithm not in self.algorithms:
            return AuthResult(AuthStatus.FAILED, user, f"algorithm {creds.algorithm} not offered")
        try:
            if parse_uri(creds.uri) != request.uri:
                return AuthResult(AuthStatus.FAILED, user, "digest uri differs from the Request-URI")
        except SipParseError:
            return AuthResult(AuthStatus.FAILED, user, "bad digest uri")
        if creds.qop not in (None, "auth", "auth-int") or (creds.qop and not (creds.nc and creds.cnonce)):
            return AuthResult(AuthStatus.FAILED, user, "bad qop, nc or cnonce")
        nonce_state = self.check_nonce(creds.nonce, now)
        if nonce_state is NonceState.INVALID:
            return AuthResult(AuthStatus.FAILED, user, "nonce not issued here")
        password = password_for(user)
        if password is None:
            return AuthResult(AuthStatus.FAILED, user, "unknown user")
        expected = compute_response(
            algorithm=creds.algorithm, username=user, realm=self.realm, password=password,
            method=request.method, uri=creds.uri, nonce=creds.nonce, nc=creds.nc, cnonce=creds.cnonce,
            qop=creds.qop, body=request.body,
        )
        if not hmac.compare_digest(expected, creds.response.lower()):
            return AuthResult(AuthStatus.FAILED, user, "wrong password")
        if nonce_state is NonceState.STALE:
            return AuthResult(AuthStatus.STALE, user, "nonce expired")
        if seen_nc is not None and creds.nc is not None:
            try:
                nc = int(creds.nc, 16)
            except ValueError:
                return AuthResult(AuthStatus.FAILED, user, "bad nc")
            if nc <= seen_nc.get(creds.nonce, 0):
                return AuthResult(AuthStatus.FAILED, user, "nonce count replayed")
            seen_nc[creds.nonce] = nc
        return AuthResult(AuthStatus.OK, user)
