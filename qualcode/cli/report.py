"""``qualcode report themes``: the theme × group table with key quotes, as a file.

A thin wrapper over :func:`qualcode.analysis.themes.theme_table`, :func:`~qualcode.analysis.
themes.theme_quotes` and :mod:`qualcode.analysis.theme_report`. Heavy libraries (pandas, the
writers) are imported inside the command, so ``qualcode --help`` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from qualcode.cli.analysis import set_options
from qualcode.cli.common import cli_user, fail, open_db


@click.group("report")
def report() -> None:
    """Paper-ready reports built from the codings."""


@report.command("themes")
@click.option("--by", "by", required=True, metavar="attribute:NAME|group",
              help="Columns: the values of a participant attribute (e.g. attribute:role, or a derived "
                   "grouping such as 'attribute:stakeholder group'), or the document groups.")
@click.option("--depth", type=int, metavar="K",
              help="Rows: the codes at depth K, codes below rolled up (0 = top-level themes; the default).")
@click.option("--level", is_flag=True, help="Rows: the codebook's levels, across branches (instead of --depth).")
@click.option("--per-branch", is_flag=True,
              help="With --level: one row per top-level branch and level (Barriers · Institutional).")
@click.option("--theme", "themes", multiple=True, metavar="THEME",
              help="Only this row, or the rows under this code path (repeatable).")
@set_options
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "xlsx", "docx", "md"]), default="md",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (required for xlsx and docx; default: stdout).")
@click.option("--quotes", type=click.IntRange(min=0), default=3, show_default=True, metavar="N",
              help="Key quotes per theme in docx, md, xlsx and json (0: none).")
@click.option("--fallback", is_flag=True,
              help="A theme without a starred quote shows up to N passages coded by the most coders, "
                   "labelled as chosen automatically.")
@click.option("--include-uncoded", is_flag=True,
              help="Count participants whose documents the set never coded in the group sizes.")
@click.option("--title", help="The document's title (default: Themes by NAME).")
@click.pass_context
def themes_command(ctx, by, depth, level, per_branch, themes, coding_set, coder, fmt, output, quotes, fallback,
                   include_uncoded, title) -> None:
    """Participants of each group who raised each theme: n and % of the group, group sizes in the
    header, a Total column; with each theme's key quotes (starred codings, one per passage, with
    participant id and group).

    A participant raised a theme when at least one passage of a code under it is in their
    documents, in the coding set. JSON: {"set", "by", "depth"|"level", "groups": [{"name",
    "participants"}], "rows": [{"theme", "cells": {GROUP: {"participants", "percent"}},
    "total": {...}, "quotes"}], "note"}.
    """
    from qualcode.analysis import theme_report
    from qualcode.analysis.data import AnalysisError, load
    from qualcode.analysis.themes import theme_quotes, theme_table

    if fmt in theme_report.BINARY and output is None:
        fail(f"--format {fmt} is a binary file: give -o FILE")
    if level and depth is not None:
        fail("choose --depth K or --level, not both")
    if coder and coding_set:
        fail(f"--coder {coder} is short for --set coder:{coder}: give one of them, not both")
    try:
        data = load(open_db(ctx), viewer=cli_user(), coding_set=coding_set or (f"coder:{coder}" if coder else None))
        table = theme_table(data, by=by, depth=depth, level=level, per_branch=per_branch,
                            themes=list(themes) or None, include_uncoded=include_uncoded)
        picked = theme_quotes(data, table, limit=quotes, fallback=fallback) \
            if quotes > 0 and fmt != "csv" else None
    except AnalysisError as exc:
        fail(str(exc))
    payload = theme_report.render(table, fmt, picked, title=title)
    if fmt != "json" and data.coding_set.note:  # JSON carries it in "set"; a file might hide it
        click.echo(f"note: {data.coding_set.note}", err=True)
    if output is None:
        sys.stdout.buffer.write(payload if payload.endswith(b"\n") else payload + b"\n")
        sys.stdout.flush()
    else:
        output.write_bytes(payload)
        click.echo(f"wrote {len(table.themes)} themes × {len(table.groups)} groups to {output}", err=True)


def register(main: click.Group) -> None:
    """Add ``report`` to the ``qualcode`` group."""
    main.add_command(report)
