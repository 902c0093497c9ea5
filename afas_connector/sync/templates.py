"""Mapping templates on AFAS's standard connectors, as plain data: what a new user with a real AFAS
environment starts from instead of building every mapping by hand.

Every field id, type and key below is AFAS's own, from its OpenAPI specs (AFASSoftware/OASContent
``OpenApiSpecs/profit/en``): the ``Profit_*`` GetConnectors' row fields and the UpdateConnectors' body
schemas. ``tests/core/templates_test.py`` checks every template field against those specs (id, type,
key, modified-date column, the body an outbound template builds). The ERPNext side (DocTypes, fields,
constants such as ``All Customer Groups``) is ERPNext 15's; the bench tier runs every template end to
end against the simulator.

A template is turned into an *AFAS Connector Mapping* by :func:`apply_template`, which fills in the
user's answers (``{{company}}``) and the names of the mappings it builds on (``{{mapping:debtors-in}}``):
the frappe layer (``binding/templates.py``) saves the result switched off until the user enables it.

Where a standard GetConnector has no modified-date column (the ledger's reference data), the template
says so (:attr:`Template.reads_everything`): each run reads every row, unchanged rows are skipped by
their content hash, and the Full Reconcile flags records AFAS no longer has.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from afas_connector.sync.days import DAY
from afas_connector.sync.mapping import CONSTANT
from afas_connector.sync.payroll_journal import JOURNAL_ENTRIES

#: ``{{name}}`` in a template's text: a parameter (``{{company}}``) or the name of the mapping made from
#: another template (``{{mapping:debtors-in}}``). ``{value}`` (single braces) is left alone: it belongs
#: to the ``child_row`` transform.
PLACEHOLDER = re.compile(r"\{\{\s*(mapping:)?([a-z0-9_-]+)\s*\}\}")
#: The custom field that keeps AFAS's organisation/person number (``BcCo``) on a Customer or Supplier:
#: contacts (``Profit_Contacts.OrgNumber``) and dossier items (``Profit_Subjects.OrgPersId``) name the
#: organisation by it, not by the debtor or creditor number.
ORGANISATION_CODE = "afas_organisation_code"


class TemplateError(ValueError):
	"""A template cannot be applied as asked: an unknown template, a missing answer, or a mapping it
	builds on that does not exist yet. The message says which."""


@dataclass(frozen=True)
class Parameter:
	"""A question the user answers when applying a template (``{{name}}`` in the template)."""

	name: str
	label: str
	fieldtype: str = "Data"
	options: str = ""
	default: str = ""
	description: str = ""


@dataclass(frozen=True)
class Template:
	"""One mapping on AFAS's standard connectors. ``rows`` are AFAS Field Mapping rows; ``settings`` are
	further fields of the mapping (schedule, push events, attachments); ``pair_with`` names the inbound
	template whose records an outbound one writes (Same AFAS Records As)."""

	id: str
	title: str
	description: str
	direction: str
	connector: str
	doctype: str
	key_field: str
	rows: tuple[dict[str, Any], ...]
	modified_field: str | None = None
	match: str = ""
	filters: tuple[tuple[Any, ...], ...] = ()
	pair_with: str | None = None
	settings: dict[str, Any] = field(default_factory=dict)
	parameters: tuple[Parameter, ...] = ()
	custom_fields: tuple[tuple[str, dict[str, Any]], ...] = ()
	#: The app whose DocType ``doctype`` is, when it is not ERPNext's (``hrms``): named when the site lacks it.
	app: str = ""

	@property
	def reads_everything(self) -> bool:
		"""Inbound with no modified-date column: every run reads every row (Full Reconcile)."""
		return self.direction == "Inbound" and not self.modified_field

	@property
	def needs(self) -> list[str]:
		"""The templates whose mappings this one names (``{{mapping:…}}`` and ``pair_with``), in order."""
		found = [self.pair_with] if self.pair_with else []
		for text in _texts(self):
			for is_mapping, name in PLACEHOLDER.findall(text):
				if is_mapping and name not in found:
					found.append(name)
		return found

	def summary(self) -> dict[str, Any]:
		"""What the desk's template picker shows."""
		return {
			"id": self.id,
			"title": self.title,
			"description": self.description,
			"direction": self.direction,
			"connector": self.connector,
			"doctype": self.doctype,
			"reads_everything": self.reads_everything,
			"needs": self.needs,
			"parameters": [p.__dict__ for p in self.parameters],
			"app": self.app,
		}


def _texts(template: Template) -> list[str]:
	texts = [json.dumps(template.filters)]
	texts += [str(row.get("transform_options") or "") for row in template.rows]
	texts += [str(row.get("default_value") or "") for row in template.rows]
	texts += [str(value) for value in template.settings.values()]
	return texts


def _row(afas: str, erpnext: str, transform: str = "", options: Any = "", **more: Any) -> dict[str, Any]:
	if not isinstance(options, str):
		options = json.dumps(options, ensure_ascii=False)
	return {
		"afas_field": afas,
		"erpnext_field": erpnext,
		"transform": transform,
		"transform_options": options,
		**more,
	}


def _constant(erpnext: str, value: str) -> dict[str, Any]:
	"""An inbound row that writes a constant (no AFAS field is read)."""
	return _row(CONSTANT, erpnext, "constant", value)


