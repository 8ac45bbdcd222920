"""``helpline bench sip``: many concurrent calls held in a queue with music and announcements.

Three processes, so that each one's work is counted apart: the Helpline server (uvloop, the
real SIP edge and call controller, one queue with no agent logged in, music on hold and
position announcements every ``--announce-s``), SIPp placing ``--calls`` calls at ``--cps`` and
holding each for ``--hold-s`` before hanging up, and a small UDP receiver that the callers' SDP
points at, so every RTP packet the server sends to a caller arrives there. The receiver
measures, per stream (SSRC), the gaps between arriving packets; ``late_ratio`` is the share of
gaps over 30 ms (20 ms is on time). ``cps`` is the rate at which calls were answered while the
load ramped up (over the whole run, less one hold time, when the calls never were all up at
once), ``concurrent`` the most calls the server held at once, ``server_cpu_s`` the
server's CPU time for the whole run, ``failed_calls`` what SIPp counted as failed.
"""

from __future__ import annotations

import asyncio
import csv
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

import typer

_RECEIVER = r"""
import json, os, socket, struct, sys, time
SO_TIMESTAMPNS, SO_RCVBUFFORCE = 35, 33  # Linux
os.nice(15)  # the measuring tool yields to the server; arrival times come from the kernel anyway
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 256 << 20)
except OSError:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 256 << 20)
s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
quiet = float(sys.argv[1])
s.setblocking(False)
last, gaps, late, n, worst = {}, 0, 0, 0, 0.0
started, heard = time.monotonic(), None
# Read in bursts and sleep between them: a reader blocked in recv would be woken by every
# packet, and on loopback that wake-up is paid by the sender (the server under test).
while True:
    got = 0
    while True:
        try:
            data, anc, _, _ = s.recvmsg(2048, 64)
        except BlockingIOError:
            break
        got += 1
        now = None
        for level, kind, raw in anc:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                sec, nsec = struct.unpack("qq", raw[:16])
                now = sec + nsec * 1e-9  # when the kernel received it, however late we read it
        if now is None:
            now = time.time()
        n += 1
        ssrc = struct.unpack_from("!I", data, 8)[0]
        prev = last.get(ssrc)
        if prev is not None:
            gap = now - prev
            gaps += 1
            if gap > 0.030:
                late += 1
                worst = max(worst, gap)
        last[ssrc] = now
    clock = time.monotonic()
    if got:
        heard = clock
    elif (heard is not None and clock - heard > quiet) or (heard is None and clock - started > 60):
        break
    time.sleep(0.01)
print(json.dumps({"packets": n, "streams": len(last), "gaps": gaps, "late_gaps": late,
                  "worst_gap_ms": round(1000 * worst, 1)}), flush=True)
"""

_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="hold in the queue">
  <Global variables="rport"/>
  <send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:+3120[call_number]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:bench@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=bench 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio [$rport] RTP/AVP 0
a=rtpmap:0 PCMU/8000
a=recvonly
]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200"/>
  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:+3120[call_number]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0
]]></send>
  <pause/>
  <send retrans="500"><![CDATA[
BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:+3120[call_number]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0
]]></send>
  <recv response="200"/>
</scenario>
"""

_TENANT = """
id: bench
name: Benchmark
queues:
  - id: hold
    channels: [voice]
agents:
  - id: nobody
    queues: [hold]
"""

_FLOW = """
name: hold
start: to_hold
nodes:
  to_hold:
    type: queue
    queue: hold
