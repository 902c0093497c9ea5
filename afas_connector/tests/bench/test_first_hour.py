"""The first hour of a new user (issue 26): the demo on the chart a Dutch company picks and on a site
without a Company, a demo that serves without holding a transaction and reruns without churn; queued
work that says when nothing will run it; the CLI on a mapping that is switched off."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from types import SimpleNamespace
from typing import ClassVar
from unittest.mock import patch

import frappe

from afas_connector import api
from afas_connector.devtools import demo
from afas_connector.devtools.demo import DEMO_CUSTOMER, EMPLOYEES_MAPPING, LEDGER_MAPPING, run_demo
from afas_connector.devtools.samples import DEBTOR_TO_CUSTOMER, INBOUND, OUTBOUND, sales_order_mapping
from afas_connector.tests.bench.desk_browser import DeskTestCase, run_flow
from afas_connector.tests.bench.fixtures import (
	IntegrationTestCase,
	cleanup_mapping,
	configure,
	make_mapping,
	push_mapping,
	simulator,
)

#: ERPNext's name of the Dutch chart (verified/nl_grootboekschema.json), which the setup wizard offers
#: a company in the Netherlands; it leaves the Company's Default Income Account empty.
DUTCH_CHART = "Netherlands - Grootboekschema"
DUTCH_COMPANY = "AFAS Demo NL B.V."


def dutch_company() -> str:
	if not frappe.db.exists("Company", DUTCH_COMPANY):
		frappe.get_doc(
			{
				"doctype": "Company",
				"company_name": DUTCH_COMPANY,
				"abbr": "ADNL",
				"country": "Netherlands",
				"default_currency": "EUR",
				"create_chart_of_accounts_based_on": "Standard Template",
				"chart_of_accounts": DUTCH_CHART,
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
	return DUTCH_COMPANY


def demo_mappings() -> list[str]:
	return [spec["mapping_name"] for spec in INBOUND] + [
		OUTBOUND["mapping_name"],
		sales_order_mapping(OUTBOUND["mapping_name"])["mapping_name"],
		LEDGER_MAPPING,
		EMPLOYEES_MAPPING,
	]


class TestDemoOnEveryChart(IntegrationTestCase):
	def run_on(self, company: str | None) -> str:
		lines: list[str] = []
		with patch.object(demo, "demo_company", return_value=company):
			run_demo(port=0, echo=lines.append)
		return "\n".join(lines)

	def test_dutch_chart_books_the_invoice_on_an_income_account_of_its_chart(self):
		company = dutch_company()
		self.assertFalse(frappe.db.get_value("Company", company, "default_income_account"))
		output = self.run_on(company)
		self.assertNotIn("Traceback", output)
		self.assertRegex(output, r"POST FbSales: Success")
		self.assertRegex(output, r"people: Employees: Success \(\d+ read")
		self.assertRegex(
			output,
			r"POST FiEntries: Success, AFAS entry \d+/\d+ \(debtor \d+ D 37.50, account 8000 C 37.50\)",
		)
		invoice = frappe.get_all(
			"Sales Invoice",
			filters={"company": company, "docstatus": 1},
			fields=["name", "debit_to"],
			order_by="creation desc",
			limit=1,
		)[0]
		income = frappe.db.get_value("Sales Invoice Item", {"parent": invoice.name}, "income_account")
		self.assertEqual(
			frappe.db.get_value("Account", income, ["company", "root_type"]), (company, "Income")
		)
		self.assertEqual(frappe.db.get_value("Account", invoice.debit_to, "account_type"), "Receivable")

	def test_no_company_skips_the_order_and_invoice_in_one_sentence(self):
		output = self.run_on(None)
		self.assertIn(
			"push: Sales Order skipped (this site has no Company yet: finish ERPNext's setup wizard)", output
		)
		self.assertIn("ledger: Sales Invoice skipped (this site has no Company yet", output)
		self.assertRegex(output, r"KnSalesRelationOrg: Success")

	def test_a_failing_step_is_one_line_and_the_demo_goes_on(self):
		with patch.object(
			demo, "income_account", side_effect=frappe.ValidationError("Account None does not exist")
		):
			output = self.run_on(demo.demo_company())
		self.assertIn("ledger: Sales Invoice skipped (ValidationError: Account None does not exist)", output)
		self.assertRegex(output, r"POST FbSales: Success")

	def test_serving_holds_no_transaction_open(self):
		"""No statement but Frappe's ``commit`` / ``rollback`` / ``start transaction`` between the demo's
		last read and its sleep: InnoDB takes a snapshot and locks only at a transaction's first statement."""
		db = frappe.db
		real_sql = db.sql
		last = []

		def sql(query, *args, **kwargs):
			last[:] = [str(query).strip().split(None, 1)[0].lower()]
			return real_sql(query, *args, **kwargs)

		seen = []

		def sleep(seconds):
			seen.extend(last)
			raise KeyboardInterrupt

		lines: list[str] = []
		with patch.object(db, "sql", sql), patch.object(demo.time, "sleep", sleep):
			run_demo(port=0, serve=True, echo=lines.append)
		self.assertIn(
			seen[0], ("commit", "rollback", "start"), "a demo left serving holds no locks nor a snapshot"
		)
		self.assertIn("Simulator still serving", "\n".join(lines))

	def test_a_failing_step_still_serves(self):
		served = []
		with (
			patch.object(demo, "_push_demo_customer", side_effect=RuntimeError("boom")),
			patch.object(demo, "serve_until_interrupted", lambda url, echo: served.append(url)),
		):
			lines: list[str] = []
			run_demo(port=0, serve=True, echo=lines.append)
		self.assertEqual(len(served), 1)
		self.assertIn("push: Customer skipped (RuntimeError: boom)", lines)

	def test_a_rerun_changes_no_mapping_and_adds_no_documents(self):
		run_demo(port=0, echo=lambda text: None)
		mappings = demo_mappings()
		rows = {
			m: frappe.get_all("AFAS Field Mapping", filters={"parent": m}, pluck="name") for m in mappings
		}
		versions = frappe.db.count(
			"Version", {"ref_doctype": "AFAS Connector Mapping", "docname": ["in", mappings]}
		)
		modified = {m: frappe.db.get_value("AFAS Connector Mapping", m, "modified") for m in mappings}
		customer = frappe.db.get_value("Customer", {"customer_name": DEMO_CUSTOMER}, "name")
		counts = [frappe.db.count(d, {"customer": customer}) for d in ("Sales Order", "Sales Invoice")]
		customers = frappe.db.count("Customer")
		employees = frappe.db.count("Employee")
		lines: list[str] = []
		run_demo(port=0, echo=lines.append)
		output = "\n".join(lines)
		self.assertRegex(output, r"POST KnSalesRelationOrg: Success")
		self.assertRegex(output, r"POST FiEntries: Success")
		self.assertEqual(
			frappe.db.count(
				"Version", {"ref_doctype": "AFAS Connector Mapping", "docname": ["in", mappings]}
			),
			versions,
		)
		for m in mappings:
			self.assertEqual(
				frappe.get_all("AFAS Field Mapping", filters={"parent": m}, pluck="name"), rows[m], m
			)
			self.assertEqual(frappe.db.get_value("AFAS Connector Mapping", m, "modified"), modified[m], m)
		self.assertEqual(frappe.db.count("Customer"), customers)
		self.assertEqual(frappe.db.count("Employee"), employees, "a rerun adds no Employee")
		self.assertRegex(output, r"people: Employees: Success \(0 read")
		self.assertEqual(
			[frappe.db.count(d, {"customer": customer}) for d in ("Sales Order", "Sales Invoice")], counts
		)


