"""Profit 8's webhooks, as the simulator sends them (``markdownpages/profit/en/webhooks.md``, 2026-06-16;
``../shared/afas-profit-api.md`` §1.9).

What AFAS documents, and the simulator does:

* a webhook is configured per App Connector with a URL and a password; every notification is an HTTP
  POST of JSON, signed ``X-Profit-Signature-256: sha256=<hex-encoded HMAC-SHA256 hash>`` of the body,
  keyed with the webhook's password;
* a notification is ``{"EventId", "EnvironmentId", "EventType", "Data", "Timestamp"}`` (UTC, seven
  fractional digits in AFAS's example ``2026-06-08T09:20:56.1351565Z``); ``Data`` holds
  ``SubjectTypeId`` and ``SubjectId`` (plus ``ReactionId`` for reactions, ``WorkflowName`` and
  ``TaskName`` or ``ActionName`` for workflows), or for ``test.executed`` ``SubscriptionId`` and
  ``SubscriptionName``;
* events are registered (``Registered``), sent by a batch job (``Pending``) and end ``Success``, or
  ``Retry`` after a failed attempt, then ``Failed`` "after too many failed attempts"; a non-2xx answer
  or a receiver slower than **2 seconds** is a failed attempt; "the interval between two consecutive
  attempts becomes progressively longer"; identical events in quick succession: only the last is sent
  (``EntityRateLimited``); a blocked webhook fails its events (``Failed``).

What AFAS does not say, and the simulator decides: how many attempts (``attempts``, 5) and the intervals
(``first_interval`` doubled each time; short by default, so tests run fast). A retry sends the same
body, so the same ``EventId``: a receiver must treat a second delivery as a replay.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

# AFAS's header and event types (afas-profit-api.md §1.9), one list for both sides; the signing below is
# the simulator's own, so the app's check is tested against an independent signer.
from afas_connector.afas.webhooks import EVENT_TYPES, SIGNATURE_HEADER

TIMEOUT_SECONDS = 2.0


def signature(body: bytes, password: str) -> str:
	"""The header value AFAS sends: ``sha256=`` and the hex HMAC-SHA256 of the raw body."""
	return "sha256=" + hmac.new(password.encode("utf-8"), body, hashlib.sha256).hexdigest()


def utc_timestamp(moment: datetime | None = None) -> str:
	"""A UTC time as AFAS writes it in a notification: seven fractional digits and ``Z``."""
	moment = (moment or datetime.now(timezone.utc)).astimezone(timezone.utc)
	return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"


@dataclass
class Webhook:
	id: int
	name: str
	url: str
	password: str
	blocked: bool = False


@dataclass
class Event:
	"""One notification to one webhook, with what happened to it."""

	event_id: str
	webhook_id: int
	event_type: str
	body: str
	status: str = "Registered"
	attempts: int = 0
	answers: list[str] = field(default_factory=list)

	def to_json(self) -> dict[str, Any]:
		return asdict(self)


class WebhookSender:
	"""The App Connector's webhooks and the batch job that sends their events."""

	def __init__(
		self,
		environment_id: str,
		attempts: int = 5,
		first_interval: float = 0.05,
		timeout: float = TIMEOUT_SECONDS,
	) -> None:
		self.environment_id = environment_id
		self.attempts = attempts
		self.first_interval = first_interval
		self.timeout = timeout
		self.webhooks: dict[int, Webhook] = {}
		self.events: list[Event] = []
		self._lock = threading.Lock()

	def register(self, url: str, password: str, name: str = "ERPNext") -> Webhook:
		if not url or not password:
			raise ValueError("a webhook needs a url and a password")
		with self._lock:
			hook = Webhook(len(self.webhooks) + 1, name, url, password)
			self.webhooks[hook.id] = hook
			return hook

	def block(self, webhook_id: int, blocked: bool = True) -> None:
		self.webhooks[webhook_id].blocked = blocked

	def emit(
		self,
		event_type: str,
		data: dict[str, Any],
		*,
		webhook_id: int | None = None,
		timestamp: str | None = None,
		wait: bool = True,
	) -> list[Event]:
		"""Register one event per webhook (or for ``webhook_id``) and send them; ``wait`` sends them before
		returning (with their retries), else in a background thread, as AFAS's batch job does."""
		if event_type not in EVENT_TYPES:
			raise ValueError(
				f"AFAS sends no {event_type!r} events; it sends {', '.join(sorted(EVENT_TYPES))}"
			)
		hooks = [self.webhooks[webhook_id]] if webhook_id is not None else list(self.webhooks.values())
		made = []
		with self._lock:
			for hook in hooks:
				payload = {
					"EventId": str(uuid.uuid4()),
					"EnvironmentId": self.environment_id,
					"EventType": event_type,
					"Data": dict(data),
					"Timestamp": timestamp or utc_timestamp(),
				}
				event = Event(
					payload["EventId"], hook.id, event_type, json.dumps(payload, ensure_ascii=False)
				)
				for earlier in self.events:  # identical events in quick succession: only the last is sent
					if (
						earlier.status == "Registered"
						and earlier.webhook_id == hook.id
						and earlier.event_type == event_type
						and json.loads(earlier.body)["Data"] == payload["Data"]
					):
						earlier.status = "EntityRateLimited"
				self.events.append(event)
				made.append(event)
		if wait:
			for event in made:
				self._deliver(event)
		else:
			threading.Thread(target=lambda: [self._deliver(e) for e in made], daemon=True).start()
		return made

	def resend(self, event_id: str) -> Event:
		"""Send an event's body once more, as it was (what a retry does after a receiver answered late)."""
		found = [e for e in self.events if e.event_id == event_id]
		if not found:
			raise KeyError(f"no webhook event {event_id!r}")
		event = found[0]
		self._attempt(event, self.webhooks[event.webhook_id])
		return event

	def _deliver(self, event: Event) -> None:
		if event.status == "EntityRateLimited":
			return
		hook = self.webhooks[event.webhook_id]
		if hook.blocked:
			event.status = "Failed"
			event.answers.append("webhook blocked")
			return
		interval = self.first_interval
		for attempt in range(self.attempts):
			event.status = "Pending"
			if self._attempt(event, hook):
				event.status = "Success"
				return
			event.status = "Retry"
			if attempt + 1 < self.attempts:
				time.sleep(interval)
				interval *= 2
		event.status = "Failed"

	def _attempt(self, event: Event, hook: Webhook) -> bool:
		body = event.body.encode("utf-8")
		request = urllib.request.Request(
			hook.url,
			data=body,
			method="POST",
			headers={
				"Content-Type": "application/json; charset=utf-8",
				SIGNATURE_HEADER: signature(body, hook.password),
			},
		)
		event.attempts += 1
		try:
			with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310 - the hook's own URL
				event.answers.append(str(answer.status))
				return 200 <= answer.status < 300
		except urllib.error.HTTPError as exc:
			event.answers.append(str(exc.code))
		except (urllib.error.URLError, TimeoutError, OSError) as exc:
			event.answers.append(f"no answer: {type(exc).__name__}")
		return False

	def list_events(self) -> list[dict[str, Any]]:
		with self._lock:
			return [e.to_json() for e in self.events]
