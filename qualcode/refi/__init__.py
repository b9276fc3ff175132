"""Interchange with other qualitative-analysis tools: REFI-QDA (.qdpx, .qde, .qdc), Taguette
and QualCoder.

``model`` (plain dataclasses), ``read`` (REFI-QDA bytes → dataclasses, hostile-input safe),
``offsets`` (another tool's offsets → canonical code points), ``write`` (dataclasses → .qdpx
and .qdc), ``taguette`` and ``qualcoder`` (their databases → dataclasses), ``store``
(dataclasses ⇄ the qualcode database, and :func:`store.import_project_file`).
"""
