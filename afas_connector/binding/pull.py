"""Pulling a mapping: AFAS GetConnector rows → ERPNext documents, page by page, and the scheduling
of those runs (the scheduler's tick, one background job per mapping).

The planning (filters, cursor, watermark) and mapping rules live in ``afas_connector.sync``; this
module only loads the mapping, writes documents and Record Links, commits per page, and keeps the
Sync Log. See :mod:`afas_connector.sync.inbound_plan` for why the cursor and watermark move as they do.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import frappe
from frappe import _
from frappe.utils import get_datetime, now_datetime

from afas_connector.afas import AfasAuthError, AfasError, FilterSet, take_for_columns
from afas_connector.binding import facts, write_rules
from afas_connector.binding.attachments import copy_files
from afas_connector.binding.connection import (
	connector_fields,
	environment,
	get_client,
	get_settings,
	is_enabled,
)
from afas_connector.binding.constants import LINK, LOG, MAPPING
from afas_connector.binding.matching import PageMatches
from afas_connector.binding.open_items import read_open_items
from afas_connector.binding.payroll_journal import run_journals
from afas_connector.binding.per_day import Days
from afas_connector.binding.record_links import (
	LOOKUPS,
	insert_links,
	link_filters,
	link_of,
	links_by_key,
	update_link,
)
from afas_connector.binding.submitting import amend, cancel_gone, newest_amendment, submit, submits
from afas_connector.binding.sync_log import (
	create_log,
	error_fields,
	exchange_excerpts,
	finish_log,
	log_error,
	readable,
	set_log,
)
from afas_connector.binding.usage import budget_message, calls_today, today
from afas_connector.sync.days import bounded, record_key
from afas_connector.sync.inbound_plan import (
	BRING_BACK,
	KEEP_DELETED,
	InboundSpec,
	InboundState,
	PageResult,
	begin,
	decide,
	key_share,
	page_filter,
	resync_done,
	run_inbound,
	settle_retries,
	since_filter,
	start_run,
	time_left,
	unique_rows,
)
from afas_connector.sync.mapping import FieldMap, content_hash
from afas_connector.sync.mapping_errors import RecordError
from afas_connector.sync.open_items import OPEN_ITEMS
from afas_connector.sync.payroll_journal import JOURNAL_ENTRIES
from afas_connector.sync.personal_data import (
	allowed_personal,
	mask,
	personal_kind,
	personal_targets,
	personal_values,
	redact,
	redact_text,
	scrub_row,
	unrequested,
)
from afas_connector.sync.schedule import is_due

#: A run's lock lives this long unless the run's heartbeat renews it (every quarter of it, for as long
#: as the run works): a run whose process died frees its mapping within this time, or at once when
#: that process was on this machine (:func:`run_alive`); the sweeper, every 5 minutes, closes its log.
LOCK_SECONDS = 60
#: The RQ job timeout of a run (on the long queue): a run still going then is stopped, and the next
#: resumes at its cursor.
RUN_JOB_SECONDS = 1800
#: A run queued this long ago and never started is closed: no worker took it.
QUEUED_SECONDS = 1800
#: A run's job counts as started by a live worker this long after it started, before it takes the lock.
JOB_START_SECONDS = 30
#: At most this many per-record errors are kept in a Sync Log (the count is always exact).
MAX_RECORD_ERRORS = 500
#: Progress is reported after every page and every this many rows within one.
PROGRESS_ROWS = 250

Progress = Callable[[dict[str, Any]], None]


class AlreadyRunning(Exception):
	"""Another run of the same mapping holds the lock."""


def lock_key(mapping: str) -> str:
	return frappe.cache.make_key(f"afas:inbound:{mapping}")


class RunLock:
	"""One run of a mapping at a time: a Redis key (``SET NX``) holding a value that names this run (a
	token, the host and the process id), for :data:`LOCK_SECONDS`. A heartbeat thread renews it while
	the run works, however long it takes: a foreground ``bench afas sync`` of hours keeps it, so no
	scheduled run overlaps it. A process that died renews nothing: its lock is gone within
	``LOCK_SECONDS``, and at once when it was a process of this machine (:func:`run_alive`)."""

	def __init__(self, mapping: str) -> None:
		self.mapping = mapping
		self.key = lock_key(mapping)
		self.value = f"{secrets.token_hex(8)}|{socket.gethostname()}|{os.getpid()}"
		self._stop = threading.Event()

	def acquire(self) -> bool:
		if not frappe.cache.set(self.key, self.value, nx=True, ex=LOCK_SECONDS):
			if run_alive(self.mapping) or not frappe.cache.set(
				self.key, self.value, nx=True, ex=LOCK_SECONDS
			):
				return False
		# The thread gets the Redis client itself: frappe.local is not there in another thread.
		threading.Thread(
			target=self._heartbeat, args=(frappe.cache,), name="afas-run-lock", daemon=True
		).start()
		return True

	def _heartbeat(self, redis: Any) -> None:
		while not self._stop.wait(LOCK_SECONDS / 4):
			if _text(redis.get(self.key)) != self.value:
				return  # lost (this process stalled longer than the lock lives): never take another's
			redis.expire(self.key, LOCK_SECONDS)

	def release(self) -> None:
		self._stop.set()
		if _text(frappe.cache.get(self.key)) == self.value:
			frappe.cache.delete(self.key)


def run_alive(mapping: str) -> bool:
	"""Whether a run of ``mapping`` holds its lock. A lock held by a process of this machine that no
	longer exists (a worker killed) is dropped here, at once, instead of waiting for it to expire."""
	key = lock_key(mapping)
	value = _text(frappe.cache.get(key))
	if value is None:
		return False
	parts = value.split("|")
	if len(parts) == 3 and parts[1] == socket.gethostname() and parts[2].isdigit():
		if not _process_exists(int(parts[2])):
			if _text(frappe.cache.get(key)) == value:
				frappe.cache.delete(key)
			return False
	return True  # a live process, another machine's (its lock expires unless renewed), or another lock


def _process_exists(pid: int) -> bool:
	"""Whether process ``pid`` of this machine still runs (a zombie, killed and not yet reaped, does not:
	in a container whose first process reaps nothing, a killed worker's work horse stays one)."""
	try:
		os.kill(pid, 0)
	except ProcessLookupError:
		return False
	except PermissionError:
		return True  # a process of another user
	try:
		with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
			return stat.read().rsplit(")", 1)[-1].split()[0] not in ("Z", "X")
	except OSError:
		return True  # no /proc (not Linux): kill(0) is all there is


def _text(value: Any) -> str | None:
	return value.decode() if isinstance(value, bytes) else value


class RunStopped(Exception):
	"""The connector or the mapping was switched off while the run went on."""


def sync_mapping(
	mapping: str,
	*,
	trigger: str = "Manual",
	full: bool = False,
	progress: Progress | None = None,
	max_pages: int | None = None,
	log: str | None = None,
	prefetch: bool = True,
) -> Any:
	"""Run one inbound mapping to the end (or to ``max_pages``) and return its Sync Log: ``log``,
	queued by :func:`queue_pull`, or a new one. ``prefetch=False`` fetches each page only after the
	one before is written (for the benchmark that measures what fetching ahead gains).

	Raises :class:`AlreadyRunning` when another run of the mapping is in progress.
	"""
	lock = RunLock(mapping)
	if not lock.acquire():
		raise AlreadyRunning(_("AFAS mapping {0} is already syncing").format(mapping))
	try:
		return _run(
			mapping,
			trigger=trigger,
			full=full,
			progress=progress,
			max_pages=max_pages,
			log=log,
			prefetch=prefetch,
		)
	finally:
		lock.release()


def load_state(mapping: Any, env: str | None = None) -> InboundState:
	"""The mapping's progress in AFAS environment ``env`` (default: the current one). Each environment
	keeps its own watermark, cursor and failed rows; a state saved before environments were kept
	apart belongs to whichever environment the site used then (the upgrade patch says which)."""
	states = json.loads(mapping.sync_state or "{}")
	return InboundState.from_dict(states.get(env or environment()))


def save_state(mapping: Any, state: InboundState, **values: Any) -> None:
	"""Store ``state`` for the current environment, with the watermark shown on the form."""
	env = environment()
	states = json.loads(frappe.db.get_value(MAPPING, mapping.name, "sync_state") or "{}")
	states[env] = state.to_dict()
	values = {"sync_state": json.dumps(states), "last_run": now_datetime(), **values}
	if not state.in_progress and state.watermark:
		values["watermark"] = state.watermark.replace("T", " ")  # Amsterdam time, with its UTC offset
	frappe.db.set_value(MAPPING, mapping.name, values, update_modified=False)
	mapping.sync_state = values["sync_state"]


def _run(
	mapping: str,
	*,
	trigger: str,
	full: bool,
	progress: Progress | None,
	max_pages: int | None,
	log: str | None = None,
	prefetch: bool = True,
) -> Any:
	doc = frappe.get_doc(MAPPING, mapping)
	if doc.direction != "Inbound":
		frappe.throw(_("{0} is not an inbound mapping").format(mapping))
	if log:
		log = frappe.get_doc(LOG, log)
		set_log(log, {"status": "Running", "started_at": now_datetime()}, update_modified=True)
		frappe.db.commit()
	else:
		log = create_log(mapping=mapping, direction="Inbound", trigger=trigger, status="Running", commit=True)
	_close_dead_runs(mapping, but=log.name)  # this run holds the lock: any other "Running" one is dead
	try:  # the trust model, again at run time: the author may have lost a role since saving it
		write_rules.check(doc)
	except write_rules.MappingNotAllowed as exc:
		_fail_run(mapping, log, exc, [], {})
		return log
	if doc.mapping_type == OPEN_ITEMS:
		return _run_whole(doc, log, read_open_items, _open_items_status)
	if doc.mapping_type == JOURNAL_ENTRIES:
		return _run_whole(doc, log, run_journals, _journals_status)
	writer = _Writer(doc, log, progress)
	# The field map this run writes with, by its hash: it settles a "field mapping changed" re-sync
	# only if the mapping still has it when the run ends (an edit made meanwhile wants a run of its own).
	run_map = doc.field_map_hash or ""
	if doc.full_sync_pending and not full:
		full = True  # the field mapping changed: records already synced get the new one too
		writer.notes.append(_("The field mapping changed, so this run read every row"))
	state = begin(load_state(doc), full=full, field_map=run_map)  # resume, or start over
	state.retry_keys = writer.bring_back(state.retry_keys)  # documents deleted in ERPNext to write again
	exchanges: list[Any] = []
	try:
		field_map = doc.field_map()
		spec = InboundSpec(
			connector=doc.afas_connector,
			key_field=doc.afas_key_field,
			modified_field=doc.modified_field or None,
			filters=doc.filter_set(),
			overlap_seconds=int(doc.overlap_seconds or 0),
		)
		writer.field_map = field_map
		with get_client(on_exchange=lambda e: _keep_last(exchanges, e)) as client:
			take = int(doc.page_size or 0) or int(get_settings().default_page_size or 0)
			if not take:
				take = take_for_columns(client.column_count(doc.afas_connector))
			if (full or not state.watermark) and not (state.in_progress and state.cursor):
				# a run from the start that may be long: its time left, once a first page is full
				writer.estimate = (lambda: highest_key(spec), take)
			final = run_inbound(
				client,
				spec,
				state,
				take=take,
				commit_page=writer.commit_page,
				full=full,
				max_pages=max_pages,
				prefetch=prefetch,
				field_map=run_map,
			)
			if not final.in_progress and doc.deletion_mode != "Ignore":
				writer.handle_deletions(client, spec, state, take)
			if not final.in_progress and ((doc.image_field or "").strip() or doc.dossier_attachments):
				writer.copy_files(client)
	except RunStopped as exc:
		frappe.db.rollback()
		finish_log(log, "Partial", **writer.counts(), error=str(exc))
		writer.notify(finished=True)
		return log
	except Exception as exc:
		_fail_run(mapping, log, exc, exchanges, writer.counts())
		writer.notify(finished=True)
		return log
	current_map = frappe.db.get_value(MAPPING, doc.name, "field_map_hash") or ""
	if resync_done(full=full, complete=not final.in_progress, run_map=run_map, current_map=current_map):
		# Cleared only while the mapping still has the field map this run wrote with (one statement, so
		# an edit saved at the same moment either came first and is kept, or comes after and sets it).
		frappe.db.sql(
			f"update `tab{MAPPING}` set full_sync_pending=0 where name=%s and ifnull(field_map_hash, '')=%s",
			(doc.name, run_map),
		)
		frappe.db.commit()
	if current_map != run_map:
		writer.notes.append(
			_("The field mapping was changed during this run: the next run reads every row again with it")
		)
	notes = list(writer.notes)
	if final.in_progress:  # stopped at max_pages: the next run resumes after the cursor
		notes.append(
			_("Stopped after {0} pages; the next run resumes after AFAS key {1}").format(
				writer.pages, final.cursor
			)
		)
	if writer.left_deleted:
		notes.append(
			_(
				"{0} AFAS records whose documents were deleted in ERPNext were left deleted (When Deleted in "
				"ERPNext: Keep Deleted)"
			).format(writer.left_deleted)
		)
	if writer.cancelled:
		notes.append(
			_("{0} documents were cancelled: their AFAS records (or days) are gone").format(writer.cancelled)
		)
	if writer.days_off:
		notes.append(_("{0} days off of the employees were left without a document").format(writer.days_off))
	if writer.numbered:
		notes.append(
			_(
				"{0} new {1} got a numbered name because one of that name existed ({2}), as ERPNext does in "
				"the desk; if they are the same, set Match Existing By (e.g. {3}) to adopt the existing one"
			).format(
				len(writer.numbered),
				_(writer.doctype),
				", ".join(writer.numbered[:5]),
				writer.title_field or "name",
			)
		)
	if final.retry_keys:
		notes.append(
			_("{0} rows wait to be read again (AFAS keys {1})").format(
				len(final.retry_keys), ", ".join(final.retry_keys[:20])
			)
		)
	status = "Partial" if writer.failed or final.in_progress else "Success"
	if writer.failed and writer.failed == writer.attempted:
		status = "Failed"  # nothing of what was read could be written
		notes.insert(0, writer.first_error)
	finish_log(log, status, **writer.counts(), error="\n".join(n for n in notes if n)[:1000] or None)
	writer.notify(finished=True)
	return log


def highest_key(spec: InboundSpec) -> Any:
	"""The highest AFAS key the run's GetConnector holds now (one row, sorted by key descending), for
	the run's share done and time left; None when AFAS does not answer (the run goes on without).
	A client of its own: the run's client may be fetching the next page in another thread."""
	try:
		with get_client() as client:
			page = client.get_page(
				spec.connector, skip=0, take=1, filters=spec.filters, order_by=[f"-{spec.key_field}"]
			)
	except AfasError:
		return None
	return page.rows[0].get(spec.key_field) if page.rows else None


def _fail_run(mapping: str, log: Any, exc: Exception, exchanges: list[Any], counts: dict[str, Any]) -> None:
	"""Close a run that stopped on an error: nothing of the failed page is kept, the log says why
	(with AFAS's last answers), refused credentials alert at once, and an error that is not AFAS's
	or the user's goes to the Error Log too."""
	frappe.db.rollback()
	fields = error_fields(exc)
	fields.update(exchange_excerpts(exchanges))
	# AFAS's answer may be a page of rows: personal values keep their field's name, not their value
	fields = {k: redact_text(v) if isinstance(v, str) else v for k, v in fields.items()}
	finish_log(log, "Failed", **counts, **fields)
	if isinstance(exc, AfasAuthError):
		facts.tell(facts.CREDENTIALS_REFUSED, exc=exc, sync_log=log.name)
	if not isinstance(exc, AfasError | frappe.ValidationError | frappe.PermissionError):
		log_error(f"AFAS inbound sync {mapping} failed", exc)
		frappe.db.commit()


def _open_items_status(counts: dict[str, Any]) -> str:
	return "Partial" if counts["failed"] else "Success"


def _journals_status(counts: dict[str, Any]) -> str:
	return "Success" if not counts["failed"] else "Partial" if counts["inserted"] else "Failed"


def _run_whole(
	doc: Any,
	log: Any,
	read: Callable[..., tuple[dict[str, Any], str]],
	status: Callable[[dict[str, Any]], str],
) -> Any:
	"""A run of a kind that reads and writes in one call (Open Items: what AFAS still sees open of the
	invoices the Ledger mapping booked; Journal Entries: AFAS's entries of the chosen journals booked
	once each): ``read(doc, on_exchange=…) → (counts, note)``, its log closed with ``status(counts)``."""
	exchanges: list[Any] = []
	try:
		counts, note = read(doc, on_exchange=lambda e: _keep_last(exchanges, e))
	except Exception as exc:
		_fail_run(doc.name, log, exc, exchanges, {})
		return log
	frappe.db.set_value(MAPPING, doc.name, "last_run", now_datetime(), update_modified=False)
	finish_log(log, status(counts), **counts, error=note)
	return log


def preview(mapping: Any, *, limit: int, full: bool = False) -> dict[str, Any]:
	"""What the next run would do with its first ``limit`` rows, writing nothing: the same page filter
	(watermark, cursor, the mapping's filters; from the start with ``full``) and the same writes,
	with ERPNext's own checks (links, mandatory fields, validations), each rolled back.

	Returns ``{"since": filter start or None, "rows": [{afas_key, action (insert, update, adopt,
	unchanged, fail), document (None for an insert: the name a rolled-back insert got is not the one
	the run will give), values, errors}]}``. Raises :class:`AfasError` when AFAS does not answer.
	"""

	state = InboundState() if full else load_state(mapping)
	state = start_run(InboundState(watermark=state.watermark, cursor=state.cursor), full=full)
	spec = InboundSpec(
		connector=mapping.afas_connector,
		key_field=mapping.afas_key_field,
		modified_field=mapping.modified_field or None,
		filters=mapping.filter_set(),
		overlap_seconds=int(mapping.overlap_seconds or 0),
	)
	write_rules.check(mapping)
	writer = _Writer(mapping, None, None, dry_run=True)
	writer.field_map = mapping.field_map()
	with get_client(interactive=True) as client:
		page = client.get_page(
			spec.connector, skip=0, take=limit, filters=page_filter(spec, state), order_by=[spec.key_field]
		)
	rows, _ = unique_rows(writer.scrub(page.rows), spec.key_field)
	keys = [str(r.get(spec.key_field)) for r in rows]
	keys, rows, unreadable = writer._spans(keys, rows)  # a document per day, or a bounded range
	links = links_by_key(mapping.name, keys)
	present = writer._present([link.reference_name for link in links.values()])
	results = [
		{"afas_key": key, "action": "fail", "document": None, "errors": [error.to_dict()]}
		for key, error in unreadable.items()
	]
	frappe.flags.afas_inbound = True
	guard = _PreviewGuard()
	try:
		with write_rules.acting_as(writer.author):  # as the run writes them
			for key, row in zip(keys, rows):
				writer._write_row(key, row, links.get(key), present, [])
				result = {"errors": [], **writer.last}
				if result.get("action") == "insert":  # rolled back: the name it got is not one it will have
					result["document"] = None
				results.append(result)
	finally:
		frappe.flags.afas_inbound = False
		guard.lift()
		frappe.db.rollback()  # nothing of the preview stays
	since = None
	if spec.modified_field and state.watermark and not full:
		since = since_filter(state.watermark, spec.overlap_seconds, state.run_started)
	return {"since": since, "rows": results}


def personal_data_warning(mapping: Any, columns: list[str] | None = None) -> str | None:
	"""For the mapping form's save (a warning, never a refusal): what an inbound mapping does with AFAS's
	personal data (BSN, salary, bank account, identity document: ``sync/personal_data.py``), or None.

	Names the personal fields its rows read (kept in ERPNext, masked in logs and previews) and the
	personal columns its GetConnector answers that no row names (dropped from every row as it is read;
	the App Connector's GetConnector should leave them out). ``columns`` are the GetConnector's fields;
	when not given, AFAS's metainfo (cached) is asked, and without an answer only the rows are looked at.
	"""
	if mapping.get("direction") != "Inbound" or not mapping.get("afas_connector"):
		return None
	rows = mapping.get("field_mappings") or []
	if columns is None:
		try:
			columns = list(connector_fields(mapping.afas_connector, "get"))
		except AfasError:
			columns = []
	read = sorted(allowed_personal(rows))
	dropped = unrequested(columns, rows)
	parts = []
	if read:
		parts.append(
			_(
				"This mapping reads personal data from AFAS ({0}): it is kept in ERPNext, and Sync Logs, "
				"previews and alerts show the field names only"
			).format(", ".join(f"{name} ({_(personal_kind(name) or '')})" for name in read))
		)
	if dropped:
		parts.append(
			_(
				"GetConnector {0} answers personal data no row reads ({1}): it is dropped from every row as "
				"it is read; leave these fields out of the GetConnector in AFAS so they are never sent"
			).format(mapping.afas_connector, ", ".join(dropped))
		)
	return "; ".join(parts) or None


class PreviewWouldCommit(frappe.ValidationError):
	"""Saving this document commits (or rolls back) the transaction by itself: a preview stops there."""


class _PreviewGuard:
	"""While a preview writes and rolls back its rows, nothing may commit: a DocType whose save commits
	on its own (Frappe commits when a User's sessions are dropped, for one) would keep a "preview"
	write for good. A commit or full rollback raises :class:`PreviewWouldCommit` before it happens, so
	the row fails with that reason and its savepoint is rolled back. Frappe runs (and forgets) its
	``before_commit`` / ``before_rollback`` callbacks on every commit, so the guard adds itself again."""

	def __init__(self) -> None:
		self.active = True
		frappe.db.before_commit.add(self.refuse)
		frappe.db.before_rollback.add(self.refuse)

	def refuse(self) -> None:
		if not self.active:
			return
		frappe.db.before_commit.add(self.refuse)
		frappe.db.before_rollback.add(self.refuse)
		raise PreviewWouldCommit(
			_("Saving this document would commit on its own, so a preview cannot try it: nothing was written")
		)

	def lift(self) -> None:
		self.active = False


def _keep_last(bucket: list[Any], exchange: Any) -> None:
	bucket[:] = [exchange]


class _Writer:
	"""Writes one page at a time: documents, Record Links, mapping state and log counts, one commit."""

	def __init__(self, mapping: Any, log: Any, progress: Progress | None, *, dry_run: bool = False) -> None:
		self.dry_run = dry_run  # preview: every write is made, checked, and rolled back
		self.last: dict[str, Any] = {}  # what the last row did (for the preview)
		self.mapping = mapping
		self.log = log
		self.progress = progress
		self.field_map: FieldMap | None = None
		self.doctype = mapping.erpnext_doctype
		self.author = write_rules.author_of(mapping)  # every write is one this user may make in the desk
		self.read = self.inserted = self.updated = self.unchanged = self.failed = self.flagged = 0
		self.pages = 0
		self.errors: list[dict[str, Any]] = []
		self.first_error = ""
		self.notes: list[str] = []
		self.user = frappe.session.user
		self.match_fields = match_fields(mapping)
		#: A one-field match rule is read a page at a time (``binding/matching.py``).
		self.page_matches = (
			PageMatches(mapping.name, self.doctype, self.match_fields[0])
			if len(self.match_fields) == 1
			else None
		)
		#: The page's rows mapped ahead (AFAS key → values, errors), for the match rule's read-ahead.
		self.mapped: dict[str, tuple[dict[str, Any], list[RecordError]]] = {}
		self.started = time.monotonic()
		#: For the share done and time left: the highest key (asked once the first page comes back
		#: full, so a run of one page costs no call more), the first and last key read.
		self.estimate: tuple[Callable[[], Any], int] | None = None
		self.highest_key: Any = None
		self.first_key: Any = None
		self.cursor: Any = None
		#: Documents the rows of this page have claimed (name → AFAS key): their links are inserted
		#: with the page, so a later row of the page must not adopt one of them (one record, one document).
		self.claimed: dict[str, str] = {}
		#: When Deleted in ERPNext: what a tombstone (a link whose document a user deleted) means here.
		self.deleted_choice = mapping.get("on_erpnext_delete") or KEEP_DELETED
		self.left_deleted = 0  # rows left alone because their document was deleted in ERPNext
		self.numbered: list[str] = []  # new documents ERPNext named "X - 1" because an "X" existed
		self.title_field = frappe.get_meta(self.doctype).get_title_field()
		#: Link fields whose target Frappe 15 does not check: a Link with fields fetched from it passes
		#: its link check when the target does not exist (HRMS's Employee.department); checked here.
		meta = frappe.get_meta(self.doctype)
		self.unchecked_links = {
			df.fieldname: df.options
			for df in meta.get_link_fields()
			if df.options and meta.get_fields_to_fetch(df.fieldname)
		}
		self.links_seen: set[tuple[str, str]] = set()  # targets found this run (a missing one is asked again)
		#: Personal data (``sync/personal_data.py``): the AFAS fields this mapping's rows name (all others
		#: are dropped from each row as it is read), the ERPNext fields they fill (redacted in a preview),
		#: and the personal values of the row being written (masked in its error messages).
		rows = mapping.get("field_mappings") or []
		self.personal_allowed = frozenset(allowed_personal(rows))
		self.personal_targets = tuple(personal_targets(rows))
		self.personal: list[str] = []
		#: Submit Documents and One Document per Day (``binding/submitting.py``, ``binding/per_day.py``).
		self.submits = submits(mapping)
		self.days = Days.of(mapping)
		#: Day From / Day To without a document per day (a Leave Application): a range that cannot be
		#: read or is longer than ``sync/days.MAX_DAYS`` is a row error before anything is written.
		span = ((mapping.get("day_from_field") or "").strip(), (mapping.get("day_to_field") or "").strip())
		self.span = span if not self.days and all(span) else None
		self.cancelled = 0  # documents cancelled: their AFAS record (or day) is gone
		self.days_off = 0  # day rows skipped: a day off of the employee

	def scrub(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
		"""The rows of a page as the run may hold them: personal fields no mapping row names dropped,
		before anything hashes, stores, previews or logs them."""
		return [scrub_row(row, self.personal_allowed) for row in rows]

	@property
	def attempted(self) -> int:
		"""Rows that needed a write (unchanged rows needed none)."""
		return self.inserted + self.updated + self.failed

	def counts(self) -> dict[str, Any]:
		return {
			"rows_read": self.read,
			"inserted": self.inserted,
			"updated": self.updated,
			"unchanged": self.unchanged,
			"failed": self.failed,
			"flagged": self.flagged,
			"record_errors": json.dumps(self.errors, ensure_ascii=False, indent=1) if self.errors else None,
		}

	# -------------------------------------------------------------- one page

	def commit_page(self, page: PageResult, state_after: InboundState) -> None:
		if not (is_enabled() and frappe.db.get_value(MAPPING, self.mapping.name, "enabled")):
			raise RunStopped(
				_(
					"Stopped after {0} pages: the connector or the mapping was switched off; the next run "
					"resumes where this one stopped"
				).format(self.pages)
			)
		self.pages += 1
		self.read += len(page.rows) + page.duplicates
		rows = self.scrub(page.rows)
		key_field = self.mapping.afas_key_field
		keys = [str(r.get(key_field)) for r in rows]
		if keys and not page.retry:
			self.first_key = self.first_key if self.first_key is not None else keys[0]
			self.cursor = keys[-1]
			if self.estimate and page.number == 1 and len(page.rows) >= self.estimate[1]:
				self.highest_key = self.estimate[0]()
		record_keys = keys
		failed: set[str] = set()
		keys, rows, unreadable = self._spans(keys, rows)  # a document per day, or a bounded range
		for key, error in unreadable.items():
			self._fail([error])
			failed.add(key)
		links = links_by_key(self.mapping.name, keys)
		present = self._present([link.reference_name for link in links.values()])
		new_links: list[tuple] = []
		self.claimed = {}
		self._map_ahead(keys, rows, links)
		frappe.flags.afas_inbound = True  # the outbound side must not echo these writes back
		try:
			with write_rules.acting_as(self.author):  # ERPNext's own checks see the author, as in the desk
				for number, (key, row) in enumerate(zip(keys, rows), start=1):
					if not self._write_row(key, row, links.get(key), present, new_links):
						failed.add(record_key(key) if self.days else key)
					if number % PROGRESS_ROWS == 0:  # a large page shows progress while it is written
						self.notify()
				if self.days:  # days a record no longer spans: cancelled, their links dropped
					self._count_cancelled(
						*self.days.drop_stale(set(record_keys) - failed, set(keys), self.author)
					)
		finally:
			frappe.flags.afas_inbound = False
		insert_links(self.mapping.name, self.doctype, new_links)
		settle_retries(state_after, failed, (set(record_keys) - failed) | set(page.gone))
		save_state(self.mapping, state_after)
		set_log(self.log, self.counts())
		frappe.db.commit()
		self.notify()

	def _spans(
		self, keys: list[str], rows: list[dict[str, Any]]
	) -> tuple[list[str], list[dict[str, Any]], dict[str, RecordError]]:
		"""The page's rows as written: each as its days (One Document per Day), or those whose Day From /
		Day To range reads (``sync/days.py``); the errors of the others by AFAS key."""
		if self.days:
			return self.days.expand(keys, rows)
		if self.span:
			return bounded(keys, rows, *self.span)
		return keys, rows, {}

	def _map_ahead(self, keys: list[str], rows: list[dict[str, Any]], links: dict[str, Any]) -> None:
		"""Map the page's rows, and read the match rule's candidates of the new ones in one go."""
		self.mapped = {}
		if not self.page_matches:
			return
		field = self.match_fields[0]
		values = []
		for key, row in zip(keys, rows):
			self.mapped[key] = self.field_map.to_erpnext(row, key=key, lookups=LOOKUPS)  # type: ignore[union-attr]
			if key not in links:
				values.append(self.mapped[key][0].get(field))
		self.page_matches.load(values)

	def _present(self, names: list[str]) -> set[str]:
		"""Which linked documents still exist: one query a page, so a link whose document was deleted
		in ERPNext is never taken for an unchanged row."""
		if not names:
			return set()
		return set(frappe.get_all(self.doctype, filters={"name": ["in", names]}, pluck="name"))

	def _write_row(
		self,
		key: str,
		row: dict[str, Any],
		link: Any | None,
		present: set[str],
		new_links: list[tuple],
	) -> bool:
		"""Write one row; False when it failed (recorded as a row error)."""
		self.last = {
			"afas_key": key,
			"action": "unchanged",
			"document": link.reference_name if link else None,
		}
		self.personal = personal_values(row) if self.personal_allowed else []
		if link and link.merged_away:
			self.unchanged += 1  # merged into another document in ERPNext: this record is not synced
			self.last["note"] = _("merged away in ERPNext: not synced")
			return True
		if link and link.get("deleted_in_erpnext") and self.deleted_choice == KEEP_DELETED:
			self.unchanged += 1  # a user deleted its document: the delete stands (a tombstone)
			self.left_deleted += 1
			self.last["note"] = _("deleted in ERPNext: left deleted (When Deleted in ERPNext)")
			return True
		mapped = self.mapped.pop(key, None)
		values, errors = mapped or self.field_map.to_erpnext(row, key=key, lookups=LOOKUPS)  # type: ignore[union-attr]
		self.last["values"] = redact(values, self.personal_targets) if self.personal_allowed else values
		if errors:
			self._fail(errors)
			return False
		if self.days and not link and self.days.day_off(row, values):
			self.unchanged += 1  # a weekend or holiday of the employee: no document for it
			self.days_off += 1
			self.last["note"] = _("a day off of the employee: no document")
			return True
		digest = content_hash(values)
		modified = str(row.get(self.mapping.modified_field) or "") if self.mapping.modified_field else ""
		# A tombstone (Bring Back, or Unlink chosen after it was made) is written again as a new record.
		exists = bool(link) and not link.get("deleted_in_erpnext") and link.reference_name in present
		action = decide(link.content_hash if link else None, exists, digest)
		if action == "unchanged":
			self.unchanged += 1
			return True
		savepoint = "afas_row"
		frappe.db.savepoint(savepoint)
		try:
			self._check_links(values)
			if action == "update":
				target = self._save(frappe.get_doc(self.doctype, link.reference_name), values)
				self.last["action"] = "update"
				moved = {"reference_name": target.name} if target.name != link.reference_name else {}
				if moved:  # a submitted document was cancelled and amended: the link follows
					self.last["document"] = target.name
					self.last["note"] = _("{0} cancelled and amended as {1}").format(
						link.reference_name, target.name
					)
				self._matched(target)
				if not self.dry_run:
					update_link(
						link.name, content_hash=digest, afas_modified=modified, missing_in_afas=0, **moved
					)
				self.updated += 1
				return self._done(savepoint)
			name = self._adopt(key, values)
			if name:
				target = self._save(frappe.get_doc(self.doctype, name), values)
				self.last["action"] = "adopt"
				self.updated += 1
			else:
				target = frappe.get_doc({"doctype": self.doctype, **values})
				self._may_write(target, new=True)
				target.flags.afas_inbound = True
				target.flags.ignore_permissions = True  # the author's permission, checked just above
				target.insert()
				if self.submits:
					submit(target, self.author)
				self.last["action"] = "insert"
				self.inserted += 1
				self._note_numbered(target, values)
			self.last["document"] = target.name
			self.claimed[target.name] = key
			self._matched(target)
			if self.dry_run:
				pass
			elif link:  # the linked document was deleted in ERPNext: point the link at the new one
				tombstone = {"deleted_in_erpnext": 0, "note": None} if link.get("deleted_in_erpnext") else {}
				update_link(
					link.name,
					reference_name=target.name,
					content_hash=digest,
					afas_modified=modified,
					**tombstone,
				)
			else:
				new_links.append((key, target.name, digest, modified))
			return self._done(savepoint)
		except Exception as exc:
			frappe.db.rollback(save_point=savepoint)
			self._fail([RecordError(key, None, _row_message(exc, self.doctype, values))])
			frappe.clear_messages()
			return False

	def _check_links(self, values: dict[str, Any]) -> None:
		"""Raise ``frappe.LinkValidationError`` for a value of :attr:`unchecked_links` whose document does
		not exist, in Frappe's own words."""
		for fieldname, doctype in self.unchecked_links.items():
			value = values.get(fieldname)
			if value in (None, "") or (doctype, value) in self.links_seen:
				continue
			if not frappe.db.exists(doctype, value):
				raise frappe.LinkValidationError(_("Could not find {0}: {1}").format(_(doctype), value))
			self.links_seen.add((doctype, value))

	def _matched(self, target: Any) -> None:
		"""The page wrote ``target``: the match rule's read-ahead files it under its value now."""
		if self.page_matches:
			self.page_matches.wrote(target.name, target.get(self.match_fields[0]))

	def _note_numbered(self, target: Any, values: dict[str, Any]) -> None:
		"""ERPNext names a new Customer (Supplier …) whose name is taken "X - 1", as it does in the desk:
		two AFAS records of one name can be two companies. Counted, so the log says so (the records
		may also be one, already in ERPNext: then the mapping needs a match rule)."""
		title = values.get(self.title_field) if self.title_field else None
		if title and target.name != title and target.name.startswith(f"{title} - "):
			self.numbered.append(target.name)

	def bring_back(self, keys: list[str]) -> list[str]:
		"""``keys`` (the rows to read again) and, under When Deleted in ERPNext = Bring Back, the AFAS
		keys whose documents were deleted in ERPNext (their tombstones): the run writes them again."""
		if self.deleted_choice != BRING_BACK:
			return keys
		tombstones = frappe.get_all(
			LINK,
			filters=link_filters(self.mapping.name, deleted_in_erpnext=1, missing_in_afas=0),
			pluck="afas_key",
		)
		return list(keys) + sorted(k for k in tombstones if k not in keys)

	def _done(self, savepoint: str) -> bool:
		if self.dry_run:  # checked by a real write; nothing kept
			frappe.db.rollback(save_point=savepoint)
		return True

	def _save(self, target: Any, values: dict[str, Any]) -> Any:
		"""Write ``values`` into ``target``; returns the document written: ``target``, or under Submit
		Documents the amendment of a submitted (or cancelled) ``target``."""
		if self.submits and target.docstatus == 2:  # amended in ERPNext since: the newest amendment is it
			newest = newest_amendment(self.doctype, target.name)
			if newest != target.name:
				target = frappe.get_doc(self.doctype, newest)
		if self.submits and target.docstatus:  # booked: cancel and amend, as the desk's Amend does
			return amend(target, self.author, lambda new: self._apply(new, values))
		self._apply(target, values)
		self._may_write(target, new=False)
		target.flags.afas_inbound = True
		target.flags.ignore_permissions = True  # the author's permission, checked just above
		target.save()
		if self.submits:  # a draft (adopted, or left by a failed submit) is booked now
			submit(target, self.author)
		return target

	def _apply(self, target: Any, values: dict[str, Any]) -> None:
		added = {t for t, mode in self.field_map.child_tables.items() if mode == "add"}  # type: ignore[union-attr]
		target.update({k: v for k, v in values.items() if k not in added})
		for table in added:  # links are added to the document's own (a link made in ERPNext stays)
			rows = target.get(table) or []
			for row in values.get(table) or []:
				if not any(all(have.get(k) == v for k, v in row.items()) for have in rows):
					target.append(table, row)

	def _count_cancelled(self, cancelled: int, errors: list[str]) -> None:
		self.cancelled += cancelled
		for message in errors[: max(0, MAX_RECORD_ERRORS - len(self.errors))]:
			self.errors.append(
				{"key": None, "field": None, "message": _("Not cancelled: {0}").format(message)}
			)

	def _may_write(self, target: Any, *, new: bool) -> None:
		"""Raise when the mapping's author may not create or write this document (User Permissions
		included): a run does only what its author could do in the desk (``binding/write_rules.py``)."""
		if not write_rules.may_write(target, self.author, new=new):
			raise frappe.PermissionError(
				_("{0} (Runs As of this mapping) may not {1} {2} {3}").format(
					self.author, _("create") if new else _("write"), _(self.doctype), target.name or ""
				)
			)

	def _adopt(self, key: str, values: dict[str, Any]) -> str | None:
		"""On first sight of an AFAS key, the existing ERPNext document it is, by the mapping's match
		rule (Match Existing By): none, or exactly one that no other AFAS record has claimed."""
		if not self.match_fields:
			return None
		criteria = {field: values.get(field) for field in self.match_fields}
		if any(value in (None, "") for value in criteria.values()):
			return None
		known = self.page_matches.candidates(criteria[self.match_fields[0]]) if self.page_matches else None
		candidates = (
			known
			if known is not None
			else frappe.get_all(self.doctype, filters=criteria, pluck="name", limit=3)
		)
		if not candidates:
			return None
		where = ", ".join(f"{field} = {value}" for field, value in criteria.items())
		if len(candidates) > 1:
			raise MatchError(
				_("{0} documents match {1}: {2}; make the match rule stricter or merge them").format(
					_(self.doctype), where, ", ".join(candidates)
				)
			)
		# Claimed by a link, or by a row earlier in this page (whose link is written with the page).
		claimed = self.claimed.get(candidates[0])
		if claimed is None and known is not None:  # its link was read with the candidates
			claimed = self.page_matches.claim(candidates[0])  # type: ignore[union-attr]
		elif claimed is None:
			link = link_of(self.mapping.name, self.doctype, candidates[0])
			claimed = link.afas_key if link else None
		if claimed:
			raise MatchError(
				_("{0} {1} matches ({2}) but is already AFAS record {3}").format(
					_(self.doctype), candidates[0], where, claimed
				)
			)
		return candidates[0]

	def _fail(self, errors: list[RecordError]) -> None:
		if self.personal:  # an error may quote the value it refused: never a personal one
			errors = [RecordError(e.key, e.field, mask(e.message, self.personal)) for e in errors]
		self.failed += 1
		self.last["action"] = "fail"
		self.last["errors"] = [e.to_dict() for e in errors]
		if not self.first_error and errors:
			first = errors[0]
			self.first_error = f"{first.key}: " + (f"{first.field}: " if first.field else "") + first.message
		if len(self.errors) < MAX_RECORD_ERRORS:
			self.errors.extend(e.to_dict() for e in errors)

	# -------------------------------------------------------------- files

	def copy_files(self, client: Any) -> None:
		"""The pictures and dossier attachments of the mapping's records that are new or changed in AFAS
		(``binding/attachments.py``); a file that could not be copied is a record error of the log and is
		tried again next run, without failing the run's rows."""
		result = copy_files(self.mapping, client)
		if result["copied"] or result["replaced"]:
			self.notes.append(
				_("Files from AFAS: {0} copied, {1} replaced").format(result["copied"], result["replaced"])
			)
		if result["errors"]:
			first = result["errors"][0]
			self.notes.append(
				_("{0} files could not be copied and are tried again next run; the first: {1}").format(
					len(result["errors"]), f"{first['key']}: {first['message']}"
				)
			)
			room = MAX_RECORD_ERRORS - len(self.errors)
			self.errors.extend(result["errors"][: max(0, room)])

	# -------------------------------------------------------------- deletions

	def handle_deletions(self, client: Any, spec: InboundSpec, state: InboundState, take: int) -> None:
		"""Flag (never delete) ERPNext documents whose AFAS record is gone."""
		key_field = self.mapping.afas_key_field
		mapping = self.mapping.name
		if self.mapping.deletion_mode == "Deletion Log Connector":
			filters = FilterSet()
			if state.watermark and self.mapping.deletion_date_field and not state.full:
				since = since_filter(state.watermark, int(self.mapping.overlap_seconds or 0))
				filters.where(self.mapping.deletion_date_field, ">=", since)
			gone = {
				str(r.get(key_field))
				for r in client.iter_rows(
					self.mapping.deletion_connector, order_by=key_field, filters=filters, take=take
				)
			}
			flag = [k for k in gone if k and k != "None"]
			if self.days:  # the deletion log names AFAS records: their days are the links
				flag = [
					k
					for k in frappe.get_all(LINK, filters=link_filters(mapping), pluck="afas_key")
					if record_key(k) in set(flag)
				]
		else:  # Full Reconcile: every key AFAS still has
			present: set[str] = set()
			# by key, as the run itself: a record AFAS deletes mid-scan cannot shift a live one past it
			for page in client.iter_keyset_pages(spec.connector, key_field, filters=spec.filters, take=take):
				rows, _ = unique_rows(page.rows, key_field)
				present.update(str(r.get(key_field)) for r in rows)
			known = frappe.get_all(LINK, filters=link_filters(mapping), pluck="afas_key")
			record = record_key if self.days else str  # a day key: its AFAS record's
			flag = [k for k in known if record(k) not in present]
			back = [k for k in known if record(k) in present]
			if back:
				frappe.db.set_value(
					LINK,
					link_filters(mapping, afas_key=["in", back], missing_in_afas=1),
					"missing_in_afas",
					0,
					update_modified=False,
				)
		if flag:
			self.flagged = frappe.db.count(
				LINK, link_filters(mapping, afas_key=["in", flag], missing_in_afas=0)
			)
			frappe.db.set_value(
				LINK,
				link_filters(mapping, afas_key=["in", flag]),
				"missing_in_afas",
				1,
				update_modified=False,
			)
			if self.submits:  # a booked document whose AFAS record is gone is cancelled, never deleted
				names = frappe.get_all(
					LINK, filters=link_filters(mapping, afas_key=["in", flag]), pluck="reference_name"
				)
				frappe.flags.afas_inbound = True
				try:
					with write_rules.acting_as(self.author):
						self._count_cancelled(*cancel_gone(self.doctype, names, self.author))
				finally:
					frappe.flags.afas_inbound = False
		frappe.db.commit()

	# -------------------------------------------------------------- progress

	def notify(self, finished: bool = False) -> None:
		"""Progress for the desk (realtime, and a copy in the cache for the dialog to poll when the
		socket is down) and for the CLI's progress line."""
		if self.log is None:
			return
		done = self.inserted + self.updated + self.unchanged + self.failed
		elapsed = max(0.001, time.monotonic() - self.started)
		share = 1.0 if finished else key_share(self.first_key, self.cursor, self.highest_key)
		left = time_left(share, elapsed)
		data = {
			"mapping": self.mapping.name,
			"log": self.log.name,
			"pages": self.pages,
			"read": self.read,
			"done": done,
			"rows_per_second": round(done / elapsed, 1),
			"percent": round(share * 100, 1) if share is not None else None,
			"seconds_left": round(left) if left is not None else None,
			"inserted": self.inserted,
			"updated": self.updated,
			"unchanged": self.unchanged,
			"failed": self.failed,
			"finished": finished,
			"status": self.log.status if finished else "Running",
			"description": _("{0} read, {1} inserted, {2} updated, {3} unchanged, {4} failed").format(
				self.read, self.inserted, self.updated, self.unchanged, self.failed
			),
		}
		if self.progress:
			self.progress(data)
		frappe.cache.set_value(progress_key(self.log.name), data, expires_in_sec=3600)
		frappe.publish_realtime("afas_sync_progress", data, user=self.user, after_commit=False)


def progress_key(log: str) -> str:
	"""Where a run's latest progress is kept (for polling, e.g. the Sync Now dialog)."""
	return f"afas_progress::{log}"


class MatchError(Exception):
	"""A row matches no document unambiguously (two candidates, or one already linked)."""


def match_fields(mapping: Any) -> list[str]:
	"""The mapping's match rule: the ERPNext fields of Match Existing By (comma-separated)."""
	return [f.strip() for f in (mapping.erpnext_key_field or "").split(",") if f.strip()]


def _row_message(exc: Exception, doctype: str, values: dict[str, Any]) -> str:
	"""A row error in the user's terms: no raw database error reaches the log."""
	if isinstance(exc, frappe.DuplicateEntryError) or "Duplicate entry" in str(exc):
		return _(
			"{0} {1} already exists; set Match Existing By on the mapping (e.g. the name or item_code) "
			"so the sync adopts it instead of inserting a second one"
		).format(
			_(doctype), readable(str(exc.args[1] if len(exc.args) > 1 else values.get("name") or ""), 200)
		)
	return readable(str(exc), 500) or type(exc).__name__


# ------------------------------------------------------------------ scheduling


def _dead_run() -> str:
	"""What the log of a run whose worker died says."""
	return _(
		"The run stopped without finishing (its worker was killed or restarted); the next run resumes "
		"where it stopped"
	)


def close_stale_runs(now: Any) -> int:
	"""Close inbound logs left Running by a worker that died (no live run holds the mapping's lock:
	:func:`run_alive`), and runs queued long ago that no worker ever started. The next run resumes at
	the mapping's cursor, so nothing is lost; the log says so."""
	closed = 0
	never = frappe.get_all(
		LOG,
		filters={
			"direction": "Inbound",
			"status": "Queued",
			"creation": ["<", frappe.utils.add_to_date(now, seconds=-QUEUED_SECONDS)],
		},
		pluck="name",
	)
	for name in never:
		closed += _close_log(
			name, "Queued", now, _("The run was queued but never started: is a background worker running?")
		)
	for log in frappe.get_all(
		LOG, filters={"direction": "Inbound", "status": "Running"}, fields=["name", "mapping"]
	):
		if log.mapping and run_alive(log.mapping):
			continue  # still running
		closed += _close_log(log.name, "Running", now, _dead_run())
	return closed


def _close_log(name: str, status: str, now: Any, error: str) -> int:
	"""Close log ``name`` as Failed if it still has ``status`` (a run that finished meanwhile keeps its
	own outcome); returns 1 when it was closed."""
	frappe.db.sql(
		f"update `tab{LOG}` set status='Failed', finished_at=%s, error=%s where name=%s and status=%s",
		(now, error, name, status),
	)
	return 1 if frappe.db.sql("select row_count()")[0][0] else 0


def _close_dead_runs(mapping: str, *, but: str) -> None:
	"""The caller holds ``mapping``'s lock: any other log of it still Running belongs to a run that died."""
	for name in frappe.get_all(
		LOG,
		filters={"mapping": mapping, "direction": "Inbound", "status": "Running", "name": ["!=", but]},
		pluck="name",
	):
		_close_log(name, "Running", now_datetime(), _dead_run())
	frappe.db.commit()


def enqueue_due_pulls() -> list[str]:
	"""The scheduler's tick (every minute): enqueue each enabled inbound mapping that is due, once.

	A due mapping with a Daily Call Budget whose connector has had that many calls today is deferred
	instead (:func:`defer_over_budget`)."""
	if not is_enabled():
		return []
	now = now_datetime()
	queued = []
	for mapping in frappe.get_all(
		MAPPING,
		filters={"enabled": 1, "direction": "Inbound"},
		fields=[
			"name",
			"schedule",
			"interval_minutes",
			"cron_expression",
			"last_run",
			"afas_connector",
			"daily_call_budget",
		],
	):
		last_run = get_datetime(mapping.last_run) if mapping.last_run else None
		if is_due(
			mapping.schedule,
			last_run=last_run,
			now=now,
			interval_minutes=mapping.interval_minutes,
			cron=mapping.cron_expression,
		):
			if run_alive(mapping.name):
				continue  # a run is going on (a long foreground `bench afas sync`, too): never a second
			if defer_over_budget(mapping):
				continue
			if enqueue_pull(mapping.name, trigger="Scheduler") is not None:
				queued.append(mapping.name)
	return queued


def defer_over_budget(mapping: Any) -> bool:
	"""True when ``mapping`` (a row with ``name``, ``afas_connector``, ``daily_call_budget``) has a
	budget its connector's calls today (any mapping's, in the current environment) have reached. The
	first time on a day, a Sync Log (Inbound, Scheduler, status Deferred) says so; later ticks that day
	add none. Only the scheduler defers: Sync Now and the API run whatever the budget."""
	budget = int(mapping.daily_call_budget or 0)
	if budget <= 0:
		return False
	env = environment()
	calls = calls_today(env, mapping.afas_connector)
	if calls < budget:
		return False
	already = frappe.db.exists(
		LOG,
		{
			"mapping": mapping.name,
			"status": "Deferred",
			"environment": env,
			"creation": [">=", get_datetime(today())],
		},
	)
	if not already:
		now = now_datetime()
		create_log(
			mapping=mapping.name,
			direction="Inbound",
			trigger="Scheduler",
			status="Deferred",
			started_at=now,
			finished_at=now,
			duration=0,
			error=budget_message(mapping.afas_connector, calls, budget),
		)
	return True


def enqueue_pull(
	mapping: str, *, trigger: str, full: bool = False, log: str | None = None, after_dead_run: bool = False
) -> Any:
	"""One background job per mapping on the long queue; a second request while queued is dropped
	(RQ de-duplication by job id). Returns the job, or None when one was already queued.

	RQ keeps the job of a worker that was killed "started" until its own clean-up, up to the job
	timeout later; such a job, whose run holds no lock, is removed here so it blocks nothing
	(``after_dead_run``: its run was seen dead, so it gets no time to take the lock)."""
	_drop_dead_job(mapping, grace=0 if after_dead_run else JOB_START_SECONDS)
	return frappe.enqueue(
		"afas_connector.binding.pull.run_pull_job",
		queue="long",
		timeout=RUN_JOB_SECONDS,
		job_id=job_id(mapping),
		deduplicate=True,
		mapping=mapping,
		trigger=trigger,
		full=full,
		log=log,
	)


def job_id(mapping: str) -> str:
	return f"afas_inbound::{mapping}"


def _drop_dead_job(mapping: str, grace: float = JOB_START_SECONDS) -> bool:
	"""Remove the mapping's RQ job when RQ says it is started but no run of it lives (its worker died):
	returns whether it did. A job started less than ``grace`` seconds ago may not have taken the lock yet."""
	from frappe.utils.background_jobs import get_job
	from rq.job import JobStatus

	job = get_job(job_id(mapping))
	if not job or job.get_status() != JobStatus.STARTED or run_alive(mapping):
		return False
	started = job.started_at  # UTC: naive in RQ 1.x, aware in 2.x
	if started is not None:
		started = (
			started.astimezone(dt.timezone.utc) if started.tzinfo else started.replace(tzinfo=dt.timezone.utc)
		)
		if (dt.datetime.now(dt.timezone.utc) - started).total_seconds() < grace:
			return False
	job.delete()
	return True


def _job_lost(mapping: str, queued_at: Any, now: Any) -> bool:
	"""Whether the job of a run queued at ``queued_at`` is gone: RQ has no job of the mapping waiting
	or running (it failed before the run started, Redis was emptied, its worker died)."""
	from frappe.utils.background_jobs import get_job
	from rq.job import JobStatus

	if frappe.utils.time_diff_in_seconds(now, queued_at) < JOB_START_SECONDS:
		return False  # just queued: its job may be on its way
	_drop_dead_job(mapping)
	job = get_job(job_id(mapping))
	return not job or job.get_status() not in (JobStatus.QUEUED, JobStatus.STARTED)


def run_pull_job(
	mapping: str, trigger: str = "Scheduler", full: bool = False, log: str | None = None
) -> str | None:
	"""The background job: run the mapping unless another run holds its lock; returns its Sync Log."""
	facts.tell(facts.JOB_STARTED)  # a manual run works without the scheduler; the scheduled ones do not
	log = _waiting_log(mapping, log)
	try:
		return sync_mapping(mapping, trigger=trigger, full=full, log=log).name
	except AlreadyRunning:
		if log:
			finish_log(
				frappe.get_doc(LOG, log), "Failed", error=_("Another run of {0} was going on").format(mapping)
			)
		return None


def _waiting_log(mapping: str, log: str | None) -> str | None:
	"""The Queued Sync Log this job runs as: its own while still Queued, else the one a user queued
	while this job waited (Sync Now found the job already in RQ and left its log for it to take), else
	None (the run makes its own)."""
	if log and frappe.db.get_value(LOG, log, "status") == "Queued":
		return log
	return frappe.db.get_value(
		LOG,
		{"mapping": mapping, "direction": "Inbound", "status": "Queued"},
		"name",
		order_by="creation asc",
	)


def switched_off(mapping: str) -> str | None:
	"""Why a run of ``mapping`` asked for now would do nothing (the connector or the mapping is
	switched off), or None. Sync Now, Retry and ``bench afas sync`` say so instead of queueing a run
	that stops after 0 pages."""
	if not is_enabled():
		return _("The AFAS connector is switched off: tick Enabled in AFAS Settings to sync {0}").format(
			mapping
		)
	if not frappe.db.get_value(MAPPING, mapping, "enabled"):
		return _("AFAS mapping {0} is switched off: tick Enabled on the mapping to sync it").format(mapping)
	return None


def queue_pull(mapping: str, *, trigger: str, full: bool = False) -> tuple[str, bool]:
	"""A run asked for by a user: its Sync Log exists from the start (Queued), so the desk and API
	callers can follow it. While a run is queued or going on, that run is returned instead of a
	second one; a run whose worker died is closed first and never answers for a live one.
	Returns ``(log name, queued now)``."""
	current = None
	dead = False
	now = now_datetime()
	for row in frappe.get_all(
		LOG,
		filters={"mapping": mapping, "direction": "Inbound", "status": ["in", ("Queued", "Running")]},
		fields=["name", "status", "creation"],
		order_by="creation desc",
	):
		if row.status == "Running" and not run_alive(mapping):
			dead = bool(_close_log(row.name, "Running", now, _dead_run()))
		elif row.status == "Queued" and _job_lost(mapping, row.creation, now):
			_close_log(
				row.name,
				"Queued",
				now,
				_("The run's job was lost before it started (a worker stopped, or Redis was emptied)"),
			)
		else:
			current = row.name
			break
	frappe.db.commit()
	if current:
		return current, False
	log = create_log(mapping=mapping, direction="Inbound", trigger=trigger, status="Queued", commit=True)
	# RQ may already hold a job of the mapping that no Queued log answers for (a scheduled run waiting
	# for a worker): it takes this log when it starts (run_pull_job), so the user follows a real run.
	enqueue_pull(mapping, trigger=trigger, full=full, log=log.name, after_dead_run=dead)
	return log.name, True
