"""FiEntries against the simulator over HTTP: root FiEntryPar, AFAS's booking rules and messages, the
booking-layout lock, and the booked lines in Profit_Transactions."""

import base64
import copy

import pytest
import requests

from afas_connector.afas import (
	AfasBodyError,
	AfasClient,
	AfasConfig,
	AfasTemporaryError,
	AfasValidationError,
	Record,
	RetryPolicy,
)
from afas_connector.simulator import DEMO_TOKEN, AfasSimulator

BLOCKED_EN = "Date '3-2-2026' belongs to a blocked period | For this administration, period 2 of the year 2026 is blocked."
BLOCKED_NL = (
	"Datum '3-2-2026' valt in een geblokkeerde periode | Voor deze administratie is periode 2 van het jaar "
	"2026 geblokkeerd."
)


def entry(lines=None, **header):
	"""A journal entry body under its root FiEntryPar: two lines, 121.00 on 3 February 2026."""
	fields = {"Year": 2026, "Peri": 2, "UnId": 1, "JoCo": "90", **header}
	lines = lines or [
		{
			"VaAs": "1",
			"AcNr": "4000",
			"EnDa": "2026-02-03",
			"BpDa": "2026-02-03",
			"BpNr": "ERP-JV-0001",
			"AmDe": 121.0,
		},
		{
			"VaAs": "1",
			"AcNr": "1100",
			"EnDa": "2026-02-03",
			"BpDa": "2026-02-03",
			"BpNr": "ERP-JV-0001",
			"AmCr": 121.0,
		},
	]
	return {
		"FiEntryPar": {
			"Element": {
				"Fields": fields,
				"Objects": [{"FiEntries": {"Element": [{"Fields": line} for line in lines]}}],
			}
		}
	}


@pytest.fixture
def ledger():
	with AfasSimulator(port=0) as sim:
		yield sim


def client_for(sim, language="nl-nl", attempts=4):
	config = AfasConfig(
		base_url=sim.base_url,
		token=DEMO_TOKEN,
		language=language,
		retry=RetryPolicy(max_attempts=attempts, base_delay=0.01, max_delay=0.02),
	)
	return AfasClient(config, sleep=lambda _: None)


def posts(sim):
	return [r for r in sim.requests if r.method == "POST" and r.connector == "FiEntries"]


def test_a_journal_entry_under_its_root_is_booked_whole(ledger):
	"""insert("FiEntries", {"FiEntryPar": …two lines…}) sends the two lines (it used to send none)."""
	with client_for(ledger) as client:
		result = client.insert("FiEntries", entry())
	assert result.status == 201 and result.key("EnNo") == "48227" and result.key("UnId") in (1, "1")
	sent = posts(ledger)[0].body
	assert (
		list(sent) == ["FiEntryPar"]
		and len(sent["FiEntryPar"]["Element"]["Objects"][0]["FiEntries"]["Element"]) == 2
	)
	stored = ledger.records("FiEntries")["1/48227"]  # entry numbers are per administration
	assert [line["AcNr"] for line in stored["FiEntries"]] == ["4000", "1100"]
	assert (stored["Year"], stored["Peri"], stored["JoCo"]) == (2026, 2, "90")
	with client_for(ledger) as client:
		booked = client.get_page(
			"Profit_Transactions",
			filters=[["VoucherNo", "=", "ERP-JV-0001"]],
			order_by="EntryNo,SeqNo",
			take=10,
		).rows
	assert [(r["EntryNo"], r["SeqNo"], r["AccountNo"], r["AmtDebit"], r["AmtCredit"]) for r in booked] == [
		(48227, 1, "4000", 121.0, 0.0),
		(48227, 2, "1100", 0.0, 121.0),
	]
	assert booked[0]["VoucherDate"] == "2026-02-03T00:00:00Z" and booked[0]["JournalId"] == "90"


def test_a_record_for_fientries_goes_under_root_fientrypar(ledger):
	lines = [
		Record(
			fields={"VaAs": "2", "AcNr": "10001", "EnDa": "2026-03-02", "BpDa": "2026-03-02", "AmDe": 50.0}
		),
		Record(
			fields={"VaAs": "1", "AcNr": "8000", "EnDa": "2026-03-02", "BpDa": "2026-03-02", "AmCr": 50.0}
		),
	]
	record = Record(fields={"Year": 2026, "Peri": 3, "JoCo": "20"}, objects={"FiEntries": lines})
	with client_for(ledger) as client:
		assert client.insert("FiEntries", record).key("EnNo")
		with pytest.raises(AfasBodyError, match="FiEntryPar"):
			client.insert("FiEntries", {"FiEntries": entry()["FiEntryPar"]})
	assert list(posts(ledger)[0].body) == ["FiEntryPar"] and len(posts(ledger)) == 1


