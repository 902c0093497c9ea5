"""Issue 23 §3, the token goes only to AFAS: an AFAS Manager over HTTP cannot send the stored token
to an address of their choosing, nor read another service's answers through the connector.

The listener (``tests/listener.py``) is a real server on 127.0.0.1 that is not AFAS; the manager
works as the desk does: the REST resource, ``savedocs`` with the form's document, the API methods.
"""

from __future__ import annotations

import json
from typing import Any

import frappe
import requests

from afas_connector.simulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TOKEN
from afas_connector.tests.bench.fixtures import (
	SECRETS,
	IntegrationTestCase,
	api_user,
	cleanup_mapping,
	configure,
	record_attack,
	simulator,
	site_server,
)
from afas_connector.tests.bench.test_inbound_sync import debtor_mapping
from afas_connector.tests.listener import Listener

SETTINGS = "AFAS Settings"
RULE = "The token goes only to the AFAS endpoint it was entered for"
#: What an internal service answers; it must never come back through the connector.
INTERNAL = "INTERNAL-SERVICE-BODY db_password=hunter2"
HTML = f"<!doctype html><html><body><p>{INTERNAL}</p>{'x' * 5000}</body></html>".encode()


class TokenScopeCase(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()
		cls.server = site_server()
		cls.manager = api_user("afas-token-scope@example.com", ["AFAS Manager"])

	def setUp(self):
		configure(self.sim)
		frappe.cache.delete_keys("rl:")
		self.addCleanup(configure, self.sim)

	def headers(self) -> dict[str, str]:
		key, secret = self.manager
		return {
			"Host": self.server.site,
			"Accept": "application/json",
			"Authorization": f"token {key}:{secret}",
		}

	def put_settings(self, **values: Any) -> requests.Response:
		"""Save the settings with only ``values`` changed, as a REST client would."""
		url = f"{self.server.base}/api/resource/{SETTINGS}/{SETTINGS}"
		return requests.put(url, json=values, headers=self.headers(), timeout=30)

	def save_as_the_desk(self, **values: Any) -> requests.Response:
		"""Save as the form does: the document as loaded (the token as asterisks), ``values`` changed.
		Loaded again when another test process saved the settings in between (one site, one settings)."""
		url = f"{self.server.base}/api/resource/{SETTINGS}/{SETTINGS}"
		for _attempt in range(3):
			doc = requests.get(url, headers=self.headers(), timeout=30).json()["data"]
			self.assertEqual(set(doc["token"]), {"*"}, "the form never holds the token")
			doc.update(values)
			response = requests.post(
				f"{self.server.base}/api/method/frappe.desk.form.save.savedocs",
				data={"doc": json.dumps(doc), "action": "Save"},
				headers=self.headers(),
				timeout=30,
			)
			if "TimestampMismatchError" not in response.text:
				break
		return response

	def call(self, method: str, http: str = "POST") -> requests.Response:
		frappe.cache.delete_keys("rl:")
		return self.server.call(f"afas_connector.api.{method}", http, auth=self.manager)

	def stored(self, fieldname: str) -> Any:
		frappe.db.commit()  # see what the site's own requests committed
		return frappe.db.get_single_value(SETTINGS, fieldname)


class TestTheTokenStaysWithItsAddress(TokenScopeCase):
	def test_a_manager_cannot_point_the_stored_token_at_a_listener(self):
		"""The attack of the issue: change Base URL, keep the token, press Test Connection."""
		with Listener() as listener:
			attempts = {
				"REST: Base URL": self.put_settings(base_url=listener.base_url),
				"desk: Base URL": self.save_as_the_desk(base_url=listener.base_url),
				"REST: Base URL with the token's asterisks": self.put_settings(
					base_url=listener.base_url, token="*" * 12
				),
				"REST: Environment ID": self.put_settings(environment_id="54321"),
				"desk: Environment Type": self.save_as_the_desk(environment_type="Test"),
			}
			for attempt, response in attempts.items():
				self.assertEqual(response.status_code, 417, f"{attempt}: {response.text[:300]}")
				self.assertIn(RULE, response.text, attempt)
			self.assertEqual(self.stored("base_url"), self.sim.base_url)
			self.assertEqual(self.stored("environment_id"), "12345")
			tested = self.call("test_connection")
			self.assertTrue(tested.json()["message"]["ok"], tested.text[:300])
			self.assertEqual(self.call("get_connectors", "GET").status_code, 200)
			self.assertEqual(listener.authorizations(), [])
			self.assertEqual(listener.seen, [])
		record_attack(
			"the stored token pointed at a listener (Base URL changed, token not re-entered)", refused=True
		)

	def test_the_oauth_client_secret_stays_with_its_address_too(self):
		configure(
			self.sim,
			auth_method="OAuth2 Client Credentials",
			client_id=DEMO_CLIENT_ID,
			client_secret=DEMO_CLIENT_SECRET,
		)
		with Listener() as listener:
			response = self.save_as_the_desk(base_url=listener.base_url)
			self.assertEqual(response.status_code, 417, response.text[:300])
			self.assertIn(RULE, response.text)
			self.assertIn("Client Secret", response.text)
			self.call("test_connection")
			self.assertEqual(listener.seen, [], "not even the OAuth token request")
		record_attack("the stored OAuth client secret pointed at another address", refused=True)

	def test_entering_the_token_again_in_the_same_save_works(self):
		"""Moving to another address is one save with the token; a secret not entered for the new
		address (the OAuth client secret here) is forgotten."""
		configure(self.sim, client_id="erpnext", client_secret="kept-secret-123")
		elsewhere = self.sim.base_url.replace("127.0.0.1", "localhost")
		response = self.put_settings(base_url=elsewhere, token=DEMO_TOKEN)
		self.assertEqual(response.status_code, 200, response.text[:300])
		for secret in SECRETS:
			self.assertNotIn(secret, response.text)
		self.assertEqual(self.stored("base_url"), elsewhere)
		self.sim.clear_requests()
		tested = self.call("test_connection").json()["message"]
		self.assertTrue(tested["ok"], tested)
		self.assertTrue(self.sim.requests, "the simulator at the new address was asked")
		settings = frappe.get_doc(SETTINGS)
		self.assertEqual(settings.get_password("token"), DEMO_TOKEN)
		self.assertIsNone(settings.get_password("client_secret", raise_exception=False))
		response = self.save_as_the_desk(environment_id="23456", token=DEMO_TOKEN)
		self.assertEqual(response.status_code, 200, response.text[:300])

	def test_plain_http_is_only_for_this_machine(self):
		response = self.put_settings(base_url="http://10.1.2.3/ProfitRestServices", token=DEMO_TOKEN)
		self.assertEqual(response.status_code, 417, response.text[:300])
		self.assertIn("127.0.0.0/8", response.text)
		other_loopback = self.sim.base_url.replace("127.0.0.1", "127.0.0.2")
		response = self.put_settings(base_url=other_loopback, token=DEMO_TOKEN)
		self.assertEqual(response.status_code, 200, response.text[:300])
		description = frappe.get_meta(SETTINGS).get_field("base_url").description
		self.assertIn("127.0.0.0/8", description)
		record_attack("plain http:// Base URL to another host", refused=True)


class TestOnlyAfasIsAnswered(TokenScopeCase):
	def test_a_redirect_is_refused_and_names_its_target(self):
		with Listener() as listener:
			target = f"http://127.0.0.1:{listener.port}/steal"
			listener.answer = (302, {"Location": target}, b"")
			listener.routes["/steal"] = (200, {"Content-Type": "application/json"}, b'{"getConnectors": []}')
			response = self.put_settings(base_url=listener.base_url, token=DEMO_TOKEN)
			self.assertEqual(response.status_code, 200, response.text[:300])
			tested = self.call("test_connection").json()["message"]
			self.assertFalse(tested["ok"])
			self.assertIn(target, tested["message"])
			self.assertIn("redirect", tested["message"])
			listed = self.call("get_connectors", "GET")
			self.assertEqual(listed.status_code, 417, listed.text[:300])
			self.assertIn(target, listed.text)
			self.assertEqual(listener.received("/steal"), [], "the redirect was followed")
			self.assertTrue(listener.received("/metainfo"), "the listener was asked, and answered a redirect")
		record_attack("a redirect that would carry the credentials", refused=True)

	def test_an_answer_that_is_not_afas_is_not_echoed(self):
		name = "Test Token Scope " + frappe.generate_hash(length=6)
		self.addCleanup(cleanup_mapping, name, "Customer")
		debtor_mapping(name)  # saved against the simulator: a mapping checks its fields with AFAS
		answers = {
			"a page": (200, {"Content-Type": "text/html"}, HTML),
			"JSON of another shape": (
				200,
				{"Content-Type": "application/json"},
				json.dumps({"info": {"envid": INTERNAL}, "rows_": [INTERNAL]}).encode(),
			),
			"an error of another service": (
				500,
				{"Content-Type": "application/json"},
				json.dumps({"message": INTERNAL, "stack": ["app.py", "db.py"]}).encode(),
			),
		}
		with Listener() as listener:
			configure(self.sim, base_url=listener.base_url, max_attempts=1)
			for what, answer in answers.items():
				listener.answer = answer
				for method, http in (("test_connection", "POST"), ("get_connectors", "GET")):
					response = self.call(method, http)
					self.assertNotIn(INTERNAL, response.text, f"{what}: {method}")
					self.assertIn("Not an AFAS answer", response.text, f"{what}: {method}")
				self.assertNotIn(INTERNAL, self.stored("connection_message") or "", what)
				from afas_connector.binding.pull import sync_mapping

				log = sync_mapping(name)
				log.reload()
				self.assertEqual(log.status, "Failed", what)
				self.assertIn("Not an AFAS answer", log.error, what)
				shown = {
					f: log.get(f) for f in ("error", "error_detail", "request_excerpt", "response_excerpt")
				}
				self.assertNotIn(INTERNAL, json.dumps(shown, default=str), what)
			self.assertTrue(listener.seen)
		record_attack("a non-AFAS answer read back through the connector", refused=True)
