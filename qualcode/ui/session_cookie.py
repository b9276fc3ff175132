"""The login session's cookie, so a reload, a new tab, a bookmark or a replica failover keeps
you signed in (until logout, idle expiry or the seven-day cap).

Streamlit has no API to set a cookie, and routes of our own would need a patched server. It
reads them, though: ``st.context.cookies`` holds the cookies the browser sent with the
websocket handshake, i.e. when the tab connected. The cookie is therefore *written* by a tiny
inline ``st.components.v2`` component: v2 components run in the page's own document (no
iframe), so ``document.cookie`` sets a cookie for the app's origin.

The cookie carries the same random token ``accounts.login`` returns; the database keeps only
its SHA-256, and ``_login_gate`` validates it on every rerun exactly as a token typed in this
tab. Attributes: ``Path=/; SameSite=Strict; Max-Age=<the session's remaining life>``, and
``Secure`` whenever the page is served over HTTPS (the browser's ``location.protocol``, or
nginx's ``X-Forwarded-Proto: https``). JavaScript cannot set ``HttpOnly``; what a script on the
page could read is a random id that ends at logout, and no user text reaches the page as script
(SECURITY.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import streamlit as st

#: The cookie's name (one qualcode per host name: the cookie's path is /).
COOKIE = "qualcode_session"
# What accounts.login makes (secrets.token_urlsafe(32): 43 URL-safe characters); anything else
# in the cookie is ignored without a database lookup.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,200}")
# Session-state key: the tokens of this tab that are over (logged out, refused, expired). The
# login page neither tries them again (nor says "your session has ended" after a logout) and
# expires the cookie only while it still holds one of them: another tab may have logged in since
# and written a new, valid token.
_ENDED = "_session_cookie_ended"

_JS = """
export default function ({ data }) {
  const d = data || {};
  if (!d.name || !/^[A-Za-z0-9_]+$/.test(d.name)) return;
  const token = typeof d.token === "string" && /^[A-Za-z0-9_-]+$/.test(d.token) ? d.token : "";
  if (!token) {  // expire the cookie, but only while it holds a token that is over
    const prefix = d.name + "=";
    const current = document.cookie.split("; ").find((c) => c.startsWith(prefix));
    if (!current || !(d.ended || []).includes(current.slice(prefix.length))) return;
  }
  const secure = d.secure || window.location.protocol === "https:" ? "; Secure" : "";
  const age = token ? Math.max(0, Math.floor(Number(d.max_age) || 0)) : 0;
  document.cookie = d.name + "=" + token + "; Path=/; Max-Age=" + age + "; SameSite=Strict" + secure;
}
"""
# The element draws nothing; hiding its container also drops the gap Streamlit puts around it.
_CSS = ".st-key-qualcode_session_cookie_keep, .st-key-qualcode_session_cookie_clear { display: none; }"
_COMPONENT = st.components.v2.component("qualcode_session_cookie", js=_JS, css=_CSS,
                                        isolate_styles=False)


def _handshake_token() -> str | None:
    value = st.context.cookies.get(COOKIE)
    return value if isinstance(value, str) and _TOKEN.fullmatch(value) else None


def token() -> str | None:
    """The session token this tab's cookie carried when it connected, unless it is over."""
    value = _handshake_token()
    return None if value is None or value in st.session_state.get(_ENDED, ()) else value


def end(*tokens: str | None) -> None:
    """Note that these tokens' sessions are over (logout, expiry), and with them the token of
    the cookie this tab connected with: it is this tab's session or an older one."""
    ended = list(st.session_state.get(_ENDED, ()))
    for value in (*tokens, _handshake_token()):
        if value and value not in ended:
            ended.append(value)
    st.session_state[_ENDED] = ended[-4:]


def served_over_https(headers: Mapping[str, str]) -> bool:
    """Whether the reverse proxy says the browser talks HTTPS (deploy/nginx sets the header)."""
    return (headers.get("X-Forwarded-Proto") or "").split(",")[0].strip().lower() == "https"


def cookie_data(token: str | None, max_age: int, headers: Mapping[str, str],
                ended: list[str] | None = None) -> dict:
    """What the browser is sent: the token and its lifetime, or no token and the tokens that
    are over (expire the cookie if it holds one of them)."""
    return {"name": COOKIE, "token": token or None, "max_age": max(0, int(max_age)) if token else 0,
            "secure": served_over_https(headers), "ended": list(ended or [])}


def keep(token: str, max_age: int) -> None:
    """Store ``token`` in the browser for ``max_age`` seconds. Streamlit runs the script again
    only when the data changes, so a rerun with the same lifetime writes nothing."""
    _mount("qualcode_session_cookie_keep", cookie_data(token, max_age, st.context.headers))


def clear() -> None:
    """Expire the session cookie in this browser (every tab of it) if it holds a token of this
    tab that is over (see :func:`end`); a newer one written by another tab stays."""
    ended = list(st.session_state.get(_ENDED, ()))
    if ended:
        _mount("qualcode_session_cookie_clear", cookie_data(None, 0, st.context.headers, ended))


def _mount(key: str, data: dict) -> None:
    _COMPONENT(key=key, data=data)
