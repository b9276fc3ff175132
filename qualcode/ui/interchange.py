"""Streamlit pages for interchange: export REFI-QDA files, import other programs' projects."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from qualcode.guards import md_text
from qualcode.refi.model import RefiError
from qualcode.refi.store import export_project, import_project_file
from qualcode.refi.write import write_qdc, write_qdpx

_UPLOAD_TYPES = ["qdpx", "qde", "qdc", "sqlite3", "sqlite", "csv", "qda"]


def _show_report(report: dict) -> None:
    cols = st.columns(4)
    cols[0].metric("Documents", report["documents"])
    cols[1].metric("Codes", report["codes"])
    cols[2].metric("Codings", report["codings"])
    cols[3].metric("Memos", report.get("memos", 0))
    st.markdown("**Coders:** " + (", ".join(md_text(c) for c in report["coders"]) or "(none)"))
    attribution = report.get("coder_attribution") or {}
    if attribution.get("reason"):
        st.caption(f"Coders taken from the {attribution['chosen']}: {md_text(attribution['reason'])}")
    existing = report.get("existing") or {}
    if existing:
        st.caption("Already in the project (left alone): "
                   + ", ".join(f"{n} {k}" for k, n in sorted(existing.items())))
    readings = report.get("offset_readings") or {}
    if readings:
        st.caption("Offsets read as: " + "; ".join(f"{md_text(k)}: {md_text(v)}" for k, v in readings.items()))
    for title, items in (("Notes", report["warnings"]), ("Skipped", report.get("skipped") or [])):
        if items:
            with st.expander(f"{title} ({len(items)})", expanded=title == "Notes"):
                for item in items:
                    st.text(item)


def _import(db, path: Path, coder_from: str | None) -> None:
    with st.status(f"Importing {path.name}…", expanded=False) as status:
        try:
            report = import_project_file(db, path, coder_from=coder_from,
                                         actor=st.session_state.get("coder") or None)
        except RefiError as exc:
            status.update(label="Import refused", state="error")
            st.error(md_text(exc))
            return
        status.update(label=f"Imported {path.name}", state="complete")
    st.session_state["interchange_report"] = report


def page_interchange(db) -> None:
    st.header("Interchange")
    st.subheader("Export")
    st.caption("REFI-QDA files open in NVivo, ATLAS.ti, MAXQDA and QualCoder. Offsets are Unicode "
               "code points; each export keeps the same identifiers for the same items.")
    left, right = st.columns(2)
    if left.button("Prepare project (.qdpx)", key="build_qdpx"):
        with st.spinner("Writing the project…"):
            st.session_state["qdpx_bytes"] = write_qdpx(export_project(
                db, viewer=st.session_state.get("coder") or None))
    if "qdpx_bytes" in st.session_state:
        left.download_button("Download project.qdpx", st.session_state["qdpx_bytes"],
                             file_name="project.qdpx", mime="application/zip", key="download_qdpx")
    if right.button("Prepare codebook (.qdc)", key="build_qdc"):
        project = export_project(db, viewer=st.session_state.get("coder") or None)
        if project.codes:
            st.session_state["qdc_bytes"] = write_qdc(project)
        else:
            right.info("The codebook is empty.")
    if "qdc_bytes" in st.session_state:
        right.download_button("Download codebook.qdc", st.session_state["qdc_bytes"],
                              file_name="codebook.qdc", mime="application/xml", key="download_qdc")

    from qualcode.ui.roles import current_role

    if current_role() != "owner":
        return  # importing changes the project: owners only (the library checks again)
    st.subheader("Import")
    st.caption("A REFI-QDA project (.qdpx, .qde) or codebook (.qdc), a Taguette project export "
               "(.sqlite3) or codebook (.csv), or a QualCoder project (its data.qda, or the .qda "
               "folder's path below). Everything is imported in one step; importing the same file "
               "again changes nothing.")
    choice = st.radio(
        "Coder of each coding", ["what the file shows", "coding", "selection"], horizontal=True,
        key="coder_from",
        help="REFI files can name one person on the coding and another on the selected passage; "
             "by default the file's evidence decides (NVivo for Windows names the exporting user on "
             "every coding and the real coders on the selections).")
    coder_from = None if choice == "what the file shows" else choice
    upload = st.file_uploader("File", type=_UPLOAD_TYPES, key="interchange_upload")
    # On a shared server (accounts) a path would read the server's own files: uploads only.
    path_text = "" if st.session_state.get("account") else \
        st.text_input("…or a file or folder on this computer", key="interchange_path")
    if st.button("Import", key="interchange_import", type="primary"):
        if upload is not None:
            with tempfile.TemporaryDirectory() as tmp:
                target = Path(tmp) / Path(upload.name).name
                target.write_bytes(upload.getvalue())
                _import(db, target, coder_from)
        elif path_text.strip():
            path = Path(path_text.strip()).expanduser()
            if not path.exists():
                st.error(f"{md_text(path)} does not exist.")
            else:
                _import(db, path, coder_from)
        else:
            st.warning("Choose a file first.")
    report = st.session_state.get("interchange_report")
    if report:
        _show_report(report)


#: Sidebar label → page function(db), merged into qualcode.ui.PAGES.
PAGES: dict = {"Interchange": page_interchange}