COMPANY = Parameter(
	"company",
	"Company",
	"Link",
	"Company",
	description="The ERPNext company the records belong to",
)
_ORGANISATION_CODE_FIELD = {
	"fieldname": ORGANISATION_CODE,
	"label": "AFAS Organisation/Person Code",
	"fieldtype": "Data",
	"insert_after": "tax_id",
	"no_copy": 1,
	"search_index": 1,
	"description": "AFAS's number of the organisation or person (BcCo); filled by the AFAS templates",
}
#: Dutch and English country names as AFAS prints them in an address line → ERPNext's Country names.
#: AFAS leaves the country out for the environment's own country: the row's default fills that in.
COUNTRIES = {
	"Nederland": "Netherlands",
	"Netherlands": "Netherlands",
	"België": "Belgium",
	"Belgie": "Belgium",
	"Belgium": "Belgium",
	"Duitsland": "Germany",
	"Germany": "Germany",
	"Frankrijk": "France",
	"France": "France",
	"Luxemburg": "Luxembourg",
	"Luxembourg": "Luxembourg",
	"Verenigd Koninkrijk": "United Kingdom",
	"United Kingdom": "United Kingdom",
}
#: Common AFAS unit codes → ERPNext's standard UOMs (extend the map for your own units; inbound, any
#: other unit becomes ``Nos``).
UNITS = {"stk": "Nos", "st": "Nos", "stuk": "Nos", "kg": "Kg", "uur": "Hour", "m": "Meter", "l": "Litre"}
_HOME_COUNTRY = Parameter(
	"country",
	"Home country",
	"Link",
	"Country",
	"Netherlands",
	"The country of addresses AFAS prints without one (the environment's own)",
)
_UNIT = Parameter(
	"unit",
	"AFAS administration",
	"Int",
	default="1",
	description="The AFAS administration (UnitId) whose journals to read",
)
_SUBJECT_TYPE = Parameter(
	"subject_type",
	"AFAS dossier item type",
	"Int",
	default="5",
	description="The dossier item type (StId) the documents go to AFAS as; see General / Dossier in AFAS",
)


def _debtors_in() -> Template:
	return Template(
		id="debtors-in",
		title="AFAS Debtors (Profit_Debtor) → Customer",
		description=(
			"AFAS's debtors become Customers, matched by name on a first run; the organisation number "
			"(BcCo) is kept for contacts and dossier items."
		),
		direction="Inbound",
		connector="Profit_Debtor",
		doctype="Customer",
		key_field="DebtorId",
		modified_field="ModifiedDate",
		match="customer_name",
		rows=(
			_row("DebtorName", "customer_name", "strip", required=1),
			_row("Blocked", "disabled", "boolean"),
			_row("VatNr", "tax_id", "strip"),
			_row("CurrencyId", "default_currency", "upper"),
			_row("BcCo", ORGANISATION_CODE, "strip"),
			_constant("customer_type", "Company"),
			_constant("customer_group", "All Customer Groups"),
			_constant("territory", "All Territories"),
		),
		settings={
			"subject_connector": "Profit_Subjects",
			"subject_record_field": "OrgPersId",
			"subject_match_field": "BcCo",
		},
		custom_fields=(("Customer", _ORGANISATION_CODE_FIELD),),
	)


def _organisation_rows(name_field: str) -> tuple[dict[str, Any], ...]:
	"""The nested organisation of a relation: the known one (by its number) or a new one."""
	return (
		_row("KnOrganisation.BcCo", ORGANISATION_CODE),
		_row(
			"KnOrganisation.MatchOga",
			ORGANISATION_CODE,
			"expression",
			'"0" if value else "6"',
		),
		_row("KnOrganisation.AutoNum", "name", "expression", f"not row['{ORGANISATION_CODE}']"),
		_row("KnOrganisation.Nm", name_field, "strip", required=1),
	)


def _debtors_org_out() -> Template:
	return Template(
		id="debtors-org-out",
		title="Customer (company) → AFAS KnSalesRelationOrg",
		description=(
			"A Customer of type Company becomes a debtor with its organisation in AFAS; later saves update "
			"it, a deleted Customer is blocked in AFAS. Shares its records with the debtors inbound."
		),
		direction="Outbound",
		connector="KnSalesRelationOrg",
		doctype="Customer",
		key_field="DbId",
		pair_with="debtors-in",
		rows=(
			*_organisation_rows("customer_name"),
			_row("VaId", "tax_id", "strip"),
			_row("CuId", "default_currency"),
			_row("Bl", "disabled", "boolean"),
		),
		settings={
			"condition": 'doc.customer_type == "Company"',
			"push_on_insert": 1,
			"push_on_update": 1,
			"push_on_trash": 1,
			"delete_action": "Deactivate in AFAS",
			"deactivate_field": "Bl",
			"deactivate_value": "true",
		},
		custom_fields=(("Customer", _ORGANISATION_CODE_FIELD),),
	)


def _debtors_per_out() -> Template:
	return Template(
		id="debtors-per-out",
		title="Customer (individual) → AFAS KnSalesRelationPer",
		description=(
			"A Customer of type Individual becomes a debtor with its person in AFAS. Shares its records with "
			"the debtors inbound."
		),
		direction="Outbound",
		connector="KnSalesRelationPer",
		doctype="Customer",
		key_field="DbId",
		pair_with="debtors-in",
		rows=(
			_row("KnPerson.BcCo", ORGANISATION_CODE),
			_row("KnPerson.MatchPer", ORGANISATION_CODE, "expression", '"0" if value else "7"'),
			_row("KnPerson.AutoNum", "name", "expression", f"not row['{ORGANISATION_CODE}']"),
			_row("KnPerson.LaNm", "customer_name", "strip", required=1),
			_row("VaId", "tax_id", "strip"),
			_row("CuId", "default_currency"),
			_row("Bl", "disabled", "boolean"),
		),
		settings={
			"condition": 'doc.customer_type == "Individual"',
			"push_on_insert": 1,
			"push_on_update": 1,
			"push_on_trash": 1,
			"delete_action": "Deactivate in AFAS",
			"deactivate_field": "Bl",
			"deactivate_value": "true",
		},
		custom_fields=(("Customer", _ORGANISATION_CODE_FIELD),),
	)


