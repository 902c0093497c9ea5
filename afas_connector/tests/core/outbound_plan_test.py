"""The pure outbound plan: which changes a mapping queues, which call a change needs, and the
back-off between push rounds. The bench tier tests the same decisions end to end."""

import pytest

from afas_connector.afas.config import RetryPolicy, backoff
from afas_connector.sync.outbound_plan import (
	DEACTIVATE_IN_AFAS,
	DELETE_IN_AFAS,
	DO_NOTHING,
	EVENT_FLAGS,
	Call,
	after_failure,
	plan_call,
	wants_change,
)


@pytest.mark.parametrize("event,flag", sorted(EVENT_FLAGS.items()))
def test_each_event_follows_its_check_box(event, flag):
	assert wants_change(event, {flag: 1, "delete_action": DELETE_IN_AFAS})
	assert not wants_change(event, {flag: 0, "delete_action": DELETE_IN_AFAS})


def test_unknown_events_are_not_queued_but_a_manual_push_is():
	assert not wants_change("before_save", {"push_on_update": 1})
	assert wants_change("on_update", {}, manual=True)


@pytest.mark.parametrize("event", ["on_cancel", "on_trash"])
def test_do_nothing_drops_remove_events_even_when_pushed_by_hand(event):
	mapping = {"push_on_cancel": 1, "push_on_trash": 1, "delete_action": DO_NOTHING}
	assert not wants_change(event, mapping)
	assert not wants_change(event, mapping, manual=True)
	assert wants_change("on_update", {**mapping, "push_on_update": 1})


@pytest.mark.parametrize(
	"event,key,exists,action,expected",
	[
		("after_insert", None, True, DELETE_IN_AFAS, Call("POST")),
		("on_update", None, True, DELETE_IN_AFAS, Call("POST")),
		("on_update", "10001", True, DELETE_IN_AFAS, Call("PUT")),
		("on_submit", "10001", True, DELETE_IN_AFAS, Call("PUT")),
		("on_trash", "10001", False, DELETE_IN_AFAS, Call("DELETE")),
		("on_cancel", "10001", True, DELETE_IN_AFAS, Call("DELETE")),
		("on_trash", "10001", False, DEACTIVATE_IN_AFAS, Call("PUT", deactivate=True)),
	],
)
def test_the_call_follows_what_afas_knows(event, key, exists, action, expected):
	assert plan_call(event, afas_key=key, document_exists=exists, delete_action=action) == expected


def test_nothing_is_sent_for_a_record_afas_never_had_or_a_document_already_gone():
	never = plan_call("on_trash", afas_key=None, document_exists=False, delete_action=DELETE_IN_AFAS)
	assert not never.sends and "Never sent" in never.reason
	gone = plan_call("on_update", afas_key=None, document_exists=False, delete_action=DELETE_IN_AFAS)
	assert not gone.sends and "Deleted in ERPNext" in gone.reason
	assert plan_call("on_update", afas_key="1", document_exists=True, delete_action="").sends


def test_transient_failures_back_off_1_2_4_minutes_then_fail():
	steps = []
	rounds = 0
	for _ in range(4):
		step = after_failure(rounds, transient=True, max_rounds=4)
		steps.append((step.status, step.rounds, step.delay))
		rounds = step.rounds
	assert steps == [
		("Retrying", 1, 60.0),
		("Retrying", 2, 120.0),
		("Retrying", 3, 240.0),
		("Failed", 4, 0.0),
	]


def test_back_off_is_capped_at_an_hour_and_afas_retry_after_wins_when_longer():
	assert after_failure(20, transient=True, max_rounds=99).delay == 3600.0
	assert after_failure(0, transient=True, max_rounds=4, retry_after=900).delay == 900.0
	assert after_failure(0, transient=True, max_rounds=4, retry_after=5).delay == 60.0


def test_a_functional_error_fails_at_once_without_costing_a_round():
	step = after_failure(2, transient=False, max_rounds=4)
	assert (step.status, step.rounds) == ("Failed", 2)


def test_one_back_off_formula_for_calls_and_rounds():
	assert [backoff(n, 0.5, 30) for n in (1, 2, 3, 7, 8)] == [0.5, 1.0, 2.0, 30, 30]
	policy = RetryPolicy(base_delay=0.5, max_delay=30)
	assert policy.delay(3, 0.0) == backoff(3, 0.5, 30) / 2
	assert policy.delay(3, 0.999999) == pytest.approx(backoff(3, 0.5, 30), rel=1e-5)


@pytest.mark.parametrize("event", ["on_update", "on_submit", "after_insert"])
def test_a_cancelled_document_is_never_created_in_afas(event):
	call = plan_call(event, afas_key=None, document_exists=True, delete_action=DELETE_IN_AFAS, cancelled=True)
	assert not call.sends and "Cancelled in ERPNext" in call.reason


@pytest.mark.parametrize(
	"action,expected",
	[(DELETE_IN_AFAS, Call("DELETE")), (DEACTIVATE_IN_AFAS, Call("PUT", deactivate=True))],
)
def test_a_cancelled_document_known_to_afas_is_sent_as_its_cancellation(action, expected):
	assert (
		plan_call("on_update", afas_key="7", document_exists=True, delete_action=action, cancelled=True)
		== expected
	)
	nothing = plan_call(
		"on_update", afas_key="7", document_exists=True, delete_action=DO_NOTHING, cancelled=True
	)
	assert not nothing.sends and "Do Nothing" in nothing.reason


def test_the_ledger_books_once_and_reverses_once():
	from afas_connector.sync.outbound_plan import LEDGER, plan_ledger_call

	assert plan_ledger_call("on_submit", booked=None, reversed_by=None, cancelled=False) == Call("POST")
	again = plan_ledger_call("on_submit", booked="5811", reversed_by=None, cancelled=False)
	assert not again.sends and "5811" in again.message()
	assert plan_ledger_call("on_cancel", booked="5811", reversed_by=None, cancelled=True) == Call(
		"POST", reverse=True
	)
	twice = plan_ledger_call("on_cancel", booked="5811", reversed_by="5812", cancelled=True)
	assert not twice.sends and "5812" in twice.message()
	never = plan_ledger_call("on_cancel", booked=None, reversed_by=None, cancelled=True)
	assert not never.sends and "nothing to reverse" in never.reason
	ledger = {"mapping_type": LEDGER, "push_on_submit": 1, "push_on_cancel": 1, "delete_action": DO_NOTHING}
	assert wants_change("on_submit", ledger) and wants_change("on_cancel", ledger)
	assert not wants_change("on_update", {**ledger, "push_on_update": 1})


@pytest.mark.parametrize("event", ["on_update", "on_cancel"])
def test_a_document_whose_afas_record_was_deleted_is_not_called_never_sent(event):
	"""Issue 24 §6: sent, then cancelled (AFAS record deleted): pushing it again says so."""
	call = plan_call(
		event,
		afas_key=None,
		document_exists=True,
		delete_action=DELETE_IN_AFAS,
		cancelled=True,
		removed_key="10007",
	)
	assert not call.sends
	assert "10007" in call.message() and "deleted there already" in call.message()
	assert "never" not in call.message().lower() and "before it reached" not in call.message()
