"""Issue 23 §2: text from AFAS is data, shown as text wherever it is shown (design.md, trust model).

AFAS keys, names, error messages (``externalMessage``), file names and mimetypes carrying
``<img src=x onerror=alert(1)>``, ``<script>alert(1)</script>`` and ``<svg onload=alert(1)>`` go through
inbound runs, refused pushes, alerts with their notices and emails, the health answer, previews and
file copies. Where the text is stored it is kept whole, in a field the desk shows as text on Frappe 15
and 16 (``Data``, which both escape in a form, with *Ignore XSS Filter* so no ORM save rewrites it, or
``Code``); where HTML is made of it (emails, notifications) it is escaped; JSON answers carry it plain;
and a file from AFAS is never stored with an extension a browser runs. The desk itself, in headless
Chromium, is ``test_desk_untrusted_text.py``.
"""

from __future__ import annotations

import json
import re

import frappe

from afas_connector.devtools.samples import new_customer
from afas_connector.simulator.store import StoredFile
from afas_connector.tests.bench.fixtures import (
	IntegrationTestCase,
	cleanup_mapping,
	configure,
	isolate_outbound,
	push_mapping,
	record_attack,
	restore_outbound,
	simulator,
)
from afas_connector.tests.bench.test_alerts import AlertTestCase, alerts, emails, evaluate
from afas_connector.tests.bench.test_attachments import FILE_LINK, files_of
from afas_connector.tests.bench.test_inbound_sync import DEBTORS, debtor_mapping
from afas_connector.tests.bench.test_templates import TemplateCase

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"
SVG = "<svg onload=alert(1)>"
PAYLOADS = (IMG, SCRIPT, SVG)
#: The raw start of each payload: never in HTML the connector makes.
RAW_TAGS = ("<img", "<script", "<svg")
#: The field types Frappe 15 and 16 both show as text in a form: Data (escaped before it is formatted)
#: and Code (its formatter escapes). Small Text, Text and Long Text are HTML in Frappe 15's form.
TEXT_TYPES = ("Data", "Code")
#: A file extension a browser may run as a page on the site's origin.
ACTIVE = re.compile(r"\.(svg|html?|xhtml|xht|xml|js|mjs)$", re.I)


class ShownAsText:
	"""Assertions about where AFAS text is stored (mixed into the test cases)."""

	def assertStoredAsText(self, doctype: str, fieldname: str, value: str | None, *expected: str) -> None:
		"""``value`` of ``doctype.fieldname`` holds each of ``expected`` whole (not escaped, not stripped)
		in a field the desk shows as text, which no ORM save rewrites."""
		df = frappe.get_meta(doctype).get_field(fieldname)
		self.assertIn(df.fieldtype, TEXT_TYPES, f"{doctype}.{fieldname} is {df.fieldtype}: HTML in the desk")
		if df.fieldtype == "Data":
			self.assertTrue(df.ignore_xss_filter, f"{doctype}.{fieldname}: an ORM save would rewrite it")
		for text in expected:
			self.assertIn(text, value or "", f"{doctype}.{fieldname}")

	def assertEscapedHtml(self, html: str, *expected: str) -> None:
		"""HTML the connector made shows each of ``expected`` escaped, and no raw tag of a payload."""
		for text in expected:
			self.assertIn(frappe.utils.escape_html(text), html)
		for tag in RAW_TAGS:
			self.assertNotIn(tag, html.lower())


