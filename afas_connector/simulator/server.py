"""The HTTP side: a keep-alive HTTP/1.1 server on 127.0.0.1 and the :class:`AfasSimulator` facade.

Paths are case-insensitive, as on IIS. Every request under ``/ProfitRestServices`` is logged with its final
status (0 when a ``drop`` fault closed the socket without answering). A query string longer than 2049
characters (counted from the ``?``) is a 404, as AFAS documents.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote

from afas_connector.simulator import control
from afas_connector.simulator.authenticator import (
	DEMO_CLIENT_ID,
	DEMO_CLIENT_SECRET,
	DEMO_TOKEN,
	Authenticator,
	AuthFailure,
	OAuthFailure,
)
from afas_connector.simulator.demo_data import (
	DEMO_FILE_GUID,
	DEMO_FILE_NAME,
	DEMO_IMAGE_ID,
	DEMO_REPORT_ID,
	DEMO_SUBJECT_FILE_ID,
	DEMO_SUBJECT_ID,
	load_demo,
	load_payroll,
)
from afas_connector.simulator.demo_data import generate_rows as generate_demo_rows
from afas_connector.simulator.endpoints import Request, connector_label, dispatch
from afas_connector.simulator.faults import Fault, FaultPlan
from afas_connector.simulator.responses import (
	HttpError,
	Response,
	functional_error,
	json_response,
	maintenance,
	message_response,
	not_found,
)
from afas_connector.simulator.store import Store
from afas_connector.simulator.webhooks import WebhookSender

PREFIX = "/profitrestservices"
CONTROL = "/__simulator"
MAX_QUERY = 2049
_DRAIN_LIMIT = (
	16 * 1024 * 1024
)  # over-limit bodies up to this size are read and discarded to keep the connection


@dataclass
class RequestRecord:
	"""One logged request and the status it got."""

	method: str
	path: str
	query: dict[str, str]
	headers: dict[str, str]
	body: Any
	raw_body: bytes
	status: int
	connector: str | None
	raw_query: str = ""
	duration: float = 0.0

	def to_json(self) -> dict[str, Any]:
		data = dict(self.__dict__)
		data["raw_body"] = self.raw_body.decode("utf-8", "replace")
		return data


def _parse_query(raw: str) -> dict[str, str]:
	return {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}


def _fault_response(fault: Fault) -> Response:
	kind, text = fault.kind, fault.text
	if kind in ("lock", "validation", "unexpected", "timeout500"):
		return functional_error(text)
	if kind == "maintenance":
		return maintenance(text, fault.retry_after)
	if kind == "unauthorized":
		return message_response(401, text)
	if kind == "forbidden":
		return message_response(403, text)
	if kind == "not_found":
		return not_found(text)
	if kind == "too_large":
		return message_response(413, text)
	if kind == "header_error":
		# AFAS's deprecated X-Profit-Error header on an answer whose status says success
		header = base64.b64encode(text.encode("utf-8")).decode("ascii")
		return Response(200, b"", headers={"X-Profit-Error": header})
	if kind == "malformed":
		return Response(200, b'{"skip":0,"take":100,"rows":[{"Id":"1","Name":')
	raise ValueError(kind)


class _Server(ThreadingHTTPServer):
	daemon_threads = True
	allow_reuse_address = True
	request_queue_size = 128

	def __init__(self, address: tuple[str, int], sim: AfasSimulator) -> None:
		self.sim = sim
		self.connections: set[socket.socket] = set()
		self.connections_lock = threading.Lock()
		super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
	protocol_version = "HTTP/1.1"
	server_version = "Microsoft-IIS/10.0"
	sys_version = ""
	server: _Server

	def setup(self) -> None:
		super().setup()
		self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
		with self.server.connections_lock:
			self.server.connections.add(self.connection)

	def finish(self) -> None:
		with self.server.connections_lock:
			self.server.connections.discard(self.connection)
		try:
			super().finish()
		except OSError:
			pass

	def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
		pass

	def do_GET(self) -> None:
		self._handle()

	do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

	# --- plumbing ----------------------------------------------------------------------------------------

	def _read_body(self) -> bytes | Response:
		limit = self.server.sim.max_body_bytes
		if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
			return self._read_chunked(limit)
		try:
			length = int(self.headers.get("Content-Length") or 0)
		except ValueError:
			self.close_connection = True
			return message_response(400, "Invalid Content-Length.")
		if length > limit:
			if length <= _DRAIN_LIMIT:
				remaining = length
				while remaining > 0:
					chunk = self.rfile.read(min(remaining, 65536))
					if not chunk:
						break
					remaining -= len(chunk)
				return message_response(413, "Request Entity Too Large")
			response = message_response(413, "Request Entity Too Large")
			response.close = True
			return response
		return self.rfile.read(length) if length > 0 else b""

	def _read_chunked(self, limit: int) -> bytes | Response:
		parts, total = [], 0
		while True:
			size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
			if size == 0:
				while self.rfile.readline() not in (b"\r\n", b"\n", b""):
					pass
				break
			total += size
			if total > limit:
				response = message_response(413, "Request Entity Too Large")
				response.close = True
				return response
			parts.append(self.rfile.read(size))
			self.rfile.readline()
		return b"".join(parts)

	def _send(self, response: Response, truncate: bool = False) -> None:
		body = response.body if self.command != "HEAD" else b""
		declared = len(response.body)
		if truncate:
			declared = max(declared, 64)
			body = response.body[: len(response.body) // 2]
		self.send_response(response.status)
		self.send_header("Content-Type", response.content_type)
		self.send_header("Content-Length", str(declared))
		for name, value in response.headers.items():
			self.send_header(name, value)
		if response.close or truncate:
			self.send_header("Connection", "close")
			self.close_connection = True
		self.end_headers()
		if body:
			self.wfile.write(body)

	# --- one request -------------------------------------------------------------------------------------

	def _handle(self) -> None:
		sim = self.server.sim
		started = time.perf_counter()
		raw_path, has_query, raw_query = self.path.partition("?")
		path = unquote(raw_path)
		lower = path.lower()
		query = _parse_query(raw_query)
		body = self._read_body()
		if lower.startswith(CONTROL) or lower.startswith(PREFIX + CONTROL):
			action = lower.split(CONTROL, 1)[1]
			response = (
				body if isinstance(body, Response) else control.handle(sim, self.command, action, query, body)
			)
			self._send(response)
			return
		raw_body = body if isinstance(body, bytes) else b""
		segments = (
			[unquote(s) for s in raw_path[len(PREFIX) :].split("/") if s] if lower.startswith(PREFIX) else []
		)
		record = RequestRecord(
			self.command,
			path,
			query,
			dict(self.headers.items()),
			_parse_json(raw_body),
			raw_body,
			0,
			connector_label(segments),
			raw_query,
		)
		truncate = False
		sim.call_started()
		try:
			if isinstance(body, Response):
				raise _Answer(body)
			if not lower.startswith(PREFIX) or not (lower == PREFIX or lower[len(PREFIX)] == "/"):
				raise _Answer(not_found())
			if has_query and len(raw_query) + 1 > MAX_QUERY:
				raise _Answer(not_found())
			fault = sim.faults.take(record.connector, self.command)
			if fault is not None:
				if fault.delay:
					time.sleep(fault.delay)
				if fault.kind == "drop":
					self.close_connection = True
					sim.call_ended()
					sim._log(record, started)
					return
				truncate = fault.kind == "truncated"
				if fault.kind not in ("latency", "truncated"):
					raise _Answer(_fault_response(fault))
			response = self._route(sim, segments, query, raw_body)
		except _Answer as answer:
			response = answer.response
		except HttpError as exc:
			response = exc.response
		except Exception as exc:  # a simulator bug must still look like AFAS, not hang the client
			response = functional_error(f"An unexpected error has occurred. ({type(exc).__name__}: {exc})")
		sim.call_ended()
		record.status = response.status
		sim._log(record, started)
		try:
			self._send(response, truncate)
		except OSError:
			self.close_connection = True

	def _route(
		self, sim: AfasSimulator, segments: list[str], query: dict[str, str], raw_body: bytes
	) -> Response:
		if len(segments) == 2 and [s.lower() for s in segments] == ["oauth", "token"]:
			try:
				payload = sim.auth.issue(
					self.command,
					self.headers.get("Content-Type") or "",
					raw_body,
					self.headers.get("Authorization"),
				)
			except OAuthFailure as failure:
				return json_response(
					failure.status, failure.body(), {"Cache-Control": "no-store", **failure.headers}
				)
			return json_response(200, payload, {"Cache-Control": "no-store"})
		try:
			sim.auth.check(self.headers.get("Authorization"))
		except AuthFailure as failure:
			if failure.status == 500:
				return functional_error(failure.message)
			return message_response(failure.status, failure.message, failure.headers)
		request = Request(self.command, segments, query, self.headers, raw_body)
		return dispatch(sim, request)


class _Answer(Exception):
	def __init__(self, response: Response) -> None:
		self.response = response


def _parse_json(raw: bytes) -> Any:
	if not raw:
		return None
	try:
		return json.loads(raw.decode("utf-8-sig"))
	except ValueError:
		return None


class AfasSimulator:
	"""An AFAS Profit environment over real HTTP on 127.0.0.1, for tests, benchmarks and demos.

	``AfasSimulator(port=0).start()`` serves on a free port in a daemon thread; ``base_url`` ends in
	``/ProfitRestServices``. Use it as a context manager to stop it reliably.
	"""

	def __init__(
		self,
		env_id: str = "12345",
		token: str = DEMO_TOKEN,
		client_id: str = DEMO_CLIENT_ID,
		client_secret: str = DEMO_CLIENT_SECRET,
		demo_data: bool = True,
		port: int = 0,
		oauth_token_lifetime: float = 3600,
		max_body_bytes: int = 75 * 1024 * 1024,
		host: str = "127.0.0.1",
		profit_version: str = "22.22.5",
	) -> None:
		self.env_id = env_id
		self.token = token
		self.host = host
		self.port = port
		self.max_body_bytes = max_body_bytes
		self.profit_version = profit_version
		self.auth = Authenticator(token, client_id, client_secret, oauth_token_lifetime)
		self.faults = FaultPlan()
		#: Shape of a POST's 201 answer: "keys" (``{"results": {"<Conn>": {keys}}}``), "scalar" or "bare".
		self.answer_shape = "keys"
		self.store = Store()
		load_demo(self.store, with_rows=demo_data)
		#: The App Connector's webhooks (Profit 8): ``sim.webhooks.register(url, password)``, then
		#: ``sim.webhooks.emit("subject.created", {...})``. AFAS posts only to HTTPS endpoints; the
		#: simulator posts to whatever URL a test registers.
		self.webhooks = WebhookSender(f"{env_id}AA")
		self._requests: list[RequestRecord] = []
		self._requests_lock = threading.Lock()
		#: Calls being answered now, and the most at once since the last reset: AFAS allows at most 8
		#: parallel calls (troubleshooting.md §10), so a client's parallelism is checked here.
		self._in_flight = 0
		self._peak_in_flight = 0
		self._server: _Server | None = None
		self._thread: threading.Thread | None = None

	# --- lifecycle -----------------------------------------------------------------------------------------

	def start(self) -> AfasSimulator:
		"""Bind and serve in a daemon thread; returns ``self``."""
		if self._server is not None:
			return self
		self._server = _Server((self.host, self.port), self)
		self.port = self._server.server_address[1]
		self._thread = threading.Thread(
			target=self._server.serve_forever,
			kwargs={"poll_interval": 0.05},
			name="afas-simulator",
			daemon=True,
		)
		self._thread.start()
		return self

	def stop(self) -> None:
		"""Stop serving and close every open keep-alive connection."""
		server, self._server = self._server, None
		if server is None:
			return
		server.shutdown()
		with server.connections_lock:
			connections = list(server.connections)
		for conn in connections:
			try:
				conn.shutdown(socket.SHUT_RDWR)
			except OSError:
				pass
		server.server_close()
		if self._thread is not None:
			self._thread.join(timeout=5)

	def __enter__(self) -> AfasSimulator:
		return self.start()

	def __exit__(self, *exc: object) -> None:
		self.stop()

	@property
	def base_url(self) -> str:
		return f"http://{self.host}:{self.port}/ProfitRestServices"

	@property
	def oauth_token_lifetime(self) -> float:
		"""Lifetime (s) of OAuth access tokens issued from now on; settable."""
		return self.auth.token_lifetime

	@oauth_token_lifetime.setter
	def oauth_token_lifetime(self, seconds: float) -> None:
		self.auth.token_lifetime = seconds

	@property
	def demo_files(self) -> dict[str, str]:
		"""Ids of the seeded file, image, dossier attachment and report (for data-connector tests)."""
		return {
			"file_id": DEMO_FILE_GUID,
			"file_name": DEMO_FILE_NAME,
			"image_id": DEMO_IMAGE_ID,
			"subject_id": DEMO_SUBJECT_ID,
			"subject_file_id": DEMO_SUBJECT_FILE_ID,
			"report_id": DEMO_REPORT_ID,
		}

	# --- data ----------------------------------------------------------------------------------------------

	def reset_data(self, demo_data: bool = True) -> None:
		"""A fresh environment: every connector's data back to the demo's (or empty), faults kept."""
		store = Store()
		load_demo(store, with_rows=demo_data)
		self.store = store

	def generate_rows(self, connector_id: str, n: int, seed: int = 1) -> int:
		"""Replace a GetConnector's rows with ``n`` generated ones; returns ``n``."""
		spec = self.store.table(connector_id).spec
		self.store.replace_rows(spec.id, generate_demo_rows(spec, n, seed))
		return n

	def add_rows(self, connector_id: str, rows: list[dict[str, Any]]) -> None:
		"""Append rows (wire or Python values); a missing modified date becomes now."""
		self.store.add_rows(connector_id, rows)

	def update_row(self, connector_id: str, key_value: Any, changes: dict[str, Any]) -> None:
		"""Change a row in place and bump its modified date to now (unless ``changes`` sets it)."""
		self.store.update_row(connector_id, key_value, changes)

	def delete_row(self, connector_id: str, key_value: Any) -> None:
		"""Hard-delete a row (debtors also get a line in ``ERP_Debtors_Deleted``)."""
		self.store.delete_row(connector_id, key_value)

	def load_payroll(self, entries: tuple | None = None, year: int = 2024) -> None:
		"""Add AFAS Payroll's journal (60), its accounts and monthly entries (``demo_data.load_payroll``);
		``entries`` as ``(entry number, period, ((account, debit, credit, cost centre, text), …))``."""
		if entries is None:
			load_payroll(self.store, year=year)
		else:
			load_payroll(self.store, entries, year)

	def block_period(self, year: int, period: int, unit: int = 1, blocked: bool = True) -> None:
		"""Block (or open) a period of an administration, as an accountant closing a month does: a
		journal entry in it gets AFAS's "belongs to a blocked period" 500."""
		with self.store.lock:
			table = self.store.table("Profit_periods_per_administration")
			rows = [
				r
				for r in table.rows
				if (r.values["Unit"], r.values["Year"], r.values["Period"]) == (unit, year, period)
			]
			if not rows:
				raise KeyError(f"No period {period} of {year} in administration {unit}")
			for row in rows:
				row.values["Blocked"] = blocked
				row.wire["Blocked"] = blocked
			table.changed()

	def add_administration(self, unit: int, name: str) -> None:
		"""A second administration in this environment (two companies booking into one AFAS
		environment), with the journals and periods of administration 1."""
		store = self.store
		with store.lock:
			store.add_rows(
				"Profit_Administrations", [{"AdminId": unit, "AdminNm": name, "AdminCd": str(unit)}]
			)
			journals = [
				dict(r.values, UnitId=unit)
				for r in store.table("Profit_Journals").rows
				if r.values["UnitId"] == 1
			]
			periods = [
				dict(r.values, Unit=unit)
				for r in store.table("Profit_periods_per_administration").rows
				if r.values["Unit"] == 1
			]
			store.add_rows("Profit_Journals", journals)
			store.add_rows("Profit_periods_per_administration", periods)

	def number_entries_from(self, unit: int, number: int) -> None:
		"""The next journal entry of administration ``unit`` gets entry number ``number``, as after
		the environment was restored from an older copy: AFAS gives numbers out again."""
		with self.store.lock:
			self.store.counters[f"EnNo@{unit}"] = number - 1

	def lock_booking_layout(self, times: int | None = 1) -> Fault:
		"""Another user holds the FiEntries booking layout: the next ``times`` POSTs (None: all until
		``faults.clear()``) get AFAS's lock message, the one 500 AFAS says to retry (troubleshooting.md)."""
		return self.faults.add(connector="FiEntries", kind="lock", times=times, method="POST")

	def rows(self, connector_id: str) -> list[dict[str, Any]]:
		"""Current rows as the GetConnector renders them (copies), in insertion order."""
		return self.store.rows(connector_id)

	def records(self, update_connector_id: str) -> dict[str, dict[str, Any]]:
		"""What an UpdateConnector stored, by key: fields flattened, sub-objects nested by name."""
		return self.store.records(update_connector_id)

	# --- request log and auth switches -----------------------------------------------------------------

	def _log(self, record: RequestRecord, started: float) -> None:
		record.duration = time.perf_counter() - started
		with self._requests_lock:
			self._requests.append(record)

	@property
	def requests(self) -> list[RequestRecord]:
		with self._requests_lock:
			return list(self._requests)

	def clear_requests(self) -> None:
		"""Forget the recorded requests and the peak of parallel calls."""
		with self._requests_lock:
			self._requests.clear()
			self._peak_in_flight = self._in_flight

	def call_started(self) -> None:
		with self._requests_lock:
			self._in_flight += 1
			self._peak_in_flight = max(self._peak_in_flight, self._in_flight)

	def call_ended(self) -> None:
		with self._requests_lock:
			self._in_flight -= 1

	@property
	def concurrency(self) -> dict[str, int]:
		"""``{"in_flight": calls being answered now, "peak": most at once since the last reset}``."""
		with self._requests_lock:
			return {"in_flight": self._in_flight, "peak": self._peak_in_flight}

	def revoke_token(self) -> None:
		"""From now on the classic token gets 401 (a token revoked mid-run)."""
		self.auth.revoked = True

	def restore_token(self) -> None:
		self.auth.revoked = False
