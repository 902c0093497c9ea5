"""The outbox: ERPNext changes queued for AFAS, and the jobs that send them.

``queue_change`` runs inside the document's own transaction and writes an *AFAS Sync Log* row in
status Queued: if the save rolls back, nothing was queued; if it commits, the change is on disk
even when Redis or every worker is down. After commit one kick starts a drain job, which sends each
document's changes oldest first (``binding/push.py``); the sweeper re-queues whatever a lost job
left behind. A newer change supersedes an older one of the same document that has not been sent.

Drains run in parallel, on as many RQ workers as there are (one machine or many, sharing Redis and
MariaDB), up to AFAS Settings' *Max Parallel Calls*: a drain that finds more than one document due
starts helpers, each holding one of that many *push slots* in Redis. A document is pushed by one drain
at a time (a Redis claim per document), and inside it the outbox rows keep their order (the row lock
and Running mark of ``push.py``), so changes of one document are never sent out of order or twice.

What keeps every free slot busy while documents are due: a drain starts its helpers as soon as it has
read the due documents, before its own first push, for every free slot up to one per document beyond
its own; only documents that can go now count as due (none waiting behind a Running, Outcome Unknown
or not yet due row), so a blocked queue starts no helpers. A helper on its way is known by its RQ job,
not by a note of our own: a helper whose job is gone (purged, deleted, lost with its worker) no longer
holds back the next fan-out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import secrets
import threading
import time
from typing import Any

import frappe
from frappe import _
from frappe.utils import add_to_date, now_datetime

from afas_connector.binding import facts
from afas_connector.binding.connection import environment, get_client, is_enabled
from afas_connector.binding.constants import LOG, MAPPING, SETTINGS
from afas_connector.binding.pull import close_stale_runs
from afas_connector.binding.push import PushSession, outcome_unknown_message, plan_for, push_pending
from afas_connector.binding.record_links import link_document, scope_of
from afas_connector.binding.sync_log import (
	OUTCOME_UNKNOWN,
	error_fields,
	finish_log,
	insert_outbox_row,
	log_error,
	set_log,
)
from afas_connector.sync.outbound_plan import LEDGER, wants_change

#: Redis flag: "a drain job is queued". Cleared by the job when it starts, so later changes kick again.
PUSHER_FLAG = "afas_outbound_pusher"
PUSHER_FLAG_SECONDS = 300
#: Redis flag: "a drain found no free push slot" — a drain holding one looks again before it ends.
MORE_FLAG = "afas_push_more"
#: Redis set: RQ job ids of helper drains enqueued and not yet at their slot (see :func:`start_helpers`).
HELPERS_WAITING = "afas_push_helpers"
#: The job id a helper drain is enqueued under (the site's name goes in front, as frappe's ids do).
HELPER_JOB = "afas_push_helper::"
#: A drain job stops after this long and hands over to a fresh one (the default queue allows 300 s).
DRAIN_SECONDS = 200
#: A push marked Running this long ago belongs to a worker that died.
STALE_RUNNING_MINUTES = 30
#: Documents a drain or sweep reads per query; the drain asks again until nothing is due.
DUE_BATCH = 500
#: A push slot, and the claim of the document its drain pushes, live this long unless the drain's
#: heartbeat renews them: a drain whose worker was killed frees both by itself.
SLOT_SECONDS = 60
#: A drain looks for free push slots again after this long within a round (a helper lost on its way
#: is replaced within about this time, not after the round's last document).
FAN_OUT_CHECK_SECONDS = 1
#: AFAS: "A maximum of 8 parallel calls are allowed" (troubleshooting.md §10).
AFAS_MAX_PARALLEL_CALLS = 8


# ------------------------------------------------------------------ queueing (inside the save)


def queue_change(doc: Any, event: str, mapping_name: str, *, trigger: str = "Document Event") -> Any | None:
	"""Write the outbox row for one change, or nothing when the mapping does not cover it.

	Only *that* the document changed is recorded here: the push job builds the UpdateConnector body
	from the document as it is then. So the save stays cheap, a burst of changes sends the latest
	state once, and a link to another pushed document (a Sales Order's customer) resolves after that
	document has reached AFAS.
	"""
	mapping = frappe.get_cached_doc(MAPPING, mapping_name)
	if not wants_change(event, mapping, manual=trigger != "Document Event"):
		return None
	if mapping.condition and not frappe.safe_eval(mapping.condition, None, {"doc": doc}):
		return None
	fields = {"event": event, "http_method": None}
	pending = None
	if event != "after_insert":  # a new document has nothing queued yet: skip the lookup
		# A locking read: if a push job has just taken the row (Running), this sees it and queues a
		# row of its own, instead of folding the change into a push that already read the document.
		pending = frappe.db.get_value(
			LOG,
			{
				"reference_doctype": doc.doctype,
				"reference_name": doc.name,
				"mapping": mapping_name,
				"direction": "Outbound",
				"status": "Queued",
			},
			"name",
			order_by="creation desc",
			for_update=True,
		)
	if pending:  # not sent yet: the newer change supersedes it
		frappe.db.set_value(LOG, pending, {**fields, "trigger": trigger})
		log = frappe._dict(name=pending)
	else:
		log = insert_outbox_row(
			mapping=mapping_name,
			direction="Outbound",
			trigger=trigger,
			status="Queued",
			reference_doctype=doc.doctype,
			reference_name=doc.name,
			**fields,
		)
	schedule_kick()
	return log


#: The savepoint of one mapping's queueing inside a user's save.
QUEUE_SAVEPOINT = "afas_queue"


def queue_change_safely(
	doc: Any, event: str, mapping_name: str, *, trigger: str = "Document Event"
) -> Any | None:
	""":func:`queue_change` inside a user's save (``doc_events``, attachments): the connector never
	fails ERPNext's own work. Whatever goes wrong (a condition that raises, a mapping that cannot be
	read) is undone alone and kept as a *Failed* outbox row of the change that says why; Retry queues it
	once the cause is fixed, and the monitoring's alert follows from the failed row. Returns the row."""
	frappe.db.savepoint(QUEUE_SAVEPOINT)
	try:
		return queue_change(doc, event, mapping_name, trigger=trigger)
	except Exception as exc:
		frappe.db.rollback(save_point=QUEUE_SAVEPOINT)
		return _not_queued(doc, event, mapping_name, trigger, exc)


