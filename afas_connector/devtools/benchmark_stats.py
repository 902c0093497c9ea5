"""Ratios that hold on a shared machine: the compared runs interleaved, repeated until they agree.

One run of a benchmark on a busy machine says little: ``benchmark_client`` printed 0.955×, 0.970×,
1.05×, 1.18× and 1.37× in five one-second runs on a busy two-core machine, so a single run could say
OUT OF TARGET by noise alone. So each benchmark measures in *rounds*: one round runs every compared side
once, in turn (the side that goes first changes from round to round), and yields one ratio per figure.
Rounds repeat until every ratio is steady (its spread at most ``steady`` of its median, after
``min_rounds``) or the time budget is spent; the benchmark prints each ratio's median with its spread.

The spread is half the interquartile range (the middle half of the rounds lies within median ± spread,
about); the lowest and highest round are printed too. Pure Python: no frappe, so the client benchmark
runs on any machine.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Ratio:
	"""One figure's value in each round."""

	values: list[float] = field(default_factory=list)

	@property
	def median(self) -> float:
		return statistics.median(self.values)

	@property
	def spread(self) -> float:
		"""Half the interquartile range (0 for fewer than two rounds)."""
		if len(self.values) < 2:
			return 0.0
		low, _mid, high = statistics.quantiles(self.values, n=4, method="inclusive")
		return (high - low) / 2

	def steady(self, within: float) -> bool:
		return self.spread <= within * abs(self.median)

	def summary(self) -> dict[str, float | int]:
		"""Median, spread, lowest, highest and rounds, for a caller that keeps the figures."""
		return {
			"median": self.median,
			"spread": self.spread,
			"min": min(self.values),
			"max": max(self.values),
			"rounds": len(self.values),
		}

	def text(self, digits: int = 2, unit: str = "x") -> str:
		"""``0.93x ± 0.02 (0.90–0.95, 5 rounds)``."""
		f = f".{digits}f"
		return (
			f"{self.median:{f}}{unit} ± {self.spread:{f}} "
			f"({min(self.values):{f}}–{max(self.values):{f}}, {len(self.values)} rounds)"
		)


def rounds(
	measure: Callable[[int], dict[str, float]],
	*,
	budget_s: float,
	min_rounds: int = 3,
	max_rounds: int = 50,
	steady: float = 0.03,
	watch: tuple[str, ...] | None = None,
	echo: Callable[[str], None] | None = None,
) -> dict[str, Ratio]:
	"""Call ``measure(round_no)`` (0, 1, …; it runs every side once, in an order that depends on the
	round, and returns its ratios by name) until the ratios named in ``watch`` (all by default) are
	steady after ``min_rounds``, ``max_rounds`` are done, or the next round would end past
	``budget_s`` (judged by the longest round so far; ``min_rounds`` are run whatever the budget)."""
	echo = echo or (lambda line: print(line, file=sys.stderr, flush=True))
	ratios: dict[str, Ratio] = {}
	started = time.monotonic()
	longest = 0.0
	for round_no in range(max_rounds):
		began = time.monotonic()
		for name, value in measure(round_no).items():
			ratios.setdefault(name, Ratio()).values.append(value)
		longest = max(longest, time.monotonic() - began)
		done = round_no + 1
		watched = [ratios[name] for name in (watch or ratios) if name in ratios]
		calm = all(ratio.steady(steady) for ratio in watched)
		echo(
			f"  round {done}: "
			+ "; ".join(f"{name} {ratio.values[-1]:.3f}" for name, ratio in ratios.items())
			+ (" (steady)" if calm and done >= min_rounds else "")
		)
		if done >= min_rounds and calm:
			break
		spent = time.monotonic() - started
		if done >= min_rounds and spent + longest > budget_s:
			echo(f"  time budget spent ({spent:.0f} of {budget_s:.0f} s): the spread is what it is")
			break
	return ratios


def order(sides: tuple[str, ...] | list[str], round_no: int) -> list[str]:
	"""The sides of a round, rotated by one each round: none always goes first."""
	shift = round_no % len(sides)
	return [*sides[shift:], *sides[:shift]]
