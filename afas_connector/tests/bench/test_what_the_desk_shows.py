"""Issue 26 §4, what the server computes for the desk: Test Connection against another AFAS
environment than AFAS Settings name, the workspace cards (Failures in the last 24 hours, Queued Changes
of the outbox only, the Background Jobs line and its colour), the queues of the health answer, the
last connection test once AFAS has answered since, and the demo before ERPNext's setup wizard.
The desk itself showing them: ``test_desk_truth.py``."""

from __future__ import annotations

import os
import subprocess
import sys
from unittest import mock

import frappe
from frappe.utils import add_to_date, now_datetime

from afas_connector.simulator import AfasSimulator
from afas_connector.tests.bench.fixtures import IntegrationTestCase, configure, simulator

LOG = "AFAS Sync Log"


def make_log(case, **fields) -> str:
	"""A Sync Log row with ``fields`` written as they are (times included), deleted after the test."""
	from afas_connector.binding.sync_log import create_log

	times = {k: fields.pop(k) for k in ("creation", "modified", "finished_at") if k in fields}
	log = create_log(**fields)
	if times:
		frappe.db.set_value(LOG, log.name, times, update_modified=False)
	frappe.db.commit()
	case.addCleanup(lambda: (frappe.db.delete(LOG, {"name": log.name}), frappe.db.commit()))
	return log.name


