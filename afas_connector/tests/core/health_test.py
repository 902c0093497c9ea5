"""The health rules: when a mapping, the outbox or the background counts as a problem, and how bad."""

import datetime as dt

from afas_connector.sync.health import (
	DEGRADED,
	FAILING,
	LATE_GRACE,
	OK,
	BackgroundFacts,
	MappingFacts,
	Problem,
	Thresholds,
	background_problems,
	late_deadline,
	mapping_problems,
	outbox_problems,
	overall_status,
	stuck_after,
)

NOW = dt.datetime(2026, 3, 2, 10, 7)
LIMITS = Thresholds(failed_runs=3, late_factor=3, outbox_size=100, outbox_minutes=60)


def ago(**kwargs):
	return NOW - dt.timedelta(**kwargs)


def keys(problems):
	return [p.key for p in problems]


def inbound(**facts):
	base = {
		"name": "Debtors",
		"direction": "Inbound",
		"schedule": "Every N Minutes",
		"interval_minutes": 15,
		"last_success": ago(minutes=5),
		"expected_since": ago(days=10),
	}
	return MappingFacts(**{**base, **facts})


def healthy_background(**facts):
	base = {
		"scheduler_enabled": True,
		"tick_last_run": ago(minutes=1),
		"workers": {"default": 1, "long": 1},
		"oldest_job": {"default": None, "long": None},
		"timeouts": {"default": 300, "long": 1500},
	}
	return BackgroundFacts(**{**base, **facts})


def test_thresholds_take_defaults_for_missing_or_zero():
	assert Thresholds.of(failed_runs=5, late_factor=0, outbox_size=None) == Thresholds(
		failed_runs=5, late_factor=3, outbox_size=500, outbox_minutes=60
	)
	assert Thresholds.of(outbox_minutes=-4).outbox_minutes == 60


def test_failed_runs_in_a_row_reach_n():
	assert mapping_problems(inbound(consecutive_failures=2), LIMITS, NOW) == []
	problems = mapping_problems(inbound(consecutive_failures=3, last_error="401"), LIMITS, NOW)
	assert keys(problems) == ["failing_runs:Debtors"]
	assert problems[0].severity == DEGRADED
	assert problems[0].details == {"count": 3, "error": "401"}


def test_late_after_k_intervals_plus_grace():
	limit = dt.timedelta(minutes=45) + LATE_GRACE
	assert mapping_problems(inbound(last_success=NOW - limit + dt.timedelta(seconds=1)), LIMITS, NOW) == []
	late = mapping_problems(inbound(last_success=NOW - limit - dt.timedelta(seconds=1)), LIMITS, NOW)
	assert keys(late) == ["late:Debtors"]
	assert late[0].details["minutes"] == 50


def test_never_succeeded_counts_from_when_it_should_have_run():
	assert mapping_problems(inbound(last_success=None, expected_since=ago(minutes=20)), LIMITS, NOW) == []
	assert keys(mapping_problems(inbound(last_success=None, expected_since=ago(hours=2)), LIMITS, NOW)) == [
		"late:Debtors"
	]
	# switched on again a minute ago after a month off: not late yet
	assert (
		mapping_problems(inbound(last_success=ago(days=30), expected_since=ago(minutes=1)), LIMITS, NOW) == []
	)


def test_manual_disabled_and_outbound_mappings_are_never_late():
	assert (
		mapping_problems(inbound(schedule="Manual Only", last_success=None, expected_since=None), LIMITS, NOW)
		== []
	)
	assert (
		mapping_problems(inbound(enabled=False, consecutive_failures=9, last_success=None), LIMITS, NOW) == []
	)
	outbound = MappingFacts(name="Customers", direction="Outbound", consecutive_failures=9)
	assert mapping_problems(outbound, LIMITS, NOW) == []


def test_hourly_daily_and_cron_intervals():
	assert (
		late_deadline("Hourly", interval_minutes=None, cron=None, now=NOW, factor=2)
		== ago(hours=2) - LATE_GRACE
	)
	assert (
		late_deadline("Daily", interval_minutes=None, cron=None, now=NOW, factor=3)
		== ago(days=3) - LATE_GRACE
	)
	# weekdays at 09:00: on Monday 10:07, three scheduled times back is the Thursday before
	assert late_deadline("Cron", interval_minutes=None, cron="0 9 * * 1-5", now=NOW, factor=3) == (
		dt.datetime(2026, 2, 26, 9, 0) - LATE_GRACE
	)
	assert late_deadline("Cron", interval_minutes=None, cron="not cron", now=NOW, factor=3) is None
	assert late_deadline("Manual Only", interval_minutes=None, cron=None, now=NOW, factor=3) is None


