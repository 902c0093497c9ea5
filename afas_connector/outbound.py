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
import time
from typing import Any

import frappe
from frappe import _
from frappe.utils import add_to_date, get_datetime, now_datetime

from afas_connector.afas import AfasError, AfasOutcomeUnknownError, Record
from afas_connector.connection import get_client
from afas_connector.record_links import LOOKUPS, afas_key_of
from afas_connector.sync.transforms import typed_literal
from afas_connector.sync_log import error_fields, finish_log, insert_outbox_row, set_log

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
#: Redis flag: "a drain job is queued". Cleared by the job when it starts, so later changes kick again.
PUSHER_FLAG = "afas_outbound_pusher"
PUSHER_FLAG_SECONDS = 300
#: A drain job stops after this long and hands over to a fresh one (the default queue allows 300 s).
DRAIN_SECONDS = 200
#: A push marked Running this long ago belongs to a worker that died.
STALE_RUNNING_MINUTES = 30


# ------------------------------------------------------------------ queueing (inside the save)


def queue_change(doc: Any, event: str, mapping_name: str, *, trigger: str = "Document Event") -> Any | None:
	"""Write the outbox row for one change, or nothing when the mapping does not cover it.

	Only *that* the document changed is recorded here: the push job builds the UpdateConnector body
	from the document as it is then. So the save stays cheap, a burst of changes sends the latest
	state once, and a link to another pushed document (a Sales Order's customer) resolves after that
	document has reached AFAS.
	"""
	mapping = frappe.get_cached_doc(MAPPING, mapping_name)
	flag = EVENT_FLAGS.get(event)
	if trigger == "Document Event" and (not flag or not mapping.get(flag)):
		return None
	if mapping.condition and not frappe.safe_eval(mapping.condition, None, {"doc": doc}):
		return None
	if event in REMOVE_EVENTS and mapping.delete_action == "Do Nothing":
		return None
	fields = {"event": event, "http_method": None}
	pending = None
	if event != "after_insert":  # a new document has nothing queued yet: skip the lookup
		# A locking read: if a push job has just taken the row (Running), this sees it and queues a
		# row of its own, instead of folding the change into a push that already read the document.
		pending = frappe.db.get_value(
			LOG,
			{
				"reference_doctype": doc.doctype,
				"reference_name": doc.name,
				"mapping": mapping_name,
				"direction": "Outbound",
				"status": "Queued",
			},
			"name",
			order_by="creation desc",
			for_update=True,
		)
	if pending:  # not sent yet: the newer change supersedes it
		frappe.db.set_value(LOG, pending, {**fields, "trigger": trigger})
		log = frappe._dict(name=pending)
	else:
		log = insert_outbox_row(
			mapping=mapping_name,
			direction="Outbound",
			trigger=trigger,
			status="Queued",
			reference_doctype=doc.doctype,
			reference_name=doc.name,
			**fields,
		)
	schedule_kick()
	return log


_FIELD_MAPS: dict[tuple[str, str], Any] = {}


def field_map_of(mapping: Any) -> Any:
	"""The mapping's compiled field map, compiled once per version of the mapping in this process."""
	key = (mapping.name, str(mapping.modified))
	if key not in _FIELD_MAPS:
		if len(_FIELD_MAPS) > 256:
			_FIELD_MAPS.clear()
		_FIELD_MAPS[key] = mapping.field_map()
	return _FIELD_MAPS[key]


def _record_dict(record: Record) -> dict[str, Any]:
	objects = {
		name: [_record_dict(r) for r in value] if isinstance(value, list) else _record_dict(value)
		for name, value in record.objects.items()
	}
	return {"fields": record.fields, "keys": record.keys, "objects": objects, "action": record.action}


def schedule_kick() -> None:
	"""Kick the pusher once after this transaction commits, however many changes it queued (frappe's
	``after_commit`` keeps duplicates: a bulk change of 1,000 documents would kick 1,000 times)."""
	local = frappe.local
	if getattr(local, "afas_kick_scheduled", False):
		return
	local.afas_kick_scheduled = True
	frappe.db.after_commit.add(kick_pusher)
	frappe.db.after_rollback.add(_forget_kick)  # rollback drops the after_commit callback


