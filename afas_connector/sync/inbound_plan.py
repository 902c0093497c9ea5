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

AFAS's dates are Amsterdam wall-clock time, which repeats an hour every autumn (03:00 summer time
→ 02:00 winter time). The watermark therefore keeps its UTC offset (``2026-10-25T02:52:00+02:00``)
and the filter starts at the earliest wall-clock time of any moment since it (:func:`since_filter`):
after the clock went back that is 02:00, not the watermark's 02:52, so an edit stamped 02:03 winter
time is read.

Rows that fail are kept (``retry_keys``) and read again by key after every complete run, until they
succeed or a user dismisses them: the watermark moving past them never loses them.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from afas_connector.afas.dates import AFAS_TZ, to_afas_datetime
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

	watermark: str | None = None  # Amsterdam time with its UTC offset: 2026-10-25T02:52:00+02:00
	run_started: str | None = None  # set while a run is in progress (same form)
	cursor: Any = None  # last committed AFAS key of the run in progress
	full: bool = False
	retry_keys: list[str] = field(default_factory=list)  # rows that failed: read again until they succeed
	#: The field map (its hash) the run in progress writes with: a run resumed after the field map
	#: changed would leave its first pages written with the old one (:func:`begin`).
	field_map: str | None = None

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
			retry_keys=[str(k) for k in data.get("retry_keys") or []],
			field_map=data.get("field_map"),
		)

	@property
	def in_progress(self) -> bool:
		return self.run_started is not None


def _amsterdam(text: str) -> dt.datetime:
	"""A stored watermark as an aware Amsterdam time; one without an offset (kept by earlier versions)
	is read as Amsterdam wall-clock time, the first of two where the clock repeats an hour."""
	moment = dt.datetime.fromisoformat(text.replace(" ", "T"))
	return moment.astimezone(AFAS_TZ) if moment.tzinfo else moment.replace(tzinfo=AFAS_TZ)


def stamp(now: dt.datetime | None = None) -> str:
	"""This moment (``now``, naive = UTC) as a watermark: Amsterdam time, whole seconds, with offset."""
	moment = now or dt.datetime.now(dt.timezone.utc)
	if moment.tzinfo is None:
		moment = moment.replace(tzinfo=dt.timezone.utc)
	return moment.astimezone(AFAS_TZ).replace(microsecond=0).isoformat()


def since_filter(watermark: str, overlap_seconds: int, until: str | None = None) -> str:
	"""The wall-clock value for ``modified >= …``: the earliest Amsterdam wall-clock time of any moment
	from ``watermark - overlap`` to ``until`` (the run's start). Normally that is the first moment's;
	when the clock went back in between (autumn), the hour after the change reads earlier, and the
	filter starts there, so nothing stamped in the repeated hour is missed."""
	start = _amsterdam(watermark).astimezone(dt.timezone.utc) - dt.timedelta(seconds=max(0, overlap_seconds))
	end = _amsterdam(until).astimezone(dt.timezone.utc) if until else start
	earliest = start.astimezone(AFAS_TZ).replace(tzinfo=None)
	# A repeated hour only reads earlier than the start when the change is within an hour or so of it.
	horizon = min(end, start + dt.timedelta(hours=2))
	if horizon > start and horizon.astimezone(AFAS_TZ).utcoffset() < start.astimezone(AFAS_TZ).utcoffset():
		low, high = start, horizon  # find the moment the clock went back (to the second)
		while high - low > dt.timedelta(seconds=1):
			middle = low + (high - low) / 2
			if middle.astimezone(AFAS_TZ).utcoffset() == start.astimezone(AFAS_TZ).utcoffset():
				low = middle
			else:
				high = middle
		earliest = min(earliest, high.astimezone(AFAS_TZ).replace(tzinfo=None))
	return to_afas_datetime(earliest)


def start_run(
	state: InboundState, *, full: bool = False, now: dt.datetime | None = None, field_map: str | None = None
) -> InboundState:
	"""Begin a run, or resume the one a crash left behind (same start time, same cursor)."""
	if state.in_progress:
		return state
	return InboundState(
		watermark=state.watermark,
		run_started=stamp(now),
		cursor=None,
		full=full,
		retry_keys=state.retry_keys,
		field_map=field_map,
	)


