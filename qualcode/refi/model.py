"""A REFI-QDA project as plain dataclasses: what readers produce and writers consume.

No database and no XML here. Offsets in :class:`Selection` always follow the offset rule
(Unicode code points into the source's canonical text, end exclusive): readers convert from
whatever unit the producing tool used before they build these objects.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

#: The standard namespaces, the only ones our writers ever produce.
PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"


class RefiError(ValueError):
    """A file that cannot be read at all: names the file, what is wrong and what to do."""

    def __init__(self, filename: str, reason: str, hint: str):
        self.filename, self.reason, self.hint = filename, reason, hint
        super().__init__(f"{filename}: {reason}. {hint}")


@dataclass
class User:
    """A person (or a tool's pseudo-user) named in the project."""

    guid: str
    name: str
    pseudo: bool = False  # e.g. ATLAS.ti's own "ATLAS.ti" user


@dataclass
class CodeNode:
    """One code of the tree; ``children`` keep the file's order."""

    guid: str
    name: str
    colour: str | None = None
    definition: str = ""
    use_when: str = ""
    do_not_use_when: str = ""
    example: str = ""
    codable: bool = True
    children: list[CodeNode] = field(default_factory=list)

    def walk(self, prefix: tuple[str, ...] = ()):
        """(path, node) for this node and everything below it, depth first."""
        path = prefix + (self.name,)
        yield path, self
        for child in self.children:
            yield from child.walk(path)


@dataclass
class Coding:
    """A code applied to a selection; both possible coders are kept (see ``Selection``)."""

    guid: str
    code_guid: str
    coding_user: str | None = None  # Coding/@creatingUser
    created: str | None = None
    memo: str | None = None  # a note attached to this coding only (folded in on import)


@dataclass
class Selection:
    """A passage of a text source, in canonical code points, end exclusive."""

    guid: str
    start: int
    end: int
    quote: str
    name: str | None = None
    selection_user: str | None = None  # PlainTextSelection/@creatingUser
    description: str = ""
    codings: list[Coding] = field(default_factory=list)


@dataclass
class MediaSource:
    """The recording of a text source, written as a REFI-QDA ``AudioSource`` or ``VideoSource``
    whose ``Transcript`` is the text source's text, with one ``SyncPoint`` per timed turn.

    ``sync``: ``(position, milliseconds)`` pairs, the position a code-point offset into the
    transcript. ``path``: the file on disk (export); ``data``: its bytes (import)."""

    guid: str
    name: str
    video: bool
    ext: str  # ".wav", ".mp3", ...
    transcript_guid: str
    sync: list[tuple[int, int]] = field(default_factory=list)
    path: str | None = None
    data: bytes | None = None
    description: str = ""
    creating_user: str | None = None


@dataclass
class Source:
    """A text source: its canonical text and its coded selections."""

    guid: str
    name: str
    text: str
    selections: list[Selection] = field(default_factory=list)
    description: str = ""
    creating_user: str | None = None
    #: how the file's offsets were read ("code points", "UTF-16 units, CRLF as 2", ...)
    offset_reading: str | None = None
    #: the interview's recording, when one is attached (qualcode.project.media)
    media: MediaSource | None = None


@dataclass
class Note:
    """A memo; ``targets`` are the GUIDs of what it is attached to (NoteRefs)."""

    guid: str
    name: str
    text: str
    creating_user: str | None = None
    targets: list[str] = field(default_factory=list)


@dataclass
class Variable:
    """A case attribute; ``type`` is REFI's typeOfVariable (Text, Integer, Float, ...)."""

    guid: str
    name: str
    type: str = "Text"


@dataclass
class Case:
    """A participant: values by variable GUID and the sources that belong to them."""

    guid: str
    name: str
    values: dict[str, str] = field(default_factory=dict)
    source_guids: list[str] = field(default_factory=list)


@dataclass
class Set:
    """A named group of sources, codes or notes (document groups)."""

    guid: str
    name: str
    member_sources: list[str] = field(default_factory=list)
    member_codes: list[str] = field(default_factory=list)
    description: str = ""


@dataclass
class ReadReport:
    """What a reader found, used and left out, for the person importing."""

    kind: str = ""  # "qdpx", "qde", "qdc", "taguette", "qualcoder"
    origin: str | None = None
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    offset_readings: dict[str, str] = field(default_factory=dict)  # source name → reading
    schema_valid: bool | None = None
    #: who coded: the reading the file's evidence supports (see :func:`attribute_coders`)
    coder_attribution: dict | None = None

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "origin": self.origin,
            "warnings": self.warnings,
            "skipped": self.skipped,
            "offset_readings": self.offset_readings,
            "schema_valid": self.schema_valid,
            "coder_attribution": self.coder_attribution,
        }


