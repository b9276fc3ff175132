"""Hardening: every library read goes through the one visibility rule (``access.visibility``).

The sweep finds the library's read functions by itself, so a new read path cannot be added
without a decision about blind coding:

- every module under ``qualcode/`` except the faces (``qualcode.ui``, ``qualcode.cli``) and the
  migrations is imported, and every public function defined there that takes a ``Database``
  (annotated ``Database``, or named ``db``) is a candidate; writes (``@retrying`` marks them
  with ``qualcode_writes``) are left to ``tests/test_access.py``'s role matrix;
- so are the methods of the notebook API ``qualcode.api.Project``. The analysis functions that
  take a ``ProjectData`` get their data only from ``qualcode.analysis.data.load``: the loader
  is the read and they inherit it (the ``Project`` methods check that end to end).

Each candidate is in :data:`READS` (how to call it as the blind coder ana, and what ben's
hidden work would look like in its answer), in :data:`NO_CODINGS` (why it reads no codings), or
in :data:`NO_READER` (a server-side copying step that takes no acting user: who checks before
it runs); :func:`test_every_read_function_is_classified` fails on anything else.

The project (``test_access._build``): blind coding on; ana and ben both coded int1 and int2; ben
wrote memos on his codings. Every read is called as ana (a) before she marked anything done, so
all of ben's work is hidden, and (b) after she marked int2 done, so his int2 coding is hers to
see and his int1 codings are still hidden. Each call must either contain none of the hidden
codings — no quote, guid, id or memo of them, not ben's name while he has nothing visible, no
count that includes them — or raise ``AccessDenied``. Then each is called by nobody, which a
database with accounts must refuse.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import io
import pkgutil
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select, update

import qualcode
import qualcode.api
from qualcode.agreement import adjudication, units
from qualcode.analysis import cooccurrence as co
from qualcode.analysis import excerpts as ex
from qualcode.analysis import frequencies as fr
from qualcode.analysis import matrices as mx
from qualcode.analysis import queries
from qualcode.analysis.data import ProjectData, load, passage_ids
from qualcode.coding import code_counts, codebook_edit, editing, key_quotes, undo, visibility
from qualcode.project import codings, documents, overview, projects, sample
from qualcode.project.codes import tree
from qualcode.project.participants import parse_attributes
from qualcode.refi import store as refi_store
from qualcode.store.db import Database
from qualcode.suggest import service as suggest_service
from qualcode.suggest.corpus import SuggestError
from qualcode.store.models import Coder, Coding, Document, Project
from qualcode.team import backup as backups
from qualcode.team.access import AccessDenied
from qualcode.team.settings import set_blind, set_codebook_editing

from test_access import DOC1, _build

SKIPPED_PACKAGES = ("qualcode.ui", "qualcode.cli", "qualcode.store.migrations")
ANA, BEN = "ana", "ben"
BEN_MEMO = "BEN-ONLY memo: the mentor story is the key"
ATTRIBUTES = b"participant_id,document,country\nP1,int1,India\nP2,int2,Nepal\n"


# -- the enumeration ------------------------------------------------------------------------------


def _modules(package) -> list:
    """Every module below ``package`` except the skipped packages (never imported at all:
    ``pkgutil.walk_packages`` imports each package to look inside it, streamlit included)."""
    found = []
    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        if info.name in SKIPPED_PACKAGES or info.name.endswith(".__main__"):
            continue
        module = importlib.import_module(info.name)
        found.append(module)
        if info.ispkg:
            found.extend(_modules(module))
    return found


def _is_write(fn: Callable) -> bool:
    """Marked by ``qualcode.store.db.retrying`` (directly or under another decorator)."""
    while fn is not None:
        if getattr(fn, "qualcode_writes", False):
            return True
        fn = getattr(fn, "__wrapped__", None)
    return False


def _takes_database(fn: Callable) -> bool:
    params = list(inspect.signature(fn).parameters.values())
    if not params:
        return False
    first = params[0]
    return first.annotation in (Database, "Database") or first.name == "db"


def enumerate_reads() -> dict[str, Callable]:
    """``"module.function"`` → function: the library's public functions that take a database
    and are not writes, plus the notebook API's ``Project`` methods and properties."""
    found: dict[str, Callable] = {}
    for module in _modules(qualcode):
        for name, obj in vars(module).items():
            if (name.startswith("_") or not inspect.isfunction(obj)
                    or obj.__module__ != module.__name__):
                continue
            if _takes_database(obj) and not _is_write(obj):
                found[f"{module.__name__}.{name}"] = obj
    for name, obj in vars(qualcode.api.Project).items():
        if name.startswith("_"):
            continue
        if isinstance(obj, property):
            obj = obj.fget
        if inspect.isfunction(obj):
            found[f"qualcode.api.Project.{name}"] = obj
    return found


# -- the project and what ana may see ---------------------------------------------------------------


