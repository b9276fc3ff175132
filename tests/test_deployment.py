"""Running for a team: several app servers on one PostgreSQL database, behind the example nginx.

Journeys (real `streamlit run app.py` servers, headless Debian Chromium, one PostgreSQL schema):

- two replicas on different ports: a coding made in server A's workspace shows on server B, and
  one made on B shows on A; the database holds each exactly once;
- the same two replicas behind nginx running deploy/nginx/qualcode.conf (TLS, sticky cookie,
  websocket upgrade), with only the ports, paths and certificate swapped for test ones: a coder
  loads the workspace through the proxy and codes a passage; the proxy's log shows the websocket
  upgraded (101) and every request of that browser served by one replica, while new visitors
  are spread over both;
- the systemd unit starts the same command the browser tests run, and the env file example is
  well formed.

Missing Chromium, PostgreSQL or nginx skip these tests on a developer's machine and fail them
under CI=true. Screenshots go to test-artifacts/deployment/ (git-ignored).
"""

from __future__ import annotations

import grp
import http.client
import os
import pwd
import re
import shlex
import shutil
import ssl
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from browser_support import chromium_page, free_port, open_code_as_new_coder, settle, streamlit_server
from test_browser_workspace import _drag

from qualcode.coding import editing
from qualcode.codebook import parse_codebook
from qualcode.project.codes import apply_codebook
from qualcode.project.codings import add_coding, list_codings
from qualcode.store.db import Database
from qualcode.project.documents import import_files, show_document

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SHOTS = ROOT / "test-artifacts" / "deployment"
IN_CI = os.environ.get("CI", "").lower() == "true"
DOC = "p05_visiting_student_uganda"
#: coder → (passage of DOC, code) — all under Barriers, so the Retrieve page's first code lists them.
CODINGS = {
    "ana": ("does not cover me to touch patients",
            "Barriers/Regulatory and licensing/Observership-only limits"),
    "ben": ("the first date the system gave me was in mid-August",
            "Barriers/Immigration and visa/Visa delays and denials"),
    "cyd": ("The visa fee was a hundred and eighty-five dollars",
            "Barriers/Financial/Costs borne by trainees"),
}
#: What the unit runs after the interpreter's `streamlit`: the command browser_support runs too.
#: Where the test's nginx listens. Streamlit accepts a websocket from any page on 127.0.0.1 or
#: localhost, but from elsewhere only when the Origin matches the Host header it receives: on
#: another loopback address only a proxy that passes the right Host header works.
PROXY_HOST = "127.0.0.2"
REPLICA_ARGS = ["run", "app.py", "--server.port", "%i", "--server.address", "127.0.0.1",
                "--server.headless", "true", "--browser.gatherUsageStats", "false",
                "--server.fileWatcherType", "none"]


# -- the project ----------------------------------------------------------------------------------

@pytest.fixture
def project(postgres_schema_url):
    """(URL, Database) of the shared database: one transcript and the codebook, prepared with
    the library before any app server starts."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    db = Database(postgres_schema_url)
    try:
        path = ROOT / "transcripts_sample" / f"{DOC}.txt"
        result = import_files(db, [(path.name, path.read_bytes())])
        assert not result.errors, result.errors
        book = ROOT / "codebooks" / "img_barriers_enablers.yaml"
        with db.session() as s:
            apply_codebook(s, db.project_id(s), parse_codebook(book.read_bytes(), book.name))
        yield postgres_schema_url, db
    finally:
        db.close()


def _views(db: Database, coder: str) -> list:
    return [c for c in editing.codings_for_document(db, DOC, viewer=coder) if c.coder == coder]


def _stored(db: Database) -> list[tuple[str, str, str]]:
    return sorted((c.coder, c.quote, c.code) for c in list_codings(db))


# -- the browser ----------------------------------------------------------------------------------

@contextmanager
def _second_tab(page, **options):
    """A page in a fresh browser context of ``page``'s browser: its own cookies, like another user."""
    context = page.context.browser.new_context(viewport={"width": 1500, "height": 1000}, **options)
    try:
        tab = context.new_page()
        tab.set_default_timeout(60_000)
        yield tab
    finally:
        context.close()


def _open_workspace_as(page, base: str, coder: str) -> None:
    """Open the Code page on DOC as a new coder and wait for the transcript."""
    open_code_as_new_coder(page, base, DOC, coder)
    settle(page, stale=False)


