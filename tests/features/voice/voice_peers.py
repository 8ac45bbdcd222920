"""Real SIP peers for the voice tests: SIPp callers and trunks, baresip agent softphones, and a
contact center (tenant, flows, SIP edge) built on loopback ports for each test."""

from __future__ import annotations

import asyncio
import random
import shutil
import socket
import subprocess
import time
import wave
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from helpline.app import Helpline, build, start_voice
from helpline.features.voice.service import VoiceService
from helpline.protocols.rtp.g711 import ulaw_encode
from helpline.settings import Settings

SIPP = shutil.which("sipp")
BARESIP = shutil.which("baresip")
SCENARIOS = Path(__file__).resolve().parents[2] / "edge" / "sip" / "scenarios"

TENANT = """
id: acme
name: Acme
skills: [support]
queues:
  - id: support
    name: Support
    channels: [voice]
    offer_timeout_s: 15
    wrap_up_s: 0
  - id: sales
    name: Sales
    channels: [voice, voicemail]
    offer_timeout_s: 2
agents:
  - id: ana
    name: Ana
    skills: {support: 3}
    queues: [support, sales]
  - id: ben
    name: Ben
    skills: {support: 2}
    queues: [sales]
"""

FLOW = """
name: support
start: menu
nodes:
  menu:
    type: menu
    prompt: For support, press 1.
    barge_in: true
    options:
      1: to_support
    timeout_s: 6
    retries: 1
    fallback: to_support
  to_support:
    type: queue
    queue: support
"""

SALES_FLOW = """
name: sales
start: to_sales
nodes:
  to_sales:
    type: queue
    queue: sales
"""


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tone_ulaw(seconds: float, hz: float = 440.0) -> bytes:
    t = np.arange(int(8000 * seconds)) / 8000
    return ulaw_encode((6000 * np.sin(2 * np.pi * hz * t)).astype(np.int16))


def tone_wav(path: Path, seconds: float, hz: float = 660.0) -> Path:
    t = np.arange(int(8000 * seconds)) / 8000
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes((6000 * np.sin(2 * np.pi * hz * t)).astype("<i2").tobytes())
    return path


@dataclass
class Center:
    helpline: Helpline
    voice: VoiceService
    facts: list[Any] = field(default_factory=list)

    @property
    def sip(self) -> tuple[str, int]:
        return self.voice.endpoint.host, self.voice.endpoint.port

    def kinds(self) -> list[str]:
        return [f.KIND for f in self.facts]


@asynccontextmanager
async def contact_center(
    tmp: Path, shared: Path, *, sip: dict[str, Any] | None = None, flows: dict[str, Any] | None = None,
    clock: Any = None, tenant: str = TENANT,
) -> AsyncIterator[Center]:
    from helpline.features.flows.loader import parse_flow

    config = tmp / "tenant.yaml"
    config.write_text(tenant)
    base = random.randrange(40000, 60000, 200)
    sip_settings = {
        "host": "127.0.0.1", "port": 0, "rtp_port_min": base, "rtp_port_max": base + 199,
        "users": {"ana": {"password": "ana-pw"}, "ben": {"password": "ben-pw"}},
        "trunks": {"loopback": {"allow_from": ["127.0.0.1"]}},
        "dids": {"100": {"tenant": "acme", "flow": "support"}, "200": {"tenant": "acme", "flow": "sales"}},
        "queue_experience": {"announce_every_s": 20},
        **(sip or {}),
    }
    settings = Settings(
        data_dir=shared, database={"url": f"sqlite+aiosqlite:///{tmp / 'helpline.db'}"}, sip=sip_settings
    )
    helpline = await build(settings, config_file=config, clock=clock)
    await helpline.start()
    loaded = flows if flows is not None else {"support": parse_flow(FLOW).flow, "sales": parse_flow(SALES_FLOW).flow}
    center = Center(helpline, await start_voice(helpline, flows=loaded))
    for partition in helpline.partitions.values():
        partition.subscribe(lambda _t, facts: center.facts.extend(f for _, f in facts))
    try:
        yield center
    finally:
        await helpline.stop()


async def run_sipp(
    scenario: str, target: tuple[str, int] | None, cwd: Path, *, service: str = "100",
    extra: list[str] | None = None, limit: float = 60.0, port: int | None = None, name: str = "sipp",
) -> tuple[int, str]:
    """Run SIPp with one of the repository's scenarios,
    toward ``target`` (None: as a server on ``port``); its exit code and errors. ``uas`` and ``uac``
    are SIPp's built-in answering and calling scenarios."""
    (cwd / "caller.ulaw").write_bytes(tone_ulaw(1.0))
    how = ["-sn", scenario] if scenario in ("uas", "uac") else ["-sf", str(SCENARIOS / scenario)]
    args = [
        SIPP or "sipp", *([f"{target[0]}:{target[1]}"] if target else []), *how,
        "-s", service, "-m", "1", "-i", "127.0.0.1", "-p", str(port or free_port()), "-mi", "127.0.0.1",
        "-mp", str(free_port() & ~1), "-nostdin", "-timeout", f"{int(limit)}s", "-timeout_error",
        "-trace_err", "-error_file", str(cwd / f"{name}-errors.log"), *(extra or []),
    ]
    proc = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, cwd=cwd
    )
    try:
        _, err = await asyncio.wait_for(proc.communicate(), limit + 10)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    errors = cwd / f"{name}-errors.log"
    return proc.returncode or 0, err.decode(errors="replace") + (errors.read_text() if errors.exists() else "")