@dataclass
class Row:
    id: int
    guid: str
    document: str
    code: str
    coder: str
    quote: str
    memo: str | None


@dataclass
class Truth:
    """Every coding in the project and the part the blind coder may see (the rule, restated)."""

    rows: list[Row]
    done: set[str]  # documents ana marked done
    full: ProjectData  # the analysis tables with every coding (read with blind coding off)
    visible: list[Row] = field(init=False)
    hidden: list[Row] = field(init=False)

    def __post_init__(self):
        self.visible = [r for r in self.rows if r.coder == ANA or r.document in self.done]
        self.hidden = [r for r in self.rows if r not in self.visible]
        assert self.hidden, "the scenario must hide some of ben's codings"

    @property
    def ben_visible(self) -> bool:
        return any(r.coder == BEN for r in self.visible)

    def count(self, *, document: str | None = None, code: str | None = None) -> int:
        return len(self.select(document=document, code=code))

    def select(self, *, document: str | None = None, code: str | None = None) -> list[Row]:
        return [r for r in self.visible if (document is None or r.document == document)
                and (code is None or r.code == code or r.code.startswith(code + "/"))]

    @property
    def data(self) -> ProjectData:
        """The analysis tables limited to the visible codings: what ana's analyses must equal."""
        ids = {r.id for r in self.visible}
        full = self.full
        kept = full.codings[full.codings["coding_id"].isin(ids)].reset_index(drop=True)
        out = dataclasses.replace(full, codings=kept, coders=sorted(set(kept["coder"])), _cache={})
        # passages joined over the visible codings only (a hidden coding never bridges two)
        kept["passage"] = passage_ids(full.codes.index.get_indexer(kept["code_id"]), *out.global_spans(kept))
        return out


def _setup(db: Database) -> Database:
    """``_build`` plus participants with a country, and ben's memos on his codings."""
    _build(db)
    documents.apply_attributes(db, parse_attributes(ATTRIBUTES, "people.csv"), actor="olga")
    for view in editing.codings_for_document(db, "int1", viewer=BEN):
        editing.set_memo(db, view.id, f"{BEN_MEMO} ({view.id})", actor=BEN)
    return db


def _full_data(db: Database) -> ProjectData:
    """Every coding, read as the owner with blind coding off (then on again)."""
    set_blind(db, False, actor="olga")
    try:
        return load(db, viewer="olga")
    finally:
        set_blind(db, True, actor="olga")


def _truth(db: Database, full: ProjectData) -> Truth:
    with db.session() as s:
        paths = {c.id: "/".join(p) for p, c in tree(s, db.project_id(s))}
        rows = [Row(c.id, c.guid, d, paths[c.code_id], coder, c.quote, c.memo)
                for c, d, coder in s.execute(
                    select(Coding, Document.name, Coder.name)
                    .join(Document, Document.id == Coding.document_id)
                    .join(Coder, Coder.id == Coding.coder_id).order_by(Coding.id))]
    done = {name for name in ("int1", "int2") if visibility.is_done(db, name, ANA)}
    return Truth(rows, done, full)


@pytest.fixture(scope="module")
def project_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reads")
    db = _setup(Database(folder / "project.db"))
    db.close()
    copy = Database(shutil.copy(folder / "project.db", folder / "full.db"))
    full = _full_data(copy)
    copy.close()
    return folder / "project.db", full


SCENARIOS = {"nothing done": (), "int2 done": ("int2",)}


@pytest.fixture(params=list(SCENARIOS))
def blind(request, project_file, tmp_path):
    """A private copy of the project, ana having marked the scenario's documents done."""
    path, full = project_file
    shutil.copy(path, tmp_path / "project.db")
    db = Database(tmp_path / "project.db")
    for name in SCENARIOS[request.param]:
        visibility.mark_done(db, name, ANA)
    yield db, _truth(db, full)
    db.close()


# -- what hidden work looks like in an answer ----------------------------------------------------


def _atoms(value: Any, seen: set[int] | None = None):
    """Every string in ``value``, however nested: containers, dataclasses, DataFrames, numpy
    arrays, plain objects, and bytes (a .qdpx/.qdc is opened and its XML read)."""
    seen = set() if seen is None else seen
    if isinstance(value, str):
        yield value
        return
    if value is None or isinstance(value, (bool, int, float, np.number)):
        return
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, bytes):
        yield from _bytes_atoms(value)
    elif isinstance(value, pd.DataFrame):
        yield from _atoms(list(value.columns), seen)
        yield from _atoms(list(value.index), seen)
        for column in value.columns:
            yield from _atoms(list(value[column]), seen)
    elif isinstance(value, (pd.Series, pd.Index, np.ndarray)):
        yield from _atoms(list(value), seen)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _atoms(k, seen)
            yield from _atoms(v, seen)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for v in value:
            yield from _atoms(v, seen)
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            yield from _atoms(getattr(value, f.name), seen)
    elif hasattr(value, "__dict__"):
        yield from _atoms(vars(value), seen)
    else:
        yield str(value)


