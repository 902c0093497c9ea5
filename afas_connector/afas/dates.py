"""AFAS date-times: Amsterdam wall-clock time, whatever the ``Z`` on them says.

AFAS returns date-times such as ``2024-05-01T10:11:12Z``; the ``Z`` is not UTC but Amsterdam local
time (AFAS's REST documentation: "We recommend ignoring this Z"). Filters compare in the same wall
clock. Every conversion between AFAS's clock and an aware datetime is here, for the client, the sync
rules and the simulator alike.
"""

from __future__ import annotations

import datetime as dt
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
