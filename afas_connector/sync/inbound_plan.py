"""Inbound planning: which GetConnector rows to ask for, page by page, and where to resume.

Paging is *keyset* paging on the mapping's AFAS key: every page asks ``key > last committed key``
with ``skip=0``, sorted by the key. Unlike skip/take over a changing data set, rows inserted or
deleted in AFAS during a run cannot shift a row past us (PracticalAfas warns of exactly that loss).

The incremental filter is ``modified >= watermark - overlap``. The watermark becomes the *start* of
the run only when the run finishes, because rows are sorted by key, not by date: a row changed in AFAS
mid-run may sit behind the cursor, and only a watermark from before the run is sure to catch it next
time. Between pages only the cursor moves, and only after the page is committed, so a crash resumes
at the next page, losing nothing. The overlap absorbs AFAS's sub-second date imprecision and clock
skew; rows read twice are skipped cheaply by their content hash.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from afas_connector.afas.dates import amsterdam_now, to_afas_datetime
from afas_connector.afas.errors import AfasPagingError
from afas_connector.afas.filters import Condition, FilterSet, Operator


@dataclass
class InboundSpec:
	"""What the planner needs from a mapping."""

	connector: str
	key_field: str
	modified_field: str | None = None
	filters: FilterSet = field(default_factory=FilterSet)
	overlap_seconds: int = 60


@dataclass
class InboundState:
	"""Progress kept on the mapping between pages and between runs (JSON-serialisable)."""

	watermark: str | None = None  # Amsterdam wall-clock time, as AFAS filters want it
	run_started: str | None = None  # set while a run is in progress
	cursor: Any = None  # last committed AFAS key of the run in progress
	full: bool = False

	def to_dict(self) -> dict[str, Any]:
		return asdict(self)

	@classmethod
	def from_dict(cls, data: dict[str, Any] | None) -> InboundState:
		data = data or {}
		return cls(
			watermark=data.get("watermark"),
			run_started=data.get("run_started"),
			cursor=data.get("cursor"),
			full=bool(data.get("full")),
		)

	@property
	def in_progress(self) -> bool:
		return self.run_started is not None


def start_run(state: InboundState, *, full: bool = False, now: dt.datetime | None = None) -> InboundState:
	"""Begin a run, or resume the one a crash left behind (same start time, same cursor)."""
	if state.in_progress:
		return state
	return InboundState(
		watermark=state.watermark, run_started=to_afas_datetime(amsterdam_now(now)), cursor=None, full=full
	)


def page_filter(spec: InboundSpec, state: InboundState) -> FilterSet:
	"""The filter for the next page: the mapping's own filters AND since-watermark AND after-cursor."""
	extra: list[Condition] = []
	if spec.modified_field and state.watermark and not state.full:
		since = dt.datetime.fromisoformat(state.watermark) - dt.timedelta(
			seconds=max(0, spec.overlap_seconds)
		)
		extra.append(Condition.make(spec.modified_field, Operator.GREATER_OR_EQUAL, since.isoformat()))
	if state.cursor not in (None, ""):
		extra.append(Condition.make(spec.key_field, Operator.GREATER, state.cursor))
	return spec.filters.and_also(extra) if extra else spec.filters


def unique_rows(rows: list[dict[str, Any]], key_field: str) -> tuple[list[dict[str, Any]], int]:
	"""Rows with a key, each key once (the last copy wins); also how many were dropped."""
	by_key: dict[Any, dict[str, Any]] = {}
	for row in rows:
		key = row.get(key_field)
		if key in (None, ""):
			continue
		by_key[key] = row
	return list(by_key.values()), len(rows) - len(by_key)


def after_page(state: InboundState, rows: list[dict[str, Any]], key_field: str) -> InboundState:
	"""State once a page is committed: the cursor moves to its last key."""
	if not rows:
		return state
	return InboundState(state.watermark, state.run_started, rows[-1].get(key_field), state.full)


def finish_run(state: InboundState) -> InboundState:
	"""The run is complete: the watermark becomes the run's start; no cursor, no run in progress."""
	return InboundState(
		watermark=state.run_started or state.watermark, run_started=None, cursor=None, full=False
	)


def decide(existing_hash: str | None, exists: bool, new_hash: str) -> str:
	"""``insert`` a new record, ``update`` a changed one, or leave an ``unchanged`` one alone."""
	if not exists:
		return "insert"
	return "unchanged" if existing_hash == new_hash else "update"


@dataclass
class PageResult:
	"""What one page did, for progress and the Sync Log."""

	number: int
	rows: list[dict[str, Any]]
	duplicates: int


def check_paging(spec: InboundSpec, take: Any) -> None:
	"""The run's paging parameters, checked before anything is sent: a key to order and page by, and a
	page size of at least 1 (a loop with ``take`` 0 never moves on)."""
	key = spec.key_field
	if not isinstance(key, str) or not key.strip() or key.strip()[0] in "-+,":
		raise ValueError(f"{spec.connector}: keyset paging needs one ascending AFAS key field; got {key!r}")
	if isinstance(take, bool) or not isinstance(take, int) or take < 1:
		raise ValueError(
			f"{spec.connector}: take (the page size) must be a whole number of at least 1; got {take!r}"
		)


def _check_advances(spec: InboundSpec, rows: list[dict[str, Any]], cursor: Any, passed: set[Any]) -> None:
	"""A full page must move the cursor past every key before it, or the next page asks the same
	again (AFAS ignoring the key filter, a key that is empty or not unique): stop, never loop."""
	last = rows[-1].get(spec.key_field) if rows else None
	if last in (None, "") or last in passed:
		raise AfasPagingError(
			f"GetConnector {spec.connector} answered a full page whose last {spec.key_field} ({last!r}) "
			f"does not move past the previous page's ({cursor!r}); stopping instead of paging forever",
			path=f"/connectors/{spec.connector}",
		)
	passed.add(last)


def run_inbound(
	client: Any,
	spec: InboundSpec,
	state: InboundState,
	*,
	take: int,
	commit_page: Any,
	full: bool = False,
	now: dt.datetime | None = None,
	max_pages: int | None = None,
) -> InboundState:
	"""Drive one inbound run: fetch a page, hand it to ``commit_page(page, state_after)``, repeat.

	``commit_page`` must write the rows *and* store ``state_after`` in one transaction, so the cursor
	never runs ahead of the data; with the last page it gets the finished state (new watermark).
	``client`` is an :class:`afas_connector.afas.AfasClient` (duck-typed to keep this module light).
	"""
	check_paging(spec, take)
	state = start_run(state, full=full, now=now)
	number = 0
	passed: set[Any] = {state.cursor} - {None, ""}
	while True:
		number += 1
		page = client.get_page(
			spec.connector, skip=0, take=take, filters=page_filter(spec, state), order_by=[spec.key_field]
		)
		rows, duplicates = unique_rows(page.rows, spec.key_field)
		if not page.is_last:
			_check_advances(spec, page.rows, state.cursor, passed)
		state = after_page(state, page.rows, spec.key_field)
		last = page.is_last or (max_pages is not None and number >= max_pages)
		finished = finish_run(state) if page.is_last else state
		commit_page(PageResult(number, rows, duplicates), finished)
		state = finished
		if last:
			return state
