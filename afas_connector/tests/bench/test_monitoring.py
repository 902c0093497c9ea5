"""Issue 19: is the background running (the scheduler, RQ workers, jobs that never start), both ways
with a real worker process; and the health endpoint over real HTTP."""

from __future__ import annotations

import time
import unittest
from collections.abc import Callable

import frappe
from frappe.utils import add_to_date, now_datetime

from afas_connector.devtools.workers import start_workers, stop_workers, worker_output
from afas_connector.tests.bench.fixtures import (
	SECRETS,
	IntegrationTestCase,
	api_user,
	cleanup_mapping,
	configure,
	simulator,
	site_server,
)
from afas_connector.tests.bench.test_alerts import alerts, clear_alerts, evaluate
from afas_connector.tests.bench.test_inbound_sync import debtor_mapping

TICK = "afas_connector.binding.pull.enqueue_due_pulls"


def problems_now(later_minutes: int = 0) -> dict[str, dict]:
	"""The background problems as the rules see them ``later_minutes`` from now: ``{kind: details}``."""
	from afas_connector.binding.monitoring import background_facts
	from afas_connector.sync.health import background_problems

	moment = add_to_date(now_datetime(), minutes=later_minutes)
	return {p.kind: p.details for p in background_problems(background_facts(), moment)}


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
	deadline = time.monotonic() + seconds
	while time.monotonic() < deadline:
		if condition():
			return
		time.sleep(0.3)
	raise AssertionError(f"timed out waiting for {what}")


def status(job) -> str:
	"""An RQ job's status as Redis has it now."""
	return str(getattr(job.get_status(refresh=True), "value", job.get_status()))


def keep_busy(seconds: float) -> None:
	"""A job that holds its worker for a while (run by the worker the test starts)."""
	time.sleep(seconds)


def set_scheduler(enabled: bool) -> None:
	frappe.db.set_single_value("System Settings", "enable_scheduler", int(enabled))
	frappe.db.commit()


class TestSchedulerDetection(IntegrationTestCase):
	"""The scheduler on or off for the site, by each of the switches Frappe has."""

	def tearDown(self):
		set_scheduler(False)  # as run-tests leaves it
		for flag in ("pause_scheduler", "maintenance_mode"):
			frappe.local.conf.pop(flag, None)

	def test_scheduler_off_and_on(self):
		from afas_connector.binding.monitoring import scheduler_state

		# run-tests switches it off in System Settings, as `bench --site S disable-scheduler` does
		self.assertEqual(scheduler_state(), (False, "disabled"))
		self.assertEqual(problems_now()["scheduler"]["reason"], "disabled")
		set_scheduler(True)
		self.assertEqual(scheduler_state(), (True, None))
		self.assertNotIn("scheduler", problems_now())
		frappe.local.conf["pause_scheduler"] = 1
		self.assertEqual(scheduler_state(), (False, "pause_scheduler"))
		self.assertEqual(problems_now()["scheduler"]["reason"], "pause_scheduler")
		frappe.local.conf.pop("pause_scheduler")
		frappe.local.conf["maintenance_mode"] = 1
		self.assertEqual(scheduler_state(), (False, "maintenance_mode"))


class TestWorkersWithARealWorker(IntegrationTestCase):
	"""Starts ``bench worker`` (frappe's own entry point) for the default and long queues, as
	`bench start` and supervisor do, and stops it again."""

	@classmethod
	def setUpClass(cls):
		from afas_connector.binding.monitoring import workers_per_queue

		if any(workers_per_queue().values()):
			raise unittest.SkipTest(
				"workers already run for this bench (bench start?): the no-worker half cannot be shown, "
				"and their queues are not emptied"
			)
		super().setUpClass()
		cls.sim = simulator()
		configure(cls.sim)
		from frappe.utils.background_jobs import get_queue

		for queue in ("default", "long"):
			get_queue(queue).empty()  # jobs earlier tests queued for a worker that never came
		clear_alerts()
		cls.worker = None

	@classmethod
	def tearDownClass(cls):
		cls.stop_worker()
		set_scheduler(False)
		configure(cls.sim)
		clear_alerts()
		super().tearDownClass()

	@classmethod
	def start_worker(cls) -> None:
		"""One worker for both queues this app needs, as ``bench worker --queue default,long`` runs."""
		cls.worker = start_workers(1, queue="default,long")

	@classmethod
	def stop_worker(cls) -> None:
		"""Warm shutdown (SIGTERM), as supervisor stops a worker; the worker deregisters itself."""
		if cls.worker:
			stop_workers(cls.worker, timeout=30)
		cls.worker = None

	def worker_output(self) -> str:
		return worker_output(self.worker or [])

	def test_workers_stuck_jobs_and_the_scheduler_tick_both_ways(self):
		# No worker: both needed queues are reported, and raised as one alert.
		self.assertEqual(problems_now()["workers"]["queues"], ["default", "long"])
		evaluate()
		[opened] = alerts("workers")
		self.assertEqual(opened.status, "Open")

		# A job queued now, with no worker to take it: the missing worker is the problem reported,
		# not also a stuck job.
		job = frappe.enqueue("frappe.ping", queue="default")
		self.assertNotIn("stuck_jobs", problems_now(later_minutes=60))

		self.start_worker()
		wait_for(lambda: "workers" not in problems_now(), f"the worker to register:\n{self.worker_output()}")
		wait_for(
			lambda: status(job) == "finished",
			f"the worker to run the job:\n{self.worker_output()}",
		)
		self.assertNotIn("stuck_jobs", problems_now(later_minutes=60))
		evaluate()
		self.assertEqual([a.status for a in alerts("workers")], ["Resolved"])

		# The worker busy with a long job: the next one waits. An hour on, that is a stuck job.
		busy = frappe.enqueue(f"{__name__}.keep_busy", queue="default", seconds=4)
		wait_for(lambda: status(busy) == "started", "the worker to start the long job")
		waiting = frappe.enqueue("frappe.ping", queue="default")
		self.assertNotIn("stuck_jobs", problems_now(), "just queued")
		self.assertIn("default", problems_now(later_minutes=60)["stuck_jobs"]["queues"])
		wait_for(lambda: status(waiting) == "finished", "the waiting job to run")
		self.assertNotIn("stuck_jobs", problems_now(later_minutes=60))

		# The scheduler enabled, workers there, but its every-minute job has not run for an hour:
		# the scheduler process is not running.
		set_scheduler(True)
		job_type = frappe.get_doc("Scheduled Job Type", {"method": TICK})
		job_type.db_set("last_execution", add_to_date(now_datetime(), hours=-1), update_modified=False)
		frappe.db.commit()
		self.assertEqual(problems_now()["scheduler"]["reason"], "not_running")
		# What the scheduler process does each tick: it queues the job; the worker runs it. The
		# connector is off meanwhile, so the tick queues no inbound run.
		configure(self.sim, enabled=0)
		job_type.enqueue(force=True)
		frappe.db.commit()
		wait_for(
			lambda: "scheduler" not in problems_now(),
			f"the worker to run the scheduled job:\n{self.worker_output()}",
		)
		configure(self.sim)

		# The worker stops: the queues have none again.
		self.stop_worker()
		self.assertEqual(problems_now()["workers"]["queues"], ["default", "long"])