class TestConnectionEnvironment(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()  # reports environment 12345, as configure() sets it

	def tearDown(self):
		configure(self.sim)

	def test_another_environment_than_the_settings_name_is_said_loudly(self):
		from afas_connector.binding.connection import test_connection
		from afas_connector.binding.monitoring import health

		configure(self.sim, environment_id="99999", environment_type="Test")
		result = test_connection()
		self.assertTrue(result["ok"], "AFAS answered")
		self.assertTrue(result["environment_mismatch"], result)
		self.assertTrue(result["message"].startswith("Wrong AFAS environment"), result["message"])
		for words in ("12345", "99999 Test", "Record Links"):
			self.assertIn(words, result["message"])
		settings = frappe.get_doc("AFAS Settings")
		self.assertEqual(settings.connection_ok, 0, "the stored status is not OK")
		self.assertTrue(settings.connection_message.startswith("Wrong AFAS environment"))
		self.assertEqual(settings.afas_environment, "12345")
		# a run that succeeds later does not make the mismatch go away
		make_log(
			self, direction="Inbound", status="Success", finished_at=add_to_date(now_datetime(), seconds=5)
		)
		connection = health()["connection"]
		self.assertTrue(connection["environment_mismatch"])
		self.assertFalse(connection["ok"])
		self.assertIsNone(connection["answered_since"])

	def test_the_environment_the_settings_name_is_connected(self):
		from afas_connector.binding.connection import test_connection
		from afas_connector.binding.monitoring import health

		result = test_connection()
		self.assertTrue(result["ok"])
		self.assertFalse(result.get("environment_mismatch"))
		self.assertTrue(result["message"].startswith("Connected to AFAS environment 12345"))
		self.assertEqual(frappe.db.get_single_value("AFAS Settings", "connection_ok"), 1)
		self.assertFalse(health()["connection"]["environment_mismatch"])

	def test_afas_form_of_the_environment_names_its_type(self):
		# AFAS reports an environment as type letter, number, letters: T99999AA is Test 99999
		from afas_connector.binding.connection import test_connection

		sim = AfasSimulator(port=0, env_id="T99999AA").start()
		self.addCleanup(sim.stop)
		configure(sim, environment_id="99999", environment_type="Test")
		result = test_connection()
		self.assertTrue(result["ok"], result)
		self.assertFalse(result.get("environment_mismatch"), result["message"])
		configure(sim, environment_id="99999", environment_type="Production")
		result = test_connection()
		self.assertTrue(result["environment_mismatch"], result["message"])
		self.assertIn("99999 Production", result["message"])


class TestWorkspaceCards(IntegrationTestCase):
	def test_failures_card_counts_the_last_24_hours_only(self):
		from afas_connector.binding.monitoring import failures_card

		before = failures_card()["value"]
		two_days_ago = add_to_date(now_datetime(), days=-2)
		make_log(
			self,
			direction="Inbound",
			status="Failed",
			creation=two_days_ago,
			modified=two_days_ago,
			finished_at=two_days_ago,
		)
		self.assertEqual(failures_card()["value"], before, "a failure of two days ago is not counted")
		make_log(self, direction="Inbound", status="Failed", finished_at=now_datetime())
		card = failures_card()
		self.assertEqual(card["value"], before + 1)
		self.assertEqual(card["route"], ["List", LOG])
		self.assertEqual(card["route_options"]["status"], "Failed")
		self.assertEqual(card["route_options"]["finished_at"][0], ">")
		# the workspace card asks the server, not the browser's clock
		number_card = frappe.get_doc("Number Card", "AFAS Failures 24h")
		self.assertEqual(
			(number_card.type, number_card.method), ("Custom", "afas_connector.api.failures_card")
		)

	def test_queued_changes_counts_the_outbox_only(self):
		from afas_connector import api

		card = frappe.get_doc("Number Card", "AFAS Queued Changes")
		# counted on the server, as Failures (24 h): Frappe 16's workspace dropped the filter card's "in"
		self.assertEqual((card.type, card.method), ("Custom", "afas_connector.api.queued_changes_card"))

		def shown() -> int:
			return int(api.queued_changes_card()["value"])

		before = shown()
		make_log(self, direction="Inbound", status="Queued")
		self.assertEqual(shown(), before, "a queued inbound run is not a queued change")
		make_log(self, direction="Outbound", status="Queued", reference_doctype="Customer")
		make_log(self, direction="Outbound", status="Retrying", reference_doctype="Customer")
		self.assertEqual(shown(), before + 2)

	def test_background_card_is_red_when_something_does_not_run_and_green_when_all_runs(self):
		from afas_connector.binding import monitoring

		# run-tests leaves the scheduler off
		line = monitoring.background_summary()
		self.assertIn('class="afas-background text-danger"', line)
		self.assertIn(frappe.utils.strip_html(line), ("Scheduler off", "No worker: default, long"))
		with mock.patch.object(monitoring, "background_problems", return_value=[]):
			line = monitoring.background_summary()
		self.assertEqual(line, '<span class="afas-background text-success">Running</span>')

	def test_an_empty_queue_has_no_oldest_job(self):
		from afas_connector.binding import monitoring

		with (
			mock.patch.object(monitoring, "waiting_jobs", return_value=0),
			mock.patch.object(monitoring, "oldest_job", return_value=None),
		):
			queues = monitoring.health()["queues"]
		self.assertEqual({q["jobs"] for q in queues.values()}, {0})
		self.assertEqual({q["oldest_job_minutes"] for q in queues.values()}, {None})
		waiting = add_to_date(now_datetime(), minutes=-7)
		with (
			mock.patch.object(monitoring, "waiting_jobs", return_value=2),
			mock.patch.object(monitoring, "oldest_job", return_value=waiting),
		):
			queues = monitoring.health()["queues"]
		self.assertEqual({(q["jobs"], q["oldest_job_minutes"]) for q in queues.values()}, {(2, 7)})


class TestConnectionBanner(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()

	def tearDown(self):
		configure(self.sim)

	def test_a_failed_test_is_over_once_afas_has_answered_since(self):
		import socket

		from afas_connector.binding.connection import test_connection
		from afas_connector.binding.monitoring import health

		with socket.socket() as s:
			s.bind(("127.0.0.1", 0))
			port = s.getsockname()[1]
		configure(self.sim, base_url=f"http://127.0.0.1:{port}/ProfitRestServices", max_attempts=1)
		self.assertFalse(test_connection()["ok"])
		connection = health()["connection"]
		self.assertFalse(connection["ok"])
		self.assertTrue(connection["last_test"], "the desk shows when it was seen")
		self.assertIsNone(connection["answered_since"])
		tested = frappe.db.get_single_value("AFAS Settings", "last_connection_test")
		later = add_to_date(tested, minutes=3)
		make_log(self, direction="Inbound", status="Success", modified=later, finished_at=later)
		self.assertEqual(health()["connection"]["answered_since"], later)


class TestDemoWaitsForTheSetupWizard(IntegrationTestCase):
	def test_run_demo_refuses_and_changes_nothing(self):
		from afas_connector.devtools.demo import SETUP_WIZARD_FIRST, DemoError, run_demo

		settings_before = frappe.db.get_singles_dict("AFAS Settings")
		logs_before = frappe.db.count(LOG)
		with mock.patch.object(frappe, "is_setup_complete", return_value=False):
			with self.assertRaises(DemoError) as refused:
				run_demo(port=0, echo=lambda text: None)
		self.assertEqual(str(refused.exception), SETUP_WIZARD_FIRST)
		self.assertIn("setup wizard", SETUP_WIZARD_FIRST)
		self.assertEqual(frappe.db.get_singles_dict("AFAS Settings"), settings_before)
		self.assertEqual(frappe.db.count(LOG), logs_before)

	def test_the_command_says_so_in_one_sentence_and_fails(self):
		# The site as it is before the wizard (the setup flags of its apps off), for the CLI only.
		apps = frappe.get_all("Installed Application", fields=["name", "is_setup_complete"])
		self.addCleanup(self.restore, apps)
		frappe.db.sql("update `tabInstalled Application` set is_setup_complete=0")
		frappe.db.commit()
		frappe.clear_cache()
		logs_before = frappe.db.count(LOG)
		done = subprocess.run(
			[sys.executable, "-m", "frappe.utils.bench_helper", "frappe", "--site", frappe.local.site]
			+ ["afas", "demo", "--port", "0"],
			cwd=os.path.abspath(frappe.get_site_path("..")),
			capture_output=True,
			text=True,
			timeout=300,
		)
		self.assertNotEqual(done.returncode, 0)
		from afas_connector.devtools.demo import SETUP_WIZARD_FIRST

		self.assertEqual(done.stderr.strip().splitlines()[-1], SETUP_WIZARD_FIRST, done.stderr[-2000:])
		self.assertNotIn("Traceback", done.stderr + done.stdout)
		self.assertNotIn("simulator", done.stdout.lower(), "nothing started")
		self.assertEqual(frappe.db.count(LOG), logs_before)

	@staticmethod
	def restore(apps) -> None:
		for app in apps:
			frappe.db.set_value(
				"Installed Application",
				app.name,
				"is_setup_complete",
				app.is_setup_complete,
				update_modified=False,
			)
		frappe.db.commit()
		frappe.clear_cache()
