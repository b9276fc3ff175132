"""Bytes of a .qdpx, .qde or .qdc file → :class:`RefiProject` (no database).

Reads what tools really write, not only what the standard says: ``Sources/`` as well as
``sources/``, an inner project file named other than ``project.qde``, ``plainTextPath``
without ``internal://``, BOMs and CRLF in source text, NVivo's UTF-16 offsets (the reading is
chosen per source, see :mod:`qualcode.refi.offsets`), missing names, ``Parent::Child`` code
names, pseudo-users, namespace variants. Problems that can be worked around become warnings;
only a file that cannot be read at all raises :class:`RefiError`.

Hostile input: XML is parsed by defusedxml with DTDs forbidden (so no entity expansion and no
external entities), and archives are checked before anything is extracted: entry count,
declared and actual uncompressed sizes, and entry names that would leave the archive.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from qualcode.importers import TranscriptError, canonicalize, decode_text
from qualcode.refi.model import (
    CODEBOOK_NS,
    PROJECT_NS,
    Case,
    CodeNode,
    Coding,
    Note,
    ReadReport,
    RefiError,
    RefiProject,
    Selection,
    Set,
    Source,
    User,
    Variable,
    attribute_coders,
    unfold_description,
)
from qualcode.refi.offsets import CanonicalMap, RawSelection, choose_reading
from qualcode.refi.transcripts import read_recording


@dataclass(frozen=True)
class Limits:
    """What an archive may hold before it is refused as hostile or broken."""

    max_entries: int = 10_000
    max_total_bytes: int = 1024 * 1024 * 1024  # uncompressed, all entries
    max_entry_bytes: int = 256 * 1024 * 1024  # uncompressed, one entry
    max_ratio: int = 1000  # uncompressed / compressed, for entries over 1 MB


DEFAULT_LIMITS = Limits()
_GUID = re.compile(r"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$")
_NS_RE = re.compile(r"^\{([^}]*)\}")
_NON_TEXT_SOURCES = ("PictureSource", "PDFSource", "AudioSource", "VideoSource")
_GUID_NAMESPACE = uuid.UUID("5b0c8a4e-3f5e-4d0c-9a51-7a0d6c1e2f11")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(el: Element, name: str) -> list[Element]:
    return [c for c in el if _local(c.tag) == name]


def _child(el: Element, name: str) -> Element | None:
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


def _text_of(el: Element | None) -> str:
    return (el.text or "") if el is not None else ""


def clean_guid(value: str | None, *, seed: str = "") -> str:
    """A GUID in the 8-4-4-4-12 form, braces dropped; anything else becomes a stable uuid5."""
    value = (value or "").strip()
    if _GUID.match(value):
        return value.strip("{}")
    return str(uuid.uuid5(_GUID_NAMESPACE, value or seed))


def parse_xml(data: bytes, filename: str) -> Element:
    """Parse XML with defusedxml: no DTD, no entities, no external resources."""
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise RefiError(
            filename,
            f"refused: the XML declares a DTD or entities ({type(exc).__name__}), which REFI-QDA "
            "files never need and which can be used for entity-expansion attacks",
            "Export the project again from the program that made it",
        ) from None
    except ParseError as exc:
        raise RefiError(filename, f"is not well-formed XML ({exc})",
                        "Export the project again; the file may be truncated") from None
    except LookupError as exc:  # expat: the XML declaration names an encoding that does not exist
        raise RefiError(filename, f"declares an unknown text encoding ({exc})",
                        "Export the project again as UTF-8") from None


# -- archives ------------------------------------------------------------------------------------


def _stored(info: zipfile.ZipInfo) -> bool:
    """An uncompressed entry no larger than its bytes in the archive (a recording, say)."""
    return info.compress_type == zipfile.ZIP_STORED and info.file_size <= info.compress_size


class _Archive:
    """A checked zip: entry names are safe, sizes are within limits, reads are bounded."""

    def __init__(self, data: bytes, filename: str, limits: Limits):
        self.filename, self.limits = filename, limits
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, ValueError) as exc:
            raise RefiError(filename, f"is not a readable zip archive ({exc})",
                            "A .qdpx file is a zip; export the project again") from None
        infos = self.zip.infolist()
        if len(infos) > limits.max_entries:
            raise RefiError(filename, f"refused: the archive has {len(infos)} entries, over the "
                            f"limit of {limits.max_entries}", "Check that this is a REFI-QDA project")
        total = 0
        for info in infos:
            name = info.filename
            if not name:  # zipfile itself fails on these (ZipInfo.is_dir indexes the name)
                raise RefiError(filename, "refused: the archive has an entry with no name",
                                "Export the project again; the archive is damaged")
            parts = re.split(r"[\\/]", name)
            if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
                raise RefiError(filename, f"refused: the archive entry {name!r} points outside the "
                                "archive (path traversal)", "Do not import archives from unknown sources")
            if not _stored(info):  # a stored entry cannot expand: its bytes are all in `data`
                self._check_size(info.filename, info.file_size, info.compress_size)
                total += info.file_size
        if total > limits.max_total_bytes:
            raise RefiError(filename, f"refused: the archive would unpack to {total:,} bytes, over the "
                            f"limit of {limits.max_total_bytes:,} (a zip bomb?)",
                            "Check that this is a REFI-QDA project")
        # Entries by lower-cased path, so "Sources/x.txt" is found as "sources/x.txt".
        self.by_lower = {i.filename.lower(): i for i in infos if not i.is_dir()}

    def _check_size(self, name: str, size: int, compressed: int) -> None:
        if size > self.limits.max_entry_bytes or (
            size > 1024 * 1024 and size > self.limits.max_ratio * max(compressed, 1)
        ):
            raise RefiError(self.filename, f"refused: the archive entry {name!r} unpacks to {size:,} "
                            f"bytes from {compressed:,} (a zip bomb?)",
                            "Check that this is a REFI-QDA project")

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """The entry's bytes, read in chunks and stopped if it grows past its declared size."""
        out = bytearray()
        limit = info.file_size if _stored(info) else min(info.file_size, self.limits.max_entry_bytes)
        try:
            with self.zip.open(info) as fh:
                while chunk := fh.read(1024 * 1024):
                    out += chunk
                    if len(out) > limit:
                        raise RefiError(self.filename, f"refused: the archive entry {info.filename!r} "
                                        "unpacks to more than it declares (a zip bomb?)",
                                        "Check that this is a REFI-QDA project")
        # ValueError: a damaged directory makes zipfile seek before the file's start;
        # zlib.error: a corrupt deflate stream.
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, ValueError, zlib.error) as exc:
            raise RefiError(self.filename, f"the archive entry {info.filename!r} cannot be read ({exc})",
                            "Export the project again") from None
        return bytes(out)

    def find(self, path: str) -> zipfile.ZipInfo | None:
        """An entry by path, case-insensitively, also looked for under ``sources/``."""
        path = path.replace("\\", "/").lstrip("/")
        for candidate in (path, f"sources/{path}", f"sources/{PurePosixPath(path).name}"):
            info = self.by_lower.get(candidate.lower())
            if info is not None:
                return info
        return None

    def project_entry(self) -> zipfile.ZipInfo:
        info = self.by_lower.get("project.qde")
        if info is not None:
            return info
        qdes = [i for n, i in self.by_lower.items() if n.endswith(".qde") and "/" not in n]
        if len(qdes) == 1:
            return qdes[0]
        raise RefiError(self.filename, "has no project.qde inside" if not qdes else
                        f"has {len(qdes)} .qde files and no project.qde",
                        "A .qdpx must hold one project.qde; export the project again")


