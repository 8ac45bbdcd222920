"""A load test of the media edge: N legs playing music on hold to a receiver process.

``helpline bench`` can wrap ``run_music_legs``; it returns one JSON-ready dict. The receiver
runs as a separate process (so its work is not counted as ours) and measures, per stream,
the gaps between packets as they arrive: their spread (p50/p99 of |gap - 20 ms|) and the share
longer than 30 ms, the figures that show a late ticker.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from helpline.edge.media.engine import MediaEngine
from helpline.edge.media.player import PlayItem
from helpline.media.music import render_music_on_hold

_RECEIVER = r"""
import json, socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
s.settimeout(float(sys.argv[1]))
last, gaps, n = {}, [], 0
try:
    while True:
        data = s.recv(2048)
        now = time.monotonic()
        n += 1
        ssrc = struct.unpack_from("!I", data, 8)[0]
        if ssrc in last:
            gaps.append(now - last[ssrc])
        last[ssrc] = now
except socket.timeout:
    pass
dev = sorted(abs(g - 0.02) for g in gaps) or [0.0]
print(json.dumps({"received": n, "jitter_p50_ms": 1000 * dev[len(dev) // 2],
                  "jitter_p99_ms": 1000 * dev[int(len(dev) * 0.99)],
                  "gaps_over_30ms_pct": 100 * sum(g > 0.03 for g in gaps) / max(1, len(gaps))}), flush=True)
"""


async def run_music_legs(legs: int = 100, seconds: float = 5.0, port_base: int = 40000) -> dict[str, Any]:
    receiver = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _RECEIVER, "1.0", stdout=asyncio.subprocess.PIPE
    )
    assert receiver.stdout is not None
    port = int(await receiver.stdout.readline())
    engine = MediaEngine("127.0.0.1", port_base, port_base + 2 * legs + 100)
    try:
        music = render_music_on_hold()
        opened = [await engine.open_leg() for _ in range(legs)]
        for leg in opened:
            leg.set_remote("127.0.0.1", port)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for leg in opened:
            leg.play([PlayItem(music, loop=True, name="moh")])
        await asyncio.sleep(seconds)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        sent = sum(leg.stats.tx_packets for leg in opened)
        ticker = engine.ticker
        late, skipped = ticker.late_ticks, ticker.skipped_ticks
    finally:
        await engine.close()
    received = json.loads(await receiver.stdout.readline())
    await receiver.wait()
    return {
        "legs": legs,
        "seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 3),
        "cpu_share_of_one_core": round(cpu / wall, 3),
        "cpu_us_per_packet": round(1e6 * cpu / max(1, sent), 2),
        "packets_sent": sent,
        "packets_received": received["received"],
        "late_ticks": late,
        "skipped_ticks": skipped,
        "jitter_p50_ms": round(received["jitter_p50_ms"], 2),
        "jitter_p99_ms": round(received["jitter_p99_ms"], 2),
        "gaps_over_30ms_pct": round(received["gaps_over_30ms_pct"], 2),
    }


def main() -> None:
    import uvloop

    legs = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    print(json.dumps(uvloop.run(run_music_legs(legs, seconds))))  # noqa: T201


if __name__ == "__main__":
    main()
