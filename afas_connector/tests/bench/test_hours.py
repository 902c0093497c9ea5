"""Hours to AFAS (issue 28 §2): the template "Timesheets → AFAS hours" sends a submitted Timesheet's
time logs as PtRealization lines, one per log, exactly once (a Record Link per log; AFAS's lines looked
up by external key before anything is sent again); an unknown project is a Failed log naming it; a
cancel credits each line once; an amended Timesheet's logs are new lines."""

from __future__ import annotations

import frappe
from frappe.utils import add_to_date, now_datetime

from afas_connector.binding.constants import LINK, LOG, MAPPING
from afas_connector.binding.outbox import queue_change
from afas_connector.binding.push import push_pending
from afas_connector.tests.bench.fixtures import COMPANY
from afas_connector.tests.bench.test_templates import TemplateCase, genders

ACTIVITY = "AFAS Test Advieswerk"
LINES = "PtRealization"


class TestHours(TemplateCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		genders()
		if not frappe.db.exists("Activity Type", ACTIVITY):
			frappe.get_doc({"doctype": "Activity Type", "activity_type": ACTIVITY}).insert(
				ignore_permissions=True
			)
		frappe.db.commit()

	def setUp(self):
		super().setUp()
		self.timesheets: list[str] = []
		debtors = self.make("debtors-in")
		self.pull(debtors)
		self.projects = self.make("projects-in")
		frappe.db.set_value("AFAS Connector Mapping", self.projects, "dossier_attachments", 0)
		self.pull(self.projects)
		self.employees = self.make("employees-in")
		self.pull(self.employees)
		self.hours = self.make("hours-out")
		self.employee = self.links(self.employees)["1001"]
		projects = self.links(self.projects)
		self.project, self.other_project = projects["P24-001"], projects["P24-002"]

	def tearDown(self):
		self.sim.faults.clear()
		for name in reversed(self.timesheets):  # before the template mappings and their Employees go
			doc = frappe.get_doc("Timesheet", name)
			if doc.docstatus == 1:
				doc.cancel()
			frappe.delete_doc("Timesheet", name, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDown()

	def timesheet(self, logs: list[tuple[str, float, str | None]], employee: str | None = None) -> object:
		doc = frappe.get_doc(
			{
				"doctype": "Timesheet",
				"company": COMPANY,
				"employee": employee or self.employee,
				"time_logs": [
					{
						"activity_type": ACTIVITY,
						"from_time": f"{day} 09:00:00",
						"hours": hours,
						"to_time": add_to_date(f"{day} 09:00:00", hours=hours),
						"project": project,
						"description": f"Werk {day}",
					}
					for day, hours, project in logs
				],
			}
		).insert(ignore_permissions=True)
		doc.submit()
		frappe.db.commit()
		self.timesheets.append(doc.name)
		return doc

	def lines_of(self, timesheet) -> list[dict]:
		"""The lines AFAS holds for this Timesheet's logs and their credits (names repeat across tests,
		the logs' row names do not)."""
		keys = {f"{timesheet.name}/{row.name}" for row in timesheet.time_logs}
		keys |= {f"{key}-C" for key in keys}
		return [r for r in self.sim.records(LINES).values() if r.get("XpRe") in keys]

	def posts(self) -> int:
		return len([r for r in self.sim.requests if r.connector == LINES and r.method == "POST"])

	def test_two_time_logs_are_two_lines_sent_once_and_credited_once_on_cancel(self):
		sheet = self.timesheet([("2026-03-02", 2.5, self.project), ("2026-03-03", 4, self.other_project)])
		self.assertEqual(self.push(self.hours, "Timesheet", sheet.name), ["Success"])
		lines = sorted(self.lines_of(sheet), key=lambda r: r["DaTi"])
		self.assertEqual(
			[
				(r["EmId"], r["PrId"], str(r["DaTi"])[:10], float(r["Qu"]), r["ItCd"], r["StId"])
				for r in lines
			],
			[
				("1001", "P24-001", "2026-03-02", 2.5, "300", "1"),
				("1001", "P24-002", "2026-03-03", 4.0, "300", "1"),
			],
		)
		rows = {row.name: row for row in sheet.time_logs}
		self.assertEqual({r["XpRe"] for r in lines}, {f"{sheet.name}/{row}" for row in rows})
		links = frappe.get_all(
			LINK,
			filters={"mapping": self.hours, "reference_doctype": "Timesheet Detail"},
			fields=["reference_name", "afas_key", "note"],
		)
		self.assertEqual({link.reference_name for link in links}, set(rows))
		self.assertEqual({link.afas_key for link in links}, {str(r["Id"]) for r in lines}, "AFAS's line Id")

		# a resend (the push button) sends nothing twice
		posts = self.posts()
		queue_change(sheet, "on_submit", self.hours, trigger="Manual")
		frappe.db.commit()
		self.assertEqual(self.push(self.hours, "Timesheet", sheet.name), ["Success"])
		self.assertEqual(self.posts(), posts)
		self.assertEqual(len(self.lines_of(sheet)), 2)

		# cancel: a credit line per log (negative quantity), once
		sheet.reload()
		sheet.cancel()
		frappe.db.commit()
		self.assertEqual(self.push(self.hours, "Timesheet", sheet.name), ["Success"])
		credits = [r for r in self.lines_of(sheet) if str(r["XpRe"]).endswith("-C")]
		self.assertEqual(sorted(float(r["Qu"]) for r in credits), [-4.0, -2.5])
		self.assertEqual(
			set(frappe.get_all(LINK, filters={"mapping": self.hours}, pluck="reversal_key")),
			{str(r["Id"]) for r in credits},
		)
		queue_change(sheet, "on_cancel", self.hours, trigger="Manual")
		frappe.db.commit()
		self.assertEqual(self.push(self.hours, "Timesheet", sheet.name), ["Success"])
		self.assertEqual(len(self.lines_of(sheet)), 4, "credited once")

		# amend: the amended Timesheet's logs are new lines
		amended = frappe.copy_doc(sheet)
		amended.amended_from = sheet.name
		amended.docstatus = 0
		amended.insert(ignore_permissions=True)
		amended.submit()
		frappe.db.commit()
		self.timesheets.append(amended.name)
		self.assertEqual(self.push(self.hours, "Timesheet", amended.name), ["Success"])
		self.assertEqual(len(self.lines_of(amended)), 2)
		self.assertEqual(len(self.lines_of(sheet)), 4)

	def test_a_resend_after_a_partial_failure_sends_only_the_logs_not_linked(self):
		sheet = self.timesheet([("2026-03-02", 1, self.project), ("2026-03-03", 2, self.project)])
		self.sim.faults.add(connector=LINES, kind="latency", delay=0, method="POST", times=1)  # goes through
		self.sim.faults.add(connector=LINES, kind="validation", method="POST", times=1)
		self.assertEqual(self.push(self.hours, "Timesheet", sheet.name), ["Failed"])
		self.assertEqual(len(self.lines_of(sheet)), 1)
		self.assertEqual(frappe.db.count(LINK, {"mapping": self.hours}), 1, "the first line is linked")
		posts = self.posts()
		queue_change(sheet, "on_submit", self.hours, trigger="Manual")  # Retry
		frappe.db.commit()
		self.assertEqual(self.push(self.hours, "Timesheet", sheet.name), ["Success"])
		self.assertEqual(self.posts(), posts + 1, "only the second log is sent")
		self.assertEqual(sorted(float(r["Qu"]) for r in self.lines_of(sheet)), [1.0, 2.0])

	def test_a_lost_answer_is_found_by_its_external_key_and_not_sent_again(self):
		sheet = self.timesheet([("2026-03-02", 1.5, self.project), ("2026-03-03", 3, None)])
		self.sim.faults.add(connector=LINES, kind="truncated", method="POST", times=1)  # stored, answer lost
		outcome = self.push(self.hours, "Timesheet", sheet.name)
		self.assertEqual(outcome, ["Retrying"], frappe.db.get_value(LOG, {"mapping": self.hours}, "error"))
		self.assertEqual(len(self.lines_of(sheet)), 1, "AFAS stored the first line")
		self.assertEqual(frappe.db.count(LINK, {"mapping": self.hours}), 0)
		posts = self.posts()
		self.assertEqual(self.push_at(sheet.name, add_to_date(now_datetime(), hours=2)), ["Success"])
		self.assertEqual(self.posts(), posts + 1, "the first line is linked, not sent again")
		lines = self.lines_of(sheet)
		self.assertEqual(len(lines), 2)
		self.assertEqual(len({r["XpRe"] for r in lines}), 2, "one line per time log")
		self.assertEqual(frappe.db.count(LINK, {"mapping": self.hours}), 2)
		note = frappe.db.get_value(LOG, {"mapping": self.hours, "status": "Success"}, "error")
		self.assertIn("already in AFAS", note)

	def test_a_project_afas_does_not_know_is_a_failed_log_that_names_it(self):
		project = frappe.get_doc(
			{"doctype": "Project", "project_name": f"Onbekend {self.tag}", "company": COMPANY}
		).insert(ignore_permissions=True)
		self.addCleanup(frappe.delete_doc, "Project", project.name, force=True, ignore_permissions=True)
		sheet = self.timesheet([("2026-03-02", 1, self.project), ("2026-03-03", 2, project.name)])
		posts = self.posts()
		self.assertEqual(self.push(self.hours, "Timesheet", sheet.name), ["Failed"])
		error = frappe.db.get_value(LOG, {"mapping": self.hours, "reference_name": sheet.name}, "error")
		self.assertIn(project.name, error)
		self.assertIn("Profit_Projects", error)
		self.assertEqual(self.lines_of(sheet), [], "nothing of the Timesheet is sent")
		self.assertEqual(self.posts(), posts)

	def test_a_work_type_afas_does_not_have_is_refused_at_save(self):
		with self.assertRaises(frappe.ValidationError) as caught:
			self.make("hours-out", work_type="999")
		self.assertIn("999", str(caught.exception))
		self.assertIn("Profit_Worktype", str(caught.exception))
		doc = frappe.get_doc(MAPPING, self.hours)
		doc.field_mappings[[r.afas_field for r in doc.field_mappings].index("StId")].transform_options = '"X"'
		with self.assertRaises(frappe.ValidationError) as caught:
			doc.save()
		self.assertIn("Profit_Hourtype", str(caught.exception))

	def push_at(self, name: str, now) -> list[str]:
		outcomes = push_pending(self.hours, "Timesheet", name, now=now)
		frappe.db.commit()
		return outcomes