def _not_queued(doc: Any, event: str, mapping_name: str, trigger: str, exc: Exception) -> Any | None:
	"""Keep a change that could not be queued as a Failed row, with the reason in the user's terms."""

	fields = error_fields(exc)
	if _condition_fails(mapping_name, doc):
		reason = _(
			"Not queued: the Condition of mapping {0} failed for this document ({1}). Fix the condition, "
			"then Retry this log"
		).format(mapping_name, fields["error"])
	else:
		reason = _("Not queued: {0}. Retry this log once the cause is fixed").format(fields["error"])
	try:
		row = insert_outbox_row(
			mapping=mapping_name,
			direction="Outbound",
			trigger=trigger,
			status="Failed",
			reference_doctype=doc.doctype,
			reference_name=doc.name,
			event=event,
			http_method=None,
			error=reason[:1000],
			error_detail=fields["error_detail"],
		)
	except Exception:  # the database refuses even that: the Error Log says what was not queued
		row = None
	log_error(f"AFAS: change of {doc.doctype} {doc.name} not queued ({mapping_name})", exc)
	return row


def _condition_fails(mapping_name: str, doc: Any) -> bool:
	try:
		condition = frappe.db.get_value(MAPPING, mapping_name, "condition")
		if condition:
			frappe.safe_eval(condition, None, {"doc": doc})
	except Exception:
		return True
	return False


def schedule_kick() -> None:
	"""Kick the pusher once after this transaction commits, however many changes it queued (frappe's
	``after_commit`` keeps duplicates: a bulk change of 1,000 documents would kick 1,000 times)."""
	local = frappe.local
	if getattr(local, "afas_kick_scheduled", False):
		return
	local.afas_kick_scheduled = True
	frappe.db.after_commit.add(kick_pusher)
	frappe.db.after_rollback.add(_forget_kick)  # rollback drops the after_commit callback


