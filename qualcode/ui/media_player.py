"""The document's recording on the Code page: the player, and attaching one (owners).

The player is Streamlit's own ``st.audio``/``st.video``; the transcript component finds it in the
page, seeks it when a turn's time is clicked and marks the turn being played
(``span_component``, ``player=True``), so following the recording costs no server round trip.
Attaching and removing go through ``qualcode.project.media``, which checks the file's type,
size and the user's role again.
"""

from __future__ import annotations

import os

import streamlit as st

from qualcode.project.media import EXTENSIONS, attach, detach, media_for
from qualcode.store.db import Database
from qualcode.store.media_files import MediaDirError
from qualcode.team.access import AccessDenied
from qualcode.ui.roles import current_role

MESSAGE = "ws_media_message"
#: Recordings up to this size are kept in memory between reruns: Streamlit's player reads a file
#: path in full on every run (about 0.2 s for 100 MB), and the Code page reruns on every click.
CACHE_BYTES = 256 * 1024 * 1024


@st.cache_resource(max_entries=3, show_spinner=False)
def _recording(path: str, size: int, mtime: float) -> bytes:
    """The file's bytes, kept while it is unchanged (size and mtime are part of the key)."""
    with open(path, "rb") as fh:
        return fh.read()


def _source(path: str) -> str | bytes:
    stat = os.stat(path)
    return _recording(path, stat.st_size, stat.st_mtime) if stat.st_size <= CACHE_BYTES else path


def _say(message: str, error: bool = False) -> None:
    st.session_state[MESSAGE] = (message, error)


def _attach(db: Database, document: str, actor: str, key: str) -> None:
    upload = st.session_state.get(key)
    if upload is None:
        _say("Choose the recording file first.", error=True)
        return
    try:
        out = attach(db, document, upload, name=upload.name, actor=actor)
    except (ValueError, LookupError, AccessDenied, MediaDirError) as exc:
        _say(str(exc), error=True)
        return
    words = {"attached": "Attached", "replaced": "Replaced the recording with",
             "unchanged": "Already attached:"}[out["status"]]
    _say(" ".join([f"{words} {out['file']}."] + out["warnings"]))


def _detach(db: Database, document: str, actor: str) -> None:
    try:
        out = detach(db, document, actor=actor)
    except (ValueError, LookupError, AccessDenied) as exc:
        _say(str(exc), error=True)
        return
    _say(f"Removed the recording {out['file']} (the transcript and its codings stay).")


def show_player(db: Database, document: str, actor: str, *, has_times: bool) -> bool:
    """Draw the document's player (and, for owners, the attach control); True when a player is
    on the page, so the transcript should link to it."""
    try:
        media = media_for(db, document, viewer=actor)
    except MediaDirError as exc:
        if current_role() == "owner":
            st.caption(f"Recordings are off: {exc}")
        return False
    message = st.session_state.pop(MESSAGE, None)
    slot = st.empty()  # always drawn, so the elements below keep their place (an open expander stays open)
    if message:
        (slot.error if message[1] else slot.success)(message[0])
    shown = False
    if media is not None:
        if not media["exists"]:
            st.warning(f"The recording {media['file']} is missing from the media folder "
                       f"({media['path']}); restore it from a backup or attach it again.")
        else:
            if media["video"]:
                st.video(_source(media["path"]), format=media["mime_type"], width=560)
            else:
                st.audio(_source(media["path"]), format=media["mime_type"])
            st.caption("Click a turn's ▶ time to play from there; the turn being played is marked."
                       if has_times else
                       "This transcript has no turn times, so the recording cannot be followed "
                       "from the text.")
            shown = True
    if current_role() == "owner" and not st.session_state.get("archived"):
        label = "Recording" if media is not None else "Attach the interview's recording"
        with st.expander(label, expanded=False, key=f"ws_media_box_{document}"):
            if media is not None:
                st.caption(f"{media['file']} · {media['mime_type']} · {media['size'] / 1048576:,.1f} MB"
                           f" · added by {media['added_by'] or 'unknown'}")
            key = f"ws_media_upload_{document}"
            st.file_uploader("Audio or video (mp3, m4a, wav, mp4, webm)",
                             type=[e.lstrip(".") for e in EXTENSIONS], key=key)
            c1, c2 = st.columns(2)
            c1.button("Attach" if media is None else "Replace", key=f"ws_media_attach_{document}",
                      on_click=_attach, args=(db, document, actor, key))
            if media is not None:
                sure = c2.checkbox("Remove it (the transcript and codings stay)",
                                   key=f"ws_media_sure_{document}")
                c2.button("Remove recording", key=f"ws_media_detach_{document}", disabled=not sure,
                          on_click=_detach, args=(db, document, actor))
    return shown
