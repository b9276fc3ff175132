"""``qualcode stats frequencies|cooccurrence`` and ``qualcode export excerpts``.

``export`` is shared with the interchange commands (``export qdpx``): :func:`register` adds
:data:`excerpts_command` to the ``export`` group whichever family registers first (see there).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import click

from qualcode.cli.common import cli_user, fail, open_db


def _load(ctx, coder: str | None = None):
    from qualcode.analysis.data import AnalysisError, load

    try:
        return load(open_db(ctx), coders=[coder] if coder else None, viewer=cli_user())
    except AnalysisError as exc:
        fail(str(exc))


def _write_text(text: str) -> None:
    click.echo(text, nl=not text.endswith("\n"))


@click.group()
def stats() -> None:
    """Theme frequencies and code co-occurrence (CSV or JSON on stdout)."""


@stats.command("frequencies")
@click.option("--by", metavar="document|coder|speaker|attribute:NAME", help="Break the counts down.")
@click.option("--coder", help="Only this coder's codings (default: all coders, pooled).")
@click.option("--no-rollup", is_flag=True, help="Count each code's own codings only (themes not summed).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.pass_context
def stats_frequencies(ctx, by, coder, no_rollup, fmt) -> None:
    """Codings, documents, participants and words coded per code and theme.

    Words coded count the union of coded text, so overlapping codings are not counted twice.
    JSON: {"by": ..., "coders": ..., "rows": [{"code": path, "depth", [by], "codings",
    "documents", "participants", "words"}...]}.
    """
    from qualcode.analysis.data import AnalysisError
    from qualcode.analysis.frequencies import frequencies

    data = _load(ctx, coder)
    try:
        table = frequencies(data, by=by, rollup=not no_rollup)
    except AnalysisError as exc:
        fail(str(exc))
    if fmt == "json":
        rows = json.loads(table.to_json(orient="records", force_ascii=False))
        _write_text(json.dumps({"by": by, "coders": table.attrs["coders"], "rollup": not no_rollup,
                                "rows": rows}, ensure_ascii=False, indent=2))
    else:
        from qualcode.analysis import excerpts as ex

        # Formula-looking cells (a code named "=1+2") are neutralised, as in every CSV we write.
        _write_text(ex.to_csv(table).decode("utf-8"))


@stats.command("cooccurrence")
@click.option("--unit", type=click.Choice(["overlap", "sentence", "turn", "window", "document", "participant"]),
              default="overlap", show_default=True, help="What counts as occurring together.")
@click.option("--window", type=int, default=1, show_default=True, help="N for --unit window (sentences).")
@click.option("--measure", type=click.Choice(["count", "jaccard", "conditional"]), default="count",
              show_default=True, help="count = n12; jaccard = n12/(n1+n2-n12); conditional = P(column|row).")
@click.option("--coder", help="Only this coder's codings (default: all coders, pooled).")
@click.option("--rows", "rows_branch", metavar="PATH", help="Cross matrix: rows from this branch.")
@click.option("--columns", "columns_branch", metavar="PATH", help="Cross matrix: columns from this branch.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.pass_context
def stats_cooccurrence(ctx, unit, window, measure, coder, rows_branch, columns_branch, fmt) -> None:
    """The code co-occurrence matrix, codes given by full path.

    JSON: {"unit", "measure", "coders", "codes": [path...], "matrix": [[number...]...]} (with
    "columns" too for a cross matrix; empty cells are null).
    """
    from qualcode.analysis.cooccurrence import cooccurrence
    from qualcode.analysis.data import AnalysisError

    data = _load(ctx, coder)
    try:
        m = cooccurrence(data, unit=unit, measure=measure, window=window, rows=rows_branch,
                         columns=columns_branch)
    except AnalysisError as exc:
        fail(str(exc))
    if fmt == "json":
        out = {"unit": unit, "measure": measure, "coders": m.attrs["coders"], "codes": list(m.index),
               "matrix": [[None if math.isnan(v) else (int(v) if measure == "count" else float(v)) for v in row]
                          for row in m.to_numpy().tolist()]}
        if list(m.columns) != list(m.index):
            out["columns"] = list(m.columns)
        if unit == "window":
            out["window"] = window
        _write_text(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        from qualcode.analysis import excerpts as ex

        _write_text(ex.to_csv(m.reset_index()).decode("utf-8"))


@click.command("excerpts")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "docx", "md", "json"]), default="csv",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (required for xlsx and docx; default: stdout).")
@click.option("--code", "code_path", metavar="PATH", help="Only this code and the codes below it.")
@click.option("--coder", help="Only this coder's codings.")
@click.option("--context", default="100", show_default=True,
              help="Characters of context before and after, or 'sentence'.")
@click.pass_context
def excerpts_command(ctx, fmt, output, code_path, coder, context) -> None:
    """Export coded excerpts: document, participant attributes, speaker, timestamp, code, coder,
    offsets, excerpt, context and memo. CSV and XLSX neutralise cells starting with = + - @."""
    from qualcode.analysis import excerpts as ex
    from qualcode.analysis.data import AnalysisError

    if fmt in ("xlsx", "docx") and output is None:
        fail(f"--format {fmt} is a binary file: give -o FILE")
    data = _load(ctx, coder)
    try:
        table = ex.excerpts(data, code=code_path, context=context if context == "sentence" else int(context))
    except ValueError as exc:
        fail(str(exc) if isinstance(exc, AnalysisError) else f"--context must be a number or 'sentence' ({exc})")
    payload = {
        "csv": lambda: ex.to_csv(table),
        "xlsx": lambda: ex.to_xlsx(table),
        "docx": lambda: ex.to_docx(table),
        "md": lambda: ex.to_markdown(table).encode("utf-8"),
        "json": lambda: ex.to_json(table).encode("utf-8"),
    }[fmt]()
    if output is None:
        sys.stdout.buffer.write(payload)
        sys.stdout.flush()
    else:
        output.write_bytes(payload)
        click.echo(f"wrote {len(table)} excerpts to {output}", err=True)


def register(main: click.Group) -> None:
    """Add ``stats`` and ``export excerpts`` to the ``qualcode`` group, in any order with interchange.

    An ``export`` group already on ``main`` gets the command; otherwise it goes into
    interchange's ``export_group`` (which interchange registers itself, before or after this),
    or, when that module is absent, into a new ``export`` group of our own.
    """
    main.add_command(stats)
    group = main.commands.get("export")
    if not isinstance(group, click.Group):
        try:
            from qualcode.cli.interchange import export_group as group
        except ImportError:
            group = click.Group("export", help="Export coded excerpts and projects.")
        main.add_command(group)
    group.add_command(excerpts_command)