def _creditors_in() -> Template:
	return Template(
		id="creditors-in",
		title="AFAS Creditors (Profit_Creditor) → Supplier",
		description=(
			"AFAS's creditors become Suppliers, matched by name on a first run; the organisation number "
			"(BcCo) is kept for contacts."
		),
		direction="Inbound",
		connector="Profit_Creditor",
		doctype="Supplier",
		key_field="CreditorId",
		modified_field="ModifiedDate",
		match="supplier_name",
		rows=(
			_row("CreditorName", "supplier_name", "strip", required=1),
			_row("Blocked", "disabled", "boolean"),
			_row("Btw-nummer", "tax_id", "strip"),
			_row("BcCo", ORGANISATION_CODE, "strip"),
			_constant("supplier_group", "All Supplier Groups"),
		),
		custom_fields=(("Supplier", _ORGANISATION_CODE_FIELD),),
	)


def _creditors_org_out() -> Template:
	return Template(
		id="creditors-org-out",
		title="Supplier → AFAS KnPurchaseRelationOrg",
		description=(
			"A Supplier becomes a creditor with its organisation in AFAS; later saves update it, a deleted "
			"Supplier is blocked in AFAS. Shares its records with the creditors inbound."
		),
		direction="Outbound",
		connector="KnPurchaseRelationOrg",
		doctype="Supplier",
		key_field="CrId",
		pair_with="creditors-in",
		rows=(
			*_organisation_rows("supplier_name"),
			_row("VaId", "tax_id", "strip"),
			_row("Bl", "disabled", "boolean"),
		),
		settings={
			"push_on_insert": 1,
			"push_on_update": 1,
			"push_on_trash": 1,
			"delete_action": "Deactivate in AFAS",
			"deactivate_field": "Bl",
			"deactivate_value": "true",
		},
		custom_fields=(("Supplier", _ORGANISATION_CODE_FIELD),),
	)


def _articles_in() -> Template:
	return Template(
		id="articles-in",
		title="AFAS Articles (Profit_Article) → Item",
		description=(
			"AFAS's articles become Items (matched by item code), with their picture from AFAS "
			"(Profit_Article_image and the ImageConnector) in the Item's image."
		),
		direction="Inbound",
		connector="Profit_Article",
		doctype="Item",
		key_field="ItemCode",
		modified_field="ModifiedDate",
		match="item_code",
		rows=(
			_row("ItemCode", "item_code", "strip", required=1),
			_row("Description", "item_name", "strip", required=1),
			_row("ExtraDescription", "description", "strip"),
			_row("UnitId", "stock_uom", "value_map", {**UNITS, "*": "Nos"}, default_value="Nos"),
			_row("Blocked", "disabled", "boolean"),
			_row("Stock", "is_stock_item", "boolean"),
			_constant("item_group", "All Item Groups"),
		),
		settings={
			"image_field": "image",
			"image_connector": "Profit_Article_image",
			"image_record_field": "ItemCodeId",
			"image_id_field": "Image",
		},
	)


def _articles_out() -> Template:
	return Template(
		id="articles-out",
		title="Item → AFAS FbItemArticle",
		description=(
			"A new or changed Item is an article in AFAS; a deleted Item is blocked there. Shares its records "
			"with the articles inbound."
		),
		direction="Outbound",
		connector="FbItemArticle",
		doctype="Item",
		key_field="ItCd",
		pair_with="articles-in",
		rows=(
			_row("ItCd", "item_code", required=1),
			_row("Ds", "item_name", "strip"),
			_row("BiUn", "stock_uom", "value_map", {code: uom for code, uom in reversed(UNITS.items())}),
			_row("Grp", "item_group", "constant", "{{article_group}}"),
			_row("Bl", "disabled", "boolean"),
		),
		settings={
			"push_on_insert": 1,
			"push_on_update": 1,
			"push_on_trash": 1,
			"delete_action": "Deactivate in AFAS",
			"deactivate_field": "Bl",
			"deactivate_value": "true",
		},
		parameters=(
			Parameter(
				"article_group",
				"AFAS article group",
				description="The article group (Grp) of articles made from ERPNext Items",
			),
		),
	)


def _contacts_in() -> Template:
	party_links = [
		{"doctype": "Customer", "field": ORGANISATION_CODE},
		{"doctype": "Supplier", "field": ORGANISATION_CODE},
	]
	return Template(
		id="contacts-in",
		title="AFAS Contacts (Profit_Contacts) → Contact",
		description=(
			"AFAS's contact persons become Contacts linked to their Customer or Supplier (by the "
			"organisation number the debtors and creditors templates keep). A contact whose organisation "
			"is not in ERPNext yet waits, and is read again on the next run."
		),
		direction="Inbound",
		connector="Profit_Contacts",
		doctype="Contact",
		key_field="ContactId",
		modified_field="ModifiedDate",
		rows=(
			_row("FullName", "first_name", "expression", 'value.strip().split(" ", 1)[0]', required=1),
			_row(
				"FullName",
				"last_name",
				"expression",
				'value.strip().split(" ", 1)[1] if " " in value.strip() else ""',
			),
			_row("Name", "company_name", "strip"),
			_row("Function", "designation", "strip"),
			_row("MailWork", "email_ids", "child_row", {"email_id": "{value}", "is_primary": 1}),
			_row("TelWork", "phone_nos", "child_row", {"phone": "{value}", "is_primary_phone": 1}),
			_row("MobWork", "phone_nos", "child_row", {"phone": "{value}", "is_primary_mobile_no": 1}),
			_row("OrgNumber", "links", "link_rows", party_links),
		),
		custom_fields=(("Customer", _ORGANISATION_CODE_FIELD), ("Supplier", _ORGANISATION_CODE_FIELD)),
	)


