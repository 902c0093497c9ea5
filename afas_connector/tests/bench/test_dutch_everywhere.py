"""Dutch wherever the user reads (issue 26 §5): AFAS's client errors, Sync Log titles, template names,
the import's differences, and what background jobs write — in the reader's language."""

from __future__ import annotations

import frappe

from afas_connector.afas import AfasError
from afas_connector.binding import language
from afas_connector.binding.connection import get_client
from afas_connector.binding.sync_log import log_title
from afas_connector.tests.bench.fixtures import IntegrationTestCase, configure, simulator


def free_port() -> int:
	import socket

	with socket.socket() as s:
		s.bind(("127.0.0.1", 0))
		return s.getsockname()[1]


class InDutch:
	"""``with InDutch():`` reads as a Dutch user does, and restores the language after."""

	def __enter__(self):
		self.before = frappe.local.lang
		frappe.local.lang = "nl"
		return self

	def __exit__(self, *exc):
		frappe.local.lang = self.before


class TestDutchEverywhere(IntegrationTestCase):
	def setUp(self):
		self.sim = simulator()
		configure(self.sim)

	def test_a_dead_afas_is_reported_in_dutch_and_logged_in_english(self):
		configure(self.sim, base_url=f"http://127.0.0.1:{free_port()}")
		try:
			with self.assertRaises(AfasError) as caught, get_client(interactive=True) as client:
				client.profit_version()
		finally:
			configure(self.sim)
		with InDutch():
			self.assertIn("AFAS is niet bereikbaar (ConnectionRefusedError)", str(caught.exception))
		self.assertIn("Could not reach AFAS (ConnectionRefusedError)", str(caught.exception))
		self.assertIn("Could not reach AFAS", caught.exception.to_dict()["message"])

	def test_a_sync_log_title_in_the_writers_language(self):
		values = {"direction": "Outbound", "reference_name": "CUST-0001", "event": "on_update"}
		self.assertEqual(log_title(values), "Outbound · CUST-0001 · saved")
		with InDutch():
			self.assertEqual(log_title(values), "Uitgaand · CUST-0001 · opgeslagen")
			self.assertEqual(
				log_title({"direction": "Inbound", "mapping": "Debiteuren"}), "Inkomend · Debiteuren"
			)

	def test_template_names_name_the_doctype_in_dutch(self):
		from afas_connector.binding.templates import template_list

		with InDutch():
			titles = {t["id"]: t["title"] for t in template_list()}
		self.assertEqual(titles["debtors-in"], "AFAS-debiteuren (Profit_Debtor) → Klant")
		self.assertTrue(titles["creditors-org-out"].startswith("Leverancier → "))
		english = [
			t for t in titles.values() if t.endswith(("→ Customer", "→ Supplier", "→ Item", "→ Address"))
		]
		self.assertEqual(english, [])

	def test_the_import_names_fields_as_the_form_labels_them(self):
		from afas_connector.binding.transfer import export_mappings, preview_import
		from afas_connector.tests.bench.fixtures import cleanup_mapping, make_mapping

		name = "Test Dutch Import Labels"
		make_mapping(
			name,
			direction="Inbound",
			afas_connector="Profit_Debtor",
			erpnext_doctype="Customer",
			afas_key_field="DebtorId",
			interval_minutes=15,
			field_mappings=[{"afas_field": "DebtorId", "erpnext_field": "name"}],
		)
		try:
			exported = frappe.parse_json(frappe.as_json(export_mappings([name])))
			exported["mappings"][0]["interval_minutes"] = 30
			with InDutch():
				(change,) = preview_import(exported)["changes"]
			(difference,) = change["differences"]
			self.assertEqual(difference["field"], "interval_minutes")
			self.assertEqual(difference["label"], "Interval (minuten)")
		finally:
			cleanup_mapping(name)

	def test_the_apps_jobs_speak_the_language_of_who_queued_them(self):
		self.assertIn("afas_connector.binding.language.before_job", frappe.get_hooks("before_job"))
		user = "afas-dutch-jobs@example.com"
		if not frappe.db.exists("User", user):
			frappe.get_doc(
				{
					"doctype": "User",
					"email": user,
					"first_name": "Jobs",
					"language": "nl",
					"send_welcome_email": 0,
				}
			).insert(ignore_permissions=True)
		before, current = frappe.local.lang, frappe.session.user
		try:
			frappe.set_user(user)
			frappe.local.lang = "en"  # as Frappe starts every job
			language.before_job(method="frappe.utils.other_app.job", kwargs={})
			self.assertEqual(frappe.local.lang, "en", "another app's job is left alone")
			language.before_job(method="afas_connector.binding.outbox.drain", kwargs={})
			self.assertEqual(frappe.local.lang, "nl")
			frappe.local.lang = "en"
			language.before_job(
				method="frappe.core.doctype.scheduled_job_type.scheduled_job_type.run_scheduled_job",
				kwargs={"job_type": "afas_connector.binding.pull.enqueue_due_pulls"},
			)
			self.assertEqual(frappe.local.lang, "nl")
		finally:
			frappe.set_user(current)
			frappe.local.lang = before


class TestOneIsSingular(IntegrationTestCase):
	def test_one_document_needs_attention_not_one_documents(self):
		from afas_connector.binding.monitoring import describe
		from afas_connector.sync.health import Problem

		one = Problem("k", "needs_attention", "error", "Debiteuren", {"count": 1})
		two = Problem("k", "needs_attention", "error", "Debiteuren", {"count": 2})
		self.assertEqual(describe(one)[0], "Debiteuren: 1 document needs attention")
		with InDutch():
			self.assertEqual(describe(one)[0], "Debiteuren: 1 document vraagt aandacht")
			self.assertEqual(describe(two)[0], "Debiteuren: 2 documenten vragen aandacht")