def _code_passage(page, db: Database, coder: str):
    """Select the coder's passage with the mouse, apply their code; return the stored coding."""
    from playwright.sync_api import expect

    phrase, code = CODINGS[coder]
    start = show_document(db, DOC)["text"].index(phrase)
    _drag(page, phrase)
    expect(page.get_by_text(f"Selected ({start}–{start + len(phrase)})")).to_be_visible()
    apply_box = page.locator(".st-key-ws_apply [data-testid='stMultiSelect']")  # not "Codes shown"
    apply_box.click()
    page.keyboard.type(code.rsplit("/", 1)[1])
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    expect(apply_box.get_by_text(code[:30])).to_be_visible()
    settle(page, stale=False)
    page.get_by_role("button", name=re.compile(r"^Apply")).click()  # its name includes the shortcut
    expect(page.get_by_text(f"Coded {phrase!r}")).to_be_visible()
    [coding] = _views(db, coder)
    assert (coding.start, coding.end, coding.quote, coding.code_path) == (start, start + len(phrase),
                                                                          phrase, code)
    expect(page.locator(f".qcs-h[data-c~='{coding.id}']").first).to_be_visible()
    return coding


def _expect_drawn(page, coding) -> None:
    from playwright.sync_api import expect

    expect(page.locator(f".qcs-h[data-c~='{coding.id}']").first).to_be_visible()


# -- two replicas, one database -------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.postgres
def test_two_app_servers_on_one_postgresql_database_see_each_others_codings(project, tmp_path):
    from playwright.sync_api import expect

    url, db = project
    with streamlit_server("app.py", tmp_path / "a.log", QUALCODE_DB=url) as a, \
            streamlit_server("app.py", tmp_path / "b.log", QUALCODE_DB=url) as b, \
            chromium_page(width=1500, height=1000) as page_a, _second_tab(page_a) as page_b:
        assert a != b

        # ana codes a passage on server A
        _open_workspace_as(page_a, a, "ana")
        ana = _code_passage(page_a, db, "ana")
        page_a.screenshot(path=SHOTS / "1-coded-on-a.png")

        # ben opens server B: ana's coding is drawn there; he codes another passage
        _open_workspace_as(page_b, b, "ben")
        _expect_drawn(page_b, ana)
        ben = _code_passage(page_b, db, "ben")
        _expect_drawn(page_b, ana)
        page_b.screenshot(path=SHOTS / "2-seen-and-coded-on-b.png")

        # back on server A: ben's coding is drawn in the transcript after a reload...
        page_a.reload()
        page_a.locator("[data-testid='qcs-root'][data-ready]").wait_for()
        _expect_drawn(page_a, ben)
        _expect_drawn(page_a, ana)
        # ...and listed with ana's on the Retrieve page
        page_a.goto(f"{a}/?page=Retrieve&coder=ana")
        page_a.get_by_role("heading", name="Retrieve").wait_for()
        excerpts = page_a.locator(".qc-excerpt")
        for coder in ("ana", "ben"):
            excerpt = excerpts.filter(has_text=CODINGS[coder][0]).filter(has_text=f"· {coder} ·")
            expect(excerpt).to_be_visible()
        expect(page_a.get_by_text("2 excerpts")).to_be_visible()
        page_a.screenshot(path=SHOTS / "3-retrieve-on-a.png", full_page=True)

    # Each coding is stored once, whichever server wrote it
    assert _stored(db) == sorted((c, *CODINGS[c]) for c in ("ana", "ben"))


# -- behind nginx with the example configuration -------------------------------------------------

def _nginx() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None)
    if found:
        return found
    reason = "nginx is not installed (apt-get install nginx)"
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


def _replace(text: str, pattern: str, new: str | list[str], count: int) -> str:
    """Replace the ``count`` matches of ``pattern`` (each with the next of ``new``); the example
    must still contain exactly what the test swaps, or the test would prove nothing."""
    found = re.findall(pattern, text, flags=re.M)
    assert len(found) == count, f"deploy/nginx/qualcode.conf: expected {count} of {pattern!r}, found {found}"
    values = iter(new if isinstance(new, list) else [new] * count)
    return re.sub(pattern, lambda m: m.expand(next(values)), text, flags=re.M)


