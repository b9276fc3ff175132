"""Page benchmark (issue 13, "Pages"): every page of the app in a real browser, big project
against the sample project, in the same run.

    python bench/pages_bench.py                          # build (or reuse) the big project, 3 rounds
    python bench/pages_bench.py --rounds 1 --pages Home,Documents   # a quick look
    python bench/pages_bench.py --project /tmp/big.db    # reuse a project file built before
    python bench/pages_bench.py --profile Frequencies    # cProfile one page's script run (AppTest)

The big project is built through public commands only: ``--files`` (1,000) labelled .txt
transcripts of ``--words`` (3,000) words (``bench/import_bench.py``'s generator: Interviewer /
participant turns, a Zipf vocabulary), ``qualcode init``, ``qualcode codebook import`` (the
shipped codebook), ``qualcode import FOLDER``, then ``--codings`` (100,000) sentence-aligned
codings by three coders drawn from a shared pool of passages (so coders partly agree), written
as CSV sheets and recorded with ``qualcode import-codings`` (10,000 rows a sheet). The file is
cached (``--keep DIR``, default the system temp folder) and reused by the next run unless
``--rebuild``; the build times are printed. The sample project is a fresh ``qualcode init
--sample`` in every run.

Two ``streamlit run app.py`` servers run side by side (``QUALCODE_DB`` = each file). For every
page a single-user owner sees (``qualcode.ui.PAGES`` minus Members, which single-user mode
hides), loads alternate big / sample, each in a fresh browser context (a new Streamlit session)
opened at ``?page=NAME``; one warm-up load per server is not counted. Measured:

* first render — from navigation start (``performance.now()`` in the page) to the moment the
  page was finished: the app's ``data-test-script-state`` is ``notRunning``, no status widget,
  no stale element, a heading in the main area (on Code: the transcript component built); the
  page must then stay so for 1.5 s (otherwise the clock goes on);
* rerun — one click that changes no data: another option of the first selectbox in the main
  area (else another option of its first radio; else the sidebar's "Coding as" coder; the
  widget chosen on a page's first load is clicked on all its loads), timed in the page from the
  click (capture phase) until the rerun it started has finished;
* the server's peak RSS: its kernel high-water mark (VmHWM) and its process tree's resident
  memory, sampled every 50 ms.

Each load has a timeout (``--timeout``, 120 s) and is reported as "timeout" rather than hanging.
``--profile PAGE`` instead runs cProfile around one script run of PAGE on the big project in
this process (AppTest; after one unprofiled run, so process-wide caches are warm, as for a new
browser session on a running server); ``--profile-select "LABEL=OPTION"`` profiles the rerun
after choosing OPTION (text or index) in the selectbox labelled LABEL. Top functions by
cumulative and by own time are printed.

It prints a table of medians over ``--rounds`` (big first render, sample, ratio, reruns, meets
the targets: big ≤ 2 s, ratio ≤ 1.5, rerun ≤ 0.5 s; server peak RSS ≤ 1 GB) and JSON.
"""

from __future__ import annotations

import argparse
import csv
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

from bench.import_bench import _tree_memory_kb, generate  # noqa: E402

TARGET_FIRST_S, TARGET_RATIO, TARGET_RERUN_S, TARGET_RSS_MB = 2.0, 1.5, 0.5, 1024
SKIPPED = {"Members": "hidden in single-user mode (accounts start on the command line)"}
CODERS = ("ana", "ben", "cai")
CODEBOOK = ROOT / "codebooks" / "img_barriers_enablers.yaml"

# -- building the projects -------------------------------------------------------------------------


