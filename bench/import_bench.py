"""Import benchmark (issue 13): the ``qualcode import`` command against a spaCy-only process.

    python bench/import_bench.py                          # 300 labelled .txt × ~1,700 words, 3 rounds
    python bench/import_bench.py --format docx            # the same as Word files (bold labels)
    python bench/import_bench.py --files 50 --rounds 1    # a quick look

It generates a seeded synthetic corpus (the words of ``bench/corpus.py``: a Zipf-distributed
invented vocabulary; one format for every file), then times whole processes, start-up and
imports included on both sides, alternating in every round so that both see the same machine:

* baseline — a process that only reads the same files (.txt: decoded as UTF-8; .docx: the
  paragraphs' text with python-docx) and splits them into sentences with spaCy's blank English
  pipeline + sentencizer (``nlp.pipe`` over the paragraphs); with ``--format docx`` also the
  same words as .txt files (``baseline_txt``);
* import — the ``qualcode`` console script on this checkout's package, ``qualcode --db FILE
  import FOLDER --json``, into a database made beforehand with ``qualcode init`` (untimed:
  creating the schema is not import speed), as a researcher runs it: decode, speaker detection,
  sentences, documents, turns and sentences written, one transaction per file. With ``--before DIR`` also the same command run
  from an older copy of the package, in the same rounds.

For each it records the wall time and the peak resident memory: of the process tree, sampled
every 20 ms from /proc (main process plus any parse workers), and of its largest process (the
kernel's high-water mark, as last seen). It prints a table and JSON: median seconds, words per
second, the speed ratio baseline seconds / import seconds of each round (median; target ≥ 0.5
for .txt, ≥ 0.3 for .docx) and the import's peak RSS (target ≤ 1 GB).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_RATIO = {"txt": 0.5, "docx": 0.3}
TARGET_RSS_MB = 1024


# -- the corpus ----------------------------------------------------------------------------------

def generate(folder: Path, files: int, words: int, seed: int, fmt: str) -> int:
    """``files`` interviews of about ``words`` words in one format; returns the words spoken."""
    from bench.corpus import SPEAKERS, render, utterance, vocabulary

    rng = random.Random(seed)
    vocab, weights = vocabulary(rng)
    total = 0
    for i in range(files):
        participant = rng.choice(SPEAKERS[1:])
        turns, spoken = [], 0
        while spoken < words:
            asking = len(turns) % 2 == 0
            n = min(rng.randint(8, 30) if asking else rng.randint(40, 260), words - spoken) or 1
            turns.append(("Interviewer" if asking else participant, utterance(rng, vocab, weights, n)))
            spoken += n
        total += spoken
        data = render("docx" if fmt == "docx" else "labelled.txt", turns)
        (folder / f"interview_{i:04d}.{fmt}").write_bytes(data)
    return total


# -- the baseline process ------------------------------------------------------------------------

def run_baseline(corpus: Path) -> None:
    """Read every file of ``corpus`` and cut its paragraphs into sentences with spaCy."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    paragraphs: list[str] = []
    for path in sorted(corpus.iterdir()):
        if path.suffix == ".docx":
            from docx import Document

            paragraphs.extend(p.text for p in Document(io.BytesIO(path.read_bytes())).paragraphs)
        else:
            paragraphs.extend(path.read_bytes().decode("utf-8").split("\n\n"))
    sentences = sum(len(list(doc.sents)) for doc in nlp.pipe(paragraphs, batch_size=256))
    print(json.dumps({"sentences": sentences}))


# -- timing whole processes ----------------------------------------------------------------------

def _tree_memory_kb(pid: int) -> tuple[int, int]:
    """(resident memory of ``pid`` and all its descendants, the largest high-water mark among
    them), in KiB, from /proc; (0, 0) once it is gone."""
    total = largest = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                fields = dict(line.split(":", 1) for line in f if line.startswith(("VmRSS:", "VmHWM:")))
            total += int(fields.get("VmRSS", "0 kB").split()[0])
            largest = max(largest, int(fields.get("VmHWM", "0 kB").split()[0]))
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo.extend(int(c) for c in f.read().split())
        except (OSError, ValueError):
            continue
    return total, largest


