"""Whitelisted methods: the desk buttons, ``frappe.call`` from client scripts, and ``/api/method/`` callers.

Every method is ``@frappe.whitelist()`` over ``@rate_limit(...)`` (in that order, or the endpoint
403s), checks the caller's role here and nowhere else, and is POST-only when it changes state. The
one exception is ``afas_webhook``: AFAS calls it without a user, and its signature is the credential.
Limits fit the cost: calls that reach AFAS are tighter than reads of local state.

Arguments are checked here, in the caller's terms: a missing or bad one is a 417 whose message
names it, an unknown mapping, log or document a 404 whose message says which (``frappe.throw``
carries the message in ``_server_messages``; a bare exception would not). A call that reaches AFAS
for the desk gets a short deadline and no retries (``get_client(interactive=True)``).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from functools import wraps
from typing import Any

import frappe
from frappe import _
from frappe.rate_limiter import rate_limit
from frappe.utils import cint

from afas_connector.afas import AfasError
from afas_connector.afas.update import build_body
from afas_connector.binding import arguments, connection, ledger, monitoring, transfer, webhooks, write_rules
from afas_connector.binding.access import require_manager, require_monitor
from afas_connector.binding.connection import connector_fields, environment, get_client
from afas_connector.binding.constants import LOG, MAPPING
from afas_connector.binding.doc_events import outbound_doctypes
from afas_connector.binding.ledger import REFERENCE
from afas_connector.binding.monitoring import background_summary, log_waiting_notice
from afas_connector.binding.monitoring import health as health_answer
from afas_connector.binding.outbox import queue_change, resolve_unknown, retry
from afas_connector.binding.pull import (
	load_state,
	preview,
	progress_key,
	queue_pull,
	save_state,
	switched_off,
)
from afas_connector.binding.push import fit_to_afas, plan_for, record_for
from afas_connector.binding.record_links import afas_key_of, removed_key
from afas_connector.binding.suggestions import suggest
from afas_connector.binding.templates import create_mapping, template_list
from afas_connector.binding.transfer import preview_import
from afas_connector.binding.usage import usage_today
from afas_connector.sync.open_items import OPEN_ITEMS
from afas_connector.sync.payroll_journal import JOURNAL_ENTRIES
from afas_connector.sync.templates import TEMPLATES


def limited(limit: int, seconds: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
	"""Frappe's ``@rate_limit`` (keyed on the IP, which follows ``X-Forwarded-For``: a client can set
	it) and the same limit keyed on the signed-in user, which a client cannot change. Goes under
	``@frappe.whitelist()``, as ``@rate_limit`` does."""

	def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
		@wraps(fn)
		def per_user(*args: Any, **kwargs: Any) -> Any:
			if frappe.request:
				key = frappe.cache.make_key(f"rl:afas-user:{fn.__name__}:{frappe.session.user}")
				count = frappe.cache.incrby(key, 1)
				if count == 1:
					frappe.cache.expire(key, seconds)
				if count > limit:
					frappe.throw(
						_("You hit the rate limit because of too many requests. Please try after sometime."),
						frappe.RateLimitExceededError,
					)
			return fn(*args, **kwargs)

		return rate_limit(limit=limit, seconds=seconds)(per_user)

	return decorate


def _required(value: Any, argument: str, what: str) -> str:
	return arguments.required(value, argument, what)


def _not_found(message: str) -> None:
	"""A 404 whose message reaches the caller."""
	frappe.throw(message, frappe.DoesNotExistError, title=_("Not found"))


def _mapping(name: Any, argument: str = "mapping") -> Any:
	name = _required(name, argument, _("the name of an AFAS Connector Mapping"))
	if not frappe.db.exists(MAPPING, name):
		_not_found(_("AFAS Connector Mapping {0} not found").format(name))
	return frappe.get_doc(MAPPING, name)


def _log(name: Any) -> str:
	name = _required(name, "name", _("the name of an AFAS Sync Log"))
	if not frappe.db.exists(LOG, name):
		_not_found(_("AFAS Sync Log {0} not found").format(name))
	return name


def _afas_error(exc: AfasError) -> None:
	"""A 417 with AFAS's message, as text: the desk shows a message as HTML, and AFAS's words are data."""
	frappe.throw(html.escape(str(exc), quote=False), title=_("AFAS"))


# ------------------------------------------------------------------ connection and metainfo


@frappe.whitelist(methods=["POST"])
@limited(10, 60)
def test_connection() -> dict[str, Any]:
	"""Ask AFAS for metainfo and the Profit version; the outcome is stored on AFAS Settings."""
	require_manager()

	return connection.test_connection()


@frappe.whitelist(methods=["GET"])
@limited(30, 60)
def get_connectors() -> dict[str, Any]:
	"""The GetConnectors and UpdateConnectors this App Connector may use."""
	require_manager()

	try:
		with get_client(interactive=True) as client:
			meta = client.metainfo()
	except AfasError as exc:
		_afas_error(exc)
	return {
		"get_connectors": meta.get("getConnectors") or [],
		"update_connectors": meta.get("updateConnectors") or [],
	}


@frappe.whitelist(methods=["GET"])
@limited(30, 60)
def get_connector_fields(connector: str | None = None, kind: str = "get") -> list[dict[str, Any]]:
	"""Fields of a GetConnector (``kind=get``) or UpdateConnector (``kind=update``), nested as paths."""
	require_manager()

	if kind not in ("get", "update"):
		frappe.throw(_("kind must be 'get' or 'update'"))
	connector = _required(connector, "connector", _("an AFAS connector id, e.g. Profit_Debtor"))
	if len(connector) > 140:
		frappe.throw(_("connector must be an AFAS connector id"))
	try:
		fields = connector_fields(connector, kind, use_cache=False)
	except AfasError as exc:
		_afas_error(exc)
	return [{"path": path, **info} for path, info in fields.items()]


@frappe.whitelist(methods=["GET"])
@limited(30, 60)
def suggest_fields(
	connector: str | None = None, direction: str = "Inbound", doctype: str | None = None
) -> dict[str, Any]:
	"""For a mapping not saved yet: the field rows AFAS metainfo suggests between ``connector`` and
	ERPNext ``doctype``, with the likely key and modified-date fields. Nothing is saved."""
	require_manager()
	if direction not in ("Inbound", "Outbound"):
		frappe.throw(_("direction must be Inbound or Outbound"))
	connector = _required(connector, "connector", _("an AFAS connector id, e.g. Profit_Debtor"))
	doctype = _required(doctype, "doctype", _("the ERPNext DocType to map, e.g. Customer"))
	if not frappe.db.exists("DocType", doctype):
		_not_found(_("DocType {0} not found").format(doctype))
	return _suggestions(connector, direction, doctype)


def _suggestions(connector: str, direction: str, doctype: str) -> dict[str, Any]:

	try:
		return suggest(connector, direction, doctype)
	except AfasError as exc:
		_afas_error(exc)


@frappe.whitelist(methods=["POST"])
@limited(10, 60)
def fetch_fields(mapping: str | None = None, replace: int | str = 0) -> list[dict[str, Any]]:
	"""Fill a saved mapping's field table from AFAS metainfo, suggesting ERPNext fields by label and
	AFAS's own words; an empty Modified-Date Field gets the one metainfo suggests."""
	require_manager()
	doc = _mapping(mapping)
	doc.check_permission("write")
	found = _suggestions(doc.afas_connector, doc.direction, doc.erpnext_doctype)
	suggestions = found["rows"]
	if doc.direction == "Inbound" and not doc.modified_field and found["modified_field"]:
		doc.modified_field = found["modified_field"]
	if not doc.afas_key_field and found["key_field"]:
		doc.afas_key_field = found["key_field"]
	if arguments.flag(replace, "replace"):
		doc.set("field_mappings", [])
	existing = {row.afas_field for row in doc.field_mappings}
	added = [s for s in suggestions if s["erpnext_field"] and s["afas_field"] not in existing]
	for row in added:
		doc.append("field_mappings", row)
	doc.save()
	return [
		{k: row.get(k) for k in ("afas_field", "erpnext_field", "transform", "afas_label")}
		for row in doc.field_mappings
	] + [{**s, "erpnext_field": "", "unmatched": 1} for s in found["unmatched"]]