# -- entry points ---------------------------------------------------------------------------------


def read_refi(data: bytes, filename: str, *, limits: Limits = DEFAULT_LIMITS,
              schemas: dict[str, object] | None = None) -> RefiProject:
    """Read a .qdpx archive, a bare .qde project or a .qdc codebook.

    The kind is decided by content (a zip, or XML whose root is ``Project`` or ``CodeBook``).
    ``schemas`` optionally maps ``"project"``/``"codebook"`` to ``xmlschema`` schemas: the file
    is then validated, and errors become warnings (an invalid file is still read).
    """
    if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
        archive = _Archive(data, filename, limits)
        entry = archive.project_entry()
        xml = archive.read(entry)
        report = ReadReport(kind="qdpx")
        if entry.filename != "project.qde":
            report.warnings.append(f"the project file is named {entry.filename!r}, not project.qde")
        root = parse_xml(xml, filename)
        return _read_project(root, filename, report, archive, schemas)
    if len(data) > limits.max_entry_bytes:
        raise RefiError(filename, f"is {len(data):,} bytes, over the limit", "Check the file")
    root = parse_xml(data, filename)
    kind = _local(root.tag)
    if kind == "Project":
        return _read_project(root, filename, ReadReport(kind="qde"), None, schemas)
    if kind == "CodeBook":
        return _read_codebook(root, filename, schemas)
    raise RefiError(filename, f"is XML with root <{kind}>, not a REFI-QDA Project or CodeBook",
                    "Give a .qdpx, .qde or .qdc file")


