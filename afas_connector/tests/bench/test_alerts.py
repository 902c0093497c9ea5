"""Issue 19: alerts to the AFAS Managers, in the desk and by email, one per problem until it is
resolved and one "resolved" notice, for every trigger; and the daily digest."""

from __future__ import annotations

import datetime as dt
import email
import re
from email.header import decode_header, make_header

import frappe
from frappe.utils import add_to_date, now_datetime

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
from afas_connector.tests.bench.test_inbound_sync import DEBTORS, debtor_mapping

ALERT = "AFAS Alert"
SETTINGS = "AFAS Settings"
MANAGER = "afas-alerts@example.com"
SENDER_ACCOUNT = "AFAS Alerts Test Sender"
CONNECTOR = "KnSalesRelationOrg"
#: N, K, X, Y at their defaults and no digest: what every test starts from and leaves behind.
DEFAULTS = {
	"alert_failed_runs": 3,
	"alert_late_factor": 3,
	"alert_outbox_size": 500,
	"alert_outbox_minutes": 60,
	"daily_digest": 0,
}


def clear_alerts() -> None:
	"""No alert, notice or alert email of an earlier test (committed)."""
	frappe.db.delete(ALERT)
	frappe.db.delete("Notification Log", {"document_type": ALERT})
	for name in frappe.get_all(
		"Email Queue", filters={"reference_doctype": ["in", [ALERT, SETTINGS]]}, pluck="name"
	):
		frappe.db.delete("Email Queue Recipient", {"parent": name})
		frappe.db.delete("Email Queue", {"name": name})
	frappe.db.commit()


def alerts(key: str) -> list:
	return frappe.get_all(
		ALERT,
		filters={"problem_key": key},
		fields=["name", "status", "subject", "message", "resolution", "mapping", "sync_log", "kind"],
		order_by="creation asc",
	)


def desk_notices(alert: str) -> list[str]:
	"""The bell notices the test manager got about ``alert``, oldest first."""
	return frappe.get_all(
		"Notification Log",
		filters={"document_type": ALERT, "document_name": alert, "for_user": MANAGER},
		pluck="subject",
		order_by="creation asc",
	)


def emails(reference: str, doctype: str = ALERT) -> list[tuple[str, list[str], str]]:
	"""``(subject, recipients, body)`` of the queued emails about ``reference``, oldest first."""
	out = []
	for row in frappe.get_all(
		"Email Queue",
		filters={"reference_doctype": doctype, "reference_name": reference},
		fields=["name", "message"],
		order_by="creation asc",
	):
		mail = email.message_from_string(row.message)
		body = "".join(
			part.get_payload(decode=True).decode("utf-8", "replace")
			for part in mail.walk()
			if part.get_content_type() == "text/html"
		)
		recipients = frappe.get_all("Email Queue Recipient", filters={"parent": row.name}, pluck="recipient")
		out.append((str(make_header(decode_header(mail["Subject"]))), recipients, body))
	return out


def evaluate(now: dt.datetime | None = None) -> dict:
	from afas_connector.binding.alerts import evaluate_afas_alerts

	result = evaluate_afas_alerts(now)
	frappe.db.commit()
	return result


