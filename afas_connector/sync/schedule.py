"""When is an inbound mapping due? Pure, so the scheduler tick stays a thin loop."""

from __future__ import annotations

import datetime as dt

from croniter import croniter


def is_due(
	schedule: str,
	*,
	last_run: dt.datetime | None,
	now: dt.datetime,
	interval_minutes: int | None = None,
	cron: str | None = None,
) -> bool:
	"""True when the mapping should run at ``now`` given when it last ran (naive, same zone)."""
	if schedule == "Manual Only":
		return False
	if last_run is None:
		return True
	if schedule == "Every N Minutes":
		return now - last_run >= dt.timedelta(minutes=max(1, int(interval_minutes or 15)))
	if schedule == "Hourly":
		return now - last_run >= dt.timedelta(hours=1)
	if schedule == "Daily":
		return now - last_run >= dt.timedelta(days=1)
	if schedule == "Cron":
		if not cron or not croniter.is_valid(cron):
			return False
		return croniter(cron, last_run).get_next(dt.datetime) <= now
	return False
