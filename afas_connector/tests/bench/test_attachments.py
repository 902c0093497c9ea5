"""Issue 17: files both ways, against the simulator over HTTP. In: AFAS pictures (Profit_Article_image
and the ImageConnector) into an Item's image, and the files of AFAS dossier items
(Profit_Subject_Attachments and the SubjectConnector) onto Projects and Customers, once each, a changed
file replacing its copy, always private. Out: the files attached to a Sales Invoice or Project go to AFAS
as a dossier item with attachments (KnSubject), linked to the debtor or project, each once; AFAS's 75 MB
per call is checked before anything is read or sent; files from AFAS never go back."""

from __future__ import annotations

import base64

import frappe

from afas_connector.binding.constants import MAPPING
from afas_connector.simulator.demo_data import MINI_PDF, MINI_PNG, make_pdf
from afas_connector.simulator.store import StoredFile
from afas_connector.tests.bench.fixtures import COMPANY, ITEMS
from afas_connector.tests.bench.test_templates import TemplateCase

FILE_LINK = "AFAS File Link"


def files_of(doctype: str, name: str) -> list:
	return frappe.get_all(
		"File",
		filters={"attached_to_doctype": doctype, "attached_to_name": name},
		fields=["name", "file_name", "file_url", "is_private"],
		order_by="file_name asc",
	)


def content(file: str) -> bytes:
	from afas_connector.binding.attachments import file_bytes

	return file_bytes(frappe.get_doc("File", file))


def attach(doctype: str, name: str, file_name: str, data: bytes, private: int = 1):
	file = frappe.get_doc(
		{
			"doctype": "File",
			"file_name": file_name,
			"attached_to_doctype": doctype,
			"attached_to_name": name,
			"is_private": private,
			"content": data,
		}
	).insert(ignore_permissions=True)
	frappe.db.commit()
	return file


def requests_to(sim, label: str) -> list:
	return [r for r in sim.requests if r.connector == label]


