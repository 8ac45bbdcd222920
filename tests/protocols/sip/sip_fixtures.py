"""Paths of the SIP test data (a plain module: test modules import it by name)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data"
# The RFC 4475 corpus lives beside the repository (../shared/data/rfc4475 from its root).
TORTURE = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "rfc4475"


def fixture_bytes(name: str) -> bytes:
    return (DATA / name).read_bytes()