def _addresses_in(kind: str) -> Template:
	debtors = kind == "debtor"
	# AFAS spells the column AdressLine1 in Profit_Debtor and Adressline1 in Profit_Creditor
	line = (lambda n: f"AdressLine{n}") if debtors else (lambda n: f"Adressline{n}")
	source = "debtors-in" if debtors else "creditors-in"
	party = "Customer" if debtors else "Supplier"
	return Template(
		id=f"{kind}-addresses-in",
		title=f"AFAS {kind.title()} Addresses ({'Profit_Debtor' if debtors else 'Profit_Creditor'}) → Address",
		description=(
			f"The address of each AFAS {kind} becomes an Address linked to its {party}. AFAS's standard "
			"Profit_Address has no organisation or person, so its addresses could not be linked: this "
			f"template reads the {kind}'s own address lines. The postcode stays in the city line."
		),
		direction="Inbound",
		connector="Profit_Debtor" if debtors else "Profit_Creditor",
		doctype="Address",
		key_field="DebtorId" if debtors else "CreditorId",
		modified_field="ModifiedDate",
		filters=((line(1), "![]", ""),),
		rows=(
			_row("DebtorName" if debtors else "CreditorName", "address_title", "strip", required=1),
			_row(line(1), "address_line1", "strip", required=1),
			_row(line(3), "city", "expression", '" ".join(value.split())', required=1),
			_row(line(4), "country", "value_map", COUNTRIES, default_value="{{country}}"),
			_row("Email", "email_id", "strip"),
			_row("TelNr", "phone", "strip"),
			_row(
				"DebtorId" if debtors else "CreditorId",
				"links",
				"link_rows",
				[{"mapping": f"{{{{mapping:{source}}}}}"}],
			),
			_constant("address_type", "Billing"),
		),
		parameters=(_HOME_COUNTRY,),
	)


def _projects_in() -> Template:
	return Template(
		id="projects-in",
		title="AFAS Projects (Profit_Projects) → Project",
		description=(
			"AFAS's projects become Projects of the company, with their customer (from the debtors "
			"mapping) and the files of their dossier items attached."
		),
		direction="Inbound",
		connector="Profit_Projects",
		doctype="Project",
		key_field="ProjectId",
		modified_field="ModifiedDate",
		match="project_name",
		rows=(
			_row(
				"ProjectId",
				"project_name",
				"expression",
				'(value + " " + (row["Description"] or "")).strip()',
				required=1,
			),
			_row("DateStart", "expected_start_date", "date"),
			_row(
				"CheckedOut",
				"status",
				"value_map",
				{"True": "Completed", "False": "Open"},
				default_value="Open",
			),
			_row("DebtorId", "customer", "afas_key", "{{mapping:debtors-in}}"),
			_constant("company", "{{company}}"),
		),
		settings={
			"dossier_attachments": 1,
			"subject_connector": "Profit_Subjects",
			"subject_record_field": "Project",
		},
		parameters=(COMPANY,),
	)


def _cost_centres_in() -> Template:
	return Template(
		id="cost-centres-in",
		title="AFAS Cost Centres (Profit_CostCentre) → Cost Center",
		description=(
			"The cost centres of one AFAS employer become Cost Centers under a group of the company, "
			"numbered with AFAS's code."
		),
		direction="Inbound",
		connector="Profit_CostCentre",
		doctype="Cost Center",
		key_field="CostCentre",
		modified_field="ModifiedDate",
		match="cost_center_number, company",
		filters=(("EmployerId", "=", "{{employer}}"),),
		rows=(
			_row("CostCentre", "cost_center_number", "strip", required=1),
			_row("Description", "cost_center_name", "strip", required=1),
			_row("Blocked", "disabled", "boolean"),
			_constant("company", "{{company}}"),
			_constant("parent_cost_center", "{{parent_cost_center}}"),
		),
		parameters=(
			COMPANY,
			Parameter(
				"parent_cost_center",
				"Parent cost center",
				"Link",
				"Cost Center",
				description="A group cost center of the company (default: its top one)",
			),
			Parameter(
				"employer",
				"AFAS employer",
				default="1",
				description="The employer (EmployerId) whose cost centres to read",
			),
		),
	)


#: The ERPNext DocType that keeps AFAS's ledger reference data, readable in the desk (see README).
REFERENCE = "AFAS Reference Code"


def _reference(
	id: str,
	connector: str,
	key: str,
	kind: str,
	plural: str,
	rows: tuple[dict[str, Any], ...],
	**more: Any,
) -> Template:
	return Template(
		id=id,
		title=f"AFAS {plural} ({connector}) → {REFERENCE}",
		description=(
			f"AFAS's {plural.lower().replace('vat', 'VAT')} as reference data, to pick them in the desk. {connector} has no "
			"modified-date column: each run reads every row, skips the unchanged ones by their content "
			"hash, and flags codes AFAS no longer has."
		),
		direction="Inbound",
		connector=connector,
		doctype=REFERENCE,
		key_field=key,
		match=more.pop("match", "reference_type, code"),
		rows=(*rows, _constant("reference_type", kind)),
		settings={"deletion_mode": "Full Reconcile", "schedule": "Daily"},
		**more,
	)


def _ledger_accounts_in() -> Template:
	return _reference(
		"ledger-accounts-in",
		"Profit_Accounts",
		"Account",
		"Ledger Account",
		"Ledger Accounts",
		(
			_row("Account", "code", "strip", required=1),
			_row("Description", "description", "strip"),
			_row("Type", "kind", "strip"),
			_row("Blocked", "blocked", "boolean"),
		),
	)