def timed_process(argv: list[str], env: dict | None = None) -> dict:
    """Run ``argv`` to the end: wall seconds, the peak resident memory of its process tree
    (sampled) and the largest process's own peak (the kernel's high-water mark), and stdout."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    peak = [0, 0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            tree, largest = _tree_memory_kb(proc.pid)
            peak[0], peak[1] = max(peak[0], tree), max(peak[1], largest)
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - t0
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{err.decode()[-2000:]}")
    return {"seconds": seconds, "peak_rss_mb": peak[0] / 1024, "largest_process_rss_mb": peak[1] / 1024,
            "stdout": out.decode("utf-8")}


def _qualcode() -> list[str]:
    script = Path(sys.executable).with_name("qualcode")
    return [str(script)] if script.exists() else [sys.executable, "-m", "qualcode.cli"]


def main() -> None:
    ap = argparse.ArgumentParser(description="qualcode import benchmark (whole processes)")
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--words", type=int, default=1700)
    ap.add_argument("--format", choices=["txt", "docx"], default="txt")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--before", type=Path, metavar="DIR",
                    help="also import with another copy of the package, in the same rounds: DIR holds "
                         "`qualcode/`, e.g. `git archive COMMIT qualcode | tar -x -C DIR`")
    ap.add_argument("--phase", choices=["baseline"], help=argparse.SUPPRESS)
    ap.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase == "baseline":
        run_baseline(args.corpus)
        return

    qualcode = _qualcode()
    env = {k: v for k, v in os.environ.items()
           if k not in ("QUALCODE_DB", "QUALCODE_PROJECT", "QUALCODE_USER")}
    env["PYTHONPATH"] = str(ROOT)  # this checkout, whatever an editable install points at
    envs = {"import": env}
    if args.before:
        envs["import (before)"] = {**env, "PYTHONPATH": str(args.before)}
    with tempfile.TemporaryDirectory() as tmp:
        folders = {"": Path(tmp) / args.format}
        if args.format == "docx":
            folders["_txt"] = Path(tmp) / "txt"
        for fmt_key, folder in folders.items():
            folder.mkdir()
            words = generate(folder, args.files, args.words, args.seed, "txt" if fmt_key else args.format)
        runs: dict[str, list[dict]] = {name: [] for name in [*envs, *(f"baseline{k}" for k in folders)]}
        for round_ in range(args.rounds):
            order = list(runs)
            random.Random(args.seed + round_).shuffle(order)
            for name in order:
                if name in envs:
                    db = Path(tmp) / f"import-{round_}.db"
                    subprocess.run([*qualcode, "--db", str(db), "init"], check=True, env=envs[name],
                                   stdout=subprocess.DEVNULL)
                    run = timed_process([*qualcode, "--db", str(db), "import", str(folders[""]),
                                         "--json", "--no-progress"], envs[name])
                    report = json.loads(run.pop("stdout"))
                    if report["errors"] or len(report["imported"]) != args.files:
                        raise SystemExit(f"the import failed: {report['errors'][:3]}")
                    run["sentences"] = sum(d["sentences"] for d in report["imported"])
                    for made in Path(tmp).glob(f"import-{round_}.db*"):
                        made.unlink()
                else:
                    folder = folders[name.removeprefix("baseline")]
                    run = timed_process([sys.executable, __file__, "--phase", "baseline",
                                         "--corpus", str(folder)], env)
                    run["sentences"] = json.loads(run.pop("stdout"))["sentences"]
                runs[name].append(run)

    def ratio(name: str, base: str) -> float:
        return statistics.median(b["seconds"] / i["seconds"] for i, b in zip(runs[name], runs[base]))

    summary: dict = {}
    for name, values in runs.items():
        secs = [v["seconds"] for v in values]
        summary[name] = {"median_s": round(statistics.median(secs), 2), "min_s": round(min(secs), 2),
                         "words_per_second": round(words / statistics.median(secs)),
                         "peak_rss_mb": round(max(v["peak_rss_mb"] for v in values)),
                         "largest_process_rss_mb": round(max(v["largest_process_rss_mb"] for v in values)),
                         "sentences": values[0]["sentences"]}
    bases = [name for name in runs if name.startswith("baseline")]
    ratios = {f"{name} / {base}": round(ratio(name, base), 3) for name in envs for base in bases}
    target = TARGET_RATIO[args.format]
    peak = summary["import"]["peak_rss_mb"]
    print(f"qualcode import, {args.files} {args.format} files × ~{args.words:,} words ({words:,} words), "
          f"{args.rounds} rounds ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
          f"{f'; before = {args.before}' if args.before else ''})", file=sys.stderr)
    print(f"{'':16} {'median s':>9} {'min s':>7} {'words/s':>9} {'peak RSS MB':>12}", file=sys.stderr)
    for name, row in summary.items():
        print(f"{name:16} {row['median_s']:9.2f} {row['min_s']:7.2f} {row['words_per_second']:9,} "
              f"{row['peak_rss_mb']:12,}", file=sys.stderr)
    print(f"{'speed ratio (baseline s / import s, median of the rounds)':60} {'target':>7}", file=sys.stderr)
    for pair, value in ratios.items():
        print(f"{pair:60} {value:7.3f} {'≥ ' + str(target):>7}", file=sys.stderr)
    print(json.dumps({
        "benchmark": "import", "before": str(args.before) if args.before else None,
        "format": args.format, "files": args.files, "words": words,
        "rounds": args.rounds, "seed": args.seed, "date": f"{datetime.now(UTC):%Y-%m-%d}",
        "cores": os.cpu_count(), **summary,
        "ratio_import_to_baseline": ratios, "target_ratio": target, "target_peak_rss_mb": TARGET_RSS_MB,
        "meets_targets": ratios["import / baseline"] >= target and peak <= TARGET_RSS_MB,
    }, indent=2))


if __name__ == "__main__":
    main()
