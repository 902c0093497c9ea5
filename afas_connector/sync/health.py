"""Is the connector healthy? Pure rules over facts the frappe layer gathers (``binding/monitoring.py``).

Each rule turns facts into :class:`Problem` objects with a stable ``key``: one key is one problem, so
the alerts (``binding/alerts.py``) keep one AFAS Alert open per key and the health answer lists the
same problems. Nothing here reads the database, Redis or the clock: ``now`` is always passed in,
naive, in the site's time zone (as Frappe stores datetimes).

Severities: **failing** when nothing can sync (AFAS refuses the credentials, no scheduler, no
worker); **degraded** when something needs attention while the rest runs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from croniter import croniter

OK = "ok"
DEGRADED = "degraded"
FAILING = "failing"

#: The queues the connector's jobs use: pushes and the scheduler's ticks on ``default``, inbound
#: runs on ``long``. Each needs at least one worker.
NEEDED_QUEUES = ("default", "long")
#: Added to K intervals before a scheduled mapping counts as late: the scheduler's one-minute tick
#: and the run itself.
LATE_GRACE = dt.timedelta(minutes=5)
#: The scheduler's every-minute job has not run for this long although workers are there: the
#: scheduler process is not running.
TICK_STALE = dt.timedelta(minutes=10)
#: A job waiting longer than this many of its queue's job timeouts (at least 10 minutes) never got
#: a worker: they are all busy or hung.
STUCK_TIMEOUTS = 2
STUCK_MINIMUM = dt.timedelta(minutes=10)

#: Outbound pushes that need a human: AFAS refused them for a reason a retry cannot fix, or their
#: answer was lost and AFAS may hold the record.
NEEDS_HUMAN = ("Failed", "Outcome Unknown")


@dataclass(frozen=True)
class Thresholds:
	"""N, K, X and Y of AFAS Settings (0 or less means the default)."""

	failed_runs: int = 3  # N: failed runs in a row
	late_factor: int = 3  # K: intervals without a success
	outbox_size: int = 500  # X: changes waiting
	outbox_minutes: int = 60  # Y: minutes the oldest change has waited

	@classmethod
	def of(cls, **values: Any) -> Thresholds:
		"""Thresholds from settings values; missing, zero or negative values take the default."""
		defaults = cls()
		return cls(
			**{
				name: int(values.get(name) or 0)
				if int(values.get(name) or 0) > 0
				else getattr(defaults, name)
				for name in ("failed_runs", "late_factor", "outbox_size", "outbox_minutes")
			}
		)


@dataclass
class MappingFacts:
	"""What the Sync Logs say about one mapping. Datetimes are naive, site time."""

	name: str
	direction: str
	enabled: bool = True
	schedule: str | None = None
	interval_minutes: int | None = None
	cron: str | None = None
	last_success: dt.datetime | None = None
	last_failure: dt.datetime | None = None
	last_error: str | None = None
	#: Failed runs (inbound) or pushes (outbound) since the last success.
	consecutive_failures: int = 0
	#: Outbound changes not yet sent (Queued, Retrying, Running) and the oldest one's creation.
	pending: int = 0
	oldest_pending: dt.datetime | None = None
	#: Outbound: documents whose push failed or has an unknown outcome, not overtaken by a success.
	needs_attention: int = 0
	#: Inbound: AFAS rows that failed and wait to be read again.
	waiting_rows: int = 0
	#: Since when the mapping should have been running: its last change, or the connector's.
	expected_since: dt.datetime | None = None


@dataclass
class BackgroundFacts:
	"""Frappe's scheduler and RQ workers as seen from the site."""

	scheduler_enabled: bool = True
	#: Why not: ``disabled`` (System Settings), ``disable_scheduler`` / ``pause_scheduler`` (site
	#: config) or ``maintenance_mode``.
	scheduler_reason: str | None = None
	#: The connector's every-minute scheduled job: when it last ran, when it was registered, whether
	#: it is stopped (Scheduled Job Type) and whether it waits in a queue now.
	tick_last_run: dt.datetime | None = None
	tick_since: dt.datetime | None = None
	tick_stopped: bool = False
	tick_queued: bool = False
	#: Workers listening per queue, and when the oldest job still waiting in it was queued.
	workers: dict[str, int] = field(default_factory=dict)
	oldest_job: dict[str, dt.datetime | None] = field(default_factory=dict)
	#: Jobs waiting per queue (of every site of the bench: they wait in one line).
	jobs: dict[str, int] = field(default_factory=dict)
	#: Job timeout (seconds) per queue.
	timeouts: dict[str, int] = field(default_factory=dict)
	#: The job queue (Redis) could not be read.
	error: str | None = None


@dataclass(frozen=True)
class Problem:
	"""One problem. ``key`` names it (one open alert per key); ``details`` are for the message."""

	key: str
	kind: str
	severity: str
	mapping: str | None = None
	details: dict[str, Any] = field(default_factory=dict)
	#: False for states the health answer reports but nobody is alerted about (the connector off).
	alert: bool = True