def _vat_codes_in() -> Template:
	return _reference(
		"vat-codes-in",
		"Profit_VAT_code",
		"VatCode",
		"VAT Code",
		"VAT Codes",
		(
			_row("VatCode", "code", "strip", required=1),
			_row("Description", "description", "strip"),
			_row("VatPerc", "rate", "number"),
			_row("AccountNr", "account", "strip"),
			_row("VatType", "kind", "strip"),
			_row("Blocked", "blocked", "boolean"),
		),
	)


def _journals_in() -> Template:
	return _reference(
		"journals-in",
		"Profit_Journals",
		"JournalId",
		"Journal",
		"Journals",
		(
			_row("JournalId", "code", "strip", required=1),
			_row("Description", "description", "strip"),
			_row("JournalType", "kind", "strip"),
			_row("UnitId", "administration", "integer"),
			_row("Blocked", "blocked", "boolean"),
		),
		match="reference_type, administration, code",
		filters=(("UnitId", "=", "{{unit}}"),),
		parameters=(_UNIT,),
	)


def _administrations_in() -> Template:
	return _reference(
		"administrations-in",
		"Profit_Administrations",
		"AdminId",
		"AFAS Administration",
		"Administrations",
		(
			_row("AdminId", "code", "expression", "str(value)", required=1),
			_row("AdminNm", "description", "strip"),
			_row("AdminCd", "kind", "strip"),
		),
	)


def _dossier_out(
	id: str, doctype: str, title: str, rows: tuple[dict[str, Any], ...], **settings: Any
) -> Template:
	return Template(
		id=id,
		title=title,
		description=(
			f"The files attached to a {doctype} go to AFAS as a dossier item with attachments (KnSubject), "
			f"linked to the {('debtor' if doctype == 'Sales Invoice' else 'project')} in AFAS; a file added "
			"later follows on its own. AFAS takes at most 75 MB per call, checked before sending."
		),
		direction="Outbound",
		connector="KnSubject",
		doctype=doctype,
		key_field="SbId",
		rows=(
			_row("StId", "name", "expression", "{{subject_type}}"),
			*rows,
			_row("KnSubjectLink.DoCRM", "name", "expression", "True"),
		),
		settings={
			"push_on_insert": 0,
			"push_on_update": 0,
			"delete_action": "Do Nothing",
			"send_attachments": 1,
			"attachment_object": "KnSubjectAttachment",
			**settings,
		},
		parameters=(_SUBJECT_TYPE,),
	)


def _invoice_dossier_out() -> Template:
	return _dossier_out(
		"invoice-dossier-out",
		"Sales Invoice",
		"Sales Invoice attachments → AFAS dossier item (KnSubject)",
		(
			_row("Ds", "name", "expression", '"Verkoopfactuur " + value'),
			_row("Da", "posting_date", "date"),
			_row("KnSubjectLink.SfTp", "name", "constant", "4"),
			_row("KnSubjectLink.SfId", "customer", "afas_key", "{{mapping:debtors-in}}", required=1),
		),
		push_on_submit=1,
	)


def _project_dossier_out() -> Template:
	return _dossier_out(
		"project-dossier-out",
		"Project",
		"Project attachments → AFAS dossier item (KnSubject)",
		(
			_row("Ds", "project_name", "expression", '"Project " + value'),
			_row("KnSubjectLink.PjId", "name", "afas_key", "{{mapping:projects-in}}", required=1),
		),
	)


# --- employees (issue 28 §1) --------------------------------------------------------------------------
#
# ``employees-in`` reads the app's own ``ERP_Employees`` (AFAS's standard ``Profit_Employees`` has its row
# fields in a module spec not read here: see ``simulator/connectors.py``); Department and Designation
# (ERPNext's own DocTypes since ERPNext 14, HRMS or not) read the app's own ``ERP_OrgUnits`` and
# ``ERP_Functions``. AFAS's ``ViSe`` (``Status``) is "I" in service and "U" out of service in AFAS's own
# KnEmployee examples (hire, "Terminate contract"); what its other codes mean is not in the specs read,
# so they fall back to Active. ``ViGe`` (``Gender``): AFAS's examples use "M" and "V"; other codes are a
# row error naming the value (ERPNext's Gender records are the setup wizard's: "Male", "Female"…).


def _employees_in() -> Template:
	return Template(
		id="employees-in",
		title="AFAS Employees (ERP_Employees) → Employee",
		description=(
			"AFAS's employees become Employees of the company, matched by employee number in it; a rehire or a "
			"termination is an update of the same Employee (status, relieving date). Reads the App "
			"Connector's own GetConnector ERP_Employees on 'Actuele medewerkergegevens' (AFAS's how-to for "
			"employee synchronisation builds one). BSN, IBAN and salary are personal data: no row reads them, "
			"and they are dropped from every row before it is stored or logged. Department and Designation: "
			"add rows once their mappings exist (ERP_OrgUnits, ERP_Functions)."
		),
		direction="Inbound",
		connector="ERP_Employees",
		doctype="Employee",
		key_field="EmployeeId",
		modified_field="Modified",
		match="employee_number, company",  # AFAS numbers employees per employer
		rows=(
			_row("EmployeeId", "employee_number", "strip", required=1),
			_row("FirstName", "first_name", "strip", required=1),
			_row("Prefix", "middle_name", "strip"),
			_row("LastName", "last_name", "strip"),
			_row("Birthdate", "date_of_birth", "date", required=1),
			_row("Gender", "gender", "value_map", {"M": "Male", "V": "Female"}, required=1),
			_row("Email", "company_email", "strip"),
			_row("Mobile", "cell_number", "strip"),
			_row("StartDate", "date_of_joining", "date", required=1),
			_row("EndDate", "relieving_date", "date"),
			_row("Status", "status", "value_map", {"I": "Active", "U": "Left"}, default_value="Active"),
			_constant("company", "{{company}}"),
		),
		parameters=(COMPANY,),
	)