@frappe.whitelist(methods=["POST"])
@limited(20, 60)
def preview_mapping(
	mapping: str | None = None, limit: int | str = 5, docname: str | None = None, full: int | str = 0
) -> dict[str, Any]:
	"""Show what a mapping would do, writing nothing. Inbound: the rows the next run would read
	(since the watermark, or from the start with ``full=1``), each written with ERPNext's own checks
	and rolled back: insert, update, adopt, unchanged or the error. Outbound: the UpdateConnector call
	and body for one document, built as the push builds it.

	POST only: it writes (and rolls back) to try the rows. A mapping that breaks the trust model
	(``binding/write_rules.py``) is refused with a 403 that names the rule; a row whose save would
	commit on its own fails instead of being written."""
	require_manager()
	doc = _mapping(mapping)
	limit = arguments.integer(limit, "limit", 1, 50)
	docname = arguments.optional_name(docname, "docname", _("the name of a document to preview"))

	write_rules.check(doc)
	if doc.mapping_type == OPEN_ITEMS:
		frappe.throw(_("An Open Items mapping writes only AFAS's open amounts: run Sync Now to read them"))
	if doc.mapping_type == JOURNAL_ENTRIES:
		frappe.throw(_("A Journal Entries mapping books AFAS's entries whole: run Sync Now to book them"))
	if doc.direction == "Outbound":
		doctype = doc.erpnext_doctype
		name = docname or frappe.db.get_value(doctype, {}, "name", order_by="modified desc")
		if not name:
			frappe.throw(_("There is no {0} to preview").format(_(doctype)))
		if not frappe.db.exists(doctype, name):
			_not_found(_("{0} {1} not found").format(_(doctype), name))
		frappe.has_permission(doctype, "read", name, throw=True)
		call, link, source = plan_for(doc, "on_update", doctype, name)
		record, errors, waiting = record_for(doc, call, link, source)
		if not errors:
			try:
				record, errors = fit_to_afas(doc, record, name)
			except AfasError as exc:
				_afas_error(exc)
		return {
			"direction": "Outbound",
			"document": name,
			"http_method": call.method,
			"note": call.message(_) or None,
			"body": build_body(doc.afas_connector, record, root=doc.afas_root_element or None),
			"errors": [e.to_dict() for e in errors],
			"waiting_for": waiting,
		}

	try:
		result = preview(doc, limit=limit, full=arguments.flag(full, "full"))
	except AfasError as exc:
		_afas_error(exc)
	return {"direction": "Inbound", "doctype": doc.erpnext_doctype, **result}


