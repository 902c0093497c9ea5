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
	BRING_BACK,
	KEEP_DELETED,
	UNLINK,
	InboundSpec,
	InboundState,
	after_page,
	begin,
	deletion_choice,
	finish_run,
	page_filter,
	resync_done,
	run_inbound,
	settle_retries,
	since_filter,
	stamp,
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
	assert state.run_started == "2024-07-01T10:00:00+02:00"  # Amsterdam summer time, offset kept
	assert start_run(state, now=now + dt.timedelta(hours=1)) is state  # resume keeps the start
	state = after_page(state, [{"K": "1"}, {"K": "9"}], "K")
	assert state.cursor == "9"
	done = finish_run(state)
	assert done.watermark == "2024-07-01T10:00:00+02:00" and not done.in_progress and done.cursor is None
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


UTC = dt.timezone.utc


def test_autumn_clock_change_loses_no_edit(sim, client):
	"""25 Oct 2026: runs at 02:52 summer time, then 02:07, 02:22 and 03:00 winter time. An edit that
	AFAS stamps 02:03 (winter time, the repeated hour) is read by the 02:07 run."""
	template = dict(sim.rows(DEBTORS)[0])
	store = Store()
	store.state = InboundState(watermark=stamp(dt.datetime(2026, 10, 25, 0, 52, tzinfo=UTC)))
	assert store.state.watermark == "2026-10-25T02:52:00+02:00"
	sim.add_rows(DEBTORS, [{**template, "DebtorId": 990001, "Modified": "2026-10-25T02:03:00"}])
	sim.clear_requests()
	store.run(client, now=dt.datetime(2026, 10, 25, 1, 7, tzinfo=UTC))  # 02:07 winter time
	assert 990001 in store.writes or "990001" in [str(k) for k in store.writes]
	sent = sim.requests[0].query
	assert "2026-10-25T02:00:00" in (sent.get("filtervalues", "") + sent.get("filterjson", ""))
	assert store.state.watermark == "2026-10-25T02:07:00+01:00"
	store.writes.clear()
	sim.add_rows(DEBTORS, [{**template, "DebtorId": 990002, "Modified": "2026-10-25T02:15:00"}])
	store.run(client, now=dt.datetime(2026, 10, 25, 1, 22, tzinfo=UTC))  # 02:22 winter time
	assert [str(k) for k in store.writes] == ["990002"]
	store.writes.clear()
	store.run(client, now=dt.datetime(2026, 10, 25, 2, 0, tzinfo=UTC))  # 03:00 winter time
	assert store.writes == []


@pytest.mark.parametrize(
	"watermark,until,expected",
	[
		("2024-05-01T10:00:00", None, "2024-05-01T09:59:00"),  # earlier versions stored no offset
		("2024-05-01T10:00:00+02:00", "2024-05-01T10:15:00+02:00", "2024-05-01T09:59:00"),
		("2026-10-25T02:52:00+02:00", "2026-10-25T02:07:00+01:00", "2026-10-25T02:00:00"),
		("2026-10-25T02:07:00+01:00", "2026-10-25T02:22:00+01:00", "2026-10-25T02:06:00"),
		("2026-10-25T01:30:00+02:00", "2026-10-25T03:30:00+01:00", "2026-10-25T01:29:00"),
		("2026-03-29T01:59:30+01:00", "2026-03-29T03:05:00+02:00", "2026-03-29T01:58:30"),  # spring: no gap
	],
)
def test_since_filter_starts_at_the_earliest_wall_clock_time(watermark, until, expected):
	assert since_filter(watermark, 60, until) == expected


def test_failed_rows_are_read_again_until_they_succeed_or_are_gone(sim, client):
	sim.generate_rows(DEBTORS, n=40, seed=31)
	ids = sorted(str(r["DebtorId"]) for r in sim.rows(DEBTORS))
	bad = set(ids[5:8])
	seen = []
	holder = {"state": InboundState()}

	def commit(page, state_after):
		keys = {str(r["DebtorId"]) for r in page.rows}
		failed = keys & bad
		settle_retries(state_after, failed, (keys - failed) | page.gone)
		holder["state"] = state_after
		seen.append((page.retry, sorted(keys)))

	def run(**kwargs):
		return run_inbound(client, SPEC, holder["state"], take=25, commit_page=commit, **kwargs)

	state = run()
	assert state.retry_keys == sorted(bad) and not state.in_progress
	bad.clear()  # the mapping was fixed
	sim.delete_row(DEBTORS, int(ids[7]) if isinstance(sim.rows(DEBTORS)[0]["DebtorId"], int) else ids[7])
	seen.clear()
	state = run()
	retried = [keys for retry, keys in seen if retry]
	assert retried == [ids[5:7]], "the watermark moved past them, yet they are read again by key"
	assert state.retry_keys == [], "fixed rows leave the list, and so does one AFAS no longer has"
	seen.clear()
	run()
	assert [keys for retry, keys in seen if retry] == []


