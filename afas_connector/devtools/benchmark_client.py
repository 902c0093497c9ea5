"""Benchmark: iterate N simulator rows through ``AfasClient.iter_rows`` vs a bare ``requests`` loop.

Run: ``python -m afas_connector.devtools.benchmark_client --rows 100000``. Both sides fetch the same pages
from the same simulator, page by page in turn (the side that goes first changes every page), so
both see the machine equally busy; each round over all rows gives one ratio client / bare; rounds repeat until that ratio is steady or ``--budget`` seconds are spent
(``benchmark_stats``), and the median ratio is printed with its spread. So the ratio is what counts,
not the absolute rows/s of a shared machine. Target: median client time ≤ 1.15 × bare loop, and HTTP
requests equal to the minimum ceil(N / take).
"""

from __future__ import annotations

import argparse
import base64
import itertools
import math
import sys
import time
from collections.abc import Iterator

import requests

from afas_connector.afas import AfasClient, AfasConfig, take_for_columns
from afas_connector.devtools.benchmark_stats import order, rounds
from afas_connector.simulator import DEMO_TOKEN, AfasSimulator

CONNECTOR = "ERP_Debtors"


def bare_loop(base_url: str, take: int, counts: dict[str, int]) -> Iterator[int]:
	"""The least a hand-written script must do: sorted skip/take pages until a short page. Yields the
	rows of each page (so the benchmark can time it page by page); ``counts["bare"]``: requests."""
	session = requests.Session()
	headers = {
		"Authorization": "AfasToken " + base64.b64encode(DEMO_TOKEN.encode()).decode(),
		"Accept": "application/json",
	}
	url = f"{base_url}/connectors/{CONNECTOR}"
	skip = 0
	counts["bare"] = 0
	try:
		while True:
			response = session.get(
				url, params={"skip": skip, "take": take, "orderbyfieldids": "DebtorId"}, headers=headers
			)
			response.raise_for_status()
			counts["bare"] += 1
			page = response.json()["rows"]
			yield len(page)
			if len(page) < take:
				break
			skip += take
	finally:
		session.close()


def client_loop(base_url: str, take: int, counts: dict[str, int]) -> Iterator[int]:
	"""``AfasClient.iter_rows`` over every row, yielding how many it gave for each ``take`` asked."""
	with AfasClient(AfasConfig(base_url=base_url, token=DEMO_TOKEN)) as client:
		rows = client.iter_rows(CONNECTOR, order_by="DebtorId", take=take)
		while True:
			got = sum(1 for _ in itertools.islice(rows, take))
			counts["client"] = client.request_count
			yield got
			if got < take:
				break


def one_round(base_url: str, take: int, round_no: int, counts: dict[str, int]) -> dict[str, float]:
	"""Both sides over every row, a page of one, then a page of the other (the first changes every
	page and every round), so both see the machine as busy as it is at that moment."""
	sides = {"bare": bare_loop(base_url, take, counts), "client": client_loop(base_url, take, counts)}
	seconds = dict.fromkeys(sides, 0.0)
	rows = dict.fromkeys(sides, 0)
	live = set(sides)
	step = round_no
	while live:
		for name in order(("bare", "client"), step):
			if name not in live:
				continue
			started = time.perf_counter()
			got = next(sides[name], None)
			seconds[name] += time.perf_counter() - started
			if got is None:
				live.discard(name)
			else:
				rows[name] += got
		step += 1
	counts["rows_bare"], counts["rows_client"] = rows["bare"], rows["client"]
	return {
		"client/bare": seconds["client"] / seconds["bare"],
		"bare rows/s": rows["bare"] / seconds["bare"],
		"client rows/s": rows["client"] / seconds["client"],
	}


def main(argv: list[str] | None = None) -> int:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--rows", type=int, default=100_000)
	parser.add_argument("--min-rounds", type=int, default=5)
	parser.add_argument("--budget", type=float, default=60, help="seconds to spend at most (about)")
	args = parser.parse_args(argv)

	with AfasSimulator(port=0) as sim:
		print(f"generating {args.rows:,} rows in the simulator…", file=sys.stderr, flush=True)
		sim.generate_rows(CONNECTOR, n=args.rows, seed=1)
		with AfasClient(AfasConfig(base_url=sim.base_url, token=DEMO_TOKEN)) as probe:
			columns = probe.column_count(CONNECTOR)
		take = take_for_columns(columns)
		minimum = math.ceil(args.rows / take) + (1 if args.rows % take == 0 else 0)
		counts: dict[str, int] = {}
		for _rows in bare_loop(sim.base_url, take, counts):  # warm up: the simulator sorts its view once
			pass
		wrong: list[str] = []

		def measure(round_no: int) -> dict[str, float]:
			ratios = one_round(sim.base_url, take, round_no, counts)
			for name in ("bare", "client"):
				if counts[f"rows_{name}"] != args.rows:
					wrong.append(f"{name}: got {counts[f'rows_{name}']} rows, expected {args.rows}")
			return ratios

		ratios = rounds(measure, budget_s=args.budget, min_rounds=args.min_rounds, watch=("client/bare",))
		if wrong:
			print("\n".join(wrong), file=sys.stderr)
			return 1

	ratio = ratios["client/bare"]
	print(f"rows: {args.rows:,}  columns: {columns}  take: {take} (150,000 / columns)")
	print(f"bare requests loop  : {ratios['bare rows/s'].text(0, ' rows/s')}  ({counts['bare']} requests)")
	print(
		f"AfasClient.iter_rows: {ratios['client rows/s'].text(0, ' rows/s')}  ({counts['client']} requests)"
	)
	print(f"time ratio client / bare: {ratio.text(3)}  (target: median <= 1.15)")
	print(f"HTTP requests: client {counts['client']} vs minimum ceil(N/take) {minimum}")
	ok = ratio.median <= 1.15 and counts["client"] == minimum
	print("RESULT:", "within target" if ok else "OUT OF TARGET")
	return 0 if ok else 2


if __name__ == "__main__":
	sys.exit(main())
