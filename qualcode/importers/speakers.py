"""Speaker-label detection: which lines of a transcript start with a speaker's label.

No library recognises the speaker conventions of interview transcripts (``Name:``,
``[00:01:23] Name:``, Otter.ai's ``Name 01:02`` header lines, a name alone on its line with
the words below, bold labels in Word...), so this module is written by hand. It works in two
passes:

1. every line that *could* start with a label yields a candidate (:func:`line_candidate`:
   name, where the spoken words start, timestamp, style);
2. the candidates are judged over the WHOLE document (:func:`choose_speakers`): a label is
   a speaker when it recurs, or when it appears once but fits the document's labelling
   pattern (an ID such as ``P07``/``Y`` in a document with speaker labels, the same
   distinctive style - timestamped, Otter-style, bold - as the recurring labels, or the
   same shape as the recurring labels in a document where labels start most paragraphs).
   One-off labels such as ``Note:`` or ``Question 3:`` stay text of the current turn; a
   name alone on its line counts only when such names recur and alternate; markers in label
   form (``Break:``, ``Music:``) are never speakers.

:mod:`.turns` builds the turns from the accepted labels (:func:`.turns.detect`; this module
does not import it, so the two form no circle). Every reader hands it the same structure: canonical
text whose lines are the document's lines, plus hints per line (a leading bold run, a time
the format marked as one).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field


MAX_LABEL_CHARS = 40
MAX_LABEL_WORDS = 5

HSPACE = _HSPACE = r"[^\S\n]"  # any whitespace but a line break (incl. the no-break spaces of French " :")
# h:mm:ss, mm:ss or m:ss, with optional .mmm / ,mmm
TIME = _TS = r"\d{1,2}(?::\d{2}){1,2}(?:[.,]\d{1,3})?"
# Looser, for a time that stands on a line of its own ("0:0:3.740 --> 0:0:9.880" in Teams).
LOOSE_TIME = _LOOSE_TS = r"\d{1,2}(?::\d{1,2}){1,2}(?:[.,]\d{1,3})?"
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
    (?:{_HSPACE}*{_CLOSE}:{_CLOSE}(?={_HSPACE}|$|[^\W\d_])
       | (?P<tab>\t+)(?=\S)
       | (?(stamped){_HSPACE}+(?=\S)|(?!)))""",
    re.VERBOSE,
)
# A label alone on its line with its time, the words on the following lines: Otter.ai's
# "Name  01:02" (one space, as PDF text layers give it, or more, or a tab before the time),
# "Name [01:02]", "Name (01:02)", Zoom's "[Name] 10:04:31", or the time first, "00:01:23 Name".
_TIMED_ALONE = re.compile(
    rf"""{_HSPACE}*
    (?:(?P<pre>{_STAMP}|{_TS}){_HSPACE}+(?:[-–—|]{_HSPACE}*)?)?
    (?P<open>\[)?(?P<name>{_NAME})(?(open)\])
    (?:{_HSPACE}+(?:[-–—|·]{_HSPACE}*)?(?P<ts>{_TS}) | {_HSPACE}*(?:\[(?P<ts2>{_TS})\]|\((?P<ts3>{_TS})\)))?
    {_HSPACE}*$""",
    re.VERBOSE,
)
# A name alone on its line, the words below (Delve's transcripts, many Word templates).
_ALONE = re.compile(rf"{_HSPACE}*{_OPEN}(?P<name>{_NAME}){_CLOSE}{_HSPACE}*$")
_LEADING_TS = re.compile(rf"(?:\[(?P<a>{_TS})\]|\((?P<b>{_TS})\)){_HSPACE}*")
_LEADING_BARE_TS = re.compile(rf"(?P<ts>{_TS})(?:{_HSPACE}*[-–—|]{_HSPACE}*|{_HSPACE}+|$)")
_TS_ANYWHERE = re.compile(_TS)
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
# Breaks in a recording written like a label ("**Break:**", "MUSIC:"): markers, never speakers.
_MARKERS = _words(
    """break breaks ad ads advert adverts advertisement advertisements commercial commercials
    sponsor sponsors sponsored message music intro outro interlude jingle theme applause
    crosstalk inaudible laughter laughs silence pause mid-roll midroll pre-roll preroll"""
)
_NUMBERISH = re.compile(r"(?:\d+[a-z]?|[ivxlc]+|[a-z])[.)]?(?:\.\d+)*", re.IGNORECASE)
_PARTICLES = _words("""de da di del della der den van von la le du dos das bin ibn al el y e of""")
_ID_SHAPE = re.compile(r"[A-Z]{1,3}[-_]?\d{1,3}|[A-Z]{1,2}")
_ID_PREFIX = re.compile(r"[A-Z]+")

