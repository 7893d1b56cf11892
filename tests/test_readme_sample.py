"""The sample digest in README is what the code builds today, not a picture of an old version."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_shows_the_digest_the_sample_workspace_gets(tmp_path: Path) -> None:
    chart = tmp_path / "chart.png"
    result = subprocess.run(
        [sys.executable, "-m", "examples.sample_digest", str(chart)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Smarketing digest — week of 23 November 2026")
    assert f"```\n{result.stdout.rstrip()}\n```" in (ROOT / "README.md").read_text()
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_the_readme_shows_the_replies_each_reader_gets() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "examples.sample_replies"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr
    shown = {}
    for chunk in result.stdout.split("=== ")[1:]:
        title, _, body = chunk.partition("\n")
        shown[title] = body.strip("\n")
    assert list(shown) == ["sla-status", "home", "escalation", "brief", "scorecard"]
    assert shown["sla-status"].startswith("SLA STATUS · NOVEMBER 2026")
    assert shown["home"].startswith("MARKETING\n")
    assert "[Remind]" in shown["escalation"]
    assert (
        shown["brief"].startswith("CAMPAIGN BRIEF: Q4 PRICING WEBINAR\n")
        and "[Ready]" in shown["brief"]
    )
    assert "*Scorecard*" in shown["scorecard"]
    readme = (ROOT / "README.md").read_text()
    for body in shown.values():
        assert f"```\n{body}\n```" in readme
