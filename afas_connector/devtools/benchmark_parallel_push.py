"""Benchmark: pushes at AFAS's speed, drained by real RQ workers, against the ideal and a bare loop.

Run: ``bench --site test.localhost afas benchmark push --latency-ms 200 --workers 1,2,3,4,6,8``. The
simulator answers every KnSalesRelationOrg call after ``latency_ms`` (real AFAS takes a few hundred
ms). For each worker count W it queues ``per_worker × W`` Customers, starts W ``frappe worker``
processes, waits until they listen and the shared queue is idle (other sites' jobs go first), sets Max
Parallel Calls to W (at most AFAS's 8: the README's advice, at least as many workers as Max Parallel
Calls; and workers of other sites' test runs, which take this site's jobs too, cannot add calls),
enqueues one drain (which starts its helpers itself) and waits until every change is Success. It
times the push from the first one's start to the last one's end (the outbox rows' times): documents/s
against the ideal ``W / latency`` (target ≥ 0.8×); the seconds before the first push (a frappe worker
forks and loads the app for each job: the same however many documents follow) are printed apart.
Also the peak of parallel calls (target W) and changes sent twice (target 0). Then the peer a user
would otherwise write: a bare ``requests`` loop POSTing the same bodies one by one, at the same latency
(the most workers: target ≥ 5×) and at ~0 ms (one worker and the most, target ≥ 0.8×).

On a shared machine one run says little, so it measures in rounds (``benchmark_stats``): a round runs
every worker count once, in an order that turns each round, each app run followed by its bare loop;
rounds repeat until every ratio against the ideal is steady or ``budget_s`` is spent, and it prints
each figure's median with its spread. The same Customers are sent in every round: their Record Links
and outbox rows are put back as new (Queued, no AFAS key) before each run, so only the push is timed.
Prints one line per figure and a final ``RESULT:`` line.
"""

from __future__ import annotations

import base64
import json
import sys
import time
from typing import Any

import frappe
import requests

from afas_connector.binding.outbox import AFAS_MAX_PARALLEL_CALLS
from afas_connector.binding.sync_log import insert_outbox_row
from afas_connector.devtools.benchmark_stats import Ratio, order, rounds
from afas_connector.devtools.samples import (
	OUTBOUND,
	isolate_outbound,
	new_customer,
	restore_outbound,
	upsert_mapping,
	use_simulator,
)
from afas_connector.devtools.workers import (
	empty_queue,
	start_workers,
	stop_workers,
	wait_idle,
	wait_listening,
	worker_output,
)
from afas_connector.simulator import DEMO_TOKEN, AfasSimulator

CONNECTOR = "KnSalesRelationOrg"
DRAIN = "afas_connector.binding.outbox.drain"
#: Bodies the bare loop POSTs at AFAS's latency (its rate is one body per latency, however many).
LOOP_SAMPLE = 50


def _customers(token: str, count: int) -> list[str]:
	"""``count`` new Customers (no outbound mapping on: nothing is queued or kicked); their names."""
	names = []
	for i in range(count):
		names.append(new_customer(f"Parallel {token} {i}").name)
		if i % 50 == 49:
			frappe.db.commit()
			print(f"\r  {i + 1} Customers…", end="", file=sys.stderr, flush=True)
	frappe.db.commit()
	print(file=sys.stderr)
	return names


def _requeue(mapping: str, names: list[str]) -> None:
	"""The documents as never sent: no Record Link, one Queued outbox row each (what a save writes)."""

	frappe.db.delete("AFAS Record Link", {"mapping": mapping})
	frappe.db.delete("AFAS Sync Log", {"mapping": mapping})
	for name in names:
		insert_outbox_row(
			mapping=mapping,
			direction="Outbound",
			trigger="Document Event",
			status="Queued",
			reference_doctype="Customer",
			reference_name=name,
			event="after_insert",
			http_method=None,
		)
	frappe.db.commit()


def _pending(mapping: str) -> int:
	frappe.db.rollback()  # a fresh snapshot: the workers commit in other connections
	return frappe.db.count(
		"AFAS Sync Log", {"mapping": mapping, "status": ["in", ("Queued", "Running", "Retrying")]}
	)


def _set_max_parallel_calls(value: int) -> None:
	settings = frappe.get_doc("AFAS Settings")
	if settings.max_parallel_calls != value:
		settings.max_parallel_calls = value
		settings.save(ignore_permissions=True)
		frappe.db.commit()


