"""A server on 127.0.0.1 that is not AFAS, for the core and bench tests of where the token goes.

It answers what a test tells it (a redirect, another service's page, JSON of another shape) and
records every request with its headers, so a test can say what reached it. Plain ``http.server``: no
frappe, no pytest.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

#: (status, headers, body) of one answer.
Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Seen:
	"""One request the listener received."""

	method: str
	path: str
	headers: dict[str, str]
	body: bytes


class Listener:
	"""Answers every path with ``answer`` unless ``routes`` has one for the path (without the query);
	``seen`` lists what it received. ``start()`` serves in a daemon thread, ``stop()`` ends it."""

	def __init__(self, answer: Answer = (200, {}, b"")) -> None:
		self.answer = answer
		self.routes: dict[str, Answer] = {}
		self.seen: list[Seen] = []
		self._server: ThreadingHTTPServer | None = None

	@property
	def port(self) -> int:
		assert self._server is not None, "start() the listener first"
		return self._server.server_address[1]

	@property
	def base_url(self) -> str:
		return f"http://127.0.0.1:{self.port}/ProfitRestServices"

	def received(self, path_part: str) -> list[Seen]:
		return [s for s in self.seen if path_part in s.path]

	def authorizations(self) -> list[str]:
		"""Every Authorization header it was sent (the thing that must never arrive here)."""
		return [v for s in self.seen for k, v in s.headers.items() if k.lower() == "authorization"]

	def start(self) -> Listener:
		listener = self

		class Handler(BaseHTTPRequestHandler):
			protocol_version = "HTTP/1.1"

			def log_message(self, *args: object) -> None:
				pass

			def answer_request(self) -> None:
				length = int(self.headers.get("Content-Length") or 0)
				body = self.rfile.read(length) if length else b""
				listener.seen.append(Seen(self.command, self.path, dict(self.headers), body))
				status, headers, payload = listener.routes.get(self.path.split("?")[0], listener.answer)
				self.send_response(status)
				for name, value in headers.items():
					self.send_header(name, value)
				self.send_header("Content-Length", str(len(payload)))
				self.end_headers()
				self.wfile.write(payload)

			do_GET = do_POST = do_PUT = do_DELETE = answer_request

		self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
		self._server.daemon_threads = True
		threading.Thread(target=self._server.serve_forever, daemon=True).start()
		return self

	def stop(self) -> None:
		if self._server is not None:
			self._server.shutdown()
			self._server.server_close()
			self._server = None

	def __enter__(self) -> Listener:
		return self.start()

	def __exit__(self, *exc: object) -> None:
		self.stop()