def test_the_connector_id_as_root_is_refused(ledger):
	with requests.post(
		ledger.base_url + "/connectors/FiEntries",
		json={"FiEntries": entry()["FiEntryPar"]},
		headers={"Authorization": "AfasToken " + base64.b64encode(DEMO_TOKEN.encode()).decode()},
	) as response:
		assert response.status_code == 500 and "FiEntryPar" in response.json()["externalMessage"]
	assert ledger.records("FiEntries") == {}


@pytest.mark.parametrize("language,message", [("en-us", BLOCKED_EN), ("nl-nl", BLOCKED_NL)])
def test_a_blocked_period_is_refused_once_with_afas_message(ledger, language, message):
	ledger.block_period(2026, 2)
	with client_for(ledger, language) as client, pytest.raises(AfasValidationError) as info:
		client.insert("FiEntries", entry())
	assert info.value.external_message == message and not info.value.retryable
	assert len(posts(ledger)) == 1 and ledger.records("FiEntries") == {}
	ledger.block_period(2026, 2, blocked=False)
	with client_for(ledger, language) as client:
		assert client.insert("FiEntries", entry()).key("EnNo")


def test_a_locked_booking_layout_is_retried_until_free(ledger):
	ledger.lock_booking_layout(times=2)
	with client_for(ledger) as client:
		assert client.insert("FiEntries", entry()).key("EnNo")
	assert len(posts(ledger)) == 3 and len(ledger.records("FiEntries")) == 1
	ledger.lock_booking_layout(times=None)
	with client_for(ledger, attempts=2) as client, pytest.raises(AfasTemporaryError, match="booking layout"):
		client.insert("FiEntries", entry())


def line(kind, account, debit=0.0, credit=0.0, **extra):
	fields = {"VaAs": kind, "AcNr": account, "EnDa": "2026-03-02", "BpDa": "2026-03-02"}
	if debit:
		fields["AmDe"] = debit
	if credit:
		fields["AmCr"] = credit
	return {**fields, **extra}


@pytest.mark.parametrize(
	"body,says",
	[
		(
			entry([line("1", "4000", debit=100.0), line("1", "1100", credit=90.0)], Peri=3),
			"does not balance: debit 100.00, credit 90.00",
		),
		(
			entry([line("1", "4999", debit=10.0), line("1", "1100", credit=10.0)], Peri=3),
			"'Account Number' does not exist",
		),
		(
			entry([line("2", "99999", debit=10.0), line("1", "8000", credit=10.0)], Peri=3),
			"'Account Number' does not exist",
		),
		(
			entry([line("3", "99999", credit=10.0), line("1", "4000", debit=10.0)], Peri=3),
			"'Account Number' does not exist",
		),
		(entry(JoCo="77", Peri=2), "'Journal' does not exist"),
		(entry(UnId=7), "No unit available"),
		(entry(Year=2040), "'Period' does not exist"),
		(
			entry([line("1", "4000", debit=5.0, EnNo=1), line("1", "1100", credit=5.0)], Peri=3),
			"journal entry number must not be given",
		),
	],
)
def test_afas_booking_rules(ledger, body, says):
	with client_for(ledger, "en-us") as client, pytest.raises(AfasValidationError) as info:
		client.insert("FiEntries", body)
	assert says in info.value.external_message
	assert ledger.records("FiEntries") == {} and ledger.rows("Profit_Transactions") == []


def test_a_known_debtor_and_creditor_book(ledger):
	body = entry([line("2", "10001", debit=60.0), line("3", "20001", credit=60.0, InId="INK-7")], Peri=3)
	with client_for(ledger) as client:
		result = client.insert("FiEntries", body)
	assert result.key("InID") == "INK-7"