# ------------------------------------------------------------------ inbound


@frappe.whitelist(methods=["POST"])
@limited(10, 60)
def sync_now(mapping: str | None = None, full: int | str = 0) -> dict[str, Any]:
	"""Queue an inbound run of a mapping on the long queue, once: while one is queued or running, a
	second request returns that one. ``log`` is the run's Sync Log (follow it with ``sync_status``)."""
	require_manager()

	doc = _mapping(mapping)
	if doc.direction != "Inbound":
		frappe.throw(_("{0} is an outbound mapping; use push_document").format(doc.name))
	off = switched_off(doc.name)
	if off:
		frappe.throw(off, title=_("Not queued"))
	trigger = "API" if frappe.request and not _from_desk() else "Manual"
	log, queued = queue_pull(doc.name, trigger=trigger, full=arguments.flag(full, "full"))
	status = frappe.db.get_value(LOG, log, "status")
	return _with_waiting(
		{
			"mapping": doc.name,
			"queued": queued,
			"log": log,
			"message": _("Sync of {0} queued").format(doc.name)
			if queued
			else _("A sync of {0} is already queued or running").format(doc.name),
		},
		# no status: RQ already held the mapping's job (a scheduled run not started yet), so it waits too
		_waiting_notice(status or "Queued", "Inbound", doc.name),
	)


