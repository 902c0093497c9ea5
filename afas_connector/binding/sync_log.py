"""``create_log``-style helpers for the AFAS Sync Log: one row per inbound run or outbound change.

**Text from AFAS is stored as plain text, exactly as AFAS sent it, and shown as text** (design.md, trust
model). Every field of the log that can hold AFAS's words (its keys, names, error messages,
``externalMessage``, answers) is one the desk shows as text on Frappe 15 and 16 alike: ``Data`` for one
line (``afas_key``, ``title``; a read-only form escapes it, and ``public/js/afas_connector.js`` does so
in list columns and the report view) and ``Code`` for the rest (``error``, ``error_detail``,
``record_errors``, ``payload``, the excerpts). Neither is rewritten by Frappe's sanitiser on an ORM save
(``Code`` never, those ``Data`` fields have *Ignore XSS Filter*), so a row written here with one UPDATE
holds the same text as one saved through the ORM, on both versions: Frappe 15's bleach would escape a
tag, 16's nh3 drop it. Whatever turns this text into HTML (an email, a notification, a dialog) escapes
it there; a JSON answer carries it plain.
"""

from __future__ import annotations

import html
import json
import re
import traceback
from typing import Any

import frappe
from frappe import _
from frappe.utils import now_datetime, time_diff_in_seconds

from afas_connector.afas import AfasError, Exchange, redact
from afas_connector.binding.connection import environment
from afas_connector.binding.constants import LOG, MAPPING

#: A log in one of these states is closed: nothing more will happen to it on its own. Deferred: a
#: scheduled inbound run not started because the Daily Call Budget was reached.
FINAL = ("Success", "Partial", "Failed", "Outcome Unknown", "Deferred")
#: A push whose answer was lost: AFAS may hold the record. Never resent on its own; a user resolves it.
OUTCOME_UNKNOWN = "Outcome Unknown"
#: How much of a request or response a log keeps.
EXCERPT_CHARS = 10_000


def create_log(
	*,
	mapping: str | None = None,
	direction: str | None = None,
	trigger: str = "Manual",
	status: str = "Queued",
	commit: bool = False,
	**fields: Any,
) -> Any:
	"""Insert a Sync Log row (in the caller's transaction unless ``commit``)."""
	doc = frappe.get_doc(
		{
			"doctype": LOG,
			"mapping": mapping,
			"direction": direction,
			"trigger": trigger,
			"status": status,
			"environment": environment(),
			**fields,
		}
	)
	if status == "Running" and not doc.started_at:
		doc.started_at = now_datetime()
	doc.insert(ignore_permissions=True)
	if commit:
		frappe.db.commit()
	return doc


def event_word(event: str | None) -> str | None:
	"""A document event as a title words it, in the writer's language (the field Document Event keeps
	Frappe's name, ``on_update``)."""
	words = {
		"after_insert": _("created"),
		"on_update": _("saved"),
		"on_update_after_submit": _("updated after submit"),
		"on_submit": _("submitted"),
		"on_cancel": _("cancelled"),
		"on_trash": _("deleted"),
	}
	return words.get(event or "", event)


def log_title(values: dict[str, Any]) -> str:
	"""``Outbound · CUST-0001 · saved`` (in the writer's language: ``Uitgaand · CUST-0001 · opgeslagen``):
	what the list view shows at a glance. A label only, so an
	AFAS key's ``<`` and ``>`` become ``‹ ›`` here: Frappe strips tags from a title it puts in the page
	heading, which would drop part of the key (the key itself is kept whole in ``afas_key``)."""
	subject = values.get("reference_name") or values.get("mapping") or values.get("afas_key") or ""
	parts = (_(values.get("direction") or ""), subject, event_word(values.get("event")))
	title = " · ".join(str(p) for p in parts if p)[:140] or str(values.get("status") or "")
	return title.translate(_TITLE_SAFE)


_TITLE_SAFE = str.maketrans("<>", "‹›")


def insert_outbox_row(**fields: Any) -> Any:
	"""One INSERT and no ORM round: the row every save of a mapped document writes, so it stays cheap.

	Runs in the caller's transaction (that is the point of an outbox) and returns ``{"name": …}``.
	"""
	now = now_datetime()
	user = frappe.session.user
	row = {
		"name": frappe.generate_hash(length=10),
		"creation": now,
		"modified": now,
		"owner": user,
		"modified_by": user,
		"environment": environment(),
	}
	row.update(fields)
	row["title"] = log_title(row)
	columns = ", ".join(f"`{column}`" for column in row)
	frappe.db.sql(
		f"insert into `tab{LOG}` ({columns}) values ({', '.join(['%s'] * len(row))})", tuple(row.values())
	)
	return frappe._dict(row)