#: Desk users and labels of the browser flows (tests/bench/desk/flows.cjs).
FLOW_USERS = {"en": "afas-first-hour@example.com", "nl": "afas-first-hour-nl@example.com"}
FLOW_LABELS = {
	"en": {"afas_group": "AFAS", "sync_item": "Sync Now"},
	"nl": {"afas_group": "AFAS", "sync_item": "Nu synchroniseren"},
}
INBOUND_MAPPING = "First Hour Debtors"
PUSH_MAPPING = "First Hour Customer Push"
NO_WORKER = {"default": 0, "long": 0}
WORKERS = {"default": 1, "long": 1}


def workers(counts: dict[str, int]):
	return patch("afas_connector.binding.monitoring.workers_per_queue", return_value=counts)


class TestQueuedWorkSaysWhatIsMissing(IntegrationTestCase):
	"""Wherever work is queued, the answer says when no worker serves its queue (or the scheduler is
	off) and what to do; a switched-off mapping is said to be off instead of queued."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		configure(simulator())
		make_mapping(
			INBOUND_MAPPING,
			direction="Inbound",
			afas_connector="ERP_Debtors",
			erpnext_doctype="Customer",
			afas_key_field="DebtorId",
			field_mappings=DEBTOR_TO_CUSTOMER,
		)

	@classmethod
	def tearDownClass(cls):
		cleanup_mapping(INBOUND_MAPPING)
		cleanup_mapping(PUSH_MAPPING)
		super().tearDownClass()

	def setUp(self):
		frappe.db.set_value("AFAS Connector Mapping", INBOUND_MAPPING, "enabled", 1)
		frappe.db.delete("AFAS Sync Log", {"mapping": INBOUND_MAPPING})
		# No real job: the queue is the bench's, shared with other sites and other test runs.
		self.enqueue = patch(
			"afas_connector.binding.pull.enqueue_pull", return_value=SimpleNamespace(id="job")
		)
		self.enqueue.start()
		self.addCleanup(self.enqueue.stop)

	def test_sync_now_without_a_worker_says_so_and_how_to_run_it_now(self):
		with workers(NO_WORKER):
			first = api.sync_now(INBOUND_MAPPING)
			again = api.sync_now(INBOUND_MAPPING)
			status = api.sync_status(log=first["log"])
		self.assertTrue(first["queued"])
		for answer in (first, again, status):
			self.assertIn("No background worker takes jobs from the long queue", answer["waiting"])
			self.assertIn("bench start", answer["waiting"])
			self.assertIn(f'afas sync "{INBOUND_MAPPING}"', answer["waiting"])
		self.assertIn(first["waiting"], first["message"], "said where the caller shows only the message")
		self.assertFalse(again["queued"])
		with workers(WORKERS):
			self.assertIsNone(api.sync_status(log=first["log"])["waiting"])

	def test_a_queued_log_says_it_in_the_form(self):
		with workers(NO_WORKER):
			log = frappe.get_doc("AFAS Sync Log", api.sync_now(INBOUND_MAPPING)["log"])
			log.run_method("onload")
		self.assertIn("long queue", log.get_onload().waiting)

	def test_a_retrying_push_says_when_the_scheduler_is_off(self):
		from afas_connector.binding.monitoring import log_waiting_notice

		with (
			workers(WORKERS),
			patch("afas_connector.binding.monitoring.scheduler_state", return_value=(False, "disabled")),
		):
			notice = log_waiting_notice("Retrying", "Outbound")
			self.assertIsNone(log_waiting_notice("Queued", "Outbound"), "a queued push needs only a worker")
		self.assertIn("enable-scheduler", notice)

	def test_push_to_afas_without_a_worker_says_so(self):
		push_mapping(PUSH_MAPPING)
		customer = frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": f"First Hour {frappe.generate_hash(length=5)}",
				"customer_group": "All Customer Groups",
				"territory": "All Territories",
			}
		).insert(ignore_permissions=True)
		with workers(NO_WORKER):
			answer = api.push_document("Customer", customer.name, PUSH_MAPPING)
		self.assertIn("No background worker takes jobs from the default queue", answer["waiting"])
		self.assertNotIn("afas sync", answer["waiting"], "a push has no sync command to run")
		with workers(WORKERS):
			self.assertIsNone(api.push_document("Customer", customer.name, PUSH_MAPPING)["waiting"])

	def test_sync_now_and_retry_of_a_switched_off_mapping_say_so(self):
		failed = frappe.get_doc(
			{
				"doctype": "AFAS Sync Log",
				"mapping": INBOUND_MAPPING,
				"direction": "Inbound",
				"status": "Failed",
			}
		).insert(ignore_permissions=True)
		frappe.db.set_value("AFAS Connector Mapping", INBOUND_MAPPING, "enabled", 0)
		with self.assertRaisesRegex(frappe.ValidationError, "is switched off"):
			api.sync_now(INBOUND_MAPPING)
		answer = api.retry_log(failed.name)
		self.assertEqual(answer["queued"], 0)
		self.assertIn("is switched off", answer["skipped"][0]["reason"])
		self.assertFalse(frappe.db.exists("AFAS Sync Log", {"mapping": INBOUND_MAPPING, "status": "Queued"}))

	def test_a_queued_run_whose_job_is_gone_does_not_block_sync_now(self):
		orphan = frappe.get_doc(
			{
				"doctype": "AFAS Sync Log",
				"mapping": INBOUND_MAPPING,
				"direction": "Inbound",
				"status": "Queued",
			}
		).insert(ignore_permissions=True)
		seven_minutes_ago = frappe.utils.now_datetime() - dt.timedelta(minutes=7)
		frappe.db.set_value(
			"AFAS Sync Log", orphan.name, "creation", seven_minutes_ago, update_modified=False
		)
		with patch("frappe.utils.background_jobs.get_job", return_value=None):
			answer = api.sync_now(INBOUND_MAPPING)
		self.assertTrue(answer["queued"])
		self.assertNotEqual(answer["log"], orphan.name)
		self.assertEqual(frappe.db.get_value("AFAS Sync Log", orphan.name, "status"), "Failed")

	def delete_what_the_run_wrote(self):
		"""The run's Customers and links go (the demo's Customers share their names: left, they would
		make the demo's match-by-name ambiguous for every later test)."""
		for name in frappe.get_all(
			"AFAS Record Link", filters={"mapping": INBOUND_MAPPING}, pluck="reference_name"
		):
			if frappe.db.exists("Customer", name):
				frappe.delete_doc("Customer", name, force=True, ignore_permissions=True)
		frappe.db.delete("AFAS Record Link", {"mapping": INBOUND_MAPPING})
		frappe.db.commit()

	def test_sync_now_while_a_scheduled_job_waits_answers_a_log_that_job_runs_as(self):
		"""RQ already holds the mapping's job (the scheduler queued it; no worker took it yet): Sync Now
		answers a Queued log that exists, and the waiting job, when a worker starts it, runs as it (it
		answered a deleted log before: the desk showed "AFAS Sync Log … not found")."""
		from afas_connector.binding.pull import run_pull_job

		self.enqueue.stop()
		with patch("afas_connector.binding.pull.enqueue_pull", return_value=None):  # RQ: "already queued"
			answer = api.sync_now(INBOUND_MAPPING)
		self.enqueue.start()
		self.assertTrue(frappe.db.exists("AFAS Sync Log", answer["log"]))
		self.assertEqual(frappe.db.get_value("AFAS Sync Log", answer["log"], "status"), "Queued")
		self.addCleanup(self.delete_what_the_run_wrote)
		ran_as = run_pull_job(INBOUND_MAPPING, trigger="Scheduler")  # the waiting job, started at last
		self.assertEqual(ran_as, answer["log"])
		self.assertIn(frappe.db.get_value("AFAS Sync Log", answer["log"], "status"), ("Success", "Partial"))


