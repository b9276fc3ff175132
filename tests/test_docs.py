"""Docs as tests: the README's commands are real, and CI runs the README's test command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qualcode.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group, prefix="qualcode"):
    for name, command in group.commands.items():
        full = f"{prefix} {name}"
        if hasattr(command, "commands"):
            yield from _commands(command, full)
        else:
            yield full, command


@pytest.mark.parametrize("full,command", list(_commands(main)), ids=lambda x: str(x))
def test_every_command_is_documented_in_the_readme_and_has_help(full, command):
    assert f"`{full}" in README
    assert command.help and command.help.strip()


def test_the_readme_gives_exactly_two_set_up_commands_and_ci_runs_the_test_one():
    section = README.split("## Set up", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)\n```", section, flags=re.S)
    assert len(blocks) == 2 and all("\n" not in b for b in blocks)
    start, test = blocks
    assert start.startswith("pip install -r requirements.txt") and "streamlit run app.py" in start
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test in ci.splitlines()


def test_architecture_states_the_offset_rule():
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    text = " ".join(text.replace("*", "").split())  # ignore emphasis and line wrapping
    assert "Unicode code points" in text and "end exclusive" in text and "NFC" in text
