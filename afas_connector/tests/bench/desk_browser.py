"""Headless Chromium against this site's desk, for the browser tests: the site's WSGI app with its
/assets on a free port, and a node script (playwright-core, Debian's chromium) that drives a flow.

Needs what a desk needs: built assets (``bench build``), Chromium, Node.js and ``playwright-core``
(installed on first use into ~/.cache/afas_connector-ui from the npm registry). ``missing()`` says
why a browser test cannot run here, so it skips with that reason; where the desk is built and Chromium
is here but the app's assets are not, it fails instead: that skip would hide a test that never ran.
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
from typing import Any, ClassVar

import frappe

from afas_connector.tests.bench.fixtures import IntegrationTestCase, api_user, configure, simulator

DESK = os.path.join(os.path.dirname(__file__), "desk")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
NODE_DIR = os.path.expanduser("~/.cache/afas_connector-ui")
USER, PASSWORD = "afas-desk@example.com", "Desk-" + "x7Qp2mZ9"


def missing() -> str | None:
	"""Why the browser test cannot run here, or None."""
	assets = frappe.get_site_path("..", "assets")
	if not os.path.exists(os.path.join(assets, "frappe", "dist")):
		return "desk assets are not built (run `bench build`)"
	if not os.path.exists(CHROMIUM):
		return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
	if not shutil.which("node") or not shutil.which("npm"):
		return "no Node.js"
	if not os.path.exists(os.path.join(assets, "afas_connector", "js", "afas_connector.js")):
		# The desk and Chromium are here: a skip would pass for a test that never ran.
		raise AssertionError(
			"the desk tests must run here (the desk is built, Chromium is here), but sites/assets/afas_connector "
			"is missing: run `bench build --app afas_connector`"
		)
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


#: Screenshots of every browser test's final state, kept after the run.
SCREENSHOTS = os.path.join(tempfile.gettempdir(), "afas-desk-screenshots")


def run_script(script: str, *argv: str, timeout: int = 300) -> dict[str, Any]:
	"""Run ``desk/<script>`` with node and return the JSON line it printed last."""
	done = subprocess.run(
		["node", os.path.join(DESK, script), *argv],
		capture_output=True,
		text=True,
		timeout=timeout,
		env={**os.environ, "NODE_PATH": os.path.join(NODE_DIR, "node_modules"), "CHROMIUM": CHROMIUM},
	)
	lines = done.stdout.strip().splitlines()
	if not lines:
		return {"ok": False, "error": f"no output from the browser script: {done.stderr[-1500:]}"}
	return json.loads(lines[-1])


def screenshot_path(name: str) -> str:
	os.makedirs(SCREENSHOTS, exist_ok=True)
	return os.path.join(SCREENSHOTS, f"{name}.png")


def run_flow(
	case: Any, server: Any, user: str, language: str, flow_name: str, args: dict[str, Any]
) -> dict[str, Any]:
	"""Run one flow of ``desk/flows.cjs`` as ``user`` against ``server``; fail ``case`` unless the
	flow finished without a script error, a 5xx answer or an error dialog. Leaves the screenshot
	``<flow>-<language>.png`` and returns the flow's facts, after a commit (to see what the desk's
	requests committed)."""
	shot = screenshot_path(f"{flow_name}-{language}")
	result = run_script("flows.cjs", server.base, user, PASSWORD, flow_name, shot, frappe.as_json(args))
	print(f"\n  desk flow {flow_name} ({language}): screenshot {shot}", file=sys.stderr)
	case.assertTrue(result.get("ok"), f"{result}")
	case.assertEqual(result["errors"], [])
	frappe.db.commit()
	return result["facts"]


class DeskTestCase(IntegrationTestCase):
	"""Tests that drive the desk in headless Chromium. Where the desk cannot run here every test is
	skipped with the reason (counted among the tests run). Otherwise the simulator is configured, the
	``desk_users`` (email → roles, language) exist and log in with :data:`PASSWORD`, and ``cls.server``
	serves this site."""

	desk_users: ClassVar[dict[str, tuple[list[str], str | None]]] = {USER: (["AFAS Manager"], None)}

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.missing = missing()
		cls.server = None
		if cls.missing:
			print(f"\n{cls.__name__} skipped: {cls.missing}", file=sys.stderr)
			return
		cls.sim = simulator()
		configure(cls.sim)
		for user, (roles, language) in cls.desk_users.items():
			desk_user(user, roles, language)
		cls.server = DeskServer()

	@classmethod
	def tearDownClass(cls):
		if cls.server:
			cls.server.stop()
		super().tearDownClass()

	def setUp(self):
		if self.missing:
			self.skipTest(self.missing)


def desk_user(user: str, roles: list[str], language: str | None = None) -> None:
	"""A desk user with exactly ``roles`` who logs in with :data:`PASSWORD` (committed)."""
	from frappe.utils.password import update_password

	api_user(user, roles)
	if language:
		frappe.db.set_value("User", user, "language", language)
	update_password(user, PASSWORD)
	frappe.db.commit()
