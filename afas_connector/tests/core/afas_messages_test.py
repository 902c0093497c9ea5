"""What AFAS's 500 messages mean: a real lock (held by another user right now) is worth a retry,
a blocked period or a blocked assignment never is.

The messages below are AFAS's own, one English and one Dutch per kind where AFAS publishes both.
Sources (public):

* [fientries] AFASSoftware/OASContent ``markdownpages/endpoint/en/fientries-post.md`` ("Validations":
  the blocked-period and account messages) and ``.../nl/fientries-post.md`` (the Dutch transitory
  message "Binnen de gekozen selectie is periode … geblokkeerd");
* [troubleshooting] ``markdownpages/profit/en/troubleshooting.md`` and ``.../nl/troubleshooting.md``:
  FiEntries "booking layout is blocked by another user at that time" / "de boekingslay-out op dat
  moment geblokkeerd is door een andere gebruiker" — the one 500 AFAS says to retry; "This
  GetConnector (definition) is blocked" (a fair-use block an administrator must lift); "Command
  timeout expired." (AFAS's own 900 s limit);
* [seed003] AFAS's Dutch REST overview (the contract's seed ``003``): "een melding … dat de
  boekingslayout op dat moment geblokkeerd is door een andere gebruiker" — retry until it is free;
* [issue14] this project's issue 14, quoting AFAS: the Dutch blocked-period message and the blocked
  cost-centre assignment;
* [sqlserver] Microsoft SQL Server error 1205 (under Profit): "Transaction (Process ID …) was
  deadlocked on lock resources with another process and has been chosen as the deadlock victim.
  Rerun the transaction."

Where AFAS publishes only one language, the other is marked ``(ours)``: our rendering, kept so each
pattern is tried in both languages.
"""

import json

import pytest

from afas_connector.afas.errors import (
	AfasTemporaryError,
	AfasValidationError,
	error_for_status,
	is_transient_message,
)

#: (message, transient?, source)
MESSAGES = [
	# --- real locks: someone else holds the booking layout or the record right now -> retry
	(
		"The booking layout is blocked by another user at that time.",
		True,
		"troubleshooting (en)",
	),
	(
		"De boekingslay-out is op dat moment geblokkeerd door een andere gebruiker.",
		True,
		"troubleshooting (nl)",
	),
	("The record is locked by another user.", True, "(ours) record lock, English"),
	("Het record is vergrendeld door een andere gebruiker.", True, "(ours) record lock, Dutch"),
	(
		"Transaction (Process ID 61) was deadlocked on lock resources with another process and has been "
		"chosen as the deadlock victim. Rerun the transaction.",
		True,
		"sqlserver 1205",
	),
	# --- blocked: a setting in AFAS that only a person can change -> never retried
	(
		"Date '3-2-2026' belongs to a blocked period | For this administration, period 2 of the year 2026 "
		"is blocked.",
		False,
		"fientries (en), issue14",
	),
	(
		"Datum '3-2-2026' valt in een geblokkeerde periode | Voor deze administratie is periode 2 van het "
		"jaar 2026 geblokkeerd.",
		False,
		"issue14 (first half); second half (ours)",
	),
	(
		"Date '1-11-2024' belongs to a blocked period | For this administration, period 8 of the year 2024 "
		"is blocked.",
		False,
		"fientries (en)",
	),
	(
		"There is no assignment for cost center '100' with account '4000' or the assignment is blocked.",
		False,
		"issue14",
	),
	(
		"Er is geen toewijzing voor kostenplaats '100' met rekening '4000' of de toewijzing is geblokkeerd.",
		False,
		"(ours) Dutch of issue14's assignment message",
	),
	(
		"Binnen de gekozen selectie is periode 3 van jaar 2026 geblokkeerd.||De transitorische post kan "
		"hierdoor niet gegenereerd worden.",
		False,
		"fientries (nl)",
	),
	("This GetConnector (definition) is blocked", False, "troubleshooting (en)"),
	("Deze GetConnector (definitie) is geblokkeerd", False, "(ours) Dutch of the GetConnector block"),
	("The debtor is blocked.", False, "(ours) a blocked debtor"),
	("De debiteur is geblokkeerd.", False, "(ours) a blocked debtor, Dutch"),
	# --- other permanent validation messages
	(
		"The entered value for 'Account Number' does not exist | Enter a value for 'Account Number'.",
		False,
		"fientries (en)",
	),
	("The entered value for 'Employee' does not exist.", False, "troubleshooting (en)"),
]


@pytest.mark.parametrize(
	"message,transient,source", MESSAGES, ids=[m[2] + ": " + m[0][:30] for m in MESSAGES]
)
def test_afas_message_is_classified_by_what_it_means(message, transient, source):
	assert is_transient_message(message) is transient
	body = json.dumps({"externalMessage": message, "errorNumber": -2147220469, "profitLogReference": "AB12"})
	error = error_for_status(500, body, {}, method="POST", path="/connectors/FiEntries")
	assert type(error) is (AfasTemporaryError if transient else AfasValidationError)
	assert error.retryable is transient
	assert error.external_message == message


def test_afas_command_timeout_is_temporary_for_reads_only():
	"""AFAS's own 900 s limit: the work may still run, so only a read is safely repeated."""
	for message in ("Command timeout expired.", "De maximale tijdsduur van 900 seconden is verstreken."):
		body = json.dumps({"externalMessage": message})
		assert type(error_for_status(500, body, {}, method="GET", path="/x")) is AfasTemporaryError
		assert type(error_for_status(500, body, {}, method="POST", path="/x")) is AfasValidationError
