"""Moving in from Taguette: its project export (``.sqlite3``) and its codebook CSV.

Taguette stores each document as sanitised HTML and each highlight as ``start_offset`` /
``end_offset`` counted in **UTF-8 bytes of the HTML's text nodes** (tags not counted), plus a
``snippet`` (the highlighted HTML). We turn the HTML into canonical text (one blank line
between block elements), convert every offset through a byte → code-point map, and check the
resulting quote against the snippet's text; a quote that does not match is looked for nearby
(as QualCoder does) and otherwise left out with a warning.

The export names no coder per highlight: the ``commands`` log (``highlight_add``) does, so the
coder is the login found there, else the project's member, else ``"taguette"``.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import uuid
from html.parser import HTMLParser
from pathlib import Path

from qualcode.importers import TranscriptError, decode_text
from qualcode.refi.model import (
    CodeNode,
    Coding,
    Note,
    ReadReport,
    RefiError,
    RefiProject,
    Selection,
    Source,
    User,
)
from qualcode.refi.offsets import CanonicalMap

_NS = uuid.UUID("9f1d7a33-2b8c-4d0e-8e55-3c1a7b6d2e90")
_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "table", "tr",
           "blockquote", "pre", "section", "article", "header", "footer", "body", "html"}
_TABLES = {"projects", "documents", "highlights", "tags", "highlight_tags"}


class _Text(HTMLParser):
    """Collects text nodes with their UTF-8 byte positions (Taguette's unit)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.pieces: list[tuple[int, int, str]] = []  # (byte pos, our char pos, text)
        self.parts: list[str] = []
        self.bytes = 0
        self.chars = 0
        self.pending_break = ""

    def _sep(self, sep: str) -> None:
        if self.chars and len(sep) > len(self.pending_break):
            self.pending_break = sep

    def handle_starttag(self, tag, attrs):
        if tag in _BLOCKS:
            self._sep("\n\n")
        elif tag == "br":
            self._sep("\n")

    def handle_endtag(self, tag):
        if tag in _BLOCKS:
            self._sep("\n\n")

    def handle_data(self, data):
        size = len(data.encode("utf-8"))
        if self.pending_break and not data.strip():
            self.bytes += size  # whitespace between blocks: counted by Taguette, not shown
            return
        if self.pending_break:
            self.parts.append(self.pending_break)
            self.chars += len(self.pending_break)
            self.pending_break = ""
        self.pieces.append((self.bytes, self.chars, data))
        self.parts.append(data)
        self.bytes += size
        self.chars += len(data)

    def text(self) -> str:
        return "".join(self.parts)

    def char_at(self, byte: int) -> int | None:
        """Our character position for a Taguette byte offset (None inside a character)."""
        lo, hi = 0, len(self.pieces) - 1
        if not self.pieces:
            return 0 if byte == 0 else None
        while lo < hi:  # the last piece starting at or before ``byte``
            mid = (lo + hi + 1) // 2
            if self.pieces[mid][0] <= byte:
                lo = mid
            else:
                hi = mid - 1
        start_byte, start_char, data = self.pieces[lo]
        if byte < start_byte:
            return start_char
        encoded = data.encode("utf-8")
        inside = byte - start_byte
        if inside >= len(encoded):
            return start_char + len(data)  # in whitespace between blocks: the end of this piece
        try:
            return start_char + len(encoded[:inside].decode("utf-8"))
        except UnicodeDecodeError:
            return None


def html_text(html: str) -> _Text:
    """Parse Taguette HTML into text and its byte map."""
    parser = _Text()
    parser.feed(html or "")
    parser.close()
    return parser


def is_taguette(path: Path) -> bool:
    """Whether the SQLite file at ``path`` has Taguette's tables."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            names = {r[0] for r in con.execute("select name from sqlite_master where type='table'")}
        finally:
            con.close()
    except sqlite3.Error:
        return False
    return _TABLES <= names


def _guid(*parts) -> str:
    return str(uuid.uuid5(_NS, ":".join(str(p) for p in parts)))


def read_taguette(path: str | Path) -> RefiProject:
    """Read a Taguette project export (SQLite) into a :class:`RefiProject`."""
    path = Path(path)
    if not is_taguette(path):
        raise RefiError(path.name, "is not a Taguette project export (tables projects, documents, "
                        "highlights, tags are missing)", "Export the project from Taguette as SQLite")
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    try:
        return _read(con, path.name)
    except sqlite3.Error as exc:
        raise RefiError(path.name, f"could not be read as a Taguette database ({exc})",
                        "Export the project from Taguette again") from None
    finally:
        con.close()


def _columns(con, table: str) -> set[str]:
    return {r[1] for r in con.execute(f"pragma table_info({table})")}


def _read(con: sqlite3.Connection, filename: str) -> RefiProject:
    report = ReadReport(kind="taguette", origin="Taguette")
    projects = con.execute("select * from projects order by id").fetchall()
    if not projects:
        raise RefiError(filename, "holds no Taguette project", "Export the project from Taguette again")
    if len(projects) > 1:
        report.warnings.append(f"{len(projects)} projects in the file; only the first is imported")
    proj = projects[0]
    salt = f"{proj['id']}:{proj['created']}"
    project = RefiProject(name=proj["name"], origin="Taguette", report=report)
    if (proj["description"] or "").strip():
        project.notes.append(Note(_guid(salt, "project-description"), "Project description",
                                  proj["description"]))
    # Who did what: the command log names a login for every highlight it created.
    owners: dict[int, str] = {}
    if "commands" in {r[0] for r in con.execute("select name from sqlite_master where type='table'")}:
        for row in con.execute("select user_login, payload from commands where project_id = ?", (proj["id"],)):
            try:
                payload = json.loads(row["payload"])
            except (TypeError, ValueError):
                continue
            if payload.get("type") == "highlight_add" and isinstance(payload.get("highlight_id"), int):
                owners[payload["highlight_id"]] = row["user_login"]
    members = []
    if "project_members" in {r[0] for r in con.execute("select name from sqlite_master where type='table'")}:
        members = [r[0] for r in con.execute("select user_login from project_members where project_id = ?",
                                             (proj["id"],))]
    fallback = members[0] if len(members) == 1 else "taguette"

    tag_cols = _columns(con, "tags")
    tags = con.execute("select * from tags where project_id = ? order by id", (proj["id"],)).fetchall()
    nodes: dict[int, CodeNode] = {}
    for t in tags:
        nodes[t["id"]] = CodeNode(_guid("tag", t["path"]), t["path"], definition=t["description"] or "")
    for t in tags:
        parent = t["parent_id"] if "parent_id" in tag_cols else None
        (nodes[parent].children if parent in nodes else project.codes).append(nodes[t["id"]])

    users: dict[str, User] = {}
    shifted = dropped = 0
    doc_cols = _columns(con, "documents")
    for d in con.execute("select * from documents where project_id = ? order by id", (proj["id"],)).fetchall():
        parsed = html_text(d["contents"])
        cmap = CanonicalMap(parsed.text())
        name = d["name"] or d["filename"] or f"document {d['id']}"
        source = Source(_guid(salt, "document", d["id"]), name, cmap.text,
                        description=d["description"] if "description" in doc_cols else "")
        if not cmap.text.strip():
            report.skipped.append(f"document {name!r}: no text")
            continue
        rows = con.execute("select * from highlights where document_id = ? order by start_offset, id",
                           (d["id"],)).fetchall()
        for h in rows:
            s0, e0 = parsed.char_at(h["start_offset"]), parsed.char_at(h["end_offset"])
            snippet = " ".join(html_text(h["snippet"]).text().split())
            s = cmap.convert(s0, "cp", 2) if s0 is not None else None
            e = cmap.convert(e0, "cp", 2) if e0 is not None else None
            ok = s is not None and e is not None and s < e and " ".join(cmap.text[s:e].split()) == snippet
            if not ok and snippet:
                found = _nearest(cmap.text, snippet, s or 0)
                if found is None:
                    dropped += 1
                    report.warnings.append(f"document {name!r}: highlight {h['id']} ({snippet[:40]!r}) "
                                           "is not in the text; left out")
                    continue
                s, e = found
                shifted += 1
            elif not ok:
                dropped += 1
                continue
            # The highlight text without the whitespace html padding around it.
            while s < e and cmap.text[s].isspace():
                s += 1
            while e > s and cmap.text[e - 1].isspace():
                e -= 1
            login = owners.get(h["id"], fallback)
            user = users.setdefault(login, User(_guid("user", login), login))
            tag_ids = [r[0] for r in con.execute("select tag_id from highlight_tags where highlight_id = ?",
                                                 (h["id"],))]
            codings = [Coding(_guid(salt, "highlight", h["id"], tag), nodes[tag].guid, user.guid)
                       for tag in tag_ids if tag in nodes]
            if codings:
                source.selections.append(Selection(_guid(salt, "selection", h["id"]), s, e,
                                                   cmap.text[s:e], selection_user=user.guid,
                                                   codings=codings))
        project.sources.append(source)
    project.users = list(users.values())
    if shifted:
        report.warnings.append(f"{shifted} highlights did not match their snippet at their offsets and "
                               "were re-anchored on the snippet's text")
    if not owners and project.users:
        report.warnings.append(f"the file names no coder per highlight; attributed to {fallback!r}")
    return project


def _nearest(text: str, snippet: str, near: int) -> tuple[int, int] | None:
    """The occurrence of ``snippet`` (whitespace-insensitive) closest to ``near``."""
    import re

    pattern = re.compile(r"\s+".join(re.escape(w) for w in snippet.split()))
    best = None
    for m in pattern.finditer(text):
        if best is None or abs(m.start() - near) < abs(best[0] - near):
            best = (m.start(), m.end())
    return best


def read_codebook_csv(data: bytes, filename: str) -> RefiProject:
    """A Taguette codebook CSV (``tag``/``name``/``path`` column, optional ``description``).

    A Taguette highlights export (``id, document, tag, content``) also works: its distinct tags
    become codes; its highlights carry no offsets, so they are reported, not imported.
    """
    try:
        text, _encoding = decode_text(data, filename)
    except TranscriptError as exc:
        raise RefiError(filename, exc.reason, exc.hint) from None
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    if not rows:
        raise RefiError(filename, "is empty", "Give a CSV with a header row")
    header = [h.strip().lower() for h in rows[0]]
    col = next((header.index(c) for c in ("tag", "name", "path") if c in header), None)
    if col is None:
        raise RefiError(filename, f"line 1: no tag column in the header ({', '.join(rows[0])})",
                        "Name the column with the tags 'tag', 'name' or 'path'")
    desc = header.index("description") if "description" in header else None
    report = ReadReport(kind="taguette-csv", origin="Taguette")
    project = RefiProject(name=filename, origin="Taguette", report=report)
    seen: set[str] = set()
    for line, row in enumerate(rows[1:], start=2):
        if col >= len(row) or not row[col].strip():
            if any(c.strip() for c in row):
                report.warnings.append(f"line {line}: no tag; skipped")
            continue
        tag = row[col].strip()
        if tag.lower() in seen:
            continue
        seen.add(tag.lower())
        description = row[desc].strip() if desc is not None and desc < len(row) else ""
        project.codes.append(CodeNode(_guid("tag", tag), tag, definition=description))
    if "content" in header and "document" in header:
        report.skipped.append(f"{len(rows) - 1} highlights (a highlights export has no offsets; "
                              "import the Taguette project .sqlite3 for codings)")
    return project
