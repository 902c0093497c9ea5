"""Alerts: the AFAS Managers are told about a problem once, in the desk and by email, and once more
when it is resolved; and, if they want, a daily digest.

One problem is one key (``sync/health.py``): while an **AFAS Alert** of a key is open, no second one
is raised (its ``open_key`` column is unique, so the database refuses a duplicate even when two workers
notice the problem at once), and no notice is sent again. The open alert's text is kept up to date.

- **At once:** AFAS refusing the credentials, from any inbound run, push or connection test
  (:func:`credentials_refused`); the site's scheduler found off by one of the connector's own jobs
  (:func:`note_scheduler_off`), since the evaluation below is itself a scheduled job.
- **Every five minutes** (:func:`evaluate_afas_alerts`): every problem ``binding/monitoring.py``
  finds is raised if new; every open alert whose problem is gone is resolved.

Notices use Frappe's own machinery: a Notification Log per user (the bell; written directly, so it
arrives even when no worker runs) and one email through Frappe's Email Queue. Users who switched off
notifications or email notifications in their Notification Settings are left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import frappe
from frappe import _
from frappe.utils import add_days, cint, escape_html, get_url_to_form, now_datetime

from afas_connector.binding.connection import is_enabled
from afas_connector.binding.constants import ALERT, LOG, MANAGER_ROLE, MAPPING, SETTINGS
from afas_connector.binding.monitoring import Snapshot, describe, scheduler_state, snapshot
from afas_connector.binding.sync_log import log_error
from afas_connector.sync.health import FAILING, Problem

#: The AFAS Alert ``kind`` (a Select) of each problem kind.
KIND_LABELS = {
	"credentials": "Credentials Refused",
	"failing_runs": "Failing Runs",
	"late": "Late Runs",
	"needs_attention": "Pushes Need Attention",
	"outbox_backlog": "Outbox Backlog",
	"outbox_delay": "Outbox Delay",
	"scheduler": "Scheduler",
	"workers": "Workers",
	"stuck_jobs": "Stuck Jobs",
}
SEVERITY_LABELS = {FAILING: "Failing"}


# ------------------------------------------------------------------ raising and resolving


def raise_alert(
	problem: Problem, *, sync_log: str | None = None, now: dt.datetime | None = None
) -> str | None:
	"""Open an AFAS Alert for ``problem`` and notify the AFAS Managers, unless one is open already.

	Returns the new alert's name, or None when the problem already had an open alert. Runs in the
	caller's transaction: the alert and its notices are committed, or rolled back, together.
	"""
	if frappe.db.exists(ALERT, {"open_key": problem.key}):
		return None
	subject, message = describe(problem)
	alert = frappe.get_doc(
		{
			"doctype": ALERT,
			"subject": subject[:255],
			"status": "Open",
			"kind": KIND_LABELS.get(problem.kind),
			"severity": SEVERITY_LABELS.get(problem.severity, "Degraded"),
			"mapping": problem.mapping,
			"sync_log": sync_log,
			"opened_at": now or now_datetime(),
			"message": message,
			"problem_key": problem.key,
			"open_key": problem.key,
		}
	)
	alert.flags.ignore_links = True  # the mapping or log may be gone by the time it is read
	frappe.db.savepoint("afas_alert")
	try:
		alert.insert(ignore_permissions=True)
	except (frappe.UniqueValidationError, frappe.DuplicateEntryError):
		frappe.db.rollback(save_point="afas_alert")  # another process opened it a moment ago
		frappe.clear_messages()
		return None
	notify(alert, subject, message, resolved=False)
	return alert.name


def resolve_alert(key: str, resolution: str, *, now: dt.datetime | None = None) -> str | None:
	"""Close the open alert of ``key`` and send the one "resolved" notice; returns its name, or None
	when none was open. The row is locked first, so two evaluations never both send the notice."""
	name = frappe.db.get_value(ALERT, {"open_key": key}, "name", for_update=True)
	if not name:
		return None
	frappe.db.set_value(
		ALERT,
		name,
		{
			"status": "Resolved",
			"open_key": None,
			"resolved_at": now or now_datetime(),
			"resolution": resolution,
		},
	)
	alert = frappe.get_doc(ALERT, name)
	notify(alert, alert.subject, resolution, resolved=True)
	return name


def _safely(action: Callable[[], str | None], title: str) -> str | None:
	"""Run ``action`` and commit; an error is logged and undone, never passed on: an alert must not
	break the run or push that noticed the problem."""
	frappe.db.savepoint("afas_alert_safely")
	try:
		result = action()
		frappe.db.commit()
		return result
	except Exception as exc:
		frappe.db.rollback(save_point="afas_alert_safely")
		log_error(title, exc)
		frappe.db.commit()
		return None


def credentials_refused(
	exc: Exception, *, sync_log: str | None = None, during: str | None = None
) -> str | None:
	"""AFAS answered 401/403 to a run, a push or a connection test: alert at once (and commit).
	``during`` says where (default: from the Sync Log). Returns the new alert, or None if one is open."""

	def act() -> str | None:
		where = during or _where(sync_log)
		problem = Problem(
			"credentials",
			"credentials",
			FAILING,
			None,
			{
				"subject": _("AFAS refuses the credentials"),
				"message": _(
					"AFAS refused the credentials during {0}: {1}. Nothing reaches AFAS until this is fixed: "
					"correct the token or OAuth client on AFAS Settings and press Test Connection."
				).format(where, str(exc)[:500]),
			},
		)
		return raise_alert(problem, sync_log=sync_log)

	return _safely(act, "AFAS alert: credentials refused")


def credentials_accepted() -> str | None:
	"""A connection test succeeded: resolve the credentials alert at once (and commit)."""
	return _safely(
		lambda: resolve_alert(
			"credentials", _("AFAS accepts the credentials again: the connection test succeeded.")
		),
		"AFAS alert: credentials accepted",
	)


def note_scheduler_off() -> str | None:
	"""Called by the connector's own jobs (a push, an inbound run), which run when a save or a button
	queued them, also while the site's scheduler is off. Then nothing else would tell anyone: the
	evaluation is a scheduled job itself. One query when the scheduler is on; never raises (it runs
	in the ``finally`` of a drain, where it must not hide the drain's own error)."""
	try:
		enabled, reason = scheduler_state()
		if enabled or not is_enabled() or frappe.db.exists(ALERT, {"open_key": "scheduler"}):
			return None
	except Exception:
		return None
	return _safely(
		lambda: raise_alert(Problem("scheduler", "scheduler", FAILING, None, {"reason": reason})),
		"AFAS alert: scheduler off",
	)


def _where(sync_log: str | None) -> str:
	if not sync_log:
		return _("a call to AFAS")
	log = frappe.db.get_value(
		LOG, sync_log, ["direction", "mapping", "reference_doctype", "reference_name"], as_dict=True
	)
	if not log:
		return _("a call to AFAS")
	if log.direction == "Outbound":
		return _("the push of {0} {1}").format(_(log.reference_doctype or ""), log.reference_name or "")
	return _("the inbound run of {0}").format(log.mapping)


# ------------------------------------------------------------------ the evaluation


def evaluate_afas_alerts(now: dt.datetime | None = None) -> dict[str, list[str]]:
	"""The scheduler's job (every five minutes): raise an alert for each new problem, resolve each
	open alert whose problem is gone, and keep open alerts' text current (without a new notice).
	Returns ``{"opened": [...], "resolved": [...]}``; the scheduler commits."""
	snap = snapshot(now)
	wanted = {p.key: p for p in snap.problems if p.alert}
	opened, resolved = [], []
	for key, problem in wanted.items():
		alert = snap.open_alerts.get(key)
		if alert:
			if problem.kind != "credentials":
				subject, message = describe(problem)
				if (subject[:255], message) != (alert.subject, alert.message):
					frappe.db.set_value(ALERT, alert.name, {"subject": subject[:255], "message": message})
			continue
		if problem.kind == "credentials":
			continue  # raised by the refusal itself, with its cause
		name = raise_alert(problem, now=snap.now)
		if name:
			opened.append(name)
	for key, alert in snap.open_alerts.items():
		if key not in wanted:
			name = resolve_alert(key, resolution_for(alert, snap), now=snap.now)
			if name:
				resolved.append(name)
	return {"opened": opened, "resolved": resolved}


def resolution_for(alert: Any, snap: Snapshot) -> str:
	"""Why an open alert's problem is gone, in words."""
	if not snap.enabled:
		return _("The AFAS connector was switched off.")
	if alert.mapping:
		facts = next((m for m in snap.mappings if m.name == alert.mapping), None)
		if facts is None:
			return _("Mapping {0} was deleted.").format(alert.mapping)
		if not facts.enabled:
			return _("Mapping {0} was switched off.").format(alert.mapping)
	texts = {
		"Credentials Refused": _("AFAS accepts the credentials again."),
		"Failing Runs": _("A run of {0} succeeded.").format(alert.mapping),
		"Late Runs": _("{0} synced again.").format(alert.mapping),
		"Pushes Need Attention": _("No push of {0} needs attention any more.").format(alert.mapping),
		"Outbox Backlog": _("The outbox is down to {0} changes.").format(snap.pending),
		"Outbox Delay": _("No change in the outbox has waited long any more."),
		"Scheduler": _("The scheduler runs again."),
		"Workers": _("Workers take jobs from every queue the connector uses again."),
		"Stuck Jobs": _("The waiting jobs have started."),
	}
	return texts.get(alert.kind) or _("The problem is gone.")


# ------------------------------------------------------------------ notices


def recipients() -> list[tuple[str, str]]:
	"""``(user, email)`` of every enabled AFAS Manager; without any, the enabled System Managers
	other than Administrator; without those, Administrator: an alert never goes to nobody."""
	query = """select distinct u.name, u.email from `tabUser` u
		join `tabHas Role` r on r.parent = u.name and r.parenttype = 'User'
		where r.role = %s and u.enabled = 1 and u.name not in %s and ifnull(u.email, '') != ''
		order by u.name"""
	users = frappe.db.sql(query, (MANAGER_ROLE, ("Guest",))) or frappe.db.sql(
		query, ("System Manager", ("Guest", "Administrator"))
	)
	if not users:
		users = frappe.db.sql(
			"select name, email from `tabUser` where name = 'Administrator' and enabled = 1"
		)
	return [(name, email) for name, email in users if email]


def notify(alert: Any, subject: str, message: str, *, resolved: bool) -> list[str]:
	"""One Notification Log per recipient and one email, about ``alert``. Returns the users told."""
	from frappe.desk.doctype.notification_log.notification_log import make_notification_logs
	from frappe.desk.doctype.notification_settings.notification_settings import (
		is_email_notifications_enabled,
		is_notifications_enabled,
	)

	users = recipients()
	if not users:
		return []
	title = _("Resolved: {0}").format(subject) if resolved else subject
	make_notification_logs(
		frappe._dict(
			subject=escape_html(_("AFAS: {0}").format(title)),
			type="Alert",
			document_type=ALERT,
			document_name=alert.name,
			email_content=escape_html(message),
		),
		[email for _user, email in users],
	)
	emails = [
		email
		for user, email in users
		if is_notifications_enabled(user) and is_email_notifications_enabled(user)
	]
	if emails:
		colour = "green" if resolved else ("red" if alert.severity == "Failing" else "orange")
		send_email(
			recipients=emails,
			subject=_("AFAS: {0}").format(title),
			message=_email_body(alert, message, resolved),
			header=[escape_html(title), colour],
			reference_doctype=ALERT,
			reference_name=alert.name,
		)
	return [user for user, _email in users]


def send_email(**kwargs: Any) -> bool:
	"""``frappe.sendmail`` into Frappe's Email Queue; False when the site has no outgoing Email
	Account (the desk notice is then all that goes out; the health answer says so)."""
	try:
		frappe.sendmail(**kwargs)
		return True
	except frappe.OutgoingEmailError:
		frappe.clear_messages()
		return False


def _email_body(alert: Any, message: str, resolved: bool) -> str:
	footer = (
		_("This problem is resolved. You were told about it when it began.")
		if resolved
		else _("You get one email per problem while it lasts, and one when it is resolved.")
	)
	return (
		f"<p>{escape_html(message)}</p>"
		f'<p><a href="{get_url_to_form(ALERT, alert.name)}">{escape_html(_("Open the alert"))}</a>'
		f' · <a href="{get_url_to_form(SETTINGS, SETTINGS)}">{escape_html(_("AFAS Settings"))}</a></p>'
		f'<p style="color: #888">{escape_html(footer)}</p>'
	)


# ------------------------------------------------------------------ the daily digest


def send_afas_digest(now: dt.datetime | None = None) -> list[str]:
	"""The scheduler's daily job (07:00 site time): with **Send a Daily Digest** set on AFAS Settings,
	email the AFAS Managers the last 24 hours per mapping (runs or pushes, rows read and written,
	failures, failed rows, open problems) and the open problems of the whole site. Returns the
	addresses mailed (none when the box is off or the connector is switched off)."""
	if not cint(frappe.db.get_single_value(SETTINGS, "daily_digest")) or not is_enabled():
		return []
	emails = [email for _user, email in recipients()]
	if not emails:
		return []
	now = now or now_datetime()
	rows, open_alerts = digest_rows(add_days(now, -1))
	site_wide = [a for a in open_alerts if not a.mapping]
	runs = sum(r["runs"] for r in rows)
	failures = sum(r["failures"] for r in rows)
	sent = send_email(
		recipients=emails,
		subject=_("AFAS daily digest: {0} runs and pushes, {1} failed, {2} open problems").format(
			runs, failures, len(open_alerts)
		),
		message=_digest_html(rows, site_wide),
		reference_doctype=SETTINGS,
		reference_name=SETTINGS,
	)
	return emails if sent else []


def digest_rows(since: dt.datetime) -> tuple[list[dict[str, Any]], list[Any]]:
	"""Per mapping since ``since``: ``runs`` (runs or pushes closed), ``rows`` (read), ``written``
	(inserted + updated, or pushes that succeeded), ``failures``, ``failed_rows`` and ``problems`` (the
	open alerts' subjects); with every open alert."""
	stats = {
		row.mapping: row
		for row in frappe.db.sql(
			f"""select mapping, count(*) as runs, sum(rows_read) as rows_read,
			sum(case when direction='Outbound' then status='Success' else inserted + updated end) as written,
			sum(status in ('Failed', 'Outcome Unknown')) as failures, sum(failed) as failed_rows
			from `tab{LOG}` where modified >= %(since)s and finished_at >= %(since)s
			and status in ('Success', 'Partial', 'Failed', 'Outcome Unknown') group by mapping""",
			{"since": since},
			as_dict=True,
		)
	}
	open_alerts = frappe.get_all(
		ALERT, filters={"status": "Open"}, fields=["subject", "mapping"], order_by="opened_at asc"
	)
	rows = []
	for mapping in frappe.get_all(MAPPING, fields=["name", "direction", "enabled"], order_by="name asc"):
		stat = stats.get(mapping.name) or {}
		problems = [a.subject for a in open_alerts if a.mapping == mapping.name]
		if not (mapping.enabled or stat or problems):
			continue
		rows.append(
			{
				"mapping": mapping.name,
				"direction": mapping.direction,
				"runs": cint(stat.get("runs")),
				"rows": cint(stat.get("rows_read")),
				"written": cint(stat.get("written")),
				"failures": cint(stat.get("failures")),
				"failed_rows": cint(stat.get("failed_rows")),
				"problems": problems,
			}
		)
	return rows, open_alerts


def _digest_html(rows: list[dict[str, Any]], site_wide: list[Any]) -> str:
	headers = [
		_("Mapping"),
		_("Direction"),
		_("Runs / pushes"),
		_("Rows read"),
		_("Written"),
		_("Failed"),
		_("Failed rows"),
		_("Open problems"),
	]
	cell = 'style="border: 1px solid #ddd; padding: 4px 8px"'
	head = "".join(f"<th {cell}>{escape_html(h)}</th>" for h in headers)
	body = "".join(
		"<tr>"
		+ "".join(
			f"<td {cell}>{escape_html(str(value))}</td>"
			for value in (
				r["mapping"],
				_(r["direction"]),
				r["runs"],
				r["rows"] if r["direction"] == "Inbound" else "–",
				r["written"],
				r["failures"],
				r["failed_rows"] if r["direction"] == "Inbound" else "–",
				"; ".join(r["problems"]) or "–",
			)
		)
		+ "</tr>"
		for r in rows
	)
	html = f"<p>{escape_html(_('The last 24 hours of the AFAS connector:'))}</p>"
	html += f'<table style="border-collapse: collapse"><tr>{head}</tr>{body}</table>'
	if site_wide:
		html += f"<p>{escape_html(_('Open problems of the whole connector:'))}</p><ul>"
		html += "".join(f"<li>{escape_html(a.subject)}</li>" for a in site_wide)
		html += "</ul>"
	return (
		html + f'<p><a href="{get_url_to_form(SETTINGS, SETTINGS)}">{escape_html(_("AFAS Settings"))}</a></p>'
	)
