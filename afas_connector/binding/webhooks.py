"""AFAS webhooks as a doorbell (issue 28 §5): a notification from AFAS Profit 8 queues an incremental
run of the mappings it concerns, and does nothing else.

The endpoint (``api.afas_webhook``) hands the raw request here. :func:`receive` answers at once (AFAS
waits 2 seconds) and, in this order:

* a body over :data:`MAX_BODY_BYTES` is refused (413) before anything in it is read;
* :func:`afas_connector.afas.webhooks.verify` checks the signature over the raw body with the
  Webhook Password of AFAS Settings (401), then the shape and age (400), then the ``EventId``
  against :class:`CacheSeenEvents` (a second delivery: 200, nothing queued);
* with the connector switched off, or a routed mapping switched off, nothing is queued (200);
* each mapping the Webhook Routes name for the event gets one incremental run
  (``pull.enqueue_pull``, de-duplicated by RQ: a bell rung ten times while a run waits queues it once).

Nothing in the notification's ``Data`` is written anywhere or used but to choose the routes (event
type, dossier item type, workflow); the run reads the truth from AFAS. The answers never echo the body.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import frappe
from frappe import _

from afas_connector.afas.webhooks import (
	EVENT_TYPES,
	WebhookEvent,
	WebhookRefused,
	WebhookReplayed,
	WebhookRoute,
	routes_for,
	verify,
)
from afas_connector.binding import pull
from afas_connector.binding.connection import is_enabled
from afas_connector.binding.constants import MAPPING, SETTINGS

#: The child table of AFAS Settings that says which mappings an event runs.
ROUTE = "AFAS Webhook Route"
#: The whitelisted method AFAS posts to.
METHOD = "afas_connector.api.afas_webhook"
#: A notification is a few hundred bytes; anything much larger is not one.
MAX_BODY_BYTES = 64 * 1024
#: The Sync Log's Trigger of a run the bell queued.
TRIGGER = "AFAS Webhook"
_SEEN_PREFIX = "afas_webhook_event:"
_GUID = re.compile(r"^[0-9A-Fa-f-]{1,64}$")


class CacheSeenEvents:
	"""The event ids received, in Redis (one key per id, expiring after ``keep_seconds``; ``SET NX``
	so two deliveries of one event at once are told apart)."""

	def add_if_new(self, event_id: str, keep_seconds: int) -> bool:
		return bool(frappe.cache.set(self._key(event_id), 1, ex=keep_seconds, nx=True))

	def forget(self, event_id: str) -> None:
		"""Let AFAS's next delivery of ``event_id`` count (its bell could not be rung this time)."""
		frappe.cache.delete(self._key(event_id))

	@staticmethod
	def _key(event_id: str) -> str:
		return frappe.cache.make_key(_SEEN_PREFIX + event_id.lower())


def receive(body: bytes, headers: Mapping[str, str], content_length: int | None = None) -> tuple[int, dict]:
	"""``(HTTP status, answer)`` for one notification; queues the runs it concerns."""
	if (content_length or 0) > MAX_BODY_BYTES or len(body) > MAX_BODY_BYTES:
		return 413, _refusal("too_large", _("A notification is at most {0} bytes").format(MAX_BODY_BYTES))
	settings = frappe.get_single(SETTINGS)
	password = settings.get_password("webhook_password", raise_exception=False) or ""
	seen = CacheSeenEvents()
	try:
		event = verify(body, headers, password, seen)
	except WebhookReplayed:
		return 200, {"status": "replay", "queued": 0, "message": _("Received before; nothing queued")}
	except WebhookRefused as refused:
		return _refused(refused)
	if not is_enabled():
		return 200, {
			"status": "switched_off",
			"queued": 0,
			"message": _("The AFAS connector is switched off; nothing queued"),
		}
	try:
		queued = ring(event, routes(settings.get("webhook_routes") or []))
	except Exception:
		# Redis or RQ failed: forget the event so AFAS's retry rings the bell, and say so (AFAS retries
		# a non-2xx answer). The traceback goes to the Error Log, not to the caller.
		seen.forget(event.event_id)
		frappe.log_error(title=_("AFAS webhook: the run could not be queued"))
		return 503, _refusal("unavailable", _("The run could not be queued; send the notification again"))
	return (202 if queued else 200), {
		"status": "queued" if queued else "nothing_to_run",
		"queued": len(queued),
		"message": _("{0} run(s) queued").format(len(queued)),
	}


