"""Derived participant attributes: one attribute's values grouped into a new attribute, e.g.
``group_attribute(db, "role", "stakeholder group", {"program director": "Leadership and
faculty", "faculty": "Leadership and faculty", ...})``.

The new attribute is an ordinary attribute (type ``text``) and its values are ordinary
``attribute_value`` rows, so every table, filter and export sees it like an imported one;
``attribute_grouping`` remembers the source attribute and the mapping (JSON, in the order
given), so a grouping can be listed, re-applied after participants change, and removed.

**The rules** (each refusal changes nothing and says what to do):

- the source attribute must exist (close names are suggested); the new name must be free,
  ignoring letter case;
- every value in the mapping must be one some participant has, so a typo ("program directr")
  is caught instead of silently grouping nobody;
- every value some participant has must be mapped. Unmapped values are refused, listed with
  their counts, unless ``other`` names a group for all the rest; the stored mapping then lists
  those values explicitly, so it always says where each value went;
- a participant without a value of the source gets no value of the new attribute (an empty
  cell, as in the participants CSV).

**Undo.** Each change is recorded in the acting user's undo history (``edit_history``, the
workspace's undo and redo) as one operation: ``create_grouping``/``delete_grouping`` carry a
snapshot (the new attribute's guid and name, the source's guid, the mapping, each participant's
value by participant guid), ``update_grouping`` the mapping and values before and after.
:mod:`qualcode.coding.undo` replays them through :func:`apply_operation`, which checks, as every
undo operation does, that the data still looks as recorded and otherwise refuses
(:class:`GroupingConflict`) without changing anything. Without the app, :func:`ungroup` takes a
grouping back and :func:`regroup` re-applies or changes one.

Every write is one transaction, logged in the change log (entity ``attribute_grouping``) and
allowed to those who may change attributes (owners; anyone in single-user mode).
"""

from __future__ import annotations

import difflib
import json
import unicodedata
from collections import Counter
from collections.abc import Mapping

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from qualcode.store.db import Database, read_only, retrying
from qualcode.store.models import (Attribute, AttributeGrouping, AttributeValue, Document, EditHistory,
                                   Participant, new_guid)
from qualcode.team.access import authorize, default_actor, reader
from qualcode.team.changelog import log

#: Longest attribute name (the column's size) and group name, in characters.
NAME_LENGTH = 200
#: The change-log entity of every grouping change (unlisted in ``access``: owners only).
ENTITY = "attribute_grouping"
#: The undo-history operations this module carries out (see :func:`apply_operation`).
OPERATIONS = ("create_grouping", "delete_grouping", "update_grouping")
#: The undo-history kinds it records, for pages that offer to undo only a grouping.
KINDS = ("group attribute", "regroup attribute", "ungroup attribute")


class GroupingError(ValueError):
    """A grouping that cannot be made; the message says what was wrong and what to do."""


class GroupingConflict(GroupingError):
    """An undo or redo of a grouping no longer fits the data (someone changed it since)."""


# -- checking what was given ----------------------------------------------------------------------


def _text(value) -> str:
    """NFC and stripped: how names and values are compared (a CSV may hold either form)."""
    return unicodedata.normalize("NFC", str(value)).strip()


def _label(value, what: str, example: str) -> str:
    """A one-line name (new attribute or group): NFC, stripped, 1-200 characters."""
    text = _text(value if value is not None else "")
    if not text:
        raise GroupingError(f"{what} is empty; give one, e.g. {example}")
    if any(ch in text for ch in "\n\r\t"):
        raise GroupingError(f"{what} {text[:40]!r} contains a line break or tab; write it on one line")
    if len(text) > NAME_LENGTH:
        raise GroupingError(f"{what} has at most {NAME_LENGTH} characters, {text[:30]!r}… has {len(text)}; "
                            "shorten it")
    return text


def _clean_mapping(mapping: Mapping) -> dict[str, str]:
    """``{source value: group}``, cleaned; one value mapped to two groups is refused."""
    if not isinstance(mapping, Mapping) or not mapping:
        raise GroupingError("the mapping is empty; give each value its group, e.g. "
                            "'program director=Leadership and faculty'")
    out: dict[str, str] = {}
    for raw_value, raw_group in mapping.items():
        value = _text(raw_value if raw_value is not None else "")
        if not value:
            raise GroupingError("a mapping entry has no source value; write VALUE=GROUP")
        group = _label(raw_group, f"the group of {value!r}", f"'{value}=Other'")
        if out.get(value, group) != group:
            raise GroupingError(f"{value!r} is mapped twice, to {out[value]!r} and to {group!r}; keep one")
        out[value] = group
    return out


