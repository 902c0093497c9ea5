"""Counting what a client asks of AFAS: calls, rows and bytes per day and connector.

AFAS asks integrations to use its API fairly; an administrator can only do that when the numbers are
known. A :class:`UsageMeter` is fed every :class:`~afas_connector.afas.client.Exchange` of one client
(``on_exchange``) and handed over in one piece (:meth:`UsageMeter.take`) to whoever stores it: the
frappe layer writes it to AFAS Usage once per client, not once per call.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass

from afas_connector.afas.client import Exchange


@dataclass
class Usage:
	"""What was asked of one connector: ``calls`` (HTTP attempts, retries and failures included),
	``rows`` (rows GetConnector answers held) and ``bytes`` (request plus response bodies)."""

	calls: int = 0
	rows: int = 0
	bytes: int = 0

	def add(self, other: Usage) -> None:
		self.calls += other.calls
		self.rows += other.rows
		self.bytes += other.bytes


class UsageMeter:
	"""Adds up exchanges per ``(day, connector)``; safe to feed from several threads at once.

	``today`` gives the day an exchange counts on (the caller's time zone: the frappe layer passes the
	system time zone's date), asked once per exchange so a run over midnight counts on both days.
	"""

	def __init__(self, today: Callable[[], dt.date] = dt.date.today) -> None:
		self._today = today
		self._lock = threading.Lock()
		self._counts: dict[tuple[dt.date, str], Usage] = {}

	def count(self, exchange: Exchange) -> None:
		"""Count one HTTP attempt (an ``on_exchange`` callback)."""
		key = (self._today(), exchange.connector)
		with self._lock:
			usage = self._counts.setdefault(key, Usage())
			usage.add(Usage(1, exchange.rows, exchange.bytes))

	def take(self) -> dict[tuple[dt.date, str], Usage]:
		"""Everything counted since the last take, ``{(day, connector): Usage}``; the meter starts
		again from nothing."""
		with self._lock:
			counts, self._counts = self._counts, {}
		return counts

	def give_back(self, counts: dict[tuple[dt.date, str], Usage]) -> None:
		"""Put back what :meth:`take` gave when it could not be stored, to be taken again later."""
		with self._lock:
			for key, usage in counts.items():
				self._counts.setdefault(key, Usage()).add(usage)

	def pending(self) -> Usage:
		"""The total counted and not yet taken."""
		total = Usage()
		with self._lock:
			for usage in self._counts.values():
				total.add(usage)
		return total
