"""Grouping mappings as people write them: ``VALUE=GROUP`` pairs, CSV and YAML files, turned into
``{source value: group}`` for :func:`qualcode.project.attribute_groups.group_attribute` (no
database). Every problem raises :class:`MappingFileError` naming the file (``--map`` for pairs),
the line where known, what is wrong and what to do.
"""

from __future__ import annotations

import unicodedata
from pathlib import PurePath

from qualcode.errors import InputError
from qualcode.importers.csv_input import read_table

#: A mapping file larger than this is refused unread.
MAX_MAPPING_BYTES = 1024 * 1024


class MappingFileError(InputError):
    """A mapping file (CSV or YAML) that cannot be read: file, line, what is wrong, what to do."""


def _text(value) -> str:
    return unicodedata.normalize("NFC", str(value)).strip()


def read_mapping(data: bytes, filename: str) -> dict[str, str]:
    """A mapping file → ``{source value: group}``; :class:`MappingFileError` on bad input.

    * ``.csv``: a header row (any two names, e.g. ``role,stakeholder group``), then one row per
      value: the value, then its group.
    * ``.yaml``/``.yml``: either ``value: group`` lines, or a group followed by its values as a
      list (``Leadership and faculty: [program director, faculty]``); every scalar is text.
    """
    if len(data) > MAX_MAPPING_BYTES:
        raise MappingFileError(filename, f"the file is {len(data):,} bytes, over the "
                               f"{MAX_MAPPING_BYTES:,}-byte limit for mappings", "Check that this is the right file")
    suffix = PurePath(filename).suffix.lower()
    if suffix in (".yaml", ".yml"):
        return _yaml_mapping(data, filename)
    if suffix == ".csv":
        return _csv_mapping(data, filename)
    raise MappingFileError(filename, f"mappings cannot be read from {suffix or 'extension-less'} files",
                           "Use a .csv file (two columns: value, group) or a .yaml file (value: group)")


def _add(out: dict[str, str], value: str, group: str, filename: str, line: int | None) -> None:
    value, group = _text(value), _text(group)
    if not value or not group:
        raise MappingFileError(filename, "a value or its group is empty",
                               "Give every value its group (VALUE, GROUP)", line)
    if out.get(value, group) != group:
        raise MappingFileError(filename, f"{value!r} is mapped to {out[value]!r} and to {group!r}",
                               "Keep one of them", line)
    out[value] = group


def _csv_mapping(data: bytes, filename: str) -> dict[str, str]:
    header, rows = read_table(data, filename, MappingFileError, max_bytes=MAX_MAPPING_BYTES)
    if len(header) != 2:
        raise MappingFileError(filename, f"the header has {len(header)} columns",
                               "A mapping has two: the source value, then its group (e.g. role,stakeholder group)", 1)
    out: dict[str, str] = {}
    for line, cells in rows:
        _add(out, cells[0], cells[1], filename, line)
    if not out:
        raise MappingFileError(filename, "the file maps no value", "Add one row per value: VALUE,GROUP")
    return out


def _yaml_mapping(data: bytes, filename: str) -> dict[str, str]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        loaded = YAML(typ="base").load(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise MappingFileError(filename, "the file is not UTF-8 text", "Save it as UTF-8") from exc
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise MappingFileError(filename, f"the YAML is not valid: {getattr(exc, 'problem', None) or exc}",
                               "Write one 'value: group' per line; quote texts containing ': ' or '#'",
                               mark.line + 1 if mark is not None else None) from exc
    if not isinstance(loaded, dict) or not loaded:
        raise MappingFileError(filename, "the file holds no mapping",
                               "Write one 'value: group' per line, or 'group: [value, value]'")
    out: dict[str, str] = {}
    for key, item in loaded.items():
        if isinstance(item, list):
            for value in item:
                if not isinstance(value, str):
                    raise MappingFileError(filename, f"the values of group {key!r} are not a plain list",
                                           "Write them as [value, value] or one '- value' per line")
                _add(out, value, key, filename, None)
        elif isinstance(item, str):
            _add(out, key, item, filename, None)
        else:
            raise MappingFileError(filename, f"{key!r} maps to a nested mapping",
                                   "Write 'value: group', or 'group: [value, value]'")
    return out


def parse_pairs(pairs, filename: str = "--map") -> dict[str, str]:
    """``["program director=Leadership and faculty", ...]`` → a mapping (split at the first ``=``)."""
    out: dict[str, str] = {}
    for pair in pairs:
        value, sep, group = str(pair).partition("=")
        if not sep:
            raise MappingFileError(filename, f"{pair!r} has no '='", "Write VALUE=GROUP, e.g. "
                                   "'faculty=Leadership and faculty'")
        _add(out, value, group, filename, None)
    return out