@dataclass
class RefiProject:
    """Everything a REFI-QDA project (or a codebook: no sources) carries that we use."""

    name: str
    guid: str | None = None
    origin: str | None = None
    creating_user: str | None = None
    users: list[User] = field(default_factory=list)
    codes: list[CodeNode] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    variables: list[Variable] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    sets: list[Set] = field(default_factory=list)
    report: ReadReport = field(default_factory=ReadReport)

    def all_codes(self):
        """(path, node) over the whole code tree, depth first."""
        for root in self.codes:
            yield from root.walk()

    def user_name(self, guid: str | None) -> str | None:
        """The name of the user with this GUID (case-insensitive), or None."""
        if guid is None:
            return None
        wanted = guid.strip("{}").lower()
        for user in self.users:
            if user.guid.strip("{}").lower() == wanted:
                return user.name
        return None


def attribute_coders(project: RefiProject) -> dict | None:
    """Which user the file's evidence names as the coder of each coding, and why.

    REFI-QDA files can name a user twice: ``PlainTextSelection/@creatingUser`` and
    ``Coding/@creatingUser``. Tools disagree on which one is the coder: NVivo for Windows
    writes the person who *exported* the project on every ``Coding`` and the real coders on
    the selections (its Mac export credits the coders on both). So: when the codings all
    name one user while the selections name several, the selections record who coded
    (``"selection"``); otherwise the coding's user is taken (``"coding"``, the default), and
    the selection's when the coding names nobody. Returns ``None`` when there are no codings,
    else ``{"chosen", "reason", "coding": {name: n}, "selection": {name: n}}`` (``--coder-from``
    overrides the choice).
    """
    pairs = [(sel.selection_user, c.coding_user) for src in project.sources for sel in src.selections
             for c in sel.codings]
    if not pairs:
        return None
    name = lambda guid: project.user_name(guid) or guid  # noqa: E731 - a one-line lookup
    by_selection = Counter(name(s) for s, _c in pairs if s)
    by_coding = Counter(name(c) for _s, c in pairs if c)
    disagree = sum(1 for s, c in pairs if s and c and s.strip("{}").lower() != c.strip("{}").lower())
    counts = lambda users: ", ".join(f"{u} {n}" for u, n in users.most_common())  # noqa: E731
    if not by_coding and by_selection:
        chosen, reason = "selection", "the codings name no user; the selections do"
    elif not by_selection or not disagree:
        chosen = "coding"
        reason = ("the selections name no user" if not by_selection
                  else "the selections and the codings name the same users")
    elif len(by_coding) == 1 and len(by_selection) >= 2:
        only = next(iter(by_coding))
        exporter = " (the project's creating user, who exported it)" if project.user_name(
            project.creating_user) == only else ""
        chosen = "selection"
        reason = (f"every coding names {only}{exporter} while the selections name {len(by_selection)} "
                  f"users ({counts(by_selection)}): the selections record who coded, as in NVivo for "
                  "Windows exports")
    elif len(by_selection) == 1 and len(by_coding) >= 2:
        only = next(iter(by_selection))
        chosen = "coding"
        reason = (f"every selection names {only} while the codings name {len(by_coding)} users "
                  f"({counts(by_coding)}): the codings record who coded")
    else:
        chosen = "coding"
        reason = (f"{disagree} codings name one user on the selection and another on the coding, and both "
                  "vary; the coding's user is REFI-QDA's coder of a coding")
    return {"chosen": chosen, "reason": reason, "coding": dict(by_coding), "selection": dict(by_selection)}


# A code's four codebook fields travel in REFI's single Description, as labelled paragraphs.
_FIELD_LABELS = (("use_when", "Use when:"), ("do_not_use_when", "Do not use when:"),
                 ("example", "Example:"))


def fold_description(definition: str, use_when: str, do_not_use_when: str, example: str) -> str:
    """One Description text: the definition, then labelled "Use when:"... paragraphs."""
    values = {"use_when": use_when, "do_not_use_when": do_not_use_when, "example": example}
    parts = [definition.strip()] if definition.strip() else []
    parts += [f"{label} {values[key].strip()}" for key, label in _FIELD_LABELS if values[key].strip()]
    return "\n\n".join(parts)


def unfold_description(text: str) -> dict[str, str]:
    """The inverse of :func:`fold_description`; unlabelled text is the definition."""
    out = {"definition": "", "use_when": "", "do_not_use_when": "", "example": ""}
    current = "definition"
    chunks: dict[str, list[str]] = {k: [] for k in out}
    for paragraph in (text or "").replace("\r\n", "\n").split("\n\n"):
        for key, label in _FIELD_LABELS:
            if paragraph.startswith(label):
                current = key
                paragraph = paragraph[len(label):].lstrip(" ")
                break
        chunks[current].append(paragraph)
    return {k: "\n\n".join(v).strip() for k, v in chunks.items()}
