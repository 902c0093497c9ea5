"""Issue 26 §4 in the real desk (headless Chromium): what the desk shows must be true. The workspace's
cards (failures of the last 24 hours, the outbox's queued changes, a red line when nothing runs), AFAS
Settings' queues ("empty", not "oldest job 0 min") and its connection headline (with its time, gone
once AFAS has answered since; loud when AFAS answers as another environment), Test Connection against
another environment, and Sync Logs without an empty Error section.

Needs what ``desk_browser.py`` says (built assets, Chromium, Node.js, playwright-core); skipped, with
the reason, where the desk cannot run. Screenshots: ``desk_browser.SCREENSHOTS``/truth-*.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from typing import ClassVar
from unittest import mock

import frappe
from frappe.utils import add_to_date, now_datetime

from afas_connector.tests.bench.desk_browser import PASSWORD, SCREENSHOTS, DeskTestCase, run_script
from afas_connector.tests.bench.fixtures import configure
from afas_connector.tests.bench.test_what_the_desk_shows import LOG, make_log

USER = "afas-desk-truth@example.com"


def red(colour: str) -> bool:
	"""``rgb(r, g, b)`` that reads as red."""
	r, g, b = (int(v) for v in colour[colour.index("(") + 1 : colour.index(")")].split(",")[:3])
	return r > 150 and r > g + 60 and r > b + 60


class TestTheDeskTellsTheTruth(DeskTestCase):
	desk_users: ClassVar = {USER: (["AFAS Manager"], None)}

	def tearDown(self):
		configure(self.sim)

	def desk(self, name: str, *steps: dict) -> list[dict]:
		shots = os.path.join(SCREENSHOTS, f"truth-{name}")
		os.makedirs(shots, exist_ok=True)
		result = run_script(
			"desk_truth.cjs", self.server.base, USER, PASSWORD, shots, json.dumps(steps), timeout=300
		)
		print(f"\n  desk truth {name}: screenshots in {shots}", file=sys.stderr)
		self.assertTrue(result.get("ok"), f"{json.dumps(result)[:3000]} (screenshots: {shots})")
		frappe.db.commit()
		return result["facts"]

	def test_workspace_cards_count_what_they_say_and_nothing_running_is_red(self):

		two_days_ago = add_to_date(now_datetime(), days=-2)
		make_log(self, direction="Inbound", status="Failed", creation=two_days_ago, finished_at=two_days_ago)
		make_log(self, direction="Inbound", status="Failed", finished_at=now_datetime())
		make_log(self, direction="Inbound", status="Queued")
		make_log(self, direction="Outbound", status="Queued", reference_doctype="Customer")
		frappe.db.commit()  # count what the desk's requests see: the latest committed rows, not an old snapshot
		recent = frappe.db.count(
			LOG, {"status": "Failed", "finished_at": (">", add_to_date(now_datetime(), hours=-24))}
		)
		ever = frappe.db.count(LOG, {"status": "Failed"})
		outbox = frappe.db.count(LOG, {"direction": "Outbound", "status": ("in", ("Queued", "Retrying"))})
		queued = frappe.db.count(LOG, {"status": ("in", ("Queued", "Retrying"))})
		self.assertLess(recent, ever)
		self.assertLess(outbox, queued)
		from afas_connector.binding import monitoring

		self.assertEqual(monitoring.queued_changes_card()["value"], outbox)

		(cards,) = self.desk("workspace", {"step": "workspace"})
		shown = {c["title"].lower(): c for c in cards}
		self.assertEqual(shown["failures (24 h)"]["text"], str(recent), cards)
		self.assertEqual(shown["queued changes"]["text"], str(outbox), cards)
		background = shown["background jobs"]
		self.assertIn(background["text"], ("Scheduler off", "No worker: default, long"))  # run-tests: off
		self.assertIn("text-danger", background["css"])
		self.assertTrue(red(background["color"]), background)

	def test_settings_say_empty_for_an_empty_queue(self):
		from afas_connector.binding import monitoring

		# the desk's server runs in this process: its queues are empty as far as it can tell
		with (
			mock.patch.object(monitoring, "waiting_jobs", return_value=0),
			mock.patch.object(monitoring, "oldest_job", return_value=None),
		):
			(settings,) = self.desk("empty-queue", {"step": "settings", "expect": "Queues:"})
		self.assertIn("default: 0 workers, empty; long: 0 workers, empty", settings["status"])
		self.assertNotIn("oldest job", settings["status"])

	def test_a_failed_connection_test_shows_its_time_and_is_gone_once_afas_answered(self):
		from afas_connector.binding.connection import test_connection

		with socket.socket() as s:
			s.bind(("127.0.0.1", 0))
			port = s.getsockname()[1]
		configure(self.sim, base_url=f"http://127.0.0.1:{port}/ProfitRestServices", max_attempts=1)
		self.assertFalse(test_connection()["ok"])
		frappe.db.commit()
		tested = frappe.db.get_single_value("AFAS Settings", "last_connection_test")
		message = frappe.db.get_single_value("AFAS Settings", "connection_message")
		(down,) = self.desk("afas-down", {"step": "settings", "expect": "Test Connection, "})
		self.assertIn(message[:40], down["headline"])
		self.assertIn("text-danger", down["headline_css"])
		self.assertRegex(down["headline"], r"^Test Connection, \d", "when it was seen")

		later = add_to_date(tested, minutes=2)
		make_log(self, direction="Inbound", status="Success", modified=later, finished_at=later)
		(back,) = self.desk("afas-back", {"step": "settings", "expect": "AFAS answered at"})
		self.assertNotIn(message[:40], back["headline"])
		self.assertIn("text-success", back["headline_css"])

	def test_test_connection_to_another_environment_is_red(self):
		configure(self.sim, environment_id="99999", environment_type="Test")  # the simulator is 12345
		dialog, settings = self.desk(
			"wrong-environment",
			{"step": "test_connection", "button": "Test Connection"},
			{"step": "settings", "expect": "Wrong AFAS environment"},
		)
		self.assertEqual(dialog["title"], "Wrong AFAS environment", dialog)
		self.assertIn("red", dialog["indicator"])
		self.assertIn("12345", dialog["body"])
		self.assertIn("99999 Test", dialog["body"])
		self.assertIn("Wrong AFAS environment", settings["headline"])
		self.assertIn("text-danger", settings["headline_css"])
		self.assertTrue(red(settings["headline_color"]), settings)

	def test_logs_show_an_error_section_only_with_an_error(self):
		success = make_log(
			self,
			direction="Outbound",
			status="Success",
			reference_doctype="Customer",
			http_method="POST",
			attempts=1,
			finished_at=now_datetime(),
			record_errors="[]",
		)
		queued = make_log(self, direction="Inbound", status="Queued")
		failed = make_log(
			self, direction="Inbound", status="Failed", error="AFAS said no", finished_at=now_datetime()
		)
		shown = self.desk(
			"log-sections",
			{"step": "log", "name": success},
			{"step": "log", "name": queued},
			{"step": "log", "name": failed},
		)
		sections = {log["status"]: log["sections"] for log in shown}
		self.assertNotIn("Error", sections["Success"], shown)
		self.assertNotIn("Error", sections["Queued"], shown)
		self.assertIn("Error", sections["Failed"], shown)
