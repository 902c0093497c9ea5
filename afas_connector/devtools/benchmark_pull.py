"""Benchmark: inbound sync into ERPNext Customers vs a bare ``frappe.get_doc(...).insert()`` loop.

Run: ``bench --site test.localhost afas benchmark inbound --rows 10000``. Prints documents/s of the
sync vs the bare loop (target ≥ 0.8×), the second (unchanged, full re-read) run vs the first (target
≥ 10× faster), HTTP requests vs ceil(N / take), and peak Python memory of a run at N vs N/5 (flat in
N: pages are streamed, never loaded whole).

The two first runs go page by page in turn (the side that goes first changes every page), and each
pair of pages is one round of ``benchmark_stats``: the ratio is printed as the median of the pages'
ratios with its spread, so a busy moment of a shared machine weighs one page, not the figure. Once the
ratio is steady (after five pages) the bare loop stops and the sync finishes alone.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import frappe

from afas_connector.afas import AfasClient
from afas_connector.binding.connection import config_from_settings
from afas_connector.binding.pull import load_state, sync_mapping
from afas_connector.devtools.benchmark_stats import Ratio, order, rounds
from afas_connector.devtools.samples import (
	DEBTOR_TO_CUSTOMER,
	isolate_outbound,
	restore_outbound,
	upsert_mapping,
	use_simulator,
)
from afas_connector.simulator import AfasSimulator

#: A fixed page size, so memory at N/5 and at N is compared over equal pages.
PAGE = 1000
ROWS = DEBTOR_TO_CUSTOMER


def _progress(label: str) -> Callable[[dict[str, Any]], None]:
	def show(data: dict[str, Any]) -> None:
		print(
			f"\r  {label}: {data['done']:,} rows",
			end="\n" if data["finished"] else "",
			file=sys.stderr,
			flush=True,
		)

	return show


def _customers_named(token: str) -> list[str]:
	return frappe.get_all("Customer", filters={"customer_name": ["like", f"%{token}%"]}, pluck="name")


def _drop(names: list[str]) -> None:
	for start in range(0, len(names), 1000):
		frappe.db.delete("Customer", {"name": ["in", names[start : start + 1000]]})
	frappe.db.commit()


def _named(sim: AfasSimulator, rows: int, tag: str) -> None:
	sim.generate_rows("ERP_Debtors", n=rows, seed=7)
	for row in sim.rows("ERP_Debtors"):
		sim.update_row("ERP_Debtors", row["DebtorId"], {"Name": f"{row['Name']} {tag}"})


def run(rows: int = 10_000) -> dict[str, float]:

	frappe.set_user("Administrator")
	token = frappe.generate_hash(length=6)
	# The same debtors twice, named apart: one simulator for the connector, one for the bare loop.
	with AfasSimulator(port=0) as sim, AfasSimulator(port=0) as bare_sim:
		_named(sim, rows, token)
		_named(bare_sim, rows, token + "bare")
		use_simulator(sim.base_url)
		mapping = upsert_mapping(
			{
				"mapping_name": f"Benchmark Debtors {token}",
				"afas_connector": "ERP_Debtors",
				"erpnext_doctype": "Customer",
				"afas_key_field": "DebtorId",
				"modified_field": "Modified",
				"schedule": "Manual Only",
				"page_size": PAGE,
				"field_mappings": ROWS,
			}
		)
		frappe.db.commit()
		# Outbound mappings (the demo's Customer push) off: the bare loop is what a script without
		# the connector would cost, and queues nothing.
		paused = isolate_outbound()
		field_map = mapping.field_map()
		take = PAGE

		# 1. Page by page, in turn: the bare loop a script would be (fetch a page, map, insert,
		# commit) and the connector's first run (one page per call, resuming at its cursor). Both
		# grow the same tables at the same time, and each goes first every other page.
		bare_client = AfasClient(dataclasses.replace(config_from_settings(), base_url=bare_sim.base_url))
		bare_pages = bare_client.iter_pages("ERP_Debtors", order_by="DebtorId", take=take)
		first = 0.0
		counts = {"inserted": 0, "failed": 0, "done": 0, "bare_rows": 0}
		sim.clear_requests()
		state = {"bare_done": False, "sync_done": False}

		def bare_page() -> tuple[float, int]:
			started = time.perf_counter()
			page = next(bare_pages, None)
			state["bare_done"] = page is None
			for row in page.rows if page else []:
				values, _errors = field_map.to_erpnext(row)
				frappe.get_doc({"doctype": "Customer", **values}).insert(ignore_permissions=True)
			frappe.db.commit()
			return time.perf_counter() - started, len(page.rows) if page else 0

		def sync_page() -> tuple[float, int]:
			started = time.perf_counter()
			log = sync_mapping(mapping.name, trigger="Manual", max_pages=1)
			elapsed = time.perf_counter() - started
			counts["inserted"] += log.inserted or 0
			counts["failed"] += log.failed or 0
			counts["done"] += log.rows_read or 0
			state["sync_done"] = not load_state(
				frappe.get_doc("AFAS Connector Mapping", mapping.name)
			).in_progress
			return elapsed, log.rows_read or 0

		def measure(round_no: int) -> dict[str, float]:
			"""One page of each side, in turn: the sync's throughput over the bare loop's."""
			seconds = {"bare": 0.0, "sync": 0.0}
			rows_of = {"bare": 0, "sync": 0}
			for side in order(("bare", "sync"), round_no):
				if not state[f"{side}_done"]:
					seconds[side], rows_of[side] = bare_page() if side == "bare" else sync_page()
			counts["bare_rows"] += rows_of["bare"]
			print(
				f"\r  bare loop and first sync, page by page: {counts['done']:,} rows",
				end="",
				file=sys.stderr,
			)
			if not rows_of["bare"] or not rows_of["sync"]:  # the last, empty pages: nothing to compare
				return {"bare s": seconds["bare"], "sync s": seconds["sync"]}
			throughput = (rows_of["sync"] / seconds["sync"]) / (rows_of["bare"] / seconds["bare"])
			return {"sync/bare": throughput, "bare s": seconds["bare"], "sync s": seconds["sync"]}

		pages = math.ceil(rows / take) + 1
		ratios = rounds(
			measure,
			budget_s=math.inf,
			min_rounds=5,
			max_rounds=pages,
			watch=("sync/bare",),
			echo=lambda _l: None,
		)
		print(file=sys.stderr)
		first = sum(ratios["sync s"].values)
		bare = sum(ratios["bare s"].values)
		compared = len(ratios["sync/bare"].values)
		while not state["sync_done"]:  # steady: the sync finishes alone
			first += sync_page()[0]
		bare_client.close()
		inserted, failed = counts["inserted"], counts["failed"]
		requests_used = len([r for r in sim.requests if r.connector == "ERP_Debtors"])
		_drop(_customers_named(token + "bare"))

		started = time.perf_counter()
		second_log = sync_mapping(
			mapping.name, trigger="Manual", full=True, progress=_progress("sync, unchanged run")
		)
		second = time.perf_counter() - started
		second_log.reload()

		# 3. Memory of the streaming path (fetch, map, hash, compare), traced apart from the timings:
		# a full re-read stopped after N/5 rows vs one over all N rows.
		small = max(1, rows // 5)
		peaks = []
		for pages in (math.ceil(small / take), None):
			tracemalloc.start()
			sync_mapping(mapping.name, trigger="Manual", full=True, max_pages=pages)
			peaks.append(tracemalloc.get_traced_memory()[1])
			tracemalloc.stop()
			frappe.db.set_value("AFAS Connector Mapping", mapping.name, "sync_state", None)
			frappe.db.commit()
		peak_small, peak_full = peaks
		_drop(_customers_named(token))
		frappe.db.delete("AFAS Record Link", {"mapping": mapping.name})
		frappe.db.delete("AFAS Sync Log", {"mapping": mapping.name})
		frappe.delete_doc("AFAS Connector Mapping", mapping.name, force=True, ignore_permissions=True)
		frappe.db.commit()
		restore_outbound(paused)

	minimum = math.ceil(rows / take) + (1 if rows % take == 0 else 0)
	throughput: Ratio = ratios["sync/bare"]
	result = {
		"bare_docs_per_s": counts["bare_rows"] / bare,
		"sync_docs_per_s": rows / first,
		"throughput_ratio": throughput.median,
		"throughput_spread": throughput.spread,
		"unchanged_speedup": first / second,
		"requests": requests_used,
		"min_requests": minimum,
		"memory_ratio": peak_full / max(1, peak_small),
	}
	print(f"rows: {rows:,}  take: {take}  first run: {inserted:,} inserted, {failed} failed")
	print(
		f"bare get_doc().insert() loop: {result['bare_docs_per_s']:>8,.0f} docs/s  "
		f"({counts['bare_rows']:,} rows, {bare:.1f} s)"
	)
	print(f"connector sync, first run   : {result['sync_docs_per_s']:>8,.0f} docs/s  ({first:.1f} s)")
	print(
		f"sync vs bare loop           : {throughput.text()} of the bare loop's throughput, page by page "
		f"({compared} pages compared; target: median >= 0.8)"
	)
	print(
		f"unchanged second run        : {second:.2f} s, {result['unchanged_speedup']:.1f}x faster than the first ({second_log.unchanged:,} unchanged; target >= 10)"
	)
	print(f"HTTP requests               : {requests_used} vs minimum ceil(N/take) {minimum}")
	print(
		f"peak Python memory          : {peak_full / 1e6:.1f} MB at N={rows:,} vs {peak_small / 1e6:.1f} MB at N={small:,}, unchanged re-read (ratio {result['memory_ratio']:.2f}; flat = about 1)"
	)
	return result


def run_page_latency(
	rows: int = 10_000,
	page_latency_ms: int = 1000,
	page: int = PAGE,
	*,
	budget_s: float = 1200,
	min_rounds: int = 3,
) -> dict[str, float]:
	"""Inbound throughput when AFAS answers every page ``page_latency_ms`` late vs at once (target
	≥ 0.9×): the next page is fetched while one is written, so the latency hides behind the writing.
	First runs of ``rows`` debtors each (named apart), one simulator each, ``page`` rows a page: without
	latency, with it, and with it but without fetching ahead (what the prefetch gains). A round runs
	the three, in an order that turns each round (a later run writes into a larger Customer table);
	rounds repeat until the ratio is steady or ``budget_s`` is spent, and the medians are printed with
	their spread (``benchmark_stats``)."""

	frappe.set_user("Administrator")
	token = frappe.generate_hash(length=6)
	slow = page_latency_ms / 1000
	sides = {
		"no latency": (0.0, True),
		f"{page_latency_ms} ms a page": (slow, True),
		f"{page_latency_ms} ms, no prefetch": (slow, False),
	}
	plain_label, ahead_label, serial_label = sides

	def first_run(label: str, tag: str) -> float:
		delay, prefetch = sides[label]
		with AfasSimulator(port=0) as sim:
			_named(sim, rows, tag)
			if delay:
				sim.faults.add(connector="ERP_Debtors", kind="latency", delay=delay, times=None)
			use_simulator(sim.base_url)
			mapping = upsert_mapping(
				{
					"mapping_name": f"Benchmark Latency {tag}",
					"afas_connector": "ERP_Debtors",
					"erpnext_doctype": "Customer",
					"afas_key_field": "DebtorId",
					"modified_field": "Modified",
					"schedule": "Manual Only",
					"page_size": page,
					"field_mappings": ROWS,
				}
			)
			frappe.db.commit()
			try:
				started = time.perf_counter()
				log = sync_mapping(
					mapping.name, trigger="Manual", progress=_progress(label), prefetch=prefetch
				)
				seconds = time.perf_counter() - started
				log.reload()
				print(
					f"{label:>16}: {rows:,} rows in {seconds:.1f} s = {rows / seconds:,.0f} rows/s "
					f"({log.inserted:,} inserted, {log.failed} failed, {log.status})",
					file=sys.stderr,
					flush=True,
				)
			finally:
				_drop(_customers_named(tag))
				frappe.db.delete("AFAS Record Link", {"mapping": mapping.name})
				frappe.db.delete("AFAS Sync Log", {"mapping": mapping.name})
				frappe.delete_doc("AFAS Connector Mapping", mapping.name, force=True, ignore_permissions=True)
				frappe.db.commit()
		return seconds

	def measure(round_no: int) -> dict[str, float]:
		seconds = {
			label: first_run(label, f"{token}{round_no}{index}")
			for index, label in enumerate(order(list(sides), round_no))
		}
		return {
			"with latency / none": seconds[plain_label] / seconds[ahead_label],
			"no prefetch / none": seconds[plain_label] / seconds[serial_label],
			**{f"{label}: rows/s": rows / seconds[label] for label in sides},
		}

	paused = isolate_outbound()
	try:
		ratios = rounds(measure, budget_s=budget_s, min_rounds=min_rounds, watch=("with latency / none",))
	finally:
		restore_outbound(paused)
	for label in sides:
		print(f"{label:>16}: {ratios[f'{label}: rows/s'].text(0, ' rows/s')}")
	ratio, serial = ratios["with latency / none"], ratios["no prefetch / none"]
	print(
		f"RESULT: inbound with {page_latency_ms} ms page latency vs none: {ratio.text()} the throughput "
		f"(target: median >= 0.9; {math.ceil(rows / page)} pages of {page}); without fetching ahead "
		f"{serial.text()}"
	)
	return {"ratio": ratio.median, "spread": ratio.spread, "without_prefetch": serial.median}
