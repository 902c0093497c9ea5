"""The payroll journal back: an inbound mapping of kind *Journal Entries (AFAS → ERPNext)* books AFAS's
financial entries of chosen journals (AFAS Payroll's first) as submitted Journal Entries, one per AFAS
entry, with the account, cost-centre and company maps of the Ledger mapping it names used in reverse.
The pure planning (grouping rows into entries, the reversed maps, the balance check, reversals, the
direction guard) is ``sync/payroll_journal.py``; its checks at save ``binding/journal_mapping.py``.

**Reading.** Every row of the chosen journals of ``Profit_Transactions_Allocated`` that the mapping's
Filters let through (e.g. ``[["EntryDate", ">=", "2025-01-01"]]``: what keeps a run of a journal that
grows for years bounded), sorted by ``UnitId, EntryNo, SeqNo`` and read to the end (the client's
paging), so an entry is planned only with all its rows. Exactly once: an entry booked has an AFAS Record Link ``administration/entry`` on its
Journal Entry; a later run passes it by. An entry that cannot be booked (an account or cost centre
without a map, an ERPNext period closed, unbalanced) is a Failed row naming why; nothing is linked, so
the next run (or Retry) books it once the cause is fixed.

**Reversals.** An entry that negates one booked before becomes a *new* Journal Entry whose Reversal Of
is the first one's (ERPNext refuses to cancel a Journal Entry in a closed period; a new entry keeps
AFAS's own date and number).

**Direction guard.** Entries the app booked into AFAS itself (any Ledger mapping: its journals, its
Record Links' entry keys) are never booked back: they are counted and passed by.
"""

from __future__ import annotations

from typing import Any

import frappe
from frappe import _
from frappe.utils import flt

from afas_connector.afas import FilterSet
from afas_connector.binding import write_rules
from afas_connector.binding.connection import environment, get_client
from afas_connector.binding.constants import LINK, MAPPING
from afas_connector.binding.ledger import mapping_names, maps_of
from afas_connector.binding.record_links import link_document, links_by_key, name_of
from afas_connector.sync.ledger import entry_key
from afas_connector.sync.mapping_errors import MappingConfigError, RecordError
from afas_connector.sync.payroll_journal import SOURCE, PlannedEntry, plan_entries, reverse_map

#: The order AFAS's rows are read in: an entry's rows together, by line.
ORDER = ("UnitId", "EntryNo", "SeqNo")


def journals_of(mapping: Any) -> list[str]:
	"""The AFAS journals (JournalId) the mapping reads: its AFAS Journals, comma-separated."""
	return [j.strip() for j in (mapping.get("afas_journals") or "").replace(";", ",").split(",") if j.strip()]


def ledger_journals(but: str | None = None) -> dict[str, list[str]]:
	"""``{Ledger mapping: the AFAS journals it books into}`` (every Ledger mapping)."""
	found: dict[str, list[str]] = {}
	for name in mapping_names():
		if name == but:
			continue
		found[name] = sorted(set(maps_of(frappe.get_cached_doc(MAPPING, name))[1].values()))
	return found


def reversed_maps(ledger: Any) -> tuple[dict[str, str], dict[str, str], dict[int, str]]:
	"""The Ledger mapping's maps AFAS → ERPNext: accounts, cost centres, administrations → company.
	Raises :class:`MappingConfigError` when two ERPNext names share an AFAS code."""
	maps, _journals, units, codes = maps_of(ledger)
	accounts = reverse_map(maps.accounts, "account")
	cost_centres = reverse_map(codes, "cost centre")
	companies = {int(code): company for code, company in reverse_map(units, "administration").items()}
	return accounts, cost_centres, companies


def journal_filter(journals: list[str], narrowed: FilterSet | None = None) -> FilterSet:
	"""``JournalId`` is one of ``journals``, AND the mapping's own Filters ``narrowed`` (an OR of
	AND-groups: each journal's condition joins each of its groups)."""
	groups = [g for g in (narrowed.groups if narrowed else []) if g] or [[]]
	filters = FilterSet()
	for journal in journals:
		for group in groups:
			filters.or_where("JournalId", "=", journal)
			filters.groups[-1].extend(group)
	return filters


def read_rows(
	journals: list[str], on_exchange: Any = None, narrowed: FilterSet | None = None
) -> list[dict[str, Any]]:
	"""Every row of ``journals`` in AFAS's allocated transactions that ``narrowed`` (the mapping's
	Filters) lets through, sorted by entry and line."""
	filters = journal_filter(journals, narrowed)
	with get_client(on_exchange=on_exchange) as client:
		return list(client.iter_rows(SOURCE, filters=filters, order_by=list(ORDER)))