def _forget_kick() -> None:
	frappe.local.afas_kick_scheduled = False


def kick_pusher() -> None:
	"""After commit: make sure a drain job is on its way. One Redis ``SET NX`` per commit, so a burst
	of saves costs a single background job, not one each."""
	frappe.local.afas_kick_scheduled = False
	if frappe.cache.set(frappe.cache.make_key(PUSHER_FLAG), 1, nx=True, ex=PUSHER_FLAG_SECONDS):
		frappe.enqueue("afas_connector.binding.outbox.drain", queue="default", timeout=DRAIN_SECONDS + 60)


# ------------------------------------------------------------------ draining (background job)


def due_documents(
	now: dt.datetime, *, queued_before: dt.datetime | None = None, limit: int = DUE_BATCH
) -> list[Any]:
	"""Documents with an outbox row to send now (Queued, or Retrying and due), oldest first: only those
	``push_pending`` would send, so none waits behind a row of its own that is Running (another drain
	sends it, or its worker died), Outcome Unknown (the user decides) or Retrying and not yet due. A
	drain starts a helper for each document it reads here, and no helper is started for a blocked one."""
	return frappe.db.sql(
		"""select mapping, reference_doctype, reference_name,
			min(case when (status='Queued' and creation <= %(queued)s)
				or (status='Retrying' and (next_attempt is null or next_attempt <= %(now)s))
				then creation end) as first
		from `tabAFAS Sync Log`
		where direction='Outbound' and reference_name is not null
		and mapping in (select name from `tabAFAS Connector Mapping` where enabled=1)
		and status in ('Queued', 'Retrying', 'Running', %(unknown)s)
		group by mapping, reference_doctype, reference_name
		having first is not null and sum(status in ('Running', %(unknown)s)) = 0
		and first < coalesce(min(case when status='Retrying' and next_attempt > %(now)s then creation end), '9999-12-31')
		order by first limit %(limit)s""",
		{"queued": queued_before or now, "now": now, "limit": limit, "unknown": OUTCOME_UNKNOWN},
		as_dict=True,
	)


def max_parallel_calls() -> int:
	"""AFAS Settings' Max Parallel Calls, within 1 and AFAS's limit of 8."""
	value = frappe.utils.cint(frappe.db.get_single_value(SETTINGS, "max_parallel_calls")) or 4
	return max(1, min(value, AFAS_MAX_PARALLEL_CALLS))


class PushSlot:
	"""One of the environment's Max Parallel Calls, held in Redis by one drain (``SET NX`` with a
	token). Holding none, a drain does nothing. A heartbeat thread keeps the slot, and the claim of
	the document being pushed, alive while the drain lives (a call may take minutes); a drain whose
	worker was killed loses both within ``SLOT_SECONDS``."""

	def __init__(self) -> None:
		self.token = secrets.token_hex(8)
		self.key: str | None = None
		self.index = 0  # which slot: a drain's place among the running ones
		self.claim: str | None = None
		self._stop = threading.Event()
		self._beat: threading.Thread | None = None

	@staticmethod
	def keys() -> list[str]:
		env = environment()
		return [frappe.cache.make_key(f"afas_push_slot::{env}::{i}") for i in range(max_parallel_calls())]

	def take(self) -> bool:
		for index, key in enumerate(self.keys()):
			if frappe.cache.set(key, self.token, nx=True, ex=SLOT_SECONDS):
				self.key, self.index = key, index
				self._stop = threading.Event()
				# The thread gets the Redis client itself: frappe.local is not there in another thread.
				self._beat = threading.Thread(
					target=self._heartbeat, args=(frappe.cache,), name="afas-push-slot", daemon=True
				)
				self._beat.start()
				return True
		return False

	def _heartbeat(self, redis: Any) -> None:
		while not self._stop.wait(SLOT_SECONDS / 4):
			for key in (self.key, self.claim):
				if key and _text(redis.get(key)) == self.token:
					redis.expire(key, SLOT_SECONDS)

	def release(self) -> None:
		self._stop.set()
		if self.key and _text(frappe.cache.get(self.key)) == self.token:
			frappe.cache.delete(self.key)
		self.key = None

	@classmethod
	def held(cls) -> list[int]:
		"""The indexes of the slots drains hold now."""
		return [index for index, value in enumerate(frappe.cache.mget(cls.keys())) if value is not None]

	@classmethod
	def free(cls) -> int:
		"""Slots no drain holds now."""
		return len(cls.keys()) - len(cls.held())


