"""How the apps depend on each other: no two import each other, and none imports config/."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "pages", "books", "covers", "api")


def app_imports():
    """{app: {apps and config its modules import}}, tests and migrations left out."""
    graph = {app: set() for app in APPS}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if {"tests", "migrations"} & set(path.relative_to(ROOT).parts):
                continue
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                graph[app].update(top for name in names if (top := name.split(".")[0]) in {*APPS, "config"} - {app})
    return graph


def test_no_app_imports_config():
    assert {app: imports & {"config"} for app, imports in app_imports().items() if "config" in imports} == {}


def test_no_import_cycle_between_apps():
    graph = app_imports()

    def reaches(start, goal, seen=()):
        return any(
            nxt == goal or (nxt not in seen and reaches(nxt, goal, (*seen, nxt))) for nxt in graph.get(start, ())
        )

    assert [app for app in APPS if reaches(app, app)] == []
