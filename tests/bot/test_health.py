"""`GET /healthz`: 200 while the database answers, 503 once it is gone."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.app_server import RunningApp


def test_health_is_ok_while_the_database_answers(app: RunningApp) -> None:
    response = app.http.get(f"{app.url}/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_turns_503_when_the_database_is_gone(app: RunningApp) -> None:
    url = make_url(app.db.url)
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        Path(url.database).unlink()
    else:
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{url.database}" WITH (FORCE)'))
        admin.dispose()

    response = app.http.get(f"{app.url}/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "database unavailable"}
