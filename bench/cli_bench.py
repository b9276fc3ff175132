"""Command-line start-up benchmark (issue 13): each command timed as a whole process.

    python bench/cli_bench.py                  # 9 rounds
    python bench/cli_bench.py --rounds 3       # a quick look

It builds the sample project topped up to 2,000 codings (``bench/editing_bench.py``'s
``build``) in a temporary folder, then runs, in every round and in a shuffled order, so that
each command and its baseline see the same machine:

* ``python -c "import sqlalchemy"`` — the baseline of the CLI target;
* ``qualcode --help`` and ``qualcode documents --json`` on the sample;
* ``qualcode export excerpts`` (CSV, 2,000 codings) — and, as its baselines, the library call
  it makes (``analysis.data.load`` + ``analysis.excerpts.excerpts`` + ``excerpts.to_csv``) in a
  script that imports those modules and calls them once: the call itself, timed by the script
  (the first call of a process: the issue's "library call"), and the whole script as a
  process (start-up and imports included, as for the command). A third, information only: the
  call when made again in the same process (a notebook's second call).

The ``qualcode`` console script next to this Python is run directly (no shell shim), on the
package of this checkout (``PYTHONPATH``; the same for every process of the run); with
``--before DIR`` the three commands also run from an older copy of the package in the same
rounds. It prints a table of medians and minimums (seconds) with the ratios of each round's pair
(median over rounds), and JSON. Targets: ``--help`` and ``documents --json`` ≤ 0.5 s and ≤ 2× the
``import sqlalchemy`` process; ``export excerpts`` ≤ 2× the library call.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_LIBRARY_CALL = """
import sys, time
from qualcode.analysis import excerpts as ex
from qualcode.analysis.data import load
from qualcode.store.db import Database

db = Database(sys.argv[1])
def call():
    return ex.to_csv(ex.excerpts(load(db), context=100))
times = []
for _ in range(int(sys.argv[2])):
    t = time.perf_counter()
    call()
    times.append(time.perf_counter() - t)
print(" ".join(map(str, times)))
"""


def _qualcode() -> list[str]:
    script = Path(sys.executable).with_name("qualcode")
    return [str(script)] if script.exists() else [sys.executable, "-m", "qualcode.cli"]


def _timed(argv: list[str], env: dict) -> float:
    t = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description="qualcode CLI start-up benchmark")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--codings", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--before", type=Path, metavar="DIR",
                    help="also run the three commands from another copy of the package, in the same "
                         "rounds: DIR holds `qualcode/`, e.g. `git archive COMMIT qualcode | tar -x -C DIR`")
    args = ap.parse_args()

    from bench.editing_bench import build

    qualcode = _qualcode()
    with tempfile.TemporaryDirectory() as tmp:
        db, _documents, _codes = build(Path(tmp), args.codings, args.seed)
        db.close()
        path = str(Path(tmp) / "bench.db")
        env = {k: v for k, v in os.environ.items() if k not in ("QUALCODE_PROJECT", "QUALCODE_USER")}
        env["QUALCODE_DB"] = path
        env["PYTHONPATH"] = str(ROOT)  # this checkout, whatever an editable install points at
        runs: dict[str, tuple[list[str], dict]] = {
            "import sqlalchemy": ([sys.executable, "-c", "import sqlalchemy"], env),
            "qualcode --help": ([*qualcode, "--help"], env),
            "qualcode documents --json": ([*qualcode, "documents", "--json"], env),
            "qualcode export excerpts": ([*qualcode, "export", "excerpts"], env),
        }
        if args.before:
            old = {**env, "PYTHONPATH": str(args.before)}
            for name in ("qualcode --help", "qualcode documents --json", "qualcode export excerpts"):
                runs[f"{name} (before)"] = (runs[name][0], old)
        for argv, run_env in runs.values():  # warm-up: bytecode caches, the day's automatic backup
            _timed(argv, run_env)
        library = [sys.executable, "-c", _LIBRARY_CALL, path]
        out = subprocess.run([*library, "4"], check=True, capture_output=True, text=True, env=env)
        warm_call = statistics.median(float(x) for x in out.stdout.split()[1:])
        seconds: dict[str, list[float]] = {name: [] for name in [*runs, "library script", "library call"]}
        rng = random.Random(args.seed)
        for _ in range(args.rounds):
            order = [*runs, "library script"]
            rng.shuffle(order)
            for name in order:
                if name == "library script":
                    t = time.perf_counter()
                    out = subprocess.run([*library, "1"], check=True, capture_output=True, text=True,
                                         env=env)
                    seconds[name].append(time.perf_counter() - t)
                    seconds["library call"].append(float(out.stdout.split()[0]))
                else:
                    seconds[name].append(_timed(*runs[name]))

    def ratio(name: str, base: str) -> float:
        return statistics.median(a / b for a, b in zip(seconds[name], seconds[base]))

    pairs = [("qualcode --help", "import sqlalchemy", 0.5, 2.0),
             ("qualcode documents --json", "import sqlalchemy", 0.5, 2.0),
             ("qualcode export excerpts", "library call", None, 2.0),
             ("qualcode export excerpts", "library script", None, 2.0)]
    if args.before:
        pairs += [(f"{name} (before)", base, most, times) for name, base, most, times in pairs]
    print(f"qualcode CLI, whole processes, {args.rounds} rounds "
          f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}{f'; before = {args.before}' if args.before else ''})",
          file=sys.stderr)
    print(f"{'':36} {'median s':>9} {'min s':>7}", file=sys.stderr)
    for name, values in seconds.items():
        print(f"{name:36} {statistics.median(values):9.3f} {min(values):7.3f}", file=sys.stderr)
    print(f"{'library call, made again':36} {warm_call:9.3f}", file=sys.stderr)
    print(f"{'ratio (median of the rounds)':60} {'target':>7}", file=sys.stderr)
    result: dict = {"benchmark": "cli", "rounds": args.rounds, "codings": args.codings,
                    "before": str(args.before) if args.before else None,
                    "date": f"{datetime.now(UTC):%Y-%m-%d}", "cores": os.cpu_count(),
                    "seconds": {name: {"median": round(statistics.median(v), 3), "min": round(min(v), 3)}
                                for name, v in seconds.items()},
                    "library_call_again_s": round(warm_call, 3), "targets": []}
    for name, base, most, times in pairs:
        r, median = ratio(name, base), statistics.median(seconds[name])
        print(f"{name + ' / ' + base:60} {r:7.2f} {'≤ ' + str(times):>7}", file=sys.stderr)
        entry = {"command": name, "baseline": base, "ratio": round(r, 2), "target_ratio": times,
                 "meets_ratio": r <= times}
        if most is not None:
            entry.update(median_s=round(median, 3), target_s=most, meets_seconds=median <= most)
        result["targets"].append(entry)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
