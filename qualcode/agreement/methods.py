"""The methods paragraph of an agreement report, ready to paste into a paper.

It is written from the report alone, every time it is asked for, so it always describes the
settings the report was computed with: who coded which documents, the unit, the units the
statistics were computed on (the comparable units, or Gwet's missing-data treatment, named),
the statistics (a bootstrap only when one was drawn), the per-code results first and the
pooled figure second with what dominates it, and the kappa paradox only for the codes where it
is what happened (see :mod:`qualcode.agreement.summary`).
"""

from __future__ import annotations

from qualcode.agreement.summary import and_list, coder_documents, fmt, names, who_coded_what

UNIT_WORDS = {
    "sentence": ("sentence", "sentences"),
    "turn": ("speaker turn", "speaker turns"),
    "paragraph": ("paragraph", "paragraphs"),
    "character": ("character", "characters"),
    "document": ("document", "documents"),
}
_UNIT_TEXT = {
    "sentence": "Agreement was assessed per sentence (sentences segmented automatically with "
                "spaCy's rule-based sentencizer, within speaker turns)",
    "turn": "Agreement was assessed per speaker turn",
    "paragraph": "Agreement was assessed per paragraph (each non-blank line of the transcript)",
    "character": "Agreement was assessed per character (each Unicode code point of the "
                 "transcript text, as in NVivo's coding comparison)",
    "document": "Agreement was assessed per document (whether a code was applied anywhere "
                "in it)",
}


def count_words(n: int, one: str, many: str) -> str:
    """"one code", "two codes", …, "46 codes"."""
    words = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight",
             9: "nine", 10: "ten"}
    return f"{words.get(n, f'{n:,}') if n != 1 else 'one'} {one if n == 1 else many}"


def _units(n: int, unit: str) -> str:
    one, many = UNIT_WORDS[unit]
    return f"{n:,} {one if n == 1 else many}"


def _compared(report) -> str:
    """Which units the statistics were computed on, naming the comparable documents."""
    m, comp = report.matrix, report.comparable
    every = "both coders" if len(m.coders) == 2 else "every coder"
    docs = comp.documents
    # The documents are named unless "who coded what" has just named the same list.
    named = set(coder_documents(m).values())
    where = (f"the {count_words(len(docs), 'document', 'documents')} {every} coded"
             + (f" ({names(docs)})" if docs and len(docs) < comp.total_documents
                and docs not in named else ""))
    if m.uncoded_documents == "absent":
        # Every unit counts as rated, so "documents every coder coded" would be untrue here.
        n_docs = count_words(comp.total_documents, "document", "documents")
        return f"Statistics were computed on all {_units(m.n_units, m.unit)} of the {n_docs}."
    if report.missing == "gwet":
        text = (f"Statistics were computed on all {_units(m.n_units, m.unit)} with Gwet's (2014) "
                "treatment of missing ratings: a unit of a document a coder had not coded counted "
                "as not rated by that coder, units rated by two or more coders entered observed "
                "agreement and every rating entered the category shares; "
                f"{comp.units:,} of the units, in {where}, were rated by {every}")
    elif comp.units == m.n_units:
        text = f"Statistics were computed on all {_units(m.n_units, m.unit)}, in {where}"
    else:
        text = (f"Statistics were computed on the comparable units only, the "
                f"{_units(comp.units, m.unit)} (of {m.n_units:,}) in {where}")
    if len(report.pairs) > 1:
        first, *rest = report.pairs

        def docs_of(p):
            return count_words(len(p.documents), "document", "documents")

        items = [(f"{' and '.join(first.coders)} shared {_units(first.units, m.unit)} in "
                  f"{docs_of(first)}")]
        items += [f"{' and '.join(p.coders)} {p.units:,} in {docs_of(p)}" for p in rest]
        text += "; pairwise, " + and_list(items)
    return text + "."


def _statistics(report) -> str:
    m = report.matrix
    stats = ["percent agreement",
             "Cohen's (1960) kappa" if len(m.coders) == 2 else "Fleiss' (1971) kappa",
             "Krippendorff's alpha (nominal; Krippendorff 2011)", "Gwet's (2008) AC1"]
    text = f"We computed {and_list(stats)} for each code"
    if report.draws:
        text += (f", with a {report.confidence:.0%} bootstrap confidence interval for alpha (a "
                 f"percentile bootstrap over {report.draws:,} resamples of units, after Hayes & "
                 "Krippendorff 2007, who resample pairs of values instead)")
    return text + ", using qualcode."