def test_what_afas_takes_one_of_per_call(ledger):
	"""FiEntryPar and FiDimEntries take one record per call (fientries-post.md: "Meerdere records
	mogelijk: nee"); FiEntries takes POST only (AFAS's spec has no PUT)."""
	two = {"FiEntryPar": {"Element": [entry()["FiEntryPar"]["Element"]] * 2}}
	dims = copy.deepcopy(entry())
	first = dims["FiEntryPar"]["Element"]["Objects"][0]["FiEntries"]["Element"][0]
	first["Objects"] = [
		{"FiDimEntries": {"Element": [{"Fields": {"DiC1": "100"}}, {"Fields": {"DiC1": "200"}}]}}
	]
	with client_for(ledger, "en-us") as client:
		for body in (two, dims):
			with pytest.raises(AfasValidationError, match="one line per call"):
				client.insert("FiEntries", body)
		with pytest.raises(AfasValidationError, match="POST"):
			client.update("FiEntries", entry())
	assert ledger.records("FiEntries") == {}


def test_entry_numbers_are_per_administration_and_answered_with_it(ledger):
	"""AFAS numbers journal entries per administration (UnId) and answers EnNo with its UnId: two
	administrations of one environment give out the same number; a restored copy gives one out again."""
	ledger.add_administration(2, "Dochter B.V.")
	with client_for(ledger) as client:
		first = client.insert("FiEntries", entry())
		second = client.insert("FiEntries", entry(UnId=2))
		ledger.number_entries_from(1, int(first.key("EnNo")))
		again = client.insert("FiEntries", entry())
	assert (first.keys["EnNo"], str(first.keys["UnId"])) == ("48227", "1")
	assert (second.keys["EnNo"], str(second.keys["UnId"])) == ("48227", "2")
	assert again.keys["EnNo"] == "48227"
	booked = {(r["UnitId"], r["EntryNo"]) for r in ledger.rows("Profit_Transactions")}
	assert booked == {(1, 48227), (2, 48227)}


def currency_entry(rate, debit=90.0, currency=100.0):
	return entry(
		[
			line("2", "10001", debit=debit, CuId="USD", Rate=rate, AmDc=currency, AmCc=0.0),
			line("1", "8000", credit=debit),
		],
		Peri=3,
	)


@pytest.mark.parametrize("language", ["en-us", "nl-nl"])
def test_a_rate_is_foreign_units_per_unit_of_the_administration_currency(ledger, language):
	"""AFAS's "Purchase with Currency": 10,000 (EUR) = NOK 75,000 at Rate 7.5, so amount × Rate =
	currency amount. EUR 90 for USD 100 is Rate 1.111111; ERPNext's 0.9 (EUR per USD) is refused."""
	with client_for(ledger, language) as client:
		assert client.insert("FiEntries", currency_entry(1.111111)).key("EnNo")
		assert client.insert("FiEntries", currency_entry(7.5, debit=10000.0, currency=75000.0)).key("EnNo")
		with pytest.raises(AfasValidationError) as info:
			client.insert("FiEntries", currency_entry(0.9))
	says = {"en-us": "is not the amount 90.00 times the rate 0.9", "nl-nl": "maal de koers 0.9"}
	assert says[language] in info.value.external_message


def test_a_dimension_only_on_an_account_that_takes_one(ledger):
	"""A strict administration: a dimension on the revenue line books; on the VAT account (balance
	sheet, no dimension axis) or a debtor line it is refused; an account set up for axis 1 takes one."""
	dim = {"FiDimEntries": {"Element": {"Fields": {"DiC1": "WEST"}}}}

	def body(dimension_on):
		lines = [
			line("2", "10001", debit=121.0),
			line("1", "8000", credit=100.0),
			line("1", "1510", credit=21.0),
		]
		elements = [
			{"Fields": fields, "Objects": [dim]} if fields["AcNr"] in dimension_on else {"Fields": fields}
			for fields in lines
		]
		data = entry(lines, Peri=3)
		data["FiEntryPar"]["Element"]["Objects"][0]["FiEntries"]["Element"] = elements
		return data

	with client_for(ledger, "en-us") as client:
		assert client.insert("FiEntries", body({"8000"})).key("EnNo")
		for refused in ("1510", "10001"):
			with pytest.raises(AfasValidationError, match=f"Account {refused} takes no dimension"):
				client.insert("FiEntries", body({"8000", refused}))
		ledger.update_row("Profit_Accounts", "1510", {"DimAx1": "1"})
		assert client.insert("FiEntries", body({"1510"})).key("EnNo")