class TestHealthOverHTTP(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()
		configure(cls.sim)
		cls.mapping = "Test Health " + frappe.generate_hash(length=6)
		debtor_mapping(cls.mapping)
		cls.server = site_server()
		cls.manager = api_user("afas-manager@example.com", ["AFAS Manager"])
		cls.monitor = api_user("afas-monitor@example.com", ["AFAS Monitor"])
		cls.plain = api_user("afas-plain@example.com", ["Sales User"])

	@classmethod
	def tearDownClass(cls):
		cleanup_mapping(cls.mapping, "Customer")
		super().tearDownClass()

	def setUp(self):
		frappe.cache.delete_keys("rl:")

	def health(self, auth, **params):
		return self.server.call("afas_connector.api.health", "GET", auth=auth, **params)

	def test_manager_and_monitor_read_it_without_secrets(self):
		from afas_connector.binding.pull import sync_mapping

		self.sim.faults.add(connector="ERP_Debtors", kind="maintenance", times=None, retry_after=7200)
		sync_mapping(self.mapping)
		self.sim.faults.clear()
		sync_mapping(self.mapping)
		sync_mapping(self.mapping)
		for auth in (self.manager, self.monitor):
			response = self.health(auth)
			self.assertEqual(response.status_code, 200, response.text[:300])
			body = response.json()["message"]
			self.assertIn(body["status"], ("ok", "degraded", "failing"))
			for key in ("problems", "connection", "scheduler", "queues", "outbox", "mappings", "enabled"):
				self.assertIn(key, body)
			self.assertEqual(set(body["queues"]), {"default", "long"})
			self.assertTrue(body["connection"]["last_test"] is None or "ok" in body["connection"])
			[mine] = [m for m in body["mappings"] if m["name"] == self.mapping]
			self.assertTrue(mine["last_success"])
			self.assertTrue(mine["last_failure"])
			self.assertLess(mine["last_failure"], mine["last_success"])
			self.assertEqual(mine["consecutive_failures"], 0)
			for field in ("backlog", "oldest_pending_minutes", "direction", "enabled"):
				self.assertIn(field, mine)
			for secret in SECRETS:
				self.assertNotIn(secret, response.text)
			# run-tests switches the site's scheduler off: that is failing, and says so
			kinds = {p["kind"] for p in body["problems"]}
			self.assertIn("scheduler", kinds)
			self.assertFalse(body["scheduler"]["enabled"])
			self.assertEqual(body["status"], "failing")
			self.assertTrue(all(p["subject"] and p["message"] for p in body["problems"]))

	def test_http_status_503_only_when_asked(self):
		self.assertEqual(self.health(self.monitor).status_code, 200)
		response = self.health(self.monitor, http_status=1)
		self.assertEqual(response.status_code, 503)
		self.assertEqual(response.json()["message"]["status"], "failing")

	def test_plain_user_and_guest_get_403_and_the_monitor_nothing_else(self):
		self.assertEqual(self.health(self.plain).status_code, 403)
		self.assertEqual(self.health(None).status_code, 403)
		self.assertEqual(
			self.server.call("afas_connector.api.sync_status", "GET", auth=self.monitor).status_code, 403
		)
		self.assertEqual(
			self.server.call("afas_connector.api.health", "POST", auth=self.manager).status_code,
			403,
			"GET only",
		)

	def test_rate_limit_gives_429(self):
		statuses = [self.health(self.monitor).status_code for _ in range(31)]
		self.assertEqual(statuses[:30], [200] * 30)
		self.assertEqual(statuses[30], 429)

	def test_workspace_card_says_what_is_not_running(self):
		response = self.server.call("afas_connector.api.background_card", "GET", auth=self.manager)
		self.assertEqual(response.status_code, 200, response.text[:300])
		line = response.json()["message"]  # HTML: the card shows it as it is, in its own colour
		self.assertIn(frappe.utils.strip_html(line), ("Scheduler off", "No worker: default, long"))
		self.assertTrue(line.startswith('<span class="afas-background text-danger">'), line)
		self.assertEqual(
			self.server.call("afas_connector.api.background_card", "GET", auth=self.plain).status_code, 403
		)
