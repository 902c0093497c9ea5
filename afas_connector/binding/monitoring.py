"""What the connector looks like right now: per-mapping facts from the Sync Logs, the outbox, Frappe's
scheduler and RQ workers, the problems the rules in ``sync/health.py`` find in them, their messages,
and the health answer (``api.health``). Reads only; ``binding/alerts.py`` turns problems into alerts.

What must run for the connector: Frappe's scheduler (enabled on the site, and its process) and RQ
workers for the ``default`` queue (the scheduler's ticks and the pushes) and the ``long`` queue (the
inbound runs).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import frappe
from frappe import _
from frappe.utils import cint, convert_utc_to_system_timezone, get_datetime, now_datetime

from afas_connector.afas.config import same_environment
from afas_connector.binding.connection import environment, is_enabled
from afas_connector.binding.constants import ALERT, LOG, MAPPING, SETTINGS
from afas_connector.binding.pull import load_state
from afas_connector.sync.health import (
	DEGRADED,
	FAILING,
	NEEDED_QUEUES,
	NEEDS_HUMAN,
	BackgroundFacts,
	MappingFacts,
	Problem,
	Thresholds,
	background_problems,
	mapping_problems,
	minutes_between,
	outbox_problems,
	overall_status,
)

#: The connector's every-minute scheduled job: when it last ran tells whether the scheduler ticks.
TICK_METHOD = "afas_connector.binding.pull.enqueue_due_pulls"
#: Outbound rows not sent yet.
PENDING = ("Queued", "Retrying", "Running")
#: Closed runs (inbound) and pushes (outbound) that count as a success, and as a failure.
SUCCESS = {"Inbound": ("Success", "Partial"), "Outbound": ("Success",)}
FAILURE = {"Inbound": ("Failed",), "Outbound": NEEDS_HUMAN}
#: A worker whose heartbeat is older than this died without deregistering (RQ drops it later).
WORKER_SILENT = dt.timedelta(minutes=10)
#: The settings fields of N, K, X and Y, by :class:`Thresholds` field.
THRESHOLD_FIELDS = {
	"failed_runs": "alert_failed_runs",
	"late_factor": "alert_late_factor",
	"outbox_size": "alert_outbox_size",
	"outbox_minutes": "alert_outbox_minutes",
}


@dataclass
class Snapshot:
	"""Everything the health answer and the alert evaluation need, read once."""

	now: dt.datetime
	enabled: bool
	settings: dict[str, Any]
	mappings: list[MappingFacts]
	background: BackgroundFacts
	pending: int
	oldest_pending: dt.datetime | None
	#: Open AFAS Alerts by problem key: ``{name, subject, message, opened_at, mapping, kind}``.
	open_alerts: dict[str, Any]
	problems: list[Problem] = field(default_factory=list)


def thresholds(settings: dict[str, Any] | None = None) -> Thresholds:
	"""N, K, X and Y from AFAS Settings (empty or 0: the default)."""
	settings = settings if settings is not None else frappe.db.get_singles_dict(SETTINGS, cast=True)
	return Thresholds.of(**{name: settings.get(fieldname) for name, fieldname in THRESHOLD_FIELDS.items()})


def threshold_defaults() -> dict[str, int]:
	"""``{settings field: default}`` of N, K, X and Y."""
	defaults = Thresholds()
	return {fieldname: getattr(defaults, name) for name, fieldname in THRESHOLD_FIELDS.items()}


def snapshot(now: dt.datetime | None = None) -> Snapshot:
	"""Read the facts and find the problems. With the connector switched off the only problem is
	that (reported, never alerted): nothing is supposed to run."""
	now = now or now_datetime()
	settings = frappe.db.get_singles_dict(SETTINGS, cast=True)
	mappings = mapping_facts(settings)
	outbound = [m for m in mappings if m.enabled and m.direction == "Outbound"]
	oldest = min((m.oldest_pending for m in outbound if m.oldest_pending), default=None)
	snap = Snapshot(
		now=now,
		enabled=is_enabled(),
		settings=settings,
		mappings=mappings,
		background=background_facts(),
		pending=sum(m.pending for m in outbound),
		oldest_pending=oldest,
		open_alerts={
			a.open_key: a
			for a in frappe.get_all(
				ALERT,
				filters={"status": "Open"},
				fields=["name", "open_key", "kind", "subject", "message", "opened_at", "mapping"],
			)
		},
	)
	snap.problems = find_problems(snap)
	return snap


def find_problems(snap: Snapshot) -> list[Problem]:
	"""The problems in a snapshot: credentials (while an alert of them is open and AFAS has not
	answered since), each mapping, the outbox, the background."""
	if not snap.enabled:
		return [Problem("disabled", "disabled", DEGRADED, alert=False)]
	limits = thresholds(snap.settings)
	problems = []
	refused = snap.open_alerts.get("credentials")
	if refused and not afas_answered_since(get_datetime(refused.opened_at), snap.settings):
		problems.append(
			Problem(
				"credentials",
				"credentials",
				FAILING,
				None,
				{"subject": refused.subject, "message": refused.message},
			)
		)
	for mapping in snap.mappings:
		problems.extend(mapping_problems(mapping, limits, snap.now))
	problems.extend(
		outbox_problems(snap.pending, snap.oldest_pending, limits, snap.now, frozenset(snap.open_alerts))
	)
	problems.extend(background_problems(snap.background, snap.now))
	return problems


# ------------------------------------------------------------------ facts: mappings and the outbox


def mapping_facts(settings: dict[str, Any] | None = None) -> list[MappingFacts]:
	"""One :class:`MappingFacts` per mapping, from its Sync Logs (a few indexed queries each)."""

	settings = settings if settings is not None else frappe.db.get_singles_dict(SETTINGS, cast=True)
	settings_changed = get_datetime(settings.get("modified")) if settings.get("modified") else None
	facts = []
	for row in frappe.get_all(
		MAPPING,
		fields=[
			"name",
			"direction",
			"enabled",
			"schedule",
			"interval_minutes",
			"cron_expression",
			"modified",
			"sync_state",
		],
		order_by="name asc",
	):
		good, bad = SUCCESS.get(row.direction, ("Success",)), FAILURE.get(row.direction, ("Failed",))
		last_success = _last_finished(row.name, good)
		failure = frappe.db.sql(
			f"""select finished_at, error from `tab{LOG}` where mapping=%s and status in %s
			order by finished_at desc limit 1""",
			(row.name, bad),
			as_dict=True,
		)
		since = last_success or dt.datetime(1900, 1, 1)
		consecutive = frappe.db.sql(
			f"select count(*) from `tab{LOG}` where mapping=%s and status in %s and finished_at > %s",
			(row.name, bad, since),
		)[0][0]
		pending, oldest = frappe.db.sql(
			f"select count(*), min(creation) from `tab{LOG}` where mapping=%s and status in %s",
			(row.name, PENDING),
		)[0]
		inbound = row.direction == "Inbound"
		facts.append(
			MappingFacts(
				name=row.name,
				direction=row.direction,
				enabled=bool(row.enabled),
				schedule=row.schedule if inbound else None,
				interval_minutes=row.interval_minutes,
				cron=row.cron_expression,
				last_success=last_success,
				last_failure=failure[0].finished_at if failure else None,
				last_error=(failure[0].error or "").splitlines()[0][:300]
				if failure and failure[0].error
				else None,
				consecutive_failures=int(consecutive or 0),
				pending=int(pending or 0),
				oldest_pending=oldest,
				needs_attention=0 if inbound else needs_attention(row.name),
				waiting_rows=len(load_state(row).retry_keys) if inbound else 0,
				expected_since=max(
					t
					for t in (get_datetime(row.modified), settings_changed, _resumes(row.name, inbound))
					if t
				),
			)
		)
	return facts


def _resumes(mapping: str, inbound: bool) -> dt.datetime | None:
	"""A mapping deferred by its Daily Call Budget is not late: nothing is expected of it before the
	midnight after its last deferral."""
	deferred = _last_finished(mapping, ("Deferred",)) if inbound else None
	return (
		dt.datetime.combine(get_datetime(deferred).date() + dt.timedelta(days=1), dt.time())
		if deferred
		else None
	)


def _last_finished(mapping: str, statuses: tuple[str, ...]) -> dt.datetime | None:
	"""When the mapping's last log in one of ``statuses`` finished (index mapping, status, finished_at)."""
	times = [
		frappe.db.sql(
			f"select max(finished_at) from `tab{LOG}` where mapping=%s and status=%s", (mapping, status)
		)[0][0]
		for status in statuses
	]
	return max((t for t in times if t), default=None)