def _text(value: Any) -> str | None:
	return value.decode() if isinstance(value, bytes) else value


def claim_key(row: Any) -> str:
	"""The Redis key of a document's claim (``row``: mapping, reference_doctype, reference_name)."""
	return frappe.cache.make_key(
		f"afas_push_claim::{row.mapping}::{row.reference_doctype}::{row.reference_name}"
	)


def claim_document(row: Any, token: str) -> str | None:
	"""Claim one document for this drain; returns the claim's key, or None when another drain has it."""
	key = claim_key(row)
	return key if frappe.cache.set(key, token, nx=True, ex=SLOT_SECONDS) else None


def start_helpers(due: int, free: int | None = None) -> int:
	"""Enqueue drains for the free push slots (``free``, or as many as there are now), one per due
	document beyond the caller's own, less the helpers already on their way (so drains looking at once
	do not each start a full set). Returns the jobs enqueued."""
	free = PushSlot.free() if free is None else free
	wanted = min(free, due - 1)
	if wanted <= 0:
		return 0
	wanted -= helpers_on_their_way()
	for _i in range(max(0, wanted)):
		job_id = HELPER_JOB + secrets.token_hex(8)
		# Known as on its way before it can start: a helper quicker than this line finds itself listed.
		frappe.cache.sadd(HELPERS_WAITING, _job_key(job_id))
		try:
			frappe.enqueue(
				"afas_connector.binding.outbox.drain",
				queue="default",
				timeout=DRAIN_SECONDS + 60,
				job_id=job_id,
				helper=job_id,
			)
		except Exception:
			frappe.cache.srem(HELPERS_WAITING, _job_key(job_id))
			raise
	return max(0, wanted)


def helpers_on_their_way() -> int:
	"""Helper drains enqueued that have not yet reached their slot, read off their RQ jobs: waiting in
	their queue, or started less than ``SLOT_SECONDS`` ago and not yet in :func:`drain`. A helper whose
	job is gone (``bench purge-jobs``, deleted in the desk, a queue emptied), was taken off the queue by
	a worker that stopped before starting it (RQ says "queued" until its clean-up finds the job "stuck
	in intermediate queue", minutes later) or died starting is dropped from the list: a count of our own
	would go on standing for helpers that never come, and drains would leave free slots idle behind it."""
	from frappe.utils.background_jobs import get_redis_conn
	from rq import Queue
	from rq.job import Job, JobStatus

	ids = sorted(_text(value) for value in frappe.cache.smembers(HELPERS_WAITING))
	if not ids:
		return 0
	since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=SLOT_SECONDS)
	gone = []
	redis = get_redis_conn()
	for job_id, job in zip(ids, Job.fetch_many(ids, connection=redis), strict=True):
		status = job.get_status(refresh=False) if job else None
		if status == JobStatus.QUEUED and Queue(job.origin, connection=redis).get_job_position(job) is None:
			status = None  # off the queue, never started: the worker that took it stopped
		started = job.started_at if job else None
		if started is not None and started.tzinfo is None:  # RQ 1 (Frappe 15): naive UTC; RQ 2: aware
			started = started.replace(tzinfo=dt.timezone.utc)
		if status == JobStatus.STARTED and (started is None or started < since):
			status = None  # started long ago and never reached drain(): its worker died
		if status not in (JobStatus.QUEUED, JobStatus.STARTED):
			gone.append(job_id)
	if gone:
		frappe.cache.srem(HELPERS_WAITING, *gone)
	return len(ids) - len(gone)