def _namespace(root: Element, expected: str, report: ReadReport) -> str:
    m = _NS_RE.match(root.tag)
    ns = m.group(1) if m else ""
    if ns != expected:
        report.warnings.append(f"namespace {ns or '(none)'!r} is not the standard {expected!r}; read anyway")
    return ns


def _validate(root: Element, schema, label: str, report: ReadReport) -> None:
    if schema is None:
        return
    errors = list(schema.iter_errors(root))
    report.schema_valid = not errors
    if errors:
        first = "; ".join(str(getattr(e, "reason", e) or e).splitlines()[0] for e in errors[:3])
        report.warnings.append(f"not valid against {label} ({len(errors)} errors: {first}); "
                               "read anyway")


def _read_codebook(root: Element, filename: str, schemas) -> RefiProject:
    report = ReadReport(kind="qdc", origin=root.get("origin"))
    ns = _namespace(root, CODEBOOK_NS, report)
    if ns == CODEBOOK_NS:
        _validate(root, (schemas or {}).get("codebook"), "Codebook.xsd", report)
    sets = _child(root, "Sets")
    if sets is not None and not _children(sets, "Set"):
        report.warnings.append("an empty <Sets/> (Taguette writes one) makes the file schema-invalid; ignored")
    project = RefiProject(name=filename, origin=root.get("origin"), report=report)
    seen: set[str] = set()
    codes = _child(root, "Codes")
    project.codes = _codes(codes, report, seen) if codes is not None else []
    project.codes = _split_hierarchy(project.codes, report)
    if sets is not None:
        for s in _children(sets, "Set"):
            project.sets.append(Set(clean_guid(s.get("guid")), s.get("name") or "",
                                    member_codes=[m.get("guid") or m.get("targetGUID") or ""
                                                  for m in _children(s, "MemberCode")]))
    return project


def _codes(parent: Element, report: ReadReport, seen: set[str]) -> list[CodeNode]:
    out = []
    for el in _children(parent, "Code"):
        guid = clean_guid(el.get("guid"), seed=f"code:{el.get('name')}:{len(seen)}")
        if guid.lower() in seen:
            report.warnings.append(f"code GUID {guid} is used twice; the second gets a new one")
            guid = str(uuid.uuid4())
        seen.add(guid.lower())
        name = (el.get("name") or "").strip()
        if not name:
            name = f"(unnamed code {guid[:8]})"
            report.warnings.append(f"a code has no name; called it {name!r}")
        fields = unfold_description(_text_of(_child(el, "Description")))
        node = CodeNode(
            guid=guid, name=name, colour=_colour(el.get("color"), name, report),
            codable=(el.get("isCodable") or "true").strip().lower() not in ("false", "0"),
            children=_codes(el, report, seen), **fields,
        )
        out.append(node)
    return out


def _colour(value: str | None, name: str, report: ReadReport) -> str | None:
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        return value.lower()
    if re.fullmatch(r"#[0-9a-fA-F]{3}", value):
        return "#" + "".join(c * 2 for c in value[1:]).lower()
    if re.fullmatch(r"#[0-9a-fA-F]{8}", value):  # with an alpha channel
        return value[:7].lower()
    m = re.fullmatch(r"rgba?\((\d+),\s*(\d+),\s*(\d+)(?:,[^)]*)?\)", value)
    if m:
        return "#" + "".join(f"{min(int(c), 255):02x}" for c in m.groups())
    report.warnings.append(f"code {name!r}: colour {value!r} not understood; left out")
    return None


