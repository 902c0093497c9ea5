"""AFAS fair use: every client counts its calls, rows and bytes per day and connector, and writes them
to AFAS Usage when it closes; a mapping's Daily Call Budget reads them back.

Counting rides on the client's ``on_exchange`` (:func:`~afas_connector.binding.connection.get_client`
wraps the caller's), so no call escapes it and no SQL is added per call: a client's counts are
written once, when it closes, by one upsert that adds to the day's row (atomic across workers).

The upsert goes over a connection of its own and is committed at once, for three reasons: a call
AFAS received counts even when the caller's transaction rolls back (a failed run, a desk request
that errs); the caller's transaction never holds the usage row's lock, so parallel pushes and pulls
do not queue behind one another's commits; and a lock conflict on the usage row can never make the
database roll back the caller's work. When that connection cannot be had, the caller's is used.

Days are the system time zone's (as Frappe's ``now_datetime``). The meter may be fed from any thread
(an inbound prefetch thread, say); only the thread that made the client writes to the database: a
close from another thread leaves the counts for the next close in the owning thread.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from typing import Any
from zoneinfo import ZoneInfo

import frappe
from frappe import _
from frappe.utils import get_system_timezone, getdate, now_datetime

from afas_connector.afas.client import Exchange
from afas_connector.afas.usage import Usage, UsageMeter
from afas_connector.binding.constants import USAGE

#: The usage connection waits at most this long (seconds) for the day's row lock before giving up
#: (the counts are kept for the client's next close).
LOCK_WAIT_SECONDS = 5


class ClientUsage:
	"""The meter of one client, bound to the thread and site that made the client."""

	def __init__(self, environment: str) -> None:
		zone = ZoneInfo(get_system_timezone())
		self.meter = UsageMeter(today=lambda: dt.datetime.now(zone).date())
		self.environment = environment
		self._thread = threading.get_ident()
		self._site = getattr(frappe.local, "site", None)

	def count(self, exchange: Exchange) -> None:
		"""An ``on_exchange`` callback: counts in memory only, from any thread."""
		self.meter.count(exchange)

	def flush(self) -> None:
		"""Write what was counted (an ``on_close`` callback). Never raises: usage that cannot be written
		is kept for the next close and the reason logged, since the run it counts must not fail for it."""
		if threading.get_ident() != self._thread or getattr(frappe.local, "site", None) != self._site:
			return
		counts = self.meter.take()
		if not counts:
			return
		try:
			store(counts, self.environment)
		except Exception:
			self.meter.give_back(counts)
			frappe.logger("afas_connector").exception("AFAS usage could not be written; kept for later")


def row_name(day: dt.date, environment: str, connector: str) -> str:
	"""The AFAS Usage row of one day, environment and connector: ``2026-05-01 12345 Production
	Profit_Debtors``, or with a hash of the connector when that would pass Frappe's 140 characters."""
	name = f"{day.isoformat()} {environment} {connector}"
	if len(name) <= 140:
		return name
	digest = hashlib.sha1(connector.encode()).hexdigest()[:16]
	return f"{day.isoformat()} {environment[:100]} {digest}"


def store(counts: dict[tuple[dt.date, str], Usage], environment: str) -> None:
	"""Add ``counts`` (``{(day, connector): Usage}``) to AFAS Usage in one committed statement."""
	now = now_datetime()
	values = [
		(row_name(day, environment, connector), now, now, "Administrator", "Administrator", day)
		+ (environment, connector[:140], usage.calls, usage.rows, usage.bytes)
		for (day, connector), usage in sorted(counts.items())
	]
	db = _own_connection()
	if db is None:
		_upsert(frappe.db, values)
		return
	try:
		if db.db_type == "mariadb":
			db.sql(f"set session innodb_lock_wait_timeout = {LOCK_WAIT_SECONDS}")
		_upsert(db, values)
		db.commit()
	finally:
		db.close()


def _upsert(db: Any, values: list[tuple]) -> None:
	columns = "name, creation, modified, owner, modified_by, `date`, environment, connector, calls, rows_read, data_bytes"
	rows = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(values))
	flat = [v for row in values for v in row]
	if db.db_type in ("postgres", "sqlite"):
		db.sql(
			f"""insert into "tab{USAGE}" ({columns.replace("`", '"')}) values {rows}
			on conflict (name) do update set calls = "tab{USAGE}".calls + excluded.calls,
			rows_read = "tab{USAGE}".rows_read + excluded.rows_read,
			data_bytes = "tab{USAGE}".data_bytes + excluded.data_bytes, modified = excluded.modified""",
			flat,
		)
		return
	db.sql(
		f"""insert into `tab{USAGE}` ({columns}) values {rows}
		on duplicate key update calls = calls + values(calls), rows_read = rows_read + values(rows_read),
		data_bytes = data_bytes + values(data_bytes), modified = values(modified)""",
		flat,
	)


def _own_connection() -> Any | None:
	"""A second connection to the site's database, or None when it cannot be had."""
	from frappe.database import get_db

	conf = frappe.conf
	try:
		db = get_db(
			socket=conf.get("db_socket"),
			host=conf.get("db_host"),
			port=conf.get("db_port"),
			user=conf.get("db_user") or conf.db_name,
			password=conf.db_password,
			cur_db_name=conf.db_name,
		)
		db.connect()
	except Exception:
		frappe.logger("afas_connector").exception("No connection of its own for AFAS usage")
		return None
	return db


# ------------------------------------------------------------------ reading it back


def today() -> dt.date:
	"""Today in the system time zone: the day usage counts on."""
	return getdate(now_datetime())


def usage_today(environment: str, connector: str | None = None) -> dict[str, dict[str, int]]:
	"""Today's usage in ``environment``, ``{connector: {"calls", "rows", "bytes"}}`` (all of them, or
	only ``connector``'s; a connector not called today is absent)."""
	filters: dict[str, Any] = {"date": today(), "environment": environment}
	if connector is not None:
		filters["connector"] = connector
	return {
		row.connector: {
			"calls": int(row.calls or 0),
			"rows": int(row.rows_read or 0),
			"bytes": int(row.data_bytes or 0),
		}
		for row in frappe.get_all(
			USAGE,
			filters=filters,
			fields=["connector", "calls", "rows_read", "data_bytes"],
			order_by="connector asc",
		)
	}


def calls_today(environment: str, connector: str) -> int:
	"""Calls to ``connector`` in ``environment`` today, by any mapping or desk action."""
	return usage_today(environment, connector).get(connector, {}).get("calls", 0)


def budget_message(connector: str, calls: int, budget: int) -> str:
	"""What a deferred run's Sync Log says, in the user's words."""
	return _(
		"Deferred: {0} calls to {1} today reach the daily call budget of {2}; the next run after midnight"
	).format(calls, connector, budget)