def minutes_between(start: dt.datetime | None, end: dt.datetime) -> int | None:
	"""Whole minutes from ``start`` to ``end`` (never negative), or None without a start."""
	if start is None:
		return None
	return max(0, int((end - start).total_seconds() // 60))


def late_deadline(
	schedule: str | None,
	*,
	interval_minutes: int | None,
	cron: str | None,
	now: dt.datetime,
	factor: int,
) -> dt.datetime | None:
	"""A scheduled mapping whose last success is before this moment is late: K intervals (for a cron
	schedule, K scheduled times) plus :data:`LATE_GRACE` have passed without one. None for a mapping
	that is not scheduled (Manual Only, or an invalid cron expression)."""
	factor = max(1, int(factor))
	if schedule == "Cron":
		if not cron or not croniter.is_valid(cron):
			return None
		times = croniter(cron, now)
		moment = now
		for _ in range(factor):
			moment = times.get_prev(dt.datetime)
		return moment - LATE_GRACE
	minutes = {"Every N Minutes": max(1, int(interval_minutes or 15)), "Hourly": 60, "Daily": 1440}.get(
		schedule or ""
	)
	if minutes is None:
		return None
	return now - dt.timedelta(minutes=minutes * factor) - LATE_GRACE


def mapping_problems(m: MappingFacts, limits: Thresholds, now: dt.datetime) -> list[Problem]:
	"""An enabled inbound mapping: N failed runs in a row, or no success for K intervals. An enabled
	outbound mapping: pushes that need a human (one problem per mapping, however many documents)."""
	if not m.enabled:
		return []
	problems = []
	if m.direction == "Inbound":
		if m.consecutive_failures >= limits.failed_runs:
			problems.append(
				Problem(
					f"failing_runs:{m.name}",
					"failing_runs",
					DEGRADED,
					m.name,
					{"count": m.consecutive_failures, "error": m.last_error or ""},
				)
			)
		deadline = late_deadline(
			m.schedule, interval_minutes=m.interval_minutes, cron=m.cron, now=now, factor=limits.late_factor
		)
		since = max((t for t in (m.last_success, m.expected_since) if t), default=None)
		if deadline is not None and (since is None or since < deadline):
			problems.append(
				Problem(
					f"late:{m.name}",
					"late",
					DEGRADED,
					m.name,
					{
						"last_success": m.last_success,
						"minutes": minutes_between(since, now),
						"schedule": m.schedule,
						"interval_minutes": m.interval_minutes,
						"cron": m.cron,
					},
				)
			)
	elif m.needs_attention:
		problems.append(
			Problem(
				f"needs_attention:{m.name}", "needs_attention", DEGRADED, m.name, {"count": m.needs_attention}
			)
		)
	return problems


def outbox_problems(
	pending: int,
	oldest_pending: dt.datetime | None,
	limits: Thresholds,
	now: dt.datetime,
	open_keys: set[str] | frozenset[str] = frozenset(),
) -> list[Problem]:
	"""More than X changes wait, or the oldest has waited more than Y minutes. An open problem stays
	open until its figure is back under *half* its threshold, so a backlog hovering around X does not
	raise and resolve at every evaluation."""
	problems = []
	size_limit = limits.outbox_size // 2 if "outbox_backlog" in open_keys else limits.outbox_size
	if pending > size_limit:
		problems.append(
			Problem(
				"outbox_backlog",
				"outbox_backlog",
				DEGRADED,
				None,
				{"pending": pending, "limit": limits.outbox_size},
			)
		)
	age = minutes_between(oldest_pending, now)
	age_limit = limits.outbox_minutes // 2 if "outbox_delay" in open_keys else limits.outbox_minutes
	if age is not None and age > age_limit:
		problems.append(
			Problem(
				"outbox_delay",
				"outbox_delay",
				DEGRADED,
				None,
				{"minutes": age, "limit": limits.outbox_minutes},
			)
		)
	return problems


def stuck_after(timeout_seconds: int | None) -> dt.timedelta:
	"""How long a job may wait in a queue with that job timeout before it counts as stuck."""
	return max(STUCK_MINIMUM, dt.timedelta(seconds=STUCK_TIMEOUTS * int(timeout_seconds or 300)))


def background_problems(b: BackgroundFacts, now: dt.datetime) -> list[Problem]:
	"""The scheduler off or not running, a needed queue without a worker, a job that never started.

	A queue without workers is reported as that, not also as stuck jobs: it is one cause. That the
	scheduler *process* is not running shows only where workers are there: without them its
	every-minute job cannot run either, and the missing worker is what to fix first."""
	if b.error:
		return [
			Problem("workers", "workers", FAILING, None, {"error": b.error, "queues": list(NEEDED_QUEUES)})
		]
	problems = []
	if not b.scheduler_enabled:
		problems.append(
			Problem("scheduler", "scheduler", FAILING, None, {"reason": b.scheduler_reason or "disabled"})
		)
	missing = [queue for queue in NEEDED_QUEUES if not b.workers.get(queue)]
	if missing:
		problems.append(Problem("workers", "workers", FAILING, None, {"queues": missing}))
	if b.scheduler_enabled:
		last = b.tick_last_run or b.tick_since
		if b.tick_stopped:
			problems.append(Problem("scheduler", "scheduler", FAILING, None, {"reason": "job_stopped"}))
		elif "default" not in missing and not b.tick_queued and last is not None and now - last > TICK_STALE:
			problems.append(
				Problem(
					"scheduler",
					"scheduler",
					FAILING,
					None,
					{
						"reason": "not_running",
						"last_run": b.tick_last_run,
						"minutes": minutes_between(last, now),
					},
				)
			)
	stuck = {
		queue: minutes_between(queued, now)
		for queue, queued in sorted(b.oldest_job.items())
		if queued and queue not in missing and now - queued > stuck_after(b.timeouts.get(queue))
	}
	if stuck:
		problems.append(Problem("stuck_jobs", "stuck_jobs", DEGRADED, None, {"queues": stuck}))
	return problems


def overall_status(problems: list[Problem]) -> str:
	"""``failing`` if any problem is failing, ``degraded`` if there is any other, else ``ok``."""
	if any(p.severity == FAILING for p in problems):
		return FAILING
	return DEGRADED if problems else OK