@pytest.mark.parametrize("prefetch", [True, False])
def test_next_page_is_fetched_while_a_page_is_written(sim, client, prefetch):
	"""Issue 18: AFAS's latency hides behind the writing. While page N is committed, the request for
	page N+1 is already in flight (and never more than one page ahead); without prefetch it is not.
	The rows, the requests and the resume guarantee are the same either way."""
	import time

	sim.generate_rows(DEBTORS, n=130, seed=31)
	sim.faults.add(connector=DEBTORS, kind="latency", delay=0.3, times=None)
	seen_in_flight = []

	class Watching(Store):
		def commit_page(self, page, state_after):
			deadline = time.monotonic() + 2
			while sim.concurrency["in_flight"] == 0 and time.monotonic() < deadline and prefetch:
				time.sleep(0.01)
			seen_in_flight.append(sim.concurrency["in_flight"])
			super().commit_page(page, state_after)

	store = Watching()
	sim.clear_requests()
	state = store.run(client, prefetch=prefetch)
	assert not state.in_progress and len(store.writes) == 130
	assert len([r for r in sim.requests if r.connector == DEBTORS]) == 3
	if prefetch:
		assert seen_in_flight[:2] == [1, 1] and seen_in_flight[2] == 0  # none after the last page
	else:
		assert seen_in_flight == [0, 0, 0]
	assert sim.concurrency["peak"] == 1


def test_a_failed_write_with_a_page_in_flight_resumes_without_loss(sim, client):
	sim.generate_rows(DEBTORS, n=160, seed=32)
	sim.faults.add(connector=DEBTORS, kind="latency", delay=0.2, times=None)
	store = Store(crash_on_page=2)
	with pytest.raises(Crash):
		store.run(client)
	assert len(store.rows) == 50 and store.state.cursor == sorted(store.rows)[-1]
	store.crash_on_page = None
	store.run(client)
	assert len(store.writes) == len(set(store.writes)) == 160


def test_share_done_and_time_left_come_from_the_key_range():
	from afas_connector.sync.inbound_plan import key_share, time_left

	assert key_share("10001", "10001", "20001") == 0.0
	assert key_share(10001, "15001", 20001) == 0.5
	assert key_share(1, 30, 20) == 1.0  # a row added since the start
	assert key_share("A-1", "A-2", "B-9") is None  # keys that are not numbers: no estimate
	assert key_share(5, 5, 5) is None
	assert time_left(0.25, 30.0) == 90.0
	assert time_left(None, 30.0) is None and time_left(0.0, 3.0) is None
	assert time_left(1.0, 12.0) == 0.0


def test_a_run_keeps_the_field_map_it_writes_with(sim, client):
	"""Issue 24 §6: the state of a run says which field map its pages were written with."""
	sim.generate_rows(DEBTORS, n=120, seed=31)
	store = Store(crash_on_page=2)
	with pytest.raises(Crash):
		store.run(client, field_map="map-1")
	assert store.state.in_progress and store.state.field_map == "map-1"
	assert InboundState.from_dict(store.state.to_dict()).field_map == "map-1"
	store.crash_on_page = None
	assert store.run(client, field_map="map-1").field_map == "map-1"  # resumed, then finished


def test_a_run_resumes_only_with_the_field_map_it_started_with():
	"""A run in progress resumes at its cursor with the same field map; with another (edited since)
	it starts over, so the rows before the cursor get the new one too."""
	crashed = InboundState(
		watermark="w", run_started="s", cursor=40, full=True, retry_keys=["7"], field_map="a"
	)
	assert begin(crashed, full=True, field_map="a") is crashed
	again = begin(crashed, full=True, field_map="b")
	assert (again.in_progress, again.cursor, again.watermark, again.retry_keys) == (False, None, "w", ["7"])
	incremental = InboundState(watermark="w", run_started="s", cursor=40, field_map="a")
	assert not begin(incremental, full=True, field_map="a").in_progress  # a full run starts over
	assert begin(incremental, full=False, field_map="a") is incremental
	legacy = InboundState(watermark="w", run_started="s", cursor=40, full=True)  # saved before field_map
	assert begin(legacy, full=True, field_map="a") is legacy


@pytest.mark.parametrize(
	"full,complete,run_map,current_map,done",
	[
		(True, True, "a", "a", True),  # every row rewritten with the field map the mapping has
		(True, True, "a", "b", False),  # edited during the run: its rows have the old one
		(True, False, "a", "a", False),  # stopped before the end
		(False, True, "a", "a", False),  # an incremental (or first) run read only some rows
		(True, True, None, "", True),
	],
)
def test_a_resync_is_done_only_when_every_row_has_the_current_field_map(
	full, complete, run_map, current_map, done
):
	assert resync_done(full=full, complete=complete, run_map=run_map, current_map=current_map) is done


@pytest.mark.parametrize(
	"choices,expected",
	[
		([], UNLINK),
		([None], KEEP_DELETED),
		([""], KEEP_DELETED),
		([BRING_BACK], BRING_BACK),
		([UNLINK], UNLINK),
		([UNLINK, BRING_BACK], BRING_BACK),
		([BRING_BACK, KEEP_DELETED], KEEP_DELETED),
	],
)
def test_when_deleted_in_erpnext_defaults_to_keeping_the_delete(choices, expected):
	assert deletion_choice(choices) == expected
