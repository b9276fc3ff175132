"""Sentence units: spaCy's rule-based sentencizer, turn by turn, in code points."""

from __future__ import annotations

from qualcode.importers.segment import sentences


def test_sentences_stay_inside_turns_and_count_code_points():
    text = "I: Was it hard? Tell me.\nP: Très dur 😅. The visa took months. Then yes!"
    turns = [(3, 24), (28, len(text))]
    got = [text[s:e] for s, e in sentences(text, turns)]
    assert got == ["Was it hard?", "Tell me.", "Très dur 😅.", "The visa took months.", "Then yes!"]


def test_whitespace_only_turns_give_no_sentence_and_every_sentence_is_trimmed():
    text = "   \n  One more thing.  \n"
    spans = sentences(text, [(0, 3), (4, len(text))])
    assert [text[s:e] for s, e in spans] == ["One more thing."]


def test_a_turn_longer_than_spacys_limit_is_cut_at_line_breaks():
    line = "This is a sentence that repeats. " * 10 + "\n"
    text = line * 1000  # ~330k characters, over the chunk size
    spans = sentences(text, [(0, len(text))])
    assert len(spans) == 10 * 1000
    assert all(text[s:e] == "This is a sentence that repeats." for s, e in spans)