def _split_hierarchy(codes: list[CodeNode], report: ReadReport) -> list[CodeNode]:
    """Turn flat ``Parent::Child`` names (ATLAS.ti) into a tree."""
    if not any("::" in c.name for c in codes):
        return codes
    roots: list[CodeNode] = []
    by_path: dict[tuple[str, ...], CodeNode] = {}
    for code in codes:
        if "::" not in code.name:
            by_path.setdefault((code.name,), code)
            roots.append(code)
    split = 0
    for code in codes:
        if "::" not in code.name:
            continue
        parts = [p.strip() for p in code.name.split("::") if p.strip()]
        siblings, path = roots, ()
        for part in parts[:-1]:
            path += (part,)
            parent = by_path.get(path)
            if parent is None:
                parent = by_path[path] = CodeNode(guid=clean_guid(None, seed="::".join(path)), name=part)
                siblings.append(parent)
            siblings = parent.children
        code.name = parts[-1]
        by_path[tuple(parts)] = code
        siblings.append(code)
        split += 1
    report.warnings.append(f"{split} code names written as 'Parent::Child' were read as a hierarchy")
    return roots


# -- projects -------------------------------------------------------------------------------------


def _read_project(root: Element, filename: str, report: ReadReport, archive: _Archive | None,
                  schemas) -> RefiProject:
    if _local(root.tag) != "Project":
        raise RefiError(filename, f"has root <{_local(root.tag)}>, not <Project>", "Give a REFI-QDA project")
    ns = _namespace(root, PROJECT_NS, report)
    if ns == PROJECT_NS:
        _validate(root, (schemas or {}).get("project"), "Project.xsd", report)
    origin = root.get("origin")
    report.origin = origin
    project = RefiProject(
        name=root.get("name") or filename, origin=origin, report=report,
        creating_user=clean_guid(root.get("creatingUserGUID")) if root.get("creatingUserGUID") else None,
    )
    users = _child(root, "Users")
    for el in _children(users, "User") if users is not None else []:
        guid = clean_guid(el.get("guid"))
        name = (el.get("name") or el.get("id") or "").strip() or f"user {guid[:8]}"
        pseudo = bool(origin) and origin.lower().startswith(name.lower())
        project.users.append(User(guid, name, pseudo))
        if pseudo:
            report.warnings.append(f"user {name!r} is the exporting program itself (a pseudo-user)")
    book = _child(root, "CodeBook")
    codes = _child(book, "Codes") if book is not None else None
    seen: set[str] = set()
    project.codes = _split_hierarchy(_codes(codes, report, seen) if codes is not None else [], report)
    code_guids = {c.guid.lower() for _p, c in project.all_codes()}

    variables = _child(root, "Variables")
    for el in _children(variables, "Variable") if variables is not None else []:
        project.variables.append(Variable(clean_guid(el.get("guid")), el.get("name") or "",
                                          el.get("typeOfVariable") or "Text"))
    cases = _child(root, "Cases")
    for el in _children(cases, "Case") if cases is not None else []:
        case = Case(clean_guid(el.get("guid")), el.get("name") or "")
        for vv in _children(el, "VariableValue"):
            ref = _child(vv, "VariableRef")
            value = next((c for c in vv if _local(c.tag) != "VariableRef"), None)
            if ref is not None and value is not None:
                case.values[clean_guid(ref.get("targetGUID"))] = (value.text or "").strip()
        case.source_guids = [clean_guid(r.get("targetGUID")) for r in _children(el, "SourceRef")]
        if _children(el, "SelectionRef") or _children(el, "CodeRef"):
            report.skipped.append(f"case {case.name!r}: selection and code references")
        project.cases.append(case)

    note_targets: dict[str, list[str]] = {}

    def collect_noterefs(el: Element, target: str) -> None:
        for ref in _children(el, "NoteRef"):
            note_targets.setdefault(clean_guid(ref.get("targetGUID")).lower(), []).append(target)

    collect_noterefs(root, project.guid or "project")
    for _path, code_el in _iter_code_elements(codes):
        collect_noterefs(code_el, clean_guid(code_el.get("guid")))

    sources = _child(root, "Sources")
    ctx = _Sources(filename, report, archive, code_guids, set(), collect_noterefs)
    recordings: list[Element] = []
    text_paths: dict[str, Source] = {}
    for el in list(sources) if sources is not None else []:
        kind = _local(el.tag)
        if kind in ("AudioSource", "VideoSource"):
            recordings.append(el)  # matched with their transcripts once every text is read
            continue
        if kind in _NON_TEXT_SOURCES:
            report.skipped.append(f"{kind} {el.get('name') or el.get('guid')!r} (only text sources are imported)")
            continue
        if kind != "TextSource":
            continue
        source = _text_source(el, ctx)
        if source is not None:
            project.sources.append(source)
            text_paths[(el.get("plainTextPath") or "").lower()] = source
    aliases: dict[str, str] = {}  # a recording's GUID (lower) → the text source of its transcript
    for el in recordings:  # cases (read already) are pointed at the transcript's source there
        aliases.update(read_recording(el, project, ctx, text_paths))

    notes = _child(root, "Notes")
    for el in _children(notes, "Note") if notes is not None else []:
        guid = clean_guid(el.get("guid"))
        text = _source_text(el, report, archive, f"note {el.get('name') or guid!r}")
        project.notes.append(Note(guid, el.get("name") or "", canonicalize(text or ""),
                                  creating_user=_guid_or_none(el.get("creatingUser")),
                                  targets=note_targets.get(guid.lower(), [])))
    sets = _child(root, "Sets")
    for el in _children(sets, "Set") if sets is not None else []:
        st = Set(clean_guid(el.get("guid")), el.get("name") or "",
                 member_sources=[aliases.get(g.lower(), g) for g in (
                     clean_guid(m.get("targetGUID")) for m in _children(el, "MemberSource"))],
                 member_codes=[clean_guid(m.get("targetGUID")) for m in _children(el, "MemberCode")])
        description = _child(el, "Description")
        st.description = canonicalize(description.text or "") if description is not None else ""
        project.sets.append(st)
    for part, label in (("Links", "Link"), ("Graphs", "Graph")):
        holder = _child(root, part)
        if holder is not None and len(holder):
            report.skipped.append(f"{len(holder)} {label.lower()}{'s' if len(holder) != 1 else ''} "
                                  "(not supported)")
    report.coder_attribution = attribute_coders(project)
    return project


