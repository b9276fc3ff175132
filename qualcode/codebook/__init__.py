"""Codebooks: read and write the code tree with its team-codebook fields.

A codebook is a tree of codes. Each code has a name, an optional colour and the four text
fields of a team codebook (MacQueen et al. 1998): a definition, when to use the code, when
not to use it, and an example. This module turns files into plain dataclasses and back; it
never touches the database or the UI.

Two file formats are supported:

* **YAML** (``.yaml``/``.yml``), the human-editable format. A top-level mapping with an
  optional ``name:`` and a ``codes:`` list; each code is a mapping with ``name``, optional
  ``colour`` (or ``color``), ``definition``, ``use_when``, ``do_not_use_when``, ``example``
  and ``children`` (a list of codes)::

      name: My codebook
      codes:
        - name: Barriers
          colour: "#b03a2e"        # quote colours: an unquoted # starts a comment
          definition: Anything that gets in the way.
          children:
            - name: Financial

* **CSV** (``.csv``), for spreadsheets. A header row with the columns ``path`` (required),
  ``definition``, ``use_when``, ``do_not_use_when``, ``example`` and ``colour``, in any order
  and any letter case. ``path`` is the code's place in the tree with ``/`` between levels,
  e.g. ``Barriers/Financial/Costs borne by trainees``; missing parent rows are created.

Every problem with an input file raises :class:`CodebookError`, which names the file and the
1-based line and says what to do about it.

Normalisation (the same for both formats): names and text fields are NFC-normalised, line
breaks become ``\\n``, invisible control characters are dropped and surrounding whitespace is
stripped; colours become lower-case ``#rrggbb``. The tree is listed depth-first (every parent
right before its subtree, siblings in file order). For every codebook ``cb`` that the parsers
can produce, ``parse_yaml(to_yaml(cb)) == cb`` and ``parse_csv(to_csv(cb)) == cb`` (CSV has no
place for the codebook's name, so that one reads back as ``None``); for other codebooks the
result equals :func:`normalise` ``(cb)``.

``to_yaml(cb, template=...)`` edits an existing YAML file instead of writing a new one: lines
of codes and fields that did not change are kept byte for byte, so comments, quoting, folding
and key order survive and a version-control diff shows only what changed.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import PurePath

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.emitter import RoundTripEmitter
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

__all__ = [
    "CSV_COLUMNS",
    "DEFAULT_MAX_BYTES",
    "MAX_NAME_LENGTH",
    "PATH_SEPARATOR",
    "TEXT_FIELDS",
    "CodeSpec",
    "Codebook",
    "CodebookError",
    "normalise",
    "parse_codebook",
    "parse_csv",
    "parse_yaml",
    "to_csv",
    "to_yaml",
]

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

_CODE_KEYS = ("name", "colour", *TEXT_FIELDS, "children")  # also the order keys are written in
_TOP_KEYS = ("name", "codes")
_KEY_ALIASES = {"color": "colour"}
_YAML_WIDTH = 80  # line width for YAML we write ourselves


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
_ODD_SPACE = re.compile(r"\s\s|[^\S ]")  # whitespace other than single spaces
_BARE_HEX = re.compile(r"[0-9a-fA-F]{3}|[0-9a-fA-F]{6}")


def _norm_text(value: str) -> str:
    """Canonical form of a text field: NFC, ``\\n`` breaks, no control characters, stripped."""
    value = _CONTROL.sub("", _BREAKS.sub("\n", value))
    return unicodedata.normalize("NFC", value).strip()


def _line_ref(line: int | None) -> str:
    return f" (line {line})" if line is not None else ""


def _check_name(raw: str, filename: str, line: int | None) -> str:
    """Normalise a code name and check it; raises :class:`CodebookError`."""
    name = _norm_text(raw)
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


def _parse_colour(raw: str, filename: str, line: int | None) -> str | None:
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


def _canon_key(raw: str) -> str:
    """``"Use When"``, ``"use-when"`` and ``"use_when"`` all become ``"use_when"``."""
    key = re.sub(r"[\s\-]+", "_", raw.strip().lstrip("\ufeff").lower())
    return _KEY_ALIASES.get(key, key)


def _did_you_mean(key: str, allowed: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    return f"Did you mean '{close[0]}'? " if close else ""


def _decode(data: bytes, filename: str, *, legacy: bool, max_bytes: int) -> str:
    """Bytes to text with ``\\n`` line breaks and no control characters.

    UTF-8 (with or without BOM) and UTF-16/32 with a BOM are always accepted. With
    ``legacy`` (CSV files), other encodings are detected with charset-normalizer,
    preferring Windows-1252, the code page Excel uses for CSV in Western locales.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"codebook data must be bytes, not {type(data).__name__}")
    data = bytes(data)
    if len(data) > max_bytes:
        raise CodebookError(
            filename, None,
            f"the file is too large ({len(data) / 1e6:.1f} MB; the limit is "
            f"{max_bytes / 1e6:.1f} MB)",
            "A codebook is usually a few hundred kilobytes; check that this is the right file")
    if data.startswith(b"PK\x03\x04"):
        raise CodebookError(
            filename, None,
            "this is a zip archive (probably an Excel workbook or a Word document), not a "
            "text file",
            "In Excel use File > Save As > 'CSV UTF-8 (Comma delimited)' and import the .csv")
    text: str | None = None
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe\x00\x00", "utf-32-le"),
                          (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe", "utf-16-le"),
                          (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            try:
                text = data[len(bom):].decode(encoding)
            except UnicodeDecodeError as exc:
                line = data.count(b"\n", 0, exc.start + len(bom)) + 1
                raise CodebookError(
                    filename, line,
                    f"the file starts with a {encoding.upper()} byte-order mark but is not "
                    f"valid {encoding.upper()}",
                    "Save it again as UTF-8") from None
            break
    if text is None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            bad = data[exc.start]
            text = _decode_legacy(data) if legacy and b"\x00" not in data else None
            if text is None:
                if legacy:
                    reason = (f"the file is not text in any encoding we can recognise (byte "
                              f"0x{bad:02x})")
                else:
                    reason = f"the file is not valid UTF-8 (byte 0x{bad:02x})"
                raise CodebookError(
                    filename, line, reason,
                    "Save the file as UTF-8 (in most editors: Save As, Encoding: UTF-8; in "
                    "Excel: 'CSV UTF-8')") from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise CodebookError(
            filename, line, "the file contains NUL characters, so it is not a text file",
            "Save it as UTF-8 text (for a spreadsheet: 'CSV UTF-8'); UTF-16 text without a "
            "byte-order mark also looks like this")
    return _CONTROL.sub("", _BREAKS.sub("\n", text))


def _decode_legacy(data: bytes) -> str | None:
    """Decode non-UTF-8 bytes; ``None`` when they do not look like text at all."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        return None
    least = min(match.chaos for match in matches)
    tied = [match for match in matches if match.chaos <= least + 0.01]
    # Among equally plausible readings prefer Excel's Western code page, then the other
    # Windows code pages, then Mac Roman (old Mac Excel), then the detector's own choice.
    for wanted in ("cp1252", "cp125", "mac_roman"):
        for match in tied:
            for encoding in [match.encoding, *match.could_be_from_charset]:
                if encoding.startswith(wanted):
                    try:
                        return data.decode(encoding)
                    except (UnicodeDecodeError, LookupError):
                        continue
    return str(tied[0])


# --------------------------------------------------------------------------------------------
# Entry point


def parse_codebook(data: bytes, filename: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Codebook:
    """Parse a codebook file, choosing the format by the file name's extension."""
    suffix = PurePath(filename).suffix.lower()
    if suffix in (".yaml", ".yml"):
        return parse_yaml(data, filename, max_bytes=max_bytes)
    if suffix in (".csv", ".tsv"):
        return parse_csv(data, filename, max_bytes=max_bytes)
    raise CodebookError(
        filename, None, f"codebooks cannot be read from '{suffix or filename}' files",
        "Use a .yaml/.yml or a .csv file (from Excel: File > Save As > 'CSV UTF-8')")


# --------------------------------------------------------------------------------------------
# YAML reading


@dataclass
class _YPair:
    key: str  # canonical key
    knode: ScalarNode
    vnode: Node


@dataclass
class _YCode:
    spec: CodeSpec
    node: MappingNode
    pairs: list[_YPair]
    children: list[_YCode]
    before: list[str] = field(default_factory=list)  # comment/blank lines above the item
    dash: tuple[int, int] = (0, 0)  # 0-based line and column of the item's "-"

    def pair(self, key: str) -> _YPair | None:
        return next((p for p in self.pairs if p.key == key), None)


@dataclass
class _YRoot:
    name: str | None
    node: MappingNode
    pairs: list[_YPair]
    codes: list[_YCode]

    def pair(self, key: str) -> _YPair | None:
        return next((p for p in self.pairs if p.key == key), None)


def _tag(node: Node) -> str:
    return str(getattr(node.tag, "value", node.tag))


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and _tag(node) == "tag:yaml.org,2002:null"


def _yaml_syntax_error(exc: MarkedYAMLError, filename: str) -> CodebookError:
    problem = str(exc.problem or exc.context or "the file cannot be parsed")
    mark = exc.problem_mark or exc.context_mark
    if "end of stream" in problem and exc.context_mark is not None:
        mark = exc.context_mark  # where the unfinished quote or bracket began
    line = mark.line + 1 if mark is not None else None
    if "\\t" in problem or "\t" in problem:
        hint = "Indent with spaces, not tabs"
    elif "mapping values are not allowed" in problem:
        hint = ("A text on this line contains ': ', which YAML reads as a new key; put the "
                "whole text in quotes, or write '>-' after the key and the text on the next "
                "lines, indented")
    elif "end of stream" in problem:
        hint = "A quote or bracket opened here is never closed"
    elif "alias" in problem or "anchor" in problem:
        hint = "Anchors (&name) and aliases (*name) are not supported in codebooks"
    elif "single document" in (exc.context or ""):
        hint = "A codebook file holds one document; remove the extra '---' line"
    else:
        hint = ("Check the indentation (the keys of one code must line up, and every code "
                "in a list starts with '- ') and put texts containing ':', '#' or quotes "
                "in quotes")
    return CodebookError(filename, line, f"the YAML is not valid: {problem}", hint)


def _compose(text: str, filename: str) -> Node | None:
    yaml = YAML(typ="rt")
    try:
        return yaml.compose(text)
    except MarkedYAMLError as exc:
        raise _yaml_syntax_error(exc, filename) from None
    except YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        raise CodebookError(filename, None, f"the YAML is not valid: {exc}",
                            "Check the file in a YAML validator") from None
    except RecursionError:
        raise CodebookError(filename, None, "the file is nested too deeply",
                            "Check the indentation; codebooks rarely need more than a few "
                            "levels") from None


class _YamlReader:
    """Walks the composed YAML node tree, validating it and recording positions."""

    def __init__(self, filename: str, lines: list[str]):
        self.filename = filename
        self.lines = lines

    def error(self, node: Node | int, reason: str, hint: str = "") -> CodebookError:
        line = node if isinstance(node, int) else node.start_mark.line + 1
        return CodebookError(self.filename, line, reason, hint)

    def check_no_anchor(self, node: Node) -> None:
        if getattr(node, "anchor", None):
            raise self.error(node, f"the anchor '&{node.anchor}' is not supported",
                             "Anchors (&name) and aliases (*name) are not supported in "
                             "codebooks; write each code out in full")

    def read(self, node: Node | None) -> _YRoot:
        if node is None:
            raise self.error(1, "the file contains no codebook",
                             "A codebook file starts with 'name:' and 'codes:'")
        self.check_no_anchor(node)
        if isinstance(node, SequenceNode):
            raise self.error(node, "the file starts with a list, not with 'name:' and 'codes:'",
                             "Put the list under a 'codes:' key (and add 'name:' above it)")
        if not isinstance(node, MappingNode):
            raise self.error(node, "the file does not contain a codebook",
                             "A codebook file is a mapping with 'name:' and 'codes:' keys")
        pairs = self.pairs(node, _TOP_KEYS, "at the top of the codebook")
        by_key = {p.key: p for p in pairs}
        name = None
        if "name" in by_key:
            name = self.text(by_key["name"]) or None
        codes: list[_YCode] = []
        if "codes" in by_key:
            codes = self.code_list(by_key["codes"], ())
        return _YRoot(name, node, pairs, codes)

    def pairs(self, node: MappingNode, allowed: tuple[str, ...], where: str) -> list[_YPair]:
        out: list[_YPair] = []
        seen: dict[str, int] = {}
        for knode, vnode in node.value:
            self.check_no_anchor(knode)
            self.check_no_anchor(vnode)
            if not isinstance(knode, ScalarNode):
                raise self.error(knode, f"a key {where} is not a plain word",
                                 f"Allowed keys: {', '.join(allowed)}")
            key = _canon_key(knode.value)
            if key not in allowed:
                raise self.error(
                    knode, f"unknown key '{knode.value}' {where}",
                    f"{_did_you_mean(key, allowed)}Allowed keys: {', '.join(allowed)}"
                    + (" (colour may also be spelled color)" if "colour" in allowed else ""))
            line = knode.start_mark.line + 1
            if key in seen:
                raise self.error(knode, f"the key '{knode.value}' appears twice {where} "
                                        f"(lines {seen[key]} and {line})",
                                 "Keep one of them")
            seen[key] = line
            out.append(_YPair(key, knode, vnode))
        return out

    def text(self, pair: _YPair) -> str:
        node = pair.vnode
        if not isinstance(node, ScalarNode):
            kind = "list" if isinstance(node, SequenceNode) else "mapping"
            raise self.error(node, f"'{pair.knode.value}' must be text, not a {kind}",
                             "If the text starts with '-', '[' or '{', or contains ': ', put it "
                             "in quotes")
        if _is_null(node):
            return ""
        value = node.value
        if node.style == ">":
            value = value.replace("\a", "")  # ruamel marks folding points with BEL
        return _norm_text(value)

    def code_list(self, pair: _YPair, parent: tuple[str, ...]) -> list[_YCode]:
        node = pair.vnode
        if _is_null(node):
            return []
        if not isinstance(node, SequenceNode):
            raise self.error(node, f"'{pair.knode.value}' must be a list of codes",
                             "Start every code in the list with '- name: '")
        codes: list[_YCode] = []
        siblings: dict[str, _YCode] = {}
        for item in node.value:
            code = self.code(item, parent)
            key = code.spec.name.casefold()
            if key in siblings:
                first = siblings[key].node.start_mark.line + 1
                second = item.start_mark.line + 1
                under = f"under '{PATH_SEPARATOR.join(parent)}'" if parent else "at the top level"
                raise self.error(
                    item, f"two codes {under} are both named '{code.spec.name}' "
                          f"(lines {first} and {second})",
                    "Codes with the same parent need different names (upper/lower case does "
                    "not count as different); rename or merge one of them")
            siblings[key] = code
            codes.append(code)
        return codes

    def code(self, node: Node, parent: tuple[str, ...]) -> _YCode:
        self.check_no_anchor(node)
        if isinstance(node, ScalarNode):
            if _is_null(node):
                raise self.error(node, "an empty item in a list of codes",
                                 "Remove the lone '-' or write '- name: ...' after it")
            raise self.error(node, f"'{node.value}' is not written as a code",
                             f"Write it as '- name: {node.value}'")
        if not isinstance(node, MappingNode):
            raise self.error(node, "a list inside a list of codes",
                             "Each item under 'codes:' or 'children:' is one code starting "
                             "with '- name: '; sub-codes go under that code's 'children:'")
        name_pair = next((p for p in node.value
                          if isinstance(p[0], ScalarNode) and _canon_key(p[0].value) == "name"),
                         None)
        label = "in a code"
        if name_pair is not None and isinstance(name_pair[1], ScalarNode):
            label = f"in the code '{_norm_text(name_pair[1].value)}'"
        pairs = self.pairs(node, _CODE_KEYS, label)
        by_key = {p.key: p for p in pairs}
        if "name" not in by_key:
            raise self.error(node, "a code has no 'name:'",
                             "Every code needs a name; write it as the first key after the "
                             "'-', e.g. '- name: Financial'")
        name_pair = by_key["name"]
        empty = _is_null(name_pair.vnode) and not name_pair.vnode.value
        where = name_pair.knode if empty else name_pair.vnode  # an empty value has no place
        name = _check_name(self.text(name_pair), self.filename, where.start_mark.line + 1)
        path = (*parent, name)
        colour = None
        if "colour" in by_key:
            colour = self.colour(by_key["colour"])
        fields = {key: self.text(by_key[key]) for key in TEXT_FIELDS if key in by_key}
        children: list[_YCode] = []
        if "children" in by_key:
            children = self.code_list(by_key["children"], path)
        return _YCode(CodeSpec(path, colour, **fields), node, pairs, children)

    def colour(self, pair: _YPair) -> str | None:
        knode, vnode = pair.knode, pair.vnode
        if _is_null(vnode):
            rest = self.lines[knode.end_mark.line][knode.end_mark.column:]
            match = re.match(r"\s*:\s+#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b", rest)
            if match:
                raise self.error(
                    knode, f"the colour #{match.group(1)} is read as a comment because it is "
                           "not in quotes",
                    f"Write {knode.value}: \"#{match.group(1)}\"")
            return None
        return _parse_colour(self.text(pair), self.filename, vnode.start_mark.line + 1)


def _read_yaml(data: bytes, filename: str, max_bytes: int) -> tuple[list[str], _YRoot]:
    text = _decode(data, filename, legacy=False, max_bytes=max_bytes)
    node = _compose(text, filename)
    lines = text.split("\n")
    return lines, _YamlReader(filename, lines).read(node)


def _flatten(codes: list[_YCode]) -> Iterator[_YCode]:
    for code in codes:
        yield code
        yield from _flatten(code.children)


def parse_yaml(data: bytes, filename: str = "codebook.yaml", *,
               max_bytes: int = DEFAULT_MAX_BYTES) -> Codebook:
    """Parse a YAML codebook (see the module docstring for the format)."""
    _, root = _read_yaml(data, filename, max_bytes)
    return Codebook(root.name, [code.spec for code in _flatten(root.codes)])


# --------------------------------------------------------------------------------------------
# The tree used by the CSV reader and the writers


@dataclass
class _TNode:
    spec: CodeSpec
    line: int | None
    explicit: bool
    children: dict[str, _TNode] = field(default_factory=dict)


class _Tree:
    """Codes keyed by path; parents are created on demand; duplicates are errors."""

    def __init__(self, filename: str):
        self.filename = filename
        self.root = _TNode(CodeSpec(()), None, True)

    def add(self, spec: CodeSpec, line: int | None) -> None:
        node = self.root
        for depth, part in enumerate(spec.path):
            child = node.children.get(part.casefold())
            if child is None:
                child = _TNode(CodeSpec(spec.path[: depth + 1]), line, False)
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

    def walk(self, node: _TNode | None = None) -> Iterator[_TNode]:
        for child in (node or self.root).children.values():
            yield child
            yield from self.walk(child)

    def specs(self) -> list[CodeSpec]:
        return [node.spec for node in self.walk()]


# --------------------------------------------------------------------------------------------
# CSV reading

def _csv_lines(text: str) -> list[str]:
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _sniff_delimiter(lines: list[str]) -> str:
    first = next((line for line in lines if line.strip()), "")
    for delimiter in (",", ";", "\t"):
        try:
            cells = next(csv.reader([first], delimiter=delimiter))
        except (csv.Error, StopIteration):
            continue
        if "path" in {_canon_key(cell) for cell in cells}:
            return delimiter
    return ","


def parse_csv(data: bytes, filename: str = "codebook.csv", *,
              max_bytes: int = DEFAULT_MAX_BYTES) -> Codebook:
    """Parse a CSV codebook (see the module docstring for the columns).

    Accepts UTF-8 with or without BOM, UTF-16 with BOM and, for files saved by Excel, legacy
    code pages such as Windows-1252. Comma, semicolon and tab separators are recognised.
    """
    text = _decode(data, filename, legacy=True, max_bytes=max_bytes)
    lines = _csv_lines(text)
    delimiter = _sniff_delimiter(lines)
    reader = csv.reader(iter(lines), delimiter=delimiter, strict=True)
    tree = _Tree(filename)
    columns: list[str] | None = None
    previous = 0
    while True:
        start = previous + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                raise CodebookError(filename, start,
                                    "a quoted cell that starts on this line is never closed",
                                    "Add the missing closing quote (\")") from None
            raise CodebookError(
                filename, start, f"the CSV is malformed ({exc})",
                "A cell that contains quotes must be wrapped in quotes, with each quote "
                "inside it doubled (\"\")") from None
        previous = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if columns is None:
            columns = _csv_header(row, filename, start, delimiter)
            continue
        _csv_row(row, columns, tree, filename, start)
    if columns is None:
        raise CodebookError(filename, 1, "the file is empty",
                            "The first row must name the columns, e.g. "
                            + ",".join(CSV_COLUMNS))
    return Codebook(None, tree.specs())


def _csv_header(row: list[str], filename: str, line: int, delimiter: str) -> list[str]:
    columns = [_canon_key(cell) for cell in row]
    if "path" not in columns:
        found = ", ".join(repr(cell.strip()) for cell in row if cell.strip())
        raise CodebookError(
            filename, line, "the header row has no 'path' column",
            "The first row must name the columns, e.g. " + ",".join(CSV_COLUMNS)
            + f"; this file's first row has {found}"
            + ("" if delimiter == "," else f" (separated by {delimiter!r})"))
    seen: set[str] = set()
    for cell, key in zip(row, columns, strict=True):
        if key and key not in CSV_COLUMNS:
            raise CodebookError(
                filename, line, f"unknown column '{cell.strip()}'",
                f"{_did_you_mean(key, CSV_COLUMNS)}Allowed columns: "
                f"{', '.join(CSV_COLUMNS)} (colour may also be spelled color)")
        if key and key in seen:
            raise CodebookError(filename, line, f"the column '{cell.strip()}' appears twice",
                                "Keep one of them")
        seen.add(key)
    return columns


def _csv_row(row: list[str], columns: list[str], tree: _Tree, filename: str,
             line: int) -> None:
    cells: dict[str, str] = {}
    for index, cell in enumerate(row):
        key = columns[index] if index < len(columns) else ""
        if not key:
            if cell.strip():
                raise CodebookError(
                    filename, line,
                    f"this row has a value in column {index + 1}, which has no heading",
                    "Add a heading for that column, or put cells that contain the separator "
                    "in double quotes")
            continue
        cells[key] = cell
    raw_path = cells.get("path", "")
    if not raw_path.strip():
        raise CodebookError(filename, line, "this row has no path",
                            "Fill in the 'path' cell, e.g. Barriers/Financial, or delete the "
                            "row")
    parts = raw_path.split(PATH_SEPARATOR)
    if any(not _norm_text(part) for part in parts):
        raise CodebookError(
            filename, line, f"the path '{raw_path.strip()}' has an empty level",
            "Separate the levels with single '/' characters and no '/' at either end (a "
            "code name itself cannot contain '/')")
    path = tuple(_check_name(part, filename, line) for part in parts)
    colour = _parse_colour(cells.get("colour", ""), filename, line)
    fields = {key: _norm_text(cells.get(key, "")) for key in TEXT_FIELDS}
    tree.add(CodeSpec(path, colour, **fields), line)


# --------------------------------------------------------------------------------------------
# Writing


def normalise(cb: Codebook) -> Codebook:
    """The canonical form of ``cb``: normalised text, missing parents added, depth-first order.

    Raises :class:`CodebookError` (file name ``"codebook"``, no line) for invalid names and
    colours and for duplicate paths.
    """
    tree = _Tree("codebook")
    for spec in cb.codes:
        path = tuple(_check_name(part, "codebook", None) for part in spec.path)
        if not path:
            raise CodebookError("codebook", None, "a code has an empty path",
                                "Every code needs at least a name")
        colour = _parse_colour(spec.colour or "", "codebook", None)
        fields = {key: _norm_text(getattr(spec, key) or "") for key in TEXT_FIELDS}
        tree.add(CodeSpec(path, colour, **fields), None)
    name = _norm_text(cb.name) if cb.name else ""
    return Codebook(name or None, tree.specs())


def _canonical_tree(cb: Codebook) -> tuple[str | None, _Tree]:
    cb = normalise(cb)
    tree = _Tree("codebook")
    for spec in cb.codes:
        tree.add(spec, None)
    return cb.name, tree


def to_csv(cb: Codebook) -> str:
    """The codebook as RFC 4180 CSV (CRLF row ends), one row per code, parents first.

    Encode the result as UTF-8 (prepend ``"\\ufeff"`` for Excel, which otherwise assumes the
    local code page).
    """
    cb = normalise(cb)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for spec in cb.codes:
        writer.writerow([spec.path_str(), spec.definition, spec.use_when,
                         spec.do_not_use_when, spec.example, spec.colour or ""])
    return buffer.getvalue()


class _Emitter(RoundTripEmitter):
    """Wraps long lines only in folded block scalars.

    ruamel's line wrapping of plain and quoted scalars can drop whitespace next to runs of
    spaces or tabs, which would break the exact round trip; folded scalars wrap safely and
    :func:`_styled` chooses them for long text.
    """

    def write_plain(self, text: str, split: bool = True) -> None:
        super().write_plain(text, split=False)

    def write_single_quoted(self, text: str, split: bool = True) -> None:
        super().write_single_quoted(text, split=False)

    def write_double_quoted(self, text: str, split: bool = True) -> None:
        super().write_double_quoted(text, split=False)


def _yaml(width: int = _YAML_WIDTH, sequence: int = 4, offset: int = 2) -> YAML:
    yaml = YAML(typ="rt")
    yaml.Emitter = _Emitter
    yaml.indent(mapping=2, sequence=sequence, offset=offset)
    yaml.width = width
    yaml.allow_unicode = True
    return yaml


def _dump(obj: object, width: int = _YAML_WIDTH, sequence: int = 4, offset: int = 2) -> str:
    stream = io.StringIO()
    _yaml(width, sequence, offset).dump(obj, stream)
    return stream.getvalue()


def _styled(key: str, value: str, column: int, style: str | None = None) -> object:
    """The value wrapped so that ruamel writes it in a readable, exactly round-tripping style.

    ``style`` is the style the value had in a template ('|', '>', '"', "'" or None). ruamel
    falls back to a quoted style whenever the requested one cannot represent the text.
    """
    if key == "colour":
        return SingleQuotedScalarString(value) if style == "'" else DoubleQuotedScalarString(value)
    if style == '"':
        return DoubleQuotedScalarString(value)
    if style == "'":
        return SingleQuotedScalarString(value)
    if not value:
        return value
    if _ODD_SPACE.search(value):
        # ruamel may wrap a plain or folded line at a run of spaces and lose one of them
        return LiteralScalarString(value) if "\n" in value else DoubleQuotedScalarString(value)
    if key == "name":
        return value
    if "\n" in value:
        return LiteralScalarString(value)
    if style == "|":
        return LiteralScalarString(value)
    if style == ">" or value[0] in "\"'" or column + len(key) + 2 + len(value) > _YAML_WIDTH:
        # (a text that starts with a quote, like most examples, reads better without the
        # extra quoting a flow scalar would need)
        return FoldedScalarString(value)
    return value


def _code_map(node: _TNode, column: int) -> CommentedMap:
    spec = node.spec
    data = CommentedMap()
    data["name"] = _styled("name", spec.name, column)
    if spec.colour:
        data["colour"] = _styled("colour", spec.colour, column)
    for key in TEXT_FIELDS:
        value = getattr(spec, key)
        if value:
            data[key] = _styled(key, value, column)
    if node.children:
        data["children"] = [_code_map(child, column + 4) for child in node.children.values()]
    return data


def _render_document(name: str | None, tree: _Tree) -> str:
    data = CommentedMap()
    if name:
        data["name"] = _styled("name", name, 0)
    data["codes"] = [_code_map(child, 4) for child in tree.root.children.values()]
    return _dump(data)


def to_yaml(cb: Codebook, template: bytes | None = None, *,
            renamed: Mapping[tuple[str, ...], tuple[str, ...]] | None = None,
            template_filename: str = "codebook.yaml") -> str:
    """The codebook as a YAML document.

    Without ``template``, a clean document: block style, children nested, empty fields left
    out, multi-line text as literal blocks and long text folded.

    With ``template`` (the bytes of an existing YAML codebook), that file is edited instead:
    codes are matched by path (then ignoring letter case, then by an identical definition
    among siblings), and ``renamed`` (old path -> new path) lets the caller say which codes
    were renamed or moved. Lines of unchanged codes and fields are kept as they are, with their
    comments; changed fields are rewritten in place (keeping an end-of-line comment); new codes
    and fields are inserted where they belong; removed ones are dropped together with the
    comment lines right above them. If the template cannot be edited safely (flow-style
    collections, unusual layouts), a fresh document is written under the template's header
    comment. The template must itself be a valid codebook (:class:`CodebookError` otherwise).
    """
    name, tree = _canonical_tree(cb)
    if template is None:
        return _render_document(name, tree)
    lines, root = _read_yaml(template, template_filename, DEFAULT_MAX_BYTES)
    expected = Codebook(name, tree.specs())
    for clamp in (False, True):
        try:
            text = _Patcher(lines, root, name, tree, renamed or {}, clamp=clamp).run()
        except _Unpatchable:
            break
        try:
            if parse_yaml(text.encode("utf-8"), template_filename) == expected:
                return text
        except CodebookError:
            pass
    return _header(lines, root) + _render_document(name, tree)


# --------------------------------------------------------------------------------------------
# Editing a YAML template in place


class _Unpatchable(Exception):
    """The template uses a layout the patcher does not edit; write a fresh document."""


def _header(lines: list[str], root: _YRoot) -> str:
    """The comment lines before the first key of the template (for the fallback)."""
    first = root.node.start_mark.line
    head = [line for line in lines[:first]
            if not line.strip() or line.lstrip().startswith(("#", "%", "---"))]
    return "\n".join(head) + "\n" if head else ""


def _shift(lines: list[str], delta: int) -> list[str]:
    if delta == 0:
        return list(lines)
    out = []
    for line in lines:
        if not line:
            out.append(line)
        elif delta > 0:
            out.append(" " * delta + line)
        else:
            spaces = len(line) - len(line.lstrip(" "))
            out.append(line[min(spaces, -delta):])
    return out


class _Patcher:
    """Rebuilds the template's text from its own lines wherever nothing changed.

    All positions are 0-based lines and columns of the template. A code item is written as
    the comment/blank lines above it (``_YCode.before``), then its keys in template order;
    an item taken over from the template is shifted sideways when its list is indented
    differently in the output (codes moved with ``renamed``).
    """

    def __init__(self, lines: list[str], root: _YRoot, name: str | None, tree: _Tree,
                 renamed: Mapping[tuple[str, ...], tuple[str, ...]], clamp: bool = False):
        self.lines = lines
        # Comment lines indented deeper than the key or item after them are read as text when
        # an edit puts a block scalar (|, >) right above them; with ``clamp`` they are moved
        # left to the column of what follows (only used when the plain attempt fails).
        self.clamp = clamp
        self.root = root
        self.name = name
        self.tree = tree
        self.match: dict[int, _YCode] = {}  # id(_TNode) -> template code
        by_path = {code.spec.path: code for code in _flatten(root.codes)}
        self.hints = {tuple(new): by_path[tuple(old)] for old, new in renamed.items()
                      if tuple(old) in by_path}
        self.reserved = {id(code) for code in self.hints.values()}
        self.used: set[int] = set()
        self.sequence, self.offset = 4, 2  # indentation for lists the template lacks

    # -- layout of the template -------------------------------------------------------------

    def last_line(self, node: Node) -> int:
        """The last line that holds part of ``node`` (not counting comments after it)."""
        if isinstance(node, ScalarNode):
            start, end = node.start_mark, node.end_mark
            if node.style in ("|", ">"):
                line = end.line - 1 if end.column == 0 else end.line
                while line > start.line and not self.lines[line].strip():
                    line -= 1
                return line
            return end.line if end.column > 0 else end.line - 1
        if getattr(node, "flow_style", False):
            return node.end_mark.line
        if isinstance(node, MappingNode) and node.value:
            return self.pair_last(*node.value[-1])
        if isinstance(node, SequenceNode) and node.value:
            return self.last_line(node.value[-1])
        raise _Unpatchable

    def pair_last(self, knode: Node, vnode: Node) -> int:
        if isinstance(vnode, ScalarNode) and vnode.value == "" and not vnode.style:
            return knode.end_mark.line  # an empty value: its marks point past the key
        return max(knode.end_mark.line, self.last_line(vnode))

    def analyse(self) -> None:
        """Require block style; find every item's dash and the comment lines above it."""
        if self.root.node.flow_style:
            raise _Unpatchable
        codes_pair = self.root.pair("codes")
        self.analyse_list(codes_pair, self.root.codes)
        if self.root.codes and codes_pair is not None:
            base = codes_pair.knode.start_mark.column
            sequence = self.root.codes[0].node.start_mark.column - base
            offset = self.root.codes[0].dash[1] - base
            if offset >= 0 and sequence >= offset + 2 and self.root.codes[0].dash[0] == \
                    self.root.codes[0].node.start_mark.line:
                self.sequence, self.offset = sequence, offset

    def analyse_list(self, pair: _YPair | None, codes: list[_YCode]) -> None:
        if pair is None or not codes:
            return
        if getattr(pair.vnode, "flow_style", False):
            raise _Unpatchable
        previous_end = pair.knode.end_mark.line
        for code in codes:
            if code.node.flow_style:
                raise _Unpatchable
            start = code.node.start_mark
            prefix = self.lines[start.line][: start.column]
            if re.fullmatch(r"\s*-\s+", prefix):
                code.dash = (start.line, prefix.index("-"))
            else:
                line = start.line - 1
                while line > previous_end and (not self.lines[line].strip()
                                               or self.lines[line].lstrip().startswith("#")):
                    line -= 1
                if line <= previous_end or not re.fullmatch(r"\s*-(\s+#.*)?",
                                                            self.lines[line]):
                    raise _Unpatchable
                code.dash = (line, self.lines[line].index("-"))
            code.before = self.lines[previous_end + 1: code.dash[0]]
            self.analyse_list(code.pair("children"), code.children)
            previous_end = self.last_line(code.node)

    # -- matching output codes to template codes --------------------------------------------

    def match_level(self, nodes: list[_TNode], candidates: list[_YCode]) -> None:
        free = [c for c in candidates if id(c) not in self.reserved]

        def take(node: _TNode, code: _YCode | None) -> bool:
            if code is None or id(code) in self.used:
                return False
            self.used.add(id(code))
            self.match[id(node)] = code
            return True

        tests = (
            lambda n, c: c.spec.name == n.spec.name,
            lambda n, c: c.spec.name.casefold() == n.spec.name.casefold(),
            lambda n, c: bool(n.spec.definition) and c.spec.definition == n.spec.definition,
        )
        for node in nodes:
            take(node, self.hints.get(node.spec.path))
        for test in tests:
            for node in nodes:
                if id(node) not in self.match:
                    take(node, next((c for c in free if id(c) not in self.used
                                     and test(node, c)), None))
        for node in nodes:
            code = self.match.get(id(node))
            self.match_level(list(node.children.values()), code.children if code else [])

    # -- writing ------------------------------------------------------------------------------

    def run(self) -> str:
        self.analyse()
        self.match_level(list(self.tree.root.children.values()), self.root.codes)
        root = self.root
        values: dict[str, object] = {"codes": list(self.tree.root.children.values())}
        if self.name:
            values["name"] = self.name
        header = self.lines[: root.node.start_mark.line]
        body = self.mapping(root.pairs, None, values, root.node, root.codes)
        trailer = self.lines[self.last_line(root.node) + 1:]
        text = "\n".join(header + body + trailer)
        return text if text.endswith("\n") else text + "\n"

    @staticmethod
    def code_values(node: _TNode) -> dict[str, object]:
        spec = node.spec
        values: dict[str, object] = {"name": spec.name}
        if spec.colour:
            values["colour"] = spec.colour
        for key in TEXT_FIELDS:
            if getattr(spec, key):
                values[key] = getattr(spec, key)
        if node.children:
            values["children"] = list(node.children.values())
        return values

    def mapping(self, pairs: list[_YPair], old: CodeSpec | None, values: dict[str, object],
                node: MappingNode, tcodes: list[_YCode]) -> list[str]:
        """The lines of the root mapping (``old`` is None) or of a code's mapping.

        Keys keep their template order; a new key goes right after the last template key
        that sorts before it in the standard order. The first key line keeps the template's
        prefix (the item's ``- ``); comment lines that would come before it move above it.
        """
        order = _TOP_KEYS if old is None else _CODE_KEYS
        column = node.start_mark.column
        prefix = self.lines[node.start_mark.line][:column]
        present = {p.key for p in pairs}
        after: dict[int, list[str]] = {}
        for key in order:
            if key in values and key not in present:
                anchor = max((i for i, p in enumerate(pairs)
                              if order.index(p.key) < order.index(key)), default=-1)
                after.setdefault(anchor, []).append(key)
        segments: list[tuple[str, list[str]]] = []
        for key in after.get(-1, []):
            segments.append(("pair", self.new_pair(key, values[key], column)))
        previous_end: int | None = None
        for index, pair in enumerate(pairs):
            if previous_end is not None:
                gap = self.lines[previous_end + 1: pair.knode.start_mark.line]
                segments.append(("gap", self.clamped(gap, column)))
            previous_end = self.pair_last(pair.knode, pair.vnode)
            if pair.key in values:
                segments.append(("pair", self.pair(pair, old, values[pair.key], tcodes)))
            elif self.empty_in_template(pair, old, tcodes):
                # still empty: keep the placeholder ("use_when:", "children: []") as it was
                segments.append(("pair", self.lines[pair.knode.start_mark.line:
                                                    self.pair_last(pair.knode, pair.vnode) + 1]))
            for key in after.get(index, []):
                segments.append(("pair", self.new_pair(key, values[key], column)))
        before: list[str] = []
        out: list[str] = []
        for kind, lines in segments:
            if not out and kind == "gap":
                before.extend(lines)
            elif not out:
                out = [prefix + lines[0][column:], *lines[1:]]
            else:
                out.extend(lines)
        if not out:
            raise _Unpatchable  # pragma: no cover - a code always keeps its name
        return before + out

    def empty_in_template(self, pair: _YPair, old: CodeSpec | None,
                          tcodes: list[_YCode]) -> bool:
        if pair.key in ("codes", "children"):
            return not tcodes
        if old is None:
            return not self.root.name
        return not (old.name if pair.key == "name" else getattr(old, pair.key))

    def pair(self, pair: _YPair, old: CodeSpec | None, value: object,
             tcodes: list[_YCode]) -> list[str]:
        """The lines of one key: the template's own lines when the value is unchanged."""
        if pair.key in ("codes", "children"):
            return self.list_pair(pair, pair.knode.value, value,  # type: ignore[arg-type]
                                  pair.knode.start_mark.column, tcodes)
        knode, vnode = pair.knode, pair.vnode
        if old is None:
            current = self.root.name or ""
        elif pair.key == "name":
            current = old.name
        else:
            current = getattr(old, pair.key) or ""
        if value == current:
            return self.lines[knode.start_mark.line: self.pair_last(knode, vnode) + 1]
        style = vnode.style if isinstance(vnode, ScalarNode) and not _is_null(vnode) else None
        lines = self.render_pair(knode.value, pair.key, str(value), knode.start_mark.column,
                                 style)
        comment = self.eol_comment(pair)
        if comment:
            block = re.search(r":\s*[|>][-+0-9]*$", lines[0]) is not None
            lines[0 if block else -1] += "  " + comment
        return lines

    def eol_comment(self, pair: _YPair) -> str | None:
        """The comment at the end of the key's line (after its value when that is a
        single-line or quoted text), without the value."""
        knode, vnode = pair.knode, pair.vnode
        if not isinstance(vnode, ScalarNode):
            rest = self.lines[knode.end_mark.line][knode.end_mark.column:]
            match = re.match(r"\s*:\s*(#.*)$", rest)
        elif vnode.style in ("|", ">"):
            header = self.lines[vnode.start_mark.line][vnode.start_mark.column:]
            match = re.match(r"[|>][-+0-9]*\s+(#.*)$", header)
        elif vnode.value == "" and not vnode.style:
            rest = self.lines[knode.end_mark.line][knode.end_mark.column:]
            match = re.match(r"\s*:\s*(#.*)$", rest)
        else:
            rest = self.lines[vnode.end_mark.line][vnode.end_mark.column:]
            match = re.match(r"\s+(#.*)$", rest)
        return match.group(1).rstrip() if match else None

    def render_pair(self, raw_key: str, key: str, value: str, column: int,
                    style: str | None = None) -> list[str]:
        data = CommentedMap()
        data[raw_key] = _styled(key, value, column, style)
        text = _dump(data, width=max(40, _YAML_WIDTH - column))
        lines = text.rstrip("\n").split("\n")
        return [" " * column + line if line else line for line in lines]

    def new_pair(self, key: str, value: object, column: int) -> list[str]:
        if key in ("codes", "children"):
            return self.list_pair(None, key, value, column, [])  # type: ignore[arg-type]
        return self.render_pair(key, key, str(value), column)

    def list_pair(self, pair: _YPair | None, key: str, nodes: list[_TNode], column: int,
                  tcodes: list[_YCode]) -> list[str]:
        """``codes:`` or ``children:`` followed by its items."""
        comment = self.eol_comment(pair) if pair is not None else None
        tail = f"  {comment}" if comment else ""
        if not nodes:
            return [" " * column + f"{key}: []" + tail]
        if pair is not None and tcodes:
            lines = [self.lines[pair.knode.start_mark.line]]  # with its end-of-line comment
            dash = tcodes[0].dash[1]
        else:
            lines = [" " * column + f"{key}:" + tail]
            dash = column + self.offset
        for node in nodes:
            lines.extend(self.item(node, dash))
        return lines

    def item(self, node: _TNode, dash: int) -> list[str]:
        code = self.match.get(id(node))
        if code is None:
            return self.render_item(node, dash)
        head = self.lines[code.dash[0]: code.node.start_mark.line]  # a lone "-" line, if any
        body = self.mapping(code.pairs, code.spec, self.code_values(node), code.node,
                            code.children)
        before = self.clamped(code.before, code.dash[1])
        return _shift(before + head + body, dash - code.dash[1])

    def clamped(self, lines: list[str], column: int) -> list[str]:
        if not self.clamp:
            return lines
        return [" " * column + line.lstrip(" ") if len(line) - len(line.lstrip(" ")) > column
                and line.strip() else line for line in lines]

    def render_item(self, node: _TNode, dash: int) -> list[str]:
        data = [_code_map(node, dash + self.sequence - self.offset)]
        text = _dump(data, width=max(40, _YAML_WIDTH - dash), sequence=self.sequence,
                     offset=self.offset)
        lines = text.rstrip("\n").split("\n")
        return _shift(lines, dash - lines[0].index("-"))