def needs_attention(mapping: str) -> int:
	"""Documents of an outbound mapping whose push needs a human: Failed (a reason a retry will not
	fix) or Outcome Unknown, and no later push of the same document has succeeded since. Such a
	failure leaves the count when it is retried, resolved, overtaken by a successful push of the
	document, or its log is deleted."""
	return cint(
		frappe.db.sql(
			f"""select count(distinct f.reference_doctype, f.reference_name) from `tab{LOG}` f
			where f.mapping=%(mapping)s and f.direction='Outbound' and f.status in %(statuses)s
			and not exists (
				select 1 from `tab{LOG}` s where s.reference_doctype=f.reference_doctype
				and s.reference_name=f.reference_name and s.mapping=f.mapping and s.status='Success'
				and s.creation > f.creation
			)""",
			{"mapping": mapping, "statuses": NEEDS_HUMAN},
		)[0][0]
	)


def afas_answered_since(moment: dt.datetime, settings: dict[str, Any] | None = None) -> bool:
	"""Has AFAS accepted the credentials since ``moment``: a successful connection test, inbound run
	or push that reached AFAS (a push with nothing to send does not count)."""
	return afas_answered_at(moment, settings) is not None


def afas_answered_at(moment: dt.datetime, settings: dict[str, Any] | None = None) -> dt.datetime | None:
	"""When AFAS last accepted the credentials after ``moment`` (see :func:`afas_answered_since`), or None."""
	settings = settings if settings is not None else frappe.db.get_singles_dict(SETTINGS, cast=True)
	tested = settings.get("last_connection_test")
	if cint(settings.get("connection_ok")) and tested and get_datetime(tested) > moment:
		return get_datetime(tested)
	# ``modified`` is indexed and a closed log's is its finishing time: only recent rows are read.
	found = frappe.db.sql(
		f"""select max(finished_at) from `tab{LOG}` where modified > %(t)s and finished_at > %(t)s and (
			(direction='Inbound' and status in ('Success', 'Partial'))
			or (direction='Outbound' and status='Success' and http_method is not null)
		)""",
		{"t": moment},
	)
	return found[0][0] if found and found[0][0] else None


