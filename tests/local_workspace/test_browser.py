"""The local workspace in a real browser: Debian's Chromium, driven by Selenium, against a real
`smarketing run` process started without any Slack variable. What a person does on the page —
pick who they are, type a slash command, open App Home, run a job, press a button, fill a modal —
and what they then see, without reloading.

Chromium and its driver come from Debian (`apt-get install chromium chromium-driver`; .ci/run
installs them): a machine without them FAILS here, it does not skip. With
SMARKETING_SCREENSHOTS=1 the tests also save what they saw to docs/local-workspace-*.png.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, TypeVar, cast
from zoneinfo import ZoneInfo

import httpx
import pytest

from domain.follow_up import in_working_hours
from local_workspace import company
from tests.app_server import app_process

try:
    from selenium import webdriver
    from selenium.common.exceptions import (
        NoSuchElementException,
        StaleElementReferenceException,
        WebDriverException,
    )
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.remote.webelement import WebElement
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError as missing:  # pragma: no cover - the dev extra installs it
    pytest.fail(
        f"selenium is not installed ({missing}): `pip install -e '.[dev]'` installs it",
        pytrace=False,
    )

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SCREENSHOTS = os.environ.get("SMARKETING_SCREENSHOTS") == "1"
DIGEST_CHANNEL = company.DIGEST_CHANNEL[1]  # "smarketing"
OVERDUE_REP = "Dev Patel"  # the sample rep who lets leads go overdue
WAIT = 20.0  # seconds: the app answers Slack lazily, the page polls every second

T = TypeVar("T")
WebDriver = webdriver.Chrome


# ---------------------------------------------------------------- the browser and the app


def _binary(name: str, debian_path: str) -> str:
    found = shutil.which(name) or (debian_path if Path(debian_path).exists() else None)
    if found is None:
        pytest.fail(
            f"{name} is not installed: the browser tests need Debian's Chromium "
            "(`apt-get install -y chromium chromium-driver`; .ci/run installs it)",
            pytrace=False,
        )
    return found


def _days_ahead() -> dict[str, str]:
    """Nudges reach reps only in their working hours (Monday to Friday, 09:00–18:00 their time),
    and the sample's reps who leave leads overdue are in Asia and America. The app under test
    is played at the first hour from now when Dev (Kolkata, the rep with most overdue leads) is
    at work (SMARKETING_LOCAL_DAYS_AHEAD and _HOURS_AHEAD, its injected clock); its data is
    seeded at that time too, so everything it shows agrees."""
    now = datetime.now(UTC)
    dev = next(rep for rep in company.REP_PEOPLE if rep.user_id == "U0DEV")
    ahead = next(
        hours
        for hours in range(24 * 8)
        if all(
            in_working_hours(now + timedelta(hours=hours, minutes=minutes), ZoneInfo(dev.tz))
            for minutes in (0, 30)  # and still while the tests run
        )
    )
    return {
        "SMARKETING_LOCAL_DAYS_AHEAD": str(ahead // 24),
        "SMARKETING_LOCAL_HOURS_AHEAD": str(ahead % 24),
    }


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`smarketing run` with no Slack variable: the local workspace, on its own SQLite file."""
    tmp = tmp_path_factory.mktemp("browser")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(
        {
            "SMARKETING_LOCAL_DATABASE": f"sqlite:///{tmp / 'local.sqlite3'}",
            "DATABASE_URL": f"sqlite:///{tmp / 'real.sqlite3'}",
            "SMARKETING_SCHEDULER": "off",
            **_days_ahead(),
        }
    )
    log_path = tmp / "log.txt"
    with log_path.open("w+") as log, app_process(env, log) as url:
        page = httpx.get(f"{url}/", timeout=10)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"], (
            f"no local workspace page at {url}/:\n{_tail(log)}"
        )
        yield url


def _tail(log: IO[str]) -> str:
    log.seek(0)
    return "".join(log.readlines()[-40:])


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    chromium = _binary("chromium", "/usr/bin/chromium")
    chromedriver = _binary("chromedriver", "/usr/bin/chromedriver")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1400,900",
        "--lang=en-US",
    ):
        options.add_argument(argument)
    try:
        # The driver's path is given: Selenium Manager downloads nothing.
        driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    except WebDriverException as error:
        pytest.fail(f"Chromium did not start ({chromium}, {chromedriver}): {error.msg}")
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def page(app: str, browser: WebDriver) -> Iterator[WebDriver]:
    """The page, freshly loaded as whoever it opens as; its console errors fail the test."""
    browser.get(f"{app}/")
    browser.execute_script("localStorage.clear()")
    browser.get(f"{app}/")
    until(browser, lambda: "ready" in (by_css(browser, "body").get_attribute("class") or ""))
    yield browser
    errors = [
        entry["message"]
        for entry in cast(Any, browser).get_log("browser")
        if entry.get("level") == "SEVERE" and "favicon" not in entry["message"]
    ]
    assert not errors, f"the page logged errors: {errors}"


