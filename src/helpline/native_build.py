"""``python -m helpline.native_build``: compile the core with mypyc (see ``helpline.native``)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from helpline.native import (
    GROUP,
    MANIFEST,
    MODULES,
    abi,
    check,
    default_build_dir,
    module_path,
    source_hashes,
    source_root,
)

_SETUP = """\
import sys
from setuptools import setup
from mypyc.build import mypycify

setup(
    name="helpline-native",
    script_args=["build_ext", "--build-lib", sys.argv[1], "--build-temp", sys.argv[2]],
    ext_modules=mypycify(sys.argv[4:], opt_level="3", group_name="{group}", target_dir=sys.argv[3]),
)
"""


def build(build_dir: Path | None = None, *, force: bool = False) -> int:
    """Compile ``MODULES`` into ``build_dir`` (a minute or so); 0 on success."""
    out = (build_dir if build_dir is not None else default_build_dir()).resolve()
    root = source_root()
    if not force and check(out, root).problem is None:
        print(f"native: {out} is up to date", file=sys.stderr)
        return 0
    hashes = source_hashes(root)  # taken before compiling: an edit during the build makes it stale
    if out.exists():
        if any(out.iterdir()) and not (out / MANIFEST).exists():
            print(f"native: {out} is not empty and holds no build; not replacing it", file=sys.stderr)
            return 2
        shutil.rmtree(out)
    out.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="helpline-native-") as tmp:
        setup = Path(tmp) / "setup.py"
        setup.write_text(_SETUP.format(group=GROUP))
        paths = [str(module_path(Path("."), m)) for m in MODULES]
        config = root.parent / "pyproject.toml"
        flags = [f"--config-file={config}"] if config.exists() else []
        command = [sys.executable, str(setup), str(out), str(Path(tmp) / "obj"), str(Path(tmp) / "c"), *flags, *paths]
        print(f"native: compiling {len(MODULES)} modules with mypyc into {out}", file=sys.stderr)
        done = subprocess.run(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if done.returncode != 0:
            sys.stderr.write(done.stdout[-4000:])
            print("native: build failed; the core runs interpreted", file=sys.stderr)
            shutil.rmtree(out, ignore_errors=True)
            return done.returncode
    manifest = {"abi": abi(), "modules": hashes}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    state = check(out, root)
    if state.problem is not None:
        print(f"native: build unusable: {state.problem}", file=sys.stderr)
        return 1
    print(f"native: built {len(MODULES)} modules", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m helpline.native_build", description="Compile the core with mypyc.")
    parser.add_argument("--force", action="store_true", help="rebuild even when the build is up to date")
    parser.add_argument("--dir", type=Path, default=None, help="build folder (default: build/native)")
    parser.add_argument("--status", action="store_true", help="only say whether the build is fresh")
    args = parser.parse_args(argv)
    if args.status:
        state = check(args.dir if args.dir is not None else default_build_dir())
        print("fresh" if state.problem is None else f"not used: {state.problem}")
        return 0 if state.problem is None else 1
    return build(args.dir, force=args.force)


if __name__ == "__main__":
    raise SystemExit(main())
