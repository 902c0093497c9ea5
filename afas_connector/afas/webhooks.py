"""AFAS Profit 8 webhooks, received: verify a notification and say what it concerns, nothing more.

AFAS's contract (``../shared/afas-profit-api.md`` §1.9; ``markdownpages/profit/en/webhooks.md``):

* every notification is signed ``X-Profit-Signature-256: sha256=<hex-encoded HMAC-SHA256 hash>`` of the
  body, keyed with the webhook's password: :func:`verify_signature` checks it over the *raw* body, in
  constant time (:func:`hmac.compare_digest`), before anything in the body is read;
* a notification is ``{"EventId", "EnvironmentId", "EventType", "Data", "Timestamp"}`` (UTC); a failed
  delivery is retried "with progressively longer intervals", with the same body, so an ``EventId`` seen
  before is a replay (:class:`SeenEvents`); a timestamp older than ``max_age`` is refused too, so a
  captured notification cannot be played back once the seen-store has forgotten it;
* the receiver must answer 2xx within **2 seconds** and process later; a notification "says *that*
  something changed, not *what*": :func:`routes_for` gives only routing keys (event type, dossier item
  type, workflow), and the caller queues an incremental run of the mappings concerned; the poll reads
  the truth. No value from ``Data`` is written anywhere.

Event types: ``subject.created|updated|deleted``, ``subject.reaction.created|updated|deleted``,
``workflow.task.entered``, ``workflow.action.executed`` and ``test.executed``; nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

SIGNATURE_HEADER = "X-Profit-Signature-256"
SIGNATURE_PREFIX = "sha256="
#: AFAS's receiver timeout: answer within this, do the work later.
ANSWER_WITHIN_SECONDS = 2
DEFAULT_MAX_AGE = timedelta(minutes=10)
#: How far a timestamp may lie in the future (clock skew between AFAS and this server).
FUTURE_SKEW = timedelta(minutes=2)
EVENT_TYPES = frozenset(
	{
		"test.executed",
		"subject.created",
		"subject.updated",
		"subject.deleted",
		"subject.reaction.created",
		"subject.reaction.updated",
		"subject.reaction.deleted",
		"workflow.task.entered",
		"workflow.action.executed",
	}
)
_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$")
_GUID = re.compile(r"^[0-9A-Fa-f-]{1,64}$")


class WebhookRefused(Exception):
	"""A notification not to act on; ``reason`` is ``signature``, ``malformed``, ``stale``,
	``environment`` or ``replay``, ``status`` the HTTP status to answer."""

	status = 401

	def __init__(self, reason: str, message: str) -> None:
		super().__init__(message)
		self.reason = reason


class WebhookReplayed(WebhookRefused):
	"""An ``EventId`` seen before: AFAS's own retry after a late answer, or a replay. Answer 200 (so
	AFAS stops retrying), act on nothing."""

	status = 200


class SeenEvents(Protocol):
	"""Where event ids are remembered (the frappe side keeps them in the cache or a table)."""

	def add_if_new(self, event_id: str, keep_seconds: int) -> bool:
		"""Remember ``event_id`` for ``keep_seconds``; ``False`` when it was already there."""
		...


class MemorySeenEvents:
	"""A :class:`SeenEvents` in memory, for tests and one process."""

	def __init__(self, clock: Any = time.monotonic) -> None:
		self._seen: dict[str, float] = {}
		self._lock = threading.Lock()
		self._clock = clock

	def add_if_new(self, event_id: str, keep_seconds: int) -> bool:
		now = self._clock()
		with self._lock:
			self._seen = {k: until for k, until in self._seen.items() if until > now}
			if event_id in self._seen:
				return False
			self._seen[event_id] = now + keep_seconds
			return True


@dataclass(frozen=True)
class WebhookEvent:
	"""A verified notification's routing keys only."""

	event_id: str
	environment_id: str
	event_type: str
	timestamp: datetime
	subject_type_id: int | None = None
	subject_id: int | None = None
	workflow: str | None = None
	task: str | None = None
	action: str | None = None

	@property
	def kind(self) -> str:
		"""``subject``, ``reaction``, ``workflow`` or ``test``."""
		if self.event_type.startswith("subject.reaction."):
			return "reaction"
		return self.event_type.split(".", 1)[0]


def sign(body: bytes, password: str) -> str:
	"""The header value AFAS sends for ``body``."""
	return SIGNATURE_PREFIX + hmac.new(password.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, header: str | None, password: str) -> bool:
	"""Whether ``header`` is AFAS's signature of the raw ``body`` with ``password`` (constant time)."""
	if not header or not password:
		return False
	given = header.strip()
	if given[: len(SIGNATURE_PREFIX)].lower() != SIGNATURE_PREFIX:
		return False
	expected = sign(body, password)[len(SIGNATURE_PREFIX) :]
	return hmac.compare_digest(given[len(SIGNATURE_PREFIX) :].lower().encode(), expected.encode())


