"""``qualcode`` commands for agreement: on a reliability-data CSV (``agreement-table``), on spans
along a continuum (``agreement-spans``) and on the project's codings (``agreement``)."""

from __future__ import annotations

from pathlib import Path

import click

from qualcode.cli.common import cli_user, emit, fail, open_db

_METRICS = ("percent", "cohen", "scott", "fleiss", "ac1", "bp", "alpha")


def _split(values: tuple[str, ...]) -> list[str] | None:
    """Repeatable options that also take comma-separated lists."""
    out = [part.strip() for v in values for part in v.split(",") if part.strip()]
    return out or None


def _fmt(v) -> str:
    return "undefined" if v is None else f"{v:.3f}"


@click.command("agreement-table")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--metric", required=True, type=click.Choice(_METRICS),
              help="percent agreement, Cohen's kappa, Scott's pi, Fleiss' kappa, Gwet's AC1, "
                   "Brennan-Prediger or Krippendorff's alpha.")
@click.option("--level", type=click.Choice(["nominal", "ordinal", "interval", "ratio"]),
              default="nominal", show_default=True, help="Level of measurement (alpha).")
@click.option("--order", metavar='"low,mid,high"',
              help="Categories from lowest to highest (ordinal alpha, weighted statistics).")
@click.option("--weights", type=click.Choice(["linear", "quadratic"]),
              help="Weighted Cohen's kappa (or AC2 with --metric ac1).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def agreement_table(file: Path, metric, level, order, weights, as_json) -> None:
    """One agreement statistic on reliability data: a CSV with a unit id column, then one
    column per coder (an empty cell where a coder gave no value)."""
    from qualcode.agreement import stats as ag
    from qualcode.agreement.reliability_data import ReliabilityDataError, read_reliability_csv

    try:
        data = read_reliability_csv(file)
    except ReliabilityDataError as exc:
        fail(str(exc))
    order_list = [v.strip() for v in order.split(",")] if order else None
    if order_list and data.numeric:
        try:
            order_list = [float(v) for v in order_list]
        except ValueError:
            fail(f"--order {order!r} must list numbers: the table's values are numbers")
    try:
        result = ag.compute(metric, data, level=level, order=order_list, weights=weights)
    except ValueError as exc:
        fail(f"{file.name}: {exc}")
    d = result.to_dict()
    out = {"metric": metric, "level": d["level"], "value": d["value"], "units": d["units"],
           "coders": d["coders"]}
    if as_json:
        emit(out)
        return
    click.echo(f"{metric} ({out['level']}) = {_fmt(out['value'])} on {out['units']} units, "
               f"{out['coders']} coders")


def _continuum(text: str) -> tuple[int, int]:
    try:
        a, b = (int(p) for p in text.split(":"))
    except ValueError:
        fail(f"--continuum {text!r} must be START:END (whole numbers, e.g. 0:1000)")
    if b <= a:
        fail(f"--continuum {text!r} is empty: END must be after START")
    return a, b


@click.command("agreement-spans")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--continuum", required=True, metavar="START:END",
              help="The continuum the spans lie on (half-open, e.g. 0:1000).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def agreement_spans(file: Path, continuum: str, as_json: bool) -> None:
    """Krippendorff's unitizing alpha per code from a CSV of coder,code,start,end spans
    (every coder in the file counts for every code)."""
    from qualcode.agreement import stats as ag
    from qualcode.agreement.reliability_data import ReliabilityDataError, parse_spans_csv

    lo, hi = _continuum(continuum)
    try:
        data = parse_spans_csv(file.read_bytes(), file.name, continuum=(lo, hi))
    except ReliabilityDataError as exc:
        fail(str(exc))
    if len(data.coders) < 2:
        fail(f"{file.name}: unitizing alpha needs two or more coders; the file names only "
             f"{', '.join(data.coders)}")
    codes = {}
    for code in data.codes:
        r = ag.unitizing_alpha((lo, hi), data.for_code(code))
        d = r.to_dict()
        codes[code] = {"alpha": d["alpha"], "observed_disagreement": d["observed_disagreement"],
                       "expected_disagreement": d["expected_disagreement"]}
    if as_json:
        emit({"codes": codes})
        return
    for code, d in codes.items():
        click.echo(f"{code}: alpha = {_fmt(d['alpha'])} (D_o = {d['observed_disagreement']:.6g}, "
                   f"D_e = {_fmt(d['expected_disagreement'])})")


@click.command("agreement")
@click.option("--coders", "coders", multiple=True, metavar="A,B,...",
              help="Coders to compare (two or more; default: every coder except consensus).")
@click.option("--unit", type=click.Choice(["sentence", "turn", "paragraph", "character", "document"]),
              default="sentence", show_default=True, help="The unit each coder coded 1 or 0.")
@click.option("--documents", "documents", multiple=True, metavar="NAME,...",
              help="Only these documents (default: all).")
@click.option("--rollup", is_flag=True, help="A coding of a subcode counts for the codes above it.")
@click.option("--exclude-suggested", is_flag=True,
              help="Leave out codings accepted from code suggestions (not independent judgements); "
                   "the methods paragraph says so.")
@click.option("--missing", type=click.Choice(["comparable", "gwet"]), default="comparable",
              show_default=True,
              help="comparable: statistics on the units every compared coder rated (documents "
                   "each of them coded); gwet: Gwet's missing-data treatment, every unit included "
                   "(named in the output).")
@click.option("--draws", type=click.IntRange(0), default=1000, show_default=True,
              help="Bootstrap resamples for alpha's 95% interval (0: none).")
@click.option("--export", "export", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the table to FILE.csv or FILE.xlsx.")
@click.option("--methods", is_flag=True, help="Print the methods paragraph.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def agreement(ctx, coders, unit, documents, rollup, exclude_suggested, missing, draws, export,
              methods, as_json) -> None:
    """Inter-coder agreement per code on the project's codings: the units compared (rated by
    every coder, and per pair), the per-code summary, the pooled figure, then each code."""
    from qualcode.agreement.methods import UNIT_WORDS
    from qualcode.agreement.report import build_report, export_table, methods_paragraph
    from qualcode.agreement.summary import compared_line, lead_line, missing_line, pairs_line, pooled_caution
    from qualcode.agreement.units import AgreementInputError, build_unit_matrix

    if export is not None and export.suffix.lower() not in (".csv", ".xlsx"):
        fail(f"--export {export.name}: the file must end in .csv or .xlsx")
    try:
        matrix = build_unit_matrix(open_db(ctx), coders=_split(coders), unit=unit, viewer=cli_user(),
                                   documents=_split(documents), rollup=rollup,
                                   exclude_suggested=exclude_suggested)
    except AgreementInputError as exc:
        fail(str(exc))
    report = build_report(matrix, draws=draws, missing=missing)
    if export is not None:
        export_table(report, export)
        click.echo(f"wrote {len(report.table)} codes to {export}", err=True)
    if as_json:
        out = report.as_dict()
        if methods:
            out["methods"] = methods_paragraph(report)
        emit(out)
        return
    if methods:
        click.echo(methods_paragraph(report))
        return
    two = len(matrix.coders) == 2
    kappa = "cohen" if two else "fleiss"
    click.echo(compared_line(report.comparable, unit))
    pairs = pairs_line(report.pairs)
    if pairs:
        click.echo(pairs)
    click.echo(missing_line(missing, report.comparable)
               + ("" if missing == "gwet" else " (--missing gwet: Gwet's missing-data treatment)"))
    click.echo(lead_line(report.overall["per_code"]))
    pooled = report.overall.get("pooled")
    if pooled:
        click.echo(f"Pooled over codes: percent {pooled['percent']:.3f}, {kappa} "
                   f"{_fmt(pooled[kappa])}, alpha {_fmt(pooled['alpha'])}, AC1 "
                   f"{_fmt(pooled['ac1'])} — "
                   + pooled_caution(report.overall["absent_share"], UNIT_WORDS[unit][0]))
    for row in report.table.to_dict("records"):
        ci = ""
        if _n(row["alpha_low"]) is not None:
            ci = f" [{row['alpha_low']:.3f}, {row['alpha_high']:.3f}]"
        click.echo(f"{row['code']}: percent {row['percent']:.3f}, {kappa} {_fmt(_n(row[kappa]))}, "
                   f"alpha {_fmt(_n(row['alpha']))}{ci}, AC1 {_fmt(_n(row['ac1']))} "
                   f"— {row['verdict']}")
    if report.paradox:
        click.echo(report.paradox["note"])


def _n(v):
    """A table cell as a number or None (pandas holds undefined statistics as NaN)."""
    import math

    return None if v is None or math.isnan(v) else v


def register(main: click.Group) -> None:
    """Add this module's commands to the ``qualcode`` group."""
    for command in (agreement_table, agreement_spans, agreement):
        main.add_command(command)
