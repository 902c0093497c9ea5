"""Leave and absence from AFAS (issue 28 §3), on a site with HRMS (``hr.localhost``) and on one without.

With HRMS: AFAS's registered leave (``Profit_Leaves``) and sick leave (``Profit_Illness``) become
submitted Leave Applications, or submitted Attendance per working day, as the user chooses by template;
a leave AFAS changes is cancelled and amended (never a second live document), one AFAS withdraws is
cancelled, a range AFAS shortens cancels the days it no longer holds; HRMS's refusal (no leave balance)
is a Failed row that the next run books after the fix; an employee AFAS's leave names but no mapping
knows is a row error naming the value. Without HRMS: the four templates are listed with the reason
they are unavailable, making one is refused with it, and the other templates are untouched.

The class that fits the site is defined (``run-tests`` connects before it imports test modules): the
bench tier runs this module on both kinds of site, so neither path is a skip.
"""

from __future__ import annotations

import frappe

from afas_connector.binding.constants import LINK, LOG, MAPPING
from afas_connector.binding.pull import preview
from afas_connector.binding.templates import create_mapping, template_list
from afas_connector.tests.bench.fixtures import COMPANY, IntegrationTestCase
from afas_connector.tests.bench.test_templates import ANSWERS, PREFIX, TemplateCase, genders

LEAVE_TEMPLATES = ("leaves-in", "leaves-attendance-in", "illness-in", "illness-attendance-in")
HOLIDAYS = "AFAS Test Weekends 2024-2026"
LEAVE_TYPES = ("Privilege Leave", "Casual Leave", "Sick Leave", "Leave Without Pay")
HR_DOCTYPES = ("Attendance", "Leave Ledger Entry", "Leave Application")


def _hrms_installed() -> bool:
	try:
		return "hrms" in frappe.get_installed_apps()
	except Exception:  # not connected: nothing to decide on
		return False


def weekends() -> None:
	"""A holiday list of Saturdays and Sundays, the test company's default (HRMS counts leave days and
	the per-day flow skips days off by it)."""
	if not frappe.db.exists("Holiday List", HOLIDAYS):
		doc = frappe.get_doc(
			{
				"doctype": "Holiday List",
				"holiday_list_name": HOLIDAYS,
				"from_date": "2024-01-01",
				"to_date": "2026-12-31",
			}
		)
		for day in ("Saturday", "Sunday"):
			doc.weekly_off = day
			doc.get_weekly_off_dates()
		doc.insert(ignore_permissions=True)
	frappe.db.set_value("Company", COMPANY, "default_holiday_list", HOLIDAYS)


def leave_types(allow_negative: int = 1) -> None:
	"""HRMS's default leave types, with Allow Negative Balance as a company whose balances stay in AFAS
	sets it (the template's description says so)."""
	for name in LEAVE_TYPES:
		if not frappe.db.exists("Leave Type", name):
			frappe.get_doc(
				{"doctype": "Leave Type", "leave_type_name": name, "is_lwp": int(name == "Leave Without Pay")}
			).insert(ignore_permissions=True)
		# AFAS counts leave in working days: weekends and holidays are not leave (HRMS's default counts them)
		frappe.db.set_value("Leave Type", name, {"allow_negative": allow_negative, "include_holiday": 0})


