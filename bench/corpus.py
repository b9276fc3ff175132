"""A seeded synthetic interview corpus: N transcripts of about W words in varied formats.

    python bench/corpus.py OUTDIR --files 100 --words 6000 --seed 7

The words come from a pseudo-vocabulary of a few thousand invented words with a Zipf-like
frequency, so the tokenizer sees a realistic mix of frequent and rare words (a tiny vocabulary
would flatter spaCy's tokenizer cache). Formats rotate over labelled .txt, Otter-style .txt,
bracket-timestamp .txt, .vtt, .srt and .docx. Each file's spoken text is also returned, for the
baseline that runs spaCy over the same words without qualcode.
"""

from __future__ import annotations

import argparse
import io
import random
from dataclasses import dataclass
from pathlib import Path

SPEAKERS = ["Interviewer", "Participant", "Dr. Alvarez", "Ms. Chen", "P07", "Kwame Mensah"]
FORMATS = ("labelled.txt", "otter.txt", "stamped.txt", "vtt", "srt", "docx")
_SYLLABLES = ["ka", "lo", "mi", "ter", "van", "so", "ri", "den", "pa", "ul", "gra", "fe", "no",
              "tis", "ben", "cor", "hal", "ey", "mon", "dru", "sel", "at", "qui", "pre"]


@dataclass
class Generated:
    filename: str
    data: bytes
    spoken: list[str]  # the utterances, for the spaCy baseline

    @property
    def words(self) -> int:
        return sum(len(u.split()) for u in self.spoken)


def vocabulary(rng: random.Random, size: int = 6000) -> tuple[list[str], list[float]]:
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 4))))
    ranked = sorted(words)
    rng.shuffle(ranked)
    weights = [1.0 / (rank + 1) for rank in range(len(ranked))]  # Zipf
    return ranked, weights


def utterance(rng: random.Random, vocab, weights, n_words: int) -> str:
    words = rng.choices(vocab, weights=weights, k=n_words)
    out, since = [], 0
    for i, w in enumerate(words):
        since += 1
        if since == 1:
            w = w.capitalize()
        end = since > 6 and rng.random() < 0.12
        out.append(w + ("." if end or i == len(words) - 1 else ("," if rng.random() < 0.06 else "")))
        if end:
            since = 0
    return " ".join(out)


def _clock(seconds: float, sep: str = ".") -> str:
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def render(fmt: str, turns: list[tuple[str, str]]) -> bytes:
    """Write (speaker, text) turns in one of FORMATS."""
    t = 0.0
    if fmt == "docx":
        from docx import Document

        doc = Document()
        doc.add_paragraph("Synthetic interview")
        for speaker, text in turns:
            p = doc.add_paragraph()
            p.add_run(speaker + ":").bold = True
            p.add_run(" " + text)
        buf = io.BytesIO()
        doc.save(buf)
        return buf.getvalue()
    lines: list[str] = []
    if fmt in ("vtt", "srt"):
        if fmt == "vtt":
            lines += ["WEBVTT", ""]
        cue = 0
        for speaker, text in turns:
            words = text.split()
            for i in range(0, len(words), 18):  # ~7 s cues; consecutive cues of one speaker
                chunk = " ".join(words[i:i + 18])
                dur = len(chunk.split()) / 2.5
                cue += 1
                sep = "." if fmt == "vtt" else ","
                lines += [str(cue), f"{_clock(t, sep)} --> {_clock(t + dur, sep)}", f"{speaker}: {chunk}", ""]
                t += dur + 0.3
        return "\n".join(lines).encode()
    for speaker, text in turns:
        stamp = _clock(t)[:8]
        if fmt == "labelled.txt":
            lines += [f"{speaker}: {text}", ""]
        elif fmt == "otter.txt":
            m, s = divmod(int(t), 60)
            lines += [f"{speaker}  {m}:{s:02d}", text, ""]
        else:
            lines += [f"[{stamp}] {speaker}: {text}", ""]
        t += len(text.split()) / 2.5
    return "\n".join(lines).encode()


def generate(n_files: int, n_words: int, seed: int = 7) -> list[Generated]:
    """N transcripts of about ``n_words`` words each, deterministic for a seed."""
    rng = random.Random(seed)
    vocab, weights = vocabulary(rng)
    out = []
    for i in range(n_files):
        fmt = FORMATS[i % len(FORMATS)]
        pair = rng.sample(SPEAKERS[1:], 1)
        turns, words = [], 0
        while words < n_words:
            asking = len(turns) % 2 == 0
            n = rng.randint(8, 30) if asking else rng.randint(40, 260)
            n = min(n, n_words - words) or 1
            turns.append(("Interviewer" if asking else pair[0], utterance(rng, vocab, weights, n)))
            words += n
        ext = fmt.rsplit(".", 1)[-1]
        stem = f"synthetic_{i:05d}_{fmt.split('.')[0]}"
        out.append(Generated(f"{stem}.{ext}", render(fmt, turns), [t for _, t in turns]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--files", type=int, default=100)
    ap.add_argument("--words", type=int, default=6000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    args.outdir.mkdir(parents=True, exist_ok=True)
    for g in generate(args.files, args.words, args.seed):
        (args.outdir / g.filename).write_bytes(g.data)
    print(f"wrote {args.files} transcripts to {args.outdir}")


if __name__ == "__main__":
    main()