def _job_key(job_id: str) -> str:
	"""The RQ id of a job frappe enqueued under ``job_id`` (frappe puts the site's name in front)."""
	from frappe.utils.background_jobs import create_job_id

	return create_job_id(job_id)


def drain(now: dt.datetime | None = None, helper: str | None = None) -> int:
	"""The push job: send every due change, document by document, oldest first. Returns the changes
	sent. Several run at once (see the module's docstring); one that gets no push slot leaves a note
	("more work") for the drains that hold one, which look again before they end, and ends at once.
	``helper``: the job id :func:`start_helpers` enqueued this drain under."""
	frappe.cache.delete(frappe.cache.make_key(PUSHER_FLAG))  # changes committed from now on kick anew
	if isinstance(helper, str):  # started: no longer on its way
		frappe.cache.srem(HELPERS_WAITING, _job_key(helper))
	if not is_enabled():
		return 0  # the master switch is off: changes stay queued, the sweeper sends them once it is on
	more = frappe.cache.make_key(MORE_FLAG)
	frappe.cache.set(more, 1, ex=DRAIN_SECONDS)
	slot = PushSlot()
	if not slot.take():
		return 0  # Max Parallel Calls drains are busy: one of them looks again before it ends
	started = time.monotonic()
	sent = 0
	session = PushSession()
	try:
		while True:
			sent += _drain_rounds(slot, session, now, started)
			if time.monotonic() - started >= DRAIN_SECONDS:
				break  # out of time with work left: a fresh job continues
			slot.release()  # first release, then look for the note: a drain without a slot left it
			if not frappe.cache.delete(more) or not slot.take():
				return sent
	finally:
		session.close()
		slot.release()
		facts.tell(facts.JOB_STARTED)  # saves push without the scheduler; retries and inbound runs do not
	kick_pusher()
	return sent


def _drain_rounds(slot: PushSlot, session: PushSession, now: dt.datetime | None, started: float) -> int:
	"""Push what is due, round after round, until a round makes no progress or time is up.

	Each round starts helpers for the free slots first (before this drain's own next push: a push
	takes as long as AFAS does, and a slot left free that long is a call not made). Alone, a drain
	walks the due documents oldest first. With others running it takes its own share first (the
	documents whose name hashes to its place among the running drains), then the rest, skipping what
	another drain has claimed: drains that walked one list would each look at every document the
	others had just finished."""
	sent = 0
	while time.monotonic() - started < DRAIN_SECONDS:
		frappe.cache.delete(frappe.cache.make_key(MORE_FLAG))  # this round sees what is queued so far
		due = due_documents(now or now_datetime())
		if len(due) > 1:
			held = PushSlot.held()  # this drain's slot among them
			start_helpers(len(due), free=len(PushSlot.keys()) - len(held))
			running = len(held)
			if running > 1:
				place = held.index(slot.index) if slot.index in held else slot.index % running
				own = [row for row in due if _share(row, running) == place]
				due = own + [row for row in due if _share(row, running) != place]
		done, moved = _push_rows(due, slot, session, now, started)
		sent += done
		if not moved:
			break
	return sent


def _share(row: Any, drains: int) -> int:
	"""Which of ``drains`` running drains takes this document first (stable across rounds)."""
	digest = hashlib.blake2b(f"{row.mapping}|{row.reference_name}".encode(), digest_size=4).digest()
	return int.from_bytes(digest, "big") % drains


def _push_rows(
	rows: list[Any],
	slot: PushSlot,
	session: PushSession,
	now: dt.datetime | None,
	started: float,
) -> tuple[int, bool]:
	"""Push the documents of ``rows`` this drain can claim; returns (changes sent, anything moved).
	Every ``FAN_OUT_CHECK_SECONDS`` it starts helpers for slots that are free again (a helper lost on
	its way, a drain that ended) while documents of the list are left."""
	sent = 0
	moved = False
	checked = time.monotonic()
	for index, row in enumerate(rows):
		if moved and time.monotonic() - checked >= FAN_OUT_CHECK_SECONDS:
			start_helpers(len(rows) - index)
			checked = time.monotonic()
		claim = claim_document(row, slot.token)
		if not claim:
			continue  # another drain is pushing this document
		slot.claim = claim
		try:
			outcomes = push_pending(
				row.mapping, row.reference_doctype, row.reference_name, now=now, session=session
			)
		finally:
			slot.claim = None
			frappe.cache.delete(claim)
		sent += outcomes.count("Success")
		moved = moved or bool(outcomes)
		if time.monotonic() - started >= DRAIN_SECONDS:
			break
	return sent, moved