def _departments_in() -> Template:
	return Template(
		id="departments-in",
		title="AFAS Organisational Units (ERP_OrgUnits) → Department",
		description=(
			"AFAS's organisational units become Departments of the company (ERPNext names them "
			"'Verkoop - ABBR'), matched by name; AFAS's 'reports to' is not copied: they sit under ERPNext's "
			"root department. Reads the App Connector's own GetConnector ERP_OrgUnits (on KnOrgUnit's "
			"fields: OuId, Ds, ReOu)."
		),
		direction="Inbound",
		connector="ERP_OrgUnits",
		doctype="Department",
		key_field="OrgUnitId",
		modified_field="Modified",
		match="department_name,company",
		rows=(
			_row("Description", "department_name", "strip", required=1),
			_constant("company", "{{company}}"),
		),
		parameters=(COMPANY,),
	)


def _designations_in() -> Template:
	return Template(
		id="designations-in",
		title="AFAS Functions (ERP_Functions) → Designation",
		description=(
			"AFAS's functions become Designations, named by their description (the name ERP_Employees "
			"gives an employee's function), matched by name. Reads the App Connector's own GetConnector "
			"ERP_Functions (on KnOrgEmrFun's fields: CmId, FuId, Fu)."
		),
		direction="Inbound",
		connector="ERP_Functions",
		doctype="Designation",
		key_field="FunctionId",
		modified_field="Modified",
		match="designation_name",
		rows=(_row("Description", "designation_name", "strip", required=1),),
	)


#: Every template, in the order the desk lists them.
TEMPLATES: dict[str, Template] = {
	t.id: t
	for t in (
		_debtors_in(),
		_debtors_org_out(),
		_debtors_per_out(),
		_creditors_in(),
		_creditors_org_out(),
		_articles_in(),
		_articles_out(),
		_contacts_in(),
		_addresses_in("debtor"),
		_addresses_in("creditor"),
		_projects_in(),
		_cost_centres_in(),
		_ledger_accounts_in(),
		_vat_codes_in(),
		_journals_in(),
		_administrations_in(),
		_invoice_dossier_out(),
		_project_dossier_out(),
		_employees_in(),
		_departments_in(),
		_designations_in(),
	)
}


# --- the people side (issue 28) ---------------------------------------------------------------------------
#
# Plain data like the templates above, checked against AFAS's specs by ``tests/core/templates_test.py``,
# on AFAS's standard connectors for hours, leave and the payroll journal; added to :data:`TEMPLATES` below.


_WORK_TYPE = Parameter(
	"work_type",
	"AFAS work type",
	default="300",
	description="The work type (Profit_Worktype ItemCode) hours are booked on; AFAS's examples use 300",
)
_HOUR_TYPE = Parameter(
	"hour_type",
	"AFAS hour type",
	default="1",
	description="The hour type (Profit_Hourtype TimeCode) hours are booked as; AFAS's examples use 1",
)


def _hours_out() -> Template:
	return Template(
		id="hours-out",
		title="Timesheets → AFAS hours (PtRealization)",
		description=(
			"A submitted Timesheet's time logs go to AFAS as actual-costing lines, one per time log, exactly "
			"once (the log's identity in AFAS's external key XpRe); a cancelled Timesheet's lines are "
			"credited, never deleted. Employees and projects come from their inbound mappings; hour and "
			"work types are checked against Profit_Hourtype and Profit_Worktype at save and before sending. The rows "
			"below are the fields of each line: a time log's date, hours, project and activity note."
		),
		direction="Outbound",
		connector="PtRealization",
		doctype="Timesheet",
		key_field="Id",
		rows=(
			_row("XpRe", "name", "strip", required=1),
			_row("DaTi", "start_date", "date", required=1),
			_row("VaIt", "name", "constant", "1"),
			_row("ItCd", "name", "expression", '"{{work_type}}"'),
			_row("StId", "name", "expression", '"{{hour_type}}"'),
			_row("Qu", "total_hours", "number", required=1),
			_row("EmId", "employee", "afas_key", "{{mapping:employees-in}}", required=1),
			_row("PrId", "parent_project", "afas_key", "{{mapping:projects-in}}"),
			_row("Ds", "note", "strip"),
		),
		settings={
			"push_on_insert": 0,
			"push_on_update": 0,
			"push_on_submit": 1,
			"push_on_cancel": 1,  # a cancel is credited, never deleted (binding/hours.py)
			"delete_action": "Do Nothing",
		},
		parameters=(_WORK_TYPE, _HOUR_TYPE),
	)


_LEAVE_TYPES = {"VAK": "Privilege Leave", "BV": "Casual Leave", "OV": "Leave Without Pay"}
#: HRMS's leave types for AFAS's leave codes (``Profit_Leaves`` LeaveCode; AFAS's codes are the
#: administration's own: these are the demo's, edit the value map for yours).
_LEAVE_CODE_ROW = _row("LeaveCode", "leave_type", "value_map", _LEAVE_TYPES, required=1)
_BALANCES = (
	"AFAS keeps the leave balances: give the leave types Allow Negative Balance in HRMS, or allocate "
	"leave in ERPNext, else HRMS refuses the application (a Failed row that Retry books after the fix)."
)
#: Leave and absence as booked in HRMS (issue 28 §3): submitted; a change in AFAS cancels and amends; a
#: leave withdrawn in AFAS (gone from the connector: Full Reconcile) is cancelled.
#: Day From / Day To bound each leave's range (``sync/days.MAX_DAYS``): HRMS marks Attendance for every
#: day of a Leave Application it submits.
_BOOKED = {
	"submit_documents": 1,
	"deletion_mode": "Full Reconcile",
	"day_from_field": "StartDate",
	"day_to_field": "EndDate",
}
_PER_DAY = {**_BOOKED, "one_per_day": 1}