def _waiting_notice(status: str, direction: str, mapping: str | None = None) -> str | None:

	return log_waiting_notice(status, direction, mapping)


def _with_waiting(answer: dict[str, Any], notice: str | None) -> dict[str, Any]:
	"""``waiting``: what stops the queued work from running, and what to do (None: it will run);
	said in ``message`` too, for callers that show only that."""
	answer["waiting"] = notice
	if notice:
		answer["message"] += ". " + notice
	return answer


def _from_desk() -> bool:
	return bool(frappe.get_request_header("X-Frappe-CSRF-Token"))


@frappe.whitelist(methods=["GET"])
@limited(60, 60)
def sync_status(mapping: str | None = None, log: str | None = None) -> dict[str, Any]:
	"""One run (``log``), the latest runs of a ``mapping``, or a summary of everything.

	A mapping's answer and the summary hold today's AFAS usage (system time zone, current
	environment): ``usage_today`` is ``{connector: {"calls", "rows", "bytes"}}`` in the summary, and
	``{"connector", "calls", "rows", "bytes", "daily_call_budget"}`` for a mapping (budget 0 = none)."""
	require_manager()
	fields = [
		"name",
		"mapping",
		"direction",
		"trigger",
		"status",
		"started_at",
		"finished_at",
		"duration",
		"rows_read",
		"inserted",
		"updated",
		"unchanged",
		"failed",
		"flagged",
		"error",
		"reference_doctype",
		"reference_name",
		"attempts",
		"next_attempt",
	]
	zone = {"time_zone": frappe.utils.get_system_timezone()}  # of every date-time but the watermark
	if log:
		name = _log(log)
		row = frappe.db.get_value(LOG, name, fields, as_dict=True)
		return {
			"log": row,
			"progress": frappe.cache.get_value(progress_key(name)),
			"waiting": _waiting_notice(row.status, row.direction, row.mapping),
			**zone,
		}
	if mapping:
		doc = _mapping(mapping)
		state = load_state(doc)
		used = usage_today(environment(), doc.afas_connector).get(doc.afas_connector) or {}
		return {
			"mapping": doc.name,
			"environment": environment(),
			"watermark": state.watermark,  # Amsterdam time, with its UTC offset
			"watermark_time_zone": "Europe/Amsterdam",
			"last_run": doc.last_run,
			"running": state.in_progress,
			"failed_rows": state.retry_keys,
			"usage_today": {
				"connector": doc.afas_connector,
				"calls": used.get("calls", 0),
				"rows": used.get("rows", 0),
				"bytes": used.get("bytes", 0),
				"daily_call_budget": cint(doc.daily_call_budget),
			},
			**zone,
			"logs": frappe.get_all(
				LOG, filters={"mapping": doc.name}, fields=fields, order_by="creation desc", limit=10
			),
		}
	# Plain SQL: Frappe 16's get_all refuses "count(name)" in fields, 15's has no other spelling.

	counts = frappe.db.sql(f"select status, count(*) from `tab{LOG}` group by status")
	return {
		"by_status": dict(counts),
		"usage_today": usage_today(environment()),
		"mappings": frappe.get_all(
			MAPPING, fields=["name", "direction", "enabled", "last_run", "watermark", "daily_call_budget"]
		),
		"watermark_time_zone": "Europe/Amsterdam",
		**zone,
	}


# ------------------------------------------------------------------ outbound and retries


@frappe.whitelist(methods=["POST"])
@limited(30, 60)
def retry_log(name: str | None = None) -> dict[str, Any]:
	"""Queue a failed outbound change again, or re-run a failed inbound sync."""
	require_manager()
	return _retry([_log(name)])


@frappe.whitelist(methods=["POST"])
@limited(10, 60)
def retry_logs(names: str | list | None = None) -> dict[str, Any]:
	"""Retry the given logs, or every Failed one when ``names`` is empty."""
	require_manager()
	chosen = (
		arguments.names(names)
		if names
		else frappe.get_all(LOG, filters={"status": "Failed"}, pluck="name", limit=500)
	)
	for name in chosen:
		_log(name)
	return _retry(chosen)