def begin(state: InboundState, *, full: bool, field_map: str | None) -> InboundState:
	"""The state a run starts from. A run in progress (a crash, ``max_pages``) is resumed at its cursor
	only if this run reads as it did: not a full run resuming an incremental one, and with the same
	field map: the pages before the cursor were written with the field map of that run, so a changed
	one starts over from the first row (else those rows would never get it). A state saved before the
	field map was kept resumes."""
	changed = state.field_map is not None and field_map is not None and state.field_map != field_map
	if state.in_progress and ((full and not state.full) or changed):
		return InboundState(watermark=state.watermark, retry_keys=state.retry_keys)
	return state


def resync_done(*, full: bool, complete: bool, run_map: str | None, current_map: str | None) -> bool:
	"""Whether a run settles the "field mapping changed" re-sync: it read every row (``full``) to the
	end (``complete``), written with the field map the mapping has *now*. A field map edited while the
	run went on (``current_map`` is not the ``run_map`` it started with) wants a re-sync of its own:
	the rows this run wrote have the old one."""
	return full and complete and (run_map or "") == (current_map or "")


def page_filter(spec: InboundSpec, state: InboundState) -> FilterSet:
	"""The filter for the next page: the mapping's own filters AND since-watermark AND after-cursor."""
	extra: list[Condition] = []
	if spec.modified_field and state.watermark and not state.full:
		since = since_filter(state.watermark, spec.overlap_seconds, state.run_started)
		extra.append(Condition.make(spec.modified_field, Operator.GREATER_OR_EQUAL, since))
	if state.cursor not in (None, ""):
		extra.append(Condition.make(spec.key_field, Operator.GREATER, state.cursor))
	return spec.filters.and_also(extra) if extra else spec.filters


def retry_filter(spec: InboundSpec, keys: list[str]) -> FilterSet:
	"""The mapping's own filters AND ``key = k1 OR key = k2 …``: the rows that failed before. The
	client splits the OR over several requests where one URL would be too long."""
	groups = [g for g in spec.filters.groups if g] or [[]]
	return FilterSet(
		[list(g) + [Condition.make(spec.key_field, Operator.EQUAL, key)] for key in keys for g in groups]
	)


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
	return InboundState(
		state.watermark,
		state.run_started,
		rows[-1].get(key_field),
		state.full,
		state.retry_keys,
		state.field_map,
	)


def finish_run(state: InboundState) -> InboundState:
	"""The run is complete: the watermark becomes the run's start; no cursor, no run in progress."""
	return InboundState(
		watermark=state.run_started or state.watermark,
		run_started=None,
		cursor=None,
		full=False,
		retry_keys=state.retry_keys,
		field_map=state.field_map,
	)


def settle_retries(state: InboundState, failed: set[str], succeeded: set[str]) -> InboundState:
	"""The rows still to read again: those that failed now, and those that failed before and have not
	succeeded since (order kept, each once)."""
	keys = [k for k in state.retry_keys if k not in succeeded]
	keys += sorted(k for k in failed if k not in keys)
	state.retry_keys = keys
	return state


#: What happens to an AFAS record whose ERPNext document a user deleted (the mapping's *When Deleted in
#: ERPNext*): its link stays as a tombstone and runs leave the record alone (the default: the user's
#: delete stands, nothing comes back by itself); the tombstone stays and the next run writes the
#: record again; or the link is dropped and the record is as one never seen: it comes back, as a new
#: document or adopted by Match Existing By, when a run reads it (AFAS changed it, or a full run).
KEEP_DELETED = "Keep Deleted"
BRING_BACK = "Bring Back"
UNLINK = "Unlink"
DELETED_IN_ERPNEXT_CHOICES = (KEEP_DELETED, BRING_BACK, UNLINK)


def deletion_choice(choices: list[str | None]) -> str:
	"""The choice that holds for one set of links, from the choices of the inbound mappings that read
	it (usually one): Keep Deleted when any says so or none is set (nothing comes back unasked), else
	Bring Back when any says so, else Unlink. No inbound mapping: Unlink (nothing would read a
	tombstone)."""
	if not choices:
		return UNLINK
	chosen = {c or KEEP_DELETED for c in choices}
	for choice in (KEEP_DELETED, BRING_BACK):
		if choice in chosen:
			return choice
	return UNLINK


def decide(existing_hash: str | None, exists: bool, new_hash: str) -> str:
	"""``insert`` a new record, ``update`` a changed one, or leave an ``unchanged`` one alone."""
	if not exists:
		return "insert"
	return "unchanged" if existing_hash == new_hash else "update"