def connection_state(settings: dict[str, Any]) -> dict[str, Any]:
	"""The last Test Connection as the desk shows it: when, whether it succeeded, its message, and for
	a failed one when AFAS has answered since (a later run or push: the failure is over)."""
	tested = settings.get("last_connection_test") or None
	ok = bool(cint(settings.get("connection_ok"))) if tested else None
	# AFAS answered as another environment: not over until the settings or the token are corrected
	mismatch = bool(tested) and (
		same_environment(
			settings.get("environment_id") or "",
			settings.get("environment_type") or "Production",
			settings.get("afas_environment"),
		)
		is False
	)
	return {
		"last_test": tested,
		"ok": ok,
		"message": (settings.get("connection_message") or "")[:1000],
		"profit_version": settings.get("profit_version") or None,
		"environment_mismatch": mismatch,
		"reported_environment": settings.get("afas_environment") or None,
		"answered_since": afas_answered_at(get_datetime(tested), settings)
		if tested and not ok and not mismatch
		else None,
	}


# ------------------------------------------------------------------ facts: scheduler and workers


def scheduler_state() -> tuple[bool, str | None]:
	"""Whether Frappe's scheduler is on for this site, and if not why: ``maintenance_mode``,
	``pause_scheduler`` or ``disable_scheduler`` (site config) or ``disabled`` (System Settings, as
	``bench --site S disable-scheduler`` and the test runner leave it). The same checks as
	``frappe.utils.scheduler.is_scheduler_inactive``, which says only yes or no."""
	conf = frappe.local.conf
	for flag in ("maintenance_mode", "pause_scheduler", "disable_scheduler"):
		if conf.get(flag):
			return False, flag
	if not cint(frappe.db.get_single_value("System Settings", "enable_scheduler")):
		return False, "disabled"
	return True, None