# Candidate styles. PLAIN, TABLE, BARE_BOLD (a bold word without a colon, which may just be
# emphasis) and ALONE (a name alone on its line) need recurrence; the others are distinctive
# enough to vouch for a label that appears only once.
PLAIN, TIMESTAMPED, OTTER, BOLD, BARE_BOLD, MARKUP, ALONE, TABLE = (
    "plain",
    "timestamped",
    "Otter.ai",
    "bold",
    "bare bold",
    "Markdown bold",
    "alone",
    "table row",
)
_DISTINCTIVE = frozenset({TIMESTAMPED, OTTER, BOLD, MARKUP})

# Where a turn's time was written, for the import report.
BEFORE_LABEL, AFTER_NAME, AFTER_LABEL, ON_LABEL_LINE, LINE_ABOVE, LINE_BELOW, MARKED, PARAGRAPH_END = (
    "before the label",
    "after the name",
    "after the label",
    "on the label line",
    "on its own line above the label",
    "on its own line below the label",
    "in a <time> element",
    "at the end of the paragraph (f4)",
)


@dataclass(frozen=True)
class Candidate:
    """A possible speaker label found at the start of a line or cue."""

    name: str  # as written, inner whitespace collapsed
    content_start: int  # offset where the spoken words may start (after label and separator)
    media_start: float | None
    style: str
    at_block_start: bool = True  # first line of a paragraph (a blank line or nothing above)
    #: a bare time at the start of the words ("Kevin: 0:53 Welcome"): (end offset, seconds, as written)
    lead_time: tuple[int, float, str] | None = None
    time_where: str | None = None  # where media_start was written (BEFORE_LABEL, ...)
    time_shape: str | None = None  # "[hh:mm:ss]", "m:ss"...

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


def time_shape(stamp: str) -> str:
    """The written form of a time, digits abstracted: ``[00:01:23]`` → ``[hh:mm:ss]``."""
    core = _TS_ANYWHERE.search(stamp) or re.search(_LOOSE_TS, stamp)
    if core is None:
        return stamp.strip()
    value = core[0]
    whole, _, fraction = value.replace(",", ".").partition(".")
    parts = whole.split(":")
    names = ["h", "m", "s"][-len(parts):]
    shape = ":".join((name * 2 if len(part) == 2 else name) for name, part in zip(names, parts))
    if fraction:
        shape += "." + "f" * len(fraction)
    return stamp[: core.start()].strip() + shape + stamp[core.end():].strip()


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


def is_marker(name: str) -> bool:
    """True for a break in the recording written like a label: "Break", "Ad break", "MUSIC"."""
    words = name.casefold().split()
    return 0 < len(words) <= 3 and all(w.strip(".") in _MARKERS for w in words)


def label_shape(name: str) -> str:
    """What kind of label this is: "participant #" (a role and a number), "ID" or "name"."""
    words = _TRAILING_ROLE.sub("", name).split()
    if len(words) >= 2 and _NUMBERISH.fullmatch(words[-1]) and any(ch.isdigit() for ch in words[-1]):
        return " ".join(w.casefold() for w in words[:-1]) + " #"
    if is_id_shaped(name):
        return "ID"
    return "name"