class TestCliOnASwitchedOffMapping(IntegrationTestCase):
	def test_bench_afas_sync_says_the_mapping_is_switched_off(self):
		configure(simulator())
		make_mapping(
			INBOUND_MAPPING,
			enabled=0,
			direction="Inbound",
			afas_connector="ERP_Debtors",
			erpnext_doctype="Customer",
			afas_key_field="DebtorId",
			field_mappings=DEBTOR_TO_CUSTOMER,
		)
		self.addCleanup(cleanup_mapping, INBOUND_MAPPING)
		# frappe's own entry point, what `bench --site S afas sync` runs (the bench CLI does not drive a
		# Python 3.13 Frappe 16 env; bench.md)
		done = subprocess.run(
			[
				sys.executable,
				"-m",
				"frappe.utils.bench_helper",
				"frappe",
				"--site",
				frappe.local.site,
				"afas",
				"sync",
				INBOUND_MAPPING,
			],
			cwd=os.path.join(frappe.utils.get_bench_path(), "sites"),
			capture_output=True,
			text=True,
			timeout=120,
		)
		self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
		self.assertIn(f"AFAS mapping {INBOUND_MAPPING} is switched off", done.stderr)
		self.assertNotIn("Stopped after 0 pages", done.stdout + done.stderr)
		self.assertFalse(frappe.db.exists("AFAS Sync Log", {"mapping": INBOUND_MAPPING}))