def _retry(names: list[str]) -> dict[str, Any]:
	"""Outbound logs go back in the queue where that still makes sense; an inbound log re-runs its
	mapping, which reads the rows that failed again. Says what it skipped, and why."""

	outbound = [n for n in names if frappe.db.get_value(LOG, n, "direction") == "Outbound"]
	inbound = {
		frappe.db.get_value(LOG, n, "mapping"): n for n in reversed(names) if n not in outbound
	}  # a mapping's first log named, for a skip
	result = retry(outbound)
	notices = [_waiting_notice("Queued", "Outbound")] if result["queued"] else []
	for mapping, name in inbound.items():
		if not mapping:
			continue
		off = switched_off(mapping) if frappe.db.exists(MAPPING, mapping) else None
		if off:
			result["skipped"].append({"log": name, "reason": off})
			continue
		if queue_pull(mapping, trigger="Manual")[1]:
			result["queued"] += 1
			notices.append(_waiting_notice("Queued", "Inbound", mapping))
	skipped = result["skipped"]
	result["message"] = _("{0} queued again").format(result["queued"]) + (
		"; "
		+ _("{0} skipped: {1}").format(
			len(skipped), "; ".join(f"{s['log']}: {s['reason']}" for s in skipped[:10])
		)
		if skipped
		else ""
	)
	return _with_waiting(result, " ".join(dict.fromkeys(filter(None, notices))) or None)


@frappe.whitelist(methods=["POST"])
@limited(30, 60)
def resolve_log(
	name: str | None = None, afas_key: str | None = None, resend: int | str = 0
) -> dict[str, Any]:
	"""Settle a push whose outcome is unknown (its POST's answer was lost, so AFAS may hold the
	record): link it to the ``afas_key`` found in AFAS, or ``resend=1`` after finding nothing."""
	require_manager()

	name = _log(name)
	afas_key = arguments.optional_name(afas_key, "afas_key", _("the AFAS key you found"))
	resend = arguments.flag(resend, "resend")
	if not afas_key and not resend:
		frappe.throw(_("afas_key or resend=1 is required: the AFAS key you found, or send it again"))
	status = resolve_unknown(name, afas_key=afas_key, resend=resend)
	return {"log": name, "status": status}


@frappe.whitelist(methods=["POST"])
@limited(10, 60)
def dismiss_failed_rows(mapping: str | None = None, keys: str | list | None = None) -> dict[str, Any]:
	"""Stop reading failed AFAS rows again: the given AFAS ``keys`` (JSON list), or all of them."""
	require_manager()

	doc = _mapping(mapping)
	doc.check_permission("write")
	state = load_state(doc)
	chosen = set(arguments.names(keys, "keys")) if keys else set(state.retry_keys)
	state.retry_keys = [k for k in state.retry_keys if k not in chosen]
	save_state(doc, state)
	return {"mapping": doc.name, "dismissed": sorted(chosen), "waiting": state.retry_keys}


