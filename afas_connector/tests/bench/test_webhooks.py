"""Issue 28 §5, AFAS webhooks as a doorbell, over real HTTP: the simulator sends Profit 8's signed
notifications (with its retries) to the site's ``/api/method/afas_connector.api.afas_webhook``, and a
notification only queues an incremental run of the mappings its route names.

The site is served as bench's nginx serves it (``DeskServer``: the site named by X-Frappe-Site-Name,
whatever Host the caller sends), so the simulator posts to it as AFAS would. ``pull.enqueue_pull`` is
patched to see what is queued without a worker; nothing in the HTTP path is."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any
from unittest.mock import patch

import frappe
import requests

from afas_connector.binding import pull
from afas_connector.binding.webhooks import MAX_BODY_BYTES, METHOD, TRIGGER
from afas_connector.simulator.webhooks import signature, utc_timestamp
from afas_connector.tests.bench.desk_browser import DeskServer
from afas_connector.tests.bench.fixtures import (
	IntegrationTestCase,
	cleanup_mapping,
	configure,
	push_mapping,
	record_attack,
	simulator,
)
from afas_connector.tests.bench.test_inbound_sync import debtor_mapping

SETTINGS = "AFAS Settings"
PASSWORD = "webhook-" + "wachtwoord-Kp3x"
DEBTORS = "Test Webhook Debtors"
PROJECTS = "Test Webhook Projects"
SWITCHED_OFF = "Test Webhook Off"
ROUTES = [
	{"mapping": DEBTORS, "event_types": "subject.*", "subject_type_ids": "7"},
	{"mapping": PROJECTS, "event_types": "subject.updated, workflow.*"},
	{"mapping": SWITCHED_OFF, "event_types": "subject.*", "subject_type_ids": "9"},
]
#: What a notification concerns, per test: dossier item type 7 routes to DEBTORS only.
DEBTOR_ITEM = {"SubjectTypeId": 7, "SubjectId": 49950}


class Queued:
	"""``pull.enqueue_pull`` replaced: records each run queued (from the server's threads)."""

	def __init__(self, fail_first: int = 0, slow_first: float = 0.0) -> None:
		self.runs: list[tuple[str, str]] = []
		self.fail_first = fail_first
		self.slow_first = slow_first
		self._lock = threading.Lock()

	def __call__(self, mapping: str, *, trigger: str, **_kwargs: Any) -> Any:
		with self._lock:
			fail, self.fail_first = self.fail_first > 0, max(self.fail_first - 1, 0)
			slow, self.slow_first = self.slow_first, 0.0
		if fail:
			raise ConnectionError("Redis is not answering")
		time.sleep(slow)
		with self._lock:
			self.runs.append((mapping, trigger))
		return object()


class TestWebhooks(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()
		configure(cls.sim)
		debtor_mapping(DEBTORS)
		debtor_mapping(PROJECTS)
		debtor_mapping(SWITCHED_OFF)
		frappe.db.set_value("AFAS Connector Mapping", SWITCHED_OFF, "enabled", 0)
		frappe.db.commit()
		configure(cls.sim, webhook_password=PASSWORD, webhook_routes=ROUTES)
		cls.server = DeskServer()
		cls.url = f"{cls.server.base}/api/method/{METHOD}"

	@classmethod
	def tearDownClass(cls):
		configure(cls.sim, webhook_password="", webhook_routes=[])
		for name in (DEBTORS, PROJECTS, SWITCHED_OFF):
			cleanup_mapping(name, "Customer")
		cls.server.stop()
		super().tearDownClass()

	def setUp(self):
		frappe.cache.delete_keys("rl:")
		frappe.db.set_single_value(SETTINGS, "enabled", 1)
		frappe.db.commit()

	# ------------------------------------------------------------------ helpers

	def control(self, action: str, body: dict | None = None) -> Any:
		url = self.sim.base_url.rsplit("/ProfitRestServices", 1)[0] + f"/__simulator/{action}"
		response = requests.post(url, json=body, timeout=60)
		self.assertLess(response.status_code, 300, response.text)
		return response.json()

	def hook(self, password: str = PASSWORD) -> int:
		return self.control("webhooks", {"url": self.url, "password": password})["id"]

	def emit(self, hook: int, event_type: str = "subject.created", data: dict | None = None, **extra) -> dict:
		(event,) = self.control(
			"webhook_events",
			{"event_type": event_type, "data": data or DEBTOR_ITEM, "webhook": hook, **extra},
		)
		return event

	def post(self, body: bytes, sign_with: str | None = PASSWORD, **headers: str) -> requests.Response:
		if sign_with is not None:
			headers.setdefault("X-Profit-Signature-256", signature(body, sign_with))
		headers.setdefault("Content-Type", "application/json")
		return requests.post(self.url, data=body, headers=headers, timeout=30)

	@staticmethod
	def notification(event_type: str = "subject.created", **changes: Any) -> bytes:
		payload = {
			"EventId": str(uuid.uuid4()),
			"EnvironmentId": "12345AA",
			"EventType": event_type,
			"Data": dict(DEBTOR_ITEM),
			"Timestamp": utc_timestamp(),
			**changes,
		}
		return json.dumps(payload).encode()

	def logs(self) -> int:
		return frappe.db.count("AFAS Sync Log", {"mapping": ["in", (DEBTORS, PROJECTS, SWITCHED_OFF)]})

	# ------------------------------------------------------------------ the bell

	def test_a_signed_notification_queues_the_routed_mapping_and_writes_nothing(self):
		hook = self.hook()
		before = self.logs()
		with patch("afas_connector.binding.pull.enqueue_pull", new=Queued()) as queued:
			created = self.emit(hook, "subject.created")
			updated = self.emit(hook, "subject.updated", {"SubjectTypeId": 7, "SubjectId": 49951})
			elsewhere = self.emit(hook, "subject.created", {"SubjectTypeId": 3, "SubjectId": 1})
			test = self.emit(hook, "test.executed", {"SubscriptionId": hook, "SubscriptionName": "ERPNext"})
		self.assertEqual((created["status"], created["answers"]), ("Success", ["202"]))
		self.assertEqual(updated["answers"], ["202"])
		self.assertEqual(elsewhere["answers"], ["200"], "a dossier item type no route names")
		self.assertEqual(test["answers"], ["200"], "AFAS's test rings no bell")
		self.assertEqual(
			queued.runs,
			[(DEBTORS, TRIGGER), (DEBTORS, TRIGGER), (PROJECTS, TRIGGER)],
			"subject.created of type 7 → Debtors; subject.updated of type 7 → Debtors and Projects",
		)
		frappe.db.rollback()  # a fresh read of what the server's requests committed
		self.assertEqual(self.logs(), before, "the bell writes nothing; the run makes its own Sync Log")

	def test_the_queued_run_is_an_incremental_run_with_its_trigger(self):
		hook = self.hook()
		with patch("afas_connector.binding.pull.enqueue_pull", new=Queued()) as queued:
			self.emit(hook, "subject.created")
		(mapping, trigger) = queued.runs[0]
		log = pull.run_pull_job(mapping, trigger=trigger)  # what the worker does with the job
		self.assertEqual(
			frappe.db.get_value("AFAS Sync Log", log, ["trigger", "status"]), (TRIGGER, "Success")
		)

	def test_a_workflow_event_rings_its_mapping(self):
		hook = self.hook()
		with patch("afas_connector.binding.pull.enqueue_pull", new=Queued()) as queued:
			event = self.emit(
				hook,
				"workflow.task.entered",
				{
					"SubjectTypeId": 12,
					"SubjectId": 7,
					"WorkflowName": str(uuid.uuid4()),
					"TaskName": str(uuid.uuid4()),
				},
			)
		self.assertEqual(event["answers"], ["202"])
		self.assertEqual(queued.runs, [(PROJECTS, TRIGGER)])

	def test_a_switched_off_connector_or_mapping_queues_nothing(self):
		hook = self.hook()
		with patch("afas_connector.binding.pull.enqueue_pull", new=Queued()) as queued:
			routed_off = self.emit(hook, "subject.created", {"SubjectTypeId": 9, "SubjectId": 1})
			frappe.db.set_single_value(SETTINGS, "enabled", 0)
			frappe.db.commit()
			connector_off = self.emit(hook, "subject.created")
			answer = self.post(self.notification())
		self.assertEqual(routed_off["answers"], ["200"])
		self.assertEqual(connector_off["answers"], ["200"])
		self.assertEqual(answer.json()["message"]["status"], "switched_off")
		self.assertEqual(queued.runs, [])

	# ------------------------------------------------------------------ attacks

	def test_a_forged_signature_is_401_and_queues_nothing(self):
		forged_hook = self.hook(password="not the password")
		body = self.notification()
		with patch("afas_connector.binding.pull.enqueue_pull", new=Queued()) as queued:
			event = self.emit(forged_hook)
			answers = {
				"wrong password": self.post(body, sign_with="guessed"),
				"no signature": self.post(body, sign_with=None),
				"empty signature": self.post(body, sign_with=None, **{"X-Profit-Signature-256": "sha256="}),
				"signature of another body": self.post(
					body.replace(b"subject.created", b"subject.updated"),
					sign_with=None,
					**{"X-Profit-Signature-256": signature(body, PASSWORD)},
				),
				"md5 instead of sha256": self.post(
					body, sign_with=None, **{"X-Profit-Signature-256": "md5=" + "0" * 32}
				),
			}
		self.assertEqual(event["status"], "Failed")
		self.assertEqual(set(event["answers"]), {"401"}, "AFAS's retries are refused too")
		for attempt, answer in answers.items():
			self.assertEqual(answer.status_code, 401, f"{attempt}: {answer.text[:300]}")
			self.assertEqual(answer.json()["message"]["reason"], "signature", attempt)
		self.assertEqual(queued.runs, [])
		record_attack(
			"webhook: a notification signed with another password (AFAS's retries too)", refused=True
		)
		record_attack("webhook: unsigned, empty, md5 or another body's signature", refused=True)

	def test_a_replayed_event_is_200_and_queues_nothing_twice(self):
		hook = self.hook()
		with patch("afas_connector.binding.pull.enqueue_pull", new=Queued()) as queued:
			event = self.emit(hook)
			again = self.control("webhook_resend", {"event_id": event["event_id"]})
			# an attacker who captured the notification posts it again, signature and all
			captured = next(e for e in self.control_events() if e["event_id"] == event["event_id"])["body"]
			replayed = self.post(captured.encode())
			upper = self.post(
				captured.replace(event["event_id"], event["event_id"].upper()).encode()
			)  # the same id in capitals is the same event
		self.assertEqual(event["answers"], ["202"])
		self.assertEqual(again["answers"][-1], "200")
		self.assertEqual(replayed.status_code, 200, replayed.text[:300])
		self.assertEqual(replayed.json()["message"]["status"], "replay")
		self.assertEqual(upper.json()["message"]["status"], "replay")
		self.assertEqual(queued.runs, [(DEBTORS, TRIGGER)], "one run, however often it is delivered")
		record_attack("webhook: a captured notification replayed (same EventId)", refused=True)

	def control_events(self) -> list[dict]:
		url = self.sim.base_url.rsplit("/ProfitRestServices", 1)[0] + "/__simulator/webhook_events"
		return requests.get(url, timeout=30).json()

	def test_a_stale_or_future_notification_is_400(self):
		hook = self.hook()
		old = (datetime.now(timezone.utc) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.1234567Z")
		future = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.1234567Z")
		with patch("afas_connector.binding.pull.enqueue_pull", new=Queued()) as queued:
			stale = self.emit(hook, timestamp=old)
			ahead = self.post(self.notification(Timestamp=future))
		self.assertEqual(set(stale["answers"]), {"400"})
		self.assertEqual(ahead.status_code, 400)
		self.assertEqual(ahead.json()["message"]["reason"], "stale")
		self.assertEqual(queued.runs, [])
		record_attack("webhook: a signed notification two hours old (past the replay window)", refused=True)

	def test_an_oversized_or_malformed_body_is_refused_without_an_echo(self):
		marker = "<img src=x onerror=alert(1)>geheim"
		padded = self.notification(Padding=marker + "x" * MAX_BODY_BYTES)
		not_afas = [
			json.dumps({"EventId": str(uuid.uuid4()), "EventType": "marker." + marker}).encode(),
			json.dumps([marker]).encode(),
			self.notification(Data={"SubjectTypeId": marker}),
			self.notification(EventId=marker),
		]
		with patch("afas_connector.binding.pull.enqueue_pull", new=Queued()) as queued:
			large = self.post(padded)
			bad = [self.post(body) for body in not_afas]
			unsigned = self.post(not_afas[0], sign_with=None)
		self.assertEqual(large.status_code, 413, large.text[:300])
		self.assertEqual(large.json()["message"]["reason"], "too_large")
		self.assertEqual([a.status_code for a in bad], [400] * len(bad), [a.text[:200] for a in bad])
		self.assertEqual(unsigned.status_code, 401)
		for answer in [large, unsigned, *bad]:
			self.assertNotIn("geheim", answer.text)
			self.assertNotIn("onerror", answer.text)
			self.assertNotIn("Traceback", answer.text)
		self.assertEqual(queued.runs, [])
		record_attack(f"webhook: a signed body over {MAX_BODY_BYTES} bytes (413)", refused=True)
		record_attack(
			"webhook: signed but not a notification (markup in its fields, not echoed)", refused=True
		)

	def test_a_body_frappe_cannot_parse_is_answered_by_frappe_and_queues_nothing(self):
		"""JSON that does not parse, sent as application/json, is refused by Frappe itself while it reads
		the request (before any app code: a 500 on Frappe 15); nothing is queued and nothing is echoed."""
		body = b'{"EventType": "subject.created", geheim'
		with patch("afas_connector.binding.pull.enqueue_pull", new=Queued()) as queued:
			as_json = self.post(body)
			as_text = self.post(body, **{"Content-Type": "text/plain"})
		self.assertGreaterEqual(as_json.status_code, 400)
		self.assertNotIn("geheim", as_json.text)
		self.assertEqual(as_text.status_code, 400, as_text.text[:300])
		self.assertEqual(as_text.json()["message"]["reason"], "malformed")
		self.assertEqual(queued.runs, [])
		record_attack(
			f"webhook: signed JSON that does not parse (Frappe answers {as_json.status_code}; as text/plain 400)",
			refused=True,
		)

	def test_a_flood_is_rate_limited(self):
		with requests.Session() as session:
			statuses = [
				session.post(
					self.url, data=b"{}", headers={"Content-Type": "text/plain"}, timeout=30
				).status_code
				for _ in range(301)
			]
		self.assertEqual(set(statuses[:300]), {401})
		self.assertEqual(statuses[300], 429)
		record_attack("webhook: 301 forged notifications in a minute from one address (429)", refused=True)

	def test_guest_reads_nothing_through_it(self):
		"""The endpoint takes no arguments, answers only its own words, and opens no session."""
		attempts = {
			"GET": requests.get(self.url, params={"doctype": "User"}, timeout=30),
			"form with cmd": requests.post(
				self.url, data={"cmd": "frappe.client.get_list", "doctype": "User"}, timeout=30
			),
			"JSON with cmd": self.post(
				json.dumps(
					{"cmd": "frappe.client.get_value", "doctype": "User", "fieldname": "name"}
				).encode()
			),
			"other method's path": requests.post(
				f"{self.server.base}/api/method/{METHOD}/frappe.client.get_list",
				data={"doctype": "User"},
				timeout=30,
			),
		}
		for attempt, answer in attempts.items():
			self.assertIn(answer.status_code, (400, 401, 403, 405), f"{attempt}: {answer.text[:300]}")
			self.assertNotIn("Administrator", answer.text, attempt)
			if answer.headers.get("Content-Type", "").startswith("application/json"):
				message = answer.json().get("message")
				if isinstance(message, dict):
					self.assertLessEqual(set(message), {"status", "reason", "message", "queued"}, attempt)
		# a signed notification whose Data names a mapping, a doctype or a value: none is used
		hook = self.hook()
		with patch("afas_connector.binding.pull.enqueue_pull", new=Queued()) as queued:
			event = self.emit(
				hook,
				"subject.created",
				{"SubjectTypeId": 3, "SubjectId": 1, "Mapping": DEBTORS, "doctype": "User", "Name": "x"},
			)
		self.assertEqual(event["answers"], ["200"])
		self.assertEqual(queued.runs, [], "routes come from AFAS Settings, never from the payload")
		record_attack("webhook: Guest asks for another method or DocType through it", refused=True)
		record_attack("webhook: a payload that names a mapping to run", refused=True)

	# ------------------------------------------------------------------ AFAS's retries

	def test_a_5xx_is_retried_by_afas_and_ends_in_one_run(self):
		hook = self.hook()
		with (
			patch("afas_connector.binding.pull.enqueue_pull", new=Queued(fail_first=1)) as queued,
			patch("frappe.log_error") as logged,
		):
			event = self.emit(hook)
		self.assertEqual((event["status"], event["answers"]), ("Success", ["503", "202"]))
		self.assertEqual(queued.runs, [(DEBTORS, TRIGGER)])
		self.assertEqual(logged.call_count, 1)

	def test_a_late_answer_is_retried_by_afas_and_ends_in_one_run(self):
		"""AFAS waits 2 seconds: a slower answer is a failed attempt, and the retry (the same EventId)
		finds the run already queued."""
		hook = self.hook()
		with patch("afas_connector.binding.pull.enqueue_pull", new=Queued(slow_first=2.5)) as queued:
			event = self.emit(hook)
			time.sleep(1)  # the first, slow request finishes after AFAS gave up on it
		self.assertEqual(event["status"], "Success")
		self.assertEqual(len(event["answers"]), 2, event["answers"])
		self.assertTrue(event["answers"][0].startswith("no answer"), event["answers"])
		self.assertEqual(event["answers"][1], "200", "the retry is a replay")
		self.assertEqual(queued.runs, [(DEBTORS, TRIGGER)])

	# ------------------------------------------------------------------ the settings

	def test_routes_are_checked_at_save(self):
		outbound = "Test Webhook Outbound"
		push_mapping(outbound, enabled=0)
		try:
			for route, words in (
				({"mapping": DEBTORS, "event_types": "order.created"}, "no event"),
				({"mapping": DEBTORS, "event_types": "test.*"}, "no event"),
				({"mapping": DEBTORS, "event_types": "subject.*", "subject_type_ids": "seven"}, "numbers"),
				({"mapping": DEBTORS, "event_types": "workflow.*", "workflow": "not a guid"}, "GUID"),
				({"mapping": outbound, "event_types": "subject.*"}, "inbound"),
			):
				settings = frappe.get_doc(SETTINGS)
				settings.set("webhook_routes", [route])
				with self.assertRaises(frappe.ValidationError, msg=str(route)) as refused:
					settings.save(ignore_permissions=True)
				self.assertIn(words, str(refused.exception), route)
				frappe.db.rollback()
			settings = frappe.get_doc(SETTINGS)
			settings.set(
				"webhook_routes",
				[
					{
						"mapping": DEBTORS,
						"event_types": "subject.created workflow.*",
						"subject_type_ids": "7,8",
					}
				],
			)
			settings.save(ignore_permissions=True)
			row = settings.webhook_routes[0]
			self.assertEqual((row.event_types, row.subject_type_ids), ("subject.created, workflow.*", "7, 8"))
		finally:
			frappe.db.rollback()
			cleanup_mapping(outbound)
			configure(self.sim, webhook_password=PASSWORD, webhook_routes=ROUTES)
