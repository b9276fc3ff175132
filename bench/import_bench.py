"""Import benchmark: qualcode's import against a spaCy-only baseline, measured in the same run.

    python bench/import_bench.py                 # 1,000 transcripts × ~6,000 words
    python bench/import_bench.py --files 50      # a quick look

It generates a seeded synthetic corpus (bench/corpus.py), then runs two child processes so
that each one's peak memory is its own:

* baseline — spaCy's blank English pipeline with the sentencizer running ``nlp.pipe`` over the
  same utterances, no parsing and no database;
* import — ``qualcode.project.documents.import_files`` reading the files into a fresh SQLite database
  (decode, speaker detection, sentences, turns and sentences written), exactly as
  ``qualcode import`` runs it: parsing in worker processes, one per core, while the main
  process writes. Its peak RSS counts the main process plus every worker.

It prints JSON: words per second for each, their ratio (target: at least 0.5) and the import's
peak RSS (target: under 1 GB).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory in MB (Linux reports KiB); for RUSAGE_CHILDREN, the largest child."""
    return resource.getrusage(who).ru_maxrss / 1024


def run_baseline(corpus: Path) -> dict:
    import spacy

    utterances = json.loads((corpus / "spoken.json").read_text())
    words = sum(len(u.split()) for u in utterances)
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    t0 = time.perf_counter()
    n_sents = sum(len(list(doc.sents)) for doc in nlp.pipe(utterances, batch_size=256))
    seconds = time.perf_counter() - t0
    return {"seconds": round(seconds, 2), "words": words, "sentences": n_sents,
            "words_per_second": round(words / seconds), "peak_rss_mb": round(_peak_rss_mb())}


def run_import(corpus: Path, workers: int | None = None) -> dict:
    from qualcode.store.db import Database
    from qualcode.project.documents import PARALLEL_MIN_FILES, PARALLEL_WORKERS, expand_paths, import_files, read_files
    from qualcode.importers.base import DEFAULT_MAX_BYTES

    words = sum(len(u.split()) for u in json.loads((corpus / "spoken.json").read_text()))
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "bench.db")
        paths = expand_paths([corpus / "files"])
        if workers is None:
            workers = PARALLEL_WORKERS if len(paths) >= PARALLEL_MIN_FILES else 0
        t0 = time.perf_counter()
        result = import_files(db, read_files(paths, max_bytes=DEFAULT_MAX_BYTES), total=len(paths),
                              workers=workers)
        seconds = time.perf_counter() - t0
        db.close()
    main_rss, worker_rss = _peak_rss_mb(), _peak_rss_mb(resource.RUSAGE_CHILDREN)
    return {"seconds": round(seconds, 2), "words": words, "documents": len(result.imported),
            "errors": len(result.errors), "sentences": sum(d.sentences for d in result.imported),
            "words_per_second": round(words / seconds), "parse_workers": workers,
            "peak_rss_mb": round(main_rss + workers * worker_rss),
            "peak_rss_main_mb": round(main_rss), "peak_rss_per_worker_mb": round(worker_rss)}


def main() -> None:
    ap = argparse.ArgumentParser(description="qualcode import benchmark")
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--words", type=int, default=6000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workers", type=int, default=None,
                    help="parsing processes for the import (default: as qualcode import, one per core)")
    ap.add_argument("--phase", choices=["baseline", "import"], help=argparse.SUPPRESS)
    ap.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        out = run_baseline(args.corpus) if args.phase == "baseline" else run_import(args.corpus, args.workers)
        print(json.dumps(out))
        return

    from bench.corpus import generate

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp)
        (corpus / "files").mkdir()
        spoken: list[str] = []
        t0 = time.perf_counter()
        for g in generate(args.files, args.words, args.seed):
            (corpus / "files" / g.filename).write_bytes(g.data)
            spoken.extend(g.spoken)
        (corpus / "spoken.json").write_text(json.dumps(spoken))
        generated = time.perf_counter() - t0
        phases = {}
        for phase in ("baseline", "import"):
            extra = ["--workers", str(args.workers)] if args.workers is not None else []
            out = subprocess.run(
                [sys.executable, __file__, "--phase", phase, "--corpus", str(corpus), *extra],
                check=True, capture_output=True, text=True,
            )
            phases[phase] = json.loads(out.stdout.strip().splitlines()[-1])
    ratio = phases["import"]["words_per_second"] / phases["baseline"]["words_per_second"]
    print(json.dumps({
        "benchmark": "import",
        "files": args.files,
        "words_per_file": args.words,
        "seed": args.seed,
        "corpus_seconds": round(generated, 1),
        "baseline": phases["baseline"],
        "import": phases["import"],
        "ratio_to_baseline": round(ratio, 3),
        "target_ratio": 0.5,
        "peak_rss_target_mb": 1024,
        "meets_targets": ratio >= 0.5 and phases["import"]["peak_rss_mb"] < 1024,
    }, indent=2))


if __name__ == "__main__":
    main()