class TestReadmeAsANewcomerReadsIt(IntegrationTestCase):
	def readme(self) -> list[str]:
		app = os.path.dirname(frappe.get_app_path("afas_connector"))  # get_app_path lowercases its parts
		with open(os.path.join(app, "README.md"), encoding="utf-8") as f:
			return f.read().splitlines()

	def test_every_code_fence_closes_before_the_prose_goes_on(self):
		inside, opened, prose_in_code = False, 0, []
		for number, line in enumerate(self.readme(), 1):
			if line.startswith("```"):
				inside, opened = not inside, number
			elif inside and (line.startswith("## ") or line.startswith("**")):
				prose_in_code.append(f"{number}: {line[:60]} (in the fence opened at line {opened})")
		self.assertFalse(inside, f"the fence opened at line {opened} never closes")
		self.assertEqual(prose_in_code, [])

	def test_install_says_the_setup_wizard_and_bench_build(self):
		text = "\n".join(self.readme())
		self.assertIn("setup wizard", text[: text.index("## Try it")])
		self.assertIn("bench build --app afas_connector", text)


class TestDeskSaysNoWorker(DeskTestCase):
	"""Sync Now in the desk with no worker on the long queue, in English and Dutch (screenshots
	``sync_no_worker-<language>-dialog.png`` and ``sync_no_worker-<language>.png``)."""

	desk_users: ClassVar = {
		user: (["AFAS Manager", "System Manager"], language) for language, user in FLOW_USERS.items()
	}

	def test_sync_now_and_the_queued_log_say_no_worker_takes_the_run(self):
		expected = {
			"en": "No background worker takes jobs from the long queue",
			"nl": "Geen achtergrondworker neemt taken uit de wachtrij long",
		}
		for language in ("en", "nl"):
			name = f"First Hour Desk {language}"
			make_mapping(
				name,
				direction="Inbound",
				afas_connector="ERP_Debtors",
				erpnext_doctype="Customer",
				afas_key_field="DebtorId",
				field_mappings=DEBTOR_TO_CUSTOMER,
			)
			self.addCleanup(cleanup_mapping, name)
			# The desk's server runs in this process: no worker, and no real job on the bench's queue.
			with (
				workers(NO_WORKER),
				patch("afas_connector.binding.pull.enqueue_pull", return_value=SimpleNamespace(id="job")),
			):
				facts = run_flow(
					self,
					self.server,
					FLOW_USERS[language],
					language,
					"sync_no_worker",
					{**FLOW_LABELS[language], "name": name},
				)
			for shown in (facts["waiting"], facts["headline"]):
				self.assertIn(expected[language], shown)
				self.assertIn(f'afas sync "{name}"', shown)
				self.assertNotIn("&quot;", shown)
			self.assertEqual(facts["status"], {"en": "Queued", "nl": "In wachtrij"}[language])


