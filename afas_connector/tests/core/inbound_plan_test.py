"""The inbound engine (keyset paging, watermark, resume) against the simulator, no frappe.

``Store`` plays ERPNext: ``commit_page`` writes rows and state together, as the frappe layer does in
one transaction, so a crash between pages can be simulated by raising from it.
"""

import datetime as dt
import math

import pytest

from afas_connector.afas import FilterSet
from afas_connector.afas.dates import amsterdam_now, to_afas_datetime
from afas_connector.sync.inbound_plan import (
	InboundSpec,
	InboundState,
	after_page,
	finish_run,
	page_filter,
	run_inbound,
	start_run,
	unique_rows,
)
from afas_connector.sync.schedule import is_due

DEBTORS = "ERP_Debtors"
SPEC = InboundSpec(connector=DEBTORS, key_field="DebtorId", modified_field="Modified", overlap_seconds=60)


class Crash(Exception):
	pass


class Store:
	def __init__(self, crash_on_page=None):
		self.rows = {}
		self.writes = []
		self.state = InboundState()
		self.crash_on_page = crash_on_page

	def commit_page(self, page, state_after):
		if self.crash_on_page == page.number:
			raise Crash(f"worker killed while writing page {page.number}")
		for row in page.rows:
			self.writes.append(row["DebtorId"])
			self.rows[row["DebtorId"]] = row
		self.state = state_after

	def run(self, client, take=50, **kwargs):
		return run_inbound(client, SPEC, self.state, take=take, commit_page=self.commit_page, **kwargs)


def test_first_run_reads_everything_in_minimum_requests(sim, client):
	sim.generate_rows(DEBTORS, n=230, seed=21)
	store = Store()
	state = store.run(client)
	assert len(store.rows) == 230 and len(store.writes) == 230
	assert not state.in_progress and state.watermark
	assert len([r for r in sim.requests if r.connector == DEBTORS]) == math.ceil(230 / 50)
	first = sim.requests[0].query
	assert first["skip"] == "0" and first["orderbyfieldids"] == "DebtorId"


def test_second_run_reads_only_changed_rows(sim, client):
	sim.generate_rows(DEBTORS, n=120, seed=22)
	store = Store()
	store.run(client)
	changed = sorted(store.rows)[7]
	sim.update_row(DEBTORS, changed, {"Name": "Gewijzigd B.V."})
	store.writes.clear()
	sim.clear_requests()
	store.run(client)
	assert store.writes == [changed]
	assert store.rows[changed]["Name"] == "Gewijzigd B.V."
	modified_filter = sim.requests[0].query
	assert "Modified" in modified_filter.get("filterfieldids", "") or "Modified" in modified_filter.get(
		"filterjson", ""
	)


def test_crash_mid_run_resumes_without_loss_or_duplicates(sim, client):
	sim.generate_rows(DEBTORS, n=260, seed=23)
	store = Store(crash_on_page=3)
	with pytest.raises(Crash):
		store.run(client)
	assert store.state.in_progress and len(store.rows) == 100  # pages 1 and 2 committed
	store.crash_on_page = None
	state = store.run(client)
	assert not state.in_progress
	assert sorted(store.writes) == sorted(r["DebtorId"] for r in sim.rows(DEBTORS))  # each exactly once
	assert len(store.writes) == len(set(store.writes)) == 260


def test_rows_deleted_in_afas_mid_run_shift_nothing_past_the_cursor(sim, client):
	"""Keyset paging: a delete before the cursor cannot make the next page skip a row."""
	sim.generate_rows(DEBTORS, n=150, seed=24)
	ids = sorted(r["DebtorId"] for r in sim.rows(DEBTORS))
	store = Store()
	pages = []

	def commit(page, state_after):
		store.commit_page(page, state_after)
		pages.append(page.number)
		if page.number == 1:
			for gone in ids[:10]:
				sim.delete_row(DEBTORS, gone)

	run_inbound(client, SPEC, InboundState(), take=50, commit_page=commit)
	assert set(ids[10:]) <= set(store.rows)


def test_max_pages_stops_and_keeps_run_in_progress(sim, client):
	sim.generate_rows(DEBTORS, n=200, seed=25)
	store = Store()
	state = store.run(client, max_pages=2)
	assert state.in_progress and state.cursor == sorted(store.rows)[-1]
	state = store.run(client)
	assert not state.in_progress and len(store.rows) == 200


def test_user_filters_combine_with_watermark_and_cursor():
	spec = InboundSpec(
		DEBTORS, "DebtorId", "Modified", FilterSet().where("Blocked", "=", 0).or_where("City", "=", "Ede"), 30
	)
	state = InboundState(watermark="2024-05-01T10:00:00", run_started="2024-05-02T00:00:00", cursor="100")
	groups = page_filter(spec, state).groups
	assert len(groups) == 2
	for group in groups:
		assert [(c.field, int(c.operator), c.value) for c in group[-2:]] == [
			("Modified", 2, "2024-05-01T09:59:30"),
			("DebtorId", 4, "100"),
		]
	assert (
		page_filter(spec, InboundState(watermark="2024-05-01T10:00:00", full=True)).groups[0][-1].field
		== "Blocked"
	)


def test_state_transitions():
	now = dt.datetime(2024, 7, 1, 8, 0, tzinfo=dt.timezone.utc)
	state = start_run(InboundState(watermark="2024-06-01T00:00:00"), now=now)
	assert state.run_started == "2024-07-01T10:00:00"  # Amsterdam summer time
	assert start_run(state, now=now + dt.timedelta(hours=1)) is state  # resume keeps the start
	state = after_page(state, [{"K": "1"}, {"K": "9"}], "K")
	assert state.cursor == "9"
	done = finish_run(state)
	assert done.watermark == "2024-07-01T10:00:00" and not done.in_progress and done.cursor is None
	assert InboundState.from_dict(done.to_dict()) == done
	assert (
		to_afas_datetime(amsterdam_now(dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.timezone.utc)))
		== "2024-01-01T13:00:00"
	)


def test_unique_rows_drops_duplicates_and_keyless():
	rows, dropped = unique_rows([{"K": "1", "v": 1}, {"K": "1", "v": 2}, {"K": None}, {"K": "2"}], "K")
	assert rows == [{"K": "1", "v": 2}, {"K": "2"}] and dropped == 2


def test_schedule():
	now = dt.datetime(2024, 5, 1, 12, 0)
	assert is_due("Every N Minutes", last_run=None, now=now)
	assert not is_due(
		"Every N Minutes", last_run=now - dt.timedelta(minutes=14), now=now, interval_minutes=15
	)
	assert is_due("Every N Minutes", last_run=now - dt.timedelta(minutes=15), now=now, interval_minutes=15)
	assert is_due("Hourly", last_run=now - dt.timedelta(minutes=61), now=now)
	assert not is_due("Daily", last_run=now - dt.timedelta(hours=23), now=now)
	assert is_due("Cron", last_run=dt.datetime(2024, 5, 1, 11, 59), now=now, cron="0 12 * * *")
	assert not is_due("Cron", last_run=dt.datetime(2024, 5, 1, 12, 0), now=now, cron="0 12 * * *")
	assert not is_due("Cron", last_run=now - dt.timedelta(days=1), now=now, cron="bogus")
	assert not is_due("Manual Only", last_run=None, now=now)
