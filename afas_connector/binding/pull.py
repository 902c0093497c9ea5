"""Pulling a mapping: AFAS GetConnector rows → ERPNext documents, page by page, and the scheduling
of those runs (the scheduler's tick, one background job per mapping).

The planning (filters, cursor, watermark) and mapping rules live in ``afas_connector.sync``; this
module only loads the mapping, writes documents and Record Links, commits per page, and keeps the
Sync Log. See :mod:`afas_connector.sync.inbound_plan` for why the cursor and watermark move as they do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import frappe
from frappe import _
from frappe.utils import get_datetime, now_datetime

from afas_connector.afas import AfasError, FilterSet, take_for_columns
from afas_connector.binding.connection import get_client, get_settings, is_enabled
from afas_connector.binding.constants import LINK, MAPPING
from afas_connector.binding.record_links import LOOKUPS, insert_links, links_by_key, update_link
from afas_connector.binding.sync_log import create_log, error_fields, exchange_excerpts, finish_log, set_log
from afas_connector.sync.inbound_plan import (
	InboundSpec,
	InboundState,
	PageResult,
	decide,
	run_inbound,
	unique_rows,
)
from afas_connector.sync.mapping import FieldMap, content_hash
from afas_connector.sync.mapping_errors import RecordError
from afas_connector.sync.schedule import is_due

#: A run holds its lock at most this long; a crashed worker's lock simply expires.
LOCK_SECONDS = 1800
#: At most this many per-record errors are kept in a Sync Log (the count is always exact).
MAX_RECORD_ERRORS = 500

Progress = Callable[[dict[str, Any]], None]


class AlreadyRunning(Exception):
	"""Another run of the same mapping holds the lock."""


def lock_key(mapping: str) -> str:
	return frappe.cache.make_key(f"afas:inbound:{mapping}")


def sync_mapping(
	mapping: str,
	*,
	trigger: str = "Manual",
	full: bool = False,
	progress: Progress | None = None,
	max_pages: int | None = None,
) -> Any:
	"""Run one inbound mapping to the end (or to ``max_pages``) and return its Sync Log.

	Raises :class:`AlreadyRunning` when another run of the mapping is in progress.
	"""
	lock = frappe.cache.lock(lock_key(mapping), timeout=LOCK_SECONDS, blocking=False)
	if not lock.acquire():
		raise AlreadyRunning(_("AFAS mapping {0} is already syncing").format(mapping))
	try:
		return _run(mapping, trigger=trigger, full=full, progress=progress, max_pages=max_pages)
	finally:
		try:
			lock.release()
		except Exception:  # expired while we ran: nothing to release
			pass


def _run(mapping: str, *, trigger: str, full: bool, progress: Progress | None, max_pages: int | None) -> Any:
	doc = frappe.get_doc(MAPPING, mapping)
	if doc.direction != "Inbound":
		frappe.throw(_("{0} is not an inbound mapping").format(mapping))
	log = create_log(mapping=mapping, direction="Inbound", trigger=trigger, status="Running", commit=True)
	writer = _Writer(doc, log, progress)
	state = InboundState.from_dict(json.loads(doc.sync_state or "{}"))
	if full and state.in_progress and not state.full:
		state = InboundState(watermark=state.watermark)  # a full run starts over
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
			final = run_inbound(
				client, spec, state, take=take, commit_page=writer.commit_page, full=full, max_pages=max_pages
			)
			if not final.in_progress and doc.deletion_mode != "Ignore":
				writer.handle_deletions(client, spec, state, take)
	except Exception as exc:
		frappe.db.rollback()
		fields = error_fields(exc)
		fields.update(exchange_excerpts(exchanges))
		finish_log(log, "Failed", **writer.counts(), **fields)
		writer.notify(finished=True)
		if not isinstance(exc, AfasError | frappe.ValidationError):
			frappe.log_error(title=f"AFAS inbound sync {mapping} failed")
			frappe.db.commit()
		return log
	extra = {}
	if final.in_progress:  # stopped at max_pages: the next run resumes after the cursor
		extra["error"] = _("Stopped after {0} pages; the next run resumes after AFAS key {1}").format(
			writer.pages, final.cursor
		)
	finish_log(
		log, "Partial" if writer.failed or final.in_progress else "Success", **writer.counts(), **extra
	)
	writer.notify(finished=True)
	return log


def _keep_last(bucket: list[Any], exchange: Any) -> None:
	bucket[:] = [exchange]


class _Writer:
	"""Writes one page at a time: documents, Record Links, mapping state and log counts, one commit."""

	def __init__(self, mapping: Any, log: Any, progress: Progress | None) -> None:
		self.mapping = mapping
		self.log = log
		self.progress = progress
		self.field_map: FieldMap | None = None
		self.doctype = mapping.erpnext_doctype
		self.read = self.inserted = self.updated = self.unchanged = self.failed = self.flagged = 0
		self.pages = 0
		self.errors: list[dict[str, Any]] = []
		self.user = frappe.session.user

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
		self.pages += 1
		self.read += len(page.rows) + page.duplicates
		links = links_by_key(self.mapping.name, [str(r.get(self.mapping.afas_key_field)) for r in page.rows])
		new_links: list[tuple] = []
		frappe.flags.afas_inbound = True  # the outbound side must not echo these writes back
		try:
			for row in page.rows:
				key = str(row.get(self.mapping.afas_key_field))
				self._write_row(key, row, links.get(key), new_links)
		finally:
			frappe.flags.afas_inbound = False
		insert_links(self.mapping.name, self.doctype, new_links)
		self._save_state(state_after)
		set_log(self.log, self.counts())
		frappe.db.commit()
		self.notify()

	def _write_row(
		self, key: str, row: dict[str, Any], link: dict[str, Any] | None, new_links: list[tuple]
	) -> None:
		values, errors = self.field_map.to_erpnext(row, key=key, lookups=LOOKUPS)  # type: ignore[union-attr]
		if errors:
			self._fail(errors)
			return
		digest = content_hash(values)
		modified = str(row.get(self.mapping.modified_field) or "") if self.mapping.modified_field else ""
		exists = link is not None
		if link and link.content_hash != digest:  # about to write: is the linked document still there?
			exists = bool(frappe.db.exists(self.doctype, link.reference_name))
		action = decide(link.content_hash if link else None, exists, digest)
		if action == "unchanged":
			self.unchanged += 1
			return
		savepoint = "afas_row"
		frappe.db.savepoint(savepoint)
		try:
			if action == "update":
				target = frappe.get_doc(self.doctype, link.reference_name)
				target.update(values)
				target.flags.afas_inbound = True
				target.flags.ignore_permissions = True
				target.save()
				update_link(link.name, content_hash=digest, afas_modified=modified, missing_in_afas=0)
				self.updated += 1
				return
			name = self._adopt(values)
			if name:
				target = frappe.get_doc(self.doctype, name)
				target.update(values)
				target.flags.afas_inbound = True
				target.flags.ignore_permissions = True
				target.save()
				self.updated += 1
			else:
				target = frappe.get_doc({"doctype": self.doctype, **values})
				target.flags.afas_inbound = True
				target.flags.ignore_permissions = True
				target.insert()
				self.inserted += 1
			if link:  # the linked document was deleted in ERPNext: point the link at the new one
				update_link(
					link.name, reference_name=target.name, content_hash=digest, afas_modified=modified
				)
			else:
				new_links.append((key, target.name, digest, modified))
		except Exception as exc:
			frappe.db.rollback(save_point=savepoint)
			message = _clean_message(exc)
			self._fail([RecordError(key, None, message)])
			frappe.clear_messages()

	def _adopt(self, values: dict[str, Any]) -> str | None:
		"""On first sight of an AFAS key, reuse an ERPNext document with the same key value."""
		field = self.mapping.erpnext_key_field
		if not field or values.get(field) in (None, ""):
			return None
		return frappe.db.get_value(self.doctype, {field: values[field]}, "name")

	def _fail(self, errors: list[RecordError]) -> None:
		self.failed += 1
		if len(self.errors) < MAX_RECORD_ERRORS:
			self.errors.extend(e.to_dict() for e in errors)

	def _save_state(self, state: InboundState) -> None:
		values = {"sync_state": json.dumps(state.to_dict()), "last_run": now_datetime()}
		if not state.in_progress and state.watermark:
			values["watermark"] = state.watermark.replace("T", " ")
		frappe.db.set_value(MAPPING, self.mapping.name, values, update_modified=False)

	# -------------------------------------------------------------- deletions

	def handle_deletions(self, client: Any, spec: InboundSpec, state: InboundState, take: int) -> None:
		"""Flag (never delete) ERPNext documents whose AFAS record is gone."""
		key_field = self.mapping.afas_key_field
		if self.mapping.deletion_mode == "Deletion Log Connector":
			filters = FilterSet()
			if state.watermark and self.mapping.deletion_date_field and not state.full:
				since = frappe.utils.add_to_date(
					state.watermark, seconds=-int(self.mapping.overlap_seconds or 0)
				)
				filters.where(self.mapping.deletion_date_field, ">=", since)
			gone = {
				str(r.get(key_field))
				for r in client.iter_rows(
					self.mapping.deletion_connector, order_by=key_field, filters=filters, take=take
				)
			}
			flag = [k for k in gone if k and k != "None"]
		else:  # Full Reconcile: every key AFAS still has
			present: set[str] = set()
			for page in client.iter_pages(
				spec.connector, order_by=key_field, filters=spec.filters, take=take
			):
				rows, _ = unique_rows(page.rows, key_field)
				present.update(str(r.get(key_field)) for r in rows)
			known = frappe.get_all(LINK, filters={"mapping": self.mapping.name}, pluck="afas_key")
			flag = [k for k in known if k not in present]
			if present:
				frappe.db.sql(
					f"update `tab{LINK}` set missing_in_afas=0 where mapping=%s and missing_in_afas=1 and afas_key in %s",
					(self.mapping.name, tuple(present)),
				)
		if flag:
			self.flagged = frappe.db.count(
				LINK, {"mapping": self.mapping.name, "afas_key": ["in", flag], "missing_in_afas": 0}
			)
			frappe.db.set_value(
				LINK,
				{"mapping": self.mapping.name, "afas_key": ["in", flag]},
				"missing_in_afas",
				1,
				update_modified=False,
			)
		frappe.db.commit()

	# -------------------------------------------------------------- progress

	def notify(self, finished: bool = False) -> None:
		data = {
			"mapping": self.mapping.name,
			"log": self.log.name,
			"pages": self.pages,
			"done": self.read,
			"total": self.read,
			"inserted": self.inserted,
			"updated": self.updated,
			"unchanged": self.unchanged,
			"failed": self.failed,
			"finished": finished,
			"description": _("{0} read, {1} inserted, {2} updated, {3} unchanged, {4} failed").format(
				self.read, self.inserted, self.updated, self.unchanged, self.failed
			),
		}
		if self.progress:
			self.progress(data)
		frappe.publish_realtime("afas_sync_progress", data, user=self.user, after_commit=False)


def _clean_message(exc: Exception) -> str:
	text = frappe.utils.strip_html(str(exc)) or type(exc).__name__
	return text.strip().splitlines()[0][:500]


# ------------------------------------------------------------------ scheduling


def enqueue_due_pulls() -> list[str]:
	"""The scheduler's tick (every minute): enqueue each enabled inbound mapping that is due, once."""
	if not is_enabled():
		return []
	now = now_datetime()
	queued = []
	for mapping in frappe.get_all(
		MAPPING,
		filters={"enabled": 1, "direction": "Inbound"},
		fields=["name", "schedule", "interval_minutes", "cron_expression", "last_run"],
	):
		last_run = get_datetime(mapping.last_run) if mapping.last_run else None
		if is_due(
			mapping.schedule,
			last_run=last_run,
			now=now,
			interval_minutes=mapping.interval_minutes,
			cron=mapping.cron_expression,
		):
			if enqueue_pull(mapping.name, trigger="Scheduler") is not None:
				queued.append(mapping.name)
	return queued


def enqueue_pull(mapping: str, *, trigger: str, full: bool = False) -> Any:
	"""One background job per mapping on the long queue; a second request while queued is dropped
	(RQ de-duplication by job id). Returns the job, or None when one was already queued."""
	return frappe.enqueue(
		"afas_connector.binding.pull.run_pull_job",
		queue="long",
		timeout=LOCK_SECONDS,
		job_id=f"afas_inbound::{mapping}",
		deduplicate=True,
		mapping=mapping,
		trigger=trigger,
		full=full,
	)


def run_pull_job(mapping: str, trigger: str = "Scheduler", full: bool = False) -> str | None:
	"""The background job: run the mapping unless another run holds its lock; returns its Sync Log."""
	try:
		return sync_mapping(mapping, trigger=trigger, full=full).name
	except AlreadyRunning:
		return None