def _forget_kick() -> None:
	frappe.local.afas_kick_scheduled = False


def kick_pusher() -> None:
	"""After commit: make sure a drain job is on its way. One Redis ``SET NX`` per commit, so a burst
	of saves costs a single background job, not one each."""
	frappe.local.afas_kick_scheduled = False
	if frappe.cache.set(frappe.cache.make_key(PUSHER_FLAG), 1, nx=True, ex=PUSHER_FLAG_SECONDS):
		frappe.enqueue("afas_connector.outbound.drain", queue="default", timeout=DRAIN_SECONDS + 60)


# ------------------------------------------------------------------ pushing (background job)


def push_pending(
	mapping: str, doctype: str, name: str, now: dt.datetime | None = None, session: PushSession | None = None
) -> list[str]:
	"""Push the pending changes of one document, oldest first; stop at one that must wait."""
	outcomes = []
	now = now or now_datetime()
	for _round in range(100):
		# Running rows sort first: another job sending an older change of this document keeps order.
		pending = frappe.db.sql(
			"""select name, status, next_attempt from `tabAFAS Sync Log`
			where mapping=%s and reference_doctype=%s and reference_name=%s and direction='Outbound'
			and status in ('Queued', 'Retrying', 'Running')
			order by status='Running' desc, creation asc limit 1""",
			(mapping, doctype, name),
			as_dict=True,
		)
		if not pending or pending[0].status == "Running":
			break
		first = pending[0]
		if first.status == "Retrying" and first.next_attempt and get_datetime(first.next_attempt) > now:
			break  # keep order: later changes wait behind it
		outcome = process_log(first.name, session)
		outcomes.append(outcome)
		if outcome in PENDING:
			break
	return outcomes


class PushSession:
	"""One AFAS client (one keep-alive connection) for many pushes; exchanges are kept per push."""

	def __init__(self) -> None:
		self.exchanges: list[Any] = []
		self._client: Any = None

	@property
	def client(self) -> Any:
		if self._client is None:
			self._client = get_client(on_exchange=self.exchanges.append)
		return self._client

	def close(self) -> None:
		if self._client is not None:
			self._client.close()
			self._client = None


class _Waiting(Exception):
	"""The body links to a document whose own push is still on its way: try again shortly."""


class _NotMapped(Exception):
	"""The document does not map (a required field empty, a value the transform refuses)."""

	def __init__(self, errors: list[Any]) -> None:
		self.errors = errors
		super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))


#: How long a change waits for a linked document's push before it looks again.
WAIT_SECONDS = 30


def process_log(name: str, session: PushSession | None = None) -> str:
	"""Send one outbox row to AFAS and record the outcome; returns the new status."""
	log = frappe.get_doc(LOG, name, for_update=True)
	mapping = frappe.get_cached_doc(MAPPING, log.mapping)
	if (
		log.status not in PENDING
		or not mapping.enabled
		or not frappe.db.get_single_value("AFAS Settings", "enabled")
	):
		frappe.db.commit()
		return log.status  # a disabled mapping or connector keeps its changes queued
	set_log(
		log, {"status": "Running", "started_at": now_datetime(), "finished_at": None}, update_modified=True
	)
	frappe.db.commit()
	own = session is None
	session = session or PushSession()
	session.exchanges.clear()
	try:
		note = _push(session.client, mapping, log)
	except _Waiting as exc:
		frappe.db.rollback()
		next_attempt = add_to_date(now_datetime(), seconds=WAIT_SECONDS)
		finish_log(log, "Retrying", error=str(exc)[:1000], next_attempt=next_attempt)
		return "Retrying"
	except _NotMapped as exc:
		frappe.db.rollback()
		finish_log(
			log,
			"Failed",
			error=_("Not sent, the document does not map: {0}").format(str(exc))[:1000],
			record_errors=json.dumps([e.to_dict() for e in exc.errors], ensure_ascii=False),
			next_attempt=None,
		)
		return "Failed"
	except Exception as exc:
		frappe.db.rollback()
		return _record_failure(log, mapping, exc, list(session.exchanges))
	finally:
		if own:
			session.close()
	fields = _exchange_fields(log, list(session.exchanges))
	if note:
		fields["error"] = note
	finish_log(log, "Success", **fields)
	return "Success"


