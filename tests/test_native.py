"""The compiled core is used only when its build matches the source, for this Python."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from helpline import native

SUFFIX = sysconfig.get_config_var("EXT_SUFFIX")


def fake_build(tmp_path: Path, source: str = "x = 1\n") -> tuple[Path, Path]:
    """A source tree with one module ``pkg.mod`` and a build of it (an empty stand-in .so)."""
    root = tmp_path / "src"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "mod.py").write_text(source)
    build = tmp_path / "build"
    (build / "pkg").mkdir(parents=True)
    (build / "pkg" / f"mod{SUFFIX}").write_bytes(b"")
    (build / f"{native.GROUP}__mypyc{SUFFIX}").write_bytes(b"")
    manifest = {"abi": native.abi(), "modules": native.source_hashes(root, ["pkg.mod"])}
    (build / native.MANIFEST).write_text(json.dumps(manifest))
    return root, build


def test_a_build_that_matches_the_source_is_used(tmp_path: Path) -> None:
    root, build = fake_build(tmp_path)
    state = native.check(build, root)
    assert state.problem is None
    assert state.files["pkg.mod"] == build / "pkg" / f"mod{SUFFIX}"
    assert f"{native.GROUP}__mypyc" in state.files


def test_an_edited_source_makes_the_build_stale(tmp_path: Path) -> None:
    root, build = fake_build(tmp_path)
    (root / "pkg" / "mod.py").write_text("x = 2\n")
    state = native.check(build, root)
    assert state.stale and state.files == {}
    assert state.problem == "source changed since the build: pkg.mod"


def test_a_build_for_another_python_is_not_used(tmp_path: Path) -> None:
    root, build = fake_build(tmp_path)
    manifest = json.loads((build / native.MANIFEST).read_text())
    manifest["abi"] = "cpython-399.so"
    (build / native.MANIFEST).write_text(json.dumps(manifest))
    state = native.check(build, root)
    assert state.stale and state.problem is not None and "cpython-399.so" in state.problem


def test_a_missing_extension_makes_the_build_unusable(tmp_path: Path) -> None:
    root, build = fake_build(tmp_path)
    (build / "pkg" / f"mod{SUFFIX}").unlink()
    state = native.check(build, root)
    assert state.problem is not None and state.problem.startswith("build incomplete")


def test_no_build_is_quietly_interpreted(tmp_path: Path) -> None:
    state = native.check(tmp_path / "nothing", tmp_path)
    assert not state.stale and state.files == {}


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "HELPLINE_NATIVE": "1", **env},
        capture_output=True,
        text=True,
        check=True,
    )


def test_a_stale_build_runs_interpreted_and_says_so(tmp_path: Path) -> None:
    build = tmp_path / "build"
    build.mkdir()
    hashes = dict.fromkeys(native.MODULES, "0" * 64)
    (build / native.MANIFEST).write_text(json.dumps({"abi": native.abi(), "modules": hashes}))
    done = run_python(
        "import helpline.core.routing.engine as m; print(m.__file__)", HELPLINE_NATIVE_DIR=str(build)
    )
    assert done.stdout.strip().endswith("engine.py")
    assert "running the core interpreted (source changed since the build" in done.stderr


def test_the_fresh_build_is_what_runs() -> None:
    """Where set-up built the compiled core, the routing engine and the simulator come from it."""
    if native.check(native.default_build_dir()).problem is not None or os.environ.get("HELPLINE_NATIVE") == "0":
        pytest.skip("no fresh compiled core here (python -m helpline.native_build makes one)")
    done = run_python("import helpline.core.routing.engine as e, helpline.sim.engine as s; print(e.__file__, s.__file__)")
    assert all(f.endswith(SUFFIX) for f in done.stdout.split())
    off = run_python("import helpline.core.routing.engine as m; print(m.__file__)", HELPLINE_NATIVE="0")
    assert off.stdout.strip().endswith("engine.py")


def test_the_metric_totals_merge_every_field() -> None:
    """``merge`` and ``as_dict`` walk a written list of QueueTotals' fields (compiled classes
    have no readable ``__slots__``): it must name every attribute ``__init__`` sets."""
    import ast

    from helpline.core.metrics import fold

    tree = ast.parse(native.module_path(native.source_root(), "helpline.core.metrics.fold").read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "QueueTotals")
    init = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
    assigned = {
        t.attr
        for n in ast.walk(init)
        if isinstance(n, ast.Assign)
        for t in n.targets
        if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"
    }
    assert assigned == set(fold._TOTALS_FIELDS)
