"""The arrows between the apps point one way: `events` (the programme) knows nothing of
`registrations`, not in Python imports (the import-linter contracts of .importlinter,
run by `make test`), nor in SQL, permissions or other string literals."""

import ast
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings

NAMES_OF_REGISTRATIONS = re.compile(r"registrations[._:]|\bconfirmed\b|\bwaitlisted\b")


def string_literals(path: Path):
    """(line, text) of each string constant in ``path`` but docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings:
                yield node.lineno, node.value


def test_events_names_nothing_of_registrations_in_sql_permissions_or_literals():
    events = Path(settings.BASE_DIR) / "events"
    found = [
        f"{path.relative_to(settings.BASE_DIR)}:{line}: {text[:60]!r}"
        for path in sorted(events.rglob("*.py"))
        for line, text in string_literals(path)
        if NAMES_OF_REGISTRATIONS.search(text)
    ]

    assert found == []


def test_the_import_contracts_are_kept():
    result = subprocess.run(  # noqa: S603 (our own tool, fixed arguments)
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert (result.returncode, result.stdout.splitlines()[-1]) == (
        0,
        "Contracts: 2 kept, 0 broken.",
    )