def _bytes_atoms(data: bytes):
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                yield from _bytes_atoms(archive.read(name))
        return
    if data.lstrip()[:1] == b"<":
        for element in ElementTree.fromstring(data).iter():
            yield from element.attrib.values()
            if element.text and element.text.strip():
                yield element.text
        return
    yield data.decode("utf-8", "replace")


def hidden_work(result: Any, t: Truth) -> list[str]:
    """The generic look: a hidden coding's quote or guid, a description that quotes it, its
    memo, and ben's name while nothing of his is visible."""
    quotes = {r.quote for r in t.hidden}
    descriptions = {f"“{editing._short(r.quote)}”" for r in t.hidden}
    guids = {r.guid for r in t.hidden}
    memos = {r.memo for r in t.hidden if r.memo}
    found = []
    for atom in _atoms(result):
        if atom in quotes:
            found.append(f"the quote {atom!r}")
        elif atom in guids:
            found.append(f"the coding guid {atom}")
        elif any(d in atom for d in descriptions):
            found.append(f"a description quoting a hidden coding: {atom!r}")
        elif any(m in atom for m in memos):
            found.append(f"ben's memo {atom!r}")
        elif atom == BEN and not t.ben_visible:
            found.append("ben's name")
    return found


def _differs(got: Any, expected: Any, what: str) -> list[str]:
    """``got`` is not what the visible codings alone give."""
    if isinstance(expected, pd.DataFrame):
        try:
            pd.testing.assert_frame_equal(got, expected, check_exact=False)
        except AssertionError as exc:
            return [f"{what} differs from the same analysis of the visible codings only: "
                    f"{str(exc).splitlines()[0]}\n{got}\nexpected\n{expected}"]
        return []
    return [] if got == expected else [f"{what}: got {got!r}, visible only {expected!r}"]


def same_as_visible(compute: Callable[[ProjectData], Any]) -> Callable[[Any, Truth], list[str]]:
    """The answer of an analysis equals that analysis of the visible codings (counts, rates,
    excerpts: nothing may include a hidden coding)."""
    return lambda got, t: _differs(got, compute(t.data), "the result")


# -- the table ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Read:
    """How to call a read as ``who`` (ana, or None for nobody), and how to check its answer.

    ``shows``: what ben's hidden work would look like in the answer (documentation; the generic
    :func:`hidden_work` check runs on every answer). ``check(answer, truth)``: the specific
    look (ids, counts), a list of what was found. ``refused``: the blind coder is refused
    (``AccessDenied``) rather than answered.
    """

    call: Callable[[Database, str | None, Truth], Any]
    shows: str
    check: Callable[[Any, Truth], list[str]] = lambda got, t: []
    refused: bool = False


def _view_ids(views, t: Truth) -> list[str]:
    return [f"coding id {v.id}" for v in views if v is not None and v.id in {r.id for r in t.hidden}]


def _each_coding(db: Database, who: str | None, t: Truth):
    """``get_coding`` for every coding id in the project (a hidden one is not found)."""
    out = []
    for r in t.rows:
        try:
            out.append(editing.get_coding(db, r.id, viewer=who))
        except editing.CodingNotFound:
            out.append(None)
    return out


def _check_get_coding(got, t: Truth) -> list[str]:
    shown = {v.id for v in got if v is not None}
    return _view_ids(got, t) + _differs(shown, {r.id for r in t.visible}, "ids found")


def _check_workspace(got, t: Truth) -> list[str]:
    counts = {doc: len(views) for doc, views in got.items()}
    return ([p for views in got.values() for p in _view_ids(views, t)]
            + _differs(counts, {d: t.count(document=d) for d in got}, "codings per document"))


def _check_list_codings(got, t: Truth) -> list[str]:
    everything, bens, enablers = got
    return (_differs(len(everything), t.count(), "codings listed")
            + _differs(len(bens), len([r for r in t.visible if r.coder == BEN]), "ben's listed")
            + _differs(len(enablers), t.count(code="Enablers"), "Enablers codings listed"))


def _check_documents(got, t: Truth) -> list[str]:
    return _differs({d["name"]: d["codings"] for d in got},
                    {d: t.count(document=d) for d in ("int1", "int2")}, "codings per document")


USAGE_CODES = ("Barriers", "Barriers/Cost", "Enablers")


def _check_usage(got, t: Truth) -> list[str]:
    expected = {}
    for code in USAGE_CODES:
        rows = t.select(code=code)
        expected[code] = (len(rows), len({r.document for r in rows}), len({r.coder for r in rows}))
    return _differs({c: (u["codings"], u["documents"], u["coders"]) for c, u in got.items()},
                    expected, "code usage (codings, documents, coders)")