def _hr_in(**fields: Any) -> Template:
	"""An inbound template into an HRMS DocType, from AFAS's leave or absence connector: what the four
	leave templates share (the company they book for, the modified-date column of both connectors)."""
	return Template(
		direction="Inbound", app="hrms", modified_field="ModifiedDate", parameters=(COMPANY,), **fields
	)


def _leaves_in() -> Template:
	return _hr_in(
		id="leaves-in",
		title="AFAS Leave (Profit_Leaves) → Leave Application",
		description=(
			"AFAS's registered leave becomes submitted, approved Leave Applications of the employee (from "
			"the employees mapping), AFAS's leave code mapped to a leave type. " + _BALANCES + " A leave "
			"changed in AFAS is cancelled and amended; one withdrawn in AFAS is cancelled. The BSN column "
			"of Profit_Leaves is personal data and is never read."
		),
		connector="Profit_Leaves",
		doctype="Leave Application",
		key_field="LeaveId",
		rows=(
			_row("EmployeeId", "employee", "afas_key", "{{mapping:employees-in}}", required=1),
			_row("StartDate", "from_date", "date", required=1),
			_row("EndDate", "to_date", "date", required=1),
			_LEAVE_CODE_ROW,
			_row("LeaveDescr", "description", "strip"),
			_constant("status", "Approved"),
			_constant("company", "{{company}}"),
		),
		settings=_BOOKED,
	)


def _leaves_attendance_in() -> Template:
	return _hr_in(
		id="leaves-attendance-in",
		title="AFAS Leave (Profit_Leaves) → Attendance per day",
		description=(
			"AFAS's registered leave becomes submitted Attendance, On Leave, one per working day of the "
			"employee (weekends and the employee's holiday list skipped), for companies whose leave "
			"balances stay in AFAS: no leave allocation is needed in ERPNext. A leave changed in AFAS "
			"amends its days and cancels the days it no longer spans; one withdrawn in AFAS is cancelled."
		),
		connector="Profit_Leaves",
		doctype="Attendance",
		key_field="LeaveId",
		rows=(
			_row("EmployeeId", "employee", "afas_key", "{{mapping:employees-in}}", required=1),
			_row(DAY, "attendance_date", "date", required=1),
			_LEAVE_CODE_ROW,
			_constant("status", "On Leave"),
			_constant("company", "{{company}}"),
		),
		settings=_PER_DAY,
	)


def _illness_in() -> Template:
	return _hr_in(
		id="illness-in",
		title="AFAS Sick Leave (Profit_Illness) → Leave Application",
		description=(
			"AFAS's absence entries become submitted, approved Sick Leave applications of the employee. "
			+ _BALANCES
			+ " An absence still open (no end date) waits until AFAS closes it."
		),
		connector="Profit_Illness",
		doctype="Leave Application",
		key_field="GUID",
		filters=(("EndDate", "![]", ""),),
		rows=(
			_row("EmployeeId", "employee", "afas_key", "{{mapping:employees-in}}", required=1),
			_row("StartDate", "from_date", "date", required=1),
			_row("EndDate", "to_date", "date", required=1),
			_row("AbsenceTypeDesc", "description", "strip"),
			_constant("leave_type", "Sick Leave"),
			_constant("status", "Approved"),
			_constant("company", "{{company}}"),
		),
		settings=_BOOKED,
	)


def _illness_attendance_in() -> Template:
	return _hr_in(
		id="illness-attendance-in",
		title="AFAS Sick Leave (Profit_Illness) → Attendance per day",
		description=(
			"AFAS's absence entries become submitted Attendance, On Leave with leave type Sick Leave, one "
			"per working day of the employee. An absence still open (no end date) waits until AFAS closes "
			"it; one AFAS shortens cancels the days it no longer spans."
		),
		connector="Profit_Illness",
		doctype="Attendance",
		key_field="GUID",
		filters=(("EndDate", "![]", ""),),
		rows=(
			_row("EmployeeId", "employee", "afas_key", "{{mapping:employees-in}}", required=1),
			_row(DAY, "attendance_date", "date", required=1),
			_constant("leave_type", "Sick Leave"),
			_constant("status", "On Leave"),
			_constant("company", "{{company}}"),
		),
		settings=_PER_DAY,
	)


def _payroll_journal_in() -> Template:
	return Template(
		id="payroll-journal-in",
		title="AFAS payroll journal (Profit_Transactions_Allocated) → Journal Entry",
		description=(
			"AFAS's entries of one journal (AFAS Payroll's) become submitted Journal Entries, one per AFAS "
			"entry, exactly once by administration and entry number, with the Ledger mapping's account, "
			"cost-centre and administration maps used in reverse; an entry AFAS reverses becomes a new "
			"Journal Entry that names the first (Reversal Of). An unmapped account or a closed period is a "
			"Failed row booked after the fix. Entries the Ledger mappings book are never read back."
		),
		direction="Inbound",
		connector="Profit_Transactions_Allocated",
		doctype="Journal Entry",
		key_field="EntryNo",
		modified_field="Modified",
		rows=(),  # an entry's lines are grouped by binding/payroll_journal.py, not mapped field by field
		settings={
			"mapping_type": JOURNAL_ENTRIES,
			"ledger_mapping": "{{ledger_mapping}}",
			"afas_journals": "{{journal}}",
		},
		parameters=(
			Parameter(
				"ledger_mapping",
				"Ledger mapping",
				"Link",
				"AFAS Connector Mapping",
				description="The Ledger (FiEntries) mapping whose account, cost centre and administration maps to use",
			),
			Parameter(
				"journal", "AFAS journal", default="60", description="The AFAS journal (JournalId) to read"
			),
		),
	)


