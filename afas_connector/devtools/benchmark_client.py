"""Benchmark: iterate N simulator rows through ``AfasClient.iter_rows`` vs a bare ``requests`` loop.

Run: ``python -m afas_connector.devtools.benchmark_client --rows 100000``. Both sides fetch the same pages
from the same simulator in one run (interleaved, best of ``--repeat``), so the ratio is what counts,
not the absolute rows/s of a shared machine. Target: client time ≤ 1.15 × bare loop, and HTTP
requests equal to the minimum ceil(N / take).
"""

from __future__ import annotations

import argparse
import base64
import math
import sys
import time

import requests

from afas_connector.afas import AfasClient, AfasConfig, take_for_columns
from afas_connector.simulator import DEMO_TOKEN, AfasSimulator

CONNECTOR = "ERP_Debtors"


def bare_loop(base_url: str, take: int) -> tuple[int, int]:
	"""The least a hand-written script must do: sorted skip/take pages until a short page."""
	session = requests.Session()
	headers = {
		"Authorization": "AfasToken " + base64.b64encode(DEMO_TOKEN.encode()).decode(),
		"Accept": "application/json",
	}
	url = f"{base_url}/connectors/{CONNECTOR}"
	skip = rows = calls = 0
	while True:
		response = session.get(
			url, params={"skip": skip, "take": take, "orderbyfieldids": "DebtorId"}, headers=headers
		)
		response.raise_for_status()
		calls += 1
		page = response.json()["rows"]
		rows += len(page)
		if len(page) < take:
			break
		skip += take
	session.close()
	return rows, calls


def client_loop(base_url: str, take: int) -> tuple[int, int]:
	with AfasClient(AfasConfig(base_url=base_url, token=DEMO_TOKEN)) as client:
		rows = sum(1 for _ in client.iter_rows(CONNECTOR, order_by="DebtorId", take=take))
		return rows, client.request_count


def main(argv: list[str] | None = None) -> int:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--rows", type=int, default=100_000)
	parser.add_argument("--repeat", type=int, default=3)
	args = parser.parse_args(argv)

	with AfasSimulator(port=0) as sim:
		print(f"generating {args.rows:,} rows in the simulator…", file=sys.stderr, flush=True)
		sim.generate_rows(CONNECTOR, n=args.rows, seed=1)
		with AfasClient(AfasConfig(base_url=sim.base_url, token=DEMO_TOKEN)) as probe:
			columns = probe.column_count(CONNECTOR)
		take = take_for_columns(columns)
		minimum = math.ceil(args.rows / take) + (1 if args.rows % take == 0 else 0)
		bare_loop(sim.base_url, take)  # warm up: the simulator builds its sorted view once
		best = {"bare": math.inf, "client": math.inf}
		calls = {}
		for round_no in range(1, args.repeat + 1):
			for name, fn in (("bare", bare_loop), ("client", client_loop)):
				started = time.perf_counter()
				rows, made = fn(sim.base_url, take)
				elapsed = time.perf_counter() - started
				if rows != args.rows:
					print(f"{name}: got {rows} rows, expected {args.rows}", file=sys.stderr)
					return 1
				best[name] = min(best[name], elapsed)
				calls[name] = made
			print(f"\rround {round_no}/{args.repeat} done", end="", file=sys.stderr, flush=True)
		print(file=sys.stderr)

	ratio = best["client"] / best["bare"]
	print(f"rows: {args.rows:,}  columns: {columns}  take: {take} (150,000 / columns)")
	print(
		f"bare requests loop : {args.rows / best['bare']:>10,.0f} rows/s  ({best['bare']:.3f} s, {calls['bare']} requests)"
	)
	print(
		f"AfasClient.iter_rows: {args.rows / best['client']:>10,.0f} rows/s  ({best['client']:.3f} s, {calls['client']} requests)"
	)
	print(f"time ratio client / bare: {ratio:.3f}  (target <= 1.15)")
	print(f"HTTP requests: client {calls['client']} vs minimum ceil(N/take) {minimum}")
	ok = ratio <= 1.15 and calls["client"] == minimum
	print("RESULT:", "within target" if ok else "OUT OF TARGET")
	return 0 if ok else 2


if __name__ == "__main__":
	sys.exit(main())