def _app_push(mapping: str, names: list[str], workers: int, limit: int) -> tuple[float, float, int]:
	"""Drain the outbox rows of ``names`` with ``workers`` worker processes. Returns the seconds from
	the first push's start to the last one's end (what the ideal ``workers / latency`` is about), the
	seconds from enqueueing the drain to its first push (a frappe worker forks and loads the app for
	every job: seconds on a busy machine, the same however many documents follow), and the changes not
	Success."""

	_requeue(mapping, names)
	_set_max_parallel_calls(min(limit or workers, AFAS_MAX_PARALLEL_CALLS))
	empty_queue()
	procs = start_workers(workers)
	try:
		wait_listening(procs)
		wait_idle(procs, timeout=60)
		enqueued = frappe.utils.now_datetime()
		frappe.enqueue(DRAIN, queue="default", timeout=260)
		frappe.db.commit()
		deadline = time.monotonic() + max(120, len(names) * 2)
		while _pending(mapping) and time.monotonic() < deadline:
			time.sleep(0.05)
		if _pending(mapping):
			raise RuntimeError(f"not drained in time\n{worker_output(procs)}")
	finally:
		stop_workers(procs)
	first, last = frappe.db.sql(
		"select min(started_at), max(finished_at) from `tabAFAS Sync Log` where mapping=%s", mapping
	)[0]
	failed = frappe.db.count("AFAS Sync Log", {"mapping": mapping, "status": ["!=", "Success"]})
	return (last - first).total_seconds(), (first - enqueued).total_seconds(), failed


def _sent_twice(posts: list[Any]) -> int:
	"""POSTs beyond the first of the same debtor (by its name in the body)."""
	names = [json.dumps(r.body[CONNECTOR]["Element"]["Objects"], sort_keys=True) for r in posts]
	return len(names) - len(set(names))


def _bare_loop(sim: AfasSimulator, bodies: list[bytes]) -> float:
	"""The script a user would otherwise write: POST each body in turn on one keep-alive session.
	Returns documents/s."""
	session = requests.Session()
	session.headers["Authorization"] = "AfasToken " + base64.b64encode(DEMO_TOKEN.encode()).decode()
	session.headers["Content-Type"] = "application/json"
	url = f"{sim.base_url}/connectors/{CONNECTOR}"
	started = time.perf_counter()
	for body in bodies:
		session.post(url, data=body, timeout=30).raise_for_status()
	elapsed = time.perf_counter() - started
	session.close()
	return len(bodies) / elapsed


def _key(count: int, latency: str) -> str:
	return f"{count} worker{'s' if count > 1 else ''} at {latency}"


def run(
	latency_ms: int = 200,
	workers: tuple[int, ...] = (1, 2, 3, 4, 6, 8),
	per_worker: int = 100,
	*,
	budget_s: float = 1200,
	min_rounds: int = 3,
	max_parallel_calls: int | None = None,
) -> dict[str, Any]:
	"""The benchmark (see the module's docstring). ``max_parallel_calls``: the same for every run
	instead of the worker count (workers of other test runs on the bench may then add calls)."""
	frappe.set_user("Administrator")
	token = frappe.generate_hash(length=6)
	latency = latency_ms / 1000
	most = max(workers)
	# (workers, latency in s): every count at AFAS's latency; at ~0 ms one worker and the most.
	runs = [(count, latency) for count in workers] + [(count, 0.0) for count in sorted({1, most})]
	label = {latency: f"{latency_ms} ms", 0.0: "~0 ms"}
	docs = {
		(count, delay): per_worker * count if delay else max(200, per_worker * count) for count, delay in runs
	}
	peaks: dict[str, list[int]] = {}
	twice: dict[str, int] = {}
	failed_total: dict[str, int] = {}

	with AfasSimulator(port=0) as sim:
		settings = use_simulator(sim.base_url, max_parallel_calls=most, max_attempts=3, base_delay=0)
		others = isolate_outbound()  # every outbound mapping off while the Customers are made
		names = _customers(token, max(docs.values()))
		mapping = upsert_mapping(
			{**OUTBOUND, "mapping_name": f"Benchmark Parallel {token}", "condition": "", "link_with": ""}
		)
		frappe.db.commit()

		def measure(round_no: int) -> dict[str, float]:
			figures: dict[str, float] = {}
			for count, delay in order(runs, round_no):
				key = _key(count, label[delay])
				sim.faults.clear()
				if delay:
					sim.faults.add(connector=CONNECTOR, kind="latency", delay=delay, times=None)
				sim.clear_requests()
				wanted = names[: docs[(count, delay)]]
				print(f"  {key}: {len(wanted)} documents…", file=sys.stderr, flush=True)
				seconds, pickup, failed = _app_push(mapping.name, wanted, count, max_parallel_calls or count)
				figures[f"{key}: job start s"] = pickup
				posts = [r for r in sim.requests if r.method == "POST" and r.connector == CONNECTOR]
				peaks.setdefault(key, []).append(sim.concurrency["peak"])
				twice[key] = twice.get(key, 0) + _sent_twice(posts)
				failed_total[key] = failed_total.get(key, 0) + failed
				rate = len(wanted) / seconds
				figures[f"{key}: docs/s"] = rate
				if delay:
					figures[f"{key}: vs ideal"] = rate / (count / delay)
				if not delay or count == most:
					sample = [r.raw_body for r in posts][: LOOP_SAMPLE if delay else None]
					figures[f"{key}: vs bare loop"] = rate / _bare_loop(sim, sample)
			return figures

		try:
			ratios = rounds(
				measure,
				budget_s=budget_s,
				min_rounds=min_rounds,
				watch=tuple(f"{_key(c, label[latency])}: vs ideal" for c in workers),
			)
		finally:
			sim.faults.clear()
			frappe.db.delete("AFAS Record Link", {"mapping": mapping.name})
			frappe.db.delete("AFAS Sync Log", {"mapping": mapping.name})
			frappe.delete_doc("AFAS Connector Mapping", mapping.name, force=True, ignore_permissions=True)
			frappe.db.delete("Customer", {"customer_name": ["like", f"Parallel {token}%"]})
			frappe.db.commit()
			restore_outbound(others)
			settings.reload()
			settings.max_parallel_calls = 4
			settings.save(ignore_permissions=True)
			frappe.db.commit()

	return _report(ratios, peaks, twice, failed_total, latency_ms, workers, runs, label, docs)


