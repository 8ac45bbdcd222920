"""baresip registers through our digest challenge over loopback UDP."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from helpline.protocols.sip import AuthStatus, DigestServer, Request, build_response, parse_message

BARESIP = shutil.which("baresip")


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.skipif(BARESIP is None, reason="baresip (Debian package baresip-core) is not installed")
def test_baresip_registers_with_digest(tmp_path: Path) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.05)
    port = sock.getsockname()[1]
    (tmp_path / "config").write_text(
        f"sip_listen 127.0.0.1:{_free_udp_port()}\nnet_interface 127.0.0.1\n"
        "audio_player aubridge,nil\nmodule_path /usr/lib/baresip/modules\n"
        "module g711.so\nmodule aubridge.so\nmodule_app account.so\n"
    )
    (tmp_path / "accounts").write_text(f"<sip:agent@127.0.0.1:{port}>;auth_pass=s3cret!;regint=60\n")
    server = DigestServer(b"a registrar secret of 32 bytes!!", "helpline")
    outcomes: list[tuple[AuthStatus, int | None]] = []
    proc = subprocess.Popen(
        [BARESIP or "baresip", "-f", str(tmp_path), "-t", "2"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 8
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                data, addr = sock.recvfrom(65535)
            except TimeoutError:
                continue
            req = parse_message(data)
            assert isinstance(req, Request) and req.method == "REGISTER"
            now = time.monotonic()
            result = server.verify(req, {"agent": "s3cret!"}.get, now)
            expires = req.contact[0].param("expires") if req.contact else None
            outcomes.append((result.status, int(expires) if expires else None))
            if result.status is AuthStatus.OK:
                resp = build_response(req, 200, to_tag="reg", headers=[("Contact", req.headers.get("Contact") or "")])
            else:
                resp = server.challenge_response(req, now, to_tag="reg")
            sock.sendto(bytes(resp), addr)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=5)
        sock.close()
    # Register (challenged, then accepted); on exit baresip unregisters the same way.
    assert outcomes[:2] == [(AuthStatus.MISSING, 60), (AuthStatus.OK, 60)]
    assert (AuthStatus.OK, 0) in outcomes[2:]