def line_candidate(
    text: str, line_start: int, line_end: int, bold_len: int | None = None
) -> Candidate | None:
    """The label candidate at the start of the line ``text[line_start:line_end]``, if any.

    ``bold_len`` is the length of the line's leading bold run(s) (Word documents, bold
    fonts in a PDF, ``<b>``/``<strong>``/``<cite>`` in HTML): a short bold prefix is a label
    even without a colon.
    """
    line = text[line_start:line_end]
    match = _COLON_LABEL.match(line)
    if match and match["tab"] and _timed_alone(line):
        match = None  # "Name<TAB>0:03": Otter's label line, not a table row
    # With a bold run, the colon label counts when its name is the bold text: "**Alice:** hi",
    # "**Alice**: hi", "**Alice** (00:01:23): hi"; otherwise the bold run itself is the candidate.
    label_in_bold = match is not None and (match.end() <= bold_len + 1 or _bold_name(match, line, bold_len)) \
        if bold_len is not None else True
    if not label_in_bold:
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
        elif match["tab"]:
            style = TABLE
        else:
            style = PLAIN
        where = None
        if stamp:
            where = BEFORE_LABEL if match["pre"] else AFTER_NAME
            stamp = match["pre"] or match[0][match.start("stamped") : match.end("stamped")]
        return _after_label(text, line_start + match.end(), line_end, name, media, style, where,
                            time_shape(stamp) if stamp else None)
    match = _timed_alone(line)
    if match:
        if match["pre"] or match["ts"]:
            stamp = match["pre"] or match["ts"]
        else:
            stamp = f"[{match['ts2']}]" if match["ts2"] else f"({match['ts3']})"
        media = parse_timestamp(_TS_ANYWHERE.search(stamp)[0])
        return Candidate(_clean_name(match["name"]), line_end, media, OTTER, time_where=ON_LABEL_LINE,
                         time_shape=time_shape(stamp))
    match = _ALONE.match(line)
    if match and not match["name"].rstrip("*_").endswith((".", ",", ";", "!", "?")):
        return Candidate(_clean_name(match["name"]), line_end, None, ALONE)
    return None


def _bold_name(match: re.Match | None, line: str, bold_len: int) -> bool:
    """The colon label's name is exactly the line's bold run (give or take markup)."""
    if match is None:
        return False
    bold = line[:bold_len].strip().strip("*_").rstrip(":").strip()
    return bool(bold) and " ".join(bold.split()) == _clean_name(match["name"])


def _timed_alone(line: str) -> re.Match | None:
    match = _TIMED_ALONE.match(line)
    return match if match and (match["pre"] or match["ts"] or match["ts2"] or match["ts3"]) else None


def _clean_name(raw: str) -> str:
    # "__Name__:" leaves the closing underscores in the name (they are word characters).
    return " ".join(raw.split()).strip("_*")


def _bold_candidate(text: str, line_start: int, line_end: int, bold_len: int) -> Candidate | None:
    label = text[line_start : line_start + bold_len].strip().strip("*_").rstrip(":").strip()
    if not label or "\n" in label:
        return None
    pos = min(line_start + bold_len, line_end)
    # Bold name, plain time, words in the next paragraph: an Otter.ai export to Word.
    stamp = _BARE_TS_REST.fullmatch(text, pos, line_end)
    if stamp:
        return Candidate(" ".join(label.split()), line_end, parse_timestamp(stamp["ts"]), OTTER,
                         time_where=ON_LABEL_LINE, time_shape=time_shape(stamp[0]))
    # A colon just after the bold run ("**Interviewer**: ...") belongs to the label.
    rest = _COLON_AFTER_BOLD.match(text, pos, line_end)
    has_colon = text[line_start:pos].rstrip().rstrip("*_").endswith(":") or ":" in rest[0]
    if not has_colon and not text[rest.end() : line_end].strip():
        # A bold line of its own with the words below: a name alone on its line.
        if label.endswith((".", ",", ";", "!", "?")):
            return None
        return Candidate(" ".join(label.split()), line_end, None, ALONE)
    style = BOLD if has_colon else BARE_BOLD
    return _after_label(text, rest.end(), line_end, " ".join(label.split()), None, style, None, None)


