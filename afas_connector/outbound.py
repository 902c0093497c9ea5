"""Outbound sync: a transactional outbox of ERPNext changes, pushed to AFAS UpdateConnectors.

``queue_change`` runs inside the document's own transaction and writes an *AFAS Sync Log* row in
status Queued: if the save rolls back, nothing was queued; if it commits, the change is on disk
even when Redis or every worker is down. The push job is enqueued after commit; the sweeper
re-queues whatever a lost job left behind. Changes of one document are pushed oldest first, and a
newer change supersedes an older one that has not been sent yet.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import frappe
from frappe import _
from frappe.utils import add_to_date, get_datetime, now_datetime

from afas_connector.afas import AfasError, AfasOutcomeUnknownError, Record
from afas_connector.connection import get_client
from afas_connector.sync_log import create_log, error_fields, finish_log

MAPPING = "AFAS Connector Mapping"
LOG = "AFAS Sync Log"
LINK = "AFAS Record Link"
EVENT_FLAGS = {
	"after_insert": "push_on_insert",
	"on_update": "push_on_update",
	"on_update_after_submit": "push_on_update",
	"on_submit": "push_on_submit",
	"on_cancel": "push_on_cancel",
	"on_trash": "push_on_trash",
}
REMOVE_EVENTS = frozenset({"on_cancel", "on_trash"})
PENDING = ("Queued", "Retrying")
#: Back-off between push rounds that gave up on a transient error: 1, 2, 4 … minutes, at most an hour.
ROUND_DELAY_SECONDS = 60
MAX_ROUND_DELAY_SECONDS = 3600
#: A push marked Running this long ago belongs to a worker that died.
STALE_RUNNING_MINUTES = 30


# ------------------------------------------------------------------ queueing (inside the save)


def queue_change(doc: Any, event: str, mapping_name: str, *, trigger: str = "Document Event") -> Any | None:
	"""Write the outbox row for one change, or nothing when the mapping does not cover it."""
	mapping = frappe.get_cached_doc(MAPPING, mapping_name)
	flag = EVENT_FLAGS.get(event)
	if trigger == "Document Event":
		if not flag or not mapping.get(flag):
			return None
		if event == "on_update" and doc.flags.in_insert:
			return None  # after_insert already queued this insert
	if mapping.condition and not frappe.safe_eval(mapping.condition, None, {"doc": doc}):
		return None
	action = "remove" if event in REMOVE_EVENTS else "upsert"
	if action == "remove" and mapping.delete_action == "Do Nothing":
		return None
	payload: dict[str, Any] = {"action": action}
	errors = []
	if action == "upsert":
		record, errors = mapping.field_map().to_afas(doc.as_dict(convert_dates_to_str=True), key=doc.name)
		payload["record"] = _record_dict(record)
	fields = {
		"event": event,
		"payload": json.dumps(payload, ensure_ascii=False, default=str),
		"http_method": None,
	}
	if errors:
		message = "; ".join(f"{e.field}: {e.message}" for e in errors)
		return create_log(
			mapping=mapping_name,
			direction="Outbound",
			trigger=trigger,
			status="Failed",
			reference_doctype=doc.doctype,
			reference_name=doc.name,
			error=_("Not sent, the document does not map: {0}").format(message)[:1000],
			record_errors=json.dumps([e.to_dict() for e in errors], ensure_ascii=False),
			**fields,
		)
	pending = frappe.get_all(
		LOG,
		filters={
			"mapping": mapping_name,
			"reference_doctype": doc.doctype,
			"reference_name": doc.name,
			"direction": "Outbound",
			"status": "Queued",
		},
		fields=["name"],
		order_by="creation desc",
		limit=1,
	)
	if pending:  # not sent yet: the newer change supersedes it
		log = frappe.get_doc(LOG, pending[0].name)
		log.db_set({**fields, "trigger": trigger}, update_modified=True)
	else:
		log = create_log(
			mapping=mapping_name,
			direction="Outbound",
			trigger=trigger,
			status="Queued",
			reference_doctype=doc.doctype,
			reference_name=doc.name,
			**fields,
		)
	enqueue_push(mapping_name, doc.doctype, doc.name, after_commit=True)
	return log


def _record_dict(record: Record) -> dict[str, Any]:
	objects = {
		name: [_record_dict(r) for r in value] if isinstance(value, list) else _record_dict(value)
		for name, value in record.objects.items()
	}
	return {"fields": record.fields, "keys": record.keys, "objects": objects, "action": record.action}


def enqueue_push(mapping: str, doctype: str, name: str, *, after_commit: bool = False) -> Any:
	"""One push job per document at a time; it drains every pending change of that document."""
	return frappe.enqueue(
		"afas_connector.outbound.push_pending",
		queue="default",
		job_id=f"afas_push::{mapping}::{doctype}::{name}",
		deduplicate=not after_commit,
		enqueue_after_commit=after_commit,
		mapping=mapping,
		doctype=doctype,
		name=name,
	)


# ------------------------------------------------------------------ pushing (background job)


def push_pending(mapping: str, doctype: str, name: str, now: dt.datetime | None = None) -> list[str]:
	"""Push the pending changes of one document, oldest first; stop at one that must wait."""
	outcomes = []
	now = now or now_datetime()
	for _round in range(100):
		pending = frappe.get_all(
			LOG,
			filters={
				"mapping": mapping,
				"reference_doctype": doctype,
				"reference_name": name,
				"direction": "Outbound",
				"status": ["in", PENDING],
			},
			fields=["name", "status", "next_attempt"],
			order_by="creation asc",
			limit=1,
		)
		if not pending:
			break
		first = pending[0]
		if first.status == "Retrying" and first.next_attempt and get_datetime(first.next_attempt) > now:
			break  # keep order: later changes wait behind it
		outcome = process_log(first.name)
		outcomes.append(outcome)
		if outcome in PENDING:
			break
	return outcomes


def process_log(name: str) -> str:
	"""Send one outbox row to AFAS and record the outcome; returns the new status."""
	log = frappe.get_doc(LOG, name, for_update=True)
	if log.status not in PENDING:
		frappe.db.commit()
		return log.status
	if not frappe.db.get_single_value("AFAS Settings", "enabled"):
		frappe.db.commit()
		return log.status
	mapping = frappe.get_doc(MAPPING, log.mapping)
	log.db_set({"status": "Running", "started_at": now_datetime(), "finished_at": None}, update_modified=True)
	frappe.db.commit()
	exchanges: list[Any] = []
	try:
		payload = json.loads(log.payload or "{}")
		with get_client(on_exchange=exchanges.append) as client:
			note = _push(client, mapping, log, payload)
	except Exception as exc:
		frappe.db.rollback()
		return _record_failure(log, mapping, exc, exchanges)
	fields = _exchange_fields(log, exchanges)
	if note:
		fields["error"] = note
	finish_log(log, "Success", **fields)
	return "Success"


def _push(client: Any, mapping: Any, log: Any, payload: dict[str, Any]) -> str | None:
	"""Do the HTTP call the change needs; returns a note for the log, if any."""
	key_field = mapping.afas_key_field
	link = frappe.db.get_value(
		LINK,
		{
			"mapping": mapping.name,
			"reference_doctype": log.reference_doctype,
			"reference_name": log.reference_name,
		},
		["name", "afas_key"],
		as_dict=True,
	)
	if payload.get("action") == "remove":
		if not link:
			log.db_set("http_method", None, update_modified=False)
			return _("Never sent to AFAS, so nothing to delete there")
		if mapping.delete_action == "Deactivate in AFAS":
			log.db_set("http_method", "PUT", update_modified=False)
			client.update(
				mapping.afas_connector,
				Record(
					keys={key_field: link.afas_key},
					fields={mapping.deactivate_field: mapping.deactivate_value},
				),
			)
			return None
		log.db_set("http_method", "DELETE", update_modified=False)
		client.delete(
			mapping.afas_connector, mapping.afas_element or mapping.afas_connector, {key_field: link.afas_key}
		)
		frappe.db.delete(LINK, {"name": link.name})
		return None
	record = Record.from_dict(payload.get("record") or {})
	if link:
		record.keys = {key_field: link.afas_key}
		log.db_set({"http_method": "PUT", "afas_key": link.afas_key}, update_modified=False)
		client.update(mapping.afas_connector, record)
		frappe.db.set_value(LINK, link.name, "last_synced", now_datetime(), update_modified=False)
		return None
	log.db_set("http_method", "POST", update_modified=False)
	result = client.insert(mapping.afas_connector, record)
	key = result.keys.get(key_field) or record.fields.get(key_field)
	if key in (None, ""):
		return _("AFAS returned no {0}; the next change of this document will be inserted again").format(
			key_field
		)
	frappe.get_doc(
		{
			"doctype": LINK,
			"mapping": mapping.name,
			"afas_key": str(key),
			"reference_doctype": log.reference_doctype,
			"reference_name": log.reference_name,
			"last_synced": now_datetime(),
		}
	).insert(ignore_permissions=True, ignore_links=True)
	log.db_set("afas_key", str(key), update_modified=False)
	return None


def _exchange_fields(log: Any, exchanges: list[Any]) -> dict[str, Any]:
	fields: dict[str, Any] = {"attempts": int(log.attempts or 0) + len(exchanges)}
	if exchanges:
		last = exchanges[-1]
		fields["request_excerpt"] = f"{last.method} {last.path}\n{last.request_excerpt}"[:10_000]
		fields["response_excerpt"] = (f"HTTP {last.status}\n" if last.status else "") + last.response_excerpt[
			:10_000
		]
	return fields


def _record_failure(log: Any, mapping: Any, exc: Exception, exchanges: list[Any]) -> str:
	fields = {**_exchange_fields(log, exchanges), **error_fields(exc)}
	transient = isinstance(exc, AfasError) and exc.retryable and not isinstance(exc, AfasOutcomeUnknownError)
	max_rounds = int(frappe.db.get_single_value("AFAS Settings", "max_attempts") or 4)
	rounds = int(log.rounds or 0) + (1 if transient else 0)
	if transient and rounds < max_rounds:
		delay = min(MAX_ROUND_DELAY_SECONDS, ROUND_DELAY_SECONDS * 2 ** (rounds - 1))
		retry_after = getattr(exc, "retry_after", None)
		if retry_after:
			delay = max(delay, float(retry_after))
		fields.update(rounds=rounds, next_attempt=add_to_date(now_datetime(), seconds=delay))
		finish_log(log, "Retrying", **fields)
		return "Retrying"
	if not isinstance(exc, AfasError):
		frappe.log_error(title=f"AFAS push {log.name} failed", reference_doctype=LOG, reference_name=log.name)
	finish_log(log, "Failed", rounds=rounds, next_attempt=None, **fields)
	return "Failed"


# ------------------------------------------------------------------ sweeper and retries


def sweep(*, now: dt.datetime | None = None, inline: bool = False) -> int:
	"""Re-queue outbox rows whose job vanished: Queued for over a minute, Retrying and due, or
	Running for longer than a push can take (the worker died). ``inline`` pushes in this process."""
	now = now or now_datetime()
	stale = add_to_date(now, minutes=-STALE_RUNNING_MINUTES)
	for row in frappe.get_all(
		LOG, filters={"direction": "Outbound", "status": "Running", "modified": ["<", stale]}, pluck="name"
	):
		frappe.db.set_value(LOG, row, {"status": "Retrying", "next_attempt": now}, update_modified=False)
	queued_before = add_to_date(now, minutes=-1) if not inline else now
	rows = frappe.db.sql(
		"""select distinct mapping, reference_doctype, reference_name from `tabAFAS Sync Log`
		where direction='Outbound' and reference_name is not null and (
			(status='Queued' and creation <= %(queued)s) or (status='Retrying' and (next_attempt is null or next_attempt <= %(now)s))
		)""",
		{"queued": queued_before, "now": now},
		as_dict=True,
	)
	frappe.db.commit()
	for row in rows:
		if inline:
			push_pending(row.mapping, row.reference_doctype, row.reference_name, now=now)
		else:
			enqueue_push(row.mapping, row.reference_doctype, row.reference_name)
	return len(rows)


def retry(names: list[str]) -> int:
	"""Put Failed/Partial outbound rows back in the queue (payload rebuilt from the current document)."""
	count = 0
	for name in names:
		log = frappe.get_doc(LOG, name)
		if log.direction != "Outbound" or log.status not in ("Failed", "Retrying"):
			continue
		if log.reference_doctype and frappe.db.exists(log.reference_doctype, log.reference_name):
			payload = json.loads(log.payload or "{}")
			if payload.get("action") != "remove":
				doc = frappe.get_doc(log.reference_doctype, log.reference_name)
				mapping = frappe.get_doc(MAPPING, log.mapping)
				record, errors = mapping.field_map().to_afas(
					doc.as_dict(convert_dates_to_str=True), key=doc.name
				)
				if errors:
					continue
				log.db_set(
					"payload", json.dumps({"action": "upsert", "record": _record_dict(record)}, default=str)
				)
		log.db_set(
			{"status": "Queued", "rounds": 0, "next_attempt": None, "error": None, "trigger": "Manual"}
		)
		enqueue_push(log.mapping, log.reference_doctype, log.reference_name, after_commit=True)
		count += 1
	return count