def render_site(ports: list[int], https_port: int, http_port: int, cert: Path, key: Path,
                logs: Path) -> str:
    """deploy/nginx/qualcode.conf with test ports, paths and certificate; nothing else changes."""
    text = (DEPLOY / "nginx" / "qualcode.conf").read_text(encoding="utf-8")
    text = _replace(text, r"^(\s*)server 127\.0\.0\.1:\d+ (.*);$",
                    [rf"\g<1>server 127.0.0.1:{p} \g<2>;" for p in ports], 2)
    text = _replace(text, r"^\s*listen \[::\]:\d+( ssl)?;\n", "", 2)  # no IPv6 needed here
    text = _replace(text, r"listen 443 ssl;", f"listen {PROXY_HOST}:{https_port} ssl;", 1)
    text = _replace(text, r"listen 80;", f"listen {PROXY_HOST}:{http_port};", 1)
    text = _replace(text, r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};", 1)
    text = _replace(text, r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};", 1)
    text = _replace(text, r"access_log /var/log/nginx/qualcode\.access\.log",
                    f"access_log {logs / 'access.log'}", 1)
    text = _replace(text, r"error_log\s+/var/log/nginx/qualcode\.error\.log",
                    f"error_log {logs / 'error.log'}", 1)
    return text


def _main_conf(prefix: Path, site: Path) -> str:
    """A whole nginx.conf that runs unprivileged under ``prefix`` and includes the site."""
    user = ""
    if os.geteuid() == 0:  # workers would otherwise run as nobody, who cannot reach tmp_path
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};"
    temp = "\n".join(f"    {kind}_temp_path {prefix / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""{user}
worker_processes 1;
pid {prefix / 'nginx.pid'};
error_log {prefix / 'main-error.log'};
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
{temp}
    include {site};
}}
"""


def _tls_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


@contextmanager
def nginx_proxy(replicas: list[str], tmp_path: Path):
    """nginx with the example site in front of ``replicas``; yields (https URL, http port, logs)."""
    binary = _nginx()
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    cert, key = prefix / "cert.pem", prefix / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", f"/CN={PROXY_HOST}", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    https_port, http_port = free_port(), free_port()
    site = prefix / "qualcode.conf"
    site.write_text(render_site([int(u.rsplit(":", 1)[1]) for u in replicas], https_port, http_port,
                                cert, key, prefix), encoding="utf-8")
    conf = prefix / "nginx.conf"
    conf.write_text(_main_conf(prefix, site), encoding="utf-8")
    base = [binary, "-p", str(prefix), "-e", str(prefix / "main-error.log"), "-c", str(conf)]
    check = subprocess.run(base + ["-t"], capture_output=True, text=True)
    assert check.returncode == 0, f"nginx -t refused the example site:\n{check.stderr}"
    proc = subprocess.Popen(base + ["-g", "daemon off;"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT)
    url = f"https://{PROXY_HOST}:{https_port}"
    try:
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5,
                                            context=_tls_context()) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                pass
            if time.time() > deadline or proc.poll() is not None:
                errors = (prefix / "main-error.log").read_text(errors="replace") \
                    if (prefix / "main-error.log").exists() else ""
                pytest.fail(f"nginx did not proxy {url}/_stcore/health:\n{errors}")
            time.sleep(0.3)
        yield url, http_port, prefix
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _get(url: str, cookie: str | None = None) -> tuple[int, dict, list[str]]:
    """Status, headers and Set-Cookie values of a GET without following redirects (TLS not
    verified)."""
    scheme, rest = url.split("://", 1)
    hostport, _, path = rest.partition("/")
    host, port = hostport.rsplit(":", 1)
    conn = (http.client.HTTPSConnection(host, int(port), context=_tls_context(), timeout=30)
            if scheme == "https" else http.client.HTTPConnection(host, int(port), timeout=30))
    try:
        conn.request("GET", "/" + path, headers={"Cookie": f"qualcode_route={cookie}"} if cookie else {})
        response = conn.getresponse()
        response.read()
        headers = response.getheaders()
        return (response.status, {k.lower(): v for k, v in headers},
                [v for k, v in headers if k.lower() == "set-cookie"])
    finally:
        conn.close()


_LOG_LINE = re.compile(r'"(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d{3}) \d+ '
                       r"upstream=(?P<upstream>\S+) route=(?P<route>\S+)")


def _log(prefix: Path) -> list[dict]:
    lines = (prefix / "access.log").read_text(encoding="utf-8").splitlines()
    parsed = [m.groupdict() for m in map(_LOG_LINE.search, lines) if m]
    assert len(parsed) == len(lines), "every access log line has upstream= and route="
    return parsed


@pytest.mark.browser
@pytest.mark.postgres
def test_the_example_nginx_config_proxies_websockets_with_sticky_sessions(project, tmp_path):
    db_url, db = project
    phrase, code = CODINGS["ana"]  # ana coded earlier, from a script
    add_coding(db, DOC, code, "ana", match=phrase)
    [ana] = _views(db, "ana")
    with streamlit_server("app.py", tmp_path / "a.log", QUALCODE_DB=db_url) as a, \
            streamlit_server("app.py", tmp_path / "b.log", QUALCODE_DB=db_url) as b, \
            nginx_proxy([a, b], tmp_path) as (url, http_port, logs), \
            chromium_page(width=1500, height=1000, ignore_https_errors=True) as page:
        replicas = {a.split("//")[1], b.split("//")[1]}

        # Plain HTTP is redirected to HTTPS
        status, headers, _ = _get(f"http://{PROXY_HOST}:{http_port}/?page=Code")
        assert status == 301 and headers["location"] == f"https://{PROXY_HOST}/?page=Code"

        # A coder works through the proxy: the page loads, the websocket connects, ana's coding
        # (from the database) is drawn, and cyd's new coding is stored
        _open_workspace_as(page, url, "cyd")
        _expect_drawn(page, ana)
        cyd = _code_passage(page, db, "cyd")
        page.reload()
        page.locator("[data-testid='qcs-root'][data-ready]").wait_for()
        _expect_drawn(page, cyd)
        page.locator(f".qcs-h[data-c~='{cyd.id}']").first.scroll_into_view_if_needed()
        page.screenshot(path=SHOTS / "4-coded-through-nginx.png")
        [route] = [c["value"] for c in page.context.cookies() if c["name"] == "qualcode_route"]
        page.context.close()  # nginx logs a websocket when it closes
        time.sleep(1)

        # That browser's every request, websocket included, went to one replica
        mine = [e for e in _log(logs) if e["route"] == route]
        assert len({e["upstream"] for e in mine}) == 1 and mine[0]["upstream"] in replicas, mine
        streams = [e for e in mine if e["path"].startswith("/_stcore/stream")]
        assert len(streams) >= 2 and {e["status"] for e in streams} == {"101"}, streams
        assert any(e["path"].startswith("/static/") for e in mine)  # the page's own scripts too
        [served_by] = {e["upstream"] for e in mine}

        # The cookie keeps a browser on its replica; new visitors get a cookie and are spread
        status, _, cookies = _get(f"{url}/_stcore/health", cookie=route)
        assert status == 200 and not [c for c in cookies if c.startswith("qualcode_route=")]
        for _ in range(9):
            _get(f"{url}/_stcore/health", cookie=route)
        sticky = [e for e in _log(logs) if e["route"] == route and e["path"] == "/_stcore/health"]
        assert len(sticky) >= 10 and {e["upstream"] for e in sticky} == {served_by}  # + the page's own
        fresh = []
        for _ in range(24):
            status, _, cookies = _get(f"{url}/_stcore/health")
            [cookie] = [c for c in cookies if c.startswith("qualcode_route=")]
            assert status == 200 and "; Secure" in cookie and "; HttpOnly" in cookie
            fresh.append(cookie.split(";")[0].split("=", 1)[1])
        spread = {e["upstream"] for e in _log(logs) if e["route"] in set(fresh)}
        assert spread == replicas, f"24 new visitors all went to {spread}"

    assert _stored(db) == sorted((c, *CODINGS[c]) for c in ("ana", "cyd"))


# -- the systemd unit and the env file ------------------------------------------------------------

def _unit() -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in (DEPLOY / "systemd" / "qualcode@.service").read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def test_the_systemd_unit_runs_the_tested_command_with_the_env_file(tmp_path):
    unit = _unit()
    [exec_start] = unit["ExecStart"]
    binary, *args = shlex.split(exec_start)
    assert binary.endswith("/streamlit") and args == REPLICA_ARGS
    assert unit["EnvironmentFile"] == ["/etc/qualcode/qualcode.env"]
    assert not any("QUALCODE_DB" in e for e in [exec_start, *unit.get("Environment", [])])  # no secrets

    env = {}
    for line in (DEPLOY / "qualcode.env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            assert re.fullmatch(r"[A-Z_]+=\S+", line), f"not NAME=value: {line!r}"
            name, value = line.split("=", 1)
            env[name] = value
    assert env["QUALCODE_DB"].startswith("postgresql+psycopg://")
    assert int(env["QUALCODE_SESSION_MINUTES"]) == 480

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        return  # the static checks above still ran
    # Verify the unit as systemd would load it, with ExecStart pointing at this machine's streamlit
    streamlit = shutil.which("streamlit")
    if streamlit is None:
        pytest.skip("streamlit is not on PATH")
    text = (DEPLOY / "systemd" / "qualcode@.service").read_text(encoding="utf-8")
    (tmp_path / "qualcode@.service").write_text(text.replace(binary, streamlit), encoding="utf-8")
    (tmp_path / "qualcode@8501.service").symlink_to("qualcode@.service")
    out = subprocess.run([analyze, "verify", str(tmp_path / "qualcode@8501.service")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
