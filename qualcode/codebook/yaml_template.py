"""Export into an existing YAML codebook, keeping its comments, key order and layout.

ruamel.yaml's round-trip mode does the work: the template is loaded as ``CommentedMap`` and
``CommentedSeq`` objects, its codes are matched to the codebook's (by path, then ignoring
letter case, then by an identical definition among siblings; ``renamed`` names the codes that
were renamed or moved), changed fields are set, new codes and fields inserted where they
belong, removed ones deleted, and the whole is dumped again. Unchanged values are the loaded
objects themselves, so their quoting, folding and comments come out as they went in.

What ruamel gets wrong on its own is put right by hand here, each with a test in
``tests/test_codebook.py`` that shows ruamel alone failing:

* **Comment lines belong to what follows them.** ruamel hangs a comment line on the end of the
  value *before* it (``# about A2`` above ``- name: A2`` belongs, for ruamel, to the last
  field of A1), so a moved code would leave its heading comment behind, and deleting a code
  or its last field would delete the next code's heading or the comments at the end of the
  file. :class:`_Comments` moves every own-line comment to the code or key below it before
  anything is edited, and puts it back above that code or key (wherever it went) afterwards.
* **A comment line indented deeper than a block text written above it** (``|``, ``>``) is
  read back as part of that text. When the first attempt does not read back as the codebook,
  a second one puts such comment lines at the column of what follows them.
* **Folding.** ruamel re-wraps every folded text at its line width, so the template is
  written without one and keeps its own folding; a new or changed folded text is folded by
  ruamel in a small dump of its own, the way a fresh document would be.
* ``load_yaml_guess_indent``, which finds the indentation of the template's lists, raises
  ``IndexError`` on a lone ``-`` line; the usual indentation is used then.

Unchanged plain and quoted texts that the template wrapped over several lines come out on one
line (ruamel keeps no record of where they were wrapped); qualcode itself never wraps them.
The result is read back before it is returned; if it were not the codebook, a fresh document
would be written under the template's header comment (a safety net; no template is known to
need it).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)
from ruamel.yaml.tokens import CommentToken
from ruamel.yaml.util import load_yaml_guess_indent

from .decode import decode
from .model import (
    CODE_KEYS,
    DEFAULT_MAX_BYTES,
    TEXT_FIELDS,
    TOP_KEYS,
    Codebook,
    CodebookError,
    CodeSpec,
    CodeTree,
    TreeNode,
    canon_key,
)
from .yaml_io import NO_WIDTH, YAML_WIDTH, dump, make_yaml, parse_yaml, render, styled

_BLOCK = (LiteralScalarString, FoldedScalarString)
_STYLES = ((FoldedScalarString, ">"), (LiteralScalarString, "|"),
           (DoubleQuotedScalarString, '"'), (SingleQuotedScalarString, "'"))


def edit(template: bytes, filename: str, name: str | None, tree: CodeTree,
         renamed: Mapping[tuple[str, ...], tuple[str, ...]]) -> str:
    """The template's text with the codebook ``name``/``tree`` written into it."""
    old = parse_yaml(template, filename)  # a template must itself be a valid codebook
    text = decode(template, filename, legacy=False, max_bytes=DEFAULT_MAX_BYTES)
    expected = Codebook(name, tree.specs())
    for clamp in (False, True):
        try:
            out = _Editor(text, old, renamed, clamp).run(name, tree)
        except YAMLError:  # pragma: no cover - a layout ruamel cannot write back
            break
        try:
            if parse_yaml(out.encode("utf-8"), filename) == expected:
                return out
        except CodebookError:
            pass
    return _header(text) + render(name, tree)


def _header(text: str) -> str:
    """The comment lines at the top of the template (kept above a fresh document)."""
    head: list[str] = []
    for line in text.split("\n"):
        if line.strip() and not line.lstrip().startswith(("#", "%", "---")):
            break
        head.append(line)
    while head and not head[-1].strip():
        head.pop()
    return "\n".join(head) + "\n" if head else ""


