"""One document per day (``sync/days.py``): an AFAS row spanning days becomes its day rows, keyed
``AFAS key/date``; the AFAS key comes back from a day key; unreadable or unbounded ranges are row errors."""

from __future__ import annotations

import datetime as dt

import pytest

from afas_connector.sync.days import (
	DAY,
	MAX_DAYS,
	bounded,
	day_key,
	days_of,
	expand,
	is_weekend,
	record_key,
)


def test_a_leave_becomes_its_days_with_the_day_in_each_row():
	rows = [
		{"LeaveId": 501, "StartDate": "2024-07-15T08:30:00", "EndDate": "2024-07-17T17:00:00", "Code": "VAK"},
		{"LeaveId": 502, "StartDate": "2024-05-17T08:30:00", "EndDate": "2024-05-17T17:00:00", "Code": "BV"},
	]
	keys, day_rows, errors = expand(["501", "502"], rows, "StartDate", "EndDate")
	assert keys == ["501/2024-07-15", "501/2024-07-16", "501/2024-07-17", "502/2024-05-17"]
	assert [r[DAY] for r in day_rows] == ["2024-07-15", "2024-07-16", "2024-07-17", "2024-05-17"]
	assert day_rows[0]["Code"] == "VAK" and day_rows[3]["Code"] == "BV"
	assert errors == {}
	assert DAY not in rows[0]  # the AFAS rows themselves are left as they are


@pytest.mark.parametrize(
	"row, reason",
	[
		({"StartDate": None, "EndDate": "2024-01-02"}, "StartDate is empty"),
		({"StartDate": "2024-01-02", "EndDate": None}, "EndDate is empty (open in AFAS)"),
		({"StartDate": "2024-01-05", "EndDate": "2024-01-02"}, "is before"),
		({"StartDate": "not a date", "EndDate": "2024-01-02"}, "not a date"),
		({"StartDate": "2015-01-01", "EndDate": "2024-12-31"}, f"at most {MAX_DAYS}"),
	],
)
def test_a_range_that_cannot_be_read_is_a_row_error(row, reason):
	keys, day_rows, errors = expand(["7"], [row], "StartDate", "EndDate")
	assert keys == [] and day_rows == []
	assert errors["7"].field == "StartDate"
	assert reason.lower() in errors["7"].message.lower()


def test_three_years_is_the_most_one_row_spans():
	"""AFAS's sick leave may run 104 weeks and be extended: three years pass, a day more does not."""
	assert len(days_of({"a": "2024-01-01", "b": "2026-12-31"}, "a", "b")) == MAX_DAYS - 2  # 2024 is leap
	assert len(days_of({"a": "2024-01-01", "b": "2027-01-02"}, "a", "b")) == MAX_DAYS
	with pytest.raises(ValueError):
		days_of({"a": "2024-01-01", "b": "2027-01-03"}, "a", "b")


def test_bounded_keeps_the_rows_whose_range_reads_and_names_the_others():
	rows = [
		{"StartDate": "2024-07-15", "EndDate": "2024-07-26"},
		{"StartDate": "2015-01-01", "EndDate": "2024-12-31"},
		{"StartDate": "2024-07-26", "EndDate": "2024-07-15"},
	]
	keys, kept, errors = bounded(["1", "2", "3"], rows, "StartDate", "EndDate")
	assert keys == ["1"] and kept == rows[:1]
	assert set(errors) == {"2", "3"} and f"at most {MAX_DAYS}" in errors["2"].message


@pytest.mark.parametrize("key", ["501", "7C1D2E3F-0000-4000-8000-000000000001", "a/b", "x/2024-13-01"])
def test_a_day_key_gives_its_afas_key_back(key):
	assert record_key(day_key(key, dt.date(2024, 7, 15))) == key
	assert record_key(key) == key  # a key that is no day key is its own


def test_weekends():
	assert [is_weekend(dt.date(2024, 7, d)) for d in (12, 13, 14, 15)] == [False, True, True, False]
