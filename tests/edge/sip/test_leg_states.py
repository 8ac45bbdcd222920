"""A call leg's states move only through the table."""

from __future__ import annotations

import pytest

from helpline.edge.sip.calls import LEG_MOVES, LegState


@pytest.mark.parametrize(
    ("start", "to", "legal"),
    [
        (LegState.NEW, LegState.EARLY, True),
        (LegState.EARLY, LegState.ANSWERED, True),
        (LegState.ANSWERED, LegState.ANSWERED, True),  # a retransmitted 2xx
        (LegState.ANSWERED, LegState.EARLY, False),  # a late 1xx after the answer
        (LegState.ENDED, LegState.ANSWERED, False),
        (LegState.ENDED, LegState.ENDED, False),
    ],
)
def test_leg_moves(start: LegState, to: LegState, legal: bool) -> None:
    assert (to in LEG_MOVES[start]) is legal


def test_every_state_but_ended_can_end() -> None:
    assert all(LegState.ENDED in LEG_MOVES[s] for s in LegState if s is not LegState.ENDED)