def parse_timestamp(text: Any) -> datetime:
	"""AFAS's UTC timestamp (``2026-06-08T09:20:56.1351565Z``: seven fractional digits) as an aware
	datetime; raises ``ValueError``."""
	match = _TIMESTAMP.match(str(text or "").strip())
	if not match:
		raise ValueError(f"not an AFAS timestamp: {str(text)[:40]!r}")
	whole, fraction, zone = match.groups()
	moment = datetime.fromisoformat(whole + ("." + (fraction + "000000")[:6] if fraction else ""))
	if zone in (None, "Z"):
		return moment.replace(tzinfo=timezone.utc)
	sign_, hours, minutes = zone[0], int(zone[1:3]), int(zone[4:6])
	offset = timedelta(hours=hours, minutes=minutes) * (1 if sign_ == "+" else -1)
	return moment.replace(tzinfo=timezone(offset)).astimezone(timezone.utc)


def verify(
	body: bytes,
	headers: Mapping[str, str],
	password: str,
	seen: SeenEvents,
	*,
	now: datetime | None = None,
	max_age: timedelta = DEFAULT_MAX_AGE,
	environment_id: str | None = None,
) -> WebhookEvent:
	"""The notification in ``body`` if AFAS sent it and it is new; raises :class:`WebhookRefused`.

	Order matters: the signature over the raw body first (nothing unsigned is parsed), then the shape,
	the age, the environment (when ``environment_id`` is given), and last the event id, so only
	authentic, fresh notifications are remembered (a forger cannot fill the seen-store)."""
	header = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER.lower()), None)
	if not verify_signature(body, header, password):
		raise WebhookRefused("signature", f"{SIGNATURE_HEADER} missing or wrong")
	event = parse_event(body)
	now = now or datetime.now(timezone.utc)
	if event.timestamp < now - max_age:
		raise WebhookRefused(
			"stale", f"event {event.event_id} is from {event.timestamp:%Y-%m-%d %H:%M:%S} UTC"
		)
	if event.timestamp > now + FUTURE_SKEW:
		raise WebhookRefused("stale", f"event {event.event_id} is dated in the future")
	if environment_id and event.environment_id.lower() != environment_id.lower():
		raise WebhookRefused("environment", f"event {event.event_id} is from another AFAS environment")
	keep = int((max_age + FUTURE_SKEW).total_seconds()) + 60
	if not seen.add_if_new(event.event_id, keep):
		raise WebhookReplayed("replay", f"event {event.event_id} was received before")
	return event


def parse_event(body: bytes) -> WebhookEvent:
	"""The routing keys of a notification; raises :class:`WebhookRefused` (``malformed``)."""
	try:
		data = json.loads(body.decode("utf-8"))
		if not isinstance(data, dict):
			raise ValueError("not an object")
		event_type = str(data["EventType"])
		if event_type not in EVENT_TYPES:
			raise ValueError(f"unknown event type {event_type[:40]!r}")
		event_id = str(data["EventId"])
		if not _GUID.match(event_id):
			raise ValueError("EventId is not an id")
		keys = data.get("Data") or {}
		if not isinstance(keys, dict):
			raise ValueError("Data is not an object")
		return WebhookEvent(
			event_id=event_id,
			environment_id=str(data.get("EnvironmentId") or "")[:40],
			event_type=event_type,
			timestamp=parse_timestamp(data.get("Timestamp")),
			subject_type_id=_int(keys.get("SubjectTypeId")),
			subject_id=_int(keys.get("SubjectId")),
			workflow=_guid(keys.get("WorkflowName")),
			task=_guid(keys.get("TaskName")),
			action=_guid(keys.get("ActionName")),
		)
	except (KeyError, ValueError, TypeError, UnicodeDecodeError) as exc:
		raise WebhookRefused("malformed", f"not an AFAS notification: {exc}") from None


def _int(value: Any) -> int | None:
	if value in (None, ""):
		return None
	if isinstance(value, bool) or not re.fullmatch(r"-?\d{1,12}", str(value)):
		raise ValueError(f"not a number: {str(value)[:20]!r}")
	return int(value)


def _guid(value: Any) -> str | None:
	if value in (None, ""):
		return None
	if not _GUID.match(str(value)):
		raise ValueError("not a GUID")
	return str(value).upper()


@dataclass(frozen=True)
class WebhookRoute:
	"""Which mapping an event rings the bell for: event types (``subject.*`` style patterns), and
	optionally only some dossier item types or one workflow (and its task or action)."""

	mapping: str
	event_types: tuple[str, ...] = ("subject.*",)
	subject_type_ids: tuple[int, ...] = ()
	workflow: str | None = None
	step: str | None = None

	def matches(self, event: WebhookEvent) -> bool:
		if not any(_type_matches(pattern, event.event_type) for pattern in self.event_types):
			return False
		if self.subject_type_ids and event.subject_type_id not in self.subject_type_ids:
			return False
		if self.workflow and (event.workflow or "") != self.workflow.upper():
			return False
		return not self.step or self.step.upper() in (event.task, event.action)


def _type_matches(pattern: str, event_type: str) -> bool:
	if pattern.endswith(".*"):
		return event_type.startswith(pattern[:-1])
	return pattern == event_type


def routes_for(event: WebhookEvent, routes: Iterable[WebhookRoute]) -> list[str]:
	"""The mappings ``event`` concerns, each once, in ``routes``'s order (``test.executed`` concerns
	none: it only proves the connection and the signature)."""
	if event.event_type == "test.executed":
		return []
	found: list[str] = []
	for route in routes:
		if route.matches(event) and route.mapping not in found:
			found.append(route.mapping)
	return found
