"""The people side (issue 28), pure rules against the simulator over HTTP: AFAS's webhooks received
(signed, forged, replayed, stale), hours as PtRealization lines exactly once (a lost answer, unknown
employee and project), the payroll journal read back as Journal Entries (grouping, reverse maps,
balance, the direction guard, reversals), and personal data kept out of rows and logs."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from afas_connector.afas.errors import AfasOutcomeUnknownError
from afas_connector.afas.update import Record, build_body
from afas_connector.afas.webhooks import (
	MemorySeenEvents,
	WebhookRefused,
	WebhookReplayed,
	WebhookRoute,
	parse_timestamp,
	routes_for,
	sign,
	verify,
)
from afas_connector.simulator import DEMO_TOKEN, token_header
from afas_connector.sync import hours, payroll_journal, personal_data
from afas_connector.sync.ledger import BookedEntry
from afas_connector.sync.mapping_errors import MappingConfigError

PASSWORD = "webhook-wachtwoord"
HEADERS = {"Authorization": token_header(DEMO_TOKEN)}


# ---------------------------------------------------------------- webhooks


class _Receiver:
	"""An HTTPS-less stand-in for the app's endpoint: verifies each notification as the app will, and
	answers 200 (or 401 for a refused one), recording what it decided."""

	def __init__(self, password: str = PASSWORD, fail_first: int = 0) -> None:
		self.password = password
		self.fail_first = fail_first
		self.seen = MemorySeenEvents()
		self.decisions: list[tuple[str, str]] = []
		self.bodies: list[bytes] = []
		receiver = self

		class Handler(BaseHTTPRequestHandler):
			def do_POST(self) -> None:  # noqa: N802 - stdlib name
				body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
				receiver.bodies.append(body)
				if receiver.fail_first > 0:
					receiver.fail_first -= 1
					self.send_response(503)
					self.end_headers()
					return
				try:
					event = verify(body, dict(self.headers), receiver.password, receiver.seen)
					receiver.decisions.append(("accepted", event.event_type))
					status = 200
				except WebhookRefused as exc:
					receiver.decisions.append((exc.reason, ""))
					status = exc.status
				self.send_response(status)
				self.end_headers()

			def log_message(self, *args) -> None:
				pass

		self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
		self.url = f"http://127.0.0.1:{self.server.server_address[1]}/afas/webhook"
		threading.Thread(target=self.server.serve_forever, daemon=True).start()

	def close(self) -> None:
		self.server.shutdown()
		self.server.server_close()


@pytest.fixture
def receiver():
	made = _Receiver()
	yield made
	made.close()


def _control(sim, action: str, body: dict | None = None, method: str = "POST"):
	url = sim.base_url.rsplit("/ProfitRestServices", 1)[0] + f"/__simulator/{action}"
	response = requests.request(method, url, json=body, timeout=10)
	assert response.status_code < 300, response.text
	return response.json()


def test_a_signed_notification_is_accepted_and_says_only_what_it_concerns(sim, receiver):
	hook = _control(sim, "webhooks", {"url": receiver.url, "password": PASSWORD})
	events = _control(
		sim,
		"webhook_events",
		{
			"event_type": "subject.created",
			"data": {"SubjectTypeId": 7, "SubjectId": 49950},
			"webhook": hook["id"],
		},
	)
	assert [e["status"] for e in events] == ["Success"]
	assert receiver.decisions == [("accepted", "subject.created")]
	body = receiver.bodies[0]
	event = verify(body, {"X-Profit-Signature-256": sign(body, PASSWORD)}, PASSWORD, MemorySeenEvents())
	assert (event.kind, event.subject_type_id, event.subject_id) == ("subject", 7, 49950)
	routes = [
		WebhookRoute("Invoices attachments", ("subject.*",), subject_type_ids=(7,)),
		WebhookRoute("Projects", ("subject.*",), subject_type_ids=(3,)),
		WebhookRoute("Employees", ("workflow.task.entered",)),
	]
	assert routes_for(event, routes) == ["Invoices attachments"]


def test_a_forged_or_tampered_notification_is_refused(sim, receiver):
	hook = _control(sim, "webhooks", {"url": receiver.url, "password": "another password"})
	events = _control(
		sim,
		"webhook_events",
		{"event_type": "subject.updated", "data": {"SubjectTypeId": 1}, "webhook": hook["id"]},
	)
	# signed with the wrong password: refused every time, so AFAS retries and finally fails it
	assert receiver.decisions and {d for d, _ in receiver.decisions} == {"signature"}
	assert events[0]["status"] == "Failed" and events[0]["attempts"] == 5
	body = receiver.bodies[0]
	tampered = body.replace(b'"SubjectTypeId": 1', b'"SubjectTypeId": 2')
	assert tampered != body
	with pytest.raises(WebhookRefused) as refused:
		verify(tampered, {"X-Profit-Signature-256": sign(body, PASSWORD)}, PASSWORD, MemorySeenEvents())
	assert refused.value.reason == "signature"
	for header in (
		{},
		{"X-Profit-Signature-256": sign(body, PASSWORD)[7:]},
		{"X-Profit-Signature-256": "sha256="},
	):
		with pytest.raises(WebhookRefused):
			verify(body, header, PASSWORD, MemorySeenEvents())


def test_a_replayed_notification_rings_no_bell_twice(sim, receiver):
	hook = _control(sim, "webhooks", {"url": receiver.url, "password": PASSWORD})
	(event,) = _control(
		sim,
		"webhook_events",
		{
			"event_type": "workflow.task.entered",
			"data": {
				"SubjectTypeId": 12,
				"SubjectId": 5,
				"WorkflowName": "2448365B41A82343F00FC89A8EFDB394",
				"TaskName": "AB12",
			},
			"webhook": hook["id"],
		},
	)
	again = _control(sim, "webhook_resend", {"event_id": event["event_id"]})
	assert again["answers"][-1] == "200"  # answered, so AFAS stops retrying ...
	assert [d for d, _ in receiver.decisions] == ["accepted", "replay"]  # ... but nothing queued twice
	assert WebhookReplayed.status == 200


def test_a_stale_notification_is_refused_even_when_signed(sim, receiver):
	hook = _control(sim, "webhooks", {"url": receiver.url, "password": PASSWORD})
	old = (datetime.now(timezone.utc) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.1234567Z")
	_control(
		sim,
		"webhook_events",
		{
			"event_type": "subject.deleted",
			"data": {"SubjectTypeId": 1, "SubjectId": 2},
			"webhook": hook["id"],
			"timestamp": old,
		},
	)
	assert receiver.decisions[0][0] == "stale"


def test_afas_retries_a_failed_delivery_with_growing_intervals(sim):
	slow = _Receiver(fail_first=2)
	try:
		hook = _control(sim, "webhooks", {"url": slow.url, "password": PASSWORD})
		(event,) = _control(
			sim,
			"webhook_events",
			{
				"event_type": "test.executed",
				"data": {"SubscriptionId": hook["id"], "SubscriptionName": "ERPNext"},
				"webhook": hook["id"],
			},
		)
		assert (event["status"], event["attempts"], event["answers"]) == ("Success", 3, ["503", "503", "200"])
		assert len({json.loads(b)["EventId"] for b in slow.bodies}) == 1  # a retry is the same event
		decision = verify(
			slow.bodies[-1],
			{"X-Profit-Signature-256": sign(slow.bodies[-1], PASSWORD)},
			PASSWORD,
			MemorySeenEvents(),
		)
		assert routes_for(decision, [WebhookRoute("x", ("test.*",))]) == []  # a test rings no bell
	finally:
		slow.close()


def test_afas_timestamps_and_malformed_bodies():
	assert parse_timestamp("2026-06-08T09:20:56.1351565Z") == datetime(
		2026, 6, 8, 9, 20, 56, 135156, tzinfo=timezone.utc
	)
	for body in (
		b"[]",
		b"{}",
		b'{"EventId":"x y","EventType":"subject.created","Timestamp":"2026-01-01T00:00:00Z"}',
		b'{"EventId":"1","EventType":"debtor.created","Timestamp":"2026-01-01T00:00:00Z"}',
		b"\xff",
	):
		with pytest.raises(WebhookRefused) as refused:
			verify(body, {"x-profit-signature-256": sign(body, PASSWORD)}, PASSWORD, MemorySeenEvents())
		assert refused.value.reason == "malformed"


# ---------------------------------------------------------------- hours


ORDER = {
	"ERP_Employees": "EmployeeId",
	"Profit_Projects": "ProjectId",
	"Profit_Hourtype": "TimeCode",
	"Profit_Worktype": "ItemCode",
	"ERP_Realization": "Identity",
	"Profit_Leaves": "LeaveId",
	"Profit_Transactions_Allocated": ["UnitId", "EntryNo", "SeqNo"],
}


def _rows(client, connector: str, **filters) -> list[dict]:
	"""Every row of ``connector`` (over HTTP), with ``field=value`` filters."""
	return list(
		client.iter_rows(
			connector, order_by=ORDER[connector], filters=[[k, "=", v] for k, v in filters.items()] or None
		)
	)


def _reference(client) -> hours.HoursReference:
	return hours.HoursReference(
		employees={"HR-EMP-0001": "1001", "HR-EMP-0099": "9999"},
		projects={"PROJ-0001": "P24-001", "PROJ-0404": "P99-404"},
		known_employees=frozenset(r["EmployeeId"] for r in _rows(client, "ERP_Employees")),
		known_projects=frozenset(r["ProjectId"] for r in _rows(client, "Profit_Projects")),
		hour_types=frozenset(r["TimeCode"] for r in _rows(client, "Profit_Hourtype")),
		work_types=frozenset(r["ItemCode"] for r in _rows(client, "Profit_Worktype")),
		work_type_of={"Consulting": "300", "Travel": "303"},
		hour_type_of={},
		default_hour_type="1",
	)


def _log(row: str, **more) -> hours.TimeLog:
	base = dict(
		timesheet="TS-2026-00001",
		row=row,
		employee="HR-EMP-0001",
		date="2026-03-02",
		hours=Decimal("2.5"),
		project="PROJ-0001",
		activity_type="Consulting",
		description="Werkoverleg",
	)
	return hours.TimeLog(**{**base, **more})


def test_time_logs_become_lines_once_even_after_a_lost_answer(sim, client):
	ref = _reference(client)
	assert "1001" in ref.known_employees and "P24-001" in ref.known_projects
	planned, errors = hours.plan_lines(
		[_log("a1b2c3"), _log("d4e5f6", activity_type="Travel", hours=Decimal("1"))], ref
	)
	assert errors == []
	(identity, record), second = planned
	assert identity == "TS-2026-00001/a1b2c3" and record.fields["XpRe"] == identity
	assert record.fields | {} == {
		**record.fields,
		"VaIt": "1",
		"ItCd": "300",
		"Qu": 2.5,
		"EmId": "1001",
		"PrId": "P24-001",
		"StId": "1",
	}
	# the answer is lost on the way back: AFAS booked the line, the client does not know it
	sim.faults.add("PtRealization", "truncated", times=1, method="POST")
	with pytest.raises(AfasOutcomeUnknownError):
		client.insert("PtRealization", record)
	booked = _rows(client, "ERP_Realization", ExternalKey=identity)
	finding = hours.find_line(identity, booked)
	assert finding.action == "link" and finding.line  # so no second line is sent
	# the other log was never sent: the look-up says book, and it is booked once
	assert (
		hours.find_line(second[0], _rows(client, "ERP_Realization", ExternalKey=second[0])).action == "book"
	)
	client.insert("PtRealization", second[1])
	lines = [r for r in sim.rows("ERP_Realization") if r["ExternalKey"] in (identity, second[0])]
	assert sorted(r["ExternalKey"] for r in lines) == sorted([identity, second[0]])
	# a cancelled timesheet is credited, never deleted (AFAS documents no DELETE for a line)
	credit_id, credit = hours.credit_line(identity, record)
	client.insert("PtRealization", credit)
	mine = [r for r in sim.rows("ERP_Realization") if r["ExternalKey"] in (identity, credit_id)]
	assert len(mine) == 2 and sum(r["Quantity"] for r in mine) == 0
	assert len([r for r in sim.rows("Profit_Realization") if r["EmployeeId"] == "1001"]) >= 3
	assert credit_id == identity + "-C"
	assert (
		requests.delete(sim.base_url + "/connectors/PtRealization/PtRealization/@Id/1", timeout=5).status_code
		>= 400
	)


def test_unknown_employee_project_and_work_type_are_row_errors_before_sending(sim, client):
	ref = _reference(client)
	planned, errors = hours.plan_lines(
		[
			_log("r1", employee="HR-EMP-0099"),
			_log("r2", employee="HR-EMP-0404"),
			_log("r3", project="PROJ-0404"),
			_log("r4", activity_type="Knitting"),
		],
		ref,
	)
	assert planned == []
	messages = [e.message for e in errors]
	assert "AFAS does not know employee 9999 (ERP_Employees)" in messages[0]
	assert "HR-EMP-0404" in messages[1] and "ERP_Employees" in messages[1]
	assert "AFAS does not know project P99-404 (Profit_Projects)" in messages[2]
	assert "Knitting" in messages[3]
	# and AFAS itself refuses what the plan would have caught
	body = {
		"PtRealization": {
			"Element": {"Fields": {"DaTi": "2026-03-02", "VaIt": "1", "ItCd": "300", "EmId": "9999"}}
		}
	}
	answer = requests.post(sim.base_url + "/connectors/PtRealization", json=body, headers=HEADERS, timeout=5)
	assert answer.status_code == 500 and "Medewerker" in answer.json()["externalMessage"]


def test_a_long_identity_is_hashed_to_afas_length():
	log = _log("x" * 40)
	identity = hours.log_identity(log)
	assert len(identity) + 2 <= hours.MAX_EXTERNAL_KEY and identity == hours.log_identity(log)
	built = build_body("PtRealization", hours.credit_line(identity, Record(fields={"Qu": 1.0}))[1])
	assert built["PtRealization"]["Element"]["Fields"]["Qu"] == -1.0


# ---------------------------------------------------------------- payroll journal


ACCOUNTS = {
	"Salarissen - V": "4100",
	"Sociale lasten - V": "4110",
	"Loonheffing - V": "1700",
	"Nettolonen - V": "1710",
	"Bank - V": "1100",
}
COST_CENTRES = {"Verkoop - V": "200", "Productie - V": "300"}


def _plan(rows, **more):
	return payroll_journal.plan_entries(
		rows,
		journals=["60"],
		accounts=payroll_journal.reverse_map(ACCOUNTS, "account"),
		cost_centres=payroll_journal.reverse_map(COST_CENTRES, "cost centre"),
		companies={1: "Voorbeeld B.V."},
		**more,
	)


def test_payroll_entries_become_one_journal_entry_each(sim, client):
	sim.reset_data()
	sim.load_payroll()
	# and an entry the app booked itself through the Ledger mapping (journal 90)
	entry = {
		"FiEntryPar": {
			"Element": {
				"Fields": {"Year": 2024, "Peri": 3, "UnId": 1, "JoCo": "90"},
				"Objects": [
					{
						"FiEntries": {
							"Element": [
								{
									"Fields": {
										"VaAs": "1",
										"AcNr": "4320",
										"EnDa": "2024-03-02",
										"BpDa": "2024-03-02",
										"BpNr": "ACC-JV-1",
										"AmDe": 10,
									}
								},
								{
									"Fields": {
										"VaAs": "1",
										"AcNr": "1100",
										"EnDa": "2024-03-02",
										"BpDa": "2024-03-02",
										"BpNr": "ACC-JV-1",
										"AmCr": 10,
									}
								},
							]
						}
					}
				],
			}
		}
	}
	assert (
		requests.post(
			sim.base_url + "/connectors/FiEntries", json=entry, headers=HEADERS, timeout=5
		).status_code
		== 201
	)
	rows = _rows(client, "Profit_Transactions_Allocated")
	plan = _plan(rows, own_journals=["90"])
	assert plan.errors == []
	assert [e.key for e in plan.entries] == ["1/48101", "1/48102"]
	assert len(plan.skipped_own) == 1  # the app's own FiEntries booking is never read back
	first = plan.entries[0]
	assert (first.company, first.posting_date, first.journal, first.voucher_no) == (
		"Voorbeeld B.V.",
		"2024-01-25",
		"60",
		"SAL202401",
	)
	assert [(line.account, line.debit, line.credit, line.cost_center) for line in first.lines] == [
		("Salarissen - V", Decimal("30000.00"), Decimal("0"), "Verkoop - V"),
		("Sociale lasten - V", Decimal("6000.00"), Decimal("0"), "Verkoop - V"),
		("Loonheffing - V", Decimal("0"), Decimal("12000.00"), None),
		("Nettolonen - V", Decimal("0"), Decimal("24000.00"), None),
	]
	assert "AFAS 1/48101" in first.remark
	# the guard at save: a journal the Ledger mapping books into cannot be read back
	assert payroll_journal.guard_conflicts(["60", "90"], ["90"]) == ["90"]


def test_an_unmapped_account_or_cost_centre_or_unbalanced_entry_is_a_row_error(sim, client):
	sim.reset_data()
	sim.load_payroll(
		(
			(48200, 4, (("4100", 100.0, 0.0, "999", "x"), ("1710", 0.0, 100.0, None, "x"))),
			(48201, 4, (("4999", 5.0, 0.0, None, "x"), ("1710", 0.0, 5.0, None, "x"))),
		)
	)
	rows = _rows(client, "Profit_Transactions_Allocated")
	plan = _plan(rows)
	assert plan.entries == []
	assert [(e.key, e.field) for e in plan.errors] == [("1/48200", "DimAx1"), ("1/48201", "AccountNo")]
	assert "AFAS account 4999" in plan.errors[1].message
	unbalanced = [dict(r) for r in rows if r["EntryNo"] == 48200]
	unbalanced[0]["DimAx1"] = "200"
	unbalanced[0]["AmtDebit"] = 101.0
	(error,) = _plan(unbalanced).errors
	assert "does not balance: debit 101.00, credit 100.00" in error.message


def test_an_afas_reversal_is_a_new_journal_entry_that_names_the_first(sim, client):
	sim.reset_data()
	sim.load_payroll()
	sim.load_payroll(
		(
			(
				48103,
				2,
				(
					("4100", 0.0, 30500.0, "300", "Correctie"),
					("4110", 0.0, 6100.0, "300", "Correctie"),
					("1700", 12200.0, 0.0, None, "Correctie"),
					("1710", 24400.0, 0.0, None, "Correctie"),
				),
			),
		)
	)
	rows = _rows(client, "Profit_Transactions_Allocated")
	plan = _plan(rows)
	assert [(e.key, e.reverses) for e in plan.entries] == [
		("1/48101", None),
		("1/48102", None),
		("1/48103", "1/48102"),
	]
	# read later on its own, against what was booked before
	booked = [
		BookedEntry(
			1,
			"48102",
			"2024-02-25",
			{"4100": Decimal(30500), "4110": Decimal(6100), "1700": Decimal(-12200), "1710": Decimal(-24400)},
		)
	]
	later = _plan([r for r in rows if r["EntryNo"] == 48103], booked=booked)
	assert [(e.key, e.reverses) for e in later.entries] == [("1/48103", "1/48102")]


def test_two_erpnext_accounts_on_one_afas_account_must_be_told_apart():
	with pytest.raises(MappingConfigError, match="4100 is mapped from A, B"):
		payroll_journal.reverse_map({"A": "4100", "B": "4100"}, "account")
	assert payroll_journal.reverse_map({"A": "4100", "B": "4100"}, "account", prefer={"4100": "B"}) == {
		"4100": "B"
	}


# ---------------------------------------------------------------- personal data


def test_personal_fields_are_dropped_unless_named_and_never_logged(sim, client):
	rows = [{"afas_field": "EmployeeId"}, {"afas_field": "FirstName"}, {"afas_field": "Iban"}]
	allowed = personal_data.allowed_personal(rows)
	assert allowed == {"Iban"}
	row = _rows(client, "ERP_Employees")[0]
	assert row["BSN"] and row["Salary"] and row["Iban"]
	assert personal_data.unrequested(list(row), rows) == ["BSN", "Salary"]
	kept = personal_data.scrub_row(row, allowed)
	assert "BSN" not in kept and "Salary" not in kept and kept["Iban"] == row["Iban"]
	leave = _rows(client, "Profit_Leaves")[0]
	assert "BSN" not in personal_data.scrub_row(leave, set())
	logged = json.dumps(
		personal_data.redact(
			{
				"row": row,
				"body": {
					"AfasEmployee": {
						"Element": {
							"Fields": {"EmId": "1001"},
							"Objects": [
								{"KnPerson": {"Element": {"Fields": {"SoSe": row["BSN"], "LaNm": "Jong"}}}},
								{
									"AfasBankInfo": {
										"Element": {"@AcId": "X1", "Fields": {"Iban": row["Iban"]}}
									}
								},
								{"AfasSalary": {"Element": {"Fields": {"EmSa": 3100}}}},
							],
						}
					}
				},
			}
		)
	)
	for secret in (row["BSN"], row["Iban"], str(row["Salary"]), "3100", "X1"):
		assert secret not in logged, secret
	for name in ("BSN", "Iban", "SoSe", "EmSa", "AfasBankInfo", "1001", "Jong"):
		assert name in logged
	assert personal_data.personal_kind("AfasIdentityDocument.Nr") == personal_data.IDENTITY_DOCUMENT
	assert personal_data.personal_kind("FirstName") is None