def _run(argv: list[str], db: Path, attempts: int = 3) -> str:
    """Run this checkout's qualcode command on ``db`` (not whatever ``qualcode`` is on PATH: an
    editable install elsewhere may be at another schema); a failure is retried (sheets are all
    or nothing; a checkout being edited under the bench can fail one call)."""
    for attempt in range(attempts):
        proc = subprocess.run([sys.executable, "-m", "qualcode.cli", "--db", str(db), *argv], cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
        if proc.returncode == 0:
            return proc.stdout
        print(f"  qualcode {argv[0]} failed (attempt {attempt + 1}): {proc.stderr.strip()[-300:]}",
              file=sys.stderr, flush=True)
        time.sleep(5)
    raise SystemExit(f"qualcode {' '.join(argv)} failed:\n{proc.stderr[-3000:]}")


def _coding_sheets(db_path: Path, n: int, seed: int) -> list[list[dict]]:
    """``n`` sentence-aligned codings by three coders from a shared pool of passages, as rows of
    coding sheets (document, code, coder, quote, nth); read through the library."""
    from sqlalchemy import select

    from qualcode.project.codes import tree
    from qualcode.store.db import Database
    from qualcode.store.models import Document, Sentence

    db = Database(db_path)
    with db.session() as s:
        pid = db.project_id(s)
        codes = tree(s, pid)
        parents = {c.parent_id for _, c in codes}
        leaves = ["/".join(p) for p, c in codes if c.id not in parents]
        docs = {i: (name, text) for i, name, text in
                s.execute(select(Document.id, Document.name, Document.text).where(Document.project_id == pid))}
        sents: dict[int, list[tuple[int, int]]] = {}
        for d, a, b in s.execute(select(Sentence.document_id, Sentence.start, Sentence.end)
                                 .join(Document).where(Document.project_id == pid)
                                 .order_by(Sentence.document_id, Sentence.ordinal)):
            sents.setdefault(d, []).append((a, b))
    db.close()
    rng = random.Random(seed)
    doc_ids = sorted(sents)
    seen, rows = set(), []
    while len(rows) < n:  # a passage of 1-3 sentences and a code; 1-3 of the coders apply it
        d = rng.choice(doc_ids)
        i = rng.randrange(len(sents[d]))
        j = min(len(sents[d]) - 1, i + rng.choice((0, 0, 0, 1, 2)))
        start, end = sents[d][i][0], sents[d][j][1]
        code = rng.choice(leaves)
        for coder in rng.sample(CODERS, rng.choice((1, 1, 2, 2, 3))):
            key = (d, code, coder, start, end)
            if key in seen or len(rows) >= n:
                continue
            seen.add(key)
            name, text = docs[d]
            quote, nth, pos = text[start:end], 0, -1
            while pos != start:  # which occurrence, counted as `find_match` counts them
                pos = text.find(quote, pos + 1)
                nth += 1
            rows.append({"document": name, "code": code, "coder": coder, "quote": quote, "nth": nth})
    return [rows[k:k + 10_000] for k in range(0, len(rows), 10_000)]


def build_big(path: Path, files: int, words: int, codings: int, seed: int) -> dict:
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "transcripts"
        folder.mkdir()
        total = generate(folder, files, words, seed, "txt")
        times["generate_transcripts_s"] = time.perf_counter() - t0
        t = time.perf_counter()
        _run(["init"], path)
        _run(["codebook", "import", str(CODEBOOK)], path)
        _run(["import", str(folder)], path)
        times["qualcode_import_s"] = time.perf_counter() - t
        print(f"  imported {files} transcripts ({total:,} words) in {times['qualcode_import_s']:.0f} s",
              file=sys.stderr, flush=True)
        t = time.perf_counter()
        sheets = _coding_sheets(path, codings, seed)
        times["draw_codings_s"] = time.perf_counter() - t
        t = time.perf_counter()
        for k, rows in enumerate(sheets):
            sheet = Path(tmp) / f"codings_{k:02d}.csv"
            with open(sheet, "w", newline="", encoding="utf-8") as f:
                w = csv.DictWriter(f, fieldnames=["document", "code", "coder", "quote", "nth"])
                w.writeheader()
                w.writerows(rows)
            _run(["import-codings", str(sheet)], path)
            print(f"  codings sheet {k + 1}/{len(sheets)} recorded "
                  f"({time.perf_counter() - t:.0f} s)", file=sys.stderr, flush=True)
        times["qualcode_import_codings_s"] = time.perf_counter() - t
    times["total_s"] = time.perf_counter() - t0
    return {"words": total, **{k: round(v, 1) for k, v in times.items()}}


def build_sample(path: Path) -> float:
    t = time.perf_counter()
    _run(["init", "--sample"], path)
    return time.perf_counter() - t


def project_counts(path: Path) -> dict:
    import sqlite3

    con = sqlite3.connect(path)
    try:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                for t in ("document", "sentence", "coding", "coder", "code")}
    finally:
        con.close()