def _direct_invoice_out() -> Template:
	return Template(
		id="direct-invoice-out",
		title="Sales Invoice → AFAS direct invoice (FbDirectInvoice)",
		description=(
			"A submitted Sales Invoice becomes an AFAS direct invoice, which AFAS prints, sends and collects, "
			"for the debtor from the debtors mapping: an alternative to the Ledger mapping for the same "
			"invoices (saving both is refused). Exactly once by the invoice number (OrNu, at most 12 "
			"characters, by the ledger's Invoice Number rule): AFAS refuses a second invoice with the same "
			"number. Each item row is a line (FbDirectInvoiceLines: an article, its unit, quantity and "
			"price)."
		),
		direction="Outbound",
		connector="FbDirectInvoice",
		doctype="Sales Invoice",
		key_field="OrNu",
		rows=(
			_row("DbId", "customer", "afas_key", "{{mapping:debtors-in}}", required=1),
			_row("OrDa", "posting_date", "date"),
			_row("RfCs", "po_no", "strip"),
			_row("CuId", "currency", "upper"),
			_row("FbDirectInvoiceLines.VaIt", "items.item_code", "constant", "2"),  # 2: an article
			_row("FbDirectInvoiceLines.ItCd", "items.item_code", required=1),
			_row(
				"FbDirectInvoiceLines.BiUn",
				"items.uom",
				"value_map",
				{code: uom for code, uom in reversed(UNITS.items())},
			),
			_row("FbDirectInvoiceLines.QuUn", "items.qty", "number"),
			_row("FbDirectInvoiceLines.Upri", "items.rate", "number"),
		),
		settings={
			"push_on_insert": 0,
			"push_on_update": 0,
			"push_on_submit": 1,
			"delete_action": "Do Nothing",
		},
	)


#: Leave and absence (issue 28 §3), HRMS's DocTypes: in the picker, each saying why it is unavailable on a
#: site without HRMS (``binding/templates.unavailable``).
for _template in (_leaves_in(), _leaves_attendance_in(), _illness_in(), _illness_attendance_in()):
	TEMPLATES[_template.id] = _template
#: Sales invoices as AFAS's order management takes them (issue 28 §6): in the desk's picker, beside the
#: Ledger mapping (the two are alternatives for one DocType).
TEMPLATES[_direct_invoice_out().id] = _direct_invoice_out()
#: AFAS's payroll journal back as Journal Entries (issue 28 §4): the flow is ``binding/payroll_journal.py``.
TEMPLATES[_payroll_journal_in().id] = _payroll_journal_in()
#: Timesheets → AFAS hours (issue 28 §2): the flow is ``binding/hours.py``.
TEMPLATES[_hours_out().id] = _hours_out()


def get_template(template_id: str) -> Template:
	"""The template ``template_id``; raises :class:`TemplateError` naming the known ones."""
	try:
		return TEMPLATES[template_id]
	except KeyError:
		raise TemplateError(f"No mapping template {template_id!r}; known: {', '.join(TEMPLATES)}") from None


def apply_template(
	template: Template, answers: dict[str, Any] | None = None, mappings: dict[str, str] | None = None
) -> dict[str, Any]:
	"""The fields of an *AFAS Connector Mapping* made from ``template`` (switched off), with the
	``answers`` to its parameters (``{name: value}``; a parameter's default when not answered) and the
	names of the mappings made from the templates it builds on (``{template id: mapping name}``).

	Returns the mapping's fields, ``field_mappings`` (rows) included. Raises :class:`TemplateError`
	for a parameter without an answer or default, or a template it needs without a mapping, naming them.
	"""
	answers = {p.name: p.default for p in template.parameters} | {
		k: v for k, v in (answers or {}).items() if v not in (None, "")
	}
	mappings = mappings or {}
	missing = [p.label for p in template.parameters if answers.get(p.name) in (None, "")]
	if missing:
		raise TemplateError(f"{template.title} needs: {', '.join(missing)}")
	absent = [TEMPLATES[t].title for t in template.needs if not mappings.get(t)]
	if absent:
		raise TemplateError(
			f"{template.title} builds on {', '.join(absent)}: make that mapping first (New from Template)"
		)

	def fill(text: Any) -> Any:
		if not isinstance(text, str):
			return text

		def one(match: re.Match) -> str:
			is_mapping, name = match.groups()
			if is_mapping:
				return str(mappings[name])
			if name not in answers:
				raise TemplateError(f"{template.id}: no parameter {name!r}")
			return str(answers[name])

		return PLACEHOLDER.sub(one, text)

	doc: dict[str, Any] = {
		"mapping_name": template.title,
		"enabled": 0,
		"template": template.id,
		"direction": template.direction,
		"afas_connector": template.connector,
		"erpnext_doctype": template.doctype,
		"afas_key_field": template.key_field,
		"erpnext_key_field": template.match,
		"link_with": mappings.get(template.pair_with) if template.pair_with else None,
	}
	if template.direction == "Inbound":
		doc.update(
			{
				"modified_field": template.modified_field or "",
				"deletion_mode": "Full Reconcile" if template.reads_everything else "Ignore",
				"filters": json.dumps([[fill(v) for v in f] for f in template.filters], ensure_ascii=False)
				if template.filters
				else "",
			}
		)
	doc.update({name: fill(value) for name, value in template.settings.items()})
	doc["field_mappings"] = [{k: fill(v) for k, v in row.items()} for row in template.rows]
	return doc