def background_facts() -> BackgroundFacts:
	"""The scheduler's state, the connector's every-minute job, and per needed queue its workers and
	the oldest job waiting in it. A queue that cannot be read (Redis down) is reported as ``error``."""
	from frappe.utils.background_jobs import get_queues_timeout

	enabled, reason = scheduler_state()
	timeouts = get_queues_timeout()
	facts = BackgroundFacts(
		scheduler_enabled=enabled,
		scheduler_reason=reason,
		timeouts={queue: int(timeouts.get(queue) or 300) for queue in NEEDED_QUEUES},
	)
	tick = frappe.db.get_value(
		"Scheduled Job Type",
		{"method": TICK_METHOD},
		["name", "last_execution", "creation", "stopped"],
		as_dict=True,
	)
	if tick:
		facts.tick_last_run = tick.last_execution
		facts.tick_since = tick.creation
		facts.tick_stopped = bool(tick.stopped)
	else:  # never registered (no migrate since install) or deleted: it never runs
		facts.tick_stopped = True
	try:
		facts.workers = workers_per_queue()
		facts.oldest_job = {queue: oldest_job(queue) for queue in NEEDED_QUEUES}
		facts.jobs = {queue: waiting_jobs(queue) for queue in NEEDED_QUEUES}
	except Exception as exc:  # Redis down or refusing us: report it, never fail the caller
		facts.error = f"{type(exc).__name__}: {exc}"[:300]
		return facts
	facts.tick_queued = bool(tick) and tick_waiting(tick.name)
	return facts


def tick_waiting(job_type: str) -> bool:
	"""Whether the scheduler queued the every-minute job and it waits for a worker (the scheduler runs
	then, however long ago the job last ran). False when that cannot be told."""
	from frappe.utils.background_jobs import is_job_enqueued

	try:
		job_id = frappe.get_doc("Scheduled Job Type", job_type).rq_job_id  # v15 and v16 name it apart
		return bool(is_job_enqueued(job_id))
	except Exception:
		return False


def workers_per_queue() -> dict[str, int]:
	"""How many live RQ workers of this bench listen to each needed queue (Frappe keeps them in Redis;
	a worker started with ``--queue`` listens to fewer)."""
	from frappe.utils.background_jobs import generate_qname, get_redis_conn
	from rq import Worker

	names = {generate_qname(queue): queue for queue in NEEDED_QUEUES}
	counts = dict.fromkeys(NEEDED_QUEUES, 0)
	silent = dt.datetime.now(dt.timezone.utc) - WORKER_SILENT
	for worker in Worker.all(connection=get_redis_conn()):
		beat = worker.last_heartbeat
		if beat and _aware_utc(beat) < silent:
			continue
		for name in worker.queue_names():
			if name in names:
				counts[names[name]] += 1
	return counts


def waiting_notice(queue: str, *, mapping: str | None = None, needs_scheduler: bool = False) -> str | None:
	"""What stops work just queued on ``queue`` from running, and what to do, for the place the user
	queued it (Sync Now, Push to AFAS, Retry, a Queued or Retrying Sync Log, the API answers); None when
	a worker takes jobs from the queue (and, with ``needs_scheduler``, the scheduler is on: a push that
	waits for its next attempt is picked up by the scheduler's sweep). ``mapping``: an inbound run, which
	can also run now in a terminal. The same facts as the health answer's."""
	notices = []
	try:
		workers = workers_per_queue().get(queue, 0)
	except Exception:  # Redis down: nothing runs in the background either
		workers = 0
	if not workers:
		notices.append(
			_(
				"No background worker takes jobs from the {0} queue, so this waits until one does. Start the "
				"workers: bench start in development; in production the workers that bench setup supervisor "
				"(or systemd) sets up."
			).format(queue)
		)
		if mapping:
			notices.append(
				_('To run it now instead: bench --site {0} afas sync "{1}"').format(
					frappe.local.site, mapping
				)
			)
	if needs_scheduler:
		enabled, reason = scheduler_state()
		if not enabled:
			notices.append(_scheduler_advice({"reason": reason}))
	return " ".join(notices) or None


