"""Sequence-number and timestamp arithmetic modulo 2**16 and 2**32.

RTP counters wrap; "later" means "less than half the space ahead" (RFC 3550 appendix A.1 and
the serial-number arithmetic of RFC 1982). The signed differences below are what the rest of
the code compares, never the raw values.
"""

from __future__ import annotations

SEQ_MOD = 1 << 16
TS_MOD = 1 << 32


def seq_add(seq: int, delta: int) -> int:
    return (seq + delta) % SEQ_MOD


def seq_diff(a: int, b: int) -> int:
    """``a - b`` as a signed distance in -32768..32767, wrap-around aware."""
    d = (a - b) % SEQ_MOD
    return d - SEQ_MOD if d >= SEQ_MOD // 2 else d


def seq_newer(a: int, b: int) -> bool:
    """True when ``a`` comes after ``b``."""
    return seq_diff(a, b) > 0


def ts_add(ts: int, delta: int) -> int:
    return (ts + delta) % TS_MOD


def ts_diff(a: int, b: int) -> int:
    """``a - b`` as a signed distance in -2**31..2**31-1, wrap-around aware."""
    d = (a - b) % TS_MOD
    return d - TS_MOD if d >= TS_MOD // 2 else d


def ts_newer(a: int, b: int) -> bool:
    return ts_diff(a, b) > 0


class SequenceUnwrapper:
    """Extends 16-bit sequence numbers to a monotonic count of cycles (RFC 3550 A.1's idea).

    The first number seen anchors the count; each later one is placed at the extended value
    nearest to the highest seen so far, so reordering and wrap-around both come out right.
    """

    __slots__ = ("_highest",)

    def __init__(self) -> None:
        self._highest: int | None = None

    def unwrap(self, seq: int) -> int:
        if self._highest is None:
            self._highest = seq
            return seq
        d = (seq - self._highest) % SEQ_MOD  # seq_diff, spelt out: this runs for every packet
        extended = self._highest + (d - SEQ_MOD if d >= SEQ_MOD // 2 else d)
        if extended > self._highest:
            self._highest = extended
        return extended

    @property
    def highest(self) -> int | None:
        return self._highest