@contextmanager
def baresip_agent(
    folder: Path, registrar: tuple[str, int], *, user: str = "ana", password: str = "ana-pw", talk_s: float = 3.0
) -> Iterator[subprocess.Popen[bytes]]:
    """baresip registered as ``user`` with auto-answer, talking a tone for ``talk_s`` seconds
    (baresip 1.0 hangs up when its audio file ends)."""
    folder.mkdir(parents=True, exist_ok=True)
    wav = tone_wav(folder / "agent.wav", talk_s)
    (folder / "config").write_text(
        f"sip_listen 127.0.0.1:{free_port()}\nnet_interface 127.0.0.1\n"
        f"audio_player aubridge,nil\naudio_source aufile,{wav}\naudio_alert aubridge,nil\n"
        "module_path /usr/lib/baresip/modules\n"
        "module g711.so\nmodule aufile.so\nmodule aubridge.so\nmodule_app account.so\nmodule_app menu.so\n"
    )
    (folder / "accounts").write_text(
        f"<sip:{user}@{registrar[0]}:{registrar[1]}>;auth_pass={password};regint=60;answermode=auto;"
        "audio_codecs=PCMU\n"
    )
    log = (folder / "out.log").open("wb")
    proc = subprocess.Popen(
        [BARESIP or "baresip", "-f", str(folder)], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        yield proc
    finally:
        log.close()
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def until(condition: Callable[[], bool], limit: float = 10.0, what: str = "condition") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"{what} not met within {limit} s")
        await asyncio.sleep(0.02)


class ShiftedClock:
    """Wall-clock time moved to a fixed moment (e.g. office hours), running at normal speed."""

    def __init__(self, at: float) -> None:
        self._shift = at - time.time()

    def now(self) -> float:
        return time.time() + self._shift


def file_size(path: str) -> int:
    return Path(path).stat().st_size


class Phone:
    """A scripted SIP phone on loopback: a signalling socket and an RTP socket."""

    def __init__(self, user: str) -> None:
        self.user = user
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.rtp_port = self.rtp.getsockname()[1]
        self.cseq = 0
        self.inbox: list[Any] = []

    def sdp(self, direction: str = "sendrecv") -> bytes:
        return (
            "v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            f"m=audio {self.rtp_port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
            f"a=rtpmap:101 telephone-event/8000\r\na={direction}\r\n"
        ).encode()

    def request(self, method: str, target: tuple[str, int], user: str, **kw: Any) -> Any:
        from helpline.protocols.sip import Via, build_request, new_branch, new_call_id, new_tag
        from helpline.protocols.sip.headers import Address
        from helpline.protocols.sip.uri import SipUri

        self.cseq += 1
        body = kw.pop("body", b"")
        return build_request(
            method, SipUri(target[0], user=user, port=target[1]),
            from_=Address(SipUri("127.0.0.1", user=self.user, port=self.port)).with_tag(new_tag()),
            to=Address(SipUri(target[0], user=kw.pop("to_user", user), port=target[1])),
            call_id=new_call_id(), cseq=self.cseq,
            via=Via("UDP", "127.0.0.1", self.port, (("branch", new_branch()),)),
            contact=Address(SipUri("127.0.0.1", user=self.user, port=self.port)),
            body=body, content_type="application/sdp" if body else None, **kw,
        )

    def send(self, message: Any, target: tuple[str, int]) -> None:
        self.sock.sendto(bytes(message), target)

    async def receive(self, predicate: Callable[[Any], bool], limit: float = 10.0) -> Any:
        """The first message (kept or arriving) that matches."""
        from helpline.protocols.sip import parse_message

        for i, message in enumerate(self.inbox):
            if predicate(message):
                return self.inbox.pop(i)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while True:
            data = await asyncio.wait_for(loop.sock_recv(self.sock, 65535), max(0.01, deadline - loop.time()))
            message = parse_message(data)
            if predicate(message):
                return message
            self.inbox.append(message)

    async def final(self, method: str = "INVITE", limit: float = 10.0) -> Any:
        from helpline.protocols.sip import Response

        return await self.receive(
            lambda m: isinstance(m, Response) and m.final and m.cseq.method == method, limit
        )

    def reply(self, request: Any, status: int, *, to_tag: str | None = "phone", body: bytes = b"") -> Any:
        from helpline.protocols.sip import build_response

        headers = [("Contact", f"<sip:{self.user}@127.0.0.1:{self.port}>")] if status < 300 else []
        response = build_response(request, status, to_tag=to_tag, headers=headers, body=body,
                                  content_type="application/sdp" if body else None)
        self.sock.sendto(bytes(response), (request.top_via.host, request.top_via.port or 5060))
        return response

    def close(self) -> None:
        self.sock.close()
        self.rtp.close()


def ack_for(invite: Any, response: Any) -> Any:
    """The ACK a UAC sends for a 2xx (new branch, the response's To tag)."""
    from helpline.protocols.sip import Request, new_branch

    ack = Request("ACK", invite.uri, invite.headers.copy())
    ack.headers.set("To", response.headers.get("To") or "")
    ack.headers.set("CSeq", f"{invite.cseq.seq} ACK")
    ack.headers.set("Via", str(invite.top_via.with_param("branch", new_branch())))
    ack.set_body(b"")
    return ack


def in_dialog(invite: Any, response: Any, method: str, seq: int, *, body: bytes = b"",
              headers: list[tuple[str, str]] | None = None, content_type: str | None = None) -> Any:
    """A request in the dialog the caller's INVITE made (sent to the server's Contact)."""
    from helpline.protocols.sip import Request, new_branch

    request = Request(method, response.contact[0].uri, invite.headers.copy())
    request.headers.set("To", response.headers.get("To") or "")
    request.headers.set("CSeq", f"{seq} {method}")
    request.headers.set("Via", str(invite.top_via.with_param("branch", new_branch())))
    for name, value in headers or []:
        request.headers.set(name, value)
    request.set_body(body, content_type or ("application/sdp" if body else None))
    return request