def log_waiting_notice(status: str, direction: str, mapping: str | None = None) -> str | None:
	""":func:`waiting_notice` for a Sync Log: a Queued inbound run waits for the long queue, a Queued
	push for the default queue, a Retrying push also for the scheduler (its sweep sends it again)."""
	if status == "Queued":
		inbound = direction == "Inbound"
		return waiting_notice("long" if inbound else "default", mapping=mapping if inbound else None)
	if status == "Retrying":
		return waiting_notice("default", needs_scheduler=True)
	return None


def oldest_job(queue: str) -> dt.datetime | None:
	"""When the job at the head of ``queue`` (the next to start, of any site of the bench: they wait
	in one line) was queued, in site time; None for an empty queue."""
	from frappe.utils.background_jobs import get_queue

	for job in get_queue(queue).get_jobs(0, 5):
		if job.enqueued_at:
			return convert_utc_to_system_timezone(_aware_utc(job.enqueued_at)).replace(tzinfo=None)
	return None


def waiting_jobs(queue: str) -> int:
	"""How many jobs wait in ``queue`` (of any site of the bench)."""
	from frappe.utils.background_jobs import get_queue

	return int(get_queue(queue).count)


def _aware_utc(moment: dt.datetime) -> dt.datetime:
	"""RQ 1.x keeps naive UTC datetimes, RQ 2.x aware ones."""
	return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


# ------------------------------------------------------------------ messages