def _iter_code_elements(codes: Element | None):
    if codes is None:
        return
    for el in _children(codes, "Code"):
        yield (), el
        yield from _iter_code_elements(el)


def _source_text(el: Element, report: ReadReport, archive: _Archive | None, label: str) -> str | None:
    """Decoded text of a TextSource or Note (BOM removed, line endings kept); None if missing."""
    inline = _child(el, "PlainTextContent")
    if inline is not None:
        return inline.text or ""
    path = el.get("plainTextPath")
    if not path:
        report.skipped.append(f"{label}: no text (neither PlainTextContent nor plainTextPath)")
        return None
    scheme, _, rest = path.partition("://")
    if not rest:
        scheme, rest = "internal", path
        report.warnings.append(f"{label}: plainTextPath {path!r} has no internal:// scheme; "
                               "looked it up in the archive")
    if scheme.lower() != "internal":
        report.skipped.append(f"{label}: text file {path!r} lies outside the archive")
        return None
    info = archive.find(rest) if archive is not None else None
    if info is None:
        report.skipped.append(f"{label}: text file {rest!r} is not in the archive")
        return None
    try:
        text, _encoding = decode_text(archive.read(info), info.filename)
    except TranscriptError as exc:
        report.skipped.append(f"{label}: {exc}")
        return None
    return text


def _text_source(el, ctx: _Sources) -> Source | None:
    report, guid = ctx.report, clean_guid(el.get("guid"))
    path = el.get("plainTextPath") or ""
    name = (el.get("name") or "").strip()
    if not name:
        name = PurePosixPath(path.partition("://")[2] or path).stem or guid
        report.warnings.append(f"a text source has no name; called it {name!r}")
    raw = _source_text(el, report, ctx.archive, f"text source {name!r}")
    ctx.collect_noterefs(el, guid)
    selection_els = _children(el, "PlainTextSelection")
    if raw is None:
        if selection_els:
            report.skipped.append(f"text source {name!r}: {len(selection_els)} selections (no text)")
        return None
    if not raw.strip():
        report.skipped.append(f"text source {name!r}: empty text")
        return None
    cmap = CanonicalMap(raw)
    source = Source(guid, name, cmap.text, description=_text_of(_child(el, "Description")),
                    creating_user=_guid_or_none(el.get("creatingUser")))
    if _children(el, "Coding"):
        report.skipped.append(f"text source {name!r}: {len(_children(el, 'Coding'))} whole-document codings")
    ctx.place(source, cmap, [(s, RawSelection(_int(s.get("startPosition")), _int(s.get("endPosition")),
                                              s.get("name"))) for s in selection_els])
    return source