# -- the server and its memory ---------------------------------------------------------------------


def server_pid(url: str) -> int:
    """The `streamlit run` process listening on ``url``'s port (found by its command line)."""
    port = url.rsplit(":", 1)[1]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"streamlit" in b" ".join(argv) and b"--server.port" in argv \
                    and argv[argv.index(b"--server.port") + 1] == port.encode():
                return int(entry)
    raise SystemExit(f"no streamlit process on port {port}")


class MemoryWatch:
    """Samples a process tree's resident memory every 50 ms; keeps the peaks (KiB)."""

    def __init__(self, pid: int):
        self.pid, self.tree_kb, self.hwm_kb = pid, 0, 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.is_set():
            tree, hwm = _tree_memory_kb(self.pid)
            self.tree_kb, self.hwm_kb = max(self.tree_kb, tree), max(self.hwm_kb, hwm)
            self._done.wait(0.05)

    def stop(self) -> dict:
        self._done.set()
        self._thread.join()
        return {"server_vmhwm_mb": round(self.hwm_kb / 1024), "tree_peak_rss_mb": round(self.tree_kb / 1024)}


# -- timing a page in the browser ------------------------------------------------------------------

# Installed before the page's own scripts: keeps window.__qcDoneAt = the performance.now() since
# which the page has been finished (null while it is not), and times reruns from a click.
_WATCH = """
(() => {
  const finished = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.dataset.testScriptState !== 'notRunning') return false;
    if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
    if (document.querySelector('[data-stale="true"]')) return false;
    const main = document.querySelector('[data-testid="stMain"]');
    if (!main || !main.querySelector('[data-testid="stHeading"], h1, h2, h3')) return false;
    const qcs = document.querySelector('[data-testid=qcs-root]');
    if (qcs && !qcs.dataset.ready) return false;
    return true;
  };
  window.__qcDoneAt = null; window.__qcRan = false; window.__qcClick = null;
  const check = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (app && app.dataset.testScriptState === 'running') window.__qcRan = true;
    if (finished()) { if (window.__qcDoneAt === null) window.__qcDoneAt = performance.now(); }
    else window.__qcDoneAt = null;
  };
  new MutationObserver(check).observe(document, {attributes: true, childList: true, subtree: true});
  setInterval(check, 50);
  window.addEventListener('click', () => {
    if (window.__qcArmed) { window.__qcArmed = false; window.__qcClick = performance.now();
                            window.__qcRan = false; window.__qcDoneAt = null; }
  }, {capture: true});
})();
"""
_STABLE = "() => window.__qcDoneAt !== null && performance.now() - window.__qcDoneAt > 1500"
_RERUN_DONE = "() => window.__qcRan && window.__qcDoneAt !== null && performance.now() - window.__qcDoneAt > 700"


def _candidates(page) -> list[tuple[str, object, str]]:
    """Widgets whose other option reruns the script without changing data: the main area's
    selectboxes, then its first radio, then the sidebar's "Coding as"."""
    main, out = page.get_by_test_id("stMain"), []
    boxes = main.get_by_test_id("stSelectbox")
    for i in range(min(boxes.count(), 4)):
        box = boxes.nth(i)
        if box.is_visible() and not box.locator("input[disabled], [aria-disabled=true]").count():
            out.append(("selectbox", box, box.get_by_test_id("stWidgetLabel").inner_text().strip()[:30]))
    radios = main.get_by_test_id("stRadio")
    if radios.count() and radios.first.is_visible() and radios.first.locator("label").count() > 2:
        out.append(("radio", radios.first, radios.first.get_by_test_id("stWidgetLabel").inner_text().strip()[:30]))
    out.append(("selectbox", page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox")
                .filter(has_text="Coding as").first, "sidebar: Coding as"))
    return out


