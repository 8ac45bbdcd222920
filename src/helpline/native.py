"""The compiled core: the routing engine, its records and the simulator, built with mypyc.

The pure core is ordinary typed Python. ``python -m helpline.native_build`` compiles its hot
modules (``MODULES``) with mypyc into ``build/native/`` beside the source tree, with a manifest
of each module's source hash; ``scripts/setup-env`` runs it. The compiled modules decide exactly
as the interpreted ones do (the test suite runs against them) and two to three times as fast: see
``bench/RESULTS.md``.

At ``import helpline``, ``install`` puts a finder in front of Python's own that loads those
modules from the build, but only when the build is *fresh*: every module's source still has the
hash it was compiled from, for this Python. Otherwise (a source edited since, another Python,
no build, ``HELPLINE_NATIVE=0``) everything runs interpreted, and a stale build says so once on
stderr. It is all or nothing: compiled modules reach into each other's native classes, so one
interpreted module among them would not work.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import logging
import os
import sys
import sysconfig
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

GROUP = "helpline_native"
MANIFEST = "manifest.json"

# The hot path of a routing decision and of a simulated call. Package __init__ modules stay
# interpreted (they only re-export).
MODULES: tuple[str, ...] = (
    "helpline.core.agent",
    "helpline.core.agent_events",
    "helpline.core.commands",
    "helpline.core.config",
    "helpline.core.errors",
    "helpline.core.events",
    "helpline.core.inputs",
    "helpline.core.interaction",
    "helpline.core.records",
    "helpline.core.metrics.fold",
    "helpline.core.routing.appliers",
    "helpline.core.routing.engine",
    "helpline.core.routing.ewt",
    "helpline.core.routing.handlers_agent",
    "helpline.core.routing.handlers_interaction",
    "helpline.core.routing.indexes",
    "helpline.core.routing.matching",
    "helpline.core.routing.matchmaker",
    "helpline.core.routing.queries",
    "helpline.core.routing.snapshot",
    "helpline.core.routing.state",
    "helpline.core.routing.strategies",
    "helpline.core.routing.timers",
    "helpline.core.routing.workflow",
    "helpline.sim.arrivals",
    "helpline.sim.distributions",
    "helpline.sim.engine",
    "helpline.sim.model",
)

log = logging.getLogger("helpline.native")


def source_root() -> Path:
    """The folder that holds the ``helpline`` package's source (``src``)."""
    return Path(__file__).resolve().parent.parent


def default_build_dir() -> Path:
    override = os.environ.get("HELPLINE_NATIVE_DIR")
    return Path(override).resolve() if override else source_root().parent / "build" / "native"


def module_path(root: Path, module: str) -> Path:
    return root.joinpath(*module.split(".")).with_suffix(".py")


def source_hashes(root: Path, modules: Sequence[str] = MODULES) -> dict[str, str]:
    return {m: hashlib.sha256(module_path(root, m).read_bytes()).hexdigest() for m in modules}


def abi() -> str:
    return f"{sys.implementation.cache_tag}{sysconfig.get_config_var('EXT_SUFFIX')}"


@dataclass(frozen=True)
class BuildState:
    """What ``check`` found: a fresh build's extension files, or why there is none to use."""

    files: dict[str, Path]
    problem: str | None  # None: fresh
    stale: bool = False  # a build exists but no longer matches the source


def check(build_dir: Path, root: Path | None = None) -> BuildState:
    root = root if root is not None else source_root()
    build_dir = build_dir.resolve()
    try:
        manifest = json.loads((build_dir / MANIFEST).read_text())
    except (OSError, ValueError):
        return BuildState({}, f"no compiled core in {build_dir}")
    if manifest.get("abi") != abi():
        return BuildState({}, f"compiled for {manifest.get('abi')}, this is {abi()}", stale=True)
    modules = manifest.get("modules", {})
    if set(modules) != set(MODULES) and root == source_root():
        return BuildState({}, "the list of compiled modules changed since the build", stale=True)
    try:
        current = source_hashes(root, list(modules))
    except OSError as e:
        return BuildState({}, f"source missing: {e}", stale=True)
    changed = sorted(m for m, digest in modules.items() if current[m] != digest)
    if changed:
        more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
        return BuildState({}, f"source changed since the build: {', '.join(changed[:3])}{more}", stale=True)
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    files = {m: build_dir.joinpath(*m.split(".")).with_name(m.rsplit(".", 1)[-1] + suffix) for m in modules}
    files[f"{GROUP}__mypyc"] = build_dir / f"{GROUP}__mypyc{suffix}"
    missing = [str(p) for p in files.values() if not p.exists()]
    if missing:
        return BuildState({}, f"build incomplete: {missing[0]} is missing", stale=True)
    return BuildState(files, None)


class NativeFinder(importlib.abc.MetaPathFinder):
    """Finds the compiled modules of a fresh build; every other module is left to Python."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.files = files

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        file = self.files.get(fullname)
        if file is None:
            return None
        loader = importlib.machinery.ExtensionFileLoader(fullname, str(file))
        return importlib.util.spec_from_file_location(fullname, file, loader=loader)


def active() -> bool:
    """Whether the compiled core is in use in this process."""
    return any(isinstance(f, NativeFinder) for f in sys.meta_path)


def install(build_dir: Path | None = None) -> BuildState:
    """Load the compiled core from a fresh build from now on (see the module docstring)."""
    if os.environ.get("HELPLINE_NATIVE", "1").strip().lower() in ("0", "no", "false", "off"):
        return BuildState({}, "HELPLINE_NATIVE=0")
    state = check(build_dir if build_dir is not None else default_build_dir())
    if state.problem is None:
        if not active():
            sys.meta_path.insert(0, NativeFinder(state.files))
    elif state.stale:
        log.warning(
            "helpline: running the core interpreted (%s); rebuild with: python -m helpline.native_build",
            state.problem,
        )
    return state
