"""House rules that a review found worth keeping: the environment is read in the settings module only, and modules
and functions stay small enough to read (outside tests, migrations and benches)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("geo", "streams", "tickets", "dashboard")
SETTINGS_MODULES = {"geo/settings.py"}  # the one resolver; every package's settings class goes through it
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 400, 60


def _sources():
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if "/migrations/" not in rel:
                yield rel, path.read_text(encoding="utf-8")


def _reads_environment(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv") and \
                isinstance(node.value, ast.Name) and node.value.id == "os":
            return True
        if isinstance(node, ast.keyword) and node.arg == "envvar":  # typer/click reading a variable itself
            return True
    return False


def test_environment_is_read_only_in_settings():
    readers = [rel for rel, src in _sources() if rel not in SETTINGS_MODULES and _reads_environment(ast.parse(src))]
    assert readers == []


def test_modules_and_functions_stay_small():
    too_long = []
    for rel, src in _sources():
        if src.count("\n") > MAX_MODULE_LINES:
            too_long.append(f"{rel}: {src.count(chr(10))} lines")
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    too_long.append(f"{rel}:{node.lineno} {node.name}() {n} lines")
    assert too_long == []


def test_the_environment_check_sees_a_reader():
    assert _reads_environment(ast.parse("import os\nx = os.environ.get('A')"))
    assert not _reads_environment(ast.parse("x = settings.environ"))