if _hrms_installed():

	class LeaveCase(TemplateCase):
		"""The test company with weekends as holidays, HRMS's leave types as AFAS's balances need them, the
		simulator's employees synced; HRMS's documents of them removed after each test. No tests of its
		own: ``test_leave_attacks`` builds on it too."""

		@classmethod
		def setUpClass(cls):
			super().setUpClass()
			genders()
			weekends()
			leave_types()
			frappe.db.commit()

		def setUp(self):
			super().setUp()
			leave_types()
			frappe.db.commit()
			self.employees = self.make("employees-in")
			log = self.pull(self.employees)
			self.assertEqual(log.failed, 0, log.record_errors)
			self.staff = self.links(self.employees)

		def tearDown(self):
			# HRMS's documents of the test employees (submitted ones cannot be deleted the desk's way)
			employees = list(self.staff.values())
			for doctype in HR_DOCTYPES:
				frappe.db.delete(doctype, {"employee": ["in", employees]})
			frappe.db.commit()
			self.sim.reset_data()
			super().tearDown()

		def leave(self, key: str, **changes) -> None:
			self.sim.update_row("Profit_Leaves", key, changes)

	class TestLeaveWithHrms(LeaveCase):
		def test_leave_applications_booked_amended_and_cancelled_as_afas_changes_them(self):
			leaves = self.make("leaves-in")
			rows = self.sim.rows("Profit_Leaves")
			log = self.pull(leaves)
			self.assertEqual(
				(log.status, log.inserted, log.failed), ("Success", len(rows), 0), log.record_errors
			)
			links = self.links(leaves)
			first = frappe.get_doc("Leave Application", links["501"])
			self.assertEqual(
				(first.docstatus, first.status, first.leave_type, first.employee, first.company),
				(1, "Approved", "Privilege Leave", self.staff["1001"], COMPANY),
			)
			self.assertEqual((str(first.from_date), str(first.to_date)), ("2024-07-15", "2024-07-26"))
			self.assertEqual(first.total_leave_days, 10, "two weeks less the weekends")
			# HRMS books it: a leave ledger entry and Attendance On Leave for the working days
			self.assertEqual(
				frappe.db.get_value(
					"Leave Ledger Entry",
					{"transaction_name": first.name, "docstatus": 1},
					"leaves",
				),
				-10,
			)
			self.assertEqual(
				frappe.db.count("Leave Application", {"employee": self.staff["1004"], "docstatus": 1}), 1
			)
			self.assertEqual(self.pull(leaves, full=True).unchanged, len(rows), "nothing changed")

			# AFAS shortens the leave: the booked application is cancelled and amended, not edited
			self.leave("501", EndDate="2024-07-19T17:00:00")
			log = self.pull(leaves)
			self.assertEqual((log.inserted, log.updated, log.failed), (0, 1, 0), log.record_errors)
			first.reload()
			self.assertEqual((first.docstatus, first.status), (2, "Cancelled"))
			amended = frappe.get_doc("Leave Application", self.links(leaves)["501"])
			self.assertEqual(
				(amended.amended_from, amended.docstatus, str(amended.to_date), amended.total_leave_days),
				(first.name, 1, "2024-07-19", 5),
			)
			live = frappe.get_all(
				"Leave Application", filters={"employee": self.staff["1001"], "docstatus": 1}, pluck="name"
			)
			self.assertEqual(live, [amended.name], "one booked application for one AFAS leave")
			self.assertEqual(
				frappe.db.get_value("Leave Ledger Entry", {"transaction_name": amended.name}, "leaves"), -5
			)

			# AFAS withdraws a leave: its application is cancelled (never deleted), the link says why
			withdrawn = links["503"]
			self.sim.delete_row("Profit_Leaves", 503)
			log = self.pull(leaves)
			self.assertEqual(log.status, "Success", log.error)
			self.assertIn("1 documents were cancelled", log.error or "")
			self.assertEqual(frappe.db.get_value("Leave Application", withdrawn, "docstatus"), 2)
			self.assertEqual(
				frappe.db.get_value(LINK, {"mapping": leaves, "afas_key": "503"}, "missing_in_afas"), 1
			)
			self.assertFalse(
				frappe.get_all(LOG, filters={"mapping": leaves, "status": "Failed"}, pluck="name"),
				"no failed run on the way",
			)

		def test_a_refused_application_is_a_failed_row_the_next_run_books_after_the_fix(self):
			leave_types(allow_negative=0)  # no allocation, no negative balance: HRMS refuses
			frappe.db.commit()
			leaves = self.make("leaves-in")
			log = self.pull(leaves)
			# the three leaves of a type with a balance fail; parental leave (Leave Without Pay) is booked
			self.assertEqual((log.status, log.inserted, log.failed), ("Partial", 1, 3))
			self.assertIn("allocation", log.record_errors)
			staff = list(self.staff.values())
			booked = frappe.get_all(
				"Leave Application", filters={"employee": ["in", staff], "docstatus": 1}, pluck="leave_type"
			)
			self.assertEqual(booked, ["Leave Without Pay"])
			leave_types(allow_negative=1)  # the HR manager's fix
			frappe.db.commit()
			log = self.pull(leaves)  # the failed rows are read again, without a change in AFAS
			self.assertEqual((log.status, log.inserted, log.failed), ("Success", 3, 0), log.record_errors)
			self.assertEqual(
				frappe.db.count("Leave Application", {"employee": ["in", staff], "docstatus": 1}),
				len(self.sim.rows("Profit_Leaves")),
			)

		def test_an_employee_no_mapping_knows_is_a_row_error_naming_it(self):
			self.sim.add_rows(
				"Profit_Leaves",
				[
					{
						**self.sim.rows("Profit_Leaves")[0],
						"LeaveId": 599,
						"EmployeeId": "9999",
					}
				],
			)
			leaves = self.make("leaves-in")
			log = self.pull(leaves)
			self.assertEqual((log.status, log.failed), ("Partial", 1))
			errors = frappe.parse_json(log.record_errors)
			self.assertEqual(errors[0]["key"], "599")
			self.assertIn("9999", errors[0]["message"])
			self.assertIn(self.employees, errors[0]["message"], "names the mapping that would know it")
			# personal data: Profit_Leaves answers a BSN, no log holds one
			bsn = [row["BSN"] for row in self.sim.rows("Profit_Leaves") if row.get("BSN")]
			self.assertTrue(bsn)
			text = frappe.as_json(frappe.get_doc(LOG, log.name).as_dict())
			self.assertFalse([value for value in bsn if value in text])

		def test_attendance_per_working_day_with_a_changed_range(self):
			days = self.make("leaves-attendance-in")
			preview_rows = preview(frappe.get_doc(MAPPING, days), limit=2, full=True)["rows"]
			self.assertTrue(preview_rows and all("/" in row["afas_key"] for row in preview_rows))
			log = self.pull(days)
			self.assertEqual((log.status, log.failed), ("Success", 0), log.record_errors)
			links = self.links(days)
			first = {key: name for key, name in links.items() if key.startswith("501/")}
			# 2024-07-15 (Mon) to 2024-07-26 (Fri): ten working days, the weekend between left out
			self.assertEqual(len(first), 10)
			self.assertNotIn("501/2024-07-20", first)
			one = frappe.get_doc("Attendance", first["501/2024-07-15"])
			self.assertEqual(
				(one.docstatus, one.status, one.leave_type, one.employee, str(one.attendance_date)),
				(1, "On Leave", "Privilege Leave", self.staff["1001"], "2024-07-15"),
			)
			self.assertIn("days off", log.error or "")
			self.assertEqual(self.pull(days, full=True).inserted, 0, "nothing new on a second run")

			# AFAS shortens the leave to its first week: the second week's days are cancelled
			self.leave("501", EndDate="2024-07-19T17:00:00")
			log = self.pull(days)
			self.assertEqual(log.failed, 0, log.record_errors)
			now = {key for key in self.links(days) if key.startswith("501/")}
			self.assertEqual(len(now), 5)
			second_week = [name for key, name in first.items() if key not in now]
			self.assertEqual(len(second_week), 5)
			self.assertEqual(
				set(frappe.get_all("Attendance", filters={"name": ["in", second_week]}, pluck="docstatus")),
				{2},
			)
			# a changed leave code amends each remaining day (cancel, amend), one live Attendance per day
			self.leave("501", LeaveCode="BV", LeaveDescr="Bijzonder verlof")
			log = self.pull(days)
			self.assertEqual((log.updated, log.failed), (5, 0), log.record_errors)
			live = frappe.get_all(
				"Attendance",
				filters={"employee": self.staff["1001"], "docstatus": 1},
				fields=["attendance_date", "leave_type", "amended_from"],
			)
			self.assertEqual(len(live), 5)
			self.assertEqual({row.leave_type for row in live}, {"Casual Leave"})
			self.assertTrue(all(row.amended_from for row in live))

		def test_sick_leave_waits_until_afas_closes_it(self):
			sick = self.make("illness-in")
			log = self.pull(sick)
			self.assertEqual((log.status, log.inserted, log.failed), ("Success", 1, 0), log.record_errors)
			closed = frappe.get_doc("Leave Application", list(self.links(sick).values())[0])
			self.assertEqual((closed.leave_type, closed.docstatus), ("Sick Leave", 1))
			self.assertEqual((str(closed.from_date), str(closed.to_date)), ("2024-02-12", "2024-02-16"))
			open_one = next(row for row in self.sim.rows("Profit_Illness") if not row.get("EndDate"))
			self.sim.update_row("Profit_Illness", open_one["GUID"], {"EndDate": "2024-03-08T00:00:00"})
			log = self.pull(sick)
			self.assertEqual((log.inserted, log.failed), (1, 0), log.record_errors)
			self.assertEqual(
				frappe.db.get_value(
					"Leave Application", self.links(sick)[open_one["GUID"]], ["docstatus", "total_leave_days"]
				),
				(1, 5),
			)

		def test_the_leave_templates_are_available_here(self):
			listed = {t["id"]: t for t in template_list()}
			for template in LEAVE_TEMPLATES:
				self.assertIsNone(listed[template]["unavailable"], template)

else:

	class TestLeaveWithoutHrms(IntegrationTestCase):
		def tearDown(self):
			for name in frappe.get_all(
				MAPPING, filters={"mapping_name": ["like", f"{PREFIX}%"]}, pluck="name"
			):
				frappe.delete_doc(MAPPING, name, force=True, ignore_permissions=True)
			frappe.db.commit()

		def test_the_leave_templates_say_why_they_are_unavailable(self):
			listed = {t["id"]: t for t in template_list()}
			for template in LEAVE_TEMPLATES:
				reason = listed[template]["unavailable"]
				self.assertIn("HRMS", reason or "", template)
				self.assertIn("not installed", reason)
			self.assertIsNone(listed["employees-in"]["unavailable"], "the other templates are untouched")
			self.assertIsNone(listed["debtors-in"]["unavailable"])
			with self.assertRaises(frappe.ValidationError) as refused:
				create_mapping("leaves-attendance-in", ANSWERS, f"{PREFIX}leave")
			self.assertIn("HRMS", str(refused.exception))
			self.assertFalse(frappe.db.exists(MAPPING, {"mapping_name": f"{PREFIX}leave"}))