def _check_refi(got, t: Truth) -> list[str]:
    exported = {c.guid for s in got.sources for sel in s.selections for c in sel.codings}
    users = {u.name for u in got.users}
    return (_differs(exported, {r.guid for r in t.visible}, "codings exported")
            + _differs(users, {r.coder for r in t.visible}, "users listed"))


def _check_coders(got, t: Truth) -> list[str]:
    return _differs(got, sorted({r.coder for r in t.visible}), "coders listed")


def _check_data(got, t: Truth) -> list[str]:
    expected = t.data
    # passage numbers are dense over the codings loaded (so they cannot count hidden ones):
    # compare the rows without them
    return (_differs(got.codings.drop(columns="passage"), expected.codings.drop(columns="passage"),
                     "the codings table")
            + _differs(got.coders, expected.coders, "the coders"))


def _preview(db: Database, who: str | None, t: Truth):
    """``who`` previewing "code all hits" as ana, then as ben (whose codings it would show),
    on the hits in ana's own view of the project."""
    data = load(db, viewer=ANA)
    hits = queries.search(data, "fees")
    mine = queries.preview_autocode(db, data, hits, "Barriers/Cost", ANA, viewer=who)
    try:
        bens = queries.preview_autocode(db, data, hits, "Barriers/Cost", BEN, viewer=who)
    except AccessDenied:
        bens = "refused"
    return mine, bens


def _check_preview(got, t: Truth) -> list[str]:
    mine, bens = got
    return [] if isinstance(bens, str) else ["a preview as ben: " + bens.to_string()]


