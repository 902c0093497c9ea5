"""Outbound decisions, pure: which changes a mapping sends, which UpdateConnector call a change
needs, and when a push that failed on a transient error is tried again.

The frappe layer (``binding/outbox.py`` queues, ``binding/push.py`` sends) asks these functions and
never decides itself, so every rule here is tested without a bench.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from afas_connector.afas.config import backoff
from afas_connector.sync.hours import CONNECTOR as HOURS

#: ERPNext document event → the mapping's check box that says whether it pushes.
EVENT_FLAGS = {
	"after_insert": "push_on_insert",
	"on_update": "push_on_update",
	"on_update_after_submit": "push_on_update",
	"on_submit": "push_on_submit",
	"on_cancel": "push_on_cancel",
	"on_trash": "push_on_trash",
}
#: Events that take the record away in ERPNext: AFAS gets a DELETE or a deactivating PUT.
REMOVE_EVENTS = frozenset({"on_cancel", "on_trash"})
#: The mapping's "On Delete / Cancel" choices.
DELETE_IN_AFAS = "Delete in AFAS"
DEACTIVATE_IN_AFAS = "Deactivate in AFAS"
DO_NOTHING = "Do Nothing"
#: A mapping that books vouchers as AFAS financial entries instead of mapping fields.
LEDGER = "Ledger (FiEntries)"

#: Rounds after a transient error wait 1, 2, 4 … minutes, at most an hour.
ROUND_DELAY_SECONDS = 60.0
MAX_ROUND_DELAY_SECONDS = 3600.0


def wants_change(event: str, mapping: Any, *, manual: bool = False) -> bool:
	"""Whether ``mapping`` (anything with ``.get``: its ``push_on_*`` check boxes and ``delete_action``)
	sends ``event``.

	A manual push (button, API, Retry) sends whatever the event flags say; a remove event is never
	sent when the mapping says "Do Nothing".
	"""
	if not manual:
		flag = EVENT_FLAGS.get(event)
		if not flag or not mapping.get(flag):
			return False
	if mapping.get("mapping_type") == LEDGER:  # a cancel is booked as a reversal, whatever delete_action says
		return event not in ("after_insert", "on_update", "on_trash") or manual
	if mapping.get("afas_connector") == HOURS and mapping.get("direction") == "Outbound":
		# hours lines: a cancel is credited (sync/hours.py), whatever delete_action says
		return event not in ("after_insert", "on_update", "on_trash") or manual
	return not (event in REMOVE_EVENTS and mapping.get("delete_action") == DO_NOTHING)


@dataclass(frozen=True)
class Call:
	"""The UpdateConnector call one change needs. ``method`` is ``POST`` (new in AFAS), ``PUT``
	(known: update, or deactivate when ``deactivate``), ``DELETE``, or ``""``: nothing to send, and
	``reason`` says why: a message template, filled with ``reason_args`` by :meth:`message` after it
	is translated."""

	method: str
	deactivate: bool = False
	reason: str = ""
	reverse: bool = False  # a ledger entry's reversal (a cancelled voucher)
	reason_args: tuple[str, ...] = ()

	def message(self, translate: Callable[[str], str] = str) -> str:
		"""``reason`` in the user's words: ``translate`` (frappe's ``_``) first, then the values."""
		return translate(self.reason).format(*self.reason_args) if self.reason else ""

	@property
	def sends(self) -> bool:
		return bool(self.method)


def plan_call(
	event: str,
	*,
	afas_key: str | None,
	document_exists: bool,
	delete_action: str,
	cancelled: bool = False,
	removed_key: str | None = None,
) -> Call:
	"""Decide the call for one change from what AFAS already knows (``afas_key``: the key on the
	document's Record Link, or None) and the ERPNext document as it is now: gone, or ``cancelled``.
	``removed_key``: the AFAS record a push of this document deleted there, when it has no link now
	(it *was* sent, so the message must not say it never was).

	A push sends the document as it is now, however it was started (a save, the button, the API,
	Retry): a cancelled document is sent as its cancellation, and a cancelled or deleted one is never
	created in AFAS.
	"""
	if event in REMOVE_EVENTS or cancelled:
		if not afas_key and removed_key:
			return Call(
				"",
				reason="Sent to AFAS before, and its AFAS record {0} was deleted there already: nothing to send",
				reason_args=(str(removed_key),),
			)
		if not afas_key:
			if event in REMOVE_EVENTS:
				return Call("", reason="Never sent to AFAS, so nothing to delete there")
			return Call("", reason="Cancelled in ERPNext before it reached AFAS, so it is not created there")
		if delete_action == DO_NOTHING:
			return Call(
				"",
				reason="Cancelled in ERPNext; the mapping leaves AFAS as it is (On Delete / Cancel: Do Nothing)",
			)
		if delete_action == DEACTIVATE_IN_AFAS:
			return Call("PUT", deactivate=True)
		return Call("DELETE")
	if not document_exists:
		return Call("", reason="Deleted in ERPNext before it was sent, so nothing to send")
	return Call("PUT") if afas_key else Call("POST")


def plan_ledger_call(event: str, *, booked: str | None, reversed_by: str | None, cancelled: bool) -> Call:
	"""Exactly once for the ledger: a submitted voucher is booked once (a POST of the entry) and, when
	it is cancelled, reversed once (a POST of the reversing entry). Nothing booked is ever deleted or
	changed in AFAS. ``booked``/``reversed_by``: the AFAS entry numbers on the voucher's Record Link."""
	if event in REMOVE_EVENTS or cancelled:
		if not booked:
			return Call("", reason="Cancelled before it was booked in AFAS, so there is nothing to reverse")
		if reversed_by:
			return Call("", reason="Already reversed in AFAS (entry {0})", reason_args=(str(reversed_by),))
		return Call("POST", reverse=True)
	if booked:
		return Call("", reason="Already booked in AFAS (entry {0})", reason_args=(str(booked),))
	return Call("POST")


@dataclass(frozen=True)
class NextRound:
	"""After a failed push: ``Retrying`` after ``delay`` seconds, or ``Failed`` for good."""

	status: str
	rounds: int
	delay: float = 0.0


def after_failure(
	rounds: int, *, transient: bool, max_rounds: int, retry_after: float | None = None
) -> NextRound:
	"""What follows a failed push that had used ``rounds`` transient rounds before.

	Only a transient error (AFAS busy, in maintenance, unreachable before the request reached it)
	costs a round and is tried again, up to ``max_rounds``; AFAS's own ``retry_after`` (seconds) is
	honoured when longer than the back-off. Anything else fails at once.
	"""
	if not transient:
		return NextRound("Failed", rounds)
	rounds += 1
	if rounds >= max_rounds:
		return NextRound("Failed", rounds)
	delay = backoff(rounds, ROUND_DELAY_SECONDS, MAX_ROUND_DELAY_SECONDS)
	if retry_after:
		delay = max(delay, float(retry_after))
	return NextRound("Retrying", rounds, delay)
