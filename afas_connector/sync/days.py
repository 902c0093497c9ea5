"""One document per day, pure: an AFAS row that spans days (a leave from ``StartDate`` to ``EndDate``)
written as one ERPNext document per day (HRMS's Attendance: one per employee and date).

Each day is a record of its own for the Record Links, keyed ``{AFAS key}/{YYYY-MM-DD}``
(:func:`day_key`); the AFAS row's own key stays what paging, retries and deletions go by
(:func:`record_key`). The day is the column :data:`DAY` of the day's row, which a field-mapping row
reads like any AFAS field. Which days are days off (weekends, an employee's holiday list) is the
frappe layer's to say: they are expanded here and skipped there.

AFAS's leave and absence connectors (``Profit_Leaves``: ``StartDate``/``EndDate`` as date-times;
``Profit_Illness``: ``EndDate`` empty while the absence is open) give the range; a row without an end, an
end before its start, or a range of more than :data:`MAX_DAYS` days is a row error, never a guess.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from afas_connector.afas.dates import AfasDateError, parse_afas_datetime
from afas_connector.sync.mapping_errors import RecordError

#: The AFAS Field of a field-mapping row that reads a per-day row's day (``YYYY-MM-DD``).
DAY = "(day)"
#: At most this many days per AFAS row: three years (AFAS's sick leave runs up to 104 weeks, and may be
#: extended); a longer range is a row error (bounded work: HRMS marks Attendance for each day of a Leave
#: Application, and One Document per Day writes one).
MAX_DAYS = 1098
_SEPARATOR = "/"


def day_key(key: str, day: dt.date) -> str:
	"""The Record Link key of ``day`` of AFAS record ``key``: ``"501/2024-07-15"``."""
	return f"{key}{_SEPARATOR}{day.isoformat()}"


def record_key(key: str) -> str:
	"""The AFAS key a day key belongs to (``"501/2024-07-15"`` → ``"501"``); any other key unchanged."""
	head, sep, tail = key.rpartition(_SEPARATOR)
	if sep and _is_iso_date(tail):
		return head
	return key


def _is_iso_date(text: str) -> bool:
	try:
		dt.date.fromisoformat(text)
	except ValueError:
		return False
	return len(text) == 10


def _date(value: Any) -> dt.date | None:
	moment = parse_afas_datetime(value)
	return moment.date() if moment else None


def days_of(row: dict[str, Any], from_field: str, to_field: str) -> list[dt.date]:
	"""The days ``row`` spans, ``from_field`` to ``to_field`` inclusive (AFAS date or date-time values).

	Raises ``ValueError`` with the reason: a missing or unreadable date, an end before the start, or more
	than :data:`MAX_DAYS` days."""
	try:
		start, end = _date(row.get(from_field)), _date(row.get(to_field))
	except AfasDateError as exc:
		raise ValueError(str(exc)) from None
	if start is None:
		raise ValueError(f"{from_field} is empty")
	if end is None:
		raise ValueError(f"{to_field} is empty (open in AFAS): written once AFAS closes it")
	if end < start:
		raise ValueError(f"{to_field} {end.isoformat()} is before {from_field} {start.isoformat()}")
	count = (end - start).days + 1
	if count > MAX_DAYS:
		raise ValueError(f"{count} days from {start.isoformat()} to {end.isoformat()}: at most {MAX_DAYS}")
	return [start + dt.timedelta(days=n) for n in range(count)]


def expand(
	keys: list[str], rows: list[dict[str, Any]], from_field: str, to_field: str
) -> tuple[list[str], list[dict[str, Any]], dict[str, RecordError]]:
	"""Each AFAS row as its day rows: ``(day keys, day rows, errors by AFAS key)``, in the rows' order.

	A day row is the AFAS row with :data:`DAY` set to the day (ISO); a row whose range cannot be read is
	an error naming ``from_field`` and yields no day rows."""
	day_keys: list[str] = []
	day_rows: list[dict[str, Any]] = []
	errors: dict[str, RecordError] = {}
	for key, row in zip(keys, rows):
		try:
			days = days_of(row, from_field, to_field)
		except ValueError as exc:
			errors[key] = RecordError(key, from_field, str(exc))
			continue
		for day in days:
			day_keys.append(day_key(key, day))
			day_rows.append({**row, DAY: day.isoformat()})
	return day_keys, day_rows, errors


def bounded(
	keys: list[str], rows: list[dict[str, Any]], from_field: str, to_field: str
) -> tuple[list[str], list[dict[str, Any]], dict[str, RecordError]]:
	"""The rows whose range :func:`days_of` can read, as they are (a mapping with Day From/To but not
	one document per day: a Leave Application), and the errors of the others by AFAS key."""
	kept_keys: list[str] = []
	kept_rows: list[dict[str, Any]] = []
	errors: dict[str, RecordError] = {}
	for key, row in zip(keys, rows):
		try:
			days_of(row, from_field, to_field)
		except ValueError as exc:
			errors[key] = RecordError(key, from_field, str(exc))
			continue
		kept_keys.append(key)
		kept_rows.append(row)
	return kept_keys, kept_rows, errors


def is_weekend(day: dt.date) -> bool:
	"""Saturday or Sunday: the days off of an employee without a holiday list."""
	return day.weekday() >= 5
