"""Coding work from the workspace: coding edits (`editing`), codebook edits
(`codebook_edit`), per-coder undo/redo (`undo`) and the blind-coding workflow (`visibility`)."""