class TestInboundText(ShownAsText, IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()
		configure(cls.sim)

	def setUp(self):
		self.name = "Test Untrusted In " + frappe.generate_hash(length=6)
		tag = self.name[-6:]
		self.sim.generate_rows(DEBTORS, n=2, seed=231)
		rows = self.sim.rows(DEBTORS)
		for row in rows:
			self.sim.update_row(DEBTORS, row["DebtorId"], {"Name": f"{row['Name']} {tag}"})
		template = dict(rows[0])
		self.good_key = f"0K{IMG}{tag}"  # a clean name: the row is written, its key kept whole
		self.bad_key = f"0K{SCRIPT}{tag}"  # no name: a row error naming the key
		self.sim.add_rows(
			DEBTORS,
			[
				{**template, "DebtorId": self.good_key, "Name": f"Klant U23 {tag}"},
				{**template, "DebtorId": self.bad_key, "Name": "   "},
			],
		)
		self.mapping = debtor_mapping(self.name)

	def tearDown(self):
		cleanup_mapping(self.name, "Customer")
		for key in (self.good_key, self.bad_key):
			self.sim.delete_row(DEBTORS, key)

	def test_keys_names_and_row_errors_of_a_run_are_stored_and_previewed_as_text(self):
		from afas_connector.api import preview_mapping
		from afas_connector.binding.pull import sync_mapping

		log = sync_mapping(self.name).reload()
		self.assertEqual((log.status, log.failed), ("Partial", 1), log.error)
		self.assertStoredAsText("AFAS Sync Log", "error", log.error, self.bad_key)
		errors = json.loads(log.record_errors)
		self.assertEqual([e["key"] for e in errors], [self.bad_key])
		self.assertStoredAsText("AFAS Sync Log", "record_errors", log.record_errors, SCRIPT)
		self.assertNotIn("<", log.title, "a label: ‹ › for a key's < >")

		link = frappe.get_all(
			"AFAS Record Link",
			filters={"mapping": self.name, "afas_key": self.good_key},
			fields=["afas_key", "reference_name"],
		)
		self.assertEqual([row.afas_key for row in link], [self.good_key], "the key, exactly")
		self.assertStoredAsText("AFAS Record Link", "afas_key", link[0].afas_key, IMG)

		# The preview answers JSON: AFAS's text plain (the dialog escapes it)
		preview = preview_mapping(self.name, limit=50, full=1)
		keys = {row["afas_key"]: row for row in preview["rows"]}
		self.assertIn(self.good_key, keys)
		self.assertEqual(keys[self.good_key]["action"], "unchanged")
		failed = keys[self.bad_key]
		self.assertEqual(failed["action"], "fail")
		self.assertEqual([e["field"] for e in failed["errors"]], ["Name"])
		record_attack(
			"AFAS keys with <img onerror>/<script> through an inbound run and its preview", refused=True
		)

	def test_a_key_recorded_through_the_orm_stays_the_key(self):
		"""A push records the key AFAS answered through the ORM: Frappe 15's sanitiser would make
		``K<img src="x">`` of it, 16's ``K``; either is another record's key in the next push."""
		from afas_connector.binding.record_links import link_document, name_of

		customer = new_customer(f"U23 Link {self.name[-6:]} B.V.")
		key = f"D{IMG}{SVG}"
		link_document(self.name, key, "Customer", customer.name)
		self.assertEqual(name_of(self.name, key), customer.name)
		stored = frappe.db.get_value("AFAS Record Link", {"mapping": self.name}, "afas_key")
		self.assertStoredAsText("AFAS Record Link", "afas_key", stored, key)
		record_attack("AFAS key with markup rewritten by an ORM save (link of a push)", refused=True)
		frappe.delete_doc("Customer", customer.name, force=True, ignore_permissions=True)


class TestRefusedPushText(ShownAsText, IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sim = simulator()
		configure(cls.sim)

	def setUp(self):
		self.name = "Test Untrusted Out " + frappe.generate_hash(length=6)
		push_mapping(self.name)
		self.others = isolate_outbound(self.name)
		self.customer = None

	def tearDown(self):
		self.sim.faults.clear()
		if self.customer and frappe.db.exists("Customer", self.customer):
			frappe.delete_doc("Customer", self.customer, force=True, ignore_permissions=True)
		frappe.db.commit()
		cleanup_mapping(self.name)
		restore_outbound(self.others)

	def test_afas_refusal_is_stored_as_text(self):
		from afas_connector.binding.push import push_pending

		message = f"Debiteur {IMG} bestaat niet {SCRIPT} {SVG}"
		self.sim.faults.add(connector="KnSalesRelationOrg", kind="validation", times=None, message=message)
		doc = new_customer(f"U23 Push {self.name[-6:]} B.V.")
		self.customer = doc.name
		frappe.db.commit()
		outcomes = push_pending(self.name, "Customer", doc.name)
		frappe.db.commit()
		self.assertIn("Failed", outcomes)
		log = frappe.get_doc("AFAS Sync Log", {"mapping": self.name, "reference_name": doc.name})
		self.assertStoredAsText("AFAS Sync Log", "error", log.error, IMG, SCRIPT, SVG)
		self.assertStoredAsText("AFAS Sync Log", "error_detail", log.error_detail, IMG)
		self.assertStoredAsText("AFAS Sync Log", "response_excerpt", log.response_excerpt, "onerror=alert(1)")
		record_attack("AFAS externalMessage with markup refusing a push", refused=True)


class TestAlertText(ShownAsText, AlertTestCase):
	def setUp(self):
		super().setUp()
		self.name = "Test Untrusted Alert " + frappe.generate_hash(length=6)
		self.sim.generate_rows(DEBTORS, n=3, seed=232)
		for row in self.sim.rows(DEBTORS):
			self.sim.update_row(DEBTORS, row["DebtorId"], {"Name": f"{row['Name']} {self.name[-6:]}"})
		debtor_mapping(self.name)

	def tearDown(self):
		self.sim.faults.clear()
		cleanup_mapping(self.name, "Customer")

	def sync(self) -> str:
		from afas_connector.binding.pull import sync_mapping

		return sync_mapping(self.name).reload().status

	def assertNoticesEscaped(self, alert: str, *expected: str) -> None:
		for subject, content in frappe.get_all(
			"Notification Log",
			filters={"document_name": alert},
			fields=["subject", "email_content"],
			as_list=True,
		):
			self.assertEscapedHtml(subject + (content or ""), *expected)
		mails = emails(alert)
		self.assertTrue(mails, "an email")
		for _subject, _recipients, body in mails:
			self.assertEscapedHtml(body, *expected)

	def test_failing_runs_alert_kept_current_with_afas_text_as_text(self):
		from afas_connector.binding.monitoring import health

		configure(self.sim, alert_failed_runs=2)
		first = f"Onderhoud {SVG}"
		self.sim.faults.add(connector=DEBTORS, kind="validation", times=None, message=first)
		self.assertEqual(self.sync(), "Failed")
		self.assertEqual(self.sync(), "Failed")
		evaluate()
		key = f"failing_runs:{self.name}"
		(alert,) = alerts(key)
		self.assertStoredAsText("AFAS Alert", "message", alert.message, SVG)
		self.assertNoticesEscaped(alert.name, SVG)

		self.sim.faults.clear()
		self.sim.faults.add(connector=DEBTORS, kind="validation", times=None, message=f"Nu {IMG}")
		self.assertEqual(self.sync(), "Failed")
		evaluate()  # the open alert's text is updated in place (frappe.db.set_value, no ORM)
		(alert,) = alerts(key)
		self.assertStoredAsText("AFAS Alert", "message", alert.message, IMG)
		answer = json.loads(frappe.as_json(health()))
		(problem,) = [p for p in answer["problems"] if p["key"] == key]
		self.assertIn(IMG, problem["message"])
		record_attack(
			"AFAS error with markup in an alert, its notices, email and the health answer", refused=True
		)


class TestFileNames(TemplateCase):
	def test_pictures_and_dossier_files_are_never_stored_as_active_content(self):
		from afas_connector.binding.constants import MAPPING

		articles = self.make("articles-in")
		codes = [row["ItemCodeId"] for row in self.sim.rows("Profit_Article_image")][:3]
		kinds = ("image/svg+xml", "text/html", "application/xhtml+xml")
		for number, (code, mimetype) in enumerate(zip(codes, kinds, strict=True)):
			image_id = f"u23-{number}"
			self.sim.store.images[image_id] = StoredFile(
				f"x{SVG}.svg", mimetype, f"<svg onload=alert({number})>".encode()
			)
			self.sim.update_row("Profit_Article_image", code, {"Image": image_id})
		log = self.pull(articles)
		self.assertIn(log.status, ("Success", "Partial"), log.record_errors)
		for code in codes:
			(picture,) = files_of("Item", code)
			self.assertTrue(picture.file_name.endswith(".bin"), picture.file_name)
			self.assertFalse(ACTIVE.search(picture.file_url), picture.file_url)

		debtors = self.make("debtors-in")
		frappe.db.set_value(MAPPING, debtors, "dossier_attachments", 1)
		frappe.db.commit()
		names = [
			f"{SCRIPT}.html",
			"../../etc/evil.svg",
			"rapport\x00\u202e.xhtml",
			"a" * 300 + ".pdf",
			f"offerte {IMG}.pdf",
		]
		for number, row in enumerate(self.sim.rows("Profit_Subject_Attachments")):
			name = names[number % len(names)]
			self.sim.update_row("Profit_Subject_Attachments", row["attachment_id"], {"file_name": name})
			stored = self.sim.store.subject_files[(str(row["subject_id"]), str(row["file_id"]).lower())]
			stored.mimetype = "text/html"
		self.pull(debtors)
		copied = frappe.get_all(
			FILE_LINK, filters={"mapping": debtors, "file": ["is", "set"]}, fields=["file", "file_name"]
		)
		self.assertGreaterEqual(len(copied), 3)
		for link in copied:
			file = frappe.db.get_value("File", link.file, ["file_name", "file_url"], as_dict=True)
			for name in (file.file_name, file.file_url.rsplit("/", 1)[-1], link.file_name):
				self.assertFalse(ACTIVE.search(name), name)
				self.assertFalse(re.search(r"[<>/\\\x00-\x1f\u202e]", name), repr(name))
				self.assertLessEqual(len(name), 140)
			self.assertTrue(file.file_url.startswith("/private/files/"), file.file_url)
		extensions = {f.file_name.rsplit(".", 1)[-1] for f in copied}
		self.assertIn("bin", extensions, "an .html, .svg or .xhtml is a download")
		self.assertIn("pdf", extensions, "a PDF stays a PDF, whatever its mimetype says")
		record_attack(
			"AFAS files named or typed .svg/.html/.xhtml, with ../ and control characters", refused=True
		)