# ---------------------------------------------------------------- acting as a person


def by_css(driver: WebDriver, selector: str) -> WebElement:
    return driver.find_element(By.CSS_SELECTOR, selector)


def by_testid(driver: WebDriver, name: str) -> WebElement:
    return by_css(driver, f'[data-testid="{name}"]')


def until(
    driver: WebDriver, check: Callable[[], T | None], what: str = "", seconds: float = WAIT
) -> T:
    """Poll what the page shows until `check` finds it (the page re-renders as the app speaks)."""

    def found(_: Any) -> T | None:
        try:
            return check() or None
        except (StaleElementReferenceException, NoSuchElementException):
            return None

    try:
        result = cast(T, WebDriverWait(driver, seconds, poll_frequency=0.2).until(found))
    except Exception as error:  # TimeoutException: say what was on the page instead
        pane = driver.find_element(By.CSS_SELECTOR, "main").text[-2500:]
        raise AssertionError(f"the page never showed {what or check}; it shows:\n{pane}") from error
    return result


def be(driver: WebDriver, name_or_role: str) -> None:
    """Pick who you are in the sidebar ("Ada Admin", or a role: "admin"); wait for the switch."""
    who = Select(by_testid(driver, "who"))
    chosen = None
    for option in who.options:
        name, role, _ = (part.strip() for part in option.text.split("·"))
        if name_or_role in (name, role):
            chosen = str(option.get_attribute("value"))
            break
    if chosen is None:
        raise AssertionError(f"no one to pick as {name_or_role!r}: {[o.text for o in who.options]}")
    if by_testid(driver, "who").get_attribute("value") != chosen:
        who.select_by_value(chosen)
    until(
        driver,
        lambda: by_css(driver, "body").get_attribute("data-user") == chosen,
        f"the page as {name_or_role}",
    )


def open_conversation(driver: WebDriver, name: str) -> None:
    by_testid(driver, f"conversation-{name}").click()
    until(driver, lambda: name in by_css(driver, ".pane-header").text, f"the {name} pane")
    until(driver, lambda: not driver.find_elements(By.CSS_SELECTOR, "#messages .loading"))


def messages(driver: WebDriver) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, '#messages [data-testid="message"]')


def message_saying(driver: WebDriver, *texts: str) -> WebElement | None:
    for message in reversed(messages(driver)):
        if all(text in message.text for text in texts):
            return message
    return None


def toast_saying(driver: WebDriver, text: str) -> WebElement | None:
    for toast in driver.find_elements(By.CSS_SELECTOR, '[data-testid="toast"]'):
        if text in toast.text:
            return toast
    return None


def screenshot(driver: WebDriver, name: str) -> None:
    if SCREENSHOTS:
        DOCS.mkdir(exist_ok=True)
        driver.save_screenshot(str(DOCS / f"local-workspace-{name}.png"))


# ---------------------------------------------------------------- what a person does


def test_an_admin_types_a_slash_command_and_alone_sees_the_answer(page: WebDriver) -> None:
    banner = by_testid(page, "banner")
    assert "Local workspace — not connected to Slack" in banner.text
    assert banner.is_displayed()
    be(page, "admin")
    open_conversation(page, DIGEST_CHANNEL)

    composer = by_testid(page, "composer")
    hint = by_css(page, "#composer-hint").text
    for command in ("/leads-needed", "/lead", "/sla-status", "/smarketing"):
        assert command in hint
    composer.send_keys("/leads-needed 100000 1000 4%")
    composer.send_keys(Keys.ENTER)

    answer = until(page, lambda: message_saying(page, "2,500"), "the leads needed")
    assert "Only visible to you" in answer.text
    assert answer.get_attribute("data-ephemeral") == "true"
    assert "/leads-needed 100000 1000 4%" in answer.text  # the command it answers
    assert composer.get_attribute("value") == ""
    screenshot(page, "command")

    # A command the app does not have fails as Slack says it, to the one who typed it.
    composer.send_keys("/nope now", Keys.ENTER)
    failed = until(
        page,
        lambda: page.find_elements(By.CSS_SELECTOR, '[data-testid="command-error"]'),
        "the failed command",
    )
    assert "/nope" in failed[-1].text