@dataclass
class _Sources:
    """What reading a source's text and selections needs from the project around it (handed to
    :mod:`qualcode.refi.transcripts`, which may not import this module)."""

    filename: str
    report: ReadReport
    archive: _Archive | None
    code_guids: set[str]
    coding_guids: set[str]
    collect_noterefs: Callable[[Element, str], None]
    guid = staticmethod(clean_guid)

    def text(self, el: Element, label: str) -> tuple[str | None, str]:
        """The decoded text of ``el`` (see :func:`_source_text`), or None and why not."""
        text = _source_text(el, scratch := ReadReport(), self.archive, label)
        self.report.warnings += scratch.warnings
        return text, "; ".join(scratch.skipped)

    def place(self, source: Source, cmap: CanonicalMap, pairs: list[tuple[Element, RawSelection]],
              points: list[int] | tuple[int, ...] = ()) -> tuple[str, int]:
        """Add the selections (elements, positions as written) inside the text to ``source``, with their
        codings, in the reading that fits them and ``points`` best; returns its (unit, crlf)."""
        report, name = self.report, source.name
        raws = [rs for _el, rs in pairs]
        if not raws and not points:
            return "cp", 1
        label, unit, crlf, scores = choose_reading(cmap, raws, points=points)
        if source.offset_reading is None:
            source.offset_reading = report.offset_readings[name] = label
        if label != "code points":  # the standard's reading is reported in offset_readings only
            report.warnings.append(
                f"text source {name!r}: offsets read as {label} (fit: " + ", ".join(
                    f"{k} {v}/{len(raws) + len(points)}" for k, v in scores.items())
                + (" selections and sync points)" if points else " selections)"))
        dropped = clamped = 0
        for sel_el, rs in pairs:
            s, e = cmap.convert(rs.start, unit, crlf), cmap.convert(rs.end, unit, crlf)
            if s is not None and (e is None or e > len(cmap.text)) and rs.end > rs.start:
                e, clamped = len(cmap.text), clamped + 1
            if s is None or e is None or not (0 <= s < e <= len(cmap.text)):
                dropped += 1
                continue
            sel_guid = clean_guid(sel_el.get("guid"))
            self.collect_noterefs(sel_el, sel_guid)
            source.selections.append(Selection(
                sel_guid, s, e, cmap.text[s:e], name=sel_el.get("name"),
                selection_user=_guid_or_none(sel_el.get("creatingUser")),
                description=_text_of(_child(sel_el, "Description")).strip(),
                codings=self._codings(sel_el, sel_guid, name)))
        notes = {"Unicode normalisation moved some offsets by a character; check those codings": cmap.inexact,
                 f"{clamped} selections ran past the end; cut at the end": clamped,
                 f"{dropped} selections fall outside the text; left out": dropped}
        report.warnings += [f"text source {name!r}: {note}" for note, happened in notes.items() if happened]
        return unit, crlf

    def _codings(self, sel_el: Element, sel_guid: str, name: str) -> list[Coding]:
        out = []
        for c in _children(sel_el, "Coding"):
            ref = _child(c, "CodeRef")
            target = clean_guid(ref.get("targetGUID")) if ref is not None else ""
            if target.lower() not in self.code_guids:
                self.report.warnings.append(f"text source {name!r}: a coding refers to no code "
                                            f"({target or 'none'}); left out")
                continue
            cguid = clean_guid(c.get("guid"), seed=f"{sel_guid}:{target}")
            if cguid.lower() in self.coding_guids:
                cguid = str(uuid.uuid5(_GUID_NAMESPACE, f"{sel_guid}:{cguid}"))
            self.coding_guids.add(cguid.lower())
            self.collect_noterefs(c, cguid)
            out.append(Coding(cguid, target, _guid_or_none(c.get("creatingUser")), c.get("creationDateTime")))
        return out


def _guid_or_none(value: str | None) -> str | None:
    return clean_guid(value) if value else None


def _int(value: str | None) -> int:
    try:
        return int((value or "").strip())
    except ValueError:
        return -1
