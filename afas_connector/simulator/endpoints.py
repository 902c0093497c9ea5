"""The AFAS REST endpoints under ``/ProfitRestServices``, as functions of a parsed :class:`Request`.

Decisions where AFAS is vague:

* An unknown GetConnector/UpdateConnector answers **500** with an ``externalMessage`` saying it does not exist
  or is not authorised in the App Connector (that is what Profit does; 404 is for unknown URLs).
* ``filterfieldids`` without ``operatortypes`` means ``=`` for every field.
* A filter or sort on an unknown field, or an unparsable filter, is a 500 functional error naming the field.
* ``skip``/``take`` that are not integers, or negative other than ``-1``/``-1``, are 500
  "An unexpected error has occurred.", as the AFAS docs say for an invalid pair.
* POST answers 201 ``{"results": {"<Connector>": {keys}}}`` (a list of key objects when ``Element`` was a
  list), or, with ``sim.answer_shape`` ``"scalar"``/``"bare"``, the other shapes AFAS is seen to use;
  PUT and DELETE answer 200 with an empty body.
* ``SendFileAsBinary: 1`` on file, image, subject and report calls returns raw bytes with the file's mimetype.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from afas_connector.afas.filters import FilterSet, parse_filterjson, parse_simple_params
from afas_connector.simulator.connectors import APP_NAME
from afas_connector.simulator.query import QueryError
from afas_connector.simulator.responses import (
	HttpError,
	Response,
	dumps,
	functional_error,
	json_response,
	message_response,
	not_found,
	unexpected_error,
)
from afas_connector.simulator.store import FunctionalError, Store, StoredFile


class Simulator(Protocol):
	"""What the endpoints read of a simulator: a protocol, as the server is above them (it dispatches here)."""

	store: Store
	env_id: str
	profit_version: str
	answer_shape: str


@dataclass
class Request:
	"""What an endpoint needs from the HTTP request."""

	method: str
	segments: list[str]
	query: dict[str, str]
	headers: Mapping[str, str]
	raw_body: bytes

	def header(self, name: str, default: str = "") -> str:
		value = self.headers.get(name)
		return default if value is None else value

	@property
	def english(self) -> bool:
		return self.header("Accept-Language").strip().lower().startswith("en")


def connector_label(segments: list[str]) -> str | None:
	"""The name faults and the request log use for a path (connector id, ``metainfo``, ``ProfitVersion`` …)."""
	if not segments:
		return None
	head = segments[0].lower()
	if head == "connectors":
		return segments[1] if len(segments) > 1 else None
	names = {
		"metainfo": "metainfo",
		"profitversion": "ProfitVersion",
		"oauth": "oauth",
		"fileconnector": "FileConnector",
		"imageconnector": "ImageConnector",
		"subjectconnector": "SubjectConnector",
		"reportconnector": "ReportConnector",
	}
	return names.get(head, segments[0])


def dispatch(sim: Simulator, request: Request) -> Response:
	"""Route an authenticated request to its endpoint."""
	segments = request.segments
	head = segments[0].lower() if segments else ""
	if head == "metainfo":
		return _metainfo(sim, request)
	if head == "profitversion" and len(segments) == 1:
		return json_response(200, {"version": sim.profit_version})
	if head == "connectors" and len(segments) >= 2:
		return _connector(sim, request)
	if head in ("fileconnector", "imageconnector", "subjectconnector", "reportconnector"):
		return _data_connector(sim, request, head)
	return not_found()


# --- metainfo ----------------------------------------------------------------------------------------------


def _metainfo(sim: Simulator, request: Request) -> Response:
	store, english, segments = sim.store, request.english, request.segments
	if request.method != "GET":
		return message_response(405, "The requested resource does not support this HTTP method.")
	if len(segments) == 1:
		with store.lock:
			payload = {
				"updateConnectors": [
					{"id": s.id, "description": s.description} for s in store.update_specs.values()
				],
				"getConnectors": [
					{"id": t.spec.id, "description": t.spec.description} for t in store.tables.values()
				],
				"info": {
					"envid": sim.env_id,
					"appName": APP_NAME,
					"group": "ERPNext",
					"tokenExpiry": "2027-08-31T00:00:00Z",
				},
			}
		return json_response(200, payload)
	if len(segments) == 3 and segments[1].lower() == "get":
		spec = _functional(lambda: store.table(segments[2]).spec)
		return json_response(
			200,
			{
				"name": spec.id,
				"description": spec.description,
				"fields": [f.metainfo(english) for f in spec.fields],
			},
		)
	if len(segments) == 3 and segments[1].lower() == "update":
		spec = _functional(lambda: store.update_spec(segments[2]))
		root = spec.root.metainfo(english)
		return json_response(
			200,
			{
				"name": spec.id,
				"description": spec.description,
				"fields": root["fields"],
				"objects": root["objects"],
			},
		)
	return not_found()


# --- Get/UpdateConnectors ----------------------------------------------------------------------------------


def _connector(sim: Simulator, request: Request) -> Response:
	method, segments = request.method, request.segments
	connector_id = segments[1]
	if method == "GET" and len(segments) == 2:
		return _get_connector(sim, connector_id, request.query)
	if method in ("POST", "PUT") and len(segments) in (2, 3):
		body = _json_body(request.raw_body)
		subelement = segments[2] if len(segments) == 3 else None
		results = _functional(
			lambda: sim.store.write(connector_id, method, body, subelement, english=request.english)
		)
		if method == "PUT":
			return Response(200)
		spec = sim.store.update_spec(connector_id)
		return json_response(201, _post_answer(sim.answer_shape, spec.id, spec.key, results))
	if method == "DELETE" and len(segments) == 5:
		names, values = segments[3].split(","), segments[4].split(",")
		_functional(lambda: sim.store.delete(connector_id, segments[2], names, values))
		return Response(200)
	if method not in ("GET", "POST", "PUT", "DELETE"):
		return message_response(405, "The requested resource does not support this HTTP method.")
	return not_found()


def _post_answer(shape: str, connector: str, key: str, results: list[dict[str, Any]]) -> Any:
	"""The 201 body in one of the shapes AFAS answers with (``sim.answer_shape``): ``keys`` is
	``{"results": {"<Conn>": {keys}}}``; ``scalar`` is ``{"results": {"<Conn>": "<key>"}}`` and ``bare``
	is ``"<key>"`` (seen in the wild, e.g. KnSubject), the main key's value only."""
	if shape == "keys" or len(results) != 1:
		return {"results": {connector: results[0] if len(results) == 1 else results}}
	value = results[0].get(key)
	return value if shape == "bare" else {"results": {connector: value}}


