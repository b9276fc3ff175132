"""The codebook data model: codes, the codebook, its errors and the rules every code obeys.

Both file formats (``yaml_io``, ``csv_io``) build these dataclasses through the same checks
(:func:`check_name`, :func:`parse_colour`, :class:`CodeTree`), so a name or colour that one
format refuses the other refuses with the same words; :func:`normalise` applies the same
rules to a codebook built in code.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

#: Separator between levels in a code path written as a string ("Barriers/Financial").
PATH_SEPARATOR = "/"
#: Longest allowed code name, in characters.
MAX_NAME_LENGTH = 200
#: Default upper bound on the size of a codebook file, in bytes (configurable per call).
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
#: The four team-codebook text fields, in file order.
TEXT_FIELDS = ("definition", "use_when", "do_not_use_when", "example")
#: Columns written by :func:`to_csv`, in this order.
CSV_COLUMNS = ("path", "definition", "use_when", "do_not_use_when", "example", "colour")
#: The optional column of a code's level: read when present, written only when some code has a
#: level (so a codebook without levels is written exactly as before levels existed).
CSV_LEVEL = "level"
#: Longest allowed level, in characters.
MAX_LEVEL_LENGTH = 200

#: Keys of a code in a YAML file, in the order they are written.
CODE_KEYS = ("name", "colour", "level", *TEXT_FIELDS, "children")
#: Keys at the top of a YAML codebook.
TOP_KEYS = ("name", "codes")
_KEY_ALIASES = {"color": "colour"}


# --------------------------------------------------------------------------------------------
# Data model


@dataclass
class CodeSpec:
    """One code of a codebook: its place in the tree, colour and team-codebook fields."""

    path: tuple[str, ...]
    colour: str | None = None  # "#rrggbb", lower case; None lets the app pick one
    definition: str = ""
    use_when: str = ""
    do_not_use_when: str = ""
    example: str = ""
    #: A level that cuts across the tree ("Institutional" on both Barriers/Institutional and
    #: Enablers/Institutional), so tables can gather codes by level as well as by branch; ""
    #: for none. Stored as written; a table by level counts a code without one under its
    #: nearest ancestor's (``qualcode.analysis.themes``), so a level on a branch covers it.
    level: str = ""

    @property
    def name(self) -> str:
        """The code's own name (the last element of its path)."""
        return self.path[-1]

    @property
    def parent_path(self) -> tuple[str, ...]:
        """The path of the parent code; ``()`` for a top-level code."""
        return self.path[:-1]

    def path_str(self) -> str:
        """The path as one string, levels separated by ``/``: ``"Barriers/Financial"``."""
        return PATH_SEPARATOR.join(self.path)


@dataclass
class Codebook:
    """A codebook: an optional name and its codes, each parent listed before its children."""

    name: str | None
    codes: list[CodeSpec] = field(default_factory=list)

    def get(self, path: tuple[str, ...] | str) -> CodeSpec | None:
        """The code with this path (a tuple or a ``/``-separated string), or ``None``."""
        if isinstance(path, str):
            path = tuple(part.strip() for part in path.split(PATH_SEPARATOR))
        for spec in self.codes:
            if spec.path == path:
                return spec
        return None

    def children(self, path: tuple[str, ...] = ()) -> list[CodeSpec]:
        """The direct children of the code at ``path`` (``()``: the top-level codes)."""
        return [spec for spec in self.codes if spec.parent_path == tuple(path)]


class CodebookError(ValueError):
    """A codebook that cannot be read: says which file, where, what is wrong and what to do.

    ``line`` is the 1-based line of the offending node, row or byte (``None`` when the problem
    is not tied to one line, e.g. an unsupported file type).
    """

    def __init__(self, filename: str, line: int | None, reason: str, hint: str = ""):
        self.filename = filename
        self.line = line
        self.reason = reason
        self.hint = hint
        where = f"{filename}, line {line}" if line is not None else filename
        message = f"{where}: {reason}."
        if hint:
            message += f" {hint}"
        super().__init__(message)


# --------------------------------------------------------------------------------------------
# Text helpers shared by both formats

_BREAKS = re.compile(r"\r\n|[\r\x85\u2028\u2029]")
# C0/C1 control characters other than tab and line feed, plus the two non-characters; YAML
# rejects them and they are invisible in editors, so they are dropped.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_HEX_COLOUR = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_BARE_HEX = re.compile(r"[0-9a-fA-F]{3}|[0-9a-fA-F]{6}")


def plain_lines(text: str) -> str:
    """``text`` with ``\\n`` line breaks and without invisible control characters."""
    return _CONTROL.sub("", _BREAKS.sub("\n", text))


def norm_text(value: str) -> str:
    """Canonical form of a text field: NFC, ``\\n`` breaks, no control characters, stripped."""
    return unicodedata.normalize("NFC", plain_lines(value)).strip()


def _line_ref(line: int | None) -> str:
    return f" (line {line})" if line is not None else ""


def check_name(raw: str, filename: str, line: int | None) -> str:
    """Normalise a code name and check it; raises :class:`CodebookError`."""
    name = norm_text(raw)
    if not name:
        raise CodebookError(filename, line, "a code name is empty",
                            "Give every code a name, or delete the code")
    if PATH_SEPARATOR in name:
        raise CodebookError(
            filename, line, f"the code name '{name}' contains '/'",
            "'/' separates the levels of a code path (as in Barriers/Financial), so it cannot "
            "be part of a name; use another character such as '-', '&' or the word 'and'")
    if "\n" in name or "\t" in name:
        shown = name.replace("\n", " ").replace("\t", " ")
        raise CodebookError(filename, line,
                            f"the code name '{shown}' contains a line break or tab",
                            "Write the name on one line; longer explanations belong in "
                            "the definition")
    if len(name) > MAX_NAME_LENGTH:
        raise CodebookError(
            filename, line,
            f"the code name '{name[:40]}...' is {len(name)} characters long; the limit is "
            f"{MAX_NAME_LENGTH}",
            "Keep the name short and put the explanation into the definition")
    return name