def _rerun_click(page, timeout_ms: int, prefer: str | None = None) -> tuple[float | None, str]:
    """Click something that reruns the script but changes no data; seconds from the click to
    the finished rerun (None: nothing to click, or no rerun) and what was clicked. ``prefer``:
    the label clicked on this page before (so every load of a page times the same click)."""
    candidates = _candidates(page)
    for _ in range(4):  # the page's own widget can be missing for a moment: look again
        if prefer is None or any(c[2] == prefer for c in candidates):
            break
        page.wait_for_timeout(500)
        candidates = _candidates(page)
    candidates.sort(key=lambda c: c[2] != prefer)
    for kind, widget, label in candidates:
        if kind == "selectbox":
            widget.click()
            options = page.get_by_role("option")
            options.first.wait_for(timeout=5_000)
            try:  # the list can open with its chosen option alone drawn at first
                page.wait_for_function("document.querySelectorAll('[role=option]').length > 1", timeout=2_000)
            except Exception:  # noqa: BLE001 - a selectbox with one option
                pass
            chosen = [j for j in range(options.count()) if options.nth(j).get_attribute("aria-selected") != "true"]
            if not chosen:
                page.keyboard.press("Escape")
                page.wait_for_timeout(200)
                continue
            page.evaluate("() => { window.__qcArmed = true; }")
            options.nth(chosen[0]).click()
        else:
            labels = widget.locator("label")
            idx = next((j for j in range(labels.count())
                        if not labels.nth(j).locator("input:checked").count()), 1)
            page.evaluate("() => { window.__qcArmed = true; }")
            labels.nth(idx).click()
        break
    else:
        return None, "nothing to click"
    page.last_label = label
    try:
        page.wait_for_function("() => window.__qcRan", timeout=5_000, polling=20)
    except Exception:  # noqa: BLE001 - Playwright's TimeoutError
        return None, f"{kind} '{label}' (no rerun)"
    try:
        page.wait_for_function(_RERUN_DONE, timeout=timeout_ms, polling=50)
    except Exception:  # noqa: BLE001
        return float("inf"), f"{kind} '{label}'"
    return page.evaluate("() => (window.__qcDoneAt - window.__qcClick) / 1000"), f"{kind} '{label}'"


def load_page(browser, url: str, name: str, timeout_s: float, rerun: bool = True,
              prefer: dict | None = None) -> dict:
    """One fresh-context load of page ``name`` and, if ``rerun``, one rerun click; ``prefer``
    (page → label) keeps the clicked widget the same across loads."""
    from urllib.parse import quote

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.set_default_timeout(timeout_s * 1000)
        page.add_init_script(_WATCH)
        try:
            page.goto(f"{url}/?page={quote(name)}", timeout=timeout_s * 1000)
            page.wait_for_function(_STABLE, timeout=timeout_s * 1000, polling=100)
        except Exception:  # noqa: BLE001
            return {"first_s": float("inf"), "rerun_s": None, "clicked": ""}
        first = page.evaluate("() => window.__qcDoneAt / 1000")
        out = {"first_s": first, "rerun_s": None, "clicked": ""}
        if rerun:
            try:
                out["rerun_s"], out["clicked"] = _rerun_click(page, int(timeout_s * 1000),
                                                              (prefer or {}).get(name))
                if prefer is not None and getattr(page, "last_label", None):
                    prefer.setdefault(name, page.last_label)
            except Exception as exc:  # noqa: BLE001
                out["clicked"] = f"failed: {str(exc).splitlines()[0][:60]}"
        return out
    finally:
        context.close()


# -- profiling one page in-process -----------------------------------------------------------------


