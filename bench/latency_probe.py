"""Quick probe: end-to-end latency of slash commands against a real `smarketing run` process
on an existing database (signed requests, the Slack emulator as Slack)."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal

import httpx

from bench.workspace import rep_id
from storage import workspace
from storage.db import Database
from tests.slack.emulator import SlackEmulator
from tests.slack.signing import slack_headers, slash_command_body

SECRET = "bench-secret"


def main() -> None:
    database_url = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    db = Database(database_url)
    with db.session() as session:
        if workspace.revenue_target(session) is None:
            workspace.set_revenue_target(
                session, amount=Decimal(5_000_000), period="year", by="UBENCH",
                at=datetime.now(UTC),
            )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with SlackEmulator(bot_token="xoxb-bench") as slack:
        env = {**os.environ, "DATABASE_URL": database_url, "SLACK_BOT_TOKEN": "xoxb-bench",
               "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.api_url, "PORT": str(port)}
        server = subprocess.Popen([sys.executable, "-m", "bot", "run", "--host", "127.0.0.1"],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(timeout=30) as http:
                for _ in range(300):
                    try:
                        http.get(f"{url}/healthz")
                        break
                    except httpx.TransportError:
                        time.sleep(0.1)
                for command, text in [("/leads-needed", ""), ("/lead", "mine"),
                                      ("/leads-needed", "100000 1000 4%")]:
                    times = []
                    for n in range(runs):
                        body = slash_command_body(command=command, text=text, user_id=rep_id(0),
                                                  response_url=slack.new_response_url(),
                                                  trigger_id=f"t-{n}")
                        started = time.perf_counter()
                        response = http.post(f"{url}/slack/events", content=body,
                                             headers=slack_headers(body, signing_secret=SECRET))
                        times.append((time.perf_counter() - started) * 1000)
                        assert response.status_code == 200, response.text
                    times.sort()
                    print(f"{command} {text!r:18} p50 {statistics.median(times):7.1f} ms  "
                          f"p95 {times[int(len(times) * 0.95)]:7.1f} ms  ({runs} requests)")
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