def own_keys(keys: list[str]) -> set[str]:
	"""The entry keys among ``keys`` a Ledger mapping booked (its Record Links; a bare entry number
	in administration 1 is the same entry)."""
	ledgers = mapping_names()
	if not keys or not ledgers:
		return set()
	spelled = {key: key for key in keys}
	spelled.update({key.split("/", 1)[1]: key for key in keys if key.startswith("1/")})
	found = frappe.get_all(
		LINK,
		filters={"mapping": ["in", ledgers], "environment": environment(), "afas_key": ["in", list(spelled)]},
		pluck="afas_key",
	)
	return {spelled[k] for k in found if k in spelled}


def run_journals(mapping: Any, on_exchange: Any = None) -> tuple[dict[str, Any], str | None]:
	"""Read and book the mapping's journals. Returns the Sync Log counts (``rows_read``, ``inserted``
	Journal Entries booked, ``unchanged`` entries booked before, ``failed`` entries refused,
	``record_errors``) and a note. Raises :class:`MappingConfigError` for a mapping that cannot run,
	:class:`AfasError` when AFAS cannot be read (nothing is booked then)."""
	journals = journals_of(mapping)
	if not journals or not mapping.ledger_mapping:
		raise MappingConfigError(_("Name the AFAS journals to read and the Ledger mapping whose maps to use"))
	ledger = frappe.get_doc(MAPPING, mapping.ledger_mapping)
	accounts, cost_centres, companies = reversed_maps(ledger)
	own = ledger_journals()
	rows = read_rows(journals, on_exchange, mapping.filter_set())
	keys = sorted({entry_key(int(r.get("UnitId") or 1), r.get("EntryNo")) for r in rows})
	plan = plan_entries(
		rows,
		journals=journals,
		accounts=accounts,
		cost_centres=cost_centres,
		companies=companies,
		own_journals=sorted({j for values in own.values() for j in values}),
		own_keys=own_keys(keys),
	)
	booked = links_by_key(mapping.name, [e.key for e in plan.entries])
	errors: list[RecordError] = list(plan.errors)
	inserted = unchanged = 0
	for entry in plan.entries:
		if entry.key in booked:
			unchanged += 1
			continue
		error = book(mapping, entry)
		if error:
			errors.append(error)
		else:
			inserted += 1
	notes = []
	if plan.skipped_own:
		notes.append(
			_("{0} entries booked into AFAS by this app's Ledger mappings were passed by: {1}").format(
				len(plan.skipped_own), ", ".join(plan.skipped_own[:20])
			)
		)
	counts = {
		"rows_read": len(rows),
		"inserted": inserted,
		"unchanged": unchanged,
		"failed": len(errors),
		"record_errors": frappe.as_json([e.to_dict() for e in errors[:100]]) if errors else None,
	}
	return counts, "\n".join(notes) or None


def book(mapping: Any, entry: PlannedEntry) -> RecordError | None:
	"""Book one AFAS entry as a submitted Journal Entry and link it, or say why ERPNext refused it
	(nothing is written then)."""
	frappe.db.savepoint("afas_journal_entry")
	frappe.flags.afas_inbound = True  # from AFAS: a Ledger mapping must not book it back
	author = write_rules.author_of(mapping)
	try:
		doc = journal_entry(mapping, entry)
		if not write_rules.may_write(doc, author, new=True):
			raise frappe.PermissionError(
				_("{0} (Runs As of this mapping) may not {1} {2} {3}").format(
					author, _("create"), _(doc.doctype), ""
				)
			)
		doc.flags.afas_inbound = True
		doc.flags.ignore_permissions = True  # the author's permission, checked just above
		with write_rules.acting_as(author):  # ERPNext's own checks (frozen accounts) see the author
			doc.insert()
			doc.submit()
		link_document(mapping.name, entry.key, "Journal Entry", doc.name)
	except Exception as exc:
		frappe.db.rollback(save_point="afas_journal_entry")
		frappe.clear_messages()
		message = frappe.utils.strip_html(str(exc)) or type(exc).__name__
		return RecordError(
			entry.key, None, _("ERPNext refused AFAS entry {0}: {1}").format(entry.key, message)
		)
	finally:
		frappe.flags.afas_inbound = False
	return None


def journal_entry(mapping: Any, entry: PlannedEntry) -> Any:
	"""The Journal Entry of one AFAS entry (not saved)."""
	default_centre = frappe.get_cached_value("Company", entry.company, "cost_center")
	doc = frappe.new_doc("Journal Entry")
	doc.update(
		{
			"voucher_type": "Journal Entry",
			"company": entry.company,
			"posting_date": entry.posting_date,
			"user_remark": entry.remark,
			"reversal_of": name_of(mapping.name, entry.reverses) if entry.reverses else None,
		}
	)
	for line in entry.lines:
		profit_and_loss = frappe.get_cached_value("Account", line.account, "report_type") == "Profit and Loss"
		doc.append(
			"accounts",
			{
				"account": line.account,
				"debit_in_account_currency": flt(line.debit),
				"credit_in_account_currency": flt(line.credit),
				"cost_center": line.cost_center or (default_centre if profit_and_loss else None),
				"user_remark": line.description,
			},
		)
	return doc
