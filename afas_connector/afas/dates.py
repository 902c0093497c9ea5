"""AFAS date-times: Amsterdam wall-clock time, whatever the ``Z`` on them says.

AFAS returns date-times such as ``2024-05-01T10:11:12Z``; the ``Z`` is not UTC but Amsterdam local
time (AFAS's REST documentation: "We recommend ignoring this Z"). Filters compare in the same wall
clock. Every conversion between AFAS's clock and an aware datetime is here, for the client, the sync
rules and the simulator alike.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

AFAS_TZ = ZoneInfo("Europe/Amsterdam")


class AfasDateError(ValueError):
	"""A value that is not an AFAS date or date-time."""


def amsterdam_now(now: dt.datetime | None = None) -> dt.datetime:
	"""The Amsterdam wall-clock time of ``now`` (default: this moment) as a naive datetime, with
	microseconds: what AFAS stores. A naive ``now`` is taken as UTC."""
	moment = now or dt.datetime.now(dt.timezone.utc)
	if moment.tzinfo is None:
		moment = moment.replace(tzinfo=dt.timezone.utc)
	return moment.astimezone(AFAS_TZ).replace(tzinfo=None)


def parse_afas_datetime(value: object) -> dt.datetime | None:
	"""An AFAS date or date-time (``2024-05-01``, ``2024-05-01T10:11:12[.123][Z]``, or a
	``date``/``datetime``) → an aware datetime in Amsterdam; ``None`` for an empty value.

	A ``Z`` or an offset on the text is dropped, not applied: the wall-clock time is Amsterdam's.
	Raises :class:`AfasDateError` for anything else.
	"""
	if value in (None, ""):
		return None
	if isinstance(value, dt.datetime):
		moment = value
	elif isinstance(value, dt.date):
		moment = dt.datetime.combine(value, dt.time())
	else:
		text = str(value).strip()
		if text.endswith("Z"):
			text = text[:-1]
		try:
			moment = dt.datetime.fromisoformat(text.replace(" ", "T", 1))
		except ValueError:
			raise AfasDateError(f"{value!r} is not a date-time (expected YYYY-MM-DDTHH:MM:SS)") from None
	return moment.replace(tzinfo=None).replace(tzinfo=AFAS_TZ)


def to_afas_datetime(moment: dt.datetime) -> str:
	"""An aware datetime (converted to Amsterdam) or a naive one (taken as Amsterdam already) → the
	naive whole-second text AFAS filters want, e.g. ``2026-05-01T10:00:30``."""
	if moment.tzinfo is not None:
		moment = moment.astimezone(AFAS_TZ).replace(tzinfo=None)
	return moment.replace(microsecond=0).isoformat()


#: A date-time as text: ``2026-05-01T10:00[:00[.123]]`` (``T`` or a space), maybe with ``Z`` or an offset.
_DATETIME_TEXT = re.compile(
	r"^(?P<moment>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)"
	r"(?P<zone>Z|[+-]\d{2}:?\d{2})?$",
	re.IGNORECASE,
)


def normalise_filter_value(value: Any) -> Any:
	"""A GetConnector filter value as AFAS compares it: Amsterdam wall-clock time, no ``Z``, no offset.

	AFAS refuses a date filter value with a ``Z`` or an offset, although the dates it returns end in
	``Z``; that ``Z`` is Amsterdam time ("We recommend ignoring this Z", get-connector.md). So:

	* text ending in ``Z`` is AFAS's own notation: the ``Z`` is dropped, the clock time kept;
	* text with a numeric offset, and an aware ``datetime``, is a real instant: converted to Amsterdam;
	* a naive ``datetime`` is Amsterdam time already; a ``date`` stays a date;
	* date-time text gets a ``T`` (``2026-05-01 10:00:00`` as the desk shows it).

	Sub-seconds are kept when given. Anything else (numbers, codes, plain text) is returned unchanged.
	"""
	if isinstance(value, dt.datetime):
		if value.tzinfo is not None:
			value = value.astimezone(AFAS_TZ).replace(tzinfo=None)
		return value.isoformat()
	if isinstance(value, dt.date):
		return value.isoformat()
	if not isinstance(value, str):
		return value
	match = _DATETIME_TEXT.match(value.strip())
	if not match:
		return value
	moment = dt.datetime.fromisoformat(match["moment"].replace(" ", "T"))
	zone = (match["zone"] or "").upper()
	if zone and zone != "Z":
		offset = zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"
		moment = dt.datetime.fromisoformat(moment.isoformat() + offset)
		moment = moment.astimezone(AFAS_TZ).replace(tzinfo=None)
	return moment.isoformat()


def has_zone(text: str) -> bool:
	"""Whether date-time text carries a ``Z`` or an offset (what AFAS refuses in a filter value)."""
	match = _DATETIME_TEXT.match(text.strip()) if isinstance(text, str) else None
	return bool(match and match["zone"])