def sweep(*, now: dt.datetime | None = None, inline: bool = False) -> int:
	"""Every few minutes: pushes whose job vanished go back in line, and runs whose worker died are
	closed. Returns the documents found to send.

	A push Running for longer than a push can take belongs to a worker that died (killed, a job
	timeout): a PUT or DELETE is sent again (it sets the same values), but a POST may have reached
	AFAS, so it becomes *Outcome Unknown* and waits for a user. Queued for over a minute means the
	kick was lost (Redis flushed, no worker). ``inline`` drains in this process instead of in a job.
	"""

	now = now or now_datetime()
	stale = add_to_date(now, minutes=-STALE_RUNNING_MINUTES)
	for row in frappe.get_all(
		LOG,
		filters={"direction": "Outbound", "status": "Running", "modified": ["<", stale]},
		fields=["name", "http_method", "mapping", "reference_doctype", "reference_name"],
	):
		ledger = frappe.get_cached_value(MAPPING, row.mapping, "mapping_type") == LEDGER
		if row.http_method == "POST" and not ledger:  # a ledger booking is looked up before it is resent
			values = {
				"status": OUTCOME_UNKNOWN,
				"next_attempt": None,
				"finished_at": now,
				"error": outcome_unknown_message(
					_("the push stopped while its POST was under way: the worker died or the job timed out")
				),
			}
		else:
			values = {"status": "Retrying", "next_attempt": now}
		frappe.db.set_value(LOG, row.name, values, update_modified=False)
		frappe.cache.delete(claim_key(row))  # its drain is dead: the document may be pushed again
	close_stale_runs(now)
	frappe.db.commit()
	rows = due_documents(now, queued_before=now if inline else add_to_date(now, minutes=-1))
	if rows:
		if inline:
			drain(now=now)
		else:
			frappe.cache.delete(frappe.cache.make_key(PUSHER_FLAG))
			kick_pusher()
	return len(rows)


def retry(names: list[str]) -> dict[str, Any]:
	"""Put Failed/Retrying outbound rows back in the queue, where that still makes sense; the push
	builds the body from the document as it is then, so a fixed document goes out fixed.

	Returns ``{"queued": n, "skipped": [{"log", "reason"}]}``. Skipped: a row whose outcome is
	unknown (AFAS may hold it: the user resolves it), whose document was deleted or cancelled before
	it ever reached AFAS, whose mapping is off, or that a later successful push has overtaken.
	"""
	queued = 0
	skipped = []
	for name in names:
		log = frappe.get_doc(LOG, name)
		reason = _retry_refusal(log)
		if reason:
			skipped.append({"log": name, "reason": reason})
			continue
		set_log(
			log,
			{"status": "Queued", "rounds": 0, "next_attempt": None, "error": None, "trigger": "Manual"},
			update_modified=True,
		)
		queued += 1
	if queued:
		schedule_kick()
	return {"queued": queued, "skipped": skipped}


def _retry_refusal(log: Any) -> str | None:
	"""Why a log is not put back in the queue, or None."""

	if log.status == OUTCOME_UNKNOWN:
		return _("AFAS may already hold this record: link it to its AFAS key or send it again on the log")
	if log.status not in ("Failed", "Retrying"):
		return _("it is {0}: nothing to retry").format(_(log.status))
	if not log.mapping or not frappe.db.exists(MAPPING, log.mapping):
		return _("mapping {0} no longer exists").format(log.mapping or "–")
	mapping = frappe.get_cached_doc(MAPPING, log.mapping)
	if not mapping.enabled:
		return _("mapping {0} is disabled").format(log.mapping)
	excluded = _condition_refusal(mapping, log)
	if excluded:
		return excluded
	call, _link, _doc = plan_for(mapping, log.event, log.reference_doctype, log.reference_name)
	if not call.sends:
		return call.message(_)
	later = frappe.db.exists(
		LOG,
		{
			"mapping": log.mapping,
			"reference_doctype": log.reference_doctype,
			"reference_name": log.reference_name,
			"direction": "Outbound",
			"status": "Success",
			"creation": [">", log.creation],
		},
	)
	if later:
		return _("a later push of {0} succeeded").format(log.reference_name)
	return None


