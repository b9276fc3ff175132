"""Speaker-label detection: canonical text in, speaker turns out.

No library recognises the speaker conventions of interview transcripts (``Name:``,
``[00:01:23] Name:``, Otter.ai's ``Name  01:02`` header lines, bold labels in Word...),
so this module is written by hand. It works in two passes:

1. every line that *could* start with a label yields a candidate (name, where the
   spoken words start, timestamp, style);
2. the candidates are judged over the WHOLE document (:func:`choose_speakers`): a label is
   a speaker when it recurs, or when it appears once but fits the document's labelling
   pattern (an ID such as ``P07``/``Y`` in a document with speaker labels, or the same
   distinctive style - timestamped, Otter-style, bold - as the recurring labels). One-off
   labels such as ``Note:`` or ``Question 3:`` stay text of the current turn.

Turns are then built line by line (:func:`find_turns`): an accepted label starts a turn
whose span begins after the label, its separator and any leading ``[timestamp]``; a line
without a label continues the current turn, even after a blank line. Exception: when the
document labels only one speaker (a think-aloud where only ``MODERATOR:`` is labelled), an
unlabelled paragraph after that speaker's turn starts a turn with speaker ``None``.
Paragraphs are blank-line separated blocks, or single lines when the document does not
put blank lines before its labels. Text before the first label is an unlabelled turn.

``media_start`` is the label's timestamp in seconds; ``media_end`` is the next turn's
``media_start`` when both are known (transcripts rarely give end times), else ``None``.
f4/MAXQDA transcripts end each paragraph with a time stamp (``#00:01:23-4#``): it is left
out of the turn's span and becomes its ``media_end`` (and the next turn's ``media_start``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .base import Turn

MAX_LABEL_CHARS = 40
MAX_LABEL_WORDS = 5

_HSPACE = r"[^\S\n]"  # any whitespace but a line break (incl. the no-break spaces of French " :")
# h:mm:ss, mm:ss or m:ss, with optional .mmm / ,mmm
_TS = r"\d{1,2}(?::\d{2}){1,2}(?:[.,]\d{1,3})?"
# letters, digits, _ and the . ' ’ # - of "Dr.", "O'Brien", "SPEAKER_00", "P#3", "Jean-Luc"
_WCH = r"[\w.'’#\-]"
_ROLE = rf"{_HSPACE}*\([^()\n:]{{1,30}}\)"  # "Interviewer (Anna):", "I (interviewer):"
_NAME = rf"[^\W\d_]{_WCH}*(?:{_HSPACE}+{_WCH}+){{0,{MAX_LABEL_WORDS - 1}}}(?:{_ROLE})?"
_OPEN = r"(?:\*\*|__|\[)?"  # Markdown bold or brackets: **Interviewer:**, [SPEAKER_00]:
_CLOSE = r"(?:\*\*|__|\])?"
_STAMP = rf"\[{_TS}\]|\({_TS}\)"

# "Name:", "Name :", "[00:01:23] Name:", "00:01:23 - Name:", "Name (00:01:23):", "**Name:**",
# ">> NAME:" (live captions), "Name<TAB>words" (a table row exported as text), and
# "Name [00:01:23] words" (Trint), where the bracketed time stands in for the colon.
_COLON_LABEL = re.compile(
    rf"""{_HSPACE}*
    (?:(?P<pre>{_STAMP}|{_TS}){_HSPACE}*(?:[-–—|]{_HSPACE}*)?)?
    (?:>>{_HSPACE}*)?
    {_OPEN}(?P<name>{_NAME}){_CLOSE}
    (?P<stamped>{_HSPACE}*(?:\[(?P<suf>{_TS})\]|\((?P<suf2>{_TS})\)))?
    (?:{_HSPACE}*{_CLOSE}:{_CLOSE}(?={_HSPACE}|$|[^\W\d_]) | \t+(?=\S) | (?(stamped){_HSPACE}+(?=\S)|(?!)))""",
    re.VERBOSE,
)
# A label alone on its line with its time, the words on the following lines: Otter.ai's
# "Name  01:02" (two spaces or a tab before the time), or "Name [01:02]" / "Name (01:02)".
_STANDALONE_LABEL = re.compile(
    rf"""{_HSPACE}*(?P<name>{_NAME})
    (?:(?:[ ]{{2,}}|\t){_HSPACE}*(?P<ts>{_TS}) | {_HSPACE}*(?:\[(?P<ts2>{_TS})\]|\((?P<ts3>{_TS})\)))
    {_HSPACE}*$""",
    re.VERBOSE,
)
_LEADING_TS = re.compile(rf"(?:\[(?P<a>{_TS})\]|\((?P<b>{_TS})\)){_HSPACE}*")
_TS_ANYWHERE = re.compile(_TS)
_F4_STAMP = re.compile(rf"{_HSPACE}*#(?P<ts>\d{{1,2}}:\d{{2}}:\d{{2}})(?:[-.,](?P<frac>\d{{1,3}}))?#$")
_TRAILING_ROLE = re.compile(r"\s*\([^()]*\)$")
_COLON_AFTER_BOLD = re.compile(rf"{_HSPACE}*:?")
_BARE_TS_REST = re.compile(rf"{_HSPACE}*[\[(]?(?P<ts>{_TS})[\])]?{_HSPACE}*")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that introduce notes, metadata or headings rather than a speaker.
_NOT_SPEAKERS = _words(
    """note notes nb n.b. n.b ps p.s. p.s example examples e.g. e.g i.e. i.e eg ie update
    updated edit edited source sources see tip tips warning caution important reminder todo
    summary date time location place venue duration length participants participant(s)
    attendees present absent transcript transcription transcriber transcribed title subject
    topic re fwd ref reference references url link keywords context background goal goals
    aim aims objective objectives result results conclusion conclusions observation
    observations memo file filename audio video recording recorded total agenda definition
    abstract disclaimer copyright version status cc fyi ok okay yes no so and but well hint
    caveat aside correction clarification translation comment comments follow-up followup
    action actions decision decisions next remember fact facts method methods purpose scope
    outcome outcomes finding findings issue issues solution idea ideas quote pause silence
    inaudible crosstalk laughter continued question answer response reply"""
)
# Column headers and the like: not speakers as a whole label ("Speaker 1" still is one).
_NOT_SPEAKER_LABELS = _words(
    """speaker speakers name names text timestamp timecode start end role id utterance content"""
)
# Roles that make a document a transcript: "Interviewer: Hello / Maria: Hi" has speakers
# even though neither label recurs; "Housing: ... / Work: ..." does not.
_ROLE_WORDS = _words(
    """interviewer interviewers interviewee interviewees int participant participants respondent
    moderator facilitator researcher informant speaker subject patient doctor dr nurse student
    teacher parent child mother father caregiver translator interpreter observer host guest
    caller agent customer client counsellor counselor therapist member person unknown"""
)
# "Question 3", "Task 2a", "Step IV": numbered items, not speakers.
_ENUMERATORS = _words(
    """question questions q task tasks step steps part section chapter item items page slide
    figure fig table tab scenario exercise round phase stage block theme code category point
    example case prompt activity module unit lesson problem"""
)
_NUMBERISH = re.compile(r"(?:\d+[a-z]?|[ivxlc]+|[a-z])[.)]?(?:\.\d+)*", re.IGNORECASE)
_PARTICLES = _words("""de da di del della der den van von la le du dos das bin ibn al el y e of""")
_ID_SHAPE = re.compile(r"[A-Z]{1,3}[-_]?\d{1,3}|[A-Z]{1,2}")
_ID_PREFIX = re.compile(r"[A-Z]+")

# Candidate styles. All but PLAIN and BARE_BOLD (a bold word without a colon, which may just
# be emphasis) are distinctive enough to vouch for a label that appears only once.
PLAIN, TIMESTAMPED, OTTER, BOLD, BARE_BOLD, MARKUP = (
    "plain",
    "timestamped",
    "Otter.ai",
    "bold",
    "bare bold",
    "Markdown bold",
)
_DISTINCTIVE = frozenset({TIMESTAMPED, OTTER, BOLD, MARKUP})


@dataclass(frozen=True)
class Candidate:
    """A possible speaker label found at the start of a line or cue."""

    name: str  # as written, inner whitespace collapsed
    content_start: int  # offset where the spoken words may start (after label and separator)
    media_start: float | None
    style: str

    @property
    def key(self) -> str:
        """Labels are compared case-insensitively: "Interviewer" and "INTERVIEWER" are one."""
        return self.name.casefold()


def parse_timestamp(value: str) -> float:
    """Seconds of ``h:mm:ss``, ``mm:ss`` or ``m:ss`` with optional ``.mmm``/``,mmm``."""
    parts = value.replace(",", ".").split(":")
    seconds = float(parts[-1])
    minutes = int(parts[-2])
    hours = int(parts[-3]) if len(parts) == 3 else 0
    return hours * 3600 + minutes * 60 + seconds


def is_id_shaped(name: str) -> bool:
    """True for participant-ID style labels: ``I``, ``R``, ``X``, ``P07``, ``I2``, ``INT1``."""
    return _ID_SHAPE.fullmatch(name) is not None and name.casefold() not in _NOT_SPEAKERS


def is_name_like(name: str, *, strict: bool = False) -> bool:
    """Whether ``name`` has the shape of a speaker label (not a note, heading or sentence).

    At most 5 words / 40 characters; a multi-word label starts with a capital and its
    other words are capitalised, numbers or name particles ("de", "van"...). ``strict``
    (for labels seen only once) allows 3 words at most.
    """
    core = _TRAILING_ROLE.sub("", name)  # "Interviewer (Anna)" is judged as "Interviewer"
    words = core.split()
    if not words or len(name) > MAX_LABEL_CHARS or len(words) > (3 if strict else MAX_LABEL_WORDS):
        return False
    folded = [w.casefold() for w in words]
    if core.casefold() in _NOT_SPEAKER_LABELS or folded[0] in _NOT_SPEAKERS:
        return False
    if folded[0] in _ENUMERATORS and all(_NUMBERISH.fullmatch(w) for w in words[1:]):
        return False
    if not any(ch.isalpha() for ch in core):
        return False
    if len(words) == 1:
        return not strict or words[0][0].isupper()
    if len(words) == 2 and words[1].isdigit() and not strict:
        return True  # "speaker 1", "participant 12" as some tools write them
    return words[0][0].isupper() and all(
        w[0].isupper() or w[0].isdigit() or w.casefold() in _PARTICLES for w in words[1:]
    )


def is_role_label(name: str) -> bool:
    """True for labels naming a role in an interview: "Interviewer", "Participant 3"..."""
    words = _TRAILING_ROLE.sub("", name).casefold().split()
    return bool(words) and words[0].rstrip(".") in _ROLE_WORDS


def line_candidate(
    text: str, line_start: int, line_end: int, bold_len: int | None = None
) -> Candidate | None:
    """The label candidate at the start of the line ``text[line_start:line_end]``, if any.

    ``bold_len`` is the length of the line's leading bold run(s) (Word documents): a short
    bold prefix is a label even without a colon.
    """
    line = text[line_start:line_end]
    match = _COLON_LABEL.match(line)
    if bold_len is not None and not (match and match.end() <= bold_len + 1):
        return _bold_candidate(text, line_start, line_end, bold_len)
    if match:
        name = _clean_name(match["name"])
        stamp = match["pre"] or match["suf"] or match["suf2"]
        media = parse_timestamp(_TS_ANYWHERE.search(stamp)[0]) if stamp else None
        if bold_len is not None:
            style = BOLD
        elif stamp:
            style = TIMESTAMPED
        elif "**" in match[0] or "__" in match[0]:
            style = MARKUP
        else:
            style = PLAIN
        return _after_label(text, line_start + match.end(), line_end, name, media, style)
    match = _STANDALONE_LABEL.match(line)
    if match:
        stamp = match["ts"] or match["ts2"] or match["ts3"]
        return Candidate(_clean_name(match["name"]), line_end, parse_timestamp(stamp), OTTER)
    return None


def _clean_name(raw: str) -> str:
    # "__Name__:" leaves the closing underscores in the name (they are word characters).
    return " ".join(raw.split()).strip("_*")


def _bold_candidate(text: str, line_start: int, line_end: int, bold_len: int) -> Candidate | None:
    label = text[line_start : line_start + bold_len].strip().strip("*_").rstrip(":").strip()
    if not label:
        return None
    pos = line_start + bold_len
    # Bold name, plain time, words in the next paragraph: an Otter.ai export to Word.
    stamp = _BARE_TS_REST.fullmatch(text, pos, line_end)
    if stamp:
        return Candidate(" ".join(label.split()), line_end, parse_timestamp(stamp["ts"]), OTTER)
    # A colon just after the bold run ("**Interviewer**: ...") belongs to the label.
    rest = _COLON_AFTER_BOLD.match(text, pos, line_end)
    has_colon = text[line_start:pos].rstrip().rstrip("*_").endswith(":") or ":" in rest[0]
    style = BOLD if has_colon else BARE_BOLD
    return _after_label(text, rest.end(), line_end, " ".join(label.split()), None, style)


def _after_label(text: str, pos: int, line_end: int, name: str, media: float | None, style: str) -> Candidate:
    """Skip the separator whitespace and a leading ``[timestamp]`` after a label."""
    while pos < line_end and text[pos].isspace():
        pos += 1
    stamp = _LEADING_TS.match(text, pos, line_end)
    if stamp:
        if media is None:
            media = parse_timestamp(stamp["a"] or stamp["b"])
        pos = stamp.end()
    return Candidate(name, pos, media, style)


@dataclass
class SpeakerChoice:
    """The outcome of judging all candidates of one document."""

    accepted: dict[str, str]  # candidate key -> speaker name to use
    warnings: list[str]


def choose_speakers(
    candidates: Iterable[Candidate], *, units: int | None = None, unit_name: str = "paragraphs"
) -> SpeakerChoice:
    """Decide, from all the candidates of a document, which labels are speakers.

    A label is a speaker when it is name-like and recurs. A label seen once is a speaker
    only when it fits the document's pattern:

    * it is ID-shaped (``P07``, ``Y``) and the document has recurring labels or several
      distinct IDs (but not an enumeration such as ``Q1:``, ``Q2:``);
    * it is written in the same distinctive style as all recurring labels (timestamped,
      Otter-style, bold, Markdown bold);
    * labels start at least half of the ``units`` (paragraphs or cues) and some label
      recurs or names an interview role ("Interviewer: Hello / Maria: Hi").

    Notes and headings (``Note:``, ``Question 3:``, ``Update:``) are never speakers.
    """
    candidates = list(candidates)
    counts = Counter(c.key for c in candidates)
    spellings: dict[str, Counter] = {}
    styles: dict[str, set[str]] = {}
    for c in candidates:
        spellings.setdefault(c.key, Counter())[c.name] += 1
        styles.setdefault(c.key, set()).add(c.style)
    # The most frequent spelling names the speaker (first seen wins a tie).
    display = {key: counter.most_common(1)[0][0] for key, counter in spellings.items()}

    recurring = {k for k, n in counts.items() if n >= 2 and is_name_like(display[k])}
    once = [k for k, n in counts.items() if n == 1]
    accepted = set(recurring)
    reasons: dict[str, str] = {}

    # One-off numbered IDs sharing a prefix ("Q1:", "Q2:") are an enumeration, unless an
    # ID with that prefix recurs ("P1" speaks often, "P2" once).
    ids_once = [k for k in once if is_id_shaped(display[k])]
    prefixes = Counter(_ID_PREFIX.match(display[k])[0] for k in ids_once if any(ch.isdigit() for ch in k))
    recurring_prefixes = {_ID_PREFIX.match(display[k])[0] for k in recurring if is_id_shaped(display[k])}
    enumerations = {
        k
        for k in ids_once
        if any(ch.isdigit() for ch in k)
        and prefixes[_ID_PREFIX.match(display[k])[0]] >= 2
        and _ID_PREFIX.match(display[k])[0] not in recurring_prefixes
    }
    ids_once = [k for k in ids_once if k not in enumerations]
    if recurring or len(ids_once) >= 2:
        for k in ids_once:
            accepted.add(k)
            reasons[k] = "it looks like a participant ID" + (
                " in a document with speaker labels" if recurring else ", as do other labels"
            )

    recurring_styles = set().union(*(styles[k] for k in recurring)) if recurring else set()
    shared = next(iter(recurring_styles)) if len(recurring_styles) == 1 else None
    labelled = sum(n for k, n in counts.items() if is_name_like(display[k]))
    # Labels start most units, and some label recurs or names an interview role.
    dense = (
        bool(units)
        and labelled >= 2
        and labelled * 2 >= units
        and (bool(recurring) or any(is_role_label(display[k]) for k in counts))
    )
    for k in once:
        if k in accepted or k in enumerations or not is_name_like(display[k], strict=True):
            continue
        if shared in _DISTINCTIVE and styles[k] == {shared}:
            accepted.add(k)
            reasons[k] = f"it is written like the other speaker labels ({shared})"
        elif dense:
            accepted.add(k)
            reasons[k] = f"most {unit_name} of the document start with a speaker label"

    warnings = [
        f"label '{display[k]}' appears once and was treated as a speaker because {reasons[k]}"
        for k in once
        if k in reasons
    ]
    if accepted:
        kept = [
            display[k] for k in once if k not in accepted and (k in enumerations or is_name_like(display[k]))
        ]
        if kept:
            shown = ", ".join(f"'{name}'" for name in kept[:5]) + (", ..." if len(kept) > 5 else "")
            warnings.append(f"labels appearing only once were kept as text, not speakers: {shown}")
    return SpeakerChoice({k: display[k] for k in accepted}, warnings)


@dataclass
class _OpenTurn:
    speaker: str | None
    media_start: float | None
    start: int | None = None
    end: int | None = None

    def extend(self, start: int, end: int) -> None:
        if self.start is None:
            self.start = start
        self.end = end


def find_turns(text: str, bold_labels: Mapping[int, int] | None = None) -> tuple[list[Turn], list[str]]:
    """Split canonical ``text`` into speaker turns; return ``(turns, warnings)``.

    ``bold_labels`` maps the offset of a line start to the length of that line's leading
    bold run (Word documents), which may be a label without a colon.
    """
    bold_labels = bold_labels or {}
    lines: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        lines.append((pos, pos + len(line)))
        pos += len(line) + 1

    candidates: dict[int, Candidate] = {}
    for index, (start, end) in enumerate(lines):
        cand = line_candidate(text, start, end, bold_labels.get(start))
        if cand is not None:
            candidates[index] = cand
    choice = choose_speakers(candidates.values(), units=_label_units(text, lines, candidates))
    labelled = {i: c for i, c in candidates.items() if c.key in choice.accepted}
    warnings = list(choice.warnings)
    single = len(set(choice.accepted.values())) == 1
    # Paragraph = line unless the document puts blank lines before (most of) its labels.
    after_blank = [i for i in labelled if i > 0]
    blank_before = sum(1 for i in after_blank if not text[slice(*lines[i - 1])].strip())
    lines_are_paragraphs = bool(after_blank) and blank_before * 2 < len(after_blank)

    turns: list[Turn] = []
    current: _OpenTurn | None = None
    preamble_lines = 0
    first_label = min(labelled, default=len(lines))
    previous_blank = False

    def close() -> None:
        if current is None or current.start is None:
            return
        end, media_end = current.end, None
        # f4/MAXQDA transcripts end each paragraph with the time reached: "... #00:01:23-4#".
        stamp = _F4_STAMP.search(text, current.start, current.end)
        if stamp and text[current.start : stamp.start()].strip():
            end = current.start + len(text[current.start : stamp.start()].rstrip())
            media_end = parse_timestamp(stamp["ts"]) + float("0." + (stamp["frac"] or "0"))
        media_start = current.media_start
        if media_start is None and turns and turns[-1].media_end is not None and stamp:
            media_start = turns[-1].media_end  # the previous paragraph ended at this time
        if media_end is not None and media_start is not None and media_end < media_start:
            media_end = None  # inconsistent times: keep the one from the label
        turns.append(Turn(current.speaker, current.start, end, media_start, media_end))

    for index, (start, end) in enumerate(lines):
        cand = labelled.get(index)
        if cand is not None:
            close()
            current = _OpenTurn(choice.accepted[cand.key], cand.media_start)
            rest = text[cand.content_start : end]
            if rest.strip():
                lead = len(rest) - len(rest.lstrip())
                current.extend(cand.content_start + lead, cand.content_start + len(rest.rstrip()))
            previous_blank = False
            continue
        line = text[start:end]
        if not line.strip():
            previous_blank = True
            continue
        if current is None:
            current = _OpenTurn(None, None)
        elif (
            single
            and current.speaker is not None
            and current.start is not None
            and (previous_blank or lines_are_paragraphs)
        ):
            close()
            current = _OpenTurn(None, None)
        if index < first_label:
            preamble_lines += 1
        current.extend(start + len(line) - len(line.lstrip()), start + len(line.rstrip()))
        previous_blank = False
    close()

    if not labelled:
        warnings.insert(0, "no speaker labels found: the text is kept as one unlabelled turn")
    else:
        if preamble_lines:
            warnings.insert(
                0,
                f"{preamble_lines} line{'s' if preamble_lines != 1 else ''} before the first "
                "speaker label kept as an unlabelled turn",
            )
        if single:
            name = next(iter(choice.accepted.values()))
            warnings.append(
                f"only one speaker label ('{name}') found: unlabelled paragraphs after its "
                "turns are kept as unlabelled turns"
            )
    return with_media_ends(turns), warnings


def _label_units(text: str, lines: list[tuple[int, int]], candidates: Mapping[int, Candidate]) -> int:
    """How many places could start with a label: the paragraphs, plus any labelled line.

    Without any blank line between text lines, every line may be a paragraph.
    """
    blank = [not text[start:end].strip() for start, end in lines]
    first = blank.index(False) if False in blank else len(lines)
    last = len(blank) - 1 - blank[::-1].index(False) if False in blank else -1
    if not any(blank[first:last]):
        return sum(1 for b in blank if not b)
    return sum(1 for i, b in enumerate(blank) if i in candidates or (not b and (i == 0 or blank[i - 1])))


def with_media_ends(turns: list[Turn]) -> list[Turn]:
    """Set each timed turn's ``media_end`` to the next turn's ``media_start`` if later."""
    result = []
    for turn, following in zip(turns, turns[1:] + [None]):
        end = turn.media_end
        if (
            end is None
            and turn.media_start is not None
            and following is not None
            and following.media_start is not None
            and following.media_start >= turn.media_start
        ):
            end = following.media_start
        result.append(Turn(turn.speaker, turn.start, turn.end, turn.media_start, end))
    return result
