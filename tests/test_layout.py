"""Project layout rules: only the UI imports Streamlit; the library works without it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UI = ROOT / "qualcode" / "ui"


def _imports_streamlit(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "streamlit" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "streamlit":
            return True
    return False


def test_only_the_ui_package_imports_streamlit():
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "qualcode").rglob("*.py")
        if UI not in p.parents and _imports_streamlit(p)
    ]
    assert offenders == []
    assert _imports_streamlit(UI / "__init__.py")  # the rule checks something real


def test_the_library_and_cli_import_with_streamlit_unavailable():
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'streamlit': raise ImportError('blocked')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import qualcode.cli, qualcode.project.documents, qualcode.project.codings, qualcode.project.sample\n"
        "assert 'streamlit' not in sys.modules\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