def _lead(report) -> str | None:
    s = report.overall.get("per_code") or {}
    k, n = s.get("codes_with_alpha", 0), s.get("codes", 0)
    if not n:
        return None
    if not k:
        return f"Alpha was undefined for all {n} codes (no variation in the compared units)."
    undefined = n - k
    return (
        f"Across the {count_words(k, 'code', 'codes')} for which alpha is defined, per-code alpha "
        f"had a mean of {fmt(s['mean_alpha'])} and a median of {fmt(s['median_alpha'])} (range "
        f"{fmt(s['min_alpha'])} to {fmt(s['max_alpha'])}); {s['reach_800']} of {k} reached "
        ".800, the level Krippendorff (2004) requires for firm conclusions, and "
        f"{s['reach_667']} of {k} reached at least .667, the lowest he accepts for tentative "
        "ones" + (f"; alpha was undefined for {undefined} code{'s' if undefined != 1 else ''} "
                  "without variation in the compared units" if undefined else "") + "."
    )


def _pooled(report) -> str | None:
    m = report.matrix
    pooled = report.overall.get("pooled")
    if not pooled:
        return None
    one = UNIT_WORDS[m.unit][0]
    kappa = "cohen" if len(m.coders) == 2 else "fleiss"
    kname = "Cohen's kappa" if kappa == "cohen" else "Fleiss' kappa"
    share = report.overall.get("absent_share")
    dominated = (f"; this figure is dominated by the {share:.1%} of code × {one} pairs in "
                 "which no coder applied the code, on which coders trivially agree, so the "
                 "per-code values above are the ones to read") if share is not None else ""
    return (f"Pooled over all codes (every code × {one} pair counted as one unit), percent "
            f"agreement was {pooled['percent']:.1%}, {kname} {fmt(pooled[kappa])}, alpha "
            f"{fmt(pooled['alpha'])} and AC1 {fmt(pooled['ac1'])}{dominated}.")


def _paradox(report) -> str | None:
    if not report.paradox:
        return None
    codes = report.paradox["codes"]
    either = "either" if len(report.matrix.coders) == 2 else "any"
    statistic = "kappa" if report.paradox["statistic"] == "cohen" else "alpha"
    many = len(codes) != 1
    return (f"For {count_words(len(codes), 'code', 'codes')} ({names(codes)}) percent agreement "
            f"was high and the coders agreed on most units where {either} of them applied the "
            f"code, but {'each' if many else 'it'} was applied to almost all or almost none of "
            f"the units, so chance agreement was high and {statistic} low (the kappa paradox; "
            "Feinstein & Cicchetti 1990); we report percent agreement and AC1 alongside for "
            f"{'these' if many else 'it'}.")


def methods_paragraph(report) -> str:
    """A paragraph for a paper's methods section, written from ``report`` (an
    :class:`~qualcode.agreement.report.AgreementReport`) every time: coders and the documents
    each coded, unit, compared units, statistics, per-code results, pooled figure, paradox."""
    m = report.matrix
    n_codes = len(m.codes)
    who = (f"{count_words(len(m.coders), 'coder', 'coders').capitalize()} "
           f"({and_list(list(m.coders))}) coded independently with "
           f"{count_words(n_codes, 'code', 'codes')}: {who_coded_what(m)}.")
    unit = (f"{_UNIT_TEXT[m.unit]}: for each code, a {UNIT_WORDS[m.unit][0]} counted as coded by "
            "a coder when that coder applied the code"
            + (" or one of its subcodes" if m.rollup else "") + " to any part of it"
            + ("; a document a coder had not coded at all counted as coded with no code."
               if m.uncoded_documents == "absent" else "."))
    parts = [who, unit]
    if report.comparable is not None:
        parts.append(_compared(report))
    if m.suggested:
        n = f"{m.suggested:,} coding{'s' if m.suggested != 1 else ''}"
        parts.append(
            f"{n} accepted from qualcode's learned code suggestions "
            f"{'were' if m.suggested != 1 else 'was'} "
            + ("left out, since a coder who accepts a suggestion does not judge independently."
               if m.exclude_suggested else
               "included; such codings are not fully independent judgements."))
    parts.append(_statistics(report))
    parts += [p for p in (_lead(report), _pooled(report), _paradox(report)) if p]
    return " ".join(parts)