def _condition_refusal(mapping: Any, log: Any) -> str | None:
	"""A change is sent only while the mapping's Condition holds for its document: asked again on Retry
	(a change kept because its condition failed goes out once the condition is fixed, not before)."""
	if not mapping.condition or not log.reference_name:
		return None
	if log.event in ("on_trash",) or not frappe.db.exists(log.reference_doctype, log.reference_name):
		return None
	doc = frappe.get_doc(log.reference_doctype, log.reference_name)
	try:
		holds = frappe.safe_eval(mapping.condition, None, {"doc": doc})
	except Exception as exc:
		return _("the Condition of {0} still fails for {1}: {2}").format(
			mapping.name, log.reference_name, f"{type(exc).__name__}: {exc}"
		)
	if not holds:
		return _("the Condition of {0} leaves {1} out").format(mapping.name, log.reference_name)
	return None


def resolve_unknown(name: str, *, afas_key: str | None = None, resend: bool = False) -> str:
	"""Settle a push whose outcome is unknown, after the user looked in AFAS: ``afas_key`` links the
	document to the record AFAS holds (checked against the paired GetConnector when there is one), or
	``resend`` sends it again (the user found nothing). Returns the log's new status. Raises
	``frappe.ValidationError`` for anything else, so no second record can be made by accident."""

	log = frappe.get_doc(LOG, name, for_update=True)
	if log.status != OUTCOME_UNKNOWN:
		frappe.throw(_("AFAS Sync Log {0} is {1}, not Outcome Unknown").format(name, _(log.status)))
	user = frappe.session.user
	if afas_key:
		afas_key = str(afas_key).strip()
		missing = _missing_in_afas(log.mapping, afas_key)
		if missing:
			frappe.throw(html.escape(missing, quote=False), title=_("Not linked"))
		link_document(log.mapping, afas_key, log.reference_doctype, log.reference_name)
		note = _("Linked by {0} to AFAS key {1} after the answer to the POST was lost").format(user, afas_key)
		finish_log(log, "Success", afas_key=afas_key, error=note)
		return "Success"
	if resend:
		note = _("Sent again by {0}, who found no such record in AFAS").format(user)
		set_log(
			log,
			{"status": "Queued", "rounds": 0, "next_attempt": None, "error": note, "trigger": "Manual"},
			update_modified=True,
		)
		frappe.db.commit()
		schedule_kick()
		return "Queued"
	frappe.throw(_("Give the AFAS key the record has in AFAS, or choose to send it again"))
	return log.status


def _missing_in_afas(mapping: str, key: str) -> str | None:
	"""Where a GetConnector of the same records is known (the pair), check that AFAS has ``key``."""

	paired = _paired_inbound(mapping)
	if not paired:
		return None
	with get_client() as client:
		page = client.get_page(
			paired.afas_connector,
			take=1,
			filters=[[paired.afas_key_field, "=", key]],
			order_by=paired.afas_key_field,
		)
	if not page.rows:
		return _("AFAS has no record with {0} {1} ({2})").format(
			paired.afas_key_field, key, paired.afas_connector
		)
	return None


def _paired_inbound(mapping: str) -> Any | None:
	"""The inbound mapping that shares ``mapping``'s Record Links, if any."""

	scope = scope_of(mapping)
	for name in [scope, *frappe.get_all(MAPPING, filters={"link_with": scope}, pluck="name")]:
		doc = frappe.get_cached_doc(MAPPING, name)
		if doc.direction == "Inbound":
			return doc
	return None