def test_a_rep_logs_a_touch_from_app_home(page: WebDriver) -> None:
    be(page, OVERDUE_REP)
    by_testid(page, "open-home").click()
    buttons = until(
        page,
        lambda: page.find_elements(By.CSS_SELECTOR, '#home [data-testid="button-home_log_touch"]'),
        "Log a touch buttons in App Home",
    )
    row = buttons[0].find_element(By.XPATH, "ancestor::div[contains(@class,'sk-section')]").text
    found = re.search(r"(L-\d+).*\(touch (\d+) of (\d+)\)", row, re.S)
    assert found, row
    lead, touch, touches = found.groups()
    screenshot(page, "home")

    buttons[0].click()

    logged = f"Touch {touch} of {touches} logged on {lead}"
    until(page, lambda: logged in by_css(page, "#home").text, logged)
    # The re-published Home no longer asks for that touch of that lead.
    rows = [
        section.text
        for section in page.find_elements(By.CSS_SELECTOR, "#home .sk-section")
        if lead in section.text and "logged on" not in section.text
    ]
    assert all(f"(touch {touch} of" not in text for text in rows), rows
    screenshot(page, "home-touch")


def test_a_rep_rejects_a_lead_from_a_nudge_with_a_reason(app: str, page: WebDriver) -> None:
    be(page, "admin")
    by_testid(page, "run-nudges").click()
    said = until(page, lambda: toast_saying(page, "Nudges:"), "the nudges job's answer").text
    assert "sent" in said, said

    # Who was nudged: the run DMs the reps who are at work now.
    nudged = [
        rep
        for rep in company.REP_PEOPLE
        if any(
            "nudge_reject" in str(message.get("blocks"))
            for message in httpx.get(
                f"{app}/local/api/messages",
                params={"user": rep.user_id, "conversation": f"D{rep.user_id}"},
                timeout=10,
            ).json()["messages"]
        )
    ]
    assert nudged, said
    rep = nudged[0]

    be(page, rep.name)
    open_conversation(page, "Smarketing")
    nudge = until(page, lambda: message_saying(page, "overdue", "Reject"), "the nudge")
    reject = nudge.find_elements(By.CSS_SELECTOR, '[data-testid="button-nudge_reject"]')[0]
    section = reject.find_element(
        By.XPATH, "ancestor::div[contains(@class,'sk-actions')]/preceding-sibling::div[1]"
    ).text
    lead = next(word for word in section.split() if word.startswith("L-"))
    reject.click()

    modal = until(page, lambda: by_testid(page, "modal"), "the reject modal")
    assert "Reject a lead" in modal.text
    assert lead in modal.text
    # Nothing chosen: the app answers with an error, shown under its input; the modal stays.
    by_testid(page, "modal-submit").click()
    error = until(page, lambda: by_testid(page, "input-error"), "the missing reason")
    assert "Choose a reason" in error.text
    screenshot(page, "reject-modal")

    reason = by_css(page, '[data-testid="modal"] textarea')
    reason.send_keys("Met them at a fair: a student project, not a buyer")
    by_testid(page, "modal-submit").click()
    until(page, lambda: not page.find_elements(By.CSS_SELECTOR, '[data-testid="modal"]'), "closed")

    rejected = until(
        page, lambda: message_saying(page, "Rejected by you", "student project"), "the rejection"
    )
    assert lead in rejected.text
    note = rejected.find_element(
        By.XPATH, ".//div[contains(@class, 'sk-section')][contains(., 'Rejected by you')]"
    )
    page.execute_script("arguments[0].scrollIntoView({block: 'center'})", note)
    screenshot(page, "nudge")


def test_the_digest_runs_now_with_its_chart(page: WebDriver) -> None:
    be(page, "marketer")
    open_conversation(page, DIGEST_CHANNEL)
    by_testid(page, "run-digest").click()
    said = until(page, lambda: toast_saying(page, "digest"), "the digest job's answer").text
    assert "sent" in said, said

    digest = until(page, lambda: message_saying(page, "Smarketing digest"), "the digest")
    assert "Revenue" in digest.text
    chart = until(
        page,
        lambda: [
            image
            for image in page.find_elements(By.CSS_SELECTOR, '[data-testid="file-image"]')
            if page.execute_script(
                "return arguments[0].complete && arguments[0].naturalWidth", image
            )
        ],
        "the digest's chart, loaded",
    )
    assert str(chart[-1].get_attribute("src")).rsplit("/", 2)[-2] == "files"
    page.execute_script("arguments[0].scrollIntoView({block: 'center'})", digest)
    screenshot(page, "digest")
    page.execute_script("arguments[0].scrollIntoView({block: 'end'})", chart[-1])
    screenshot(page, "digest-chart")