def _after_label(text: str, pos: int, line_end: int, name: str, media: float | None, style: str,
                 where: str | None, shape: str | None) -> Candidate:
    """Skip the separator whitespace and a leading ``[timestamp]`` after a label.

    A bare time that is all the rest of the line ("Kevin: 0:53", the words below) is the
    turn's time too; a bare time followed by words is only noted (``lead_time``): whether it
    is a time or the first words of the turn is decided over the whole document.
    """
    while pos < line_end and text[pos].isspace():
        pos += 1
    lead = None
    stamp = _LEADING_TS.match(text, pos, line_end)
    if stamp:
        if media is None:
            media, where, shape = parse_timestamp(stamp["a"] or stamp["b"]), AFTER_LABEL, time_shape(stamp[0])
        pos = stamp.end()
    else:
        bare = _LEADING_BARE_TS.match(text, pos, line_end)
        if bare and (bare.end() == line_end or not text[bare.end() : line_end].strip()):
            if media is None:
                media, where, shape = parse_timestamp(bare["ts"]), AFTER_LABEL, time_shape(bare["ts"])
            pos = line_end
        elif bare:
            lead = (bare.end(), parse_timestamp(bare["ts"]), bare["ts"])
    return Candidate(name, pos, media, style, lead_time=lead, time_where=where, time_shape=shape)


@dataclass
class SpeakerChoice:
    """The outcome of judging all candidates of one document."""

    accepted: dict[str, str]  # candidate key -> speaker name to use
    warnings: list[str]
    markers: dict[str, str] = field(default_factory=dict)  # key -> name: labels that are markers
    kept: list[str] = field(default_factory=list)  # label-like names kept as text


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
    * labels start at least half of the ``units`` (paragraphs or cues), some label recurs
      or names an interview role ("Interviewer: Hello / Maria: Hi"), the label has the
      shape of the recurring ones ("Participant 12" among "Participant 3"..., not
      "Hi Participant 12") and, where the recurring labels start paragraphs, it does too.

    Notes and headings (``Note:``, ``Question 3:``, ``Update:``) are never speakers; markers
    (``Break:``, ``Music:``) are returned apart, in ``markers``.
    """
    candidates = list(candidates)
    markers = {c.key: c.name for c in candidates if is_marker(c.name)}
    candidates = [c for c in candidates if c.key not in markers]
    counts = Counter(c.key for c in candidates)
    spellings: dict[str, Counter] = {}
    styles: dict[str, set[str]] = {}
    starts: dict[str, list[bool]] = {}
    for c in candidates:
        spellings.setdefault(c.key, Counter())[c.name] += 1
        styles.setdefault(c.key, set()).add(c.style)
        starts.setdefault(c.key, []).append(c.at_block_start)
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
    shapes = {label_shape(display[k]) for k in recurring}
    recurring_starts = [s for k in recurring for s in starts[k]]
    # Where the recurring labels start paragraphs, a label inside a paragraph is words.
    paragraph_labels = len(recurring_starts) >= 5 and sum(recurring_starts) >= 0.8 * len(recurring_starts)
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
        if paragraph_labels and not starts[k][0]:
            continue
        if shared in _DISTINCTIVE and styles[k] == {shared}:
            accepted.add(k)
            reasons[k] = f"it is written like the other speaker labels ({shared})"
        elif dense and styles[k] != {ALONE} and (not recurring or label_shape(display[k]) in shapes):
            accepted.add(k)
            reasons[k] = f"most {unit_name} of the document start with a speaker label like it"
        elif styles[k] == {ALONE} and label_shape(display[k]) in shapes - {"name"}:
            accepted.add(k)  # kept by the names-alone gate (turns._gate_alone): numbered like the others
            reasons[k] = "it is numbered like the other speaker labels"

    warnings = [
        f"label '{display[k]}' appears once and was treated as a speaker because {reasons[k]}"
        for k in once
        if k in reasons
    ]
    kept: list[str] = []
    if accepted:
        kept = [
            display[k]
            for k in once
            if k not in accepted and styles[k] != {ALONE} and (k in enumerations or is_name_like(display[k]))
        ]
        if kept:
            shown = ", ".join(f"'{name}'" for name in kept[:5]) + (", ..." if len(kept) > 5 else "")
            warnings.append(f"labels appearing only once were kept as text, not speakers: {shown}")
    return SpeakerChoice({k: display[k] for k in accepted}, warnings, markers if accepted else {}, kept)