def _get_connector(sim: Simulator, connector_id: str, query: dict[str, str]) -> Response:
	skip, take = _paging(query.get("skip", "0"), query.get("take", "100"))
	filters = _filters(query)
	rows = _functional(lambda: sim.store.view(connector_id, filters, query.get("orderbyfieldids", "")))
	page = rows if (skip, take) == (-1, -1) else rows[skip : skip + take]
	return Response(200, dumps({"skip": skip, "take": take, "rows": [row.wire for row in page]}))


def _paging(skip_text: str, take_text: str) -> tuple[int, int]:
	try:
		skip, take = int(skip_text.strip()), int(take_text.strip())
	except ValueError:
		raise HttpError(unexpected_error()) from None
	if (skip, take) != (-1, -1) and (skip < 0 or take < 0):
		raise HttpError(unexpected_error())
	return skip, take


def _filters(query: dict[str, str]) -> FilterSet:
	try:
		if query.get("filterjson"):
			return parse_filterjson(query["filterjson"])
		fields = query.get("filterfieldids", "")
		if not fields:
			return FilterSet()
		operators = query.get("operatortypes") or ";".join(
			",".join("1" for _ in group.split(",")) for group in fields.split(";")
		)
		return parse_simple_params(fields, query.get("filtervalues", ""), operators)
	except (ValueError, KeyError, TypeError, AttributeError) as exc:
		raise HttpError(functional_error(f"Het filter is ongeldig: {exc}")) from None


def _json_body(raw: bytes) -> Any:
	try:
		return json.loads(raw.decode("utf-8-sig"))
	except (UnicodeDecodeError, ValueError):
		raise HttpError(message_response(400, "The request body is not valid JSON.")) from None


def _functional(func: Any) -> Any:
	try:
		return func()
	except (FunctionalError, QueryError) as exc:
		raise HttpError(functional_error(str(exc))) from None


# --- data connectors ---------------------------------------------------------------------------------------


def _data_connector(sim: Simulator, request: Request, head: str) -> Response:
	if request.method != "GET":
		return message_response(405, "The requested resource does not support this HTTP method.")
	store, args, query = sim.store, request.segments[1:], request.query
	found: StoredFile | None = None
	with_name = True
	with store.lock:
		if head == "fileconnector":
			guid, name = (
				(args + ["", ""])[:2] if args else (query.get("fileid", ""), query.get("filename", ""))
			)
			found = store.files.get((guid.lower(), name))
		elif head == "imageconnector" and len(args) == 1:
			if query.get("format", "0") not in ("0", "1", "2"):
				raise HttpError(unexpected_error())
			found, with_name = store.images.get(args[0]), False
		elif head == "subjectconnector" and len(args) == 2:
			found = store.subject_files.get((args[0], args[1].lower()))
		elif head == "reportconnector" and args:
			found, with_name = store.reports.get(args[0].lower()), False
	if found is None:
		return not_found("The file does not exist or you have no rights to it.")
	if request.header("SendFileAsBinary").strip() == "1":
		return Response(200, found.data, content_type=found.mimetype)
	payload: dict[str, Any] = {"filename": found.filename} if with_name else {}
	payload["mimetype"] = found.mimetype
	payload["filedata"] = base64.b64encode(found.data).decode("ascii")
	return json_response(200, payload)
