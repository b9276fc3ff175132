""":class:`RefiProject` → a standard .qdpx archive or .qdc codebook (bytes, no database).

We write what the standard says, nothing vendor-specific: the ``urn:QDA-XML:project:1.0``
namespace, elements in the schema's order, ``sources/<guid>.txt`` files in UTF-8 without a
BOM and with LF line endings, selection offsets in code points with an exclusive end and the
selected text in ``name``. Colours are ``#rrggbb`` (the only form besides ``#rgb`` that
RGBType allows).
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from datetime import UTC, datetime
from xml.etree.ElementTree import Element, SubElement, tostring

from qualcode.guards import safe_colour
from qualcode.refi.model import CODEBOOK_NS, PROJECT_NS, CodeNode, RefiProject, fold_description

_SCHEMA_LOCATION = {
    PROJECT_NS: "http://schema.qdasoftware.org/versions/Project/v1.0/Project.xsd",
    CODEBOOK_NS: "http://schema.qdasoftware.org/versions/Codebook/v1.0/Codebook.xsd",
}
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
#: Namespace for GUIDs derived from stored ones (selections, coding memos), so they are stable.
DERIVED_GUIDS = uuid.UUID("0e3f7c52-5d4b-4b8e-9a3b-61c2d1f0a8e7")


#: The Description of the selection of a coding accepted from a learned suggestion (provenance
#: ``suggested``, ``qualcode.suggest``). REFI-QDA has no field for where a coding came from; a
#: selection's Description keeps the file valid against the schema, other programs show it as
#: the selection's comment, and our importer reads it back as the provenance (not as a memo).
SUGGESTED_DESCRIPTION = "qualcode provenance: suggested (accepted from a learned code suggestion)"


def derived_guid(kind: str, guid: str) -> str:
    """A GUID for something we store no GUID for, derived from a stored one (stable)."""
    return str(uuid.uuid5(DERIVED_GUIDS, f"{kind}:{guid.lower()}"))


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _root(tag: str, ns: str, **attrs: str) -> Element:
    root = Element(f"{{{ns}}}{tag}")
    root.set(f"{{{_XSI}}}schemaLocation", f"{ns} {_SCHEMA_LOCATION[ns]}")
    for k, v in attrs.items():
        if v is not None:
            root.set(k, v)
    return root


def _sub(parent: Element, ns: str, tag: str, **attrs) -> Element:
    el = SubElement(parent, f"{{{ns}}}{tag}")
    for k, v in attrs.items():
        if v is not None:
            el.set(k, str(v))
    return el


# Characters XML 1.0 cannot carry at all, even escaped (a stray control code in a transcript).
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(root: Element) -> bytes:
    for el in root.iter():
        if el.text and _ILLEGAL_XML.search(el.text):
            el.text = _ILLEGAL_XML.sub("\ufffd", el.text)
        for k, v in el.attrib.items():
            if _ILLEGAL_XML.search(v):
                el.set(k, _ILLEGAL_XML.sub("\ufffd", v))
    body = tostring(root, encoding="unicode", default_namespace=None)
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n").encode("utf-8")


def _code(parent: Element, ns: str, node: CodeNode, *, note_refs: dict[str, list[str]] | None) -> None:
    el = _sub(parent, ns, "Code", guid=node.guid, name=node.name,
              isCodable="true" if node.codable else "false",
              color=safe_colour(node.colour, None) and node.colour.lower())
    description = fold_description(node.definition, node.use_when, node.do_not_use_when, node.example)
    if description:
        _sub(el, ns, "Description").text = description
    for note in (note_refs or {}).get(node.guid, []):
        _sub(el, ns, "NoteRef", targetGUID=note)
    for child in node.children:
        _code(el, ns, child, note_refs=note_refs)


def _register(ns: str) -> None:
    # A default namespace keeps the file readable (<Project>, not <ns0:Project>).
    from xml.etree.ElementTree import register_namespace

    register_namespace("", ns)
    register_namespace("xsi", _XSI)


def write_qdc(project: RefiProject, *, origin: str = "qualcode") -> bytes:
    """The code tree as a .qdc codebook (valid against Codebook.xsd; no empty ``<Sets/>``)."""
    _register(CODEBOOK_NS)
    root = _root("CodeBook", CODEBOOK_NS, origin=origin)
    codes = _sub(root, CODEBOOK_NS, "Codes")
    for node in project.codes:
        _code(codes, CODEBOOK_NS, node, note_refs=None)
    if not project.codes:
        raise ValueError("the codebook is empty: a .qdc needs at least one code")
    return _xml(root)


def project_xml(project: RefiProject, *, origin: str = "qualcode") -> bytes:
    """project.qde for ``project`` (sources referenced as ``internal://<guid>.txt``)."""
    _register(PROJECT_NS)
    ns = PROJECT_NS
    root = _root("Project", ns, name=project.name or "qualcode project", origin=origin,
                 creatingUserGUID=project.creating_user, creationDateTime=_now())
    if project.users:
        users = _sub(root, ns, "Users")
        for u in project.users:
            _sub(users, ns, "User", guid=u.guid, name=u.name)
    # NoteRefs: a note is attached where its target is written.
    refs: dict[str, list[str]] = {}
    for note in project.notes:
        for target in note.targets:
            refs.setdefault(target, []).append(note.guid)
    if project.codes:
        codes = _sub(_sub(root, ns, "CodeBook"), ns, "Codes")
        for node in project.codes:
            _code(codes, ns, node, note_refs=refs)
    if project.variables:
        variables = _sub(root, ns, "Variables")
        for v in project.variables:
            _sub(variables, ns, "Variable", guid=v.guid, name=v.name, typeOfVariable=v.type)
    var_types = {v.guid: v.type for v in project.variables}
    if project.cases:
        cases = _sub(root, ns, "Cases")
        for case in project.cases:
            el = _sub(cases, ns, "Case", guid=case.guid, name=case.name)
            for var_guid, value in case.values.items():
                vv = _sub(el, ns, "VariableValue")
                _sub(vv, ns, "VariableRef", targetGUID=var_guid)
                _sub(vv, ns, f"{var_types.get(var_guid, 'Text')}Value").text = value
            for source in case.source_guids:
                _sub(el, ns, "SourceRef", targetGUID=source)
    if project.sources:
        sources = _sub(root, ns, "Sources")
        for src in project.sources:
            el = _sub(sources, ns, "TextSource", guid=src.guid, name=src.name,
                      plainTextPath=f"internal://{src.guid}.txt", creatingUser=src.creating_user)
            if src.description:
                _sub(el, ns, "Description").text = src.description
            for sel in src.selections:
                s = _sub(el, ns, "PlainTextSelection", guid=sel.guid, name=sel.quote,
                         startPosition=sel.start, endPosition=sel.end, creatingUser=sel.selection_user)
                if sel.description:
                    _sub(s, ns, "Description").text = sel.description
                for c in sel.codings:
                    coding = _sub(s, ns, "Coding", guid=c.guid, creatingUser=c.coding_user,
                                  creationDateTime=c.created)
                    _sub(coding, ns, "CodeRef", targetGUID=c.code_guid)
                    for note in refs.get(c.guid, []):
                        _sub(coding, ns, "NoteRef", targetGUID=note)
                for note in refs.get(sel.guid, []):
                    _sub(s, ns, "NoteRef", targetGUID=note)
            for note in refs.get(src.guid, []):
                _sub(el, ns, "NoteRef", targetGUID=note)
        for src in project.sources:
            if src.media is not None:
                _media(sources, ns, src)
    if project.notes:
        notes = _sub(root, ns, "Notes")
        for note in project.notes:
            el = _sub(notes, ns, "Note", guid=note.guid, name=note.name, creatingUser=note.creating_user)
            _sub(el, ns, "PlainTextContent").text = note.text
    if project.sets:
        sets = _sub(root, ns, "Sets")
        for st in project.sets:
            el = _sub(sets, ns, "Set", guid=st.guid, name=st.name)
            # Schema order: Description, MemberCode*, MemberSource*, MemberNote*.
            # (``description`` is set by our readers and exporter; Set does not declare it yet.)
            if st.description:
                _sub(el, ns, "Description").text = st.description
            for g in st.member_codes:
                _sub(el, ns, "MemberCode", targetGUID=g)
            for g in st.member_sources:
                _sub(el, ns, "MemberSource", targetGUID=g)
    if project.guid:  # notes about the project as a whole
        for note in refs.get(project.guid, []):
            _sub(root, ns, "NoteRef", targetGUID=note)
    return _xml(root)


def _media(sources: Element, ns: str, src) -> None:
    """A text source's recording: an Audio/VideoSource whose Transcript is the same text file,
    with a SyncPoint (position in code points, timeStamp in ms) per timed turn."""
    media = src.media
    el = _sub(sources, ns, "VideoSource" if media.video else "AudioSource", guid=media.guid,
              name=media.name, path=f"internal://{media.guid}{media.ext}",
              creatingUser=media.creating_user)
    if media.description:
        _sub(el, ns, "Description").text = media.description
    transcript = _sub(el, ns, "Transcript", guid=media.transcript_guid, name=src.name,
                      plainTextPath=f"internal://{src.guid}.txt")
    for position, ms in media.sync:
        _sub(transcript, ns, "SyncPoint", guid=derived_guid("sync", f"{media.guid}:{position}"),
             timeStamp=ms, position=position)


def write_qdpx(project: RefiProject, *, origin: str = "qualcode") -> bytes:
    """A .qdpx archive: project.qde plus ``sources/<guid>.txt`` (UTF-8, no BOM, LF) and each
    recording as ``sources/<guid>.<ext>`` (stored uncompressed: media is compressed already)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", project_xml(project, origin=origin))
        for src in project.sources:
            text = src.text.replace("\r\n", "\n").replace("\r", "\n").removeprefix("\ufeff")
            zf.writestr(f"sources/{src.guid}.txt", text.encode("utf-8"))
            if src.media is not None:
                arcname = f"sources/{src.media.guid}{src.media.ext}"
                if src.media.path:
                    zf.write(src.media.path, arcname, compress_type=zipfile.ZIP_STORED)
                elif src.media.data is not None:
                    zf.writestr(arcname, src.media.data, compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()