@dataclass
class PageResult:
	"""One page for ``commit_page``. A page of the retry pass (``retry``) holds rows that failed
	before; ``gone`` are retried keys AFAS no longer returns (deleted, or now outside the filters)."""

	number: int
	rows: list[dict[str, Any]]
	duplicates: int
	retry: bool = False
	gone: frozenset[str] = frozenset()


#: Failed rows read again per request in the retry pass (keeps the URL well under AFAS's limit).
RETRY_BATCH = 50


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
	prefetch: bool = True,
	field_map: str | None = None,
) -> InboundState:
	"""Drive one inbound run: fetch a page, hand it to ``commit_page(page, state_after)``, repeat.

	``commit_page`` must write the rows *and* store ``state_after`` in one transaction, so the cursor
	never runs ahead of the data; with the last page it gets the finished state (new watermark).
	``client`` is an :class:`afas_connector.afas.AfasClient` (duck-typed to keep this module light).
	With ``prefetch`` the next page is fetched in a thread while ``commit_page`` runs (at most one page
	ahead, so memory stays bounded by two pages); ``commit_page`` always runs in the calling thread.
	``field_map`` (its hash) is kept in the state of the run it starts (see :func:`begin`).
	"""
	check_paging(spec, take)
	state = start_run(state, full=full, now=now, field_map=field_map)
	pending = set(state.retry_keys)  # failed before and not yet read again in this run
	number = 0
	passed: set[Any] = {state.cursor} - {None, ""}

	def fetch(after: InboundState) -> Any:
		return client.get_page(
			spec.connector, skip=0, take=take, filters=page_filter(spec, after), order_by=[spec.key_field]
		)

	# One page ahead: while a page is written into ERPNext the next is already on its way from AFAS,
	# so AFAS's latency hides behind the writing. The next page's filter needs only the keys of this
	# one, and the cursor is still stored only with a committed page: a crash resumes where it did.
	ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="afas-prefetch") if prefetch else None
	try:
		coming = ahead.submit(fetch, state) if ahead else None
		while True:
			number += 1
			page = coming.result() if coming else fetch(state)
			rows, duplicates = unique_rows(page.rows, spec.key_field)
			pending.difference_update(str(r.get(spec.key_field)) for r in rows)
			if not page.is_last:
				_check_advances(spec, page.rows, state.cursor, passed)
			state = after_page(state, page.rows, spec.key_field)
			last = page.is_last or (max_pages is not None and number >= max_pages)
			coming = ahead.submit(fetch, state) if ahead and not last else None
			finished = finish_run(state) if page.is_last else state
			commit_page(PageResult(number, rows, duplicates), finished)
			state = finished
			if last:
				break
	finally:
		if ahead:  # a failed write leaves at most one page in flight: not waited for, not used
			ahead.shutdown(wait=False, cancel_futures=True)
	if state.in_progress:
		return state  # stopped at max_pages: the retry pass follows the run that completes
	leftover = [key for key in state.retry_keys if key in pending]
	for start in range(0, len(leftover), RETRY_BATCH):
		chunk = leftover[start : start + RETRY_BATCH]
		page = client.get_page(
			spec.connector,
			skip=0,
			take=len(chunk),
			filters=retry_filter(spec, chunk),
			order_by=[spec.key_field],
		)
		rows, duplicates = unique_rows(page.rows, spec.key_field)
		gone = frozenset(chunk) - {str(r.get(spec.key_field)) for r in rows}
		number += 1
		commit_page(PageResult(number, rows, duplicates, retry=True, gone=gone), state)
	return state


def key_share(first: Any, cursor: Any, highest: Any) -> float | None:
	"""How far a run is through its rows (0 to 1), read off the AFAS key: the cursor's place between
	the first key read and the highest key AFAS had at the start. Pages go by key, so with keys that
	are numbers (AFAS's debtor, employee and entry numbers) this is the share done; None when the keys
	are not numbers or the range is empty (then no time left can be estimated)."""
	try:
		low, here, high = float(first), float(cursor), float(highest)
	except (TypeError, ValueError):
		return None
	if high <= low:
		return None
	return min(1.0, max(0.0, (here - low) / (high - low)))


def time_left(share: float | None, elapsed: float) -> float | None:
	"""Seconds still to go at the pace so far, from the share done (see :func:`key_share`) and the
	seconds spent; None until there is a share to go by."""
	if not share or share <= 0 or elapsed <= 0:
		return None
	return max(0.0, elapsed * (1 - share) / share)
