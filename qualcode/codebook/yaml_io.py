"""YAML codebooks: the human-editable format, read with line-exact errors and written cleanly.

A top-level mapping with an optional ``name:`` and a ``codes:`` list; each code is a mapping
with ``name``, optional ``colour`` (or ``color``), ``level``, ``definition``, ``use_when``,
``do_not_use_when``, ``example`` and ``children`` (a list of codes)::

    name: My codebook
    codes:
      - name: Barriers
        colour: "#b03a2e"        # quote colours: an unquoted # starts a comment
        definition: Anything that gets in the way.
        children:
          - name: Financial
            level: Financial     # a level shared across branches (Enablers/Financial too)

Reading walks ruamel.yaml's composed node tree rather than loaded data: nodes keep the text
exactly as written (``0x1F`` stays ``0x1F``, not 31) and the line of every key and value, so
each :class:`CodebookError` points at the offending line. ``to_yaml(cb, template=...)`` hands
over to :mod:`.yaml_template`, which edits an existing file with ruamel's round-trip mode.
"""

from __future__ import annotations

import io
import re

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

from .decode import decode
from .model import (
    CODE_KEYS,
    DEFAULT_MAX_BYTES,
    PATH_SEPARATOR,
    TEXT_FIELDS,
    TOP_KEYS,
    Codebook,
    CodebookError,
    CodeSpec,
    CodeTree,
    TreeNode,
    canon_key,
    check_level,
    check_name,
    did_you_mean,
    norm_text,
    parse_colour,
)

YAML_WIDTH = 80  # line width for YAML we write ourselves
NO_WIDTH = 1 << 20  # a line width ruamel never reaches
_ODD_SPACE = re.compile(r"\s\s|[^\S ]")  # whitespace other than single spaces


# --------------------------------------------------------------------------------------------
# Reading


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


class _Reader:
    """Walks the composed YAML node tree, validating it, into a :class:`Codebook`."""

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

    def read(self, node: Node | None) -> Codebook:
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
        pairs = self.pairs(node, TOP_KEYS, "at the top of the codebook")
        name = (self.text(*pairs["name"]) or None) if "name" in pairs else None
        codes: list[CodeSpec] = []
        if "codes" in pairs:
            self.code_list(*pairs["codes"], (), codes)
        return Codebook(name, codes)

    def pairs(self, node: MappingNode, allowed: tuple[str, ...],
              where: str) -> dict[str, tuple[ScalarNode, Node]]:
        """The mapping's (key node, value node) pairs by canonical key, checked."""
        out: dict[str, tuple[ScalarNode, Node]] = {}
        for knode, vnode in node.value:
            self.check_no_anchor(knode)
            self.check_no_anchor(vnode)
            if not isinstance(knode, ScalarNode):
                raise self.error(knode, f"a key {where} is not a plain word",
                                 f"Allowed keys: {', '.join(allowed)}")
            key = canon_key(knode.value)
            if key not in allowed:
                raise self.error(
                    knode, f"unknown key '{knode.value}' {where}",
                    f"{did_you_mean(key, allowed)}Allowed keys: {', '.join(allowed)}"
                    + (" (colour may also be spelled color)" if "colour" in allowed else ""))
            if key in out:
                first = out[key][0].start_mark.line + 1
                raise self.error(knode, f"the key '{knode.value}' appears twice {where} "
                                        f"(lines {first} and {knode.start_mark.line + 1})",
                                 "Keep one of them")
            out[key] = (knode, vnode)
        return out

    def text(self, knode: ScalarNode, node: Node) -> str:
        if not isinstance(node, ScalarNode):
            kind = "list" if isinstance(node, SequenceNode) else "mapping"
            raise self.error(node, f"'{knode.value}' must be text, not a {kind}",
                             "If the text starts with '-', '[' or '{', or contains ': ', put it "
                             "in quotes")
        if _is_null(node):
            return ""
        value = node.value
        if node.style == ">":
            value = value.replace("\a", "")  # ruamel marks folding points with BEL
        return norm_text(value)

    def code_list(self, knode: ScalarNode, node: Node, parent: tuple[str, ...],
                  out: list[CodeSpec]) -> None:
        """Append the codes of a ``codes:``/``children:`` list to ``out``, depth-first."""
        if _is_null(node):
            return
        if not isinstance(node, SequenceNode):
            raise self.error(node, f"'{knode.value}' must be a list of codes",
                             "Start every code in the list with '- name: '")
        siblings: dict[str, int] = {}  # casefolded name -> line of the code
        for item in node.value:
            name = self.code(item, parent, out)
            first = siblings.setdefault(name.casefold(), item.start_mark.line + 1)
            if first != item.start_mark.line + 1:
                under = f"under '{PATH_SEPARATOR.join(parent)}'" if parent else "at the top level"
                raise self.error(
                    item, f"two codes {under} are both named '{name}' "
                          f"(lines {first} and {item.start_mark.line + 1})",
                    "Codes with the same parent need different names (upper/lower case does "
                    "not count as different); rename or merge one of them")

    def code(self, node: Node, parent: tuple[str, ...], out: list[CodeSpec]) -> str:
        """Append one code and its sub-codes to ``out``; returns the code's name."""
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
                          if isinstance(p[0], ScalarNode) and canon_key(p[0].value) == "name"),
                         None)
        label = "in a code"
        if name_pair is not None and isinstance(name_pair[1], ScalarNode):
            label = f"in the code '{norm_text(name_pair[1].value)}'"
        pairs = self.pairs(node, CODE_KEYS, label)
        if "name" not in pairs:
            raise self.error(node, "a code has no 'name:'",
                             "Every code needs a name; write it as the first key after the "
                             "'-', e.g. '- name: Financial'")
        knode, vnode = pairs["name"]
        empty = _is_null(vnode) and not vnode.value
        where = knode if empty else vnode  # an empty value has no place of its own
        name = check_name(self.text(knode, vnode), self.filename, where.start_mark.line + 1)
        path = (*parent, name)
        colour = self.colour(*pairs["colour"]) if "colour" in pairs else None
        fields = {key: self.text(*pairs[key]) for key in TEXT_FIELDS if key in pairs}
        if "level" in pairs:
            knode, vnode = pairs["level"]
            fields["level"] = check_level(self.text(knode, vnode), self.filename,
                                          vnode.start_mark.line + 1)
        out.append(CodeSpec(path, colour, **fields))
        if "children" in pairs:
            self.code_list(*pairs["children"], path, out)
        return name

    def colour(self, knode: ScalarNode, vnode: Node) -> str | None:
        if _is_null(vnode):
            rest = self.lines[knode.end_mark.line][knode.end_mark.column:]
            match = re.match(r"\s*:\s+#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b", rest)
            if match:
                raise self.error(
                    knode, f"the colour #{match.group(1)} is read as a comment because it is "
                           "not in quotes",
                    f"Write {knode.value}: \"#{match.group(1)}\"")
            return None
        return parse_colour(self.text(knode, vnode), self.filename, vnode.start_mark.line + 1)


