"""Benchmark: pushes at AFAS's speed, drained by real RQ workers, against the ideal and a bare loop.

Run: ``bench --site test.localhost afas benchmark push --latency-ms 200 --workers 1,2,4,8``. The
simulator answers every KnSalesRelationOrg call after ``latency_ms`` (real AFAS takes a few hundred
ms). For each worker count W it queues ``per_worker × W`` new Customers, starts W ``frappe worker``
processes (Max Parallel Calls set to the largest W, at most AFAS's 8), enqueues one drain (which
starts its helpers itself) and times until every change is Success: documents/s against the ideal
``W / latency`` (target ≥ 0.8× up to Max Parallel Calls). Then the peer a user would otherwise write:
a bare ``requests`` loop POSTing the same bodies one by one, at the same latency and at ~0 ms, against
the app with the most workers (target ≥ 5× at 200 ms) and with one worker at ~0 ms (target ≥ 0.8×).
Prints one line per measurement and a final ``RESULT:`` line.
"""

from __future__ import annotations

import base64
import sys
import time
from typing import Any

import frappe
import requests

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
	wait_until,
	worker_output,
)
from afas_connector.simulator import DEMO_TOKEN, AfasSimulator

CONNECTOR = "KnSalesRelationOrg"
DRAIN = "afas_connector.binding.outbox.drain"


def _queue(mapping: str, token: str, count: int) -> list[str]:
	"""``count`` new Customers, each with its outbox row Queued (committed); returns their names."""
	names = []
	for i in range(count):
		names.append(new_customer(f"Parallel {token} {i}").name)
		if i % 50 == 49:
			frappe.db.commit()
	frappe.db.commit()
	return names


def _pending(mapping: str) -> int:
	frappe.db.rollback()  # a fresh snapshot: the workers commit in other connections
	return frappe.db.count(
		"AFAS Sync Log", {"mapping": mapping, "status": ["in", ("Queued", "Running", "Retrying")]}
	)


def _workers_listening(procs: list[Any], timeout: float = 60) -> None:
	"""Wait until the started workers listen on the queue, so their start-up is not timed."""
	from frappe.utils.background_jobs import get_redis_conn
	from rq import Worker

	pids = {proc.pid for proc in procs}

	def listening() -> bool:
		return pids <= {worker.pid for worker in Worker.all(connection=get_redis_conn())}

	if not wait_until(listening, timeout, 0.2):
		raise RuntimeError(f"{len(procs)} workers did not start in {timeout} s\n{worker_output(procs)}")


def _app_push(mapping: str, token: str, docs: int, workers: int) -> tuple[float, int]:
	"""Queue ``docs`` Customers, drain them with ``workers`` worker processes; (seconds, failures)."""
	_queue(mapping, token, docs)
	empty_queue()
	procs = start_workers(workers)
	try:
		_workers_listening(procs)
		started = time.perf_counter()
		frappe.enqueue(DRAIN, queue="default", timeout=260)
		frappe.db.commit()
		deadline = started + max(120, docs * 2)
		while _pending(mapping) and time.perf_counter() < deadline:
			time.sleep(0.02)
		elapsed = time.perf_counter() - started
		if _pending(mapping):
			raise RuntimeError(f"not drained in time\n{worker_output(procs)}")
	finally:
		stop_workers(procs)
	failed = frappe.db.count("AFAS Sync Log", {"mapping": mapping, "status": ["!=", "Success"]})
	return elapsed, failed


def _bare_loop(sim: AfasSimulator, bodies: list[bytes]) -> float:
	"""The script a user would otherwise write: POST each body in turn on one keep-alive session."""
	session = requests.Session()
	session.headers["Authorization"] = "AfasToken " + base64.b64encode(DEMO_TOKEN.encode()).decode()
	session.headers["Content-Type"] = "application/json"
	url = f"{sim.base_url}/connectors/{CONNECTOR}"
	started = time.perf_counter()
	for body in bodies:
		session.post(url, data=body, timeout=30).raise_for_status()
	elapsed = time.perf_counter() - started
	session.close()
	return elapsed


def _reset_mapping(mapping: str, token: str) -> None:
	frappe.db.delete("AFAS Record Link", {"mapping": mapping})
	frappe.db.delete("AFAS Sync Log", {"mapping": mapping})
	frappe.db.delete("Customer", {"customer_name": ["like", f"Parallel {token}%"]})
	frappe.db.commit()


