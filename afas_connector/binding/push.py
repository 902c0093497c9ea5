"""Pushing one change: an outbox row (AFAS Sync Log, Queued) → the UpdateConnector call it needs →
Success, Retrying or Failed. Runs in the background job that ``binding/outbox.py`` starts.

Which call (POST, PUT, DELETE, deactivate, nothing) and when to try again are decided by the pure
rules in ``sync/outbound_plan.py``; this module reads the document, builds the body, calls AFAS and
records the outcome. The desk's preview builds its body with the same :func:`map_document`.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import frappe
from frappe import _
from frappe.utils import add_to_date, get_datetime, now_datetime
from rq.timeouts import BaseTimeoutException

from afas_connector.afas import (
	AfasAuthError,
	AfasError,
	AfasOutcomeUnknownError,
	AfasTransportError,
	Record,
)
from afas_connector.afas.update import root_element
from afas_connector.binding import facts, hours, ledger, write_rules
from afas_connector.binding.attachments import AttachmentsTooLarge, add_files, files_to_send, remember_sent
from afas_connector.binding.connection import connector_fields, environment, get_client, is_enabled
from afas_connector.binding.constants import LINK, LOG, MAPPING, SETTINGS
from afas_connector.binding.ledger import is_ledger
from afas_connector.binding.record_links import (
	LOOKUPS,
	afas_key_of,
	forget_link,
	link_document,
	link_of,
	removed_key,
	unlink,
	update_link,
)
from afas_connector.binding.sync_log import (
	OUTCOME_UNKNOWN,
	error_fields,
	exchange_excerpts,
	finish_log,
	has_pending_push,
	log_error,
	set_log,
)
from afas_connector.sync.attachments import without_file_data
from afas_connector.sync.ledger import (
	entry_key,
	entry_of_record,
	find_booking,
	parse_entry_key,
	party_accounts,
)
from afas_connector.sync.mapping import FieldMap
from afas_connector.sync.mapping_errors import RecordError
from afas_connector.sync.outbound_checks import check_record, rounding_from_rows
from afas_connector.sync.outbound_plan import (
	REMOVE_EVENTS,
	Call,
	after_failure,
	plan_call,
	plan_ledger_call,
)
from afas_connector.sync.transforms import typed_literal

#: Outbox rows waiting to be sent.
PENDING = ("Queued", "Retrying")
#: How long a change waits for a linked document's push before it looks again.
WAIT_SECONDS = 30


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


def push_pending(
	mapping: str, doctype: str, name: str, now: dt.datetime | None = None, session: PushSession | None = None
) -> list[str]:
	"""Push the pending changes of one document, oldest first, and return their outcomes.

	Stops at a change that must wait (Retrying, not yet due), at one another job is sending
	(Running: order is kept), behind a push whose outcome is unknown (the next change would POST the
	record again), and after a push that did not close its row. Every other round closes one row
	(Success or Failed), so the loop ends after at most as many rounds as there are rows.
	"""
	outcomes: list[str] = []
	now = now or now_datetime()
	while True:
		rows = _next_changes(mapping, doctype, name)
		first = rows[0] if rows else None
		if not first or first.status in ("Running", OUTCOME_UNKNOWN):
			return outcomes
		if first.status == "Retrying" and first.next_attempt and get_datetime(first.next_attempt) > now:
			return outcomes  # keep order: later changes wait behind it
		outcome = process_log(first.name, session)
		outcomes.append(outcome)
		if outcome not in ("Success", "Failed") or len(rows) == 1:
			# Nothing was queued behind it when it was read. A change queued since then kicks a
			# drain of its own (and the drains running look again before they end).
			return outcomes


def _next_changes(mapping: str, doctype: str, name: str) -> list[Any]:
	"""The document's next outbox row to look at, and whether another follows (up to two rows).
	Running and unresolved Outcome Unknown rows sort first: another job is sending an older change of
	this document, or AFAS may hold it already; either way the later changes wait."""
	return frappe.db.sql(
		"""select name, status, next_attempt from `tabAFAS Sync Log`
		where mapping=%s and reference_doctype=%s and reference_name=%s and direction='Outbound'
		and status in ('Queued', 'Retrying', 'Running', %s)
		order by status in ('Running', %s) desc, creation asc limit 2""",
		(mapping, doctype, name, OUTCOME_UNKNOWN, OUTCOME_UNKNOWN),
		as_dict=True,
	)


def process_log(name: str, session: PushSession | None = None) -> str:
	"""Send one outbox row to AFAS and record the outcome; returns the row's new status.

	The call is planned and its body built first; then the row is marked Running *with* the method,
	key and body it is about to send, and committed, before anything goes out. So a push that dies
	mid-call (worker killed, job timeout) leaves a row that says whether a POST may have reached AFAS,
	and the sweeper never sends such a POST again blindly. A push interrupted in this process once its
	write has left (a job timeout, a signal, an error after the request was sent) is recorded as such
	at once (:func:`_send_failed`): a POST is Outcome Unknown, never a Failed that Retry sends again.
	"""
	log = _lock_row(name)
	mapping = frappe.get_cached_doc(MAPPING, log.mapping)
	if log.status not in PENDING or not mapping.enabled or not is_enabled():
		frappe.db.commit()
		return log.status  # a disabled mapping or connector keeps its changes queued
	if hours.is_hours(mapping):  # a Timesheet's time logs, one AFAS line each (binding/hours.py)
		own = session is None
		session = session or PushSession()
		try:
			return hours.push_timesheet(mapping, log, session, _record_failure)
		finally:
			if own:
				session.close()
	started = now_datetime()
	try:
		prepared = _prepare(mapping, log, started)
	except AfasError as exc:  # AFAS could not be asked (a period, the metainfo): as a failed call
		frappe.db.rollback()
		return _record_failure(log, exc, [])
	except Exception as exc:  # a document the body cannot be built from must not stop the queue behind it
		frappe.db.rollback()
		if is_interruption(exc):
			raise  # a job timeout before anything was sent: the row stays Queued for the next drain
		log_error(
			f"AFAS push {log.name}: body not built", exc, reference_doctype=LOG, reference_name=log.name
		)
		fields = error_fields(exc)
		fields["error"] = _("Not sent, the body could not be built: {0}").format(fields["error"])[:1000]
		finish_log(log, "Failed", started_at=started, next_attempt=None, **fields)
		return "Failed"
	if isinstance(prepared, str):
		return prepared
	call, link, record, files = prepared
	set_log(
		log,
		{
			"status": "Running",
			"started_at": started,
			"finished_at": None,
			"environment": environment(),
			"http_method": call.method,
			"afas_key": link.afas_key if link else None,
			"payload": _payload(record) if record is not None else None,
			# a success must not show the error of an earlier attempt
			"error": None,
			"error_detail": None,
			"record_errors": None,
		},
		update_modified=True,
	)
	frappe.db.commit()  # the write-ahead mark: from here on AFAS may receive the call
	own = session is None
	session = session or PushSession()
	session.exchanges.clear()
	writes = writes_started(session.client)
	try:
		note = _send(session.client, mapping, log, call, link, record)
		if files:
			remember_sent(mapping, log.reference_doctype, log.reference_name, files, log.get("afas_key"))
	except BaseException as exc:  # a job timeout or a signal too: see _send_failed
		return _send_failed(log, exc, list(session.exchanges), writes_started(session.client) > writes)
	finally:
		if own:
			session.close()
	fields = _exchange_fields(log, list(session.exchanges))
	fields["afas_key"] = log.get("afas_key")  # the key AFAS gave a POST, if any
	if note:
		fields["error"] = note
	finish_log(log, "Success", **fields)
	return "Success"


def is_interruption(exc: BaseException) -> bool:
	"""An exception that stops the job rather than this push: RQ's job timeout (raised inside the job
	by a signal, an ``Exception`` in RQ 1.x and 2.x), ``SystemExit``, ``KeyboardInterrupt``."""
	return isinstance(exc, BaseTimeoutException) or not isinstance(exc, Exception)


def writes_started(client: Any) -> int:
	"""The writes ``client`` has handed to the network (``AfasClient.writes_started``)."""
	return int(getattr(client, "writes_started", 0) or 0)


def _send_failed(log: Any, exc: BaseException, exchanges: list[Any], write_left: bool) -> str:
	"""Record a push that raised while it sent. AFAS's own answer (an :class:`AfasError`) says what
	happened to the write. Anything else raised after the write left this process (``write_left``: a
	job timeout while AFAS was still working, a signal, an error of ours after AFAS answered) leaves
	its outcome unknown: AFAS may hold it. So it is recorded as a lost answer: a POST becomes Outcome
	Unknown, a PUT or DELETE is sent again. An interruption is recorded and raised again, so the job
	stops as RQ asked; if even the record fails, the Running mark stays for the sweeper."""
	interrupted = is_interruption(exc)
	recorded: BaseException = exc
	cause = f"{type(exc).__name__}: {exc}"
	method = log.get("http_method") or ""
	if write_left and not isinstance(exc, AfasError):
		recorded = AfasOutcomeUnknownError(
			_("the push was stopped while its {0} was under way: {1}").format(method, cause), method=method
		)
	elif interrupted:  # stopped before anything left: simply sent again
		recorded = AfasTransportError(
			_("the push was stopped before its {0} was sent: {1}").format(method, cause), method=method
		)
	try:
		frappe.db.rollback()
		if recorded is not exc:
			log_error(
				f"AFAS push {log.name} stopped mid-call", exc, reference_doctype=LOG, reference_name=log.name
			)
		outcome = _record_failure(log, recorded, exchanges)  # type: ignore[arg-type]
	except Exception:
		if not interrupted:
			raise
		outcome = "Running"
	if interrupted:
		raise exc
	return outcome


#: What a push reads of its outbox row: a narrow locking read, not the whole Sync Log document.
_ROW_FIELDS = (
	"name",
	"status",
	"mapping",
	"event",
	"trigger",
	"reference_doctype",
	"reference_name",
	"started_at",
	"attempts",
	"rounds",
	"http_method",
	"afas_key",
	"payload",
)


def _lock_row(name: str) -> Any:
	"""The outbox row ``name`` (the fields a push uses), locked until this transaction ends.
	Raises ``frappe.DoesNotExistError`` when it is gone."""
	rows = frappe.db.sql(
		f"select {', '.join(f'`{f}`' for f in _ROW_FIELDS)} from `tab{LOG}` where name=%s for update",
		(name,),
		as_dict=True,
	)
	if not rows:
		raise frappe.DoesNotExistError(f"{LOG} {name} not found")
	return rows[0]


def _prepare(
	mapping: Any, log: Any, started: dt.datetime
) -> tuple[Call, Any, Record | None, list[Any]] | str:
	"""The call, body and attached files a row needs, or the row's outcome when it is not sent
	(nothing to do, waits, does not map, does not fit AFAS's fields, files over AFAS's limit, or the
	mapping's author may not read what it would send: ``binding/write_rules.py``)."""
	author = write_rules.author_of(mapping)
	refused = write_rules.cached_refusal(mapping)
	exists = author != "Administrator" and frappe.db.exists(log.reference_doctype, log.reference_name)
	if not refused and exists and not write_rules.may_read(log.reference_doctype, log.reference_name, author):
		refused = _("{0} (Runs As of {1}) may not read {2} {3}, so it is not sent").format(
			author, mapping.name, _(log.reference_doctype), log.reference_name
		)
	if refused:
		set_log(log, {"started_at": started})
		finish_log(log, "Failed", error=refused[:1000], next_attempt=None)
		return "Failed"
	call, link, doc = plan_for(mapping, log.event, log.reference_doctype, log.reference_name)
	if not call.sends:
		set_log(log, {"started_at": started})
		finish_log(log, "Success", error=call.message(_), environment=environment(), next_attempt=None)
		return "Success"
	record = None
	if call.method != "DELETE":
		record, errors, waiting = record_for(mapping, call, link, doc)
		if not errors:  # what AFAS's fields can hold (type, length, decimals), rounded where allowed
			try:
				record, errors = fit_to_afas(mapping, record, log.reference_name)
			except AfasError as exc:
				return _record_failure(log, exc, [])
		if errors and waiting:
			message = _("Waiting for {0} to reach AFAS first").format(", ".join(waiting))
			set_log(log, {"started_at": started})
			finish_log(
				log, "Retrying", error=message[:1000], next_attempt=add_to_date(started, seconds=WAIT_SECONDS)
			)
			return "Retrying"
		if errors:
			set_log(log, {"started_at": started})
			finish_log(
				log,
				"Failed",
				error=_("Not sent, the document does not map: {0}").format(
					"; ".join(f"{e.field}: {e.message}" for e in errors)
				)[:1000],
				record_errors=json.dumps([e.to_dict() for e in errors], ensure_ascii=False),
				next_attempt=None,
			)
			return "Failed"
	files: list[Any] = []
	if record is not None and mapping.get("send_attachments") and not call.deactivate:
		files = files_to_send(mapping, log.reference_doctype, log.reference_name)
		try:
			record = add_files(mapping, record, files)
		except AttachmentsTooLarge as exc:  # checked before any file is read: AFAS would refuse it
			set_log(log, {"started_at": started})
			finish_log(log, "Failed", error=str(exc)[:1000], next_attempt=None)
			return "Failed"
	return call, link, record, files


# ------------------------------------------------------------------ building the body


_FIELD_MAPS: dict[tuple[str, str], FieldMap] = {}
#: Compiled field maps kept per process; more mappings than this is unusual, so the cache is simply
#: emptied when it is full.
MAX_CACHED_FIELD_MAPS = 256


def field_map_of(mapping: Any) -> FieldMap:
	"""The mapping's compiled field map, compiled once per version of the mapping in this process."""
	key = (mapping.name, str(mapping.modified))
	if key not in _FIELD_MAPS:
		if len(_FIELD_MAPS) >= MAX_CACHED_FIELD_MAPS:
			_FIELD_MAPS.clear()
		_FIELD_MAPS[key] = mapping.field_map()
	return _FIELD_MAPS[key]


def current_document(mapping: Any, doctype: str, name: str) -> Any | None:
	"""The document as it is now, or None when it is gone. A field map that reads only the main
	row's own fields gets that row in one query instead of the whole document with every child
	table (a Customer has five); child-table paths and expressions get the whole document."""
	if field_map_of(mapping).reads_child_tables:
		try:
			return frappe.get_doc(doctype, name)
		except frappe.DoesNotExistError:
			return None
	return frappe.db.get_value(doctype, name, "*", as_dict=True)


def map_document(mapping: Any, doc: Any) -> tuple[Record, list[RecordError], list[str]]:
	"""The UpdateConnector record for ``doc`` as it is now, the fields that did not map, and the
	linked documents (``afas_key`` transform) whose own push is still on its way."""
	waiting: list[str] = []

	def afas_key(linked_mapping: str, name: str) -> str | None:
		key = afas_key_of(linked_mapping, name)
		if not key and has_pending_push(linked_mapping, name):
			waiting.append(_("{0} (mapping {1})").format(name, linked_mapping))
		return key

	record, errors = field_map_of(mapping).to_afas(
		doc, key=doc.name, lookups={**LOOKUPS, "afas_key": afas_key}
	)
	return record, errors, waiting


def fit_to_afas(mapping: Any, record: Record, name: str) -> tuple[Record, list[RecordError]]:
	"""``record`` checked against what the UpdateConnector's fields can hold (metainfo: type, length,
	decimals, code table), rounded where a row's AFAS Rounding allows it; the values that do not fit
	as errors naming the field. Raises :class:`AfasError` when AFAS's metainfo cannot be read."""
	fields = connector_fields(mapping.afas_connector, "update", interactive=False)
	return check_record(
		record, fields, rounding=rounding_from_rows(r.as_dict() for r in mapping.field_mappings), key=name
	)


def record_for(mapping: Any, call: Call, link: Any, doc: Any) -> tuple[Record, list[RecordError], list[str]]:
	"""The record ``call`` sends, as :func:`map_document` returns it: the deactivation field for a
	deactivating PUT, else the document mapped; a PUT carries the AFAS key of the document's link."""
	if is_ledger(mapping):
		return ledger.build(mapping, doc.doctype, doc.name, reverse=call.reverse)
	if call.deactivate:
		record = Record(fields={mapping.deactivate_field: typed_literal(mapping.deactivate_value)})
		errors: list[RecordError] = []
		waiting: list[str] = []
	else:
		record, errors, waiting = map_document(mapping, doc)
	if call.method == "PUT":
		record.keys = {mapping.afas_key_field: link.afas_key}
	return record, errors, waiting


def plan_for(mapping: Any, event: str, doctype: str, name: str) -> tuple[Call, Any, Any]:
	"""The call a change needs (see ``sync/outbound_plan.py``), the document's Record Link, and the
	document as it is now (None for a remove event or a deleted document)."""
	link = link_of(mapping.name, doctype, name)
	if is_ledger(mapping):  # booked once, reversed once; nothing in AFAS's books is changed
		docstatus = frappe.db.get_value(doctype, name, "docstatus")
		if docstatus is None or (docstatus == 0 and event not in REMOVE_EVENTS):
			return Call("", reason=_("Not submitted, so nothing to book")), link, None
		reversed_by = frappe.db.get_value(LINK, link.name, "reversal_key") if link else None
		call = plan_ledger_call(
			event, booked=link.afas_key if link else None, reversed_by=reversed_by, cancelled=docstatus == 2
		)
		return call, link, frappe._dict(doctype=doctype, name=name, docstatus=docstatus)
	doc = None if event in REMOVE_EVENTS else current_document(mapping, doctype, name)
	cancelled = doc is not None and doc.get("docstatus") == 2
	call = plan_call(
		event,
		afas_key=link.afas_key if link else None,
		document_exists=doc is not None,
		delete_action=mapping.delete_action,
		cancelled=cancelled,
		removed_key=removed_key(mapping.name, doctype, name)
		if not link and (cancelled or event in REMOVE_EVENTS)
		else None,
	)
	return call, link, doc


# ------------------------------------------------------------------ the call


def _send(client: Any, mapping: Any, log: Any, call: Call, link: Any, record: Record | None) -> str | None:
	"""Make the planned call and record what AFAS answered; returns a note for the log, if any."""
	connector = mapping.afas_connector
	root = mapping.afas_root_element or None
	if call.method == "DELETE":
		element = mapping.afas_element or root_element(connector, root)
		client.delete(connector, element, {mapping.afas_key_field: link.afas_key})
		unlink(link.name)
		return None
	if call.method == "PUT":
		client.update(connector, record, root=root)
		if call.deactivate:  # the ERPNext document is gone or cancelled: its link has done its job
			if not frappe.db.exists(log.reference_doctype, log.reference_name):
				forget_link(link.name)  # the AFAS record stays (blocked): a tombstone, where wanted
			return None
		update_link(link.name)
		return None
	if is_ledger(mapping):
		return _book(client, mapping, log, call, link, record, root)
	key_field = mapping.afas_key_field
	result = client.insert(connector, record, root=root)
	key = result.key(key_field) or record.fields.get(key_field)
	if key in (None, ""):
		return _("AFAS returned no {0}; the next change of this document will be inserted again").format(
			key_field
		)
	link_document(mapping.name, str(key), log.reference_doctype, log.reference_name)
	log.afas_key = str(key)  # written with the outcome, in the same UPDATE
	write_back_keys(mapping, log.reference_doctype, log.reference_name, result.keys)
	return None


def _book(
	client: Any, mapping: Any, log: Any, call: Call, link: Any, record: Record, root: str | None
) -> str | None:
	"""Book a voucher, or its reversal, exactly once. AFAS's financial mutations are looked up first,
	by voucher number in the voucher's administration, and an entry found there counts as this
	booking only if it is (``sync/ledger.find_booking``: not a reversal nor reversed, the same date
	and lines, not another document's); so a booking whose answer was lost is linked, not booked again,
	and a name ERPNext gave out again is booked as the new voucher it is. What cannot be told apart
	becomes Outcome Unknown (:class:`BookingUndecided`), for the user to link; never a silent Success.
	A booking is known by ``administration/entry number`` (AFAS numbers entries per administration)."""
	doctype, name = log.reference_doctype, log.reference_name
	unit = int(record.fields.get("UnId") or 1)
	own = parse_entry_key(link.afas_key, unit) if call.reverse and link else None
	entries = ledger.booked_entries(client, name, unit)
	if entries:
		found = find_booking(
			entry_of_record(record, unit),
			entries,
			parties=party_accounts(record),
			claimed=ledger.claimed_entries(mapping, doctype, name, unit, entries),
			own=own,
		)
		note = _found_booking(mapping, log, call, link, found, unit)
		if note:
			return note
	result = client.insert(mapping.afas_connector, record, root=root)
	number = result.key("EnNo")
	if number not in (None, ""):
		key = entry_key(result.keys.get("UnId") or unit, number)
	else:  # AFAS answered without the number: the entry just booked is the one found now
		entries = ledger.booked_entries(client, name, unit)
		claimed = ledger.claimed_entries(mapping, doctype, name, unit, entries)
		found = find_booking(entry_of_record(record, unit), entries, claimed=claimed, own=own)
		if found.action != "link":
			return _("AFAS booked the entry but returned no entry number")
		key = found.key
	log.afas_key = key
	if call.reverse:
		update_link(link.name, reversal_key=key)
		return None
	return ledger.link_booking(mapping, key, doctype, name, unit)


class BookingUndecided(AfasOutcomeUnknownError):
	"""AFAS holds entries under the voucher's number that could each be its booking: nothing is sent,
	the user links the right one (Outcome Unknown)."""

	def __init__(self, message: str) -> None:
		super().__init__(message)
		self.user_message = message


class BookingMissing(AfasError):
	"""The booking a cancellation would reverse is not in AFAS under the voucher's number: no reversal
	is booked blindly (Failed, for the accountant to look at)."""

	retryable = False


def _found_booking(mapping: Any, log: Any, call: Call, link: Any, found: Any, unit: int) -> str | None:
	"""Act on what the look-up found: link it and return the log's note, or None to book."""
	doctype, name = log.reference_doctype, log.reference_name
	if found.action == "link" and call.reverse:
		update_link(link.name, reversal_key=found.key)
		log.afas_key = found.key
		return _("The reversal is already in AFAS as entry {0}; not booked again").format(found.key)
	if found.action == "link":
		log.afas_key = found.key
		ledger.link_booking(mapping, found.key, doctype, name, unit)
		return _(
			"Already in AFAS as entry {0} (administration/entry, found by voucher number {1}: same date, "
			"lines and party); not booked again"
		).format(found.key, name)
	if found.action == "missing":
		raise BookingMissing(
			_(
				"Not reversed: the booking this cancellation reverses, AFAS entry {0}, is not in AFAS under "
				"voucher number {1}. Look it up in AFAS and book the reversal there if it is needed"
			).format(found.key, name)[:1000]
		)
	if found.action == "undecided":
		raise BookingUndecided(
			_(
				"Not booked: AFAS holds entries under voucher number {0} that could each be this voucher's "
				"booking ({1}), and none is linked to another document. Look them up in AFAS, then on this "
				"log link the one that is this booking (its key, administration/entry)"
			).format(name, ", ".join(found.candidates))[:1000]
		)
	return None


#: Transforms that send an ERPNext field as it is, so a key AFAS assigns can be written back into it.
_PLAIN = ("", "strip", "upper", "lower")


def write_back_keys(mapping: Any, doctype: str, name: str, keys: dict[str, Any]) -> None:
	"""Keys AFAS assigned besides the record's own (the ``BcCo`` of a new organisation) go into the
	ERPNext field the mapping sends them from, where that is empty: the next push names the same
	organisation instead of adding another. Written without a save, so nothing is pushed for it."""
	meta = frappe.get_meta(doctype)
	for row in mapping.field_mappings:
		key = (row.afas_field or "").rsplit(".", 1)[-1]
		field = (row.erpnext_field or "").strip()
		if key == mapping.afas_key_field or key not in keys or keys[key] in (None, ""):
			continue
		if (row.transform or "") not in _PLAIN or "." in field or not meta.get_field(field):
			continue
		if not frappe.db.get_value(doctype, name, field):
			frappe.db.set_value(doctype, name, field, str(keys[key]), update_modified=False)


def record_dict(record: Record) -> dict[str, Any]:
	"""A record as plain data (fields, keys, nested objects, action), for the log and the preview."""
	objects = {
		name: [record_dict(r) for r in value] if isinstance(value, list) else record_dict(value)
		for name, value in record.objects.items()
	}
	return {"fields": record.fields, "keys": record.keys, "objects": objects, "action": record.action}


def _payload(record: Record) -> str:
	"""What was sent, for the Sync Log: files as their size, never their content."""

	return json.dumps(without_file_data(record_dict(record)), ensure_ascii=False, default=str)


#: The calls that send a change; the look-ups around them (a ledger booking looked up before it is
#: sent, the metainfo) are not attempts.
WRITE_METHODS = frozenset({"POST", "PUT", "DELETE"})


def _exchange_fields(log: Any, exchanges: list[Any]) -> dict[str, Any]:
	"""Attempts: how many times the change was sent to AFAS (each HTTP write, a retry inside the call
	included), over all its rounds; and the last exchange's excerpts."""
	sent = sum(1 for e in exchanges if (e.method or "").upper() in WRITE_METHODS)
	return {"attempts": int(log.attempts or 0) + sent, **exchange_excerpts(exchanges)}


def _record_failure(log: Any, exc: Exception, exchanges: list[Any]) -> str:
	# What was attempted (method, key, body) was rolled back with the failed transaction: keep it.
	attempted = {field: log.get(field) for field in ("http_method", "afas_key", "payload")}
	fields = {**attempted, **_exchange_fields(log, exchanges), **error_fields(exc)}
	unknown = isinstance(exc, AfasOutcomeUnknownError)
	mapping = frappe.get_cached_doc(MAPPING, log.mapping)
	# A ledger booking is looked up by voucher number before it is sent again: safe to retry, unless
	# the look-up could not decide (the user does).
	undecided = isinstance(exc, BookingUndecided)
	if unknown and log.http_method == "POST" and (undecided or not is_ledger(mapping)):
		fields["error"] = exc.user_message if undecided else outcome_unknown_message(str(exc))
		finish_log(log, OUTCOME_UNKNOWN, next_attempt=None, **fields)
		return OUTCOME_UNKNOWN
	# A PUT or DELETE whose answer was lost is safe to send again: it sets the same values.
	transient = isinstance(exc, AfasError) and (exc.retryable or unknown)
	max_rounds = int(frappe.db.get_single_value(SETTINGS, "max_attempts") or 4)
	step = after_failure(
		int(log.rounds or 0),
		transient=transient,
		max_rounds=max_rounds,
		retry_after=getattr(exc, "retry_after", None),
	)
	if step.status == "Retrying":
		next_attempt = add_to_date(now_datetime(), seconds=step.delay)
		finish_log(log, "Retrying", rounds=step.rounds, next_attempt=next_attempt, **fields)
		return "Retrying"
	if not isinstance(exc, AfasError):
		log_error(f"AFAS push {log.name} failed", exc, reference_doctype=LOG, reference_name=log.name)
	finish_log(log, "Failed", rounds=step.rounds, next_attempt=None, **fields)
	if isinstance(exc, AfasAuthError):
		facts.tell(facts.CREDENTIALS_REFUSED, exc=exc, sync_log=log.name)
	return "Failed"


def outcome_unknown_message(cause: str) -> str:
	"""What an Outcome Unknown log says: why, and what the user does about it."""
	return _(
		"AFAS may already hold this record: the answer to the POST was lost ({0}). It is not sent again "
		"on its own. Look it up in AFAS, then on this log either link it to the AFAS key you found or "
		"send it again."
	).format(cause)[:1000]
