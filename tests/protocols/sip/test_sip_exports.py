"""The package's public names are a contract: __all__ lists exactly what it exports."""

from __future__ import annotations

import helpline.protocols.sip as sip


def test_all_matches_the_public_names() -> None:
    public = {n for n in vars(sip) if not n.startswith("_") and n != "annotations"}
    modules = {n for n in public if type(getattr(sip, n)).__name__ == "module"}
    assert set(sip.__all__) == public - modules
    assert len(sip.__all__) == len(set(sip.__all__))
