"""Codebooks: read and write the code tree with its team-codebook fields; no database, no UI.

A codebook is a tree of codes. Each code has a name, an optional colour, an optional level (a
label that cuts across the tree, e.g. ``Institutional`` on both Barriers/Institutional and
Enablers/Institutional) and the four text fields of a team codebook (MacQueen et al. 1998): a
definition, when to use the code, when not to use it, and an example.

* :mod:`.model`: the dataclasses (:class:`CodeSpec`, :class:`Codebook`), :class:`CodebookError`
  (file, 1-based line, what is wrong, what to do) and the rules for names, colours and the
  tree, shared by both formats; :func:`normalise`.
* :mod:`.yaml_io`: YAML, the human-editable format (:func:`parse_yaml`, a fresh document);
  :mod:`.yaml_template` exports into an existing YAML file keeping its comments and order.
* :mod:`.csv_io`: CSV for spreadsheets (:func:`parse_csv`, :func:`to_csv`), formula-guarded.
* :mod:`.formats`: :func:`parse_codebook` picks the format by file name, :func:`to_yaml` writes
  fresh or into a template; :mod:`.decode` turns
  file bytes into text.

Both formats normalise the same way: names and texts NFC, ``\\n`` line breaks, no invisible
control characters, no surrounding whitespace; colours lower-case ``#rrggbb``; codes listed
depth-first (every parent right before its subtree, siblings in file order). For every
codebook ``cb`` the parsers can produce, ``parse_yaml(to_yaml(cb)) == cb`` and
``parse_csv(to_csv(cb)) == cb`` (CSV has no place for the codebook's name, so that one reads
back as ``None``); for other codebooks the result equals :func:`normalise` ``(cb)``.
"""

from .csv_io import parse_csv, to_csv
from .formats import parse_codebook, to_yaml
from .model import Codebook, CodebookError, CodeSpec, normalise
from .yaml_io import parse_yaml

__all__ = [
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