def profile_page(db_path: Path, name: str, top: int = 15, select: str | None = None) -> str:
    """cProfile one script run of page ``name`` under AppTest, after one unprofiled warm run.

    AppTest runs the script in its own thread, so the profiler is switched on inside it: around
    ``qualcode.ui.main`` (which app.py imports and calls on every run)."""
    import cProfile
    import pstats

    from streamlit.testing.v1 import AppTest

    import qualcode.ui as ui

    os.environ["QUALCODE_DB"] = str(db_path)
    real_main, prof, timing = ui.main, cProfile.Profile(), {}

    def profiled_main() -> None:
        t = time.perf_counter()
        if timing.get("on"):
            prof.enable()
        try:
            real_main()
        finally:
            prof.disable()
            timing.setdefault("runs", []).append(time.perf_counter() - t)

    ui.main = profiled_main
    try:
        for on in (False, not select):
            timing["on"] = on
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
            at.query_params["page"] = name
            at.run()
        if select:  # profile the rerun after choosing OPTION in the selectbox labelled LABEL
            label, option = select.split("=", 1)
            box = next(b for b in at.selectbox if b.label == label)
            timing["on"] = True
            box.select(option if option in box.options else box.options[int(option)]).run()
    finally:
        ui.main = real_main
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out).sort_stats("cumulative")
    stats.print_stats(top * 2)
    out.write("\n-- by own time --\n")
    stats.sort_stats("tottime").print_stats(top)
    errors = [str(e.value)[:200] for e in at.exception] if at.exception else []
    runs = ", ".join(f"{x:.2f}" for x in timing.get("runs", []))
    return (f"page {name} on {db_path}: script runs (warm-up, profiled) {runs} s"
            f"{'; exceptions: ' + str(errors) if errors else ''}\n{out.getvalue()}")


# -- the run ---------------------------------------------------------------------------------------


