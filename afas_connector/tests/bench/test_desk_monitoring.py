"""Issue 19 in the real desk (headless Chromium): AFAS Settings shows the background state and the
problems in its status block, and the AFAS workspace's card says what does not run.

Needs what ``test_desk_button.py`` needs (built assets, Chromium, Node.js, playwright-core); skipped,
with the reason, where the desk cannot run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import frappe
from frappe.utils.password import update_password

from afas_connector.tests.bench.fixtures import IntegrationTestCase, api_user, configure, simulator
from afas_connector.tests.bench.test_desk_button import CHROMIUM, NODE_DIR, DeskServer, _missing

SCRIPT = os.path.join(os.path.dirname(__file__), "desk", "page_text.cjs")
USER, PASSWORD = "afas-desk-monitor@example.com", "Desk-" + "m4Rk9qT2"


class TestMonitoringInTheDesk(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.missing = _missing()
		cls.server = None
		if cls.missing:
			print(f"\ndesk monitoring test skipped: {cls.missing}", file=sys.stderr)
			return
		configure(simulator())
		api_user(USER, ["AFAS Manager"])
		update_password(USER, PASSWORD)
		frappe.db.commit()
		cls.server = DeskServer()

	@classmethod
	def tearDownClass(cls):
		if cls.server:
			cls.server.stop()
		super().tearDownClass()

	def setUp(self):
		if self.missing:
			self.skipTest(self.missing)

	def test_settings_block_and_workspace_card_show_the_scheduler_off(self):
		# run-tests switches the site's scheduler off, so that is what both must show
		self.assertEqual(frappe.db.get_single_value("System Settings", "enable_scheduler"), 0)
		shots = tempfile.mkdtemp(prefix="afas-desk-monitoring-")
		done = subprocess.run(
			[
				"node",
				SCRIPT,
				self.server.base,
				USER,
				PASSWORD,
				shots,
				"/app/afas-settings=The scheduler is not running",
				"/app/afas=Scheduler off",
			],
			capture_output=True,
			text=True,
			timeout=240,
			env={**os.environ, "NODE_PATH": os.path.join(NODE_DIR, "node_modules"), "CHROMIUM": CHROMIUM},
		)
		lines = done.stdout.strip().splitlines()
		self.assertTrue(lines, f"no output from the browser script: {done.stderr[-1000:]}")
		result = json.loads(lines[-1])
		self.assertTrue(result["ok"], f"{json.dumps(result)[:3000]} (screenshots: {shots})")
		settings = result["pages"]["/app/afas-settings"]
		for words in (
			"Background Jobs and Health",
			"Failing",
			"Scheduler:",
			"Queues:",
			"Outbox:",
			"enable-scheduler",
		):
			self.assertIn(words, settings)
		workspace = result["pages"]["/app/afas"].lower()  # card titles are shown in capitals
		for card in ("syncs today", "queued changes", "background jobs", "open alerts"):
			self.assertIn(card, workspace)
		self.assertNotIn("server error", workspace)
		self.assertEqual(result["errors"], [], "no script errors in the pages")