def build_record(mapping: Any, doc: Any) -> Record:
	"""The UpdateConnector record for ``doc`` as it is now; raises ``_Waiting`` or ``_NotMapped``."""
	waiting: list[str] = []

	def afas_key(linked_mapping: str, name: str) -> str | None:
		key = afas_key_of(linked_mapping, name)
		if not key and _has_pending_push(linked_mapping, name):
			waiting.append(_("{0} (mapping {1})").format(name, linked_mapping))
		return key

	record, errors = field_map_of(mapping).to_afas(
		doc, key=doc.name, lookups={**LOOKUPS, "afas_key": afas_key}
	)
	if errors and waiting:
		raise _Waiting(_("Waiting for {0} to reach AFAS first").format(", ".join(waiting)))
	if errors:
		raise _NotMapped(errors)
	return record


def _has_pending_push(mapping: str, name: str) -> bool:
	return bool(
		frappe.db.exists(
			LOG,
			{
				"mapping": mapping,
				# with the DocType, the (reference_doctype, reference_name) index finds the rows
				"reference_doctype": frappe.get_cached_value(MAPPING, mapping, "erpnext_doctype"),
				"reference_name": name,
				"direction": "Outbound",
				"status": ["in", (*PENDING, "Running")],
			},
		)
	)


def _push(client: Any, mapping: Any, log: Any) -> str | None:
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
	if log.event in REMOVE_EVENTS:
		if not link:
			return _("Never sent to AFAS, so nothing to delete there")
		if mapping.delete_action == "Deactivate in AFAS":
			record = Record(
				keys={key_field: link.afas_key},
				fields={mapping.deactivate_field: typed_literal(mapping.deactivate_value)},
			)
			set_log(log, {"http_method": "PUT", "afas_key": link.afas_key, "payload": _payload(record)})
			client.update(mapping.afas_connector, record)
			return None
		set_log(log, {"http_method": "DELETE", "afas_key": link.afas_key})
		client.delete(
			mapping.afas_connector, mapping.afas_element or mapping.afas_connector, {key_field: link.afas_key}
		)
		frappe.db.delete(LINK, {"name": link.name})
		return None
	doc = _current_document(field_map_of(mapping), log.reference_doctype, log.reference_name)
	if doc is None:
		return _("Deleted in ERPNext before it was sent, so nothing to send")
	record = build_record(mapping, doc)
	if link:
		record.keys = {key_field: link.afas_key}
		set_log(log, {"http_method": "PUT", "afas_key": link.afas_key, "payload": _payload(record)})
		client.update(mapping.afas_connector, record)
		frappe.db.set_value(LINK, link.name, "last_synced", now_datetime(), update_modified=False)
		return None
	set_log(log, {"http_method": "POST", "payload": _payload(record)})
	result = client.insert(mapping.afas_connector, record)
	key = result.keys.get(key_field) or record.fields.get(key_field)
	if key in (None, ""):
		return _("AFAS returned no {0}; the next change of this document will be inserted again").format(
			key_field
		)
	_link(mapping.name, str(key), log.reference_doctype, log.reference_name)
	set_log(log, {"afas_key": str(key)})
	return None


def _current_document(field_map: Any, doctype: str, name: str) -> Any | None:
	"""The document as it is now, or None when it is gone. A field map that reads only the main
	row's own fields gets that row in one query instead of the whole document with every child
	table (a Customer has five); child-table paths and expressions get the whole document."""
	if field_map.reads_child_tables:
		try:
			return frappe.get_doc(doctype, name)
		except frappe.DoesNotExistError:
			return None
	return frappe.db.get_value(doctype, name, "*", as_dict=True)


def _payload(record: Record) -> str:
	"""What was sent, for the Sync Log."""
	return json.dumps(_record_dict(record), ensure_ascii=False, default=str)