def _key(data: CommentedMap, key: str) -> str | None:
    """The key as the template spells it (``color``, ``Use When``), or None."""
    return next((raw for raw in data if canon_key(str(raw)) == key), None)


def _style(value: object) -> str | None:
    return next((style for kind, style in _STYLES if isinstance(value, kind)), None)


def _token(lines: list[str]) -> CommentToken:
    """Comment lines written exactly as given (each with its own indentation)."""
    return CommentToken("\n".join(lines) + "\n", CommentMark(0))


def _lines(token: CommentToken, first_is_eol: bool) -> tuple[str | None, list[str]]:
    """A ruamel comment token as (end-of-line comment, own-line comment lines)."""
    value = token.value if token.value.endswith("\n") else token.value + "\n"
    if first_is_eol:
        eol, _, rest = value.partition("\n")
        return eol or None, rest.split("\n")[:-1]
    if not value.startswith("\n"):  # the first line's indentation is the token's column
        value = " " * token.start_mark.column + value
    return None, value.split("\n")[:-1]


@dataclass
class _Old:
    """A code of the template: its parsed spec, its loaded mapping and its sub-codes."""

    spec: CodeSpec
    data: CommentedMap
    children: list[_Old]


class _Comments:
    """Own-line comments taken from where ruamel hangs them, and put back above their owner.

    The walk follows the document: lines met after a value wait in ``pending`` until the next
    code (``above``, by id of its mapping) or key (``keys``) comes; what is left at the end is
    the ``trailer``. Lines are stored with the column their owner had, so they move sideways
    with it.
    """

    def __init__(self, root: CommentedMap, step: int, offset: int):
        self.step, self.offset = step, offset
        self.pending: list[str] = []
        self.above: dict[int, tuple[list[str], int]] = {}
        self.keys: dict[tuple[int, str], tuple[list[str], int]] = {}
        self.eol: dict[int, CommentToken] = {}
        self.mapping(root, None)
        self.trailer, self.pending = self.pending, []

    def key_column(self, depth: int | None) -> int:
        return 0 if depth is None else (depth + 1) * self.step

    def dash_column(self, depth: int) -> int:
        return depth * self.step + self.offset

    def mapping(self, data: CommentedMap, depth: int | None) -> None:
        for index, key in enumerate(list(data)):
            entry = data.ca.items.get(key)
            if entry is not None and entry[1] and index > 0:
                for token in entry[1]:
                    self.pending += _lines(token, False)[1]
                entry[1] = None
            if self.pending and index > 0:
                self.keys[id(data), key] = (self.pending, self.key_column(depth))
                self.pending = []
            value = data[key]
            if entry is not None and entry[2] is not None:
                eol, lines = _lines(entry[2], not isinstance(value, _BLOCK))
                self.pending += lines
                if eol:
                    entry[2].value = eol + "\n"
                else:
                    entry[2] = None
            if isinstance(value, CommentedSeq):
                if entry is not None and entry[3]:
                    for token in entry[3]:
                        self.pending += _lines(token, False)[1]
                    entry[3] = None
                value.ca.comment = None  # ruamel's second copy of the comments above item 0
                self.sequence(value, 0 if depth is None else depth + 1)
        self.end(data)

    def sequence(self, data: CommentedSeq, depth: int) -> None:
        for index, item in enumerate(data):
            entry = data.ca.items.pop(index, None)
            if entry is not None and entry[0] is not None:  # after a {...} item on its line
                self.eol[id(item)] = entry[0]
            if entry is not None and entry[1]:
                for token in entry[1]:
                    self.pending += _lines(token, False)[1]
            if self.pending:
                self.above[id(item)] = (self.pending, self.dash_column(depth))
                self.pending = []
            self.mapping(item, depth)
        self.end(data)

    def end(self, data: CommentedMap | CommentedSeq) -> None:
        """Comment lines ruamel keeps at the end of a collection (after an empty value)."""
        for token in data.ca.end or []:
            self.pending += _lines(token, False)[1]
        data.ca.end = []

    def shifted(self, lines: list[str], old: int, new: int, clamp: bool) -> list[str]:
        out = []
        for line in lines:
            spaces = len(line) - len(line.lstrip(" ")) + new - old
            if clamp:
                spaces = min(spaces, new)
            out.append(" " * max(spaces, 0) + line.lstrip(" ") if line.strip() else line)
        return out

    def attach(self, root: CommentedMap, clamp: bool) -> None:
        """Put the comments back into the edited document (keys or codes that went, lose them)."""
        self.attach_mapping(root, None, clamp)
        if not self.trailer or not root:
            return
        key = list(root)[-1]
        last = root[key]
        if isinstance(last, CommentedSeq) and last and not last.fa.flow_style():
            last.ca.comment = last.ca.comment or [None, None]  # else ruamel skips ca.end
            last.ca.end = [_token(self.trailer)]
            return
        entry = root.ca.items.setdefault(key, [None, None, None, None])
        if isinstance(last, _BLOCK):
            entry[2] = _token(self.trailer)
        elif entry[2] is not None:
            entry[2].value += "\n".join(self.trailer) + "\n"
        else:
            entry[2] = _token(["", *self.trailer])

    def attach_mapping(self, data: CommentedMap, depth: int | None, clamp: bool) -> None:
        for key in data:
            lines, old = self.keys.get((id(data), key), (None, 0))
            if lines:
                new = self.key_column(depth)
                entry = data.ca.items.setdefault(key, [None, None, None, None])
                entry[1] = [_token(self.shifted(lines, old, new, clamp))]
            value = data[key]
            if isinstance(value, CommentedSeq):
                child_depth = 0 if depth is None else depth + 1
                for index, item in enumerate(value):
                    lines, old = self.above.get(id(item), (None, 0))
                    if lines:
                        lines = self.shifted(lines, old, self.dash_column(child_depth), clamp)
                    if lines or id(item) in self.eol:
                        value.ca.items[index] = [self.eol.get(id(item)),
                                                 [_token(lines)] if lines else None, None, None]
                    self.attach_mapping(item, child_depth, clamp)