class TestTheFirstHourInTheDesk(DeskTestCase):
	"""Issue 26's first hour end to end, on a company with the Dutch chart, in English and Dutch: the
	demo, the workspace, a mapping from a template (switched off), its preview (rows it would insert
	say "new"), switched on, Sync Now with no worker (the dialog says so and how to run it now), then
	with one (the run goes to its end). Screenshots ``first_hour_*-<language>*.png``."""

	desk_users: ClassVar = {
		user: (["AFAS Manager", "System Manager", "Sales Master Manager"], language)
		for language, user in FLOW_USERS.items()
	}
	LABELS: ClassVar = {
		"en": {
			"afas_group": "AFAS",
			"sync_item": "Sync Now",
			"preview_item": "Preview",
			"template_button": "New from Template",
			"next_label": "Next",
			"create_label": "Create",
			"new": "new",
			"result_new": "New",
			"switched_off": "switched off",
			"no_worker": "No background worker takes jobs from the long queue",
			"cards": "Queued Changes",
		},
		"nl": {
			"afas_group": "AFAS",
			"sync_item": "Nu synchroniseren",
			"preview_item": "Voorbeeld",
			"template_button": "Nieuw uit sjabloon",
			"next_label": "volgende",
			"create_label": "Creëren",
			"new": "nieuw",
			"result_new": "Nieuw",
			"switched_off": "uitgeschakeld",
			"no_worker": "Geen achtergrondworker neemt taken uit de wachtrij long",
			"cards": "Wijzigingen in de wachtrij",
		},
	}

	def test_install_demo_workspace_template_preview_sync_without_and_with_a_worker(self):
		from afas_connector.sync.templates import get_template
		from afas_connector.tests.bench.test_desk_flows import QueueRunner

		company = dutch_company()
		lines: list[str] = []
		with patch.object(demo, "demo_company", return_value=company):
			run_demo(port=0, echo=lines.append)
		output = "\n".join(lines)
		self.assertNotIn("Traceback", output)
		self.assertRegex(output, r"POST FiEntries: Success")
		configure(self.sim)  # the demo's own simulator stopped with it: back to this test's
		frappe.defaults.set_user_default("company", company, user=FLOW_USERS["en"])
		frappe.defaults.set_user_default("company", company, user=FLOW_USERS["nl"])
		frappe.db.commit()
		for language in ("en", "nl"):
			labels = self.LABELS[language]
			user = FLOW_USERS[language]
			facts = run_flow(self, self.server, user, language, "workspace", labels)
			self.assertIn(labels["cards"].lower(), " ".join(facts["cards"]).lower())

			name = f"First Hour Template {language}"
			self.addCleanup(cleanup_mapping, name, "Customer")
			cleanup_mapping(name, "Customer")
			# this run's debtors: new Customers (the demo's are matched by name by its own mapping)
			tag = frappe.generate_hash(length=6)
			for row in self.sim.rows("Profit_Debtor"):
				self.sim.update_row(
					"Profit_Debtor", row["DebtorId"], {"DebtorName": f"{row['DebtorName']} {tag}"}
				)
			template_title = frappe._(get_template("debtors-in").title, lang=language)
			facts = run_flow(
				self,
				self.server,
				user,
				language,
				"new_from_template",
				{**labels, "template": "debtors-in", "title": template_title, "name": name},
			)
			self.assertEqual(facts["doc"]["enabled"], 0)
			self.assertIn(labels["switched_off"], facts["intro"])

			with (
				workers(NO_WORKER),
				patch("afas_connector.binding.pull.enqueue_pull", return_value=SimpleNamespace(id="job")),
			):
				facts = run_flow(
					self,
					self.server,
					user,
					f"{language}-no-worker",
					"first_hour_mapping",
					{**labels, "name": name, "expect_waiting": True},
				)
			self.assertTrue(facts["preview_documents"])
			for result, document in zip(facts["preview_results"], facts["preview_documents"]):
				if result == labels["result_new"]:
					self.assertEqual(document, labels["new"])
			self.assertIn(labels["no_worker"], facts["waiting"])
			self.assertIn(f'afas sync "{name}"', facts["waiting"])

			runner = QueueRunner(name)
			try:
				facts = run_flow(
					self,
					self.server,
					user,
					f"{language}-worker",
					"first_hour_mapping",
					{**labels, "name": name, "skip_preview": True},
				)
			finally:
				runner.close()
			self.assertEqual(facts["waiting_shown"], 0)
			done = frappe.get_all(
				"AFAS Sync Log",
				filters={"mapping": name, "status": ["in", ("Success", "Partial")]},
				pluck="name",
			)
			self.assertTrue(
				done,
				f"{facts} {frappe.get_all('AFAS Sync Log', filters={'mapping': name}, fields=['status', 'error', 'record_errors'])}",
			)
			self.assertTrue(frappe.db.count("AFAS Record Link", {"mapping": name}))
