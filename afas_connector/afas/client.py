"""AFAS Profit REST client: GetConnectors, UpdateConnectors, metainfo and the data connectors.

Pure Python on ``requests`` (no frappe), so it is tested against the simulator on any machine and
used unchanged by the frappe layer. One :class:`AfasClient` holds one keep-alive session; it is
cheap to create per sync run.
"""

from __future__ import annotations

import base64
import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit

import requests

from afas_connector.afas.auth import OAuthTokenCache, encode_token
from afas_connector.afas.config import AfasConfig
from afas_connector.afas.errors import (
	AfasAuthError,
	AfasError,
	AfasForeignAnswerError,
	AfasMaintenanceError,
	AfasOutcomeUnknownError,
	AfasPagingError,
	AfasPayloadTooLargeError,
	AfasRedirectError,
	AfasResponseError,
	AfasTimeoutError,
	AfasTransportError,
	QueryTooLongError,
	error_for_profit_header,
	error_for_status,
	is_afas_error_body,
	redact,
)
from afas_connector.afas.filters import Condition, FilterSet, Operator
from afas_connector.afas.update import (
	MAX_BODY_BYTES,
	Record,
	UpdateResult,
	build_body,
	delete_path,
	encode_body,
	parse_update_result,
)

logger = logging.getLogger(__name__)

#: AFAS's limit on the parameter string, counted from the ``?`` onward. One more → 404.
MAX_QUERY_LENGTH = 2049
#: AFAS's sizing rule for a page: columns × take < 150,000.
CELLS_PER_PAGE = 150_000
#: Used when the column count is unknown and metainfo cannot tell.
DEFAULT_COLUMNS = 50

FilterInput = FilterSet | Iterable[Any] | None
#: Says why parsed JSON is not the answer AFAS gives to a call (None when it is).
Shape = Callable[[Any], str | None]
#: The most of a request or response body an :class:`Exchange` keeps.
EXCERPT_BYTES = 2000


