"""``qualcode attributes list|group|regroup|ungroup``: participant attributes and derived groupings.

Thin wrappers over :mod:`qualcode.project.attribute_groups` (mapping files and ``--map`` pairs
are read by :mod:`qualcode.project.attribute_mapping`). Errors (an unknown attribute, a taken
name, a value without a group, a typo in the mapping, a bad mapping file) go to stderr with exit
status 1 and leave the database untouched. Writes act as ``QUALCODE_USER`` (owners only, with
accounts); ``list`` reads as ``QUALCODE_USER``.
"""

from __future__ import annotations

from pathlib import Path

import click

from qualcode.cli.common import cli_user, emit, fail, open_db

_EXAMPLE = """
\b
Example (the sample project's roles as three stakeholder groups):
  qualcode attributes group "stakeholder group" --from role \\
    --map "program director=Leadership and faculty" \\
    --map "designated institutional official=Leadership and faculty" \\
    --map "faculty=Leadership and faculty" \\
    --map "visiting medical student=Trainees" --map "IMG=Trainees" \\
    --other "Administrators and coordinators"
"""


def _run(call):
    from qualcode.project.attribute_groups import GroupingError
    from qualcode.project.attribute_mapping import MappingFileError

    try:
        return call()
    except (GroupingError, MappingFileError) as exc:
        fail(str(exc))


def _mapping(pairs: tuple[str, ...], map_file: Path | None) -> dict[str, str] | None:
    """The mapping given by ``--map-file`` and ``--map`` (both may be used; they must agree)."""
    from qualcode.project.attribute_mapping import parse_pairs, read_mapping

    if not pairs and map_file is None:
        return None
    mapping = read_mapping(map_file.read_bytes(), map_file.name) if map_file is not None else {}
    for value, group in parse_pairs(pairs).items():
        if mapping.get(value, group) != group:
            fail(f"{value!r} is mapped to {mapping[value]!r} in {map_file.name} and to {group!r} by --map; keep one")
        mapping[value] = group
    return mapping


def _describe(view: dict) -> None:
    for group in view["groups"]:
        values = ", ".join(group["values"]) or "(no value maps here now)"
        click.echo(f"  {group['name']} ({group['participants']}): {values}")
    if view.get("stale"):
        click.echo(f"  {view['stale']} participant(s) no longer follow the mapping: "
                   f"`qualcode attributes regroup {view['name']!r}` re-applies it")


_map_options = [
    click.option("--map", "pairs", multiple=True, metavar="VALUE=GROUP",
                 help="Put participants whose source value is VALUE in GROUP (split at the first '='); "
                      "repeat for every value."),
    click.option("--map-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                 help="The mapping from a file: CSV with a header and two columns (value, group), or "
                      "YAML ('value: group' lines, or 'group: [value, value]')."),
    click.option("--other", metavar="GROUP",
                 help="The group of every value the mapping leaves out (without it, such values are "
                      "refused and listed)."),
    click.option("--json", "as_json", is_flag=True, help="Print the grouping as JSON."),
]


def _with_map_options(fn):
    for option in reversed(_map_options):
        fn = option(fn)
    return fn


@click.group("attributes")
def attributes_cmd() -> None:
    """Participant attributes, and new attributes that group another one's values."""


@attributes_cmd.command("list", short_help="List attributes, their values and groupings.")
@click.option("--json", "as_json", is_flag=True,
              help='Print JSON: [{"name", "type", "participants", "values": {value: n}, "grouped_from", '
                   '"mapping"}].')
@click.pass_context
def list_cmd(ctx, as_json: bool) -> None:
    """List participant attributes with their values and how many participants have each;
    groupings show where their values come from."""
    from qualcode.project.attribute_groups import list_attributes, list_groupings

    db = open_db(ctx)
    attributes = list_attributes(db, viewer=cli_user())
    groupings = {g["name"]: g for g in list_groupings(db, viewer=cli_user())}
    if as_json:
        emit([{**a, "mapping": groupings[a["name"]]["mapping"] if a["name"] in groupings else None}
              for a in attributes])
        return
    if not attributes:
        click.echo("no participant attributes yet (import them with `qualcode import --attributes FILE`)")
    for a in attributes:
        if a["name"] in groupings:
            click.echo(f"{a['name']} (grouped from {a['grouped_from']}, {a['participants']} participants):")
            _describe(groupings[a["name"]])
        else:
            values = ", ".join(f"{v} ({n})" for v, n in a["values"].items())
            click.echo(f"{a['name']} ({a['type']}, {a['participants']} participants): {values}")


@attributes_cmd.command("group", epilog=_EXAMPLE, short_help="Group an attribute's values into a new attribute.")
@click.argument("name")
@click.option("--from", "source", required=True, metavar="ATTRIBUTE", help="The attribute whose values are grouped.")
@_with_map_options
@click.pass_context
def group_cmd(ctx, name: str, source: str, pairs, map_file, other, as_json: bool) -> None:
    """Make attribute NAME by grouping the values of another attribute (e.g. role → stakeholder group).

    Every value some participant has must get a group (or --other catches the rest), and every
    value mapped must be one that participants have, so a typo is caught. NAME is an ordinary
    attribute afterwards: analyses, filters and exports see it. `qualcode attributes ungroup NAME`
    takes it back.
    """
    from qualcode.project.attribute_groups import group_attribute

    view = _run(lambda: group_attribute(open_db(ctx), source, name, _mapping(pairs, map_file) or {},
                                        other=other))
    if as_json:
        emit(view)
        return
    click.echo(f"grouped {view['source']} into {view['name']!r} ({view['participants']} participants):")
    _describe(view)


@attributes_cmd.command("regroup", short_help="Re-apply a grouping, or change its mapping.")
@click.argument("name")
@_with_map_options
@click.pass_context
def regroup_cmd(ctx, name: str, pairs, map_file, other, as_json: bool) -> None:
    """Apply grouping NAME again to its source's current values, or give it a new mapping.

    Without --map/--map-file the stored mapping is applied again (after new participants were
    imported, say); a value nobody had before needs --other or a new mapping.
    """
    from qualcode.project.attribute_groups import regroup

    view = _run(lambda: regroup(open_db(ctx), name, _mapping(pairs, map_file), other=other))
    if as_json:
        emit(view)
        return
    click.echo(f"regrouped {view['name']!r} from {view['source']}: {view['changed']} participant(s) changed")
    _describe(view)


@attributes_cmd.command("ungroup", short_help="Remove a grouping (its source stays).")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the removed grouping as JSON.")
@click.pass_context
def ungroup_cmd(ctx, name: str, as_json: bool) -> None:
    """Remove grouping NAME (the attribute it made and its values); its source stays as it is."""
    from qualcode.project.attribute_groups import ungroup

    view = _run(lambda: ungroup(open_db(ctx), name))
    if as_json:
        emit(view)
        return
    click.echo(f"removed {view['name']!r} (grouped from {view['source']}, {view['participants']} participants)")


def register(main: click.Group) -> None:
    """Add this family's commands to ``main``."""
    main.add_command(attributes_cmd)
