"""The codebook's entry points that choose a reader or writer: a file whose format is told by its
name (``.yaml``/``.yml``, ``.csv``), and YAML written fresh or into an existing file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath

from .csv_io import parse_csv
from .model import DEFAULT_MAX_BYTES, Codebook, CodebookError, canonical_tree
from .yaml_io import parse_yaml, render
from .yaml_template import edit


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


def to_yaml(cb: Codebook, template: bytes | None = None, *,
            renamed: Mapping[tuple[str, ...], tuple[str, ...]] | None = None,
            template_filename: str = "codebook.yaml") -> str:
    """The codebook as a YAML document.

    Without ``template``, a clean document: block style, children nested, empty fields left
    out, multi-line text as literal blocks and long text folded.

    With ``template`` (the bytes of an existing YAML codebook), that file is edited instead,
    keeping its comments, key order and the layout of everything that did not change; see
    :func:`.yaml_template.edit`. ``renamed`` (old path -> new path) says which codes were
    renamed or moved. The template must itself be a valid codebook (:class:`CodebookError`
    otherwise).
    """
    name, tree = canonical_tree(cb)
    if template is None:
        return render(name, tree)
    return edit(template, template_filename, name, tree, renamed or {})