class TestFilesFromAfas(TemplateCase):
	def test_article_pictures_once_each_and_replaced_when_changed(self):
		articles = self.make("articles-in")
		log = self.pull(articles)
		self.assertEqual(log.status, "Success", log.record_errors)
		self.assertIn("4 copied", log.error)
		bread = frappe.get_doc("Item", self.code("ART-1001"))
		(picture,) = files_of("Item", bread.name)
		self.assertEqual(
			(bread.image, picture.is_private), (picture.file_url, 1), "private, in the image field"
		)
		self.assertTrue(picture.file_url.startswith("/private/files/"))
		self.assertEqual(content(picture.name), MINI_PNG, "the ImageConnector's picture")
		self.assertEqual(frappe.db.count(FILE_LINK, {"mapping": articles}), 4)

		self.sim.clear_requests()
		self.pull(articles, full=True)
		self.assertEqual(requests_to(self.sim, "ImageConnector"), [], "nothing downloaded again")
		self.assertEqual(len(files_of("Item", bread.name)), 1)

		drill = self.code("ART-2001")
		(old,) = files_of("Item", drill)
		new_picture = base64.b64decode(
			"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
		)
		self.sim.store.images["1099"] = StoredFile("nieuw.png", "image/png", new_picture)
		self.sim.update_row("Profit_Article_image", drill, {"Image": "1099"})
		log = self.pull(articles)
		self.assertIn("1 replaced", log.error)
		(replaced,) = files_of("Item", drill)
		self.assertNotEqual(replaced.name, old.name)
		self.assertFalse(frappe.db.exists("File", old.name), "the old copy is gone")
		self.assertEqual(content(replaced.name), new_picture)
		self.assertEqual(frappe.db.get_value("Item", drill, "image"), replaced.file_url)
		self.assertEqual(
			frappe.db.count("AFAS Sync Log", {"direction": "Outbound", "reference_name": drill}),
			0,
			"not pushed",
		)

	def test_dossier_files_of_customers_and_projects_once_each(self):
		debtors = self.make("debtors-in")
		frappe.db.set_value(MAPPING, debtors, "dossier_attachments", 1)  # prefilled by the template, off
		frappe.db.commit()
		log = self.pull(debtors)
		self.assertEqual(log.status, "Success", log.record_errors)
		customers = self.links(debtors)
		self.assertEqual([f.file_name for f in files_of("Customer", customers["10001"])], ["offerte.txt"])
		self.assertEqual(
			[f.file_name for f in files_of("Customer", customers["10002"])], ["plattegrond.pdf", "schema.png"]
		)
		self.assertEqual([f.file_name for f in files_of("Customer", customers["10005"])], ["brief.txt"])
		projects = self.make("projects-in")
		log = self.pull(projects)
		self.assertEqual(log.status, "Success", log.record_errors)
		links = self.links(projects)
		(offer,) = files_of("Project", links["P24-001"])
		self.assertEqual((offer.file_name, offer.is_private), ("offerte.txt", 1))
		self.assertEqual(content(offer.name), b"Offerte 2024-031 voor Bakkerij De Gouden Korenschoof.\n")
		self.assertEqual(len(files_of("Project", links["P24-002"])), 2)
		self.assertEqual(files_of("Project", links["P24-005"]), [])
		# every attachment AFAS lists is known now: the payslip belongs to no record of either
		self.assertEqual(frappe.db.count(FILE_LINK, {"mapping": projects}), 6)

		self.sim.clear_requests()
		self.pull(projects, full=True)
		self.pull(debtors, full=True)
		self.assertEqual(requests_to(self.sim, "SubjectConnector"), [], "nothing downloaded again")
		self.assertEqual(len(files_of("Project", links["P24-002"])), 2)

		# AFAS's file of the offer changes: its copy is replaced, on the Project and the Customer
		self.sim.store.subject_files[("49946", "0ff3e0000000000000000000000000001")] = StoredFile(
			"offerte.txt", "text/plain", b"Offerte 2024-031, herzien.\n"
		)
		self.sim.update_row(
			"Profit_Subject_Attachments", 20172, {"file_id": "0FF3E0000000000000000000000000001"}
		)
		self.pull(projects)
		(revised,) = files_of("Project", links["P24-001"])
		self.assertEqual(content(revised.name), b"Offerte 2024-031, herzien.\n")
		self.assertFalse(frappe.db.exists("File", offer.name))

	def test_a_list_afas_refuses_leaves_the_rows_synced_and_says_so(self):
		self.pull(self.make("debtors-in"))
		projects = self.make("projects-in")
		self.sim.faults.add(connector="Profit_Subject_Attachments", kind="validation", times=None)
		self.addCleanup(self.sim.faults.clear)
		log = self.pull(projects)
		self.assertEqual((log.status, log.inserted), ("Success", 5), log.error)
		self.assertIn("could not be copied", log.error)
		self.assertIn("Profit_Subject_Attachments", log.record_errors)
		self.sim.faults.clear()
		log = self.pull(projects)
		self.assertIn("4 copied", log.error, "the next run copies them")