#: The markup Frappe and ERPNext put in their messages (``<b>``, ``<br>``, links): removed for a log,
#: while a ``<`` or ``>`` that belongs to the data (a name like ``A <B> & Co``) stays.
_MARKUP = re.compile(
	r"</?(?:b|strong|i|em|u|br|p|div|span|a|ul|ol|li|code|pre|details|summary|h\d)(?:\s[^<>]*)?/?>", re.I
)


def readable(text: str, limit: int = 500) -> str:
	"""A message as plain text for a log line: markup removed, entities decoded, one line, and at
	most ``limit`` characters, shortened in the middle so the end (usually the reason, after a long
	value) survives: ``Value too big … (max characters allowed is 140)``. Plain text, so ``&lt;`` is
	``<`` again: the fields it goes into show it as text (see the module's docstring), and HTML made
	from it escapes it."""
	plain = html.unescape(_MARKUP.sub(" ", text or ""))
	plain = " ".join(plain.split())
	if len(plain) <= limit:
		return plain
	head = limit * 2 // 5
	return plain[:head].rstrip() + " … " + plain[-(limit - head - 3) :].lstrip()


def error_fields(exc: BaseException, secrets: tuple[str, ...] = ()) -> dict[str, Any]:
	"""``error`` (first line, readable) and ``error_detail`` (AFAS fields + traceback), both redacted."""
	if isinstance(exc, AfasError):
		first = str(exc)
		detail = json.dumps(exc.to_dict(), indent=1, ensure_ascii=False, default=str)
		if exc.body_excerpt:
			detail += "\n\nAFAS response:\n" + exc.body_excerpt
	else:
		first = f"{type(exc).__name__}: {exc}"
		detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
	return {
		"error": redact(readable(first, 1000) if first else type(exc).__name__, secrets),
		"error_detail": redact(detail, secrets)[:100_000],
	}


def log_error(title: str, exc: BaseException, **reference: Any) -> None:
	"""Put an unexpected error in Frappe's Error Log with its redacted traceback. Not
	``frappe.log_error(title)`` alone: that stores the traceback *with every frame's local variables*,
	and a frame of the AFAS client holds the request headers, token included."""
	frappe.log_error(title=title, message=error_fields(exc)["error_detail"], **reference)


def set_log(log: Any, values: dict[str, Any], *, update_modified: bool = False) -> Any:
	"""Write fields of a Sync Log row, and onto ``log``. One UPDATE and nothing else: unlike ``db_set``
	it does not reload the row and run the before/on_change hooks, and unlike ``db.set_value`` it does
	not clear the row from the document cache in Redis (no log is ever read from there), which a push
	would pay for on every write. Raises ``ValueError`` for a name that is not a field name."""
	row = dict(values)
	if update_modified:
		row["modified"] = now_datetime()
		row["modified_by"] = frappe.session.user
	if row:
		bad = [name for name in row if not _FIELDNAME.fullmatch(name)]
		if bad:
			raise ValueError(f"not Sync Log field names: {bad}")
		columns = ", ".join(f"`{name}`=%({name})s" for name in row)
		frappe.db.sql(
			f"update `tab{LOG}` set {columns} where name=%(log__name)s", {**row, "log__name": log.name}
		)
	log.update(values)
	return log


_FIELDNAME = re.compile(r"[a-z][a-z0-9_]*")


def finish_log(log: Any, status: str, *, commit: bool = True, **fields: Any) -> Any:
	"""Close a log: final status, finish time, duration, and any counts or error fields."""
	finished = now_datetime()
	values = {"status": status, "finished_at": finished, **fields}
	if log.started_at:
		values["duration"] = max(0.0, time_diff_in_seconds(finished, log.started_at))
	set_log(log, values, update_modified=True)
	if commit:
		frappe.db.commit()
	return log


def exchange_excerpts(exchanges: list[Exchange]) -> dict[str, str]:
	"""``request_excerpt`` and ``response_excerpt`` of the last HTTP exchange (already redacted by
	the client): what was asked and what AFAS answered, since AFAS itself logs no request bodies."""
	if not exchanges:
		return {}
	last = exchanges[-1]
	request = f"{last.method} {last.path}" + (f"\n{last.request_excerpt}" if last.request_excerpt else "")
	response = (f"HTTP {last.status}\n" if last.status else "") + last.response_excerpt
	return {"request_excerpt": request[:EXCERPT_CHARS], "response_excerpt": response[:EXCERPT_CHARS]}


def has_pending_push(mapping: str, name: str) -> bool:
	"""Whether a push of document ``name`` by ``mapping`` is queued, retrying or going on (a ledger
	entry waits for its party's push, a change for its linked document's)."""
	return bool(
		frappe.db.exists(
			LOG,
			{
				"mapping": mapping,
				# with the DocType, the (reference_doctype, reference_name) index finds the rows
				"reference_doctype": frappe.get_cached_value(MAPPING, mapping, "erpnext_doctype"),
				"reference_name": name,
				"direction": "Outbound",
				"status": ["in", ("Queued", "Retrying", "Running")],
			},
		)
	)
