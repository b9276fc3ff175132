"""A REFI-QDA project as plain dataclasses: what readers produce and writers consume.

No database and no XML here. Offsets in :class:`Selection` always follow the offset rule
(Unicode code points into the source's canonical text, end exclusive): readers convert from
whatever unit the producing tool used before they build these objects.
"""

from __future__ import annotations

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

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "origin": self.origin,
            "warnings": self.warnings,
            "skipped": self.skipped,
            "offset_readings": self.offset_readings,
            "schema_valid": self.schema_valid,
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
