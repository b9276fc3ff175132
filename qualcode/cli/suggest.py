"""``qualcode suggest``: code suggestions learned from the project's own codings, offline.

``qualcode suggest DOCUMENT --json`` lists suggestions (nothing is stored: a person accepts them
in the app); ``qualcode suggest train`` trains and says what was learned and what was not;
``qualcode suggest evaluate`` measures the model against the keyword baseline, leaving one
document out at a time. Thin wrappers over :mod:`qualcode.suggest`. Suggestions are made for
``--coder`` (default ``QUALCODE_USER``); under blind coding they learn only from that coder.
"""

from __future__ import annotations

import click

from qualcode.cli.common import cli_user, emit, fail, open_db

ENGINE = click.option("--engine", type=click.Choice(["linear", "spacy"]), default="linear",
                      show_default=True, help="scikit-learn linear model, or spaCy textcat_multilabel.")
SET = click.option("--set", "coding_set", metavar="auto|mine|consensus|all|CODER",
                   help="Whose codings to learn from (default auto: consensus once adjudicated, "
                        "else the coder's own; under blind coding always the coder's own).")
CODER = click.option("--coder", help="Whom the suggestions are for (default: QUALCODE_USER).")
NO_CODEBOOK = click.option("--no-codebook", is_flag=True,
                           help="Do not add the codebook's definitions and examples as training text.")


def _run(call):
    from qualcode.project.codings import CodingError
    from qualcode.suggest import SuggestError
    from qualcode.team.access import AccessDenied

    try:
        return call()
    except (SuggestError, CodingError, AccessDenied, LookupError) as exc:
        fail(str(exc.args[0]) if exc.args else str(exc))


class _SuggestGroup(click.Group):
    """``qualcode suggest DOCUMENT``: a name that is not a subcommand is a document."""

    def resolve_command(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return "document", self.commands["document"], args
        return super().resolve_command(ctx, args)


@click.group("suggest", cls=_SuggestGroup, invoke_without_command=False)
def suggest_cmd() -> None:
    """Code suggestions learned from your own codings, trained and run on this machine.

    qualcode suggest DOCUMENT --json  lists [{"start", "end", "code", "score"}] for a document.
    """


@suggest_cmd.command("document")
@click.argument("document")
@CODER
@SET
@click.option("--threshold", type=click.FloatRange(0, 1), help="Lowest score shown (default: the engine's).")
@ENGINE
@NO_CODEBOOK
@click.option("--json", "as_json", is_flag=True, help="Print JSON: [{start, end, code, score}].")
@click.pass_context
def document_cmd(ctx, document, coder, coding_set, threshold, engine, no_codebook, as_json) -> None:
    """Suggestions for DOCUMENT (also `qualcode suggest DOCUMENT`); nothing is stored.

    A sentence gets a code when the model scores it at or above the threshold, unless the coder
    coded it with that code already or rejected it there. Offsets are code points, end exclusive.
    """
    from qualcode.suggest import suggest

    who = coder or cli_user()
    found = _run(lambda: suggest(open_db(ctx), document, who, coding_set=coding_set,
                                 threshold=threshold, engine=engine, codebook=not no_codebook,
                                 viewer=cli_user()))
    if as_json:
        emit([s.as_dict() for s in found.items])
        return
    click.echo(f"{found.coding_set.statement} Threshold {found.threshold:g}; "
               f"{len(found.items)} suggestion(s) for {found.document}.")
    for s in found.items:
        click.echo(f"{s.start}-{s.end} {s.score:.2f} {s.code}")
    for line in found.why_not():
        click.echo(f"no suggestions for {line}")


@suggest_cmd.command("train")
@CODER
@SET
@ENGINE
@NO_CODEBOOK
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def train_cmd(ctx, coder, coding_set, engine, no_codebook, as_json) -> None:
    """Train on the chosen codings and report what was learned, what was not and why.

    Models are kept in memory only (training takes seconds), so this checks and times a
    training; `qualcode suggest DOCUMENT` and the app train again from the current codings.
    """
    from qualcode.suggest import MIN_EXAMPLES, model_for

    trained = _run(lambda: model_for(open_db(ctx), coder or cli_user(), coding_set=coding_set,
                                     engine=engine, codebook=not no_codebook, viewer=cli_user()))
    model, paths = trained.model, trained.paths
    learned = {paths[c]: model.examples[c] for c in model.code_ids}
    too_few = {paths[c]: n for c, n in model.skipped.items()}
    if as_json:
        emit({"coding_set": trained.coding_set.statement, "coders": list(trained.coding_set.coders),
              "engine": model.engine, "seconds": round(model.seconds, 3), "sentences": model.units,
              "codebook_text": model.codebook_text, "learned": learned, "too_few_examples": too_few,
              "min_examples": MIN_EXAMPLES})
        return
    click.echo(f"{trained.coding_set.statement} Trained {model.engine} on {model.units:,} sentences "
               f"in {model.seconds:.2f} s: {len(learned)} code(s) learned.")
    for path, n in sorted(too_few.items()):
        click.echo(f"no suggestions for {path}: {n} example sentence(s) (needs {MIN_EXAMPLES})")


@suggest_cmd.command("evaluate")
@CODER
@SET
@ENGINE
@click.option("--threshold", type=click.FloatRange(0, 1), help="Score threshold (default: the engine's).")
@click.option("--folds", type=click.IntRange(2, None), help="Deal documents into N groups instead of "
              "leaving out one document at a time (faster on large projects).")
@NO_CODEBOOK
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def evaluate_cmd(ctx, coder, coding_set, engine, threshold, folds, no_codebook, as_json) -> None:
    """Leave-one-document-out precision, recall and F1 against the keyword baseline.

    Each coded document is held out in turn: a model trained on the others suggests codes for
    its sentences, compared with the real codings (sentence unit). Micro and macro figures,
    per code, and the keyword baseline (code names, definitions, examples, lemmatised) on the
    same sentences in the same run.
    """
    from qualcode.suggest import evaluate

    result = _run(lambda: evaluate(open_db(ctx), coder=coder or cli_user(), coding_set=coding_set,
                                   engine=engine, threshold=threshold, folds=folds,
                                   codebook=not no_codebook, viewer=cli_user()))
    if as_json:
        emit(result.as_dict())
        return
    m, b = result.model, result.baseline
    click.echo(f"{result.coding_set} {result.sentences:,} sentences, {result.documents} documents, "
               f"{result.folds} folds; {result.engine} at threshold {result.threshold:g}.")
    for name, part in (("model", m), (f"keywords (≥{b['min_matches']} lemmas)", b)):
        mi, ma = part["micro"], part["macro"]
        click.echo(f"{name}: micro P {mi['precision']:.3f} R {mi['recall']:.3f} F1 {mi['f1']:.3f}; "
                   f"macro P {ma['precision']:.3f} R {ma['recall']:.3f} F1 {ma['f1']:.3f}")
    click.echo(f"micro-F1 ratio to the keyword baseline: {result.ratio}")
    for row in result.per_code:
        click.echo(f"  {row['code']}: {row['sentences']} sentences, F1 {row['model']['f1']:.2f} "
                   f"(keywords {row['baseline']['f1']:.2f})" + ("" if row["learned"] else
                                                               " — too few examples to learn"))


def register(main: click.Group) -> None:
    """Add this module's commands to the ``qualcode`` group."""
    main.add_command(suggest_cmd)
