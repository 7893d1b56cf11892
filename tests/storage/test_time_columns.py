"""Time columns on SQLite: the text written is exactly what SQLAlchemy's DATETIME writes, so
files written before the faster bind keep comparing and sorting as they did."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select, text
from sqlalchemy.dialects import sqlite

from storage.types import UTCDateTime

DIALECT = sqlite.dialect()
OURS = UTCDateTime().dialect_impl(DIALECT).bind_processor(DIALECT)
SQLALCHEMYS = sqlite.DATETIME().bind_processor(DIALECT)  # type: ignore[no-untyped-call]

moments = st.builds(
    lambda naive, minutes: naive.replace(tzinfo=timezone(timedelta(minutes=minutes))),
    st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(9998, 12, 30)),
    st.integers(min_value=-14 * 60, max_value=14 * 60),
)


@given(moments)
def test_the_text_is_sqlalchemys_own_for_the_same_utc_time(moment: datetime) -> None:
    assert OURS is not None and SQLALCHEMYS is not None
    naive_utc = moment.astimezone(UTC).replace(tzinfo=None)
    assert OURS(moment) == SQLALCHEMYS(naive_utc)


def test_a_naive_time_is_refused_and_none_stays_none() -> None:
    assert OURS is not None
    with pytest.raises(ValueError, match="naive datetime"):
        OURS(datetime(2026, 11, 2, 10, 0))
    assert OURS(None) is None


def test_times_written_go_into_a_sqlite_file_as_that_text_and_come_back_in_utc(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'times.sqlite3'}")
    table = Table(
        "t", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime)
    )
    table.metadata.create_all(engine)
    paris = timezone(timedelta(hours=1))
    with engine.begin() as connection:
        connection.execute(insert(table), [{"at": datetime(2026, 11, 2, 11, 0, tzinfo=paris)}])
        stored = connection.execute(text("SELECT at FROM t")).scalar_one()
        back = connection.execute(select(table.c.at)).scalar_one()
    engine.dispose()
    assert stored == "2026-11-02 10:00:00.000000"
    assert back == datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