@frappe.whitelist(methods=["POST"])
@limited(30, 60)
def push_document(
	doctype: str | None = None, name: str | None = None, mapping: str | None = None
) -> dict[str, Any]:
	"""Queue a push of one document through its outbound mapping(s), whatever changed."""
	require_manager()

	doctype = _required(doctype, "doctype", _("the DocType of the document, e.g. Customer"))
	name = _required(name, "name", _("the name of the document"))
	if not frappe.db.exists("DocType", doctype):
		_not_found(_("DocType {0} not found").format(doctype))
	if not frappe.db.exists(doctype, name):
		_not_found(_("{0} {1} not found").format(_(doctype), name))
	doc = frappe.get_doc(doctype, name)
	if not frappe.has_permission(doctype, "read", doc=doc):
		frappe.throw(
			_("You may not read {0} {1}, so you cannot push it to AFAS").format(_(doctype), name),
			frappe.PermissionError,
			title=_("Not permitted"),
		)
	mappings = [mapping] if mapping else outbound_doctypes().get(doctype, [])
	if mapping:
		m = _mapping(mapping)
		if m.direction != "Outbound" or m.erpnext_doctype != doctype:
			frappe.throw(_("{0} is not an outbound mapping for {1}").format(mapping, doctype))
	if not mappings:
		frappe.throw(_("No enabled outbound mapping covers {0}").format(doctype))
	if doc.docstatus == 2:
		if not any(afas_key_of(m, name) for m in mappings):
			removed = next((key for m in mappings if (key := removed_key(m, doctype, name))), None)
			if removed:  # it was sent, and its cancellation deleted it from AFAS
				frappe.throw(
					_(
						"{0} {1} is cancelled, and its AFAS record {2} was deleted from AFAS already: nothing "
						"to send"
					).format(_(doctype), name, removed),
					title=_("Not pushed"),
				)
			frappe.throw(
				_("{0} {1} is cancelled and was never sent to AFAS: nothing to create there").format(
					_(doctype), name
				),
				title=_("Not pushed"),
			)
	logs = [queue_change(doc, "on_update", m, trigger="Manual") for m in mappings]
	queued = [log.name for log in logs if log]
	if not queued:
		frappe.throw(
			_("Nothing queued: the condition of {0} leaves {1} {2} out").format(
				", ".join(mappings), _(doctype), name
			),
			title=_("Not pushed"),
		)
	return _with_waiting(
		{"queued": queued, "message": _("Push to AFAS queued")}, _waiting_notice("Queued", "Outbound")
	)


# ------------------------------------------------------------------ ledger


@frappe.whitelist(methods=["GET"])
@limited(30, 60)
def reference_values(kind: str | None = None) -> list[dict[str, str]]:
	"""The values AFAS has for a Ledger Maps kind (Account, VAT Code, Journal, Administration, Cost
	Centre): ``[{value, description}]`` from AFAS's standard GetConnector, to pick a map's AFAS side."""
	require_manager()

	kind = _required(kind, "kind", _("one of {0}").format(", ".join(REFERENCE)))
	if kind not in REFERENCE:
		frappe.throw(_("kind must be one of {0}").format(", ".join(REFERENCE)))
	try:
		values = ledger.reference_values(kind)
	except AfasError as exc:
		_afas_error(exc)
	return [{"value": value, "description": description} for value, description in values.items()]


# ------------------------------------------------------------------ monitoring


@frappe.whitelist(methods=["GET"])
@limited(30, 60)
def health(http_status: int | str = 0) -> dict[str, Any]:
	"""For monitoring tools: ``status`` (ok / degraded / failing), the problems, the last connection
	test, the scheduler and workers, the outbox and per mapping its last success and failure,
	consecutive failures, backlog and oldest pending age. No secrets. ``http_status=1`` answers a
	failing status with HTTP 503, for checks that read only the status code."""
	require_monitor()

	result = health_answer()
	if arguments.flag(http_status, "http_status") and result["status"] == "failing":
		frappe.local.response["http_status_code"] = 503
	return result


@frappe.whitelist(methods=["GET", "POST"])
@limited(60, 60)
def background_card(filters: str | dict | None = None) -> str:
	"""The AFAS workspace's Background Jobs card: ``Running``, or the first background problem.
	``filters`` is what a number card sends; it is not used. Reads only."""
	require_monitor()

	return background_summary()


@frappe.whitelist(methods=["GET", "POST"])
@limited(60, 60)
def failures_card(filters: str | dict | None = None) -> dict[str, Any]:
	"""The AFAS workspace's Failures (24 h) card: the Sync Logs that ended Failed in the last 24
	hours, and the list it opens. ``filters`` is what a number card sends; it is not used. Reads only."""
	require_monitor()

	return monitoring.failures_card()


@frappe.whitelist(methods=["GET", "POST"])
@limited(60, 60)
def queued_changes_card(filters: str | dict | None = None) -> dict[str, Any]:
	"""The AFAS workspace's Queued Changes card: the outbox (outbound changes Queued or Retrying), and
	the list it opens. ``filters`` is what a number card sends; it is not used. Reads only."""
	require_monitor()
	return monitoring.queued_changes_card()