def duration(minutes: int | None) -> str:
	"""``45 minutes``, ``3 hours``, ``4 days``."""
	minutes = int(minutes or 0)
	if minutes < 120:
		return _("{0} minutes").format(minutes)
	if minutes < 48 * 60:
		return _("{0} hours").format(minutes // 60)
	return _("{0} days").format(minutes // 1440)


def _when(moment: Any) -> str:
	return frappe.utils.format_datetime(moment) if moment else _("never")


def describe(problem: Problem) -> tuple[str, str]:
	"""``(subject, message)`` of a problem in the current language: what is wrong and what to do."""
	d, m = problem.details, problem.mapping
	kind = problem.kind
	if kind == "credentials":
		return d.get("subject") or _("AFAS refuses the credentials"), d.get("message") or ""
	if kind == "failing_runs":
		return (
			_("{0}: {1} runs failed in a row").format(m, d["count"]),
			_(
				"The last {0} runs of {1} failed: nothing new comes in from AFAS until a run succeeds. "
				"Last error: {2}"
			).format(d["count"], m, d.get("error") or _("none recorded")),
		)
	if kind == "late":
		return (
			_("{0} has not synced for {1}").format(m, duration(d.get("minutes"))),
			_(
				"{0} runs on a schedule ({1}) but has not succeeded since {2}. Check its Sync Logs, and "
				"that the scheduler and a worker for the long queue run."
			).format(m, _schedule_text(d), _when(d.get("last_success"))),
		)
	if kind == "needs_attention":
		return (
			_("{0}: 1 document needs attention").format(m)
			if d["count"] == 1
			else _("{0}: {1} documents need attention").format(m, d["count"]),
			_(
				"AFAS refused the push of {0} documents of {1} for a reason a retry will not fix, or the "
				"answer to it was lost and AFAS may hold them (Outcome Unknown). Open their failed Sync "
				"Logs: fix the document and press Retry, or Resolve an Outcome Unknown."
			).format(d["count"], m),
		)
	if kind == "outbox_backlog":
		return (
			_("{0} changes wait to be sent to AFAS").format(d["pending"]),
			_(
				"The outbox holds {0} changes, more than the {1} set on AFAS Settings: changes come in "
				"faster than they are pushed, or AFAS does not take them (see the Retrying Sync Logs)."
			).format(d["pending"], d["limit"]),
		)
	if kind == "outbox_delay":
		return (
			_("A change has waited {0} to be sent to AFAS").format(duration(d["minutes"])),
			_(
				"The oldest change in the outbox has waited {0}, longer than the {1} minutes set on AFAS "
				"Settings: AFAS may be down or refusing it, or no worker sends it."
			).format(duration(d["minutes"]), d["limit"]),
		)
	if kind == "scheduler":
		return _("The scheduler is not running: scheduled syncs and retries stop"), _scheduler_advice(d)
	if kind == "workers":
		if d.get("error"):
			return (
				_("The background job queue cannot be read"),
				_(
					"Redis, which holds Frappe's job queue, did not answer: {0}. Nothing runs in the background."
				).format(d["error"]),
			)
		queues = ", ".join(d.get("queues") or [])
		return (
			_("No background worker takes jobs from: {0}").format(queues),
			_(
				"No worker takes jobs from these queues: {0}. Pushes and the scheduler's jobs need the "
				"default queue, inbound runs the long queue. Start the workers: bench start in development; "
				"in production the workers that bench setup supervisor (or systemd) sets up."
			).format(queues),
		)
	if kind == "stuck_jobs":
		waits = ", ".join(
			f"{queue}: {duration(minutes)}" for queue, minutes in (d.get("queues") or {}).items()
		)
		return (
			_("Background jobs wait without starting ({0})").format(waits),
			_(
				"A job has waited longer than twice its queue's job timeout without starting ({0}): every "
				"worker of the queue is busy or hung. Restart the workers, or add some."
			).format(waits),
		)
	if kind == "disabled":
		return (
			_("The AFAS connector is switched off"),
			_("Nothing syncs or pushes until Enabled is set on AFAS Settings."),
		)
	return kind, ""


def _schedule_text(details: dict[str, Any]) -> str:
	schedule = details.get("schedule")
	if schedule == "Every N Minutes":
		return _("every {0} minutes").format(details.get("interval_minutes") or 15)
	if schedule == "Cron":
		return _("cron {0}").format(details.get("cron") or "")
	return {"Hourly": _("hourly"), "Daily": _("daily")}.get(schedule or "", schedule or "")


def _scheduler_advice(details: dict[str, Any]) -> str:
	site = frappe.local.site
	reason = details.get("reason")
	if reason == "disabled":
		return _(
			"The scheduler is disabled on this site. Enable it: bench --site {0} enable-scheduler"
		).format(site)
	if reason in ("pause_scheduler", "disable_scheduler"):
		return _(
			"{0} is set in the site's configuration: remove it (bench --site {1} set-config {0} 0)"
		).format(reason, site)
	if reason == "maintenance_mode":
		return _("The site is in maintenance mode: bench --site {0} set-maintenance-mode off").format(site)
	if reason == "job_stopped":
		return _(
			"The connector's scheduled job {0} is stopped or missing: start it under Scheduled Job Type, "
			"or run bench --site {1} migrate"
		).format(TICK_METHOD, site)
	return _(
		"The scheduler is enabled but its every-minute job has not run for {0}: its process is not "
		"running. It is part of bench start in development; in production start the scheduler that bench "
		"setup supervisor (or systemd) sets up."
	).format(duration(details.get("minutes")))


# ------------------------------------------------------------------ the health answer


def health(now: dt.datetime | None = None) -> dict[str, Any]:
	"""The answer of ``api.health``: overall status, problems, the connection test, the background,
	the outbox and every mapping. Times are site time (``time_zone``); no secret is in it."""
	snap = snapshot(now)
	settings = snap.settings
	background = snap.background
	return {
		"status": overall_status(snap.problems),
		"checked_at": snap.now,
		"time_zone": frappe.utils.get_system_timezone(),
		"enabled": snap.enabled,
		"environment": environment(),
		"problems": [_problem_answer(p, snap) for p in snap.problems],
		"connection": connection_state(settings),
		"scheduler": {
			"enabled": background.scheduler_enabled,
			"reason": background.scheduler_reason,
			"last_tick": background.tick_last_run,
			"tick_stopped": background.tick_stopped,
		},
		"queues": {
			queue: {
				"workers": background.workers.get(queue, 0) if not background.error else None,
				# None for an empty queue: no job, so no age (the desk says "empty")
				"jobs": background.jobs.get(queue, 0) if not background.error else None,
				"oldest_job_minutes": minutes_between(background.oldest_job.get(queue), snap.now)
				if background.jobs.get(queue)
				else None,
			}
			for queue in NEEDED_QUEUES
		},
		"queue_error": background.error,
		"outbox": {
			"pending": snap.pending,
			"oldest_pending_minutes": minutes_between(snap.oldest_pending, snap.now),
		},
		"mappings": [_mapping_answer(m, snap.now) for m in snap.mappings],
		"alerts_by_email": has_outgoing_email(),
	}


def has_outgoing_email() -> bool:
	"""Whether the site can send email (an outgoing Email Account, or mail settings in its config):
	without one, alerts reach the desk only."""
	from frappe.email.doctype.email_account.email_account import EmailAccount

	try:
		return bool(EmailAccount.find_outgoing())
	except Exception:
		return False


def _problem_answer(problem: Problem, snap: Snapshot) -> dict[str, Any]:
	subject, message = describe(problem)
	alert = snap.open_alerts.get(problem.key)
	return {
		"key": problem.key,
		"kind": problem.kind,
		"severity": problem.severity,
		"mapping": problem.mapping,
		"subject": subject,
		"message": message,
		"alert": alert.name if alert else None,
		"since": alert.opened_at if alert else None,
	}


def _mapping_answer(m: MappingFacts, now: dt.datetime) -> dict[str, Any]:
	return {
		"name": m.name,
		"direction": m.direction,
		"enabled": m.enabled,
		"schedule": m.schedule,
		"last_success": m.last_success,
		"last_failure": m.last_failure,
		"consecutive_failures": m.consecutive_failures,
		"backlog": m.pending if m.direction == "Outbound" else m.waiting_rows,
		"oldest_pending_minutes": minutes_between(m.oldest_pending, now),
		"needs_attention": m.needs_attention,
	}


def background_summary() -> str:
	"""One short line for the workspace card: ``Running`` (green), or the first background problem
	(red). HTML: a number card puts a custom method's answer into the page as it is, in the card's one
	colour, so the line carries its own."""
	line, ok = _background_line()
	css = "text-success" if ok else "text-danger"
	return f'<span class="afas-background {css}">{frappe.utils.escape_html(line)}</span>'


#: What the workspace's Failures card counts: runs and pushes that failed within this window.
FAILURE_WINDOW = dt.timedelta(hours=24)


def failures_card(now: dt.datetime | None = None) -> dict[str, Any]:
	"""The workspace's Failures (24 h) card: Sync Logs that ended Failed in the last 24 hours (by
	their finishing time), and the list of them it opens. Counted here, in site time: a filter the
	browser computes would depend on its clock and time zone."""
	since = (now or now_datetime()) - FAILURE_WINDOW
	filters = {"status": "Failed", "finished_at": (">", since)}
	return {
		"value": frappe.db.count(LOG, filters),
		"fieldtype": "Int",
		"route": ["List", LOG],
		"route_options": {"status": "Failed", "finished_at": [">", str(since.replace(microsecond=0))]},
	}


def queued_changes_card() -> dict[str, Any]:
	"""The workspace's Queued Changes card: the outbox (outbound changes Queued or Retrying), counted
	here. As a filter card, Frappe 16's workspace counted every outbound log (its number card widget
	dropped the ``in`` filter: 4,921 shown for 1,329 queued); Frappe 15 counted right."""
	filters = {"direction": "Outbound", "status": ("in", ("Queued", "Retrying"))}
	return {
		"value": frappe.db.count(LOG, filters),
		"fieldtype": "Int",
		"route": ["List", LOG],
		"route_options": {"direction": "Outbound", "status": ["in", ["Queued", "Retrying"]]},
	}


def _background_line() -> tuple[str, bool]:
	"""The card's line, and whether the background runs."""
	line = _background_problem_line()
	return (line, False) if line else (_("Running"), True)


def _background_problem_line() -> str | None:
	problems = background_problems(background_facts(), now_datetime())
	if not problems:
		return None
	first = problems[0]
	if first.kind == "scheduler":
		return (
			_("Scheduler off") if first.details.get("reason") != "not_running" else _("Scheduler not running")
		)
	if first.kind == "workers":
		if first.details.get("error"):
			return _("Queue unreadable")
		return _("No worker: {0}").format(", ".join(first.details.get("queues") or []))
	return _("Jobs waiting")