def _refused(refused: WebhookRefused) -> tuple[int, dict]:
	"""The answer to a refused notification, in our words (the library's may quote the body)."""
	if refused.reason == "signature":
		return 401, _refusal(
			"signature",
			_("X-Profit-Signature-256 is missing or does not match the Webhook Password in AFAS Settings"),
		)
	if refused.reason == "stale":
		return 400, _refusal("stale", _("The notification is too old or dated in the future"))
	return 400, _refusal(refused.reason, _("Not an AFAS notification"))


def _refusal(reason: str, message: str) -> dict:
	return {"status": "refused", "reason": reason, "message": message}


def ring(event: WebhookEvent, table: Iterable[WebhookRoute]) -> list[str]:
	"""Queue an incremental run of each switched-on mapping ``table`` routes ``event`` to; returns
	those mappings (a run already waiting in RQ counts: it will read the change)."""
	queued = []
	for mapping in routes_for(event, table):
		if pull.switched_off(mapping):
			continue
		pull.enqueue_pull(mapping, trigger=TRIGGER)
		queued.append(mapping)
	return queued


def routes(rows: Iterable[Any]) -> list[WebhookRoute]:
	"""The Webhook Routes of AFAS Settings as the library's routes (rows already checked at save)."""
	return [
		WebhookRoute(
			mapping=row.mapping,
			event_types=tuple(_split(row.event_types)),
			subject_type_ids=tuple(int(v) for v in _split(row.subject_type_ids)),
			workflow=(row.workflow or "").strip().upper() or None,
			step=(row.step or "").strip().upper() or None,
		)
		for row in rows
		if row.mapping
	]


def check_routes(rows: Iterable[Any]) -> None:
	"""Refuse a Webhook Route that could never ring, or would ring for an outbound mapping."""
	for row in rows:
		where = _("Webhook Routes, row {0}").format(row.idx)
		if not row.mapping:
			frappe.throw(_("{0}: choose a mapping").format(where), title=_("Webhook Routes"))
		if frappe.db.get_value(MAPPING, row.mapping, "direction") != "Inbound":
			frappe.throw(
				_("{0}: {1} is not an inbound mapping; a webhook can only run inbound mappings").format(
					where, row.mapping
				),
				title=_("Webhook Routes"),
			)
		patterns = _split(row.event_types)
		if not patterns:
			frappe.throw(_("{0}: name one or more event types").format(where), title=_("Webhook Routes"))
		for pattern in patterns:
			if not _rings(pattern):
				frappe.throw(
					_("{0}: AFAS sends no event {1}; use for example subject.*, workflow.* or {2}").format(
						where,
						frappe.utils.escape_html(pattern),
						", ".join(sorted(EVENT_TYPES - {"test.executed"})),
					),
					title=_("Webhook Routes"),
				)
		row.event_types = ", ".join(patterns)
		numbers = _split(row.subject_type_ids)
		if any(not re.fullmatch(r"\d{1,9}", n) for n in numbers):
			frappe.throw(
				_("{0}: Dossier Item Types are numbers (SubjectTypeId), separated by commas").format(where),
				title=_("Webhook Routes"),
			)
		row.subject_type_ids = ", ".join(numbers)
		for fieldname, label in (("workflow", _("Workflow ID")), ("step", _("Task or Action"))):
			value = (row.get(fieldname) or "").strip()
			if value and not _GUID.match(value):
				frappe.throw(
					_("{0}: {1} is the id AFAS sends (a GUID)").format(where, label),
					title=_("Webhook Routes"),
				)
			row.set(fieldname, value.upper())


def _rings(pattern: str) -> bool:
	"""Whether an event type pattern matches an event that rings a bell (``test.executed`` rings none)."""
	if pattern.endswith(".*"):
		return any(t.startswith(pattern[:-1]) for t in EVENT_TYPES if t != "test.executed")
	return pattern in EVENT_TYPES and pattern != "test.executed"


def _split(text: str | None) -> list[str]:
	return [part.strip() for part in re.split(r"[,\s]+", text or "") if part.strip()]
