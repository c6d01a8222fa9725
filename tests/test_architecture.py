"""The architecture as data, checked against the code (kiosk/README.md draws it): every room of the product imports only
rooms below it, no module imports itself back through others, and nothing outside ui/ imports Qt."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("kiosk", "ui", "scanner", "printing")

# Rooms from the top down; a module belongs to the longest room name that prefixes it. A room may import its own
# modules and any room of a lower rank, never one of a higher rank.
RANKS = {
    "kiosk.cli": 110,  # the front door: `clinic-kiosk reception` and the other station commands open ui/'s windows
    "ui": 100,
    "kiosk.server": 80,
    "kiosk.remote.client": 80,
    "kiosk.retention": 78,  # purges the printed spool and the offline spool: above both, run by the server
    "kiosk.remote.offline": 75,
    "kiosk.facade": 70,
    "kiosk.sandbox": 65,  # the stand-in gateway and the demo data, started by the facade in demo mode
    "kiosk": 60,  # the domain use cases directly in kiosk/
    "kiosk.clinical": 55,  # clinical reference data and checks (vital signs, lab ranges, facility names): no Qt
    "kiosk.erx": 52,  # the national prescription system: codes, drug catalogue, TT 26 rules, its client and delivery
    "kiosk.bhxh": 50,
    "kiosk.clock": 45,
    "kiosk.security": 40,
    "kiosk.store": 30,
    "kiosk.remote": 25,  # the contract both sides share: api, wire, handin
    "kiosk.roles": 20,
    "kiosk.identify": 20,
    "kiosk.context": 20,
    "kiosk.settings": 15,
    "kiosk.voice": 12,  # the board's voice without Qt: call sentences, espeak-ng speech into WAV files, the chime
    "kiosk.privacy": 10,
    "kiosk.errors": 5,
    "kiosk.model": 5,
    "kiosk.paths": 5,
    "kiosk.texts": 5,
    "printing": 8,  # documents and tickets drawn from the model's records
    "scanner": 3,
}
BASE = {"kiosk.__init__"}  # the package's face (version, name): imported from anywhere


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The module of this tree an import names (``a.b`` may be a module, a package, or a name in one)."""
    while name:
        if name in MODULES:
            return name
        if f"{name}.__init__" in MODULES:
            return f"{name}.__init__"
        name = name.rpartition(".")[0]
    return None


def _imports(module: str) -> dict[str, int]:
    """What a module imports of this tree (module -> line), at module level or inside functions alike."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    package = module.rsplit(".", 1)[0] if not module.endswith("__init__") else module.rsplit(".", 1)[0]
    found: dict[str, int] = {}
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            names = [f"{base}.{a.name}" for a in node.names] or [base]
        for name in names:
            target = _resolve(name)
            if target is not None and target != module:
                found.setdefault(target, node.lineno)
    return found


def _rank(module: str) -> tuple[str, int]:
    name = module.removesuffix(".__init__")
    best = max((r for r in RANKS if name == r or name.startswith(r + ".")), key=len)
    return best, RANKS[best]


GRAPH = {m: _imports(m) for m in MODULES}


def test_the_rooms_import_only_downwards() -> None:
    upward = []
    for module, targets in GRAPH.items():
        room, rank = _rank(module)
        for target, line in targets.items():
            if target in BASE:
                continue
            target_room, target_rank = _rank(target)
            if target_rank > rank or (target_rank == rank and target_room != room):
                upward.append(f"{MODULES[module].relative_to(REPO)}:{line} ({room}) imports {target} ({target_room})")
    assert not upward, "imports that climb up or sideways:\n" + "\n".join(upward)


def test_no_module_imports_itself_back() -> None:
    """No import circle, however long (imports inside functions count: they are arrows a reader follows too)."""
    state: dict[str, int] = {}
    stack: list[str] = []
    circles: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for target in GRAPH[module]:
            if state.get(target) == 1:
                circles.append(" -> ".join(stack[stack.index(target):] + [target]))
            elif target not in state:
                visit(target)
        stack.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)
    assert not circles, "import circles:\n" + "\n".join(circles)


def test_qt_only_in_ui() -> None:
    qt = []
    for module, path in MODULES.items():
        if module.startswith("ui."):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            qt += [f"{path.relative_to(REPO)}:{node.lineno} {n}" for n in names if n.split(".")[0] in ("PySide6", "PyQt6", "shiboken6")]
    assert not qt, "Qt outside ui/:\n" + "\n".join(qt)


def test_the_checks_see_the_tree() -> None:
    """The graph is read from the real files: the facade's areas are found, and a known downward arrow is there."""
    assert "kiosk.facade.queue" in GRAPH
    assert "kiosk.store.sqlite" in GRAPH["kiosk.store.opening"]
    assert "kiosk.remote.wire" in GRAPH["kiosk.server.app"]
    assert len([m for m in MODULES if m.startswith("kiosk.") and m.count(".") == 1]) <= 20  # kiosk/ stays readable