# ------------------------------------------------------------------ AFAS webhooks


@frappe.whitelist(allow_guest=True, methods=["POST"])
@rate_limit(limit=300, seconds=60)
def afas_webhook() -> dict[str, Any]:
	"""AFAS Profit 8 rings the bell (docs/operations.md, "AFAS webhooks"): a notification signed with
	the Webhook Password of AFAS Settings queues an incremental run of the mappings its Webhook Routes
	name, and nothing else. No session: the signature over the raw body is the only credential. 202
	queued, 200 received before, nothing to run or switched off, 400 malformed or stale, 401 signature,
	413 too large, 503 not queued (AFAS sends it again); the answer never echoes the body."""
	request = frappe.request
	status, answer = webhooks.receive(
		request.get_data(cache=True) or b"", dict(request.headers), request.content_length
	)
	frappe.local.response["http_status_code"] = status
	return answer


# ------------------------------------------------------------------ templates, export and import


@frappe.whitelist(methods=["GET"])
@limited(30, 60)
def get_mapping_templates() -> list[dict[str, Any]]:
	"""The mapping templates on AFAS's standard connectors: what each maps, the questions it asks (with
	proposed answers), the mapping already made from it and the templates it still waits for."""
	require_manager()

	return template_list()


@frappe.whitelist(methods=["POST"])
@limited(10, 60)
def new_mapping_from_template(
	template: str | None = None, answers: str | dict | None = None, mapping_name: str | None = None
) -> dict[str, Any]:
	"""Make a mapping from a template, saved switched off: ``{mapping, checked, message,
	reads_everything}``. ``answers`` is a JSON object of the template's questions."""
	require_manager()

	template = _required(template, "template", _("the id of a mapping template, e.g. debtors-in"))
	if template not in TEMPLATES:
		_not_found(_("Mapping template {0} not found; known: {1}").format(template, ", ".join(TEMPLATES)))
	parsed = arguments.json_object(answers, "answers", _("a JSON object of the template's questions"))
	mapping_name = arguments.optional_name(mapping_name, "mapping_name", _("a name for the new mapping"))
	if not frappe.has_permission(MAPPING, "create"):
		raise frappe.PermissionError(_("Not permitted to create an AFAS Connector Mapping"))
	return create_mapping(template, parsed, mapping_name)


@frappe.whitelist(methods=["GET"])
@limited(10, 60)
def export_mappings(names: str | list | None = None) -> dict[str, Any]:
	"""The given mappings (JSON list; all when empty) as one JSON document, for import on another site."""
	require_manager()

	chosen = arguments.names(names) if names else []
	for name in chosen:
		_mapping(name)
	return transfer.export_mappings(chosen)


def _export_file(data: Any) -> dict[str, Any]:
	if data in (None, "") or (isinstance(data, str) and not data.strip()):
		frappe.throw(
			_("{0} is required: {1}").format("data", _("the exported file's JSON")),
			arguments.InvalidArgument,
			title=_("Missing argument"),
		)
	return arguments.json_value(data, "data", dict, _("the exported file's JSON object"))


@frappe.whitelist(methods=["POST"])
@limited(20, 60)
def preview_mapping_import(data: str | dict | None = None) -> dict[str, Any]:
	"""What importing an exported file would change (new, update with its differences, same) and
	what stops it; nothing is written."""
	require_manager()

	return preview_import(_export_file(data))


@frappe.whitelist(methods=["POST"])
@limited(10, 60)
def import_mappings(data: str | dict | None = None, overwrite: str | list | None = None) -> dict[str, Any]:
	"""Import an exported file: new mappings switched off, the mappings named in ``overwrite`` (JSON
	list) changed, every other difference left alone and reported."""
	require_manager()

	if not frappe.has_permission(MAPPING, "create"):
		raise frappe.PermissionError(_("Not permitted to create an AFAS Connector Mapping"))
	return transfer.import_mappings(
		_export_file(data), arguments.names(overwrite, "overwrite") if overwrite else []
	)
