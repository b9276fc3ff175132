"""``qualcode stats frequencies|cooccurrence`` and ``qualcode export excerpts``.

Every command here runs on one **coding set** (``--set consensus | coders:A,B,... |
coder:NAME``; ``--coder NAME`` is kept as a short form of ``--set coder:NAME``). Without
``--set`` the library chooses (``qualcode.analysis.data.load``): the consensus layer when it
covers every document in scope, else all coders as passages, with a note saying so. JSON output
carries ``"set": {"kind", "coders"[, "note"]}``; CSV starts with ``# set: ...`` comment lines;
in text output (CSV, Markdown, files) the default's note is also printed to stderr.

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


def _check_set(_ctx, _param, value: str | None) -> str | None:
    """Parse ``--set`` up front, so a typo is a usage error naming the accepted forms."""
    from qualcode.analysis.data import AnalysisError, parse_set

    try:
        parse_set(value)
    except AnalysisError as exc:
        raise click.BadParameter(str(exc)) from exc
    return value


class _SetOption(click.Option):
    """``--set``, whose help text is the library's ``SET_HELP``, read only when help is shown
    (importing the analysis library costs half a second every command would pay)."""

    def get_help_record(self, ctx):
        from qualcode.analysis.data import SET_HELP

        self.help = f"Whose codings to count: {SET_HELP}."
        return super().get_help_record(ctx)


def set_options(command):
    """``--set`` and its older short form ``--coder`` (see the module docstring)."""
    command = click.option("--coder", metavar="NAME",
                           help="Short for --set coder:NAME (one coder's codings).")(command)
    return click.option("--set", "coding_set", metavar="SET", cls=_SetOption, callback=_check_set,
                        help="Whose codings to count (see --help).")(command)


def _load(ctx, coding_set: str | None, coder: str | None):
    """The project's analysis data on the chosen coding set (errors end the command)."""
    from qualcode.analysis.data import AnalysisError, load

    if coder and coding_set:
        fail(f"--coder {coder} is short for --set coder:{coder}: give one of them, not both")
    try:
        return load(open_db(ctx), coding_set=coding_set or (f"coder:{coder}" if coder else None),
                    viewer=cli_user())
    except AnalysisError as exc:
        fail(str(exc))


def _note(data) -> None:
    """In text output, the default set's note goes to stderr (JSON carries it in "set")."""
    if data.coding_set.note:
        click.echo(f"note: {data.coding_set.note}", err=True)


def _write_text(text: str) -> None:
    click.echo(text, nl=not text.endswith("\n"))


@click.group()
def stats() -> None:
    """Theme frequencies and code co-occurrence on a coding set (CSV or JSON on stdout)."""