def _report(
	ratios: dict[str, Ratio],
	peaks: dict[str, list[int]],
	twice: dict[str, int],
	failed: dict[str, int],
	latency_ms: int,
	workers: tuple[int, ...],
	runs: list[tuple[int, float]],
	label: dict[float, str],
	docs: dict[tuple[int, float], int],
) -> dict[str, Any]:
	result: dict[str, Any] = {"latency_ms": latency_ms, "runs": {}}
	for count, delay in runs:
		key = _key(count, label[delay])
		run = {
			"docs": docs[(count, delay)],
			"docs_per_s": ratios[f"{key}: docs/s"],
			"peak": (min(peaks[key]), max(peaks[key])),
			"sent_twice": twice[key],
			"not_success": failed[key],
		}
		line = f"{key}: {run['docs']} docs, {run['docs_per_s'].text(1, ' docs/s')}"
		if delay:
			run["vs_ideal"] = ratios[f"{key}: vs ideal"]
			line += f"; vs ideal {count / delay:.0f}/s: {run['vs_ideal'].text()}"
		if f"{key}: vs bare loop" in ratios:
			run["vs_loop"] = ratios[f"{key}: vs bare loop"]
			line += f"; vs bare requests loop: {run['vs_loop'].text()}"
		run["job_start_s"] = ratios[f"{key}: job start s"]
		line += f"; the drain job started {run['job_start_s'].median:.1f} s after it was enqueued (median)"
		low, high = run["peak"]
		line += f"; peak parallel calls {low if low == high else f'{low}–{high}'}"
		line += f"; sent twice {twice[key]}, not Success {failed[key]}"
		print(line, flush=True)
		result["runs"][key] = run
	scaling = {count: result["runs"][_key(count, f"{latency_ms} ms")] for count in workers}
	worst = min(scaling, key=lambda count: scaling[count]["vs_ideal"].median)
	peaks_ok = all(run["peak"] == (count, count) for count, run in scaling.items())
	most = max(workers)
	top = result["runs"][_key(most, f"{latency_ms} ms")]["vs_loop"]
	zero = result["runs"]["1 worker at ~0 ms"]["vs_loop"]
	result["min_vs_ideal"] = scaling[worst]["vs_ideal"].median
	print(
		f"RESULT: push at {latency_ms} ms over {', '.join(map(str, workers))} workers: worst median "
		f"{scaling[worst]['vs_ideal'].median:.2f}x of the ideal at {worst} (target >= 0.8); peak parallel "
		f"calls = workers in every run: {'yes' if peaks_ok else 'NO'}; sent twice: "
		f"{sum(twice.values())} (target 0); {most} workers vs bare requests loop {top.median:.1f}x "
		f"(target >= 5); 1 worker at ~0 ms vs the loop {zero.median:.2f}x (target >= 0.8)"
	)
	for run in result["runs"].values():  # plain numbers for a caller (``bench execute`` prints them)
		for name, value in run.items():
			if isinstance(value, Ratio):
				run[name] = value.summary()
	return result