def test_outbound_pushes_needing_a_human_are_one_problem_per_mapping():
	m = MappingFacts(name="Customers", direction="Outbound", needs_attention=7)
	problems = mapping_problems(m, LIMITS, NOW)
	assert keys(problems) == ["needs_attention:Customers"]
	assert problems[0].details == {"count": 7}


def test_outbox_backlog_and_delay_with_hysteresis():
	assert outbox_problems(100, ago(minutes=60), LIMITS, NOW) == []
	assert keys(outbox_problems(101, ago(minutes=61), LIMITS, NOW)) == ["outbox_backlog", "outbox_delay"]
	opened = {"outbox_backlog", "outbox_delay"}
	# open problems stay open until under half their threshold
	assert keys(outbox_problems(51, ago(minutes=31), LIMITS, NOW, opened)) == [
		"outbox_backlog",
		"outbox_delay",
	]
	assert outbox_problems(50, ago(minutes=30), LIMITS, NOW, opened) == []
	assert outbox_problems(0, None, LIMITS, NOW, opened) == []


def test_background_all_running_is_no_problem():
	assert background_problems(healthy_background(), NOW) == []


def test_scheduler_disabled_is_failing_with_its_reason():
	problems = background_problems(
		healthy_background(scheduler_enabled=False, scheduler_reason="pause_scheduler"), NOW
	)
	assert [(p.key, p.severity, p.details["reason"]) for p in problems] == [
		("scheduler", FAILING, "pause_scheduler")
	]


def test_scheduler_enabled_but_not_ticking():
	stale = healthy_background(tick_last_run=ago(minutes=11))
	problems = background_problems(stale, NOW)
	assert [(p.key, p.details["reason"], p.details["minutes"]) for p in problems] == [
		("scheduler", "not_running", 11)
	]
	# its job waits in the queue: the scheduler did enqueue it, so it runs
	assert background_problems(healthy_background(tick_last_run=ago(minutes=11), tick_queued=True), NOW) == []
	# never ran: counted from when the job was registered
	assert keys(
		background_problems(healthy_background(tick_last_run=None, tick_since=ago(hours=1)), NOW)
	) == ["scheduler"]
	assert background_problems(healthy_background(tick_last_run=None, tick_since=ago(minutes=3)), NOW) == []
	stopped = background_problems(healthy_background(tick_stopped=True), NOW)
	assert [p.details["reason"] for p in stopped] == ["job_stopped"]


def test_missing_workers_per_queue_and_not_also_stuck():
	facts = healthy_background(workers={"default": 2, "long": 0}, oldest_job={"long": ago(hours=3)})
	problems = background_problems(facts, NOW)
	assert [(p.key, p.details["queues"]) for p in problems] == [("workers", ["long"])]
	# without a default worker the scheduler's job cannot run: only the workers are reported
	none = background_problems(healthy_background(workers={}, tick_last_run=ago(hours=5)), NOW)
	assert [(p.key, p.details["queues"]) for p in none] == [("workers", ["default", "long"])]


def test_a_job_waiting_past_two_timeouts_is_stuck():
	assert stuck_after(300) == dt.timedelta(minutes=10)
	assert stuck_after(1500) == dt.timedelta(minutes=50)
	waiting = healthy_background(oldest_job={"default": ago(minutes=9), "long": ago(minutes=49)})
	assert background_problems(waiting, NOW) == []
	stuck = healthy_background(oldest_job={"default": ago(minutes=11), "long": ago(minutes=51)})
	problems = background_problems(stuck, NOW)
	assert [(p.key, p.severity, p.details) for p in problems] == [
		("stuck_jobs", DEGRADED, {"queues": {"default": 11, "long": 51}})
	]


def test_unreadable_queue_is_failing():
	problems = background_problems(BackgroundFacts(error="Connection refused"), NOW)
	assert [(p.key, p.severity) for p in problems] == [("workers", FAILING)]


def test_overall_status():
	assert overall_status([]) == OK
	degraded = Problem("late:X", "late", DEGRADED)
	failing = Problem("workers", "workers", FAILING)
	assert overall_status([degraded]) == DEGRADED
	assert overall_status([degraded, failing]) == FAILING
