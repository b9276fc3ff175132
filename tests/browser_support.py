"""What every real-browser test needs: a `streamlit run` server on a free port and a headless
Debian Chromium driven by Playwright. Missing tools skip a test on a developer's machine and
fail it under CI=true (CI must prove the browser journeys)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling out, which this closed
# network refuses many times a second.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def require_browser() -> None:
    """Skip (fail under CI=true) unless Playwright and Debian's chromium are installed."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "playwright is not installed (pip install -r requirements-dev.txt)"
    else:
        if Path(CHROMIUM).exists():
            return
        reason = "Debian's chromium is not installed (apt-get install chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(script: str | Path, log_path: Path, **env: str | None) -> Iterator[str]:
    """Run ``streamlit run script`` with extra environment variables (None removes one);
    yield its URL."""
    require_browser()
    port = free_port()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            env={k: v for k, v in {**os.environ, **env}.items() if v is not None},
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                pass
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("streamlit did not start:\n" + log_path.read_text(errors="replace"))
            time.sleep(0.3)
        try:
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=20)


@contextmanager
def chromium_page(url: str | None = None, *, width: int = 1400, height: int = 1000, **options):
    """A Playwright page in headless Chromium (60 s default timeout), opened at ``url``.

    Dialogs are dismissed and their messages kept in ``page.dialogs`` (a transcript's markup
    must never open one).
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height}, **options)
            page.set_default_timeout(60_000)
            page.dialogs = []
            page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
            if url:
                page.goto(url)
            yield page
        finally:
            browser.close()


def settle(page, stale: bool = True) -> None:
    """Wait until Streamlit has finished the rerun a click started: the app says its script is
    not running (``data-test-script-state``, what Streamlit's own browser tests wait for), no
    running-status widget, and (unless ``stale`` is False) no faded element left over from the
    previous run. A click during a rerun can be lost, and a locator can match the old run's copy
    of a text."""
    page.wait_for_timeout(300)
    script = ("['notRunning', 'stopped'].includes(document.querySelector('[data-testid=\"stApp\"]')"
              "?.dataset.testScriptState) && !document.querySelector('[data-testid=\"stStatusWidget\"]')")
    if stale:
        script += " && !document.querySelector('[data-stale=\"true\"]')"
    page.wait_for_function(script, timeout=60_000)


def menu(page):
    """The links of the app's page menu (sections of page links in the sidebar), in order."""
    return page.locator(".st-key-menu a")


def menu_link(page, name: str):
    """The menu's link to page ``name`` (exactly that name: "Code" is also a section)."""
    return menu(page).filter(has_text=re.compile(rf"^{re.escape(name)}$"))


#: What the accessibility audits check: WCAG 2.1 A and AA rules; these impacts fail a test.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_BLOCKING = {"critical", "serious"}


def axe_violations(page) -> list[str]:
    """Critical and serious axe-core violations on the page, one readable line per element.

    axe-core is npm's, as bundled in the axe-playwright-python wheel (requirements-dev.txt).
    It checks contrast only inside the viewport: use a tall one to audit a whole page."""
    try:
        import axe_playwright_python
    except ImportError:
        reason = "axe-playwright-python is not installed (pip install -r requirements-dev.txt)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    page.evaluate((Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8"))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
                           " resultTypes: ['violations']})", AXE_TAGS)
    return [f"{v['id']} ({v['impact']}): {node['html'][:140]} — {(node.get('failureSummary') or '')[:200]}"
            for v in result["violations"] if v["impact"] in AXE_BLOCKING for node in v["nodes"]]


def open_code_as_new_coder(page, url: str, document: str, name: str = "dana") -> None:
    """Open the Code page on ``document`` and become a new coder ``name`` through the sidebar,
    as a researcher does the first time; returns when the transcript component is ready."""
    page.goto(f"{url}/?page=Code&doc={document}")
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stSelectbox").click()
    page.get_by_role("option", name="New coder…").click()
    sidebar.get_by_label("Your coder name").fill(name)
    sidebar.get_by_label("Your coder name").press("Enter")
    page.locator("[data-testid='qcs-root'][data-ready]").wait_for()
