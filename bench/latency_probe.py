"""Quick probe: end-to-end latency of slash commands against a real `smarketing run` process
on an existing database (signed requests, the Slack emulator as Slack)."""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal

import httpx

from bench.server import served_app
from bench.workspace import rep_id
from storage import members, workspace
from storage.db import Database
from tests.slack.emulator import SlackEmulator
from tests.slack.signing import event_body, json_headers, slack_headers, slash_command_body

SECRET = "bench-secret"


def main() -> None:
    database_url = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    db = Database(database_url)
    with db.session() as session:
        if workspace.revenue_target(session) is None:
            workspace.set_revenue_target(
                session,
                amount=Decimal(5_000_000),
                period="year",
                by="UBENCH",
                at=datetime.now(UTC),
            )
    managers = [f"UMGR{n:04d}" for n in range(10)]
    with db.session() as session:
        now = datetime.now(UTC)
        for n in range(500):
            rep = members.upsert_member(session, slack_user_id=rep_id(n), now=now)
            rep.manager_id = managers[n % len(managers)]
    with SlackEmulator(bot_token="xoxb-bench") as slack:
        env = {
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url,
        }
        with served_app(env) as url, httpx.Client(timeout=30) as http:
            cases = [
                ("/leads-needed", "", rep_id(0)),
                ("/lead", "mine", rep_id(0)),
                ("/leads-needed", "100000 1000 4%", rep_id(0)),
                ("/sla-status", "me", rep_id(0)),
                ("/sla-status", "team", managers[0]),
                ("app_home_opened", "manager", managers[0]),
                ("app_home_opened", "rep", rep_id(0)),
            ]
            for command, text, user in cases:
                times = []
                for n in range(runs):
                    if command == "app_home_opened":
                        event = {
                            "type": "app_home_opened",
                            "user": user,
                            "tab": "home",
                            "channel": "D0HOME",
                            "event_ts": f"{time.time():.6f}",
                        }
                        body = event_body(event)
                        headers = json_headers(body, signing_secret=SECRET)
                    else:
                        body = slash_command_body(
                            command=command,
                            text=text,
                            user_id=user,
                            response_url=slack.new_response_url(),
                            trigger_id=f"t-{n}",
                        )
                        headers = slack_headers(body, signing_secret=SECRET)
                    published = len(slack.calls_to("views.publish"))
                    started = time.perf_counter()
                    response = http.post(f"{url}/slack/events", content=body, headers=headers)
                    assert response.status_code == 200, response.text
                    # App Home is acked at once and published after: time until Slack has it.
                    while command == "app_home_opened" and (
                        len(slack.calls_to("views.publish")) == published
                    ):
                        time.sleep(0.001)
                    times.append((time.perf_counter() - started) * 1000)
                times.sort()
                print(
                    f"{command} {text!r:18} p50 {statistics.median(times):7.1f} ms  "
                    f"p95 {times[int(len(times) * 0.95)]:7.1f} ms  ({runs} requests)"
                )


if __name__ == "__main__":
    main()
