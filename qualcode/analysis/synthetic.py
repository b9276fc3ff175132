"""Small hand-built and large seeded projects for tests and benchmarks (not for real studies).

:func:`build` writes exactly the documents, turns, sentences, participants, codes and codings it
is given, so a test can derive expected counts by hand. :func:`random_project` writes a seeded
synthetic project with Core bulk inserts (a million codings in seconds) for ``bench/``.
Both write in one transaction and log one change-log entry saying what was generated.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable

from sqlalchemy import insert

from qualcode.team.changelog import log
from qualcode.codebook import Codebook, CodeSpec
from qualcode.project.codes import apply_codebook, tree
from qualcode.project.codings import coder_id
from qualcode.store.db import Database
from qualcode.store.models import (
    Attribute,
    AttributeValue,
    Coder,
    Coding,
    Document,
    Participant,
    Sentence,
    Turn,
)


def _codebook(paths) -> Codebook:
    specs, seen = [], set()
    for path in paths:
        parts = tuple(path.split("/"))
        for i in range(1, len(parts) + 1):  # parents first, as a codebook requires
            if parts[:i] not in seen:
                seen.add(parts[:i])
                specs.append(CodeSpec(path=parts[:i]))
    return Codebook(name="synthetic", codes=specs)


def build(
    db: Database,
    *,
    documents: dict[str, dict],
    codes: list[str],
    codings: list[tuple[str, str, str, int, int]] = (),
    attributes: dict[str, dict[str, str]] | None = None,
    memos: dict[int, str] | None = None,
    key_quotes: Iterable[int] = (),
) -> None:
    """Write a hand-built project.

    ``documents``: name → ``{"text": str, "turns": [(speaker, start, end[, media_start])],
    "sentences": [(start, end)], "participant": "P01" or None}``. ``codes``: code paths (parents
    are created). ``codings``: ``(document, code path, coder, start, end)``. ``attributes``:
    participant → {attribute: value} (all typed ``text``). ``memos``: coding index → memo.
    ``key_quotes``: indexes of the codings starred as key quotes.
    """
    memos = memos or {}
    starred = set(key_quotes)
    with db.session() as s:
        pid = db.project_id(s)
        apply_codebook(s, pid, _codebook(codes), actor="synthetic")
        code_ids = {"/".join(p): c.id for p, c in tree(s, pid)}
        participants: dict[str, int] = {}
        attr_ids: dict[str, int] = {}
        for person, values in (attributes or {}).items():
            p = Participant(project_id=pid, external_id=person)
            s.add(p)
            s.flush()
            participants[person] = p.id
            for name, value in values.items():
                if name not in attr_ids:
                    a = Attribute(project_id=pid, name=name, type="text")
                    s.add(a)
                    s.flush()
                    attr_ids[name] = a.id
                s.add(AttributeValue(participant_id=p.id, attribute_id=attr_ids[name], value=str(value)))
        doc_ids: dict[str, int] = {}
        for name, spec in documents.items():
            person = spec.get("participant")
            if person and person not in participants:
                p = Participant(project_id=pid, external_id=person)
                s.add(p)
                s.flush()
                participants[person] = p.id
            text = spec["text"]
            d = Document(project_id=pid, name=name, original_filename=name + ".txt", format="txt",
                         content_hash=hashlib.sha256(text.encode()).hexdigest(), text=text,
                         encoding="utf-8", participant_id=participants.get(person) if person else None)
            s.add(d)
            s.flush()
            doc_ids[name] = d.id
            for i, turn in enumerate(spec.get("turns", [])):
                speaker, start, end = turn[:3]
                s.add(Turn(document_id=d.id, ordinal=i, speaker=speaker, start=start, end=end,
                           media_start=turn[3] if len(turn) > 3 else None))
            for i, (start, end) in enumerate(spec.get("sentences", [])):
                s.add(Sentence(document_id=d.id, ordinal=i, start=start, end=end))
        coder_ids: dict[str, int] = {}
        for i, (doc, path, coder, start, end) in enumerate(codings):
            if coder not in coder_ids:
                c = Coder(project_id=pid, name=coder)
                s.add(c)
                s.flush()
                coder_ids[coder] = c.id
            s.add(Coding(document_id=doc_ids[doc], code_id=code_ids[path], coder_id=coder_ids[coder],
                         start=start, end=end, quote=documents[doc]["text"][start:end], memo=memos.get(i),
                         key_quote=i in starred))
        log(s, project_id=pid, actor="synthetic", action="generate", entity="project",
            documents=len(documents), codings=len(codings))


_WORDS = ("visa", "funding", "mentor", "license", "clinic", "patient", "training", "program", "cost",
          "support", "housing", "exam", "observership", "hospital", "liability", "rotation")


def random_project(
    db: Database,
    *,
    seed: int = 1,
    documents: int = 20,
    codes: int = 10,
    codings: int = 500,
    coders: int = 2,
    sentences_per_document: int = 40,
    mean_span_sentences: float = 1.5,
) -> dict:
    """Write a seeded synthetic project with Core bulk inserts; returns its sizes.

    Each document is a series of two-speaker turns of 2–5 sentences of 8–20 words; codes sit in
    two branches (``Barriers/…`` and ``Enablers/…``) under themes of 5; a coding covers whole
    sentences (1 + a geometric number more) or, one time in four, a part of one sentence.
    """
    rng = random.Random(seed)
    themes = max(1, codes // 5)
    paths = [f"{'Barriers' if i % 2 == 0 else 'Enablers'}/Theme {i // 5:02d}/Code {i:03d}" for i in range(codes)]
    del themes
    with db.session() as s:
        pid = db.project_id(s)
        apply_codebook(s, pid, _codebook(paths), actor="synthetic")
        code_ids = [c.id for p, c in tree(s, pid) if "/".join(p) in set(paths)]
        coder_ids = []
        for k in range(coders):
            c = Coder(project_id=pid, name=f"coder{k + 1}")
            s.add(c)
            s.flush()
            coder_ids.append(c.id)
        conn = s.connection()
        doc_rows, spans = [], []
        for d in range(documents):
            parts, sents, turns, pos, ordinal = [], [], [], 0, 0
            while ordinal < sentences_per_document:
                speaker = "Interviewer" if len(turns) % 2 == 0 else f"P{d:04d}"
                label = speaker + ": "
                parts.append(label)
                pos += len(label)
                tstart = pos
                for _ in range(rng.randint(2, 5)):
                    words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(8, 20)))
                    sentence = words.capitalize() + ". "
                    sents.append((pos, pos + len(sentence) - 1))
                    parts.append(sentence)
                    pos += len(sentence)
                    ordinal += 1
                turns.append((speaker, tstart, pos - 1))
                parts.append("\n")
                pos += 1
            text = "".join(parts)
            doc_rows.append({"project_id": pid, "name": f"doc{d:05d}", "original_filename": f"doc{d:05d}.txt",
                             "format": "txt", "content_hash": hashlib.sha256(text.encode()).hexdigest(),
                             "text": text, "encoding": "utf-8", "import_report": "{}", "guid": f"g{d}"})
            spans.append((turns, sents, text))
        ids = [r[0] for r in conn.execute(insert(Document).returning(Document.id), doc_rows)]
        turn_rows, sentence_rows, coding_rows = [], [], []
        for doc_id, (turns, sents, text) in zip(ids, spans):
            turn_rows += [{"document_id": doc_id, "ordinal": i, "speaker": sp, "start": a, "end": b}
                          for i, (sp, a, b) in enumerate(turns)]
            sentence_rows += [{"document_id": doc_id, "ordinal": i, "start": a, "end": b}
                              for i, (a, b) in enumerate(sents)]
        conn.execute(insert(Turn), turn_rows)
        conn.execute(insert(Sentence), sentence_rows)
        seen = set()
        p_more = 1 / mean_span_sentences
        while len(coding_rows) < codings:
            di = rng.randrange(documents)
            sents = spans[di][1]
            first = rng.randrange(len(sents))
            if rng.random() < 0.25:
                a, b = sents[first]
                start = rng.randrange(a, b)
                end = rng.randrange(start + 1, b + 1)
            else:
                last = first
                while rng.random() > p_more and last + 1 < len(sents):
                    last += 1
                start, end = sents[first][0], sents[last][1]
            key = (di, rng.randrange(len(code_ids)), rng.randrange(coders), start, end)
            if key in seen:
                continue
            seen.add(key)
            coding_rows.append({"document_id": ids[di], "code_id": code_ids[key[1]],
                                "coder_id": coder_ids[key[2]], "start": start, "end": end,
                                "quote": spans[di][2][start:end], "guid": f"c{len(coding_rows)}"})
            if len(coding_rows) % 100_000 == 0:
                conn.execute(insert(Coding), coding_rows[-100_000:])
        rest = len(coding_rows) % 100_000
        if rest:
            conn.execute(insert(Coding), coding_rows[-rest:])
        log(s, project_id=pid, actor="synthetic", action="generate", entity="project", seed=seed,
            documents=documents, codings=len(coding_rows))
    return {"documents": documents, "codes": len(code_ids), "codings": len(coding_rows), "coders": coders,
            "sentences": len(sentence_rows), "turns": len(turn_rows)}


#: The small project of the analysis tests (offsets spelled out so counts can be derived by hand).
#: d1: "I: One two. Three four.\nP: Five six. Seven eight.\n" — turns I 3-23, P 27-49;
#: sentences 3-11, 12-23, 27-36, 37-49. d2: "I: Nine ten.\n" — turn I 3-12, sentence 3-12.
HAND_TEXT_1 = "I: One two. Three four.\nP: Five six. Seven eight.\n"
HAND_TEXT_2 = "I: Nine ten.\n"
HAND_CODINGS = [
    ("d1", "Barriers/A", "ana", 3, 11),    # 0: sentence 0
    ("d1", "Barriers/B", "ana", 11, 23),   # 1: touches coding 0 at 11 (no overlap), sentence 1
    ("d1", "Barriers/A", "ana", 12, 17),   # 2: "Three", inside coding 1
    ("d1", "Barriers/A", "ana", 13, 16),   # 3: the same code again, nested in coding 2
    ("d1", "Enablers/C", "ana", 27, 49),   # 4: the whole P turn
    ("d1", "Barriers/B", "ana", 37, 49),   # 5: sentence 3, inside coding 4
    ("d1", "Enablers/C", "ben", 3, 11),    # 6: ben, same span as coding 0
    ("d2", "Enablers/C", "ana", 3, 12),    # 7: the other document
]


def hand_project(db: Database) -> None:
    """Write the hand-built test project (see HAND_* above): codes Barriers/A, Barriers/B,
    Enablers/C; participants P1 (role faculty, d1) and P2 (role IMG, d2); memo on coding 0."""
    build(db, documents={
        "d1": {"text": HAND_TEXT_1, "turns": [("I", 3, 23, 5.0), ("P", 27, 49, 12.0)],
               "sentences": [(3, 11), (12, 23), (27, 36), (37, 49)], "participant": "P1"},
        "d2": {"text": HAND_TEXT_2, "turns": [("I", 3, 12)], "sentences": [(3, 12)], "participant": "P2"},
    }, codes=["Barriers/A", "Barriers/B", "Enablers/C"], codings=HAND_CODINGS,
        attributes={"P1": {"role": "faculty"}, "P2": {"role": "IMG"}}, memos={0: "=first memo"})


#: Two coders on one passage (the excerpt and CLI tests of coding sets). "d":
#: "I: Visas took months. Fees were high.\nP: We paid twice.\n" — turns I 3-37 (at 0 s),
#: P 41-55 (at 9 s); sentences 3-21, 22-37, 41-55; participant P1 (role faculty).
TWO_CODERS_TEXT = "I: Visas took months. Fees were high.\nP: We paid twice.\n"
TWO_CODERS_CODINGS = [
    ("d", "Barriers/Visa", "ana", 3, 21),   # 0: "Visas took months." (memo "slow")
    ("d", "Barriers/Visa", "ben", 3, 21),   # 1: ben, the very same span (memo "months")
    ("d", "Barriers/Cost", "ana", 22, 37),  # 2: "Fees were high."
    ("d", "Barriers/Cost", "ben", 27, 55),  # 3: ben, from "were" across the turn change (starred)
    ("d", "Barriers/Cost", "ana", 41, 55),  # 4: "We paid twice.", inside coding 3
]


def two_coders_project(db: Database, *, consensus: list[tuple[str, str, int, int]] = ()) -> None:
    """Write the two-coder project (see TWO_CODERS_* above); ``consensus``: (code, start, end)
    codings of the ``consensus`` coder in "d" as well."""
    codings = TWO_CODERS_CODINGS + [("d", code, "consensus", a, b) for code, a, b in consensus]
    build(db, documents={"d": {"text": TWO_CODERS_TEXT, "turns": [("I", 3, 37, 0.0), ("P", 41, 55, 9.0)],
                               "sentences": [(3, 21), (22, 37), (41, 55)], "participant": "P1"}},
          codes=["Barriers/Visa", "Barriers/Cost"], codings=codings, attributes={"P1": {"role": "faculty"}},
          memos={0: "slow", 1: "months"}, key_quotes=[3])


def code_random_sentences(db: Database, *, seed: int = 1, codings: int = 60,
                          coders: tuple[str, ...] = ("ana", "ben")) -> int:
    """Code random whole sentences of the project's documents with random leaf codes (seeded),
    e.g. to give the sample project something to analyse in tests. Returns codings written."""
    rng = random.Random(seed)
    with db.session() as s:
        pid = db.project_id(s)
        codes = tree(s, pid)
        parents = {c.parent_id for _, c in codes}
        leaves = [c.id for _, c in codes if c.id not in parents]
        docs = s.query(Document).filter(Document.project_id == pid).order_by(Document.name).all()
        sents = {d.id: s.query(Sentence.start, Sentence.end).filter(Sentence.document_id == d.id)
                 .order_by(Sentence.ordinal).all() for d in docs}
        texts = {d.id: d.text for d in docs}
        coder_ids = {name: coder_id(s, pid, name) for name in coders}
        seen = set(s.query(Coding.document_id, Coding.code_id, Coding.coder_id, Coding.start, Coding.end)
                   .join(Document).filter(Document.project_id == pid).all())
        target = len(seen) + codings
        while len(seen) < target:
            doc = rng.choice(docs).id
            if not sents[doc]:
                continue
            i = rng.randrange(len(sents[doc]))
            j = min(len(sents[doc]) - 1, i + rng.choice((0, 0, 1, 2)))
            key = (doc, rng.choice(leaves), coder_ids[rng.choice(coders)], sents[doc][i][0], sents[doc][j][1])
            if key in seen:
                continue
            seen.add(key)
            s.add(Coding(document_id=key[0], code_id=key[1], coder_id=key[2], start=key[3], end=key[4],
                         quote=texts[doc][key[3]:key[4]]))
        log(s, project_id=pid, actor="synthetic", action="generate", entity="codings", seed=seed,
            codings=codings)
    return codings
