"""The architecture holds: the pure rules in domain/ import no framework, store or clock."""

from __future__ import annotations

import ast
from pathlib import Path

DOMAIN = Path(__file__).parent.parent / "domain"
FORBIDDEN_IMPORTS = {
    "bot",
    "commands",
    "storage",
    "slack_sdk",
    "slack_bolt",
    "sqlalchemy",
    "sqlmodel",
    "fastapi",
    "time",
}
CLOCK_READS = {"now", "utcnow", "today"}


def test_domain_imports_neither_slack_nor_the_database_nor_the_other_packages() -> None:
    for path in DOMAIN.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            assert not roots & FORBIDDEN_IMPORTS, f"{path.name} imports {roots & FORBIDDEN_IMPORTS}"


def test_domain_never_reads_the_clock() -> None:
    for path in DOMAIN.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in CLOCK_READS:
                raise AssertionError(f"{path.name}:{node.lineno} reads the clock ({node.attr})")