def _attributes(s: Session, pid: int) -> list[Attribute]:
    return list(s.scalars(select(Attribute).where(Attribute.project_id == pid).order_by(Attribute.id)))


def _find_attribute(s: Session, pid: int, name: str) -> Attribute:
    """The attribute called ``name`` (exactly, else ignoring case); GroupingError otherwise."""
    wanted = _text(name or "")
    rows = _attributes(s, pid)
    found = next((a for a in rows if _text(a.name) == wanted), None)
    if found is None:
        folded = [a for a in rows if _text(a.name).casefold() == wanted.casefold()]
        found = folded[0] if len(folded) == 1 else None
    if found is not None:
        return found
    if not rows:
        raise GroupingError(f"no participant attribute {wanted!r}: the project has none yet; import "
                            "a participants CSV first (`qualcode import --attributes FILE`)")
    close = difflib.get_close_matches(wanted, [a.name for a in rows], n=3, cutoff=0.5)
    hint = f"Did you mean: {', '.join(close)}?" if close else \
        f"The attributes are: {', '.join(a.name for a in rows)}."
    raise GroupingError(f"no participant attribute {wanted!r}. {hint}")


def _name_free(s: Session, pid: int, name: str) -> None:
    taken = next((a for a in _attributes(s, pid) if _text(a.name).casefold() == name.casefold()), None)
    if taken is not None:
        raise GroupingError(f"an attribute named {taken.name!r} exists already; choose another name "
                            "(or ungroup it first, if it is a grouping you want to make again)")


def _grouping_of(s: Session, pid: int, name: str) -> tuple[Attribute, AttributeGrouping, Attribute]:
    """(derived attribute, its grouping, its source) for the grouping called ``name``."""
    attr = _find_attribute(s, pid, name)
    grouping = s.scalar(select(AttributeGrouping).where(AttributeGrouping.attribute_id == attr.id))
    if grouping is None:
        raise GroupingError(f"{attr.name!r} is an attribute of its own (imported), not a grouping; "
                            "`qualcode attributes list` shows which attributes are groupings")
    return attr, grouping, s.get(Attribute, grouping.source_attribute_id)


def _value_counts(s: Session, attribute_id: int) -> Counter:
    return Counter(_text(v) for v in s.scalars(select(AttributeValue.value)
                                               .where(AttributeValue.attribute_id == attribute_id)))


def _shown(values, counts: Counter, limit: int = 8) -> str:
    items = [f"{v!r} ({counts[v]} participant{'s' if counts[v] != 1 else ''})" for v in values[:limit]]
    more = len(values) - limit
    return ", ".join(items) + (f" and {more} more" if more > 0 else "")


def _resolve(counts: Counter, mapping: dict[str, str], other: str | None, source: str, *,
             absent_ok: bool) -> dict[str, str]:
    """The mapping to store: every value in the data mapped, nothing mapped that is not there."""
    if not absent_ok:
        absent = [v for v in mapping if v not in counts]
        if absent:
            present = {v.casefold(): v for v in counts}
            hints = []
            for v in absent:
                close = present.get(v.casefold()) or next(iter(difflib.get_close_matches(
                    v, list(counts), n=1, cutoff=0.6)), None)
                hints.append(f"{v!r}" + (f" (did you mean {close!r}?)" if close else ""))
            raise GroupingError(
                f"no participant has {source} = {', '.join(hints)}; correct the spelling or leave "
                f"it out. The values of {source!r} are: {_shown(sorted(counts, key=str.casefold), counts, 20)}")
    unmapped = sorted((v for v in counts if v not in mapping), key=str.casefold)
    if unmapped and other is None:
        raise GroupingError(
            f"{len(unmapped)} value{'s' if len(unmapped) != 1 else ''} of {source!r} "
            f"{'have' if len(unmapped) != 1 else 'has'} no group: {_shown(unmapped, counts)}. "
            "Give each one a group, or name one group for all the rest (the CLI's --other GROUP)")
    return {**mapping, **{v: other for v in unmapped}}


# -- rows ---------------------------------------------------------------------------------------------


