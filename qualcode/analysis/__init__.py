"""Theme analysis: frequencies, co-occurrence, matrices, queries, charts and coded excerpts.

``data.load(db, ...)`` reads a project once into pandas DataFrames (the only module here that
touches the database, apart from autocoding in ``queries``); every other module computes on that
:class:`~qualcode.analysis.data.ProjectData` and returns DataFrames (or plotly figures), with
``attrs`` saying which coders, unit, measure and filters were used.

* ``frequencies`` — codings, documents, participants, words coded per code/theme, broken down.
* ``cooccurrence`` — code × code matrices for an explicit unit and measure.
* ``matrices`` — code × document and code × attribute.
* ``queries`` — AND/OR/NOT code queries, keyword in context, autocoding with undo.
* ``charts`` — plotly figures and PNG/SVG/HTML export.
* ``excerpts`` — the coded-excerpts table and its CSV/XLSX/DOCX/Markdown/JSON/wide exports.
* ``synthetic`` — hand-built and seeded generated projects for tests and benchmarks.
"""
