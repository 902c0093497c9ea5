"""Issue 19 in the real desk (headless Chromium): AFAS Settings shows the background state and the
problems in its status block, and the AFAS workspace's card says what does not run.

Needs what ``desk_browser.py`` says (built assets, Chromium, Node.js, playwright-core); skipped,
with the reason, where the desk cannot run.
"""

from __future__ import annotations

import json
import os
from typing import ClassVar

import frappe

from afas_connector.tests.bench.desk_browser import PASSWORD, SCREENSHOTS, DeskTestCase, run_script

USER = "afas-desk-monitor@example.com"


class TestMonitoringInTheDesk(DeskTestCase):
	desk_users: ClassVar = {USER: (["AFAS Manager"], None)}

	def test_settings_block_and_workspace_card_show_the_scheduler_off(self):
		# run-tests switches the site's scheduler off, so that is what both must show
		self.assertEqual(frappe.db.get_single_value("System Settings", "enable_scheduler"), 0)
		os.makedirs(SCREENSHOTS, exist_ok=True)
		result = run_script(
			"page_text.cjs",
			self.server.base,
			USER,
			PASSWORD,
			SCREENSHOTS,
			"/app/afas-settings=The scheduler is not running",
			"/app/afas=Scheduler off",
			timeout=240,
		)
		self.assertTrue(result["ok"], f"{json.dumps(result)[:3000]} (screenshots: {SCREENSHOTS})")
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