def take_for_columns(columns: int) -> int:
	"""The page size AFAS advises for a GetConnector with ``columns`` fields."""
	return max(1, CELLS_PER_PAGE // max(1, int(columns)))


@dataclass
class Page:
	"""One GetConnector answer."""

	rows: list[dict[str, Any]]
	skip: int
	take: int

	@property
	def is_last(self) -> bool:
		return self.take < 0 or len(self.rows) < self.take


@dataclass
class Exchange:
	"""A redacted record of one HTTP attempt, for Sync Logs, debugging and counting usage. Holds no
	headers.

	``response_excerpt`` holds AFAS's answers only, at most 2,000 characters: an answer that is not
	AFAS's (see :class:`AfasForeignAnswerError`) or a redirect is a one-line description instead, so a
	log never reads back what another service at the Base URL answered.

	``connector`` is what the attempt called, from its path: the Get- or UpdateConnector's id for
	``/connectors/{id}…``, else the service (``metainfo``, ``ProfitVersion``, ``FileConnector``,
	``ImageConnector``, ``SubjectConnector``, ``ReportConnector``). ``rows`` is the number of rows a
	GetConnector answered (0 for any other call and for a failed attempt); ``bytes`` the request body's
	plus the response body's length in bytes (headers and URL not counted). ``elapsed`` is in seconds.
	"""

	method: str
	path: str
	status: int | None
	elapsed: float
	attempt: int
	request_excerpt: str = ""
	response_excerpt: str = ""
	error: str | None = None
	connector: str = ""
	rows: int = 0
	bytes: int = 0


@dataclass
class FileResult:
	"""A file from the File/Image/Subject/Report connectors."""

	filename: str | None
	mimetype: str | None
	data: bytes
	raw: dict[str, Any] = field(default_factory=dict, repr=False)


class AfasClient:
	"""Talks to one AFAS Profit environment.

	The credentials go to ``config.root_url`` and nowhere else: a redirect is never followed (it is an
	:class:`AfasRedirectError` naming the target), and an answer that is not AFAS's is reported by
	what it is, never repeated (:class:`AfasForeignAnswerError`).

	``sleep`` and ``rand`` are injectable so retry timing is testable without waiting.
	``on_exchange`` receives an :class:`Exchange` after every HTTP attempt (redacted), in the thread
	that made the attempt. ``on_close`` is called after :meth:`close` (every time it is called).
	"""

	def __init__(
		self,
		config: AfasConfig,
		*,
		session: requests.Session | None = None,
		sleep: Callable[[float], None] = time.sleep,
		rand: Callable[[], float] = random.random,
		on_exchange: Callable[[Exchange], None] | None = None,
		on_close: Callable[[], None] | None = None,
	) -> None:
		config.validate()
		self.config = config
		self.root = config.root_url
		parts = urlsplit(self.root)
		#: The host (and port) named in errors and descriptions: never a user or password part.
		self.host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
		self._session = session or requests.Session()
		self._sleep = sleep
		self._rand = rand
		self._on_exchange = on_exchange
		self._on_close = on_close
		self._columns: dict[str, int] = {}
		self._secrets = tuple(s for s in (config.token, config.client_secret) if s)
		self.request_count = 0
		#: Writes (POST, PUT, DELETE) handed to the network so far. A write counted here may have
		#: reached AFAS whatever happens next in this process (a job timeout, a signal, an error of the
		#: caller): the caller treats its outcome as unknown unless AFAS's answer said otherwise.
		self.writes_started = 0
		if config.auth_method == "oauth2":
			self._oauth: OAuthTokenCache | None = OAuthTokenCache(self._fetch_oauth_token)
			self._token_header = None
		else:
			self._oauth = None
			self._token_header = "AfasToken " + encode_token(config.token)
		self._secrets += tuple(s for s in (self._token_header,) if s)
		self._base_headers = {"Accept": "application/json", "Accept-Language": config.language}
		if config.integration_id:
			self._base_headers["IntegrationId"] = config.integration_id.strip()

	def __repr__(self) -> str:
		return f"AfasClient(root={self.root!r}, auth={self.config.auth_method!r})"

	def close(self) -> None:
		"""Close the keep-alive session, then call ``on_close``."""
		self._session.close()
		if self._on_close is not None:
			self._on_close()

	def __enter__(self) -> AfasClient:
		return self

	def __exit__(self, *exc: object) -> None:
		self.close()

	# ------------------------------------------------------------------ metainfo and version

	def metainfo(self) -> dict[str, Any]:
		"""The Get- and UpdateConnectors this token may use, and environment info."""
		return self._json("GET", "/metainfo", shape=_metainfo_shape)

	def metainfo_get(self, connector: str) -> dict[str, Any]:
		"""Fields of a GetConnector (``id`` is the name to filter and sort on)."""
		data = self._json("GET", f"/metainfo/get/{quote(connector, safe='')}", shape=_fields_shape)
		self._columns[connector] = len(data.get("fields") or []) or DEFAULT_COLUMNS
		return data

	def metainfo_update(self, connector: str) -> dict[str, Any]:
		"""Fields and nested objects of an UpdateConnector."""
		return self._json("GET", f"/metainfo/update/{quote(connector, safe='')}", shape=_fields_shape)

	def profit_version(self) -> str:
		"""The Profit version of the environment, e.g. ``"22.22.5"``."""
		return str(self._json("GET", "/ProfitVersion", shape=_version_shape)["version"])

	def column_count(self, connector: str) -> int:
		"""Number of fields in a GetConnector, from metainfo, asked once per client."""
		if connector not in self._columns:
			self.metainfo_get(connector)
		return self._columns[connector]

	# ------------------------------------------------------------------ GetConnector

	def get_page(
		self,
		connector: str,
		*,
		skip: int = 0,
		take: int = 100,
		filters: FilterInput = None,
		order_by: str | Iterable[str] | None = None,
		prefer_filterjson: bool = False,
	) -> Page:
		"""One page of a GetConnector. Raises :class:`QueryTooLongError` before sending an over-long URL."""
		filter_set = filters if isinstance(filters, FilterSet) else FilterSet.from_spec(filters)
		query = self._get_query(filter_set, order_by, skip, take, prefer_filterjson)
		if query is None:
			raise QueryTooLongError(
				f"The filter for {connector} makes a query string over {MAX_QUERY_LENGTH} characters even as "
				"filterjson; use fewer values per filter or iter_rows(), which splits OR groups",
				path=f"/connectors/{connector}",
			)
		data = self._json("GET", f"/connectors/{quote(connector, safe='')}", query=query, shape=_rows_shape)
		return Page(rows=data["rows"], skip=skip, take=take)

	def iter_pages(
		self,
		connector: str,
		*,
		order_by: str | Iterable[str],
		filters: FilterInput = None,
		take: int | None = None,
		columns: int | None = None,
		start_skip: int = 0,
	) -> Iterator[Page]:
		"""Every page of a GetConnector by skip/take, sorted stably, sized by the 150,000-cell rule.

		``order_by`` is required: AFAS pages without it can skip and repeat rows. When a filter is too
		long for one URL, its OR groups are split over several queries and rows seen twice (by the
		order-by fields, which should include a unique key) are dropped.

		Skip/take loses a live row when AFAS deletes one before it while the scan runs (the rest shift
		down a place): a scan that must see every row uses :meth:`iter_keyset_pages`. The loop ends
		whatever AFAS answers: a full page with the same rows as the one before (AFAS ignoring ``skip``) is
		an error, not a reason to go on.
		"""
		order = _order_list(order_by)
		if not order:
			raise ValueError("iter_rows/iter_pages need order_by: AFAS pages are only stable when sorted")
		if take is None:
			take = take_for_columns(columns if columns else self.column_count(connector))
		_check_paging(take, start_skip)
		filter_set = filters if isinstance(filters, FilterSet) else FilterSet.from_spec(filters)
		parts = self._split_for_length(connector, filter_set, order, take)
		seen: set[tuple] | None = set() if len(parts) > 1 else None
		for part in parts:
			skip = start_skip
			previous: list[dict[str, Any]] | None = None
			while True:
				page = self.get_page(connector, skip=skip, take=take, filters=part, order_by=order)
				if not page.is_last and page.rows == previous:
					raise AfasPagingError(
						f"GetConnector {connector} answered skip={skip} with the same page as before; "
						"stopping instead of paging forever",
						path=f"/connectors/{connector}",
					)
				previous = page.rows
				if seen is not None:
					fresh = []
					for row in page.rows:
						ident = tuple(row.get(f.lstrip("-")) for f in order)
						if ident not in seen:
							seen.add(ident)
							fresh.append(row)
					yield Page(rows=fresh, skip=page.skip, take=page.take)
				else:
					yield page
				if page.is_last:
					break
				skip += take

	def iter_keyset_pages(
		self,
		connector: str,
		key_field: str,
		*,
		filters: FilterInput = None,
		take: int | None = None,
		columns: int | None = None,
	) -> Iterator[Page]:
		"""Every row of a GetConnector, page by page, by key: each page asks ``key > last key`` with
		``skip=0``, sorted by the key, as the inbound run does.

		Rows AFAS deletes or adds while the scan runs cannot shift a live row past the scan (skip/take
		can: PracticalAfas's warning), so this is the scan for a full reconcile. ``key_field`` must be
		unique per row. It ends whatever AFAS answers: an empty or short page is the last; a full page
		whose last key is empty or does not move past the previous one raises :class:`AfasPagingError`.
		"""
		_check_key_field(key_field)
		if take is None:
			take = take_for_columns(columns if columns else self.column_count(connector))
		_check_paging(take, 0)
		filter_set = filters if isinstance(filters, FilterSet) else FilterSet.from_spec(filters)
		cursor: Any = None
		passed: set[Any] = set()
		while True:
			page_filters = (
				filter_set.and_also([_after(key_field, cursor)]) if cursor is not None else filter_set
			)
			page = self.get_page(connector, skip=0, take=take, filters=page_filters, order_by=[key_field])
			yield page
			if page.is_last:
				return
			last = page.rows[-1].get(key_field)
			if last in (None, "") or last in passed:
				raise AfasPagingError(
					f"GetConnector {connector} answered a full page whose last {key_field} ({last!r}) does "
					f"not move past the previous page's ({cursor!r}); stopping instead of paging forever. "
					f"Is {key_field} unique and sortable in this GetConnector?",
					path=f"/connectors/{connector}",
				)
			passed.add(last)
			cursor = last

	def iter_rows(self, connector: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
		"""Every row of a GetConnector; see :meth:`iter_pages` for the arguments."""
		for page in self.iter_pages(connector, **kwargs):
			yield from page.rows

	def _get_query(
		self, filters: FilterSet, order_by: Any, skip: int, take: int, prefer_json: bool
	) -> str | None:
		"""The query string (without ``?``), or None when no form fits in 2049 characters."""
		head = {"skip": str(int(skip)), "take": str(int(take))}
		order = _order_list(order_by)
		tail = {"orderbyfieldids": ",".join(order)} if order else {}
		candidates = [filters.to_query_params(prefer_json=prefer_json)]
		if filters and not prefer_json and "filterjson" not in candidates[0]:
			candidates.append(filters.to_query_params(prefer_json=True))
		for params in candidates:
			query = urlencode({**head, **params, **tail}, quote_via=quote, safe=",;-")
			if len(query) + 1 <= MAX_QUERY_LENGTH:
				return query
		return None

	def _split_for_length(
		self, connector: str, filters: FilterSet, order: list[str], take: int
	) -> list[FilterSet]:
		"""Split the OR groups of a filter into as few queries as fit the URL limit."""
		if self._get_query(filters, order, 0, take, False) is not None:
			return [filters]
		parts: list[FilterSet] = []
		current = FilterSet()
		for group in filters.groups:
			trial = FilterSet(current.groups + [group])
			if self._get_query(trial, order, 10**9, take, False) is not None:
				current = trial
				continue
			if not current.groups:
				raise QueryTooLongError(
					f"One AND group of the filter for {connector} alone makes a query string over "
					f"{MAX_QUERY_LENGTH} characters; shorten its values",
					path=f"/connectors/{connector}",
				)
			parts.append(current)
			current = FilterSet([group])
			if self._get_query(current, order, 10**9, take, False) is None:
				raise QueryTooLongError(
					f"One AND group of the filter for {connector} alone makes a query string over "
					f"{MAX_QUERY_LENGTH} characters; shorten its values",
					path=f"/connectors/{connector}",
				)
		parts.append(current)
		return parts

	# ------------------------------------------------------------------ UpdateConnector

	def insert(
		self,
		connector: str,
		records: Record | list[Record] | dict[str, Any],
		*,
		subelement: str | None = None,
		root: str | None = None,
	) -> UpdateResult:
		"""POST: add records; returns the keys AFAS assigned (when it returns any).

		``root`` overrides the body's root element (default: AFAS's own for the connector, see
		:func:`~afas_connector.afas.update.root_element`).
		"""
		return self._update("POST", connector, records, subelement, root)

	def update(
		self,
		connector: str,
		records: Record | list[Record] | dict[str, Any],
		*,
		subelement: str | None = None,
		root: str | None = None,
	) -> UpdateResult:
		"""PUT: change the fields sent; key fields identify the record, ``""`` clears a field.

		``root`` overrides the body's root element (default: AFAS's own for the connector, see
		:func:`~afas_connector.afas.update.root_element`).
		"""
		return self._update("PUT", connector, records, subelement, root)

	def delete(self, connector: str, element: str, keys: dict[str, Any]) -> UpdateResult:
		"""DELETE ``/connectors/{connector}/{element}/@K1,K2/v1,v2`` — final in AFAS."""
		path = delete_path(connector, element, keys)
		response, _ = self._send("DELETE", path)
		return parse_update_result(connector, response.status_code, _text(response))

	def _update(
		self, method: str, connector: str, records: Any, subelement: str | None, root: str | None
	) -> UpdateResult:
		body = encode_body(build_body(connector, records, root))
		if len(body) > MAX_BODY_BYTES:
			raise AfasPayloadTooLargeError(
				f"The {connector} request body is {len(body) / 1_048_576:.1f} MB; AFAS accepts at most 75 MB. "
				"Send fewer records per call.",
				method=method,
				path=f"/connectors/{connector}",
			)
		path = f"/connectors/{quote(connector, safe='')}"
		if subelement:
			path += "/" + "/".join(quote(p, safe="") for p in subelement.strip("/").split("/"))
		response, _ = self._send(method, path, body=body)
		return parse_update_result(connector, response.status_code, _text(response))

	# ------------------------------------------------------------------ data connectors

	def file(self, file_id: str, filename: str) -> FileResult:
		"""FileConnector: a file by id and its original name (404 = missing *or* no rights)."""
		return self._file(f"/fileconnector/{quote(file_id, safe='')}/{quote(filename, safe='')}")

	def image(self, image_id: str, image_format: int = 0) -> FileResult:
		"""ImageConnector: 0 = original, 1 = thumbnail, 2 = medium."""
		if image_format not in (0, 1, 2):
			raise ValueError("image_format must be 0 (original), 1 (thumbnail) or 2 (medium)")
		return self._file(f"/ImageConnector/{quote(str(image_id), safe='')}", query=f"format={image_format}")

	def subject_attachment(self, subject_id: str | int, file_id: str) -> FileResult:
		"""SubjectConnector: an attachment of a dossier item."""
		return self._file(f"/SubjectConnector/{quote(str(subject_id), safe='')}/{quote(file_id, safe='')}")

	def report(self, report_id: str, *, filters: FilterInput = None) -> FileResult:
		"""ReportConnector: a report rendered as PDF, with the usual filter parameters."""
		filter_set = filters if isinstance(filters, FilterSet) else FilterSet.from_spec(filters)
		query = urlencode(filter_set.to_query_params(), quote_via=quote, safe=",;") if filter_set else ""
		return self._file(f"/ReportConnector/{quote(report_id, safe='')}", query=query)

	def _file(self, path: str, query: str = "") -> FileResult:
		data = self._json("GET", path, query=query, shape=_file_shape)
		encoded = data.get("filedata") or ""
		try:
			content = base64.b64decode(encoded)
		except ValueError as exc:
			raise AfasResponseError(f"{path} returned filedata that is not base64", path=path) from exc
		return FileResult(
			filename=data.get("filename"), mimetype=data.get("mimetype"), data=content, raw=data
		)

	# ------------------------------------------------------------------ HTTP

	def _json(self, method: str, path: str, *, query: str = "", shape: Shape | None = None) -> Any:
		return self._send(method, path, query=query, expect_json=True, shape=shape)[1]

	def _send(
		self,
		method: str,
		path: str,
		*,
		query: str = "",
		body: bytes | None = None,
		expect_json: bool = False,
		shape: Shape | None = None,
	) -> tuple[requests.Response, Any]:
		"""Send with the retry rules AFAS documents; raise the matching :class:`AfasError`.

		With ``expect_json`` a 2xx body that is not JSON (malformed, cut off) counts as a failed
		attempt too, repeated for reads; ``shape`` says why parsed JSON is not the answer AFAS gives
		(None when it is). Redirects are never followed (:meth:`_redirect`).
		"""
		url = self.root + path + (("?" + query) if query else "")
		shown = path + (("?" + query) if query else "")
		policy = self.config.retry
		attempt = 0
		reauthed = False
		while True:
			attempt += 1
			headers = dict(self._base_headers)
			headers["Authorization"] = self._authorization()
			if body is not None:
				headers["Content-Type"] = "application/json;charset=utf-8"
			started = time.perf_counter()
			self.request_count += 1
			if method != "GET":
				self.writes_started += 1
			try:
				response = self._session.request(
					method,
					url,
					data=body,
					headers=headers,
					timeout=(self.config.connect_timeout, self.config.timeout),
					allow_redirects=False,
				)
				_ = response.content  # read the body now, so truncation surfaces here
			except requests.exceptions.RequestException as exc:
				error = self._transport_error(exc, method, shown)
				self._record(method, shown, started, attempt, body, None, error)
				if method != "GET" and not _never_connected(exc):
					error = AfasOutcomeUnknownError(
						f"{error.message}. The request reached AFAS, which may have saved it; "
						"check AFAS before sending it again",
						method=method,
						path=shown,
					)
				elif attempt < policy.max_attempts:
					self._sleep(policy.delay(attempt, self._rand()))
					continue
				raise error from None
			status = response.status_code
			if 300 <= status < 400:
				error = self._redirect(response, method, shown)
				self._record(method, shown, started, attempt, body, response, error, shown_as=error.message)
				raise error
			if status < 400:
				foreign = None if _parsed(response)[0] else self.describe(response)
			else:
				foreign = None if is_afas_error_body(_text(response)) else self.describe(response)
			header_error = (
				error_for_profit_header(
					status,
					_text(response),
					dict(response.headers),
					method=method,
					path=shown,
					secrets=self._secrets,
					foreign=foreign,
				)
				if status < 400
				else None
			)
			if header_error is not None:
				self._record(method, shown, started, attempt, body, response, header_error, shown_as=foreign)
				if header_error.retryable and attempt < policy.max_attempts:
					self._sleep(policy.delay(attempt, self._rand()))
					continue
				raise header_error
			if status < 400:
				data, error, foreign = self._read_success(
					response, method, shown, expect_json, shape, foreign
				)
				if error is not None:
					self._record(method, shown, started, attempt, body, response, error, shown_as=foreign)
					if error.retryable and method == "GET" and attempt < policy.max_attempts:
						self._sleep(policy.delay(attempt, self._rand()))
						continue
					raise error
				rows = _row_count(method, path, data)
				self._record(method, shown, started, attempt, body, response, None, rows)
				return response, data
			error = error_for_status(
				status,
				_text(response),
				dict(response.headers),
				method=method,
				path=shown,
				secrets=self._secrets,
				foreign=foreign,
			)
			self._record(method, shown, started, attempt, body, response, error, shown_as=foreign)
			if status == 401 and self._oauth is not None and not reauthed:
				reauthed = True
				self._oauth.invalidate()
				continue
			if error.retryable and attempt < policy.max_attempts:
				wait = policy.delay(attempt, self._rand())
				if isinstance(error, AfasMaintenanceError) and error.retry_after is not None:
					if error.retry_after > policy.max_retry_after:
						raise error
					wait = error.retry_after
				self._sleep(wait)
				continue
			raise error

	def _read_success(
		self,
		response: requests.Response,
		method: str,
		shown: str,
		expect_json: bool,
		shape: Shape | None,
		foreign: str | None,
	) -> tuple[Any, AfasError | None, str | None]:
		"""A 2xx answer read: ``(data, error, description)``. The description is set when the answer is
		not AFAS's, and is then all that the error and the excerpt say of it."""
		where = f"{method} {shown.split('?')[0]}"
		common: dict[str, Any] = {"status": response.status_code, "method": method, "path": shown}
		if foreign and method != "GET":
			return (
				None,
				AfasOutcomeUnknownError(
					f"{foreign}, to {where}. The request may have reached AFAS, which may have saved it; "
					"check AFAS before sending it again",
					body_excerpt=foreign,
					**common,
				),
				foreign,
			)
		if not expect_json:
			return None, None, foreign
		if not response.content.strip():
			foreign = self.describe(response)
		if foreign and _claims_json(response):
			# Sent as JSON but not JSON: AFAS's answer cut off or garbled on the way; a read is repeated.
			return (
				None,
				AfasResponseError(f"{foreign}: not valid JSON, to {where}", body_excerpt=foreign, **common),
				foreign,
			)
		parsed, data = _parsed(response)  # parsed once per answer, here and in the success check
		if not parsed or not response.content.strip():
			data, why = None, "not JSON"
		else:
			why = shape(data) if shape is not None else None
		if why is None:
			return data, None, None
		foreign = foreign or self.describe(response)
		return (
			None,
			AfasForeignAnswerError(f"{foreign}: {why}, to {where}", body_excerpt=foreign, **common),
			foreign,
		)

	def describe(self, response: requests.Response) -> str:
		"""One line that tells an answer without repeating it: ``Not an AFAS answer from host: HTTP 200
		text/html, 5 kB``. Used wherever an answer is not AFAS's."""
		kind = _one_line((response.headers.get("Content-Type") or "").split(";")[0], 60) or "no Content-Type"
		return (
			f"Not an AFAS answer from {self.host}: HTTP {response.status_code} {kind}, "
			f"{_size(len(response.content))}"
		)

	def _redirect(self, response: requests.Response, method: str, path: str) -> AfasRedirectError:
		"""A 3xx, never followed: the next request would carry the credentials to the target."""
		location = _one_line(redact(response.headers.get("Location") or "", self._secrets), 300)
		target = f"to {location}" if location else "without a Location"
		return AfasRedirectError(
			f"{self.host} answered {method} {path.split('?')[0]} with a redirect (HTTP {response.status_code}) "
			f"{target}. Redirects are not followed, so the credentials go only to the Base URL they were "
			"entered for: set Base URL (or the environment) to the address AFAS answers on itself",
			location=location or None,
			status=response.status_code,
			method=method,
			path=path,
		)

	def _authorization(self) -> str:
		if self._oauth is not None:
			return "Bearer " + self._oauth.bearer()
		return self._token_header  # type: ignore[return-value]

	def _transport_error(self, exc: Exception, method: str, path: str) -> AfasError:
		where = f"{method} {self.root}{path.split('?')[0]}"
		if isinstance(exc, requests.exceptions.ConnectTimeout):
			return AfasTimeoutError(
				"Could not connect to AFAS within {0} s: {1}",
				values=(f"{self.config.connect_timeout:g}", where),
				method=method,
				path=path,
			)
		if isinstance(exc, requests.exceptions.Timeout):
			return AfasTimeoutError(
				"AFAS did not answer within {0} s: {1} (AFAS may still process the request)",
				values=(f"{self.config.timeout:g}", where),
				method=method,
				path=path,
			)
		if isinstance(
			exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError
		):
			return AfasResponseError(
				"AFAS's answer was cut off or unreadable: {0}", values=(where,), method=method, path=path
			)
		reason = type(_root_cause(exc)).__name__
		return AfasTransportError(
			"Could not reach AFAS ({0}): {1}", values=(reason, where), method=method, path=path
		)

	def _record(
		self,
		method: str,
		path: str,
		started: float,
		attempt: int,
		body: bytes | None,
		response: requests.Response | None,
		error: AfasError | None,
		rows: int = 0,
		*,
		shown_as: str | None = None,
	) -> None:
		"""Tell ``on_exchange`` about one attempt (``response`` None: no answer came). ``shown_as``
		replaces the answer's body in the excerpt when it is not AFAS's (a redirect, another service):
		only AFAS's answers are kept."""
		elapsed = time.perf_counter() - started
		status = response.status_code if response is not None else None
		response_body = response.content if response is not None else b""
		if error is not None:
			logger.info(
				"AFAS %s %s -> %s after %.3fs (attempt %d): %s", method, path, status, elapsed, attempt, error
			)
		if self._on_exchange is None:
			return
		if shown_as is not None:
			excerpt = shown_as
		else:
			excerpt = redact(response_body[:EXCERPT_BYTES].decode("utf-8", "replace"), self._secrets)
		self._on_exchange(
			Exchange(
				method=method,
				path=redact(path, self._secrets),
				status=status,
				elapsed=elapsed,
				attempt=attempt,
				request_excerpt=redact(body[:EXCERPT_BYTES].decode("utf-8", "replace"), self._secrets)
				if body
				else "",
				response_excerpt=excerpt,
				error=str(error) if error else None,
				connector=connector_of(path),
				rows=rows,
				bytes=len(body or b"") + len(response_body),
			)
		)

	def _fetch_oauth_token(self) -> dict:
		"""Client-credentials grant at ``/oauth/token`` (form-encoded, as AFAS requires), at the same
		root as every other call and without following redirects: the client secret goes nowhere else."""
		url = self.root + "/oauth/token"
		path = "/oauth/token"
		form = {
			"grant_type": "client_credentials",
			"client_id": self.config.client_id,
			"client_secret": self.config.client_secret,
		}
		try:
			response = self._session.post(
				url,
				data=form,
				headers={"Accept": "application/json"},
				timeout=(self.config.connect_timeout, self.config.timeout),
				allow_redirects=False,
			)
		except requests.exceptions.RequestException as exc:
			raise self._transport_error(exc, "POST", path) from None
		self.request_count += 1
		status = response.status_code
		if 300 <= status < 400:
			raise self._redirect(response, "POST", path)
		if status != 200:
			if not is_afas_error_body(_text(response)):
				raise AfasAuthError(
					f"AFAS's OAuth token endpoint did not answer (HTTP {status}): {self.describe(response)}",
					status=status,
					method="POST",
					path=path,
					body_excerpt=self.describe(response),
				)
			data = json.loads(response.content) if response.content.strip() else {}
			code = data.get("error") if isinstance(data.get("error"), str) else None
			description = data.get("error_description") if isinstance(data, dict) else None
			raise AfasAuthError(
				f"AFAS refused the OAuth client credentials ({status} {code or ''}): "
				f"{redact(str(description or 'no details'), self._secrets)}",
				status=status,
				method="POST",
				path=path,
			)
		try:
			data = json.loads(response.content)
		except ValueError:
			data = None
		if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
			raise AfasForeignAnswerError(
				f"{self.describe(response)}: no access_token, to POST {path}",
				status=status,
				method="POST",
				path=path,
				body_excerpt=self.describe(response),
			)
		return data


#: The service a path outside ``/connectors/`` calls, by its first path segment in lower case.
SERVICES = {
	name.lower(): name
	for name in (
		"metainfo",
		"ProfitVersion",
		"FileConnector",
		"ImageConnector",
		"SubjectConnector",
		"ReportConnector",
	)
}


def connector_of(path: str) -> str:
	"""What a request path calls: ``/connectors/Profit_Debtors?skip=0`` → ``Profit_Debtors`` (the
	connector id, unquoted, for GetConnector reads and UpdateConnector writes and deletes alike);
	``/metainfo/get/X`` → ``metainfo``; ``/fileconnector/…`` → ``FileConnector``. Another path gives
	its first segment."""
	parts = path.split("?", 1)[0].strip("/").split("/")
	if parts[0].lower() == "connectors" and len(parts) > 1 and parts[1]:
		return unquote(parts[1])
	return SERVICES.get(parts[0].lower(), unquote(parts[0]))


def _row_count(method: str, path: str, data: Any) -> int:
	"""The rows of a GetConnector answer; 0 for any other call."""
	if method != "GET" or not path.lower().startswith("/connectors/") or not isinstance(data, dict):
		return 0
	rows = data.get("rows")
	return len(rows) if isinstance(rows, list) else 0


def _metainfo_shape(data: Any) -> str | None:
	"""``GET /metainfo``: ``{"getConnectors": [...], "updateConnectors": [...], "info": {...}}``."""
	if not isinstance(data, dict) or not any(
		isinstance(data.get(name), list) for name in ("getConnectors", "updateConnectors")
	):
		return "no getConnectors or updateConnectors list"
	return None


def _fields_shape(data: Any) -> str | None:
	"""``GET /metainfo/get|update/{id}``: ``{"name", "description", "fields": [...]}``."""
	if not isinstance(data, dict) or not isinstance(data.get("fields"), list):
		return "no fields list"
	return None


def _version_shape(data: Any) -> str | None:
	"""``GET /ProfitVersion``: ``{"version": "22.22.5"}``."""
	if not isinstance(data, dict) or not isinstance(data.get("version"), str | int | float):
		return "no version"
	return None


def _rows_shape(data: Any) -> str | None:
	"""A GetConnector page: ``{"skip", "take", "rows": [...]}``."""
	if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
		return "no rows list"
	return None


def _file_shape(data: Any) -> str | None:
	"""File, Image, Subject and Report connectors: ``{"filedata", "mimetype", "filename"}``."""
	if not isinstance(data, dict) or not isinstance(data.get("filedata", 0), str | None):
		return "no filedata"
	return None


def _parsed(response: requests.Response) -> tuple[bool, Any]:
	"""Whether a body is one AFAS could have sent (nothing, or JSON: every AFAS answer is JSON), and
	its parsed value; parsed once per answer and kept on it (a page of 150,000 cells is not parsed
	twice: the benchmark against a bare loop saw it)."""
	cached = getattr(response, "_afas_parsed", None)
	if cached is None:
		content = response.content
		if not content.strip():
			cached = (True, None)
		else:
			try:
				cached = (True, json.loads(content))
			except ValueError:
				cached = (False, None)
		response._afas_parsed = cached
	return cached


def _claims_json(response: requests.Response) -> bool:
	"""Sent as JSON: a body that then does not parse is AFAS's own, cut off or garbled on the way."""
	kind = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
	return kind == "application/json" or kind.endswith("+json")


def _one_line(text: str, limit: int) -> str:
	"""Text from the other side, made safe to quote: one line of printable characters, at most ``limit``."""
	line = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
	return line if len(line) <= limit else line[: limit - 1] + "…"


def _size(count: int) -> str:
	"""``312 bytes``, ``5 kB``, ``1.2 MB``."""
	if count < 1000:
		return f"{count} bytes"
	if count < 1_000_000:
		return f"{round(count / 1000)} kB"
	return f"{count / 1_000_000:.1f} MB"


def _text(response: requests.Response) -> str:
	"""The body as text; AFAS always sends UTF-8, so skip requests' slow charset guessing."""
	return response.content.decode("utf-8", "replace")


def _check_paging(take: Any, skip: Any) -> None:
	"""A paging loop's parameters, checked before anything is sent: a loop with ``take`` below 1 never
	moves on (and ``-1`` is AFAS's discouraged "everything", not a page size)."""
	if isinstance(take, bool) or not isinstance(take, int) or take < 1:
		raise ValueError(f"take must be a whole number of rows of at least 1 to page; got {take!r}")
	if isinstance(skip, bool) or not isinstance(skip, int) or skip < 0:
		raise ValueError(f"skip must be a whole number of at least 0; got {skip!r}")


def _check_key_field(key_field: Any) -> None:
	if not isinstance(key_field, str) or not key_field.strip() or key_field.strip()[0] in "-+,":
		raise ValueError(
			f"A key-ordered scan needs one ascending key field (e.g. 'DebtorId'); got {key_field!r}"
		)


def _after(key_field: str, value: Any) -> Condition:
	return Condition.make(key_field.strip(), Operator.GREATER, value)


def _order_list(order_by: str | Iterable[str] | None) -> list[str]:
	if not order_by:
		return []
	if isinstance(order_by, str):
		return [p.strip() for p in order_by.split(",") if p.strip()]
	return [str(p).strip() for p in order_by if str(p).strip()]


def _root_cause(exc: BaseException) -> BaseException:
	seen = exc
	for _ in range(10):
		nxt = getattr(seen, "reason", None) or (
			seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None
		)
		nxt = nxt or seen.__cause__ or seen.__context__
		if not isinstance(nxt, BaseException) or nxt is seen:
			break
		seen = nxt
	return seen


def _never_connected(exc: Exception) -> bool:
	"""True when the failure happened before the request could reach AFAS (safe to resend a write)."""
	if isinstance(exc, requests.exceptions.ConnectTimeout):
		return True
	cause = _root_cause(exc)
	names = {type(cause).__name__}
	probe: BaseException | None = exc
	for _ in range(10):
		if probe is None:
			break
		names.add(type(probe).__name__)
		probe = getattr(probe, "reason", None) or probe.__cause__ or probe.__context__
	return bool(names & {"NewConnectionError", "ConnectionRefusedError", "NameResolutionError", "gaierror"})