def _import_file(db: Database, who: str | None):
    """Import the project as the owner exports it (a file that holds the same codings)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "project.qdpx"
        path.write_bytes(refi_store.export_qdpx(db, viewer="olga"))
        return refi_store.import_project_file(db, path, actor=who)


def _project_name(db: Database) -> str:
    with db.session() as s:
        return s.get(Project, db.project_id(s)).name


def _check_summaries(got, t: Truth) -> list[str]:
    summaries = got if isinstance(got, list) else [got]
    return _differs([(p.codings, p.coders) for p in summaries],
                    [(t.count(), len({r.coder for r in t.visible}))], "project (codings, coders)")


def _starred(db: Database, who: str | None, t: Truth):
    """Every coding of the project starred as a key quote (ben's too), then the list as ``who``,
    whole and for one code; the stars are taken off again (the PostgreSQL sweep runs every read
    on one database, and the analysis tables carry the star)."""
    with db.session() as s:
        s.execute(update(Coding).values(key_quote=True))
    try:
        return (key_quotes.key_quotes(db, viewer=who),
                key_quotes.key_quotes(db, viewer=who, code="Enablers"))
    finally:
        with db.session() as s:
            s.execute(update(Coding).values(key_quote=False))


def _check_starred(got, t: Truth) -> list[str]:
    everything, enablers = got
    hidden = {r.id for r in t.hidden}
    return ([f"coding id {q.coding_id}" for q in everything + enablers if q.coding_id in hidden]
            + _differs(sorted(q.coding_id for q in everything), sorted(r.id for r in t.visible),
                       "key quotes listed")
            + _differs(len(enablers), t.count(code="Enablers"), "Enablers key quotes listed"))


def _check_overview(got, t: Truth) -> list[str]:
    coders = sorted({r.coder for r in t.visible})
    per_coder = [{"name": c, "documents": len({r.document for r in t.visible if r.coder == c}),
                  "codings": len([r for r in t.visible if r.coder == c])} for c in coders]
    common = any(len({r.coder for r in t.visible if r.document == d}) >= 2
                 for d in {r.document for r in t.visible})
    return (_differs(got["coders"], per_coder, "progress per coder")
            + _differs(got["codings"], t.count(), "codings counted")
            + _differs(got["compare"], common, "coders to compare"))


def _project(db: Database, who: str | None) -> qualcode.api.Project:
    return qualcode.open(db, user=who)


READS: dict[str, Read] = {
    # -- the workspace and lists
    "qualcode.coding.editing.get_coding": Read(
        _each_coding, "one of ben's codings by id (its quote, coder, memo)", _check_get_coding),
    "qualcode.coding.editing.codings_for_document": Read(
        lambda db, who, t: {d: editing.codings_for_document(db, d, viewer=who) for d in ("int1", "int2")},
        "ben's codings in the workspace of int1/int2 (ids, quotes, coder, memos)", _check_workspace),
    "qualcode.coding.editing.own_coding_over": Read(
        lambda db, who, t: [editing.own_coding_over(db, r.document, r.code, who, 0, 10**9)
                            for r in t.rows],
        "ben's coding of a code on a document, as if it were the caller's own",
        lambda got, t: _view_ids(got, t)),
    "qualcode.project.codings.list_codings": Read(
        lambda db, who, t: (codings.list_codings(db, viewer=who),
                            codings.list_codings(db, coder=BEN, viewer=who),
                            codings.list_codings(db, code="Enablers", viewer=who)),
        "rows with coder ben, his quotes and memos, also when asked for coder=ben or a code",
        _check_list_codings),
    "qualcode.project.documents.list_documents": Read(
        lambda db, who, t: documents.list_documents(db, viewer=who),
        "a document's coding count that includes ben's codings", _check_documents),
    "qualcode.coding.codebook_edit.code_usage": Read(
        lambda db, who, t: {c: codebook_edit.code_usage(db, c, viewer=who) for c in USAGE_CODES},
        "a code's codings/documents/coders counts that include ben's (Enablers: only his)",
        _check_usage),
    "qualcode.coding.code_counts.code_counts": Read(
        lambda db, who, t: code_counts.code_counts(db, "int1", viewer=who),
        "per-code counts (this document, the project) that include ben's codings",
        lambda got, t: (_differs(sum(d for d, _ in got.values()), t.count(document="int1"), "int1 codings")
                        + _differs(sum(n for _, n in got.values()), t.count(), "project codings"))),
    "qualcode.coding.key_quotes.key_quotes": Read(
        _starred, "ben's starred codings (quote, coder, memo) in the list of key quotes",
        _check_starred),
    "qualcode.coding.undo.peek": Read(
        lambda db, who, t: undo.peek(db, who),
        "the description of ben's last action (“quote”)"),
    "qualcode.coding.undo.history": Read(
        lambda db, who, t: undo.history(db, who),
        "ben's actions, each quoting what he coded"),
    "qualcode.project.overview.study_overview": Read(
        lambda db, who, t: overview.study_overview(db, viewer=who),
        "ben's progress (documents coded, codings) on the Home page, a total that includes his "
        "codings, or 'coders to compare' because of his", _check_overview),
    # -- coders, comparison, adjudication
    "qualcode.agreement.units.project_coders": Read(
        lambda db, who, t: units.project_coders(db, viewer=who),
        "ben in the coder list while none of his codings is visible", _check_coders),
    "qualcode.agreement.units.build_unit_matrix": Read(
        lambda db, who, t: units.build_unit_matrix(db, coders=[ANA, BEN], viewer=who),
        "ben's column of the unit matrix", refused=True),
    "qualcode.agreement.adjudication.passages": Read(
        lambda db, who, t: adjudication.passages(db, "Enablers", [ANA, BEN], viewer=who),
        "ben's spans and their text", refused=True),
    "qualcode.agreement.adjudication.disagreements": Read(
        lambda db, who, t: adjudication.disagreements(db, "Barriers/Cost", [ANA, BEN], viewer=who),
        "ben's spans where they differ from ana's", refused=True),
    "qualcode.agreement.adjudication.adopt_agreements": Read(
        lambda db, who, t: adjudication.adopt_agreements(db, "Barriers/Cost", [ANA, BEN], actor=who),
        "a count of passages where ben agreed (and consensus codings copied from his)",
        refused=True),
    # -- analysis: the loader, autocoding previews, the notebook API
    "qualcode.analysis.data.load": Read(
        lambda db, who, t: load(db, viewer=who),
        "ben's rows in the codings table (and his memos), ben in the coders", _check_data),
    "qualcode.analysis.queries.preview_autocode": Read(
        _preview, "a preview as ben: where he coded ('already coded')", _check_preview),
    "qualcode.api.Project.data": Read(
        lambda db, who, t: _project(db, who).data,
        "ben's rows in the codings table, ben in the coders", _check_data),
    "qualcode.api.Project.filter": Read(
        lambda db, who, t: _project(db, who).filter(documents=["int1"]).data,
        "ben's int1 codings in a filtered view (the viewer dropped by filter())",
        lambda got, t: _differs(len(got.codings), t.count(document="int1"), "int1 codings")),
    "qualcode.api.Project.coding_set": Read(
        lambda db, who, t: _project(db, who).coding_set,
        "ben among the coders of the default coding set",
        lambda got, t: [] if t.ben_visible or BEN not in got.coders else [f"the coding set names {BEN}: {got}"]),
    "qualcode.api.Project.frequencies": Read(
        lambda db, who, t: _project(db, who).frequencies(),
        "codings/documents counts per code that include ben's", same_as_visible(fr.frequencies)),
    "qualcode.api.Project.cooccurrence": Read(
        lambda db, who, t: _project(db, who).cooccurrence(),
        "co-occurrence counts that include ben's codings", same_as_visible(co.cooccurrence)),
    "qualcode.api.Project.excerpts": Read(
        lambda db, who, t: _project(db, who).excerpts(),
        "ben's excerpts (quote, coder, memo)", same_as_visible(ex.excerpts)),
    "qualcode.api.Project.code_by_document": Read(
        lambda db, who, t: _project(db, who).code_by_document(),
        "per-document counts that include ben's", same_as_visible(mx.code_by_document)),
    "qualcode.api.Project.code_by_attribute": Read(
        lambda db, who, t: _project(db, who).code_by_attribute("country"),
        "per-country counts that include ben's",
        same_as_visible(lambda d: mx.code_by_attribute(d, "country"))),
    "qualcode.api.Project.wide": Read(
        lambda db, who, t: _project(db, who).wide(),
        "ben's codes on sentences (wide form)", same_as_visible(ex.wide_form)),
    # -- exports and whole-database copies
    "qualcode.refi.store.export_project": Read(
        lambda db, who, t: refi_store.export_project(db, viewer=who),
        "ben's selections (quote, guid), memos, ben among the users", _check_refi),
    "qualcode.refi.store.export_qdpx": Read(
        lambda db, who, t: refi_store.export_qdpx(db, viewer=who),
        "the same in the .qdpx's project.qde"),
    "qualcode.refi.store.export_qdc": Read(
        lambda db, who, t: refi_store.export_qdc(db, viewer=who),
        "nothing (a codebook), but it is built from the project export: read as someone"),
    "qualcode.team.backup.backup": Read(
        lambda db, who, t: backups.backup(db, "/nonexistent/copy.db", actor=who),
        "everything: a copy of the whole database (owners only)", refused=True),
    "qualcode.team.backup.restore": Read(
        lambda db, who, t: backups.restore(db, "/nonexistent/backup.db", actor=who),
        "a database replaced by one whose codings the caller chose (owners only)", refused=True),
    # -- writes made of checked writes (not @retrying as a whole): a coder may not run them
    "qualcode.project.documents.import_files": Read(
        lambda db, who, t: documents.import_files(db, [("int1.txt", DOC1.encode())], replace=True,
                                                  actor=who),
        "a replaced document's report: codings moved, the quote of one it would lose "
        "(owners only)", refused=True),
    "qualcode.project.sample.load_sample": Read(
        lambda db, who, t: sample.load_sample(db, actor=who),
        "nothing of ben's (it reports what it loaded); owners only", refused=True),
    # -- projects
    "qualcode.project.projects.list_projects": Read(
        lambda db, who, t: projects.list_projects(db, viewer=who),
        "a project's codings/coders counts that include ben's", _check_summaries),
    "qualcode.project.projects.project_summary": Read(
        lambda db, who, t: projects.project_summary(db, viewer=who),
        "the same, for one project", _check_summaries),
    "qualcode.project.projects.backup_project": Read(
        lambda db, who, t: projects.backup_project(db, "/nonexistent/p.db", actor=who),
        "everything of the project in a file (owners only)", refused=True),
    "qualcode.project.projects.delete_project": Read(
        lambda db, who, t: projects.delete_project(db, confirm=_project_name(db), actor=who,
                                                   backup_to="/nonexistent/p.db"),
        "the backup it writes first holds everything (owners only)", refused=True),
    "qualcode.project.projects.create_project": Read(
        lambda db, who, t: projects.create_project(db, "Ana's own study", actor=who),
        "a new project's summary (admins and owners only)", refused=True),
    "qualcode.refi.store.import_project_file": Read(
        lambda db, who, t: _import_file(db, who),
        "duplicates of ben's codings reported as already present (owners only)", refused=True),
}

#: Functions that read no codings at all: why.
def _similar_to_hidden(db: Database, who: str | None, t: Truth):
    hidden = next(r.id for r in t.hidden if r.coder == BEN)
    try:
        return suggest_service.find_similar(db, hidden, ANA, viewer=who)
    except SuggestError as refusal:
        if who is None:
            raise
        return str(refusal)  # the answer is the refusal; hidden_work checks it names nothing of ben's


READS.update({
    # -- code suggestions: learned from one coder's codings, asked for only by that coder
    "qualcode.suggest.service.suggest": Read(
        lambda db, who, t: suggest_service.suggest(db, "int1", BEN, viewer=who),
        "suggestions learned from ben's codings (where he coded, by code)", refused=True),
    "qualcode.suggest.service.model_for": Read(
        lambda db, who, t: suggest_service.model_for(db, BEN, viewer=who),
        "a model trained on ben's codings", refused=True),
    "qualcode.suggest.service.training_data": Read(
        lambda db, who, t: suggest_service.training_data(db, coder=BEN, viewer=who),
        "ben's codings as sentence labels", refused=True),
    "qualcode.suggest.evaluate.evaluate": Read(
        lambda db, who, t: importlib.import_module("qualcode.suggest.evaluate").evaluate(
            db, coder=BEN, viewer=who),
        "per-code scores against ben's codings", refused=True),
    "qualcode.suggest.service.find_similar": Read(
        lambda db, who, t: _similar_to_hidden(db, who, t),
        "sentences like one of ben's hidden codings (its text); a hidden coding reads as "
        "no coding at all, so its existence is not revealed either"),
    "qualcode.suggest.service.peek": Read(
        lambda db, who, t: suggest_service.peek(db, who),
        "the caller's own next undo (never ben's)"),
    "qualcode.suggest.service.peek_undo": Read(
        lambda db, who, t: suggest_service.peek_undo(db, who),
        "the caller's own next undo (never ben's)"),
    "qualcode.suggest.service.rejections": Read(
        lambda db, who, t: suggest_service.rejections(db, who),
        "the caller's own rejected suggestions (never ben's)"),
})

NO_CODINGS: dict[str, str] = {
    "qualcode.project.documents.show_document": "a document's text, turns and import report",
    "qualcode.project.document_reads.show_documents": "show_document of several documents at once",
    "qualcode.project.document_reads.document_names": "the project's document names",
    "qualcode.project.groups.list_groups": "group names, descriptions and document names",
    "qualcode.coding.visibility.is_done": "whether a coder marked a document done (progress, "
                                          "no coding, quote or count)",
    "qualcode.team.settings.is_blind": "the blind-coding setting",
    "qualcode.team.accounts.list_accounts": "account names, roles and states",
    "qualcode.team.accounts.login": "checks a password, returns a session token",
    "qualcode.team.accounts.session_user": "the account name a session token belongs to",
    "qualcode.team.accounts.logout": "ends a session",
    "qualcode.coding.code_counts.sentence_bounds": "a document's sentence offsets (its text's structure)",
    "qualcode.team.accounts.session_info": "a session token's account name and remaining lifetime",
    "qualcode.team.accounts.change_own_password": "changes the caller's own password",
    "qualcode.team.access.require_manager": "an access check; returns nothing",
    "qualcode.team.backup.safety_path": "computes a file name",
    "qualcode.team.backup.auto_backups": "lists the automatic backup files in a folder",
    "qualcode.store.db.resolve_url": "turns a path into a database URL (opens nothing)",
    "qualcode.analysis.synthetic.build": "writes a generated project (test data); returns None",
    "qualcode.analysis.synthetic.random_project": "writes a generated project; returns its sizes",
    "qualcode.analysis.synthetic.hand_project": "writes the hand-built test project",
    "qualcode.analysis.synthetic.two_coders_project": "writes a hand-built two-coder test project",
    "qualcode.analysis.synthetic.code_random_sentences": "writes generated codings; returns how "
                                                         "many it wrote (its own argument)",
    "qualcode.api.Project.refresh": "forgets the loaded tables; reads nothing",
    "qualcode.project.projects.unarchive_project": "owners' switch; returns a bool",
    "qualcode.project.projects.accessible_projects": "the viewer's projects: names, archived "
                                                     "flags, their role",
    "qualcode.project.projects.restore_project": "reads codings from the backup file it is "
                                                 "given, not from the database; reports counts of "
                                                 "that file's rows",
    "qualcode.project.projects.backup_dir": "computes a folder name",
    "qualcode.project.projects.default_backup_path": "computes a file name",
    "qualcode.team.project_backup.close_project_file": "closes a file opened for a restore",
    "qualcode.project.attribute_groups.list_groupings": "groupings: attribute names, value → group "
                                                        "mappings, participant counts",
    "qualcode.project.attribute_groups.list_attributes": "participant attributes with their values and counts",
    "qualcode.project.attribute_groups.participant_table": "participants, their documents' names and "
                                                           "attribute values",
    "qualcode.project.media.media_for": "a document's recording: file name, type, size, hash, "
                                        "who attached it (no coding); any member, checked",
    "qualcode.project.media.list_media": "the project's recordings by document name (as media_for)",
    "qualcode.store.media_files.media_dir": "computes a folder name",
    "qualcode.refi.media.attach_imported": "attaches imported recordings through media.attach "
                                           "(owners, at the change log's gate); reads nothing",
}

#: Steps that copy codings server-side and take no acting user, so they serve nobody's read:
#: who checks before calling them.
NO_READER: dict[str, str] = {
    "qualcode.team.backup.auto_backup": "the app's and the CLI's daily copy of an SQLite file "
                                        "into its own backups folder (as protected as the "
                                        "database); returns the path, shows no row",
    "qualcode.team.project_backup.write_project_file": "the copying step of backup_project and "
                                                       "delete_project, called after their owner "
                                                       "check (projects._mine)",
}


# -- the tests ------------------------------------------------------------------------------------


def test_every_read_function_is_classified():
    found = enumerate_reads()
    classified = set(READS) | set(NO_CODINGS) | set(NO_READER)
    unclassified = sorted(set(found) - classified)
    assert not unclassified, (
        "new read paths: add each to READS (how to call it as a blind coder and what another "
        "coder's hidden codings would look like), to NO_CODINGS (why it reads none) or to "
        "NO_READER (who checks before this server-side step runs):\n  "
        + "\n  ".join(unclassified))
    stale = sorted(classified - set(found))
    assert not stale, f"classified but no longer found (renamed, removed, or now a write): {stale}"
    assert len(classified) == len(READS) + len(NO_CODINGS) + len(NO_READER)  # one place each


def test_the_enumeration_finds_reads_and_leaves_out_writes():
    found = enumerate_reads()
    assert "qualcode.refi.store.export_project" in found  # undecorated
    assert "qualcode.api.Project.frequencies" in found
    assert "qualcode.coding.editing.add" not in found  # @retrying
    assert not any(name.startswith(tuple(p + "." for p in SKIPPED_PACKAGES)) for name in found)
    read_only = {f"{m.__name__}.{n}" for m in _modules(qualcode) for n, f in vars(m).items()
                 if getattr(f, "qualcode_read_only", False) and f.__module__ == m.__name__}
    assert "qualcode.project.codings.list_codings" in read_only
    assert read_only <= set(found)  # every @read_only function is swept


def _call(read: Read, db: Database, who: str | None, t: Truth):
    """(refused, answer)"""
    try:
        return False, read.call(db, who, t)
    except AccessDenied as refusal:
        return True, refusal


def _problems(name: str, read: Read, db: Database, t: Truth) -> list[str]:
    refused, answer = _call(read, db, ANA, t)
    if refused:
        if read.refused:
            return []
        return [f"{name}: refused ({answer}) where the blind coder should get her own view"]
    found = hidden_work(answer, t) + read.check(answer, t)
    if read.refused:
        found.insert(0, "answered where it must refuse")
    return [f"{name} shows ben's hidden work: {p}" for p in dict.fromkeys(found)]


@pytest.mark.parametrize("name", sorted(READS))
def test_a_blind_coder_sees_none_of_another_coders_hidden_codings(blind, name):
    db, t = blind
    problems = _problems(name, READS[name], db, t)
    assert not problems, "\n".join(problems)


@pytest.fixture
def nobody(monkeypatch):
    """No acting account: QUALCODE_USER empty and an OS user who has no account."""
    monkeypatch.setenv("QUALCODE_USER", "")
    monkeypatch.setattr("qualcode.team.access.getpass.getuser", lambda: "someone-on-the-server")


@pytest.mark.parametrize("name", sorted(READS))
def test_with_accounts_a_read_by_nobody_is_refused(project_file, tmp_path, nobody, name):
    path, full = project_file
    shutil.copy(path, tmp_path / "project.db")
    db = Database(tmp_path / "project.db")
    try:
        refused, answer = _call(READS[name], db, None, _truth(db, full))
    finally:
        db.close()
    assert refused, f"{name} answered nobody: {answer!r:.300}"


def test_both_engines_postgresql_sweep(postgres_schema_url, nobody):
    """The whole table once on PostgreSQL: nothing done, then int2 done; and nobody refused."""
    db = _setup(Database(postgres_schema_url))
    try:
        full = _full_data(db)
        problems = []
        for scenario in SCENARIOS.values():
            for name in scenario:
                visibility.mark_done(db, name, ANA)
            t = _truth(db, full)
            for name, read in sorted(READS.items()):
                problems += _problems(name, read, db, t)
        problems += [f"{name} answered nobody" for name, read in sorted(READS.items())
                     if not _call(read, db, None, t)[0]]
    finally:
        db.close()
    assert not problems, "\n".join(problems)


def test_codebook_writes_report_only_the_codings_the_actor_may_see(blind):
    """A delete's confirmation number, a merge's counts and their undo descriptions are
    numbers about codings: under blind coding they count what the actor may see (the code
    editor shows ``code_usage`` and confirms the delete with the same number)."""
    db, t = blind
    set_codebook_editing(db, True, actor="olga")
    enablers = t.count(code="Enablers")  # nothing done: 0, all of Enablers is ben's
    with pytest.raises(codebook_edit.CodebookEditError) as wrong:
        codebook_edit.delete_code(db, "Enablers", confirm=99, actor=ANA)
    assert f"deletes {enablers} coding(s)" in str(wrong.value)
    merged = codebook_edit.merge_codes(db, "Enablers", "Barriers", actor=ANA)
    assert merged["moved"] + merged["collapsed"] == enablers
    assert f"({enablers} moved, 0 collapsed)" in undo.peek(db, ANA)["undo"]
    undo.undo(db, ANA)
    usage = codebook_edit.code_usage(db, "Barriers", viewer=ANA)
    assert usage["codings"] == t.count(code="Barriers")
    deleted = codebook_edit.delete_code(db, "Barriers", confirm=usage["codings"], actor=ANA)
    assert deleted["codings_deleted"] == usage["codings"]
    assert f"({usage['codings']} codings," in undo.peek(db, ANA)["undo"]
    with db.session() as s:  # the hidden ones went too, and undo brings every one back
        assert s.scalar(select(func.count(Coding.id))) == len(t.rows) - t.count(code="Barriers") \
            - len([r for r in t.hidden if r.code.startswith("Barriers")])
    undo.undo(db, ANA)
    with db.session() as s:
        assert s.scalar(select(func.count(Coding.id))) == len(t.rows)