def check_level(raw: str, filename: str, line: int | None) -> str:
    """Normalise a code's level (``""`` for none) and check it; raises :class:`CodebookError`.

    A level is a short label on one line; unlike a name it may contain ``/`` ("Policy/System").
    """
    level = norm_text(raw)
    if "\n" in level or "\t" in level:
        shown = level.replace("\n", " ").replace("\t", " ")
        raise CodebookError(filename, line, f"the level '{shown}' contains a line break or tab",
                            "Write a level on one line, e.g. 'level: Institutional'")
    if len(level) > MAX_LEVEL_LENGTH:
        raise CodebookError(
            filename, line,
            f"the level '{level[:40]}...' is {len(level)} characters long; the limit is "
            f"{MAX_LEVEL_LENGTH}",
            "A level is a short label shared by codes of several branches, e.g. Institutional")
    return level


def parse_colour(raw: str, filename: str, line: int | None) -> str | None:
    """``"#rgb"``/``"#rrggbb"`` (any case) to lower-case ``#rrggbb``; empty to ``None``."""
    value = raw.strip()
    if not value:
        return None
    match = _HEX_COLOUR.fullmatch(value)
    if match:
        digits = match.group(1).lower()
        if len(digits) == 3:
            digits = "".join(ch * 2 for ch in digits)
        return "#" + digits
    if _BARE_HEX.fullmatch(value):
        raise CodebookError(filename, line, f"the colour '{value}' has no leading '#'",
                            f'Write it as "#{value}" (in a YAML file, keep the quotes)')
    raise CodebookError(
        filename, line, f"'{value}' is not a colour",
        'Write colours as hex codes such as "#c0392b" or "#c33" (in a YAML file, in quotes), '
        "or leave the colour out and the app will pick one")


def canon_key(raw: str) -> str:
    """``"Use When"``, ``"use-when"`` and ``"use_when"`` all become ``"use_when"``."""
    key = re.sub(r"[\s\-]+", "_", raw.strip().lstrip("\ufeff").lower())
    return _KEY_ALIASES.get(key, key)


def did_you_mean(key: str, allowed: tuple[str, ...]) -> str:
    """``"Did you mean 'x'? "`` for the closest allowed key, or an empty string."""
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    return f"Did you mean '{close[0]}'? " if close else ""


# --------------------------------------------------------------------------------------------
# The code tree


@dataclass
class TreeNode:
    """One code in a :class:`CodeTree`; ``explicit`` is False for a parent made on demand."""

    spec: CodeSpec
    line: int | None
    explicit: bool
    children: dict[str, TreeNode] = field(default_factory=dict)


class CodeTree:
    """Codes keyed by path; parents are created on demand; duplicates are errors."""

    def __init__(self, filename: str):
        self.filename = filename
        self.root = TreeNode(CodeSpec(()), None, True)

    def add(self, spec: CodeSpec, line: int | None) -> None:
        node = self.root
        for depth, part in enumerate(spec.path):
            child = node.children.get(part.casefold())
            if child is None:
                child = TreeNode(CodeSpec(spec.path[: depth + 1]), line, False)
                node.children[part.casefold()] = child
            elif child.spec.name != part:
                raise CodebookError(
                    self.filename, line,
                    f"'{part}' and '{child.spec.name}'{_line_ref(child.line)} differ only in "
                    "upper/lower case",
                    "Codes with the same parent need different names; if they are the same "
                    "code, spell it the same way everywhere")
            node = child
        if node.explicit:
            both = (f" (lines {node.line} and {line})" if line is not None
                    and node.line is not None else "")
            raise CodebookError(self.filename, line,
                                f"the code '{spec.path_str()}' appears twice{both}",
                                "Keep one entry per code (merge the two)")
        node.spec = replace(spec, path=node.spec.path)
        node.explicit = True
        node.line = line

    def walk(self, node: TreeNode | None = None) -> Iterator[TreeNode]:
        for child in (node or self.root).children.values():
            yield child
            yield from self.walk(child)

    def specs(self) -> list[CodeSpec]:
        return [node.spec for node in self.walk()]


# --------------------------------------------------------------------------------------------
# Normalisation


def normalise(cb: Codebook) -> Codebook:
    """The canonical form of ``cb``: normalised text, missing parents added, depth-first order.

    Raises :class:`CodebookError` (file name ``"codebook"``, no line) for invalid names and
    colours and for duplicate paths.
    """
    tree = CodeTree("codebook")
    for spec in cb.codes:
        path = tuple(check_name(part, "codebook", None) for part in spec.path)
        if not path:
            raise CodebookError("codebook", None, "a code has an empty path",
                                "Every code needs at least a name")
        colour = parse_colour(spec.colour or "", "codebook", None)
        fields = {key: norm_text(getattr(spec, key) or "") for key in TEXT_FIELDS}
        level = check_level(spec.level or "", "codebook", None)
        tree.add(CodeSpec(path, colour, **fields, level=level), None)
    name = norm_text(cb.name) if cb.name else ""
    return Codebook(name or None, tree.specs())


def canonical_tree(cb: Codebook) -> tuple[str | None, CodeTree]:
    """The normalised name and code tree of ``cb``, as the writers walk it."""
    cb = normalise(cb)
    tree = CodeTree("codebook")
    for spec in cb.codes:
        tree.add(spec, None)
    return cb.name, tree


