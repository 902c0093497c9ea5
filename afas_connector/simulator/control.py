"""``/__simulator/…``: drive a simulator running in another process (no auth; never logged).

GET ``requests`` | ``concurrency`` (calls in flight, peak since reset) | ``faults`` | ``rows?connector=`` | ``records?connector=``;
POST ``faults`` (same arguments as ``faults.add``) | ``reset`` | ``generate`` ({"connector","n","seed"}) |
``add_rows`` ({"connector","rows"}) | ``update_row`` ({"connector","key","changes"}) |
``delete_row`` ({"connector","key"}) | ``revoke_token`` | ``restore_token`` | ``reset_data`` |
``block_period`` ({"year","period","unit"?,"blocked"?}) | ``lock_booking_layout`` ({"times"?}) |
``load_payroll`` ({"entries"?,"year"?}) | ``webhooks`` ({"url","password","name"?}: register one; answers its ``id``) | ``webhook_events``
({"event_type","data","webhook"?,"timestamp"?,"wait"?}: AFAS sends the event, with its retries; answers
the events) | ``webhook_resend`` ({"event_id"}: the same body once more) | ``webhook_block``
({"webhook","blocked"?}); GET ``webhook_events``; DELETE ``faults``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, Protocol

from afas_connector.simulator.faults import Fault, FaultPlan
from afas_connector.simulator.responses import Response, json_response, message_response
from afas_connector.simulator.store import FunctionalError
from afas_connector.simulator.webhooks import WebhookSender


class LoggedRequest(Protocol):
	"""A request the simulator logged (the server's ``RequestRecord``)."""

	def to_json(self) -> dict[str, Any]: ...


class ControlledSimulator(Protocol):
	"""What the control actions drive: a protocol, as the server is above them (it dispatches here)."""

	faults: FaultPlan
	webhooks: WebhookSender

	@property
	def requests(self) -> Sequence[LoggedRequest]: ...
	@property
	def concurrency(self) -> dict[str, int]: ...
	def clear_requests(self) -> None: ...
	def rows(self, connector_id: str) -> list[dict[str, Any]]: ...
	def records(self, update_connector_id: str) -> dict[str, dict[str, Any]]: ...
	def reset_data(self, demo_data: bool = True) -> None: ...
	def generate_rows(self, connector_id: str, n: int, seed: int = 1) -> int: ...
	def add_rows(self, connector_id: str, rows: list[dict[str, Any]]) -> None: ...
	def update_row(self, connector_id: str, key_value: Any, changes: dict[str, Any]) -> None: ...
	def delete_row(self, connector_id: str, key_value: Any) -> None: ...
	def load_payroll(self, entries: tuple | None = None, year: int = 2024) -> None: ...
	def block_period(self, year: int, period: int, unit: int = 1, blocked: bool = True) -> None: ...
	def lock_booking_layout(self, times: int | None = 1) -> Fault: ...
	def revoke_token(self) -> None: ...
	def restore_token(self) -> None: ...


def handle(
	sim: ControlledSimulator, method: str, action: str, query: dict[str, str], raw_body: bytes
) -> Response:
	"""Run one control action; bad input is a 400 with a message."""
	try:
		body: Any = json.loads(raw_body.decode("utf-8")) if raw_body.strip() else {}
	except ValueError:
		return message_response(400, "Control bodies are JSON.")
	action = action.strip("/").lower()
	try:
		if method == "GET" and action == "requests":
			return json_response(200, [record.to_json() for record in sim.requests])
		if method == "GET" and action == "concurrency":
			return json_response(200, sim.concurrency)
		if method == "GET" and action == "faults":
			return json_response(200, [asdict(f) for f in sim.faults.list()])
		if method == "GET" and action == "rows":
			return json_response(200, sim.rows(query["connector"]))
		if method == "GET" and action == "webhook_events":
			return json_response(200, sim.webhooks.list_events())
		if method == "GET" and action == "records":
			return json_response(200, sim.records(query["connector"]))
		if method == "DELETE" and action == "faults":
			sim.faults.clear()
			return json_response(200, {"ok": True})
		if method == "POST":
			return _post(sim, action, body)
	except (KeyError, TypeError, ValueError, FunctionalError) as exc:
		return message_response(400, f"Bad control request: {exc}")
	return message_response(404, f"Unknown control action {method} {action!r}")


def _post(sim: ControlledSimulator, action: str, body: dict[str, Any]) -> Response:
	if action == "faults":
		fault = sim.faults.add(**body)
		return json_response(201, asdict(fault))
	if action == "reset":
		sim.faults.clear()
		sim.clear_requests()
		return json_response(200, {"ok": True})
	if action == "generate":
		count = sim.generate_rows(body["connector"], int(body["n"]), int(body.get("seed", 1)))
		return json_response(200, {"connector": body["connector"], "rows": count})
	if action == "add_rows":
		sim.add_rows(body["connector"], body["rows"])
		return json_response(200, {"ok": True})
	if action == "update_row":
		sim.update_row(body["connector"], body["key"], body.get("changes", {}))
		return json_response(200, {"ok": True})
	if action == "delete_row":
		sim.delete_row(body["connector"], body["key"])
		return json_response(200, {"ok": True})
	if action == "reset_data":
		sim.reset_data()
		return json_response(200, {"ok": True})
	if action == "block_period":
		sim.block_period(
			int(body["year"]), int(body["period"]), int(body.get("unit", 1)), bool(body.get("blocked", True))
		)
		return json_response(200, {"ok": True})
	if action == "lock_booking_layout":
		return json_response(201, asdict(sim.lock_booking_layout(body.get("times", 1))))
	if action == "load_payroll":
		entries = body.get("entries")
		sim.load_payroll(
			tuple((e[0], e[1], tuple(tuple(line) for line in e[2])) for e in entries) if entries else None,
			int(body.get("year", 2024)),
		)
		return json_response(200, {"ok": True})
	if action == "webhooks":
		hook = sim.webhooks.register(body["url"], body["password"], body.get("name", "ERPNext"))
		return json_response(201, {"id": hook.id, "name": hook.name, "url": hook.url})
	if action == "webhook_events":
		events = sim.webhooks.emit(
			body["event_type"],
			body.get("data") or {},
			webhook_id=body.get("webhook"),
			timestamp=body.get("timestamp"),
			wait=bool(body.get("wait", True)),
		)
		return json_response(200, [e.to_json() for e in events])
	if action == "webhook_resend":
		return json_response(200, sim.webhooks.resend(body["event_id"]).to_json())
	if action == "webhook_block":
		sim.webhooks.block(int(body["webhook"]), bool(body.get("blocked", True)))
		return json_response(200, {"ok": True})
	if action == "revoke_token":
		sim.revoke_token()
		return json_response(200, {"ok": True})
	if action == "restore_token":
		sim.restore_token()
		return json_response(200, {"ok": True})
	return message_response(404, f"Unknown control action POST {action!r}")
