"""The "Push to AFAS" button, pressed in the real desk: headless Chromium against this site.

Needs what a desk needs: built assets (``bench build``), Chromium (Debian's ``chromium``), Node.js
and ``playwright-core`` (installed on first use into ~/.cache/afas_connector-ui from the npm
registry). Without them the test is skipped, and says why.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading

import frappe
from frappe.utils.password import update_password

from afas_connector.devtools.samples import new_customer
from afas_connector.tests.bench.fixtures import (
	IntegrationTestCase,
	api_user,
	cleanup_mapping,
	configure,
	isolate_outbound,
	push_mapping,
	restore_outbound,
	simulator,
)

SCRIPT = os.path.join(os.path.dirname(__file__), "desk", "push_to_afas.cjs")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
NODE_DIR = os.path.expanduser("~/.cache/afas_connector-ui")
USER, PASSWORD = "afas-desk@example.com", "Desk-" + "x7Qp2mZ9"


def _missing() -> str | None:
	"""Why the browser test cannot run here, or None."""
	assets = frappe.get_site_path("..", "assets")
	if not os.path.exists(os.path.join(assets, "frappe", "dist")):
		return "desk assets are not built (run `bench build`)"
	if not os.path.exists(os.path.join(assets, "afas_connector", "js", "afas_connector.js")):
		return "sites/assets/afas_connector is missing (run `bench build --app afas_connector`)"
	if not os.path.exists(CHROMIUM):
		return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
	if not shutil.which("node") or not shutil.which("npm"):
		return "no Node.js"
	if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "playwright-core")):
		os.makedirs(NODE_DIR, exist_ok=True)
		done = subprocess.run(
			["npm", "install", "--prefix", NODE_DIR, "--no-audit", "--no-fund", "playwright-core@1"],
			capture_output=True,
			text=True,
			timeout=300,
		)
		if done.returncode:
			return f"could not install playwright-core: {done.stderr.strip()[-300:]}"
	return None


class DeskServer:
	"""frappe's WSGI app with its /assets, as ``bench serve`` runs it, on a free port of 127.0.0.1."""

	def __init__(self) -> None:
		from frappe.app import application
		from werkzeug.middleware.shared_data import SharedDataMiddleware
		from werkzeug.serving import make_server

		site = frappe.local.site
		assets = SharedDataMiddleware(application, {"/assets": frappe.get_site_path("..", "assets")})

		def app(environ, start_response):  # the browser's Host is 127.0.0.1:port: name the site
			environ["HTTP_X_FRAPPE_SITE_NAME"] = site
			return assets(environ, start_response)

		logging.getLogger("werkzeug").setLevel(logging.ERROR)  # not a line per asset in the test output
		self.server = make_server("127.0.0.1", 0, app, threaded=True)
		self.base = f"http://127.0.0.1:{self.server.server_port}"
		threading.Thread(target=self.server.serve_forever, daemon=True).start()

	def stop(self) -> None:
		self.server.shutdown()


class TestDeskButton(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.missing = _missing()
		cls.server = None
		if cls.missing:  # skipped per test (setUp), so the run counts the test among those it ran
			print(f"\ndesk button test skipped: {cls.missing}", file=sys.stderr)
			return
		cls.sim = simulator()
		configure(cls.sim)
		api_user(USER, ["AFAS Manager", "Sales User"])
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
		self.name = "Test Desk " + frappe.generate_hash(length=6)
		self.addCleanup(cleanup_mapping, self.name)
		push_mapping(self.name)
		self.addCleanup(restore_outbound, isolate_outbound(self.name))
		self.customer = new_customer(f"Desk {self.name[-6:]} B.V.")
		self.addCleanup(
			frappe.delete_doc, "Customer", self.customer.name, force=True, ignore_permissions=True
		)
		frappe.db.commit()

	def test_push_to_afas_from_the_form(self):
		shot = os.path.join(tempfile.gettempdir(), "afas-desk-button.png")
		done = subprocess.run(
			["node", SCRIPT, self.server.base, USER, PASSWORD, "Customer", self.customer.name, shot],
			capture_output=True,
			text=True,
			timeout=180,
			env={**os.environ, "NODE_PATH": os.path.join(NODE_DIR, "node_modules"), "CHROMIUM": CHROMIUM},
		)
		lines = done.stdout.strip().splitlines()
		self.assertTrue(lines, f"no output from the browser script: {done.stderr[-1000:]}")
		result = json.loads(lines[-1])
		self.assertTrue(result["ok"], f"{result} (screenshot: {shot})")
		self.assertEqual(result["items"], ["Push to AFAS", "Sync Log"])
		self.assertEqual(result["boot"], ["Customer"])
		self.assertEqual(result["errors"], [], "no script errors in the page")
		frappe.db.commit()  # a fresh snapshot: the server committed on its own connection
		logs = frappe.get_all(
			"AFAS Sync Log",
			filters={"mapping": self.name, "reference_name": self.customer.name},
			fields=["status", "trigger"],
		)
		self.assertEqual([(log.status, log.trigger) for log in logs], [("Queued", "Manual")])