def _median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _fmt(v: float | None) -> str:
    return "–" if v is None else ("timeout" if v == float("inf") else f"{v:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--words", type=int, default=3000)
    ap.add_argument("--codings", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per page load or rerun")
    ap.add_argument("--pages", help="comma-separated page names (default: every page)")
    ap.add_argument("--keep", type=Path, help="folder for the cached big project (default: temp)")
    ap.add_argument("--project", type=Path, help="use this big project file (built before)")
    ap.add_argument("--rebuild", action="store_true", help="build the big project even if cached")
    ap.add_argument("--profile", metavar="PAGE", help="only cProfile PAGE's script run on the big project")
    ap.add_argument("--profile-select", metavar="LABEL=OPTION",
                    help="with --profile: profile the rerun after choosing OPTION (text or index) in a selectbox")
    args = ap.parse_args()

    keep = args.keep or Path(tempfile.gettempdir()) / "qualcode_pages_bench"
    keep.mkdir(parents=True, exist_ok=True)
    big = args.project or keep / f"big_{args.files}x{args.words}_{args.codings}_s{args.seed}.db"
    out: dict = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "python": platform.python_version(),
                 "cpus": os.cpu_count(), "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}
    if args.rebuild and big.exists() and not args.project:
        big.unlink()
    if big.exists():
        print(f"reusing the big project {big}", file=sys.stderr)
        out["build"] = {"reused": str(big)}
    else:
        print(f"building the big project {big} …", file=sys.stderr, flush=True)
        partial = big.with_suffix(".building")
        partial.unlink(missing_ok=True)
        out["build"] = build_big(partial, args.files, args.words, args.codings, args.seed)
        partial.rename(big)
        print(f"built in {out['build']['total_s']} s: {out['build']}", file=sys.stderr)
    out["big_project"] = {"file": str(big), **project_counts(big)}

    if args.profile:
        print(profile_page(big, args.profile, select=args.profile_select))
        return

    from playwright.sync_api import sync_playwright

    from qualcode.ui import PAGES
    from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, streamlit_server

    names = [n for n in (args.pages.split(",") if args.pages else PAGES) if n not in SKIPPED]
    out["skipped"] = SKIPPED
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        sample = tmp / "sample.db"
        out["sample_build_s"] = round(build_sample(sample), 1)
        out["sample_project"] = project_counts(sample)
        runs: dict[str, dict[str, list[dict]]] = {n: {"big": [], "sample": []} for n in names}
        mem: dict[str, dict] = {}
        with streamlit_server("app.py", tmp / "big.log", QUALCODE_DB=str(big)) as big_url, \
                streamlit_server("app.py", tmp / "sample.log", QUALCODE_DB=str(sample)) as sample_url, \
                sync_playwright() as p:
            urls = {"big": big_url, "sample": sample_url}
            clicks: dict[str, str] = {}
            watches = {k: MemoryWatch(server_pid(u)) for k, u in urls.items()}
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for label, url in urls.items():  # warm-up: imports, engine, first queries
                w = load_page(browser, url, "Home", args.timeout * 2, rerun=False)
                print(f"warm-up {label}: {_fmt(w['first_s'])} s", file=sys.stderr, flush=True)
            for r in range(args.rounds):
                for name in names:
                    order = ("big", "sample") if (r + names.index(name)) % 2 == 0 else ("sample", "big")
                    for label in order:
                        res = load_page(browser, urls[label], name, args.timeout, prefer=clicks)
                        runs[name][label].append(res)
                        print(f"round {r + 1} {name:15} {label:6} first {_fmt(res['first_s']):>7} s  "
                              f"rerun {_fmt(res['rerun_s']):>7} s  [{res['clicked']}]  "
                              f"rss {round(watches[label].hwm_kb / 1024)} MB", file=sys.stderr, flush=True)
            browser.close()
            mem = {k: w.stop() for k, w in watches.items()}
    out["server_memory"] = mem
    out["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]

    rows, table = [], []
    for name in names:
        b = _median([x["first_s"] for x in runs[name]["big"]])
        s = _median([x["first_s"] for x in runs[name]["sample"]])
        rb = _median([x["rerun_s"] for x in runs[name]["big"]])
        rs = _median([x["rerun_s"] for x in runs[name]["sample"]])
        ratio = b / s if b is not None and s and b != float("inf") and s != float("inf") else None
        meets = (b is not None and b <= TARGET_FIRST_S and ratio is not None and ratio <= TARGET_RATIO
                 and (rb is None or rb <= TARGET_RERUN_S))
        clicked = runs[name]["big"][-1]["clicked"] if runs[name]["big"] else ""
        rows.append({"page": name, "big_first_s": b, "sample_first_s": s, "ratio": ratio,
                     "big_rerun_s": rb, "sample_rerun_s": rs, "meets": meets, "rerun_click": clicked,
                     "big_first_all": [x["first_s"] for x in runs[name]["big"]],
                     "big_rerun_all": [x["rerun_s"] for x in runs[name]["big"]],
                     "clicks": sorted({x["clicked"] for x in runs[name]["big"] + runs[name]["sample"]}),
                     "sample_first_all": [x["first_s"] for x in runs[name]["sample"]]})
        table.append(f"| {name} | {_fmt(b)} | {_fmt(s)} | {_fmt(ratio)} | {_fmt(rb)} | {_fmt(rs)} | "
                     f"{'yes' if meets else 'no'} | {clicked} |")
    for row in rows:  # JSON has no infinity
        for k, v in row.items():
            if v == float("inf"):
                row[k] = "timeout"
            elif isinstance(v, list):
                row[k] = ["timeout" if x == float("inf") else round(x, 3) if isinstance(x, float) else x
                          for x in v]
            elif isinstance(v, float):
                row[k] = round(v, 3)
    out["pages"] = rows
    out["targets"] = {"first_render_s_max": TARGET_FIRST_S, "ratio_max": TARGET_RATIO,
                      "rerun_s_max": TARGET_RERUN_S, "server_peak_rss_mb_max": TARGET_RSS_MB,
                      "pages_meeting": sum(r["meets"] for r in rows), "pages": len(rows),
                      "rss_met": mem.get("big", {}).get("server_vmhwm_mb", 0) <= TARGET_RSS_MB}
    print(f"\nPages, medians of {args.rounds} round(s); {out['date']}, load average "
          f"{out['load_average_at_start']} → {out['load_average_at_end']}, {os.cpu_count()} CPUs")
    print("| page | big first render s | sample s | ratio | big rerun s | sample rerun s | meets | rerun click |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(table))
    print(f"\nserver peak RSS (VmHWM / sampled tree): big {mem['big']['server_vmhwm_mb']} / "
          f"{mem['big']['tree_peak_rss_mb']} MB, sample {mem['sample']['server_vmhwm_mb']} / "
          f"{mem['sample']['tree_peak_rss_mb']} MB (target ≤ {TARGET_RSS_MB} MB)")
    print(f"skipped: {SKIPPED}\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