def parse_yaml(data: bytes, filename: str = "codebook.yaml", *,
               max_bytes: int = DEFAULT_MAX_BYTES) -> Codebook:
    """Parse a YAML codebook (see the module docstring for the format)."""
    text = decode(data, filename, legacy=False, max_bytes=max_bytes)
    return _Reader(filename, text.split("\n")).read(_compose(text, filename))


# --------------------------------------------------------------------------------------------
# Writing


class _Emitter(RoundTripEmitter):
    """Wraps long lines only in folded block scalars.

    ruamel's line wrapping of plain and quoted scalars can drop whitespace next to runs of
    spaces or tabs, which would break the exact round trip, and it cannot be undone: a plain
    text wrapped over lines loads as one line, so exporting onto such a file again would
    join it. Folded scalars wrap safely and :func:`styled` chooses them for long text.
    ruamel 0.19 also moves a plain word that passes the line width to a new line even when
    told not to split, so the width is lifted while a plain scalar is written.
    """

    def write_plain(self, text: str, split: bool = True) -> None:
        width, self.best_width = self.best_width, NO_WIDTH
        try:
            super().write_plain(text, split=False)
        finally:
            self.best_width = width

    def write_single_quoted(self, text: str, split: bool = True) -> None:
        super().write_single_quoted(text, split=False)

    def write_double_quoted(self, text: str, split: bool = True) -> None:
        super().write_double_quoted(text, split=False)


def make_yaml(width: int = YAML_WIDTH, sequence: int = 4, offset: int = 2) -> YAML:
    """A round-trip ruamel instance set up the way qualcode writes YAML."""
    yaml = YAML(typ="rt")
    yaml.Emitter = _Emitter
    yaml.indent(mapping=2, sequence=sequence, offset=offset)
    yaml.width = width
    yaml.allow_unicode = True
    return yaml


def dump(obj: object, width: int = YAML_WIDTH, sequence: int = 4, offset: int = 2) -> str:
    stream = io.StringIO()
    make_yaml(width, sequence, offset).dump(obj, stream)
    return stream.getvalue()


def styled(key: str, value: str, column: int, style: str | None = None) -> object:
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
    if key in ("name", "level"):  # one-line labels: plain (ruamel quotes them when it must)
        return value
    if "\n" in value:
        return LiteralScalarString(value)
    if style == "|":
        return LiteralScalarString(value)
    if style == ">" or value[0] in "\"'" or column + len(key) + 2 + len(value) > YAML_WIDTH:
        # (a text that starts with a quote, like most examples, reads better without the
        # extra quoting a flow scalar would need)
        return FoldedScalarString(value)
    return value


def code_map(node: TreeNode, column: int) -> CommentedMap:
    """One code as a mapping for ruamel; ``column`` is where its keys start."""
    spec = node.spec
    data = CommentedMap()
    data["name"] = styled("name", spec.name, column)
    if spec.colour:
        data["colour"] = styled("colour", spec.colour, column)
    if spec.level:
        data["level"] = styled("level", spec.level, column)
    for key in TEXT_FIELDS:
        value = getattr(spec, key)
        if value:
            data[key] = styled(key, value, column)
    if node.children:
        data["children"] = [code_map(child, column + 4) for child in node.children.values()]
    return data


def render(name: str | None, tree: CodeTree) -> str:
    """A fresh YAML document for the codebook."""
    data = CommentedMap()
    if name:
        data["name"] = styled("name", name, 0)
    data["codes"] = [code_map(child, 4) for child in tree.root.children.values()]
    return dump(data)