def run(
	latency_ms: int = 200, workers: tuple[int, ...] = (1, 2, 4, 8), per_worker: int = 100
) -> dict[str, Any]:
	from afas_connector.binding.outbox import AFAS_MAX_PARALLEL_CALLS

	frappe.set_user("Administrator")
	token = frappe.generate_hash(length=6)
	latency = latency_ms / 1000
	limit = min(max(workers), AFAS_MAX_PARALLEL_CALLS)
	lines: list[str] = []
	result: dict[str, Any] = {"latency_ms": latency_ms, "max_parallel_calls": limit, "runs": {}}

	def say(line: str) -> None:
		print(line, flush=True)
		lines.append(line)

	with AfasSimulator(port=0) as sim:
		settings = use_simulator(sim.base_url, max_parallel_calls=limit, max_attempts=3, base_delay=0)
		mapping = upsert_mapping({**OUTBOUND, "mapping_name": f"Benchmark Parallel {token}", "condition": ""})
		others = isolate_outbound(mapping.name)
		try:
			for count in workers:
				for label, delay in ((f"{latency_ms} ms", latency), ("~0 ms", 0.0)):
					if delay == 0.0 and count not in (1, max(workers)):
						continue
					sim.faults.clear()
					if delay:
						sim.faults.add(connector=CONNECTOR, kind="latency", delay=delay, times=None)
					sim.clear_requests()
					docs = per_worker * count if delay else max(200, per_worker * count)
					print(f"  {count} worker(s), {label}: {docs} documents…", file=sys.stderr, flush=True)
					seconds, failed = _app_push(
						mapping.name, f"{token}{count}{int(delay * 1000)}", docs, count
					)
					posts = [r for r in sim.requests if r.method == "POST" and r.connector == CONNECTOR]
					bodies = [r.raw_body for r in posts]
					peak = sim.concurrency["peak"]
					rate = docs / seconds
					run = {
						"docs": docs,
						"seconds": seconds,
						"docs_per_s": rate,
						"failed": failed,
						"peak": peak,
					}
					if delay:
						run["ideal"] = min(count, limit) / delay
						run["vs_ideal"] = rate / run["ideal"]
					loop = _bare_loop(sim, bodies)
					run["loop_docs_per_s"] = len(bodies) / loop
					run["vs_loop"] = rate / run["loop_docs_per_s"]
					result["runs"][f"{count}@{label}"] = run
					ideal = f", ideal {run['ideal']:.1f}/s -> {run['vs_ideal']:.2f}x" if delay else ""
					say(
						f"workers={count} latency={label}: {docs} docs in {seconds:.2f} s = {rate:.1f} docs/s{ideal}; "
						f"bare requests loop {run['loop_docs_per_s']:.1f} docs/s -> {run['vs_loop']:.2f}x; "
						f"peak parallel calls {peak} (max {limit}); {len(posts)} POSTs, {failed} not Success"
					)
					_reset_mapping(mapping.name, f"{token}{count}{int(delay * 1000)}")
		finally:
			sim.faults.clear()
			_reset_mapping(mapping.name, token)
			frappe.delete_doc("AFAS Connector Mapping", mapping.name, force=True, ignore_permissions=True)
			restore_outbound(others)
			settings.reload()
			settings.max_parallel_calls = 4
			settings.save(ignore_permissions=True)
			frappe.db.commit()

	runs = result["runs"]
	scaling = [runs[f"{w}@{latency_ms} ms"]["vs_ideal"] for w in workers if w <= limit]
	top = runs[f"{max(workers)}@{latency_ms} ms"]["vs_loop"]
	zero = runs.get("1@~0 ms", {}).get("vs_loop")
	result["min_vs_ideal"] = min(scaling)
	print(
		f"RESULT: push at {latency_ms} ms over {', '.join(map(str, workers))} workers: worst {min(scaling):.2f}x "
		f"of the ideal (target >= 0.8); {max(workers)} workers vs bare requests loop {top:.1f}x (target >= 5); "
		f"1 worker at ~0 ms vs the loop {zero:.2f}x (target >= 0.8)"
		if zero is not None
		else f"RESULT: worst {min(scaling):.2f}x of the ideal; vs loop {top:.1f}x"
	)
	return result