class _Editor:
    """One attempt at writing the codebook into the loaded template."""

    def __init__(self, text: str, old: Codebook,
                 renamed: Mapping[tuple[str, ...], tuple[str, ...]], clamp: bool):
        try:  # the indentation of the template's lists, so that ruamel writes them alike
            _, step, offset = load_yaml_guess_indent(text, yaml=YAML(typ="safe"))
        except IndexError:  # ruamel's guess trips over a lone "-" line
            step, offset = None, None
        self.step, self.offset = step or 4, offset if offset is not None else 2
        self.yaml = make_yaml(NO_WIDTH, self.step, self.offset)  # keeps the template's folds
        self.yaml.preserve_quotes = True
        self.root: CommentedMap = self.yaml.load(text)
        self.clamp = clamp
        self.comments = _Comments(self.root, self.step, self.offset)
        self.old_name = old.name
        specs = iter(old.codes)  # the parser lists codes depth-first, as _olds walks them
        self.codes = self.olds(self.root, _key(self.root, "codes"), specs)
        by_path = {code.spec.path: code for code in _flatten(self.codes)}
        self.hints = {tuple(new): by_path[tuple(old)] for old, new in renamed.items()
                      if tuple(old) in by_path}
        self.reserved = {id(code) for code in self.hints.values()}
        self.used: set[int] = set()
        self.match: dict[int, _Old] = {}  # id(TreeNode) -> template code

    def olds(self, data: CommentedMap, key: str | None, specs: Iterator[CodeSpec]) -> list[_Old]:
        items = data[key] if key is not None else None
        out = []
        for item in items or []:
            spec = next(specs)
            out.append(_Old(spec, item, self.olds(item, _key(item, "children"), specs)))
        return out

    # -- matching codebook codes to template codes ------------------------------------------

    def match_level(self, nodes: list[TreeNode], candidates: list[_Old]) -> None:
        free = [c for c in candidates if id(c) not in self.reserved]

        def take(node: TreeNode, code: _Old | None) -> None:
            if code is not None and id(code) not in self.used:
                self.used.add(id(code))
                self.match[id(node)] = code

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

    # -- editing ------------------------------------------------------------------------------

    def run(self, name: str | None, tree: CodeTree) -> str:
        nodes = list(tree.root.children.values())
        self.match_level(nodes, self.codes)
        values: dict[str, object] = {"name": name or "", "codes": nodes}
        self.update(self.root, TOP_KEYS, values, {"name": self.old_name or ""}, None, False)
        self.comments.attach(self.root, self.clamp)
        stream = io.StringIO()
        self.yaml.dump(self.root, stream)
        return stream.getvalue()

    def update(self, data: CommentedMap, order: tuple[str, ...], values: dict[str, object],
               old: dict[str, str], depth: int | None, flow: bool) -> None:
        """Bring one mapping (the top or a code) to ``values``, keeping what did not change.

        An empty value drops its key, unless the template's value was empty too (a
        placeholder such as ``use_when:`` stays). A new key goes right after the last key
        that comes before it in the standard order. ``flow``: inside a ``{...}``/``[...]``.
        """
        column = 0 if depth is None else (depth + 1) * self.step
        flow = flow or bool(data.fa.flow_style())
        for key in order:
            raw = _key(data, key)
            value = values.get(key)
            if key in ("codes", "children"):
                if not value and (raw is None or not data[raw]):
                    continue  # still empty
                value = self.sequence(value or [], 0 if depth is None else depth + 1, flow)
                if not value and key == "children":
                    value = None  # (an empty codebook keeps "codes: []")
            elif value == old.get(key, "") and raw is not None:
                continue  # unchanged: the template's own value, style and comments
            elif value:
                before = data[raw] if raw is not None else None
                value = styled(key, str(value), column, _style(before))
                value = value if flow else self.fold(value, key, column)
            if raw is None:
                if value:
                    keys = [canon_key(str(k)) for k in data]
                    at = max((i + 1 for i, k in enumerate(keys)
                              if k in order and order.index(k) < order.index(key)), default=0)
                    data.insert(at, key, value)
            elif value or isinstance(value, CommentedSeq):
                data[raw] = value
            else:
                del data[raw]

    def fold(self, value: object, key: str, column: int) -> object:
        """Fold a new folded text as a fresh document would (the template has no width).

        Not inside ``{...}``/``[...]``: ruamel writes such a text in quotes there, with its
        fold marks left in as ``\\a``.
        """
        if not isinstance(value, FoldedScalarString):
            return value
        text = dump({key: value}, width=max(40, YAML_WIDTH - column))
        folded = YAML(typ="rt").load(text)[key]
        return folded if isinstance(folded, FoldedScalarString) else value

    def sequence(self, nodes: list[TreeNode], depth: int, flow: bool) -> CommentedSeq:
        out = CommentedSeq()
        for node in nodes:
            code = self.match.get(id(node))
            data = CommentedMap() if code is None else code.data
            self.update(data, CODE_KEYS, {**_fields(node.spec), "children": list(
                node.children.values())}, _fields(code.spec) if code else {}, depth, flow)
            out.append(data)
        return out


def _fields(spec: CodeSpec) -> dict[str, str]:
    return {"name": spec.name, "colour": spec.colour or "", "level": spec.level,
            **{key: getattr(spec, key) for key in TEXT_FIELDS}}


def _flatten(codes: list[_Old]) -> Iterator[_Old]:
    for code in codes:
        yield code
        yield from _flatten(code.children)
