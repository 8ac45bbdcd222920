from __future__ import annotations

import pytest

from helpline.protocols.rtp.stats import ReceptionStats


def test_a_perfect_stream_has_no_loss_and_no_jitter() -> None:
    stats = ReceptionStats(ssrc=1)
    for i in range(100):
        stats.on_packet((65500 + i) % 65536, (4_294_967_000 + 160 * i) % 2**32, now=0.02 * i)
    assert (stats.received, stats.expected, stats.lost) == (100, 100, 0)
    assert stats.jitter_ms == pytest.approx(0.0, abs=1e-9)


def test_loss_is_counted_across_the_wrap() -> None:
    stats = ReceptionStats(ssrc=1)
    for seq in [65534, 65535, 2, 3]:  # 0 and 1 lost
        stats.on_packet(seq, seq * 160 % 2**32, now=0.0)
    assert (stats.expected, stats.lost) == (6, 2)
    assert stats.fraction_lost == pytest.approx(2 / 6)


def test_alternating_delay_converges_to_the_rfc_jitter_estimate() -> None:
    stats = ReceptionStats(ssrc=1)
    for i in range(400):
        stats.on_packet(i, 160 * i, now=0.02 * i + (0.004 if i % 2 else 0.0))
    # |D| is 4 ms every packet, so J tends to 4 ms.
    assert stats.jitter_ms == pytest.approx(4.0, rel=0.01)