@stats.command("frequencies")
@click.option("--by", metavar="document|coder|speaker|attribute:NAME", help="Break the counts down.")
@set_options
@click.option("--no-rollup", is_flag=True, help="Count each code's own codings only (themes not summed).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.pass_context
def stats_frequencies(ctx, by, coding_set, coder, no_rollup, fmt) -> None:
    """Passages, codings, documents, participants and words coded per code and theme.

    A passage is one code's overlapping codings in a document from any coder of the set (two
    coders coding one sentence: 1 passage, 2 codings). Words coded count the union of coded
    text, so overlapping codings are not counted twice. JSON: {"set": {"kind", "coders"},
    "coders": label, "by", "rollup", "filters", "counted", "rows": [{"code": path, "depth",
    [by], "passages", "codings", "documents", "participants", "words"}...]}.
    """
    from qualcode.analysis.data import AnalysisError
    from qualcode.analysis.frequencies import frequencies

    data = _load(ctx, coding_set, coder)
    try:
        table = frequencies(data, by=by, rollup=not no_rollup)
    except AnalysisError as exc:
        fail(str(exc))
    if fmt == "json":
        rows = json.loads(table.to_json(orient="records", force_ascii=False))
        counted = {k: table.attrs[k] for k in ("passages", "words") if k in table.attrs}
        _write_text(json.dumps({"set": data.coding_set.as_dict(), "coders": table.attrs["coders"], "by": by,
                                "rollup": not no_rollup, "filters": table.attrs.get("filters", {}),
                                "counted": counted, "rows": rows}, ensure_ascii=False, indent=2))
    else:
        from qualcode.analysis import excerpts as ex

        _note(data)
        # Formula-looking cells (a code named "=1+2") are neutralised, as in every CSV we write.
        _write_text(ex.to_csv(table).decode("utf-8"))


def _number(value, measure: str):
    return None if math.isnan(value) else (int(value) if measure == "count" else float(value))


@stats.command("cooccurrence")
@click.option("--unit", type=click.Choice(["overlap", "sentence", "turn", "window", "document", "participant"]),
              default="overlap", show_default=True, help="What counts as occurring together.")
@click.option("--window", type=int, default=1, show_default=True,
              help="N for --unit window: two codings co-occur when some sentence of one is at most N "
                   "sentences from some sentence of the other (N = 1: neighbouring sentences).")
@click.option("--measure", type=click.Choice(["count", "jaccard", "conditional"]), default="count",
              show_default=True, help="count = n12; jaccard = n12/(n1+n2-n12); conditional = P(column|row).")
@set_options
@click.option("--rows", "rows_branch", metavar="PATH", help="Cross matrix: rows from this branch.")
@click.option("--columns", "columns_branch", metavar="PATH", help="Cross matrix: columns from this branch.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.pass_context
def stats_cooccurrence(ctx, unit, window, measure, coding_set, coder, rows_branch, columns_branch, fmt) -> None:
    """The code co-occurrence matrix, codes given by full path.

    Two codes co-occur only where one coder (or the consensus layer) applied both. The CSV
    starts with comment lines stating the set, unit, window and measure. JSON: {"set", "coders",
    "unit", "window", "measure", "counted", "codes": [path...], "matrix": [[number...]...],
    "n": {path: n1}, "frequency_flags": [[a, b]...], "out_of_range": [[a, b]...]} (with
    "columns" too for a cross matrix; empty cells are null).
    """
    from qualcode.analysis.cooccurrence import cooccurrence
    from qualcode.analysis.data import AnalysisError

    data = _load(ctx, coding_set, coder)
    try:
        m = cooccurrence(data, unit=unit, measure=measure, window=window, rows=rows_branch,
                         columns=columns_branch)
    except AnalysisError as exc:
        fail(str(exc))
    if fmt == "json":
        out = {"set": data.coding_set.as_dict(), "coders": m.attrs["coders"], "unit": unit,
               "window": window if unit == "window" else None, "measure": measure,
               "counted": m.attrs.get("counted"), "filters": m.attrs.get("filters", {}),
               "codes": list(m.index),
               "matrix": [[_number(v, measure) for v in row] for row in m.to_numpy().tolist()]}
        if list(m.columns) != list(m.index):
            out["columns"] = list(m.columns)
        out.update({"n": m.attrs.get("n", {}), "frequency_flags": m.attrs.get("frequency_flags", []),
                    "out_of_range": m.attrs.get("out_of_range", [])})
        _write_text(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        from qualcode.analysis import excerpts as ex

        _note(data)
        table = m.reset_index()
        table.attrs.update(m.attrs)
        _write_text(ex.to_csv(table).decode("utf-8"))


@click.command("excerpts")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "docx", "md", "json"]), default="csv",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (required for xlsx and docx; default: stdout).")
@click.option("--code", "code_path", metavar="PATH", help="Only this code and the codes below it.")
@set_options
@click.option("--context", default="100", show_default=True,
              help="Characters of context before and after, or 'sentence'.")
@click.pass_context
def excerpts_command(ctx, fmt, output, code_path, coding_set, coder, context) -> None:
    """Export coded excerpts, one per passage: document, participant attributes, speaker,
    timestamp, code, coders, codings, key quote, offsets, excerpt, context and memo.

    Overlapping codings of one code by several coders of the set are one passage (one row,
    its coders listed). Every format states the coding set (CSV: "# set:" lines first; XLSX: an
    "About" sheet; DOCX/Markdown: under the title; JSON: "set"). CSV and XLSX neutralise cells
    starting with = + - @."""
    from qualcode.analysis import excerpts as ex
    from qualcode.analysis.data import AnalysisError

    if fmt in ("xlsx", "docx") and output is None:
        fail(f"--format {fmt} is a binary file: give -o FILE")
    data = _load(ctx, coding_set, coder)
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
    if fmt != "json":
        _note(data)
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