class AlertTestCase(IntegrationTestCase):
	"""A manager who gets the notices, an outgoing Email Account so alerts can be mailed, and no alert
	left from another test."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()
		configure(cls.sim)
		api_user(MANAGER, ["AFAS Manager"])
		if not frappe.db.exists("Email Account", SENDER_ACCOUNT):
			frappe.get_doc(
				{
					"doctype": "Email Account",
					"email_account_name": SENDER_ACCOUNT,
					"email_id": "afas-alerts-sender@example.com",
					"enable_outgoing": 1,
					"default_outgoing": 1,
					"smtp_server": "127.0.0.1",
					"no_smtp_authentication": 1,
				}
			).insert(ignore_permissions=True)
		frappe.db.commit()
		frappe.local.outgoing_email_account = {}

	@classmethod
	def tearDownClass(cls):
		frappe.delete_doc("Email Account", SENDER_ACCOUNT, force=True, ignore_permissions=True)
		clear_alerts()
		configure(cls.sim, **DEFAULTS)
		frappe.local.outgoing_email_account = {}
		super().tearDownClass()

	def setUp(self):
		configure(self.sim, **DEFAULTS)
		clear_alerts()

	def assertOpenedOnce(self, key: str) -> str:
		"""Exactly one alert of ``key``, open, with one desk notice and one email to the manager."""
		found = alerts(key)
		self.assertEqual([a.status for a in found], ["Open"], key)
		name = found[0].name
		self.assertEqual(len(desk_notices(name)), 1, f"{key}: one desk notice")
		mails = emails(name)
		self.assertEqual(len(mails), 1, f"{key}: one email")
		self.assertIn(MANAGER, mails[0][1])
		self.assertTrue(mails[0][0].startswith("AFAS: "), mails[0][0])
		return name

	def assertResolvedOnce(self, key: str, name: str) -> None:
		"""The alert is resolved, with exactly one more desk notice and email: the resolved ones."""
		found = alerts(key)
		self.assertEqual([(a.name, a.status) for a in found], [(name, "Resolved")], key)
		self.assertTrue(found[0].resolution)
		notices = desk_notices(name)
		self.assertEqual(len(notices), 2, f"{key}: opened and resolved")
		self.assertIn("Resolved", notices[1])
		mails = emails(name)
		self.assertEqual(len(mails), 2, f"{key}: two emails in all")
		self.assertIn("Resolved", mails[1][0])
		self.assertIn(found[0].resolution.split(".")[0][:30], mails[1][2])


class TestCredentialAlerts(AlertTestCase):
	def setUp(self):
		super().setUp()
		self.name = "Test Alert Auth " + frappe.generate_hash(length=6)
		self.sim.generate_rows(DEBTORS, n=5, seed=19)
		for row in self.sim.rows(DEBTORS):
			self.sim.update_row(DEBTORS, row["DebtorId"], {"Name": f"{row['Name']} {self.name[-6:]}"})
		debtor_mapping(self.name)

	def tearDown(self):
		self.sim.restore_token()
		self.sim.faults.clear()
		cleanup_mapping(self.name, "Customer")

	def sync(self) -> str:
		from afas_connector.binding.pull import sync_mapping

		return sync_mapping(self.name).reload().status

	def test_refused_credentials_alert_at_once_and_resolve_once(self):
		self.sim.revoke_token()
		self.assertEqual(self.sync(), "Failed")
		# at once: no evaluation has run
		name = self.assertOpenedOnce("credentials")
		alert = alerts("credentials")[0]
		self.assertEqual(alert.kind, "Credentials Refused")
		self.assertIn(self.name, alert.message)
		self.assertIn("401", alert.message)
		self.assertTrue(alert.sync_log)

		# refused again, evaluated again, AFAS still refusing: no second alert, no second notice
		self.assertEqual(self.sync(), "Failed")
		from afas_connector.binding.connection import test_connection

		self.assertFalse(test_connection()["ok"])
		evaluate()
		self.sim.restore_token()
		evaluate()  # the token works again, but nothing has reached AFAS yet
		self.assertOpenedOnce("credentials")

		self.assertEqual(self.sync(), "Success")
		self.assertIn(name, evaluate()["resolved"])
		self.assertResolvedOnce("credentials", name)
		self.assertNotIn(name, evaluate()["resolved"])
		self.assertResolvedOnce("credentials", name)

		# refused once more later: a new problem, a new alert
		self.sim.revoke_token()
		self.sync()
		self.assertEqual([a.status for a in alerts("credentials")], ["Resolved", "Open"])

	def test_refused_push_and_a_good_connection_test(self):
		from afas_connector.binding.connection import test_connection
		from afas_connector.binding.push import push_pending

		outbound = "Test Alert Push Auth " + frappe.generate_hash(length=6)
		push_mapping(outbound)
		others = isolate_outbound(outbound)
		customer = None
		try:
			customer = new_customer(f"Alert Auth {outbound[-6:]} B.V.")
			frappe.db.commit()
			self.sim.revoke_token()
			self.assertEqual(push_pending(outbound, "Customer", customer.name), ["Failed"])
			name = self.assertOpenedOnce("credentials")
			self.assertIn(customer.name, alerts("credentials")[0].message)
			self.sim.restore_token()
			# the administrator fixed it and pressed Test Connection: resolved at once
			self.assertTrue(test_connection()["ok"])
			self.assertResolvedOnce("credentials", name)
		finally:
			if customer:
				frappe.delete_doc("Customer", customer.name, force=True, ignore_permissions=True)
			cleanup_mapping(outbound)
			restore_outbound(others)


class TestMappingAlerts(AlertTestCase):
	def setUp(self):
		super().setUp()
		self.name = "Test Alert Runs " + frappe.generate_hash(length=6)
		self.sim.generate_rows(DEBTORS, n=5, seed=23)
		for row in self.sim.rows(DEBTORS):
			self.sim.update_row(DEBTORS, row["DebtorId"], {"Name": f"{row['Name']} {self.name[-6:]}"})

	def tearDown(self):
		self.sim.faults.clear()
		cleanup_mapping(self.name, "Customer")

	def sync(self) -> str:
		from afas_connector.binding.pull import sync_mapping

		return sync_mapping(self.name).reload().status

	def test_n_failed_runs_in_a_row(self):
		configure(self.sim, alert_failed_runs=2)
		debtor_mapping(self.name)
		key = f"failing_runs:{self.name}"
		self.sim.faults.add(connector=DEBTORS, kind="maintenance", times=None, retry_after=7200)
		self.assertEqual(self.sync(), "Failed")
		evaluate()
		self.assertEqual(alerts(key), [], "one failure is not yet N = 2")
		self.assertEqual(self.sync(), "Failed")
		evaluate()
		name = self.assertOpenedOnce(key)
		self.assertEqual(alerts(key)[0].mapping, self.name)
		self.assertIn("maintenance", alerts(key)[0].message)
		self.assertEqual(self.sync(), "Failed")
		evaluate()
		name = self.assertOpenedOnce(key)  # still one, no new notice
		self.assertIn("3", alerts(key)[0].subject, "the open alert's text is kept current")
		self.sim.faults.clear()
		self.assertEqual(self.sync(), "Success")
		evaluate()
		self.assertResolvedOnce(key, name)
		evaluate()
		self.assertResolvedOnce(key, name)

	def test_not_succeeded_for_k_intervals(self):
		configure(self.sim, alert_late_factor=3)
		debtor_mapping(self.name, schedule="Every N Minutes", interval_minutes=15)
		key = f"late:{self.name}"
		self.assertEqual(self.sync(), "Success")
		evaluate()
		self.assertEqual(alerts(key), [])
		# Two hours pass without a success (3 × 15 minutes + 5 minutes' grace is 50 minutes), and
		# neither the mapping nor the settings changed in them.
		self.age(minutes=120)
		evaluate()
		name = self.assertOpenedOnce(key)
		self.assertIn("every 15 minutes", alerts(key)[0].message)
		evaluate()
		self.assertOpenedOnce(key)
		self.assertEqual(self.sync(), "Success")
		evaluate()
		self.assertResolvedOnce(key, name)
		evaluate()
		self.assertResolvedOnce(key, name)

	def age(self, minutes: int) -> None:
		"""Move the mapping's logs, its last change and the settings' last change ``minutes`` back."""
		frappe.db.sql(
			"""update `tabAFAS Sync Log` set finished_at = finished_at - interval %(m)s minute,
			modified = modified - interval %(m)s minute, creation = creation - interval %(m)s minute
			where mapping = %(mapping)s""",
			{"m": minutes, "mapping": self.name},
		)
		past = add_to_date(now_datetime(), minutes=-minutes)
		frappe.db.sql("update `tabAFAS Connector Mapping` set modified=%s where name=%s", (past, self.name))
		frappe.db.sql(
			"update tabSingles set value=%s where doctype=%s and field='modified'", (str(past), SETTINGS)
		)
		frappe.db.commit()
		frappe.clear_document_cache(SETTINGS, SETTINGS)


class TestOutboxAlerts(AlertTestCase):
	def setUp(self):
		super().setUp()
		self.name = "Test Alert Outbox " + frappe.generate_hash(length=6)
		push_mapping(self.name)
		self.others = isolate_outbound(self.name)
		self.created: list[str] = []

	def tearDown(self):
		self.sim.faults.clear()
		for name in self.created:
			if frappe.db.exists("Customer", name):
				frappe.delete_doc("Customer", name, force=True, ignore_permissions=True)
		frappe.db.commit()
		cleanup_mapping(self.name)
		restore_outbound(self.others)

	def customer(self) -> str:
		doc = new_customer(f"Alert {self.name[-6:]} {len(self.created)} B.V.")
		frappe.db.commit()
		self.created.append(doc.name)
		return doc.name

	def test_backlog_over_x_and_a_change_older_than_y(self):
		from afas_connector.binding.outbox import drain

		configure(self.sim, alert_outbox_size=3, alert_outbox_minutes=60)
		for _ in range(4):
			self.customer()
		evaluate()
		backlog = self.assertOpenedOnce("outbox_backlog")
		self.assertIn("4", alerts("outbox_backlog")[0].subject)
		self.assertEqual(alerts("outbox_delay"), [], "nothing has waited an hour yet")
		self.customer()
		evaluate()
		self.assertOpenedOnce("outbox_backlog")
		self.assertIn("5", alerts("outbox_backlog")[0].subject, "kept current, no new notice")

		oldest = frappe.get_all(
			"AFAS Sync Log", filters={"mapping": self.name}, pluck="name", order_by="creation asc", limit=1
		)[0]
		frappe.db.set_value(
			"AFAS Sync Log",
			oldest,
			"creation",
			add_to_date(now_datetime(), minutes=-90),
			update_modified=False,
		)
		frappe.db.commit()
		evaluate()
		delay = self.assertOpenedOnce("outbox_delay")
		evaluate()
		self.assertOpenedOnce("outbox_delay")

		self.assertEqual(drain(), 5)
		evaluate()
		self.assertResolvedOnce("outbox_backlog", backlog)
		self.assertResolvedOnce("outbox_delay", delay)
		evaluate()
		self.assertResolvedOnce("outbox_backlog", backlog)
		self.assertResolvedOnce("outbox_delay", delay)

	def test_pushes_that_need_a_human(self):
		from afas_connector.binding.outbox import resolve_unknown, retry
		from afas_connector.binding.push import push_pending

		key = f"needs_attention:{self.name}"

		def push(customer: str) -> list[str]:
			return push_pending(self.name, "Customer", customer)

		first, second, third = self.customer(), self.customer(), self.customer()
		self.sim.faults.add(connector=CONNECTOR, kind="validation", times=2, method="POST")
		self.assertEqual(push(first), ["Failed"])
		evaluate()
		name = self.assertOpenedOnce(key)
		self.assertIn("1", alerts(key)[0].subject)
		self.assertEqual(push(second), ["Failed"])
		self.sim.faults.add(connector=CONNECTOR, kind="drop", times=1, method="POST")
		self.assertEqual(push(third), ["Outcome Unknown"])
		evaluate()
		self.assertOpenedOnce(key)
		self.assertIn("3", alerts(key)[0].subject)

		failed = frappe.get_all(
			"AFAS Sync Log", filters={"mapping": self.name, "status": "Failed"}, pluck="name"
		)
		self.assertEqual(retry(failed)["queued"], 2)
		frappe.db.commit()
		self.assertEqual(push(first) + push(second), ["Success", "Success"])
		evaluate()
		self.assertOpenedOnce(key)  # the Outcome Unknown still needs a human
		self.assertIn("1", alerts(key)[0].subject)
		unknown = frappe.get_all(
			"AFAS Sync Log", filters={"mapping": self.name, "status": "Outcome Unknown"}, pluck="name"
		)[0]
		resolve_unknown(unknown, resend=True)
		self.assertEqual(push(third), ["Success"])
		evaluate()
		self.assertResolvedOnce(key, name)
		evaluate()
		self.assertResolvedOnce(key, name)


class TestAlertMechanics(AlertTestCase):
	def test_the_database_refuses_a_second_open_alert_of_a_problem(self):
		from afas_connector.binding.alerts import raise_alert, resolve_alert
		from afas_connector.sync.health import Problem

		problem = Problem("stuck_jobs", "stuck_jobs", "degraded", None, {"queues": {"long": 70}})
		name = raise_alert(problem)
		self.assertTrue(name)
		self.assertIsNone(raise_alert(problem), "an open alert of the key exists")
		duplicate = frappe.get_doc(
			{
				"doctype": ALERT,
				"subject": "x",
				"status": "Open",
				"problem_key": "stuck_jobs",
				"open_key": "stuck_jobs",
			}
		)
		with self.assertRaises(frappe.UniqueValidationError):
			duplicate.insert(ignore_permissions=True)
		frappe.db.rollback()
		name = raise_alert(problem)
		frappe.db.commit()
		self.assertEqual(resolve_alert("stuck_jobs", "gone"), name)
		self.assertIsNone(resolve_alert("stuck_jobs", "gone"), "resolved once")
		self.assertTrue(raise_alert(problem), "resolved, so the key may open again")
		frappe.db.rollback()

	def test_no_email_account_still_reaches_the_desk(self):
		from afas_connector.binding.alerts import raise_alert
		from afas_connector.sync.health import Problem

		frappe.db.set_value("Email Account", SENDER_ACCOUNT, "enable_outgoing", 0)
		frappe.local.outgoing_email_account = {}
		try:
			name = raise_alert(
				Problem("stuck_jobs", "stuck_jobs", "degraded", None, {"queues": {"long": 70}})
			)
			self.assertEqual(len(desk_notices(name)), 1)
			self.assertEqual(emails(name), [])
		finally:
			frappe.db.rollback()
			frappe.local.outgoing_email_account = {}

	def test_scheduler_found_off_by_a_push_job(self):
		from afas_connector.binding.alerts import note_scheduler_off

		# run-tests switches the site's scheduler off, as `bench disable-scheduler` does
		self.assertEqual(frappe.db.get_single_value("System Settings", "enable_scheduler"), 0)
		name = note_scheduler_off()
		self.assertOpenedOnce("scheduler")
		self.assertIn("enable-scheduler", alerts("scheduler")[0].message)
		self.assertIsNone(note_scheduler_off())
		self.assertEqual(alerts("scheduler")[0].name, name)


class TestDailyDigest(AlertTestCase):
	def setUp(self):
		super().setUp()
		self.name = "Test Alert Digest " + frappe.generate_hash(length=6)
		self.sim.generate_rows(DEBTORS, n=6, seed=29)
		for row in self.sim.rows(DEBTORS):
			self.sim.update_row(DEBTORS, row["DebtorId"], {"Name": f"{row['Name']} {self.name[-6:]}"})
		debtor_mapping(self.name)

	def tearDown(self):
		self.sim.faults.clear()
		cleanup_mapping(self.name, "Customer")

	def test_digest_only_when_chosen_with_runs_rows_failures_and_problems(self):
		from afas_connector.binding.alerts import send_afas_digest
		from afas_connector.binding.pull import sync_mapping

		self.sim.faults.add(connector=DEBTORS, kind="maintenance", times=None, retry_after=7200)
		sync_mapping(self.name)
		self.sim.faults.clear()
		sync_mapping(self.name)
		configure(self.sim, daily_digest=0, alert_failed_runs=1)
		self.assertEqual(send_afas_digest(), [])
		self.assertEqual(emails(SETTINGS, SETTINGS), [])

		configure(self.sim, daily_digest=1, alert_failed_runs=1)
		from afas_connector.binding.alerts import raise_alert
		from afas_connector.sync.health import Problem

		raise_alert(
			Problem(f"late:{self.name}", "late", "degraded", self.name, {"minutes": 90, "schedule": "Hourly"})
		)
		frappe.db.commit()
		sent = send_afas_digest()
		self.assertIn(MANAGER, sent)
		[(subject, recipients, body)] = emails(SETTINGS, SETTINGS)
		self.assertIn("AFAS daily digest", subject)
		self.assertIn(MANAGER, recipients)
		[row] = [r for r in body.split("<tr>") if self.name in r]
		cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
		# mapping, direction, runs, rows read, written, failed, failed rows, open problems
		self.assertEqual(cells[1:7], ["Inbound", "2", "6", "6", "1", "0"])
		self.assertIn("has not synced", cells[7])