def _values_by_guid(s: Session, attribute_id: int) -> dict[str, str]:
    """Participant guid → value of one attribute."""
    return dict(s.execute(select(Participant.guid, AttributeValue.value)
                          .join(Participant, Participant.id == AttributeValue.participant_id)
                          .where(AttributeValue.attribute_id == attribute_id)).all())


def _derive(s: Session, source_id: int, mapping: dict[str, str]) -> dict[str, str]:
    """Participant guid → group, for every participant whose source value is mapped."""
    return {guid: mapping[_text(value)] for guid, value in _values_by_guid(s, source_id).items()
            if _text(value) in mapping}


def _people(s: Session, pid: int, guids) -> dict[str, int]:
    guids = list(guids)
    found: dict[str, int] = {}
    for i in range(0, len(guids), 500):
        found.update(s.execute(select(Participant.guid, Participant.id).where(
            Participant.project_id == pid, Participant.guid.in_(guids[i:i + 500]))).all())
    missing = len(set(guids) - set(found))
    if missing:
        raise GroupingConflict(f"{missing} participant{'s' if missing != 1 else ''} it gave a value to "
                               "no longer exist")
    return found


def _attribute_by_guid(s: Session, pid: int, row: dict) -> Attribute:
    attr = s.scalar(select(Attribute).where(Attribute.project_id == pid, Attribute.guid == row["guid"]))
    if attr is None:
        raise GroupingConflict(f"the attribute {row['name']!r} no longer exists (it was removed since)")
    return attr


def _set_values(s: Session, pid: int, attribute_id: int, values: dict[str, str]) -> None:
    """Make ``attribute_id``'s values exactly ``values`` (participant guid → value)."""
    people = _people(s, pid, values)
    current = {pv.participant_id: pv for pv in s.scalars(
        select(AttributeValue).where(AttributeValue.attribute_id == attribute_id))}
    wanted = {people[g]: v for g, v in values.items()}
    for participant_id, row in current.items():
        if participant_id not in wanted:
            s.delete(row)
        elif row.value != wanted[participant_id]:
            row.value = wanted[participant_id]
    s.add_all(AttributeValue(participant_id=p, attribute_id=attribute_id, value=v)
              for p, v in wanted.items() if p not in current)
    s.flush()


# -- the operations of the undo history -----------------------------------------------------------------


def _create(s: Session, pid: int, op: dict, actor: str, kind: str) -> Attribute:
    row = op["row"]
    name = row["attribute"]["name"]
    if any(a.name.casefold() == name.casefold() or a.guid == row["attribute"]["guid"] for a in _attributes(s, pid)):
        raise GroupingConflict(f"an attribute named {name!r} exists already (made since)")
    source = s.scalar(select(Attribute).where(Attribute.project_id == pid,
                                              Attribute.guid == row["source"]["guid"]))
    if source is None:
        raise GroupingConflict(f"the attribute {row['source']['name']!r} it groups no longer exists")
    attr = Attribute(project_id=pid, name=name, type="text", guid=row["attribute"]["guid"])
    s.add(attr)
    s.flush()
    s.add(AttributeGrouping(project_id=pid, attribute_id=attr.id, source_attribute_id=source.id,
                            mapping=json.dumps(row["mapping"], ensure_ascii=False)))
    _set_values(s, pid, attr.id, row["values"])
    log(s, project_id=pid, actor=actor, action="create", entity=ENTITY, entity_id=attr.id, edit=kind,
        name=name, source=source.name, mapping=row["mapping"], participants=len(row["values"]))
    return attr


def _current(s: Session, attr: Attribute) -> dict:
    grouping = s.scalar(select(AttributeGrouping).where(AttributeGrouping.attribute_id == attr.id))
    return {"mapping": json.loads(grouping.mapping) if grouping else None,
            "values": _values_by_guid(s, attr.id)}


def _refuse_if_source(s: Session, attr: Attribute, error: type[GroupingError]) -> None:
    other = s.scalar(select(Attribute.name).join(AttributeGrouping, AttributeGrouping.attribute_id == Attribute.id)
                     .where(AttributeGrouping.source_attribute_id == attr.id))
    if other is not None:
        raise error(f"{other!r} is grouped from {attr.name!r}; ungroup {other!r} first")


