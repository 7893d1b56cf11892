"""The architecture holds (DESIGN §5): arrows point down only, each use case has one home, and
every module's name says one thing.

    bot/, commands/  →  services/  →  storage/, domain/, connectors/
            └──────────→ blocks/ ──→ domain/
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).parent.parent
PACKAGES = (
    "domain", "storage", "services", "blocks", "commands", "bot", "connectors", "local_workspace"
)  # fmt: skip
SLACK_WEB_FRAMEWORKS = {"slack_bolt", "fastapi", "uvicorn", "apscheduler"}
# What each layer may not import: the project's layers above it, and the frameworks it has no
# business with.
FORBIDDEN: dict[str, set[str]] = {
    "domain": {
        "bot", "commands", "services", "blocks", "storage", "slack_sdk", "slack_bolt",
        "sqlalchemy", "sqlmodel", "fastapi", "time",
    },
    "storage": {"bot", "commands", "services", "blocks", "slack_sdk", *SLACK_WEB_FRAMEWORKS},
    "services": {"bot", "commands", "blocks", *SLACK_WEB_FRAMEWORKS, "slack_sdk.models"},
    "blocks": {"bot", "commands", "services", "storage", "sqlalchemy", "sqlmodel"},
    "commands": {"bot"},
    # A connector talks to its system: it knows nothing of the bot, its store or Slack.
    "connectors": {
        "bot", "commands", "services", "blocks", "storage", "slack_sdk", "sqlalchemy",
        "sqlmodel", *SLACK_WEB_FRAMEWORKS,
    },
}  # fmt: skip
CLOCK_READS = {"now", "utcnow", "today"}


def modules(package: str, root: Path = ROOT) -> list[Path]:
    return sorted((root / package).rglob("*.py"))


def imported(path: Path) -> set[str]:
    """Every module `path` imports, as written (`a.b.c`), at any depth of the file."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def breaks(name: str, forbidden: set[str]) -> bool:
    return any(name == rule or name.startswith(rule + ".") for rule in forbidden)


def arrows_up(root: Path) -> list[str]:
    return [
        f"{path.relative_to(root)} imports {name}"
        for package, forbidden in FORBIDDEN.items()
        for path in modules(package, root)
        if "migrations" not in path.parts
        for name in sorted(imported(path))
        if breaks(name, forbidden)
    ]


def test_no_arrow_points_up() -> None:
    assert arrows_up(ROOT) == []


def test_an_arrow_that_points_up_is_found(tmp_path: Path) -> None:
    for package, line in (
        ("services", "from blocks.message import problem"),
        ("services", "from slack_sdk.models.blocks import SectionBlock"),
        ("storage", "import services.people"),
        ("blocks", "from storage.models import Lead"),
        ("domain", "from sqlmodel import Session"),
    ):
        (tmp_path / package).mkdir(exist_ok=True)
        (tmp_path / package / f"up_{len(list(tmp_path.rglob('*.py')))}.py").write_text(line + "\n")
    (tmp_path / "services" / "fine.py").write_text("from slack_sdk.errors import SlackApiError\n")

    found = {line.split(" imports ")[0] for line in arrows_up(tmp_path)}
    assert len(found) == 5
    assert not any("fine.py" in line for line in found)


def test_listeners_and_jobs_import_no_slash_command() -> None:
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules("bot")
        if path.name != "app.py"  # the app factory wires the commands in
        for name in sorted(imported(path))
        if breaks(name, {"commands"})
    ]
    assert not wrong, "\n".join(wrong)


def test_domain_never_reads_the_clock() -> None:
    for path in modules("domain"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in CLOCK_READS:
                raise AssertionError(f"{path.name}:{node.lineno} reads the clock ({node.attr})")


def test_every_module_has_a_name_of_its_own() -> None:
    names = Counter(
        path.stem
        for package in PACKAGES
        for path in modules(package)
        if path.stem not in {"__init__", "__main__"} and "migrations" not in path.parts
    )
    assert [name for name, count in names.items() if count > 1] == []


def test_importing_the_slash_commands_does_not_import_matplotlib() -> None:
    # A fresh interpreter: this one has imported everything the other tests needed.
    probe = (
        "import sys\n"
        "import bot.app, commands\n"
        "from commands import lead, leads_needed, sla_status, smarketing, smarketing_digest\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