"""


def serve_main() -> None:
    """The server process: ``python -c 'from helpline.bench.sip import serve_main; serve_main()' CONFIG``."""
    import os

    import uvloop

    profile = os.environ.get("HELPLINE_BENCH_PROFILE")
    if not profile:
        uvloop.run(_serve(json.loads(sys.argv[1])))
        return
    import cProfile

    with cProfile.Profile() as prof:
        uvloop.run(_serve(json.loads(sys.argv[1])))
    prof.dump_stats(profile)


async def _serve(cfg: dict[str, Any]) -> None:
    import logging

    from helpline.app import build, start_voice
    from helpline.features.flows.loader import parse_flow
    from helpline.settings import Settings

    logging.basicConfig(level=logging.WARNING)
    work = Path(cfg["work"])
    (work / "tenant.yaml").write_text(_TENANT)
    calls = int(cfg["calls"])
    settings = Settings.model_validate({
        "data_dir": Path(cfg["data_dir"]),
        "database": {"url": f"sqlite+aiosqlite:///{work / 'helpline.db'}"},
        "sip": {
            "host": "127.0.0.1", "port": 0, "tcp": False,
            "rtp_port_min": int(cfg["rtp_base"]), "rtp_port_max": int(cfg["rtp_base"]) + 2 * calls + 200,
            "trunks": {"callers": {"allow_from": ["127.0.0.1"]}},
            "dids": {"100": {"tenant": "bench", "flow": "hold"}},
            "queue_experience": {
                "announce_every_s": float(cfg["announce_s"]), "leave_when_empty": False,
                "callback_key": None, "voicemail_key": None, "announce_wait": False,
            },
            "no_media_timeout_s": 0,
        },
    })
    helpline = await build(settings, config_file=work / "tenant.yaml")
    await helpline.start()
    voice = await start_voice(helpline, flows={"hold": parse_flow(_FLOW).flow})
    prompts = voice.prompts
    prompts.music_on_hold()
    for n in [*range(0, 100), 100, 1000]:
        await prompts.number(n)
    await prompts.queue_announcement(2, None)
    await prompts.queue_announcement(1, None)
    from helpline.runtime.gc_tuning import settle_after_start

    settle_after_start()  # what start-up built is never garbage: keep the collector's passes rare and short
    print(json.dumps({"sip_port": voice.endpoint.port}), flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    cpu0 = time.process_time()
    stop = asyncio.ensure_future(reader.readline())
    while not stop.done():
        print(json.dumps({"active": len(voice.sessions), "t": time.monotonic()}), flush=True)
        await asyncio.wait({stop}, timeout=0.25)
    ticker = voice.media.ticker
    out = {
        "cpu_s": time.process_time() - cpu0, "late_ticks": ticker.late_ticks, "skipped_ticks": ticker.skipped_ticks,
        "ticks": ticker.ticks, "records": len(voice.finished),
    }
    await helpline.stop()
    print(json.dumps(out), flush=True)


async def run_sip_bench(calls: int, hold_s: float, cps: float, announce_s: float, data_dir: Path) -> dict[str, Any]:
    sipp = shutil.which("sipp")
    if sipp is None:
        raise RuntimeError("SIPp is not installed (apt-get install sip-tester)")
    work = Path(tempfile.mkdtemp(prefix="helpline-bench-sip-"))
    receiver = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _RECEIVER, "2.0", stdout=asyncio.subprocess.PIPE
    )
    assert receiver.stdout is not None
    rport = int(await receiver.stdout.readline())
    cfg = {"work": str(work), "data_dir": str(data_dir), "calls": calls, "rtp_base": 20000, "announce_s": announce_s}
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from helpline.bench.sip import serve_main; serve_main()", json.dumps(cfg),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )
    assert server.stdout is not None and server.stdin is not None
    sip_port = int(json.loads(await server.stdout.readline())["sip_port"])
    scenario = work / "hold.xml"
    scenario.write_text(_SCENARIO)
    stats = work / "stats.csv"
    started = time.monotonic()
    caller = await asyncio.create_subprocess_exec(
        sipp, f"127.0.0.1:{sip_port}", "-sf", str(scenario), "-s", "100", "-set", "rport", str(rport),
        "-l", str(calls), "-r", str(int(cps)), "-m", str(calls), "-d", str(int(hold_s * 1000)),
        "-i", "127.0.0.1", "-p", "0", "-nostdin", "-trace_stat", "-stf", str(stats), "-fd", "1",
        "-timeout", f"{int(hold_s + calls / cps + 60)}s", "-timeout_error",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL, cwd=work,
    )
    seen: dict[str, Any] = {"peak": 0, "first_at": None, "full_at": None, "final": {}}

    async def pump() -> None:
        assert server.stdout is not None
        async for raw in server.stdout:
            status = json.loads(raw)
            if "cpu_s" in status:
                seen["final"] = status
                continue
            active = int(status.get("active", 0))
            if active and seen["first_at"] is None:
                seen["first_at"] = status["t"]
            seen["peak"] = max(seen["peak"], active)
            if active >= calls and seen["full_at"] is None:
                seen["full_at"] = status["t"]

    pumping = asyncio.ensure_future(pump())
    await caller.wait()
    calls_phase = time.monotonic() - started
    server.stdin.write(b"stop\n")
    await server.stdin.drain()
    await pumping
    peak, first_at, full_at, final = seen["peak"], seen["first_at"], seen["full_at"], seen["final"]
    await server.wait()
    out, _ = await receiver.communicate()
    media = json.loads(out.decode().strip().splitlines()[-1])
    failed = successful = None
    if stats.exists():
        rows = list(csv.reader(stats.open(), delimiter=";"))
        if len(rows) >= 2:
            header, last = rows[0], rows[-1]
            failed = int(last[header.index("FailedCall(C)")])
            successful = int(last[header.index("SuccessfulCall(C)")])
    ramp = (full_at - first_at) if first_at is not None and full_at is not None else None
    if ramp is None and successful:
        ramp = max(1e-3, calls_phase - hold_s)  # never all at once: the rate over the whole run
    shutil.rmtree(work, ignore_errors=True)
    return {
        "benchmark": "sip",
        "calls": calls,
        "hold_s": hold_s,
        "cps_offered": cps,
        "concurrent": peak,
        "cps": round(calls / ramp, 1) if ramp else None,
        "late_ratio": media["late_gaps"] / media["gaps"] if media["gaps"] else None,
        "worst_gap_ms": media["worst_gap_ms"],
        "rtp_packets": media["packets"],
        "rtp_streams": media["streams"],
        "server_cpu_s": round(final.get("cpu_s", 0.0), 2),
        "server_late_ticks": final.get("late_ticks"),
        "failed_calls": failed,
        "successful_calls": successful,
        "sipp_exit": caller.returncode,
        "wall_s": round(time.monotonic() - started, 1),
    }


def bench_sip(
    calls: Annotated[int, typer.Option("--calls", min=1, help="Calls held at once.")] = 100,
    hold_s: Annotated[float, typer.Option("--hold-s", min=1, help="Seconds each call stays in the queue.")] = 20.0,
    cps: Annotated[float, typer.Option("--cps", min=1, help="New calls per second while ramping up.")] = 100.0,
    announce_s: Annotated[float, typer.Option("--announce-s", min=1, help="Seconds between announcements.")] = 10.0,
    data_dir: Annotated[Path, typer.Option("--data-dir", help="Where prompts are cached.")] = Path("./data"),
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Hold many calls in a queue with music and announcements; timing measured at the callers."""
    result = asyncio.run(run_sip_bench(calls, hold_s, cps, announce_s, data_dir.resolve()))
    if as_json:
        typer.echo(json.dumps(result))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="helpline bench sip")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in result.items():
        table.add_row(key, str(value))
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add this benchmark's command to ``helpline bench``."""
    app.command("sip")(bench_sip)