def _link(mapping: str, key: str, doctype: str, name: str) -> None:
	"""Record that AFAS key ``key`` is this document. AFAS's answer is authoritative: a stale link with
	the same key (its document deleted, or an AFAS environment restored) is pointed here."""
	existing = frappe.db.get_value(LINK, {"mapping": mapping, "afas_key": key}, "name")
	if existing:
		frappe.db.set_value(
			LINK,
			existing,
			{
				"reference_doctype": doctype,
				"reference_name": name,
				"last_synced": now_datetime(),
				"missing_in_afas": 0,
			},
			update_modified=False,
		)
		return
	frappe.get_doc(
		{
			"doctype": LINK,
			"mapping": mapping,
			"afas_key": key,
			"reference_doctype": doctype,
			"reference_name": name,
			"last_synced": now_datetime(),
		}
	).insert(ignore_permissions=True, ignore_links=True)


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
	# What was attempted (method, key, body) was rolled back with the failed transaction: keep it.
	attempted = {field: log.get(field) for field in ("http_method", "afas_key", "payload")}
	fields = {**attempted, **_exchange_fields(log, exchanges), **error_fields(exc)}
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


def due_documents(
	now: dt.datetime, *, queued_before: dt.datetime | None = None, limit: int = 500
) -> list[Any]:
	"""Documents with an outbox row to send now: Queued, or Retrying and due."""
	return frappe.db.sql(
		"""select mapping, reference_doctype, reference_name, min(creation) as first from `tabAFAS Sync Log`
		where direction='Outbound' and reference_name is not null
		and mapping in (select name from `tabAFAS Connector Mapping` where enabled=1) and (
			(status='Queued' and creation <= %(queued)s) or (status='Retrying' and (next_attempt is null or next_attempt <= %(now)s))
		) group by mapping, reference_doctype, reference_name order by first limit %(limit)s""",
		{"queued": queued_before or now, "now": now, "limit": limit},
		as_dict=True,
	)


def drain(now: dt.datetime | None = None) -> int:
	"""The push job: send every due change, document by document, oldest first."""
	frappe.cache.delete(frappe.cache.make_key(PUSHER_FLAG))  # changes committed from now on kick anew
	started = time.monotonic()
	sent = 0
	session = PushSession()
	try:
		while time.monotonic() - started < DRAIN_SECONDS:
			progress = False
			for row in due_documents(now or now_datetime()):
				outcomes = push_pending(
					row.mapping, row.reference_doctype, row.reference_name, now=now, session=session
				)
				sent += outcomes.count("Success")
				progress = progress or bool(outcomes)
			if not progress:
				return sent
	finally:
		session.close()
	kick_pusher()  # out of time with work left: a fresh job continues
	return sent


def sweep(*, now: dt.datetime | None = None, inline: bool = False) -> int:
	"""Every few minutes: rows whose push vanished go back in line. Running for longer than a push can
	take means the worker died; Queued for over a minute means the kick was lost (Redis flushed, no
	worker). ``inline`` drains in this process instead of in a job. Returns the documents found."""
	now = now or now_datetime()
	stale = add_to_date(now, minutes=-STALE_RUNNING_MINUTES)
	for row in frappe.get_all(
		LOG, filters={"direction": "Outbound", "status": "Running", "modified": ["<", stale]}, pluck="name"
	):
		frappe.db.set_value(LOG, row, {"status": "Retrying", "next_attempt": now}, update_modified=False)
	frappe.db.commit()
	rows = due_documents(now, queued_before=now if inline else add_to_date(now, minutes=-1))
	if rows:
		if inline:
			drain(now=now)
		else:
			frappe.cache.delete(frappe.cache.make_key(PUSHER_FLAG))
			kick_pusher()
	return len(rows)


def retry(names: list[str]) -> int:
	"""Put Failed/Retrying outbound rows back in the queue; the push builds the body from the
	document as it is then, so a fixed document goes out fixed."""
	count = 0
	for name in names:
		log = frappe.get_doc(LOG, name)
		if log.direction != "Outbound" or log.status not in ("Failed", "Retrying"):
			continue
		set_log(
			log,
			{"status": "Queued", "rounds": 0, "next_attempt": None, "error": None, "trigger": "Manual"},
			update_modified=True,
		)
		count += 1
	if count:
		schedule_kick()
	return count
