#!/usr/bin/env python3
"""Runs the workspace's test programs side by side, as `cargo test` runs them one by one.

    scripts/run-tests.py [--jobs N] [--update-hints] [--cargo-config FILE] [-- ARGS FOR EVERY TEST PROGRAM]

`cargo test` runs its test programs one after the other, and a program's run ends with
its slowest test alone on the machine: a property test on one thread (46 s), a program
whose last two tests wait on one model (speculative.rs used 1.1 of 2 cores over 163 s).
Here the programs cargo builds for `cargo test --release --workspace` run N at a time
(default 2; HEARTH_TEST_JOBS), the slowest first, so that one program's tail overlaps
another's work. On two cores the stage took 990, 1,057 and 1,062 s in three runs (in
alphabetical order, slowest first, and one worker taking the slowest while the other took
the quickest), against 1,130 and 1,148 s with `cargo test`: two model-bound programs side
by side each take nearly twice as long, so what is won is the cores a lone program leaves
idle, about a tenth. Within a program its tests still run as cargo runs them (the
test harness's threads), so what a program shares between its tests (a model loaded
once, a lock that keeps two memory-hungry tests apart) is shared as before.

Each program runs as `cargo test` would run it: from its package's folder, with the
package's CARGO_* variables and the build's library folders on LD_LIBRARY_PATH. Its
output is kept and printed whole when it ends, one program after another, never
interleaved. Every program runs even after one fails; the failures are listed again at
the end, and the exit status is 1 if any program failed.

The order comes from scripts/test-durations.json (seconds per program, measured by an
earlier run: only the order depends on it, so a stale file costs time, never a test).
Each whole run (no arguments for the programs) writes what it measured to
target/test-durations.json; `--update-hints` also writes it to scripts/test-durations.json.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HINTS = ROOT / "scripts" / "test-durations.json"
MEASURED = ROOT / "target" / "test-durations.json"
CARGO = os.environ.get("CARGO", "cargo")
BUILD = [CARGO, "test", "--release", "--workspace", "--locked", "--no-run"]


class DocTests:
    """The examples in the workspace's documentation comments, which cargo compiles as it
    runs them (rustdoc), so they are one more job here."""

    name = "doc tests (cargo test --doc)"
    executable = "cargo"

    def __init__(self, cargo_options):
        self.command = [CARGO, "test", "--release", "--workspace", "--locked", "--doc"] + cargo_options
        self.cwd = str(ROOT)
        self.output = None
        self.seconds = None
        self.status = None


class Program:
    """One test program cargo built: where it is and how cargo would run it."""

    def __init__(self, artifact, package):
        self.executable = artifact["executable"]
        target = artifact["target"]
        self.package = package
        self.manifest_dir = str(Path(artifact["manifest_path"]).parent)
        src = Path(target["src_path"])
        try:
            src = src.relative_to(self.manifest_dir)
        except ValueError:
            pass
        kind = target["kind"][0]
        # The same names `cargo test` prints ("Running tests/ocr.rs"), with the package.
        self.name = f"{package['name']} {src}" if kind == "test" else f"{package['name']} {src} ({kind})"
        self.crate_name = target["name"].replace("-", "_")
        self.command = [self.executable]
        self.cwd = self.manifest_dir
        self.output = None
        self.seconds = None
        self.status = None


def build_programs(cargo_options):
    """Builds (or finds built) every test program; returns them and the library path."""
    metadata = json.loads(
        subprocess.run(
            [CARGO, "metadata", "--format-version=1", "--no-deps", "--locked"],
            cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True,
        ).stdout
    )
    packages = {p["id"]: p for p in metadata["packages"]}
    target_dir = Path(metadata["target_directory"])
    build = subprocess.Popen(
        BUILD + cargo_options + ["--message-format=json-render-diagnostics"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    programs, library_dirs = [], []
    for line in build.stdout:
        if not line.startswith("{"):
            continue
        message = json.loads(line)
        reason = message.get("reason")
        if reason == "compiler-artifact" and message["profile"]["test"] and message.get("executable"):
            package = packages.get(message["package_id"])
            if package is not None:
                programs.append(Program(message, package))
        elif reason == "build-script-executed":
            # cargo puts the native libraries a build script links (llama.cpp's) on the
            # library path of the programs it runs; so does this.
            for linked in message.get("linked_paths", []):
                path = linked.split("=", 1)[-1]
                inside = os.path.isabs(path) and os.path.commonpath([path, str(target_dir)]) == str(target_dir)
                if inside and path not in library_dirs:
                    library_dirs.append(path)
    if build.wait() != 0:
        sys.exit(f"the test build failed: {' '.join(BUILD)} exited with {build.returncode}")
    release = target_dir / "release"
    return programs, [str(release / "deps"), str(release)] + library_dirs


def environment(program, library_dirs):
    """The variables `cargo test` gives a test program it runs."""
    env = dict(os.environ)
    package = program.package
    version = package["version"].split("-", 1)[0].split("+", 1)[0].split(".")
    env.update(
        CARGO=shutil.which(CARGO) or CARGO,
        CARGO_MANIFEST_DIR=program.manifest_dir,
        CARGO_MANIFEST_PATH=package["manifest_path"],
        CARGO_PKG_NAME=package["name"],
        CARGO_PKG_VERSION=package["version"],
        CARGO_PKG_VERSION_MAJOR=version[0],
        CARGO_PKG_VERSION_MINOR=version[1] if len(version) > 1 else "0",
        CARGO_PKG_VERSION_PATCH=version[2] if len(version) > 2 else "0",
        CARGO_CRATE_NAME=program.crate_name,
    )
    existing = env.get("LD_LIBRARY_PATH")
    env["LD_LIBRARY_PATH"] = os.pathsep.join(library_dirs + ([existing] if existing else []))
    return env


def order(programs):
    """The slowest first (by the hints), so that no long program starts last."""
    try:
        hints = json.loads(HINTS.read_text())
    except (OSError, ValueError):
        hints = {}
    return sorted(programs, key=lambda p: (-float(hints.get(p.name, 0)), p.name))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # Two by default, whatever the cores: measured on two, and each program already runs
    # its tests on every core, some with models of a gigabyte or more.
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("HEARTH_TEST_JOBS", 2)))
    parser.add_argument("--update-hints", action="store_true")
    # Settings the build was made with (scripts/test.sh's scripts/cargo/test-build.toml):
    # without the same ones, cargo would build everything again to other settings.
    parser.add_argument("--cargo-config", action="append", default=[], metavar="FILE")
    parser.add_argument("args", nargs="*", help="handed to every test program (after --)")
    options = parser.parse_args()

    cargo_options = [option for path in options.cargo_config for option in ("--config", str(Path(path).resolve()))]
    programs, library_dirs = build_programs(cargo_options)
    programs.append(DocTests(cargo_options))
    queue = order(programs)
    print(f"running {len(queue) - 1} test programs and the doc tests, {options.jobs} at a time", file=sys.stderr, flush=True)

    lock = threading.Lock()
    running = {}
    started = time.monotonic()

    def run(program):
        with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as log:
            begin = time.monotonic()
            child = subprocess.Popen(
                program.command + (["--"] if isinstance(program, DocTests) and options.args else []) + options.args,
                cwd=program.cwd,
                env=environment(program, library_dirs) if isinstance(program, Program) else None,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            with lock:
                running[program.name] = child
            program.status = child.wait()
            program.seconds = time.monotonic() - begin
            with lock:
                running.pop(program.name, None)
            log.seek(0)
            program.output = log.read()
        with lock:
            verdict = "ok" if program.status == 0 else f"FAILED (exit status {program.status})"
            print(
                f"\n==== {program.name}: {verdict}, {program.seconds:.1f} s "
                f"[{time.monotonic() - started:.0f} s into the run] ====",
                flush=True,
            )
            sys.stdout.write(program.output)
            sys.stdout.flush()

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                program = queue.pop(0)
            run(program)

    def stop(signum, _frame):
        with lock:
            for child in running.values():
                try:
                    os.killpg(child.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        sys.exit(128 + signum)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    workers = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, options.jobs))]
    for thread in workers:
        thread.start()
    for thread in workers:
        while thread.is_alive():
            thread.join(0.5)

    measured = {p.name: round(p.seconds, 1) for p in programs if p.seconds is not None}
    if not options.args:  # a filtered run's times say nothing of a whole run's
        MEASURED.parent.mkdir(parents=True, exist_ok=True)
        MEASURED.write_text(json.dumps(dict(sorted(measured.items())), indent=1) + "\n")
    if options.update_hints and not options.args:
        HINTS.write_text(json.dumps(dict(sorted(measured.items())), indent=1) + "\n")

    failed = [p for p in programs if p.status != 0]
    total = time.monotonic() - started
    print(
        f"\n==== {len(programs) - 1} test programs and the doc tests in {total:.0f} s "
        f"({sum(measured.values()):.0f} s one after another); the slowest: "
        + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in sorted(measured.items(), key=lambda kv: -kv[1])[:5])
        + " ====",
        file=sys.stderr,
    )
    if failed:
        print("\nthese test programs failed (their whole output is above):", file=sys.stderr)
        for program in failed:
            print(f"  {program.name} ({program.executable}), exit status {program.status}", file=sys.stderr)
            failures = [line for line in program.output.splitlines() if line.startswith("test ") and line.endswith("FAILED")]
            for line in failures[:20]:
                print(f"    {line}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