class TestFilesToAfas(TemplateCase):
	def setUp(self):
		super().setUp()
		self.invoices: list[str] = []

	def tearDown(self):
		for name in self.invoices:  # before the Customers they are for
			self.drop_invoice(name)
		super().tearDown()

	def test_invoice_pdf_to_the_debtor_dossier_once_each_and_75_mb_checked(self):
		debtors = self.make("debtors-in")
		self.pull(debtors)
		out = self.make("invoice-dossier-out")
		customer = self.links(debtors)["10001"]
		invoice = frappe.get_doc(
			{
				"doctype": "Sales Invoice",
				"customer": customer,
				"company": COMPANY,
				"currency": "EUR",
				"due_date": frappe.utils.add_days(frappe.utils.today(), 30),
				"items": [{"item_code": ITEMS[0], "qty": 2, "rate": 50}],
			}
		).insert(ignore_permissions=True)
		self.invoices.append(invoice.name)
		pdf = attach("Sales Invoice", invoice.name, "factuur.pdf", MINI_PDF)
		self.assertFalse(self.queued(out, invoice.name), "a draft waits for its submit")
		invoice.submit()
		frappe.db.commit()
		self.assertEqual(self.push(out, "Sales Invoice", invoice.name), ["Success"])
		key = frappe.db.get_value(
			"AFAS Sync Log", {"mapping": out, "reference_name": invoice.name}, "afas_key"
		)
		subject = self.sim.records("KnSubject")[key]
		self.assertEqual(subject["Ds"], f"Verkoopfactuur {invoice.name}")
		self.assertEqual((subject["KnSubjectLink"]["SfTp"], subject["KnSubjectLink"]["SfId"]), ("4", "10001"))
		line = subject["KnSubjectAttachment"]
		self.assertEqual(line["FileName"], "factuur.pdf")
		served = self.sim.store.subject_files[(key, line["FileId"].lower())]
		self.assertEqual(served.data, MINI_PDF, "AFAS has the file itself")
		self.assertEqual(frappe.db.get_value("File", pdf.name, "is_private"), 1, "and it stays private here")
		payload = frappe.db.get_value(
			"AFAS Sync Log", {"mapping": out, "reference_name": invoice.name}, "payload"
		)
		self.assertIn("<base64,", payload)
		self.assertNotIn(base64.b64encode(MINI_PDF).decode()[:40], payload, "no file in the log")

		# a file added later follows on its own, alone
		self.sim.clear_requests()
		attach("Sales Invoice", invoice.name, "pakbon.pdf", make_pdf("pakbon"))
		self.assertTrue(self.queued(out, invoice.name), "the attachment queued a push")
		self.assertEqual(self.push(out, "Sales Invoice", invoice.name), ["Success"])
		(put,) = [r for r in self.sim.requests if r.method == "PUT"]
		lines = put.body["KnSubject"]["Element"]["Objects"]
		sent = [o["KnSubjectAttachment"]["Element"] for o in lines if "KnSubjectAttachment" in o]
		sent = sent[0] if isinstance(sent[0], list) else sent
		self.assertEqual([s["Fields"]["FileName"] for s in sent], ["pakbon.pdf"])
		self.assertEqual(len([k for k in self.sim.store.subject_files if k[0] == key]), 2)

		# over AFAS's 75 MB per call: refused before any file is read or sent
		self.sim.clear_requests()
		big = attach("Sales Invoice", invoice.name, "scan.pdf", make_pdf("scan"))
		frappe.db.set_value("File", big.name, "file_size", 60 * 1000 * 1000)
		frappe.db.commit()
		self.assertEqual(self.push(out, "Sales Invoice", invoice.name), ["Failed"])
		error = frappe.db.get_value(
			"AFAS Sync Log", {"mapping": out, "reference_name": invoice.name, "status": "Failed"}, "error"
		)
		self.assertIn("75 MB", error)
		self.assertIn("scan.pdf", error)
		self.assertEqual(requests_to(self.sim, "KnSubject"), [], "nothing sent")

	def test_project_files_to_the_project_dossier_and_not_back(self):
		self.pull(self.make("debtors-in"))
		projects = self.make("projects-in")
		self.pull(projects)
		project = self.links(projects)["P24-001"]
		out = self.make("project-dossier-out")
		attach("Project", project, "planning.pdf", make_pdf("planning"))
		self.assertTrue(self.queued(out, project))
		self.assertEqual(self.push(out, "Project", project), ["Success"])
		key = frappe.db.get_value("AFAS Sync Log", {"mapping": out, "reference_name": project}, "afas_key")
		subject = self.sim.records("KnSubject")[key]
		self.assertEqual(subject["KnSubjectLink"]["PjId"], "P24-001")
		self.assertEqual(
			subject["KnSubjectAttachment"]["FileName"], "planning.pdf", "the AFAS file stays home"
		)
		self.assertIn(int(key), [r["subject_id"] for r in self.sim.rows("Profit_Subject_Attachments")])
		self.pull(projects, full=True)
		self.assertEqual(
			sorted(f.file_name for f in files_of("Project", project)),
			["offerte.txt", "planning.pdf"],
			"the dossier item this app made is not copied back",
		)

	def queued(self, mapping: str, name: str) -> bool:
		return bool(
			frappe.db.exists(
				"AFAS Sync Log",
				{"mapping": mapping, "reference_name": name, "status": ["in", ("Queued", "Retrying")]},
			)
		)

	def drop_invoice(self, name: str) -> None:
		frappe.db.delete("AFAS File Link", {"reference_name": name})
		frappe.db.delete("AFAS Sync Log", {"reference_name": name})
		invoice = frappe.get_doc("Sales Invoice", name)
		if invoice.docstatus == 1:
			invoice.cancel()
		frappe.delete_doc("Sales Invoice", name, force=True, ignore_permissions=True)
		frappe.db.commit()
