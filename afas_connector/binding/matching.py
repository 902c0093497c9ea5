"""The match rule (*Match Existing By*) of one page of an inbound run, read in two queries instead of
two a row: the existing documents whose match field holds one of the page's values, and their Record
Links. A first run of cheap documents (Designation, Item) spent more on asking "is there one already?"
row by row than ERPNext spent on the insert (``docs/benchmarks.md``).

Only a rule of one field is read ahead. The database compares with its collation (case and accents
ignored); the page's values are told apart here by :func:`_norm`, and when the database answers a
document this cannot attribute to one of the page's values, the page asks row by row as before
(:meth:`PageMatches.candidates` answers None). Writes of the page keep it true: an inserted or updated
document is filed under its new value.
"""

from __future__ import annotations

from typing import Any

import frappe

from afas_connector.binding.constants import LINK
from afas_connector.binding.record_links import link_filters


def _norm(value: Any) -> str:
	return str(value).strip().casefold()


class PageMatches:
	"""Candidates by match value and the AFAS keys that already claim them, for one page."""

	def __init__(self, mapping: str, doctype: str, field: str) -> None:
		self.mapping, self.doctype, self.field = mapping, doctype, field
		self.known = False
		self.by_value: dict[str, list[str]] = {}
		self.claims: dict[str, str] = {}

	def load(self, values: list[Any]) -> None:
		"""Read the documents whose match field holds one of ``values`` and their links."""
		self.known, self.by_value, self.claims = False, {}, {}
		wanted = {_norm(v): v for v in values if v not in (None, "")}
		if not wanted:
			self.known = True
			return
		found = frappe.get_all(
			self.doctype,
			filters={self.field: ["in", list(set(wanted.values()))]},
			fields=["name", self.field],
		)
		for row in found:
			value = _norm(row.get(self.field))
			if value not in wanted:
				return  # the collation matched what this cannot tell apart: row by row
			self.by_value.setdefault(value, []).append(row.name)
		names = [row.name for row in found]
		if names:
			for link in frappe.get_all(
				LINK,
				filters=link_filters(
					self.mapping,
					reference_doctype=self.doctype,
					reference_name=["in", names],
					merged_away=0,
					deleted_in_erpnext=0,
				),
				fields=["reference_name", "afas_key"],
			):
				self.claims.setdefault(link.reference_name, link.afas_key)
		self.known = True

	def candidates(self, value: Any) -> list[str] | None:
		"""The documents ``value`` matches (at most 3, as the row-by-row query), or None: not read ahead."""
		if not self.known:
			return None
		return self.by_value.get(_norm(value), [])[:3]

	def claim(self, name: str) -> str | None:
		"""The AFAS key whose link holds ``name`` (read ahead for every candidate)."""
		return self.claims.get(name)

	def wrote(self, name: str, value: Any) -> None:
		"""The page inserted or updated ``name``: filed under its match value now."""
		if not self.known:
			return
		for names in self.by_value.values():
			if name in names:
				names.remove(name)
		if value not in (None, ""):
			self.by_value.setdefault(_norm(value), []).append(name)