def _delete(s: Session, pid: int, op: dict, actor: str, kind: str) -> None:
    row = op["row"]
    attr = _attribute_by_guid(s, pid, row["attribute"])
    if attr.name != row["attribute"]["name"] or _current(s, attr) != {"mapping": row["mapping"],
                                                                      "values": row["values"]}:
        raise GroupingConflict(f"the grouping {row['attribute']['name']!r} was changed since; reload and retry")
    _refuse_if_source(s, attr, GroupingConflict)
    attr_id = attr.id
    s.execute(delete(AttributeValue).where(AttributeValue.attribute_id == attr_id))
    s.execute(delete(AttributeGrouping).where(AttributeGrouping.attribute_id == attr_id))
    s.delete(attr)
    s.flush()
    log(s, project_id=pid, actor=actor, action="delete", entity=ENTITY, entity_id=attr_id, edit=kind,
        name=row["attribute"]["name"], source=row["source"]["name"], participants=len(row["values"]))


def _update(s: Session, pid: int, op: dict, actor: str, kind: str) -> Attribute:
    attr = _attribute_by_guid(s, pid, {"guid": op["guid"], "name": op.get("name", "the grouping")})
    if _current(s, attr) != op["before"]:
        raise GroupingConflict(f"the grouping {attr.name!r} was changed since; reload and retry")
    after = op["after"]
    grouping = s.scalar(select(AttributeGrouping).where(AttributeGrouping.attribute_id == attr.id))
    grouping.mapping = json.dumps(after["mapping"], ensure_ascii=False)
    _set_values(s, pid, attr.id, after["values"])
    changed = sum(op["before"]["values"].get(g) != after["values"].get(g)
                  for g in set(op["before"]["values"]) | set(after["values"]))
    log(s, project_id=pid, actor=actor, action="update", entity=ENTITY, entity_id=attr.id, edit=kind,
        name=attr.name, mapping=after["mapping"], changed=changed)
    return attr


def apply_operation(session: Session, project_id: int, op: dict, *, actor: str, kind: str) -> Attribute | None:
    """Carry out one grouping operation of the undo history (``op["op"]`` in :data:`OPERATIONS`).

    Checks first that the data still looks as the operation expects and raises
    :class:`GroupingConflict` otherwise; logs the change under ``actor`` (the write gate).
    Called by :mod:`qualcode.coding.undo` to undo and redo groupings.
    """
    run = {"create_grouping": _create, "delete_grouping": _delete, "update_grouping": _update}[op["op"]]
    return run(session, project_id, op, actor, kind)


def _invert(op: dict) -> dict:
    if op["op"] == "create_grouping":
        return {"op": "delete_grouping", "row": op["row"]}
    if op["op"] == "delete_grouping":
        return {"op": "create_grouping", "row": op["row"]}
    return {**op, "before": op["after"], "after": op["before"]}


def _record(s: Session, pid: int, actor: str, kind: str, description: str, ops: list[dict]) -> None:
    """Write the action to ``actor``'s undo history, as ``qualcode.coding.undo.Edit.finish`` does
    (that layer sits above this one): the redo tail goes, the inverse is the ops reversed."""
    s.execute(delete(EditHistory).where(EditHistory.project_id == pid, EditHistory.actor == actor,
                                        EditHistory.undone.is_(True)))
    last = s.scalar(select(func.max(EditHistory.seq)).where(EditHistory.project_id == pid,
                                                            EditHistory.actor == actor))
    s.add(EditHistory(project_id=pid, actor=actor, seq=(last or 0) + 1, kind=kind, description=description,
                      forward=json.dumps(ops, ensure_ascii=False),
                      inverse=json.dumps([_invert(op) for op in reversed(ops)], ensure_ascii=False),
                      undone=False))
    s.flush()


# -- what a grouping looks like ---------------------------------------------------------------------------


def _view(s: Session, attr: Attribute, grouping: AttributeGrouping, source: Attribute) -> dict:
    mapping = json.loads(grouping.mapping)
    values = _values_by_guid(s, attr.id)
    counts = Counter(values.values())
    expected = _derive(s, source.id, mapping)
    groups = list(dict.fromkeys([*mapping.values(), *sorted(counts, key=str.casefold)]))
    return {
        "name": attr.name,
        "source": source.name,
        "mapping": mapping,
        "groups": [{"name": g, "participants": counts.get(g, 0),
                    "values": [v for v, group in mapping.items() if group == g]} for g in groups],
        "participants": len(values),
        # participants whose value no longer follows the mapping (new participants, changed
        # source values, an edited value): regroup() re-applies it
        "stale": sum(values.get(g) != expected.get(g) for g in set(values) | set(expected)),
        "guid": attr.guid,
    }


