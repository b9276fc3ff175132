"""Project layout rules: only the UI imports Streamlit; the library works without it; the
packages import one another only downwards, in no circle; modules stay readable in size."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "qualcode"
UI = PACKAGE / "ui"

#: The layers, low to high. A qualcode module may import (at module level or inside a
#: function) only qualcode modules of a lower layer or of its own top-level package.
#: ``__init__`` is ``qualcode/__init__.py`` and ``__main__`` is ``qualcode/__main__.py``.
LAYERS: list[set[str]] = [
    {"errors", "guards"},                 # 0: base
    {"store", "importers", "codebook"},   # 1: database; bytes → dataclasses; codebook (no database)
    {"team"},                             # 2: access, accounts, change log, backup
    {"project"},                          # 3: documents, participants, groups, codes, codings
    {"coding"},                           # 4: workspace edits, undo, blind coding
    {"analysis", "refi", "suggest"},      # 5: analysis; REFI-QDA interchange; code suggestions
    {"agreement", "api"},                 # 6: agreement between coders; the notebook API
    {"cli", "ui", "__init__", "__main__"},  # 7: the two faces and the package's entry points
]
#: Imports the layers alone would refuse but that are the point of the importer.
ALSO_ALLOWED = {("__main__", "cli")}  # ``python -m qualcode`` runs the command line
#: Packages of one layer that must never import each other, whatever else is allowed.
NEVER = {("cli", "ui"), ("ui", "cli")}
#: The longest module without a stated reason.
MAX_LINES = 600
LONG_REASON = "# Longer than 600 lines:"
REASON_WITHIN = 30  # the reason line stands within a module's first lines
EXCLUDED_FROM_SIZE = [PACKAGE / "store" / "migrations"]

LAYER_OF = {pkg: n for n, pkgs in enumerate(LAYERS) for pkg in pkgs}


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


# ---------------------------------------------------------------------------------------------
# Reading the imports


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _package(module: str) -> str:
    """The top-level package a module belongs to (``__init__``/``__main__`` for the package's own)."""
    parts = module.split(".")
    if len(parts) == 1:
        return "__init__"
    return parts[1]


def _where(path: Path, node: ast.AST, scope: str | None) -> str:
    at = f"{path.relative_to(ROOT)}:{node.lineno}"
    return f"{at} (in {scope})" if scope else at


def _walk(node: ast.AST, scope: str | None = None):
    """Every import node with the function it stands in (None: module level)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child, scope
        inner = scope
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inner = f"{scope}.{child.name}" if scope else f"{child.name}()"
        elif isinstance(child, ast.ClassDef):
            inner = f"{scope}.{child.name}" if scope else child.name
        yield from _walk(child, inner)


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str | None:
    """The absolute module name ``from ... import`` reads from (relative imports resolved)."""
    if not node.level:
        return node.module
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    if node.level - 1 > len(package) - 1:
        return None
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _qualcode(name: str | None) -> bool:
    return bool(name) and (name == "qualcode" or name.startswith("qualcode."))


def _imports_of(module: str, path: Path, source: str) -> list[tuple[str, str, str]]:
    """The qualcode imports in one module's source: (importer, imported, where).

    An imported name that is not a module (``from qualcode.store.db import Database``) counts as
    an import of the module it comes from; a qualcode name that is no module is kept as it is,
    so it shows up as unknown.
    """
    found = []
    for node, scope in _walk(ast.parse(source, str(path))):
        where = _where(path, node, scope)
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names if _qualcode(a.name)]
        else:
            source_module = _resolve(module, path, node)
            if not _qualcode(source_module):
                continue
            targets = []
            for alias in node.names:
                sub = f"{source_module}.{alias.name}"
                targets.append(sub if sub in MODULES else source_module)
        found.extend((module, target, where) for target in dict.fromkeys(targets))
    return found


def imports() -> list[tuple[str, str, str]]:
    """Every import of a qualcode module by a qualcode module: (importer, imported, where)."""
    return [found for module, path in MODULES.items()
            for found in _imports_of(module, path, path.read_text(encoding="utf-8"))]


IMPORTS = imports()


# ---------------------------------------------------------------------------------------------
# The rules


def layering_offences() -> list[str]:
    offences = []
    for importer, target, where in IMPORTS:
        if target not in MODULES:
            offences.append(f"{where}: {importer} imports {target}, which is no module under qualcode/")
            continue
        src, dst = _package(importer), _package(target)
        if src == dst or (src, dst) in ALSO_ALLOWED:
            continue
        for pkg in (src, dst):
            if pkg not in LAYER_OF:
                offences.append(f"{where}: package {pkg!r} is in no layer of LAYERS in tests/test_layout.py; "
                                f"add it ({importer} imports {target})")
        if src not in LAYER_OF or dst not in LAYER_OF:
            continue
        if (src, dst) in NEVER:
            offences.append(f"{where}: {importer} imports {target}, but {src} and {dst} may not import each other")
        elif LAYER_OF[dst] >= LAYER_OF[src]:
            how = "the same layer" if LAYER_OF[dst] == LAYER_OF[src] else "a higher layer"
            offences.append(f"{where}: {importer} (layer {LAYER_OF[src]}, {src}) imports {target} "
                            f"(layer {LAYER_OF[dst]}, {dst}): {how}")
    return offences


def _graph() -> tuple[dict[str, set[str]], dict[tuple[str, str], str]]:
    edges: dict[str, set[str]] = {m: set() for m in MODULES}
    where: dict[tuple[str, str], str] = {}
    for importer, target, at in IMPORTS:
        if target in MODULES:
            edges[importer].add(target)
            where.setdefault((importer, target), at)
    return edges, where


def _components(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components (Tarjan, iterative) with more than one module or a self-import."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1 or node in edges[node]:
                        out.append(sorted(component))
    return out


def _shortest_cycle(edges: dict[str, set[str]], start: str, within: set[str]) -> list[str]:
    previous: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(edges[node] & within):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if child not in previous:
                previous[child] = node
                queue.append(child)
    return []


def import_cycles() -> list[str]:
    """Each circle of imports as ``a -> b -> a`` with the line of every import on it."""
    edges, where = _graph()
    cycles: dict[tuple[str, ...], list[str]] = {}
    for component in _components(edges):
        for start in component:
            path = _shortest_cycle(edges, start, set(component))
            ring = path[:-1]
            first = ring.index(min(ring))
            key = tuple(ring[first:] + ring[:first])
            cycles.setdefault(key, path)
    lines = []
    for key in sorted(cycles):
        path = [*key, key[0]]
        steps = "\n".join(f"      {a} -> {b}  at {where[(a, b)]}" for a, b in zip(path, path[1:]))
        lines.append(" -> ".join(path) + "\n" + steps)
    return lines


def oversized_modules() -> list[str]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if any(excluded in path.parents for excluded in EXCLUDED_FROM_SIZE):
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) <= MAX_LINES:
            continue
        reason = [line for line in lines[:REASON_WITHIN] if line.startswith(LONG_REASON)]
        if not any(line[len(LONG_REASON):].strip() for line in reason):
            out.append(f"{path.relative_to(ROOT)}: {len(lines)} lines")
    return out


# ---------------------------------------------------------------------------------------------
# The tests


def test_every_package_is_in_a_layer():
    packages = {_package(m) for m in MODULES}
    assert packages - set(LAYER_OF) == set(), "add these packages to LAYERS in tests/test_layout.py"
    assert set(LAYER_OF) - packages == set(), "LAYERS names packages that no longer exist"


def _none(found: list[str], headline: str) -> None:
    __tracebackhide__ = True
    assert not found, f"{len(found)} {headline}:\n  " + "\n  ".join(found)


def test_packages_import_only_lower_layers():
    _none(layering_offences(), "import(s) break the layers (a module may import only lower layers or "
                               "its own package; see LAYERS in tests/test_layout.py)")


def test_the_rules_read_function_level_and_relative_imports():
    source = ("from . import common\n"
              "from ..store.db import Database\n"
              "def f():\n"
              "    import qualcode.ui\n"
              "    from qualcode.project import documents, not_a_module\n")
    path = PACKAGE / "cli" / "example.py"
    found = [(b, w.split(":", 1)[1]) for _, b, w in _imports_of("qualcode.cli.example", path, source)]
    assert found == [("qualcode.cli.common", "1"), ("qualcode.store.db", "2"), ("qualcode.ui", "4 (in f())"),
                     ("qualcode.project.documents", "5 (in f())"), ("qualcode.project", "5 (in f())")]
    assert ("qualcode", "qualcode.api") in {(a, b) for a, b, _ in IMPORTS}  # inside qualcode.open()


def test_no_import_cycles():
    _none(import_cycles(), "import circle(s) among qualcode modules (module-level and function-level "
                           "imports alike); break each by moving the shared piece down a layer")


def test_modules_are_at_most_600_lines_or_say_why():
    _none(oversized_modules(), f"module(s) over {MAX_LINES} lines; split them, or put a line "
                               f"`{LONG_REASON} <reason>` within their first {REASON_WITHIN} lines")
