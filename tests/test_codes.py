"""The code tree in the database: applying codebooks, exporting them, resolving paths."""

from __future__ import annotations

import pytest

from qualcode.team.changelog import history
from qualcode.codebook import Codebook, CodeSpec
from qualcode.project.codes import PALETTE, CodeNotFound, apply_codebook, resolve, to_codebook

BOOK = Codebook("test", [
    CodeSpec(("Barriers",), "#aa0000", "Things in the way", "any obstacle", "a wish", '"It is hard."'),
    CodeSpec(("Barriers", "Financial"), None, "Money"),
    CodeSpec(("Barriers", "Immigration and visa"), "#cc3300", "Visas"),
    CodeSpec(("Enablers",), "#00aa00", "Things that help"),
])


def test_a_codebook_becomes_a_tree_in_file_order_and_exports_back(db):
    with db.session() as s:
        report = apply_codebook(s, db.project_id(s), BOOK, actor="ana")
    assert report.as_dict() == {
        "created": ["Barriers", "Barriers/Financial", "Barriers/Immigration and visa", "Enablers"],
        "updated": [], "unchanged": 0, "kept": [],
    }
    with db.session() as s:
        exported = to_codebook(s, db.project_id(s), name="test")
        assert [h["detail"]["path"] for h in history(s, entity="code")] == report.created
    # the code without a colour got one from the palette; everything else is as given
    assert exported.codes[1].colour in PALETTE
    exported.codes[1].colour = None
    assert exported == BOOK


def test_applying_again_updates_changed_fields_and_keeps_codes_not_in_the_file(db):
    with db.session() as s:
        apply_codebook(s, db.project_id(s), BOOK)
    edited = Codebook("test", [
        CodeSpec(("Barriers",), "#aa0000", "Anything that blocks clinical training", "any obstacle",
                 "a wish", '"It is hard."'),
        CodeSpec(("Barriers", "Financial"), None, "Money"),
    ])
    with db.session() as s:
        report = apply_codebook(s, db.project_id(s), edited)
    assert report.as_dict() == {"created": [], "updated": ["Barriers"], "unchanged": 1,
                                "kept": ["Barriers/Immigration and visa", "Enablers"]}
    with db.session() as s:
        assert resolve(s, db.project_id(s), "Barriers").definition.startswith("Anything")
        [update] = [h for h in history(s, entity="code") if h["action"] == "update"]
        assert update["detail"]["before"] == {"definition": "Things in the way"}


@pytest.mark.parametrize("path", ["Barriers/Financial", "barriers / financial", "/Barriers/Financial/", "Financial"])
def test_paths_resolve_case_insensitively_and_unique_leaf_names_alone(db, path):
    with db.session() as s:
        apply_codebook(s, db.project_id(s), BOOK)
        assert resolve(s, db.project_id(s), path).name == "Financial"


def test_an_unknown_path_suggests_close_ones(db):
    with db.session() as s:
        apply_codebook(s, db.project_id(s), BOOK)
        with pytest.raises(CodeNotFound, match="Did you mean: Barriers/Immigration and visa"):
            resolve(s, db.project_id(s), "Barriers/Imigration and visa")