# -- writes -------------------------------------------------------------------------------------------------


@retrying
def group_attribute(db: Database, source: str, name: str, mapping: Mapping[str, str], *,
                    other: str | None = None, actor: str | None = None, record: bool = True) -> dict:
    """Create attribute ``name`` whose values group ``source``'s values by ``mapping``.

    ``mapping``: ``{source value: group}``; every value some participant has must be mapped, or
    ``other`` names the group of all the rest (see the module docstring for every rule).
    Returns the grouping as :func:`list_groupings` shows it. Recorded in ``actor``'s undo
    history unless ``record=False``. Raises :class:`GroupingError` (nothing changes).
    """
    name = _label(name, "the new attribute's name", "'stakeholder group'")
    mapping = _clean_mapping(mapping)
    other = _label(other, "the group for the other values", "'Other'") if other is not None else None
    who = actor or default_actor()
    with db.session() as s:
        pid = db.project_id(s)
        authorize(s, pid, who, "create", ENTITY, {})  # before any look-up: a refusal says why
        src = _find_attribute(s, pid, source)
        _name_free(s, pid, name)
        counts = _value_counts(s, src.id)
        if not counts:
            raise GroupingError(f"no participant has a value of {src.name!r} yet; import their "
                                "attributes first (`qualcode import --attributes FILE`)")
        full = _resolve(counts, mapping, other, src.name, absent_ok=False)
        op = {"op": "create_grouping", "row": {
            "attribute": {"guid": new_guid(), "name": name}, "source": {"guid": src.guid, "name": src.name},
            "mapping": full, "values": _derive(s, src.id, full)}}
        attr = _create(s, pid, op, who, KINDS[0])
        if record:
            _record(s, pid, who, KINDS[0], f"group {src.name} into {name}", [op])
        grouping = s.scalar(select(AttributeGrouping).where(AttributeGrouping.attribute_id == attr.id))
        return _view(s, attr, grouping, src)


@retrying
def regroup(db: Database, name: str, mapping: Mapping[str, str] | None = None, *, other: str | None = None,
            actor: str | None = None, record: bool = True) -> dict:
    """Re-apply grouping ``name`` to the current values of its source, or change its mapping.

    Without ``mapping`` the stored mapping is applied again (participants added or changed
    since get their group; a value nobody had before needs ``other`` or a new mapping). With
    ``mapping`` it replaces the stored one, under the same rules as :func:`group_attribute`.
    Returns the grouping as :func:`list_groupings` shows it plus ``"changed"``: how many
    participants' values changed (0: nothing was done or recorded).
    """
    new = _clean_mapping(mapping) if mapping is not None else None
    other = _label(other, "the group for the other values", "'Other'") if other is not None else None
    who = actor or default_actor()
    with db.session() as s:
        pid = db.project_id(s)
        authorize(s, pid, who, "update", ENTITY, {})
        attr, grouping, src = _grouping_of(s, pid, name)
        stored = json.loads(grouping.mapping)
        counts = _value_counts(s, src.id)
        full = _resolve(counts, new if new is not None else stored, other, src.name, absent_ok=new is None)
        before = _current(s, attr)
        after = {"mapping": full, "values": _derive(s, src.id, full)}
        changed = sum(before["values"].get(g) != after["values"].get(g)
                      for g in set(before["values"]) | set(after["values"]))
        if before != after:
            op = {"op": "update_grouping", "guid": attr.guid, "name": attr.name, "before": before, "after": after}
            _update(s, pid, op, who, KINDS[1])
            if record:
                _record(s, pid, who, KINDS[1], f"regroup {attr.name} ({changed} participant"
                        f"{'s' if changed != 1 else ''} changed)", [op])
        return {**_view(s, attr, grouping, src), "changed": changed}


@retrying
def ungroup(db: Database, name: str, *, actor: str | None = None, record: bool = True) -> dict:
    """Remove grouping ``name``: the derived attribute, its values and its definition.

    The source attribute is untouched. Refused while another grouping is made from this one.
    Returns the grouping as it was (as :func:`list_groupings` showed it); undo brings it back.
    """
    who = actor or default_actor()
    with db.session() as s:
        pid = db.project_id(s)
        authorize(s, pid, who, "delete", ENTITY, {})
        attr, grouping, src = _grouping_of(s, pid, name)
        _refuse_if_source(s, attr, GroupingError)
        view = _view(s, attr, grouping, src)
        op = {"op": "delete_grouping", "row": {
            "attribute": {"guid": attr.guid, "name": attr.name}, "source": {"guid": src.guid, "name": src.name},
            **_current(s, attr)}}
        _delete(s, pid, op, who, KINDS[2])
        if record:
            _record(s, pid, who, KINDS[2], f"ungroup {view['name']} (grouped from {src.name})", [op])
        return view


# -- reads ---------------------------------------------------------------------------------------------------


@read_only
def list_groupings(db: Database, *, viewer: str | None = None) -> list[dict]:
    """Every grouping by name: ``{"name", "source", "mapping", "groups": [{"name",
    "participants", "values"}], "participants", "stale", "guid"}`` (groups in mapping order;
    ``stale``: participants whose value no longer follows the mapping, see :func:`regroup`).

    ``viewer``: the acting user; with accounts they must be an active member of the project.
    """
    with db.session() as s:
        pid = db.project_id(s)
        reader(s, pid, viewer)
        rows = s.execute(select(AttributeGrouping, Attribute).join(Attribute, Attribute.id == AttributeGrouping.attribute_id)
                         .where(AttributeGrouping.project_id == pid)).all()
        views = [_view(s, attr, g, s.get(Attribute, g.source_attribute_id)) for g, attr in rows]
        return sorted(views, key=lambda v: v["name"].casefold())


def _number(value: str) -> tuple:
    try:
        return (0, float(value), value)
    except ValueError:  # a number attribute holds numbers; text sorts after them, just in case
        return (1, 0.0, value)


@read_only
def list_attributes(db: Database, *, viewer: str | None = None) -> list[dict]:
    """Every participant attribute in the order they were made: ``{"name", "type",
    "participants" (how many have a value), "values": {value: participants} (alphabetical;
    numbers in numeric order),
    "grouped_from": source attribute name, or None for an imported attribute}``."""
    with db.session() as s:
        pid = db.project_id(s)
        reader(s, pid, viewer)
        sources = dict(s.execute(select(AttributeGrouping.attribute_id, Attribute.name)
                                 .join(Attribute, Attribute.id == AttributeGrouping.source_attribute_id)
                                 .where(AttributeGrouping.project_id == pid)).all())
        out = []
        for attr in _attributes(s, pid):
            counts = _value_counts(s, attr.id)
            order = sorted(counts, key=_number if attr.type == "number" else str.casefold)
            out.append({"name": attr.name, "type": attr.type, "participants": sum(counts.values()),
                        "values": {v: counts[v] for v in order},
                        "grouped_from": sources.get(attr.id)})
        return out


@read_only
def participant_table(db: Database, *, viewer: str | None = None) -> dict:
    """Participants × attributes: ``{"attributes": [names], "rows": [{"participant",
    "documents": [names], "values": {attribute: value}}]}``, participants by id (values as
    stored text; a missing value is left out)."""
    with db.session() as s:
        pid = db.project_id(s)
        reader(s, pid, viewer)
        attrs = _attributes(s, pid)
        names = {a.id: a.name for a in attrs}
        people = s.scalars(select(Participant).where(Participant.project_id == pid)
                           .order_by(Participant.external_id)).all()
        docs: dict[int, list[str]] = {}
        for person_id, doc in s.execute(select(Document.participant_id, Document.name)
                                        .where(Document.project_id == pid, Document.participant_id.isnot(None))
                                        .order_by(Document.name)):
            docs.setdefault(person_id, []).append(doc)
        values: dict[int, dict[int, str]] = {}
        for person_id, attr_id, value in s.execute(
                select(AttributeValue.participant_id, AttributeValue.attribute_id, AttributeValue.value)
                .join(Attribute, Attribute.id == AttributeValue.attribute_id).where(Attribute.project_id == pid)):
            values.setdefault(person_id, {})[attr_id] = value
        rows = []
        for p in people:
            mine = values.get(p.id, {})
            rows.append({"participant": p.external_id, "documents": docs.get(p.id, []),
                         "values": {names[a]: mine[a] for a in names if a in mine}})
        return {"attributes": list(names.values()), "rows": rows}
