"""A small, deterministic Dutch AFAS environment, plus a fast generator for big GetConnectors.

Some cells are deliberately empty (an e-mail address, an IBAN) so operators 8/9 have something to find.
"""

from __future__ import annotations

import base64
import random
import struct
import unicodedata
import zlib
from datetime import datetime, timedelta
from typing import Any

from afas_connector.simulator.connectors import GET_CONNECTORS, UPDATE_CONNECTORS
from afas_connector.simulator.store import GetConnectorSpec, Store, StoredFile

# --- demo rows ---------------------------------------------------------------------------------------------

# name, city, zip, street, house number, country, currency, e-mail?, blocked, credit limit
_DEBTORS = (
	(
		"Bakkerij De Gouden Korenschoof B.V.",
		"Utrecht",
		"3511AB",
		"Oudegracht",
		112,
		"NL",
		"EUR",
		True,
		False,
		5000,
	),
	(
		"Van der Meer Installatietechniek B.V.",
		"Amersfoort",
		"3811CD",
		"Utrechtseweg",
		45,
		"NL",
		"EUR",
		True,
		False,
		15000,
	),
	("Jansen & Zonen Transport", "Rotterdam", "3011AA", "Coolsingel", 10, "NL", "EUR", True, False, 25000),
	("Bloemenhandel De Tulp V.O.F.", "Haarlem", "2011HP", "Grote Markt", 7, "NL", "EUR", True, False, 2500),
	("Hendriks Bouw B.V.", "Eindhoven", "5611AZ", "Stratumseind", 22, "NL", "EUR", True, False, 50000),
	("De Vries Advies", "Groningen", "9711LM", "Herestraat", 88, "NL", "EUR", False, False, 1000),
	("Smit Logistiek N.V.", "Zwolle", "8011CW", "Diezerstraat", 3, "NL", "EUR", True, False, 40000),
	("Visser Houthandel B.V.", "Leeuwarden", "8911BE", "Nieuwestad", 51, "NL", "EUR", True, False, 12500),
	("Brasserie 't Pleintje", "Maastricht", "6211CS", "Vrijthof", 12, "NL", "EUR", True, False, 3000),
	("Mulder Automatisering B.V.", "Amsterdam", "1012JS", "Damrak", 70, "NL", "EUR", True, False, 20000),
	("Bos Tuinarchitecten", "Arnhem", "6811CL", "Jansstraat", 19, "NL", "EUR", True, True, 0),
	("Dekker Schilderwerken", "Leiden", "2311EX", "Breestraat", 101, "NL", "EUR", True, False, 7500),
	("Brouwerij Het Anker", "Mechelen", "2800", "Guido Gezellelaan", 49, "BE", "EUR", True, False, 10000),
	("Meijer Fietsen B.V.", "Den Haag", "2511BT", "Spui", 180, "NL", "EUR", True, False, 8000),
	("Bouwbedrijf De Boer", "Apeldoorn", "7311KZ", "Hoofdstraat", 160, "NL", "EUR", True, False, 60000),
	("Koster Elektro V.O.F.", "Deventer", "7411KE", "Brink", 56, "NL", "EUR", False, False, 4000),
	("Peters Medical GmbH", "Aachen", "52062", "Markt", 39, "DE", "EUR", True, False, 30000),
	("Van Dijk Catering", "Delft", "2611GK", "Markt", 87, "NL", "EUR", True, False, 6000),
	("Schouten Drukkerij B.V.", "Tilburg", "5038CJ", "Heuvelring", 122, "NL", "EUR", True, False, 9000),
	("Willems Kantoorartikelen", "Breda", "4811XJ", "Grote Markt", 29, "NL", "EUR", True, False, 3500),
	("Hoekstra Zuivel B.V.", "Sneek", "8601BB", "Marktstraat", 14, "NL", "EUR", True, False, 18000),
	("Kok & Partners Accountants", "Nijmegen", "6511KH", "Burchtstraat", 33, "NL", "EUR", True, False, 11000),
	("Groot Agrarisch Loonbedrijf", "Emmen", "7811AA", "Hoofdstraat", 5, "NL", "EUR", True, False, 22000),
	(
		"Vermeulen Installaties B.V.",
		"'s-Hertogenbosch",
		"5211HX",
		"Hinthamerstraat",
		64,
		"NL",
		"EUR",
		True,
		True,
		0,
	),
	("Post Verhuizingen", "Enschede", "7511JE", "Oude Markt", 2, "NL", "EUR", True, False, 5500),
	("Kuipers Bakkers Groothandel", "Alkmaar", "1811KA", "Langestraat", 97, "NL", "EUR", True, False, 14000),
	("Van Leeuwen Yachting Ltd", "London", "EC1A 1BB", "Cheapside", 15, "GB", "GBP", True, False, 45000),
	("Prins Bloembollen B.V.", "Lisse", "2161AA", "Heereweg", 345, "NL", "EUR", True, False, 16000),
	("Wouters Techniek BVBA", "Antwerpen", "2000", "Meir", 78, "BE", "EUR", True, False, 9500),
	("Huisman Zorgadvies", "Hilversum", "1211BA", "Kerkstraat", 61, "NL", "EUR", False, False, 2000),
)

_CREDITORS = (
	("Koninklijke Verpakkingen Nederland B.V.", "Zaandam", "NL"),
	("Staalhandel Van Gelder", "Dordrecht", "NL"),
	("Energie Direct Zakelijk", "Arnhem", "NL"),
	("Kantoorinrichting Oost", "Hengelo", "NL"),
	("Schoonmaakbedrijf Helder", "Utrecht", "NL"),
	("IT Services Brabant B.V.", "Eindhoven", "NL"),
	("Transportbedrijf Snel", "Venlo", "NL"),
	("Drukwerkdeal Noord", "Groningen", "NL"),
	("Glasgroothandel Vlaanderen", "Gent", "BE"),
	("Chemie Handel Rhein GmbH", "Düsseldorf", "DE"),
	("Papierfabriek De Hoop", "Apeldoorn", "NL"),
	("Beveiliging Totaal", "Amsterdam", "NL"),
	("Bedrijfskleding Jansen", "Tilburg", "NL"),
	("Autolease Centraal", "Amersfoort", "NL"),
	("Telecom Zakelijk Nederland", "Den Haag", "NL"),
	("Koffie & Catering Service", "Rotterdam", "NL"),
	("Houtimport Scandinavië", "Zwolle", "NL"),
	("Elektrotechniek Limburg", "Maastricht", "NL"),
	("Reclamebureau Blauw", "Haarlem", "NL"),
	("Accountancy Partners Zuid", "Breda", "NL"),
)

# code, description, group, unit, price
_ITEMS = (
	("ART-1001", "Volkoren brood 800g", "BAKKERIJ", "stk", 2.95),
	("ART-1002", "Wit brood 800g", "BAKKERIJ", "stk", 2.65),
	("ART-1003", "Krentenbollen 6 stuks", "BAKKERIJ", "zak", 3.49),
	("ART-1004", "Stroopwafels 10 stuks", "BAKKERIJ", "pak", 2.19),
	("ART-2001", "Montagekit kozijn", "BOUW", "set", 49.95),
	("ART-2002", "Houten balk 2,5 m", "BOUW", "stk", 18.5),
	("ART-2003", "Schroeven RVS 4x40 (200)", "BOUW", "doos", 12.75),
	("ART-2004", "Betonmix 25 kg", "BOUW", "zak", 6.99),
	("ART-3001", "Laptop 14 inch zakelijk", "ICT", "stk", 899.0),
	("ART-3002", "Monitor 27 inch", "ICT", "stk", 279.0),
	("ART-3003", "Toetsenbord draadloos", "ICT", "stk", 49.0),
	("ART-3004", "USB-C dockingstation", "ICT", "stk", 189.0),
	("ART-4001", "Tulpenbollen gemengd (50)", "TUIN", "zak", 14.95),
	("ART-4002", "Potgrond 40 l", "TUIN", "zak", 4.49),
	("ART-4003", "Tuinslang 25 m", "TUIN", "stk", 29.95),
	("ART-5001", "Printpapier A4 80 g (500)", "KANTOOR", "pak", 5.95),
	("ART-5002", "Ordner A4 80 mm", "KANTOOR", "stk", 3.25),
	("ART-5003", "Balpen blauw (10)", "KANTOOR", "doos", 4.5),
	("ART-6001", "Installatie per uur", "DIENST", "uur", 65.0),
	("ART-6002", "Voorrijkosten", "DIENST", "stk", 35.0),
	("ART-6003", "Adviesgesprek", "DIENST", "uur", 95.0),
	("ART-7001", "Melk vol 1 l", "ZUIVEL", "pak", 1.29),
	("ART-7002", "Goudse kaas jong belegen 1 kg", "ZUIVEL", "kg", 11.9),
	("ART-7003", "Roomboter 250 g", "ZUIVEL", "stk", 2.89),
	("ART-9999", "Vervallen artikel", "OVERIG", "stk", 0.0),
)

# first, last, birthdate, department, function, start
_EMPLOYEES = (
	("Sanne", "de Jong", "1988-04-12", "Verkoop", "Accountmanager", "2015-03-01"),
	("Daan", "Jansen", "1979-11-03", "Directie", "Algemeen directeur", "2008-01-01"),
	("Emma", "de Vries", "1995-07-21", "Financiën", "Financieel medewerker", "2019-09-01"),
	("Lucas", "van den Berg", "1991-02-14", "ICT", "Systeembeheerder", "2017-05-15"),
	("Julia", "van Dijk", "1986-09-30", "HR", "HR-adviseur", "2014-02-01"),
	("Sem", "Bakker", "1999-12-05", "Magazijn", "Orderpicker", "2021-06-01"),
	("Tess", "Janssen", "1983-05-18", "Verkoop", "Binnendienst", "2012-10-01"),
	("Noah", "Visser", "1990-08-08", "Productie", "Teamleider productie", "2016-01-01"),
	("Sophie", "Smit", "1993-03-27", "Marketing", "Marketeer", "2018-04-01"),
	("Milan", "Meijer", "1975-06-11", "Financiën", "Controller", "2005-09-01"),
	("Zoë", "de Boer", "1997-10-02", "Klantenservice", "Klantadviseur", "2020-02-01"),
	("Levi", "Mulder", "1989-01-23", "ICT", "Developer", "2016-08-15"),
	("Anna", "de Groot", "1984-04-04", "Inkoop", "Inkoper", "2011-03-01"),
	("Finn", "Bos", "2000-09-14", "Magazijn", "Chauffeur", "2022-01-10"),
	("Eva", "Vos", "1992-12-19", "HR", "Salarisadministrateur", "2018-11-01"),
	("Jesse", "Peters", "1981-07-07", "Productie", "Monteur", "2009-05-01"),
	("Lisa", "Hendriks", "1996-02-29", "Verkoop", "Accountmanager", "2020-09-01"),
	("Thijs", "van Leeuwen", "1987-11-11", "Directie", "Operationeel directeur", "2013-01-01"),
	("Fenna", "Dekker", "1994-05-05", "Klantenservice", "Teamleider klantenservice", "2017-02-01"),
	("Bram", "Brouwer", "1978-08-16", "Financiën", "Boekhouder", "2007-06-01"),
)

_BASE = datetime(2024, 1, 15, 9, 0, 0)


def _modified(i: int) -> datetime:
	"""Deterministic modified stamps a week apart, with sub-second precision like AFAS stores them."""
	return _BASE + timedelta(
		days=7 * i,
		hours=i % 5,
		minutes=(7 * i) % 60,
		seconds=(13 * i) % 60,
		microseconds=(137911 * i + 250000) % 1000000,
	)


def _slug(name: str) -> str:
	keep = "".join(ch for ch in name.lower() if ch.isalnum() or ch == " ")
	words = [
		w
		for w in keep.split()
		if w not in ("bv", "nv", "vof", "gmbh", "ltd", "bvba", "van", "de", "der", "het", "t")
	]
	return "".join(words[:2]) or "bedrijf"


def _vat(country: str, i: int) -> str:
	if country == "NL":
		return f"NL{800000000 + i * 10417:09d}B01"
	if country == "BE":
		return f"BE0{400000000 + i * 7919:09d}"
	if country == "DE":
		return f"DE{100000000 + i * 3571:09d}"
	return f"GB{200000000 + i * 1231:09d}"


def debtor_rows() -> list[dict[str, Any]]:
	rows = []
	for i, (name, city, zip_code, street, number, country, currency, has_mail, blocked, limit) in enumerate(
		_DEBTORS
	):
		rows.append(
			{
				"DebtorId": str(10001 + i),
				"BcCo": str(1000001 + i),
				"Name": name,
				"SearchName": name.split()[0].upper()[:10],
				"Email": f"info@{_slug(name)}.{country.lower() if country != 'GB' else 'co.uk'}"
				if has_mail
				else None,
				"Phone": f"+31 {20 + i} {5550000 + i * 1117}" if country == "NL" else None,
				"CountryId": country,
				"City": city,
				"ZipCode": zip_code,
				"Street": street,
				"HouseNumber": number,
				"VatNumber": _vat(country, i),
				"CocNumber": f"{30000000 + i * 1234567 % 70000000:08d}" if country == "NL" else None,
				"Blocked": blocked,
				"CreditLimit": float(limit),
				"Currency": currency,
				"Modified": _modified(i),
			}
		)
	return rows


def creditor_rows() -> list[dict[str, Any]]:
	rows = []
	for i, (name, city, country) in enumerate(_CREDITORS):
		rows.append(
			{
				"CreditorId": str(20001 + i),
				"BcCo": str(1100001 + i),
				"Name": name,
				"SearchName": name.split()[0].upper()[:10],
				"Email": f"facturen@{_slug(name)}.{country.lower()}" if i % 7 != 3 else None,
				"Phone": f"+31 {30 + i} {4440000 + i * 733}" if country == "NL" else None,
				"CountryId": country,
				"City": city,
				"Iban": f"NL{10 + i:02d}INGB{3000000000 + i * 98765:010d}" if i % 5 != 4 else None,
				"VatNumber": _vat(country, 50 + i),
				"Blocked": i == 13,
				"Currency": "EUR",
				"Modified": _modified(i + 3),
			}
		)
	return rows


def item_rows() -> list[dict[str, Any]]:
	return [
		{
			"ItemCode": code,
			"Description": description,
			"ItemGroup": group,
			"Unit": unit,
			"SalesPrice": price,
			"Blocked": code == "ART-9999",
			"Modified": _modified(i + 1),
		}
		for i, (code, description, group, unit, price) in enumerate(_ITEMS)
	]


def _email(first: str, last: str, domain: str) -> str:
	return f"{first.lower().replace('ë', 'e')}.{last.lower().replace(' ', '')}@{domain}"


#: AFAS's gender codes as its KnEmployee examples send them (``ViGe`` "M"); "V" (vrouw) for women.
_WOMEN = frozenset({"Sanne", "Emma", "Julia", "Tess", "Sophie", "Zoë", "Anna", "Eva", "Lisa", "Fenna"})
#: Employees out of service (``ViSe`` "U", AFAS's example "Terminate contract"): number → last day.
_LEFT = {"1006": datetime(2024, 3, 31)}
_COST_CENTRE_OF = {"Directie": "100", "Verkoop": "200", "Productie": "300", "ICT": "400"}


def _bsn(i: int) -> str:
	"""A 9-digit number that passes the BSN 11-test AFAS validates (sum of digit × 9…2, minus the last
	digit, divisible by 11); made up, as every demo value is."""
	n = 100000000 + 7919 * (i + 1) * 13
	while True:
		digits = [int(c) for c in f"{n:09d}"]
		if (sum(d * w for d, w in zip(digits[:8], range(9, 1, -1))) - digits[8]) % 11 == 0:
			return f"{n:09d}"
		n += 1


def _iban(i: int) -> str:
	"""A Dutch IBAN with a valid check (bank code DEMO is made up)."""
	account = f"{1000000000 + 7919 * (i + 1):010d}"
	bban = "DEMO" + account
	digits = "".join(str(int(c, 36)) for c in bban + "NL00")
	return f"NL{98 - int(digits) % 97:02d}{bban}"


def employee_rows() -> list[dict[str, Any]]:
	rows = []
	for i, (first, last, birth, department, function, start) in enumerate(_EMPLOYEES):
		number = str(1001 + i)
		left = _LEFT.get(number)
		rows.append(
			{
				"EmployeeId": number,
				"FirstName": first,
				"Initials": f"{first[0]}.",
				"LastName": last,
				"Birthdate": datetime.fromisoformat(birth),
				"Gender": "V" if first in _WOMEN else "M",
				"Email": _email(first, last, "voorbeeld-bv.nl"),
				"Phone": f"030-24{i:02d}100",
				"Mobile": f"06-1234{i:04d}" if i % 4 else None,
				"EmployerId": DEMO_EMPLOYER,
				"Department": department,
				"Function": function,
				"CostCentre": _COST_CENTRE_OF.get(department),
				"StartDate": datetime.fromisoformat(start),
				"EndDate": left,
				"Status": "U" if left else "I",
				"Blocked": False,
				"BSN": _bsn(i),
				"Iban": _iban(i),
				"Salary": 2800 + 175 * (i % 9),
				"Modified": _modified(i + 2),
			}
		)
	return rows


#: Organisational units (``KnOrgUnit``: ``OuId``, ``Ds``, ``ReOu``) and functions (``KnOrgEmrFun``).
_ORG_UNITS = (
	("DIR", "Directie", None),
	("VERK", "Verkoop", "DIR"),
	("FIN", "Financiën", "DIR"),
	("ICT", "ICT", "DIR"),
	("HR", "HR", "DIR"),
	("OPS", "Productie", "DIR"),
)


def org_unit_rows() -> list[dict[str, Any]]:
	return [
		{"OrgUnitId": code, "Description": name, "ReportsTo": parent, "Modified": _modified(i + 1)}
		for i, (code, name, parent) in enumerate(_ORG_UNITS)
	]


def function_rows() -> list[dict[str, Any]]:
	names = sorted({function for *_rest, function, _start in _EMPLOYEES})
	return [
		{
			"EmployerId": DEMO_EMPLOYER,
			"FunctionId": f"F{i + 1:03d}",
			"Description": name,
			"Blocked": False,
			"Modified": _modified(i + 1),
		}
		for i, name in enumerate(names)
	]


#: ``Profit_Hourtype``: AFAS's examples book hour type "1" (and "V" for leave, "01").
_HOUR_TYPES = (("1", "Normale uren"), ("2", "Overuren 125%"), ("V", "Verlofuren"), ("Z", "Ziekte-uren"))
#: ``Profit_Worktype``: AFAS's examples book work types 300–303 (``VaIt`` 1).
_WORK_TYPES = (
	("300", "Advieswerk"),
	("301", "Projectmanagement"),
	("302", "Ontwikkeling"),
	("303", "Reizen"),
)


def hour_type_rows() -> list[dict[str, Any]]:
	return [
		{
			"TimeCode": code,
			"Description": name,
			"TimeType": None,  # AFAS's spec labels it "Uurtype" and says no more
			"CreateDate": _BASE,
			"ModifiedDate": _modified(i + 1),
		}
		for i, (code, name) in enumerate(_HOUR_TYPES)
	]


def work_type_rows() -> list[dict[str, Any]]:
	return [
		{
			"ItemCode": code,
			"Description": name,
			"CreateDate": _BASE,
			"ModifiedDate": _modified(i + 1),
			"Group": "UREN",
		}
		for i, (code, name) in enumerate(_WORK_TYPES)
	]


#: ``Profit_Leaves``: employee, leave code and description, start, end, hours.
_LEAVES = (
	("1001", "VAK", "Vakantieverlof", "2024-07-15 08:30", "2024-07-26 17:00", 80),
	("1003", "VAK", "Vakantieverlof", "2024-08-05 08:30", "2024-08-09 17:00", 40),
	("1004", "BV", "Bijzonder verlof", "2024-05-17 08:30", "2024-05-17 17:00", 8),
	("1008", "OV", "Ouderschapsverlof", "2024-09-02 08:30", "2024-09-02 17:00", 8),
)


def leave_rows() -> list[dict[str, Any]]:
	people = {row["EmployeeId"]: row for row in employee_rows()}
	return [
		{
			"LeaveId": 501 + i,
			"EmployeeId": employee,
			"Name": f"{people[employee]['FirstName']} {people[employee]['LastName']}",
			"BSN": people[employee]["BSN"],
			"Export": False,
			"Hours": hours,
			"StartDate": datetime.fromisoformat(start),
			"EndDate": datetime.fromisoformat(end),
			"DvId": 1,
			"ModifiedDate": _modified(i + 3),
			"LeaveCode": code,
			"LeaveDescr": description,
			"ReasonCode": None,
			"ReasonDescr": None,
		}
		for i, (employee, code, description, start, end, hours) in enumerate(_LEAVES)
	]


def illness_rows() -> list[dict[str, Any]]:
	"""``Profit_Illness``: two absence entries, one of them closed."""
	people = {row["EmployeeId"]: row for row in employee_rows()}
	rows = []
	for i, (employee, start, end) in enumerate(
		(("1002", "2024-02-12", "2024-02-16"), ("1010", "2024-03-04", None))
	):
		rows.append(
			{
				"GUID": f"7C1D2E3F-0000-4000-8000-00000000000{i + 1}",
				"EmployerId": DEMO_EMPLOYER,
				"EmployeeId": employee,
				"BSN": people[employee]["BSN"],
				"AbsenceId": 301 + i,
				"StartDate": datetime.fromisoformat(start),
				"EndDate": datetime.fromisoformat(end) if end else None,
				"AbsenceTypeId": "Z",
				"AbsenceTypeDesc": "Ziekte",
				"Presence": 0.0,
				"ModifiedDate": _modified(i + 5),
				"ReportDate": datetime.fromisoformat(start),
				"DvId": 1,
			}
		)
	return rows


def person_rows() -> list[dict[str, Any]]:
	return [
		{
			"BcCo": str(2000001 + i),
			"FirstName": first,
			"LastName": last,
			"Email": _email(first, last, "example.nl") if i % 6 != 5 else None,
			"Modified": _modified(i + 4),
		}
		for i, (first, last, *_rest) in enumerate(_EMPLOYEES)
	]


# --- the ledger's reference data (FiEntries checks against it) ------------------------------------------------

DEMO_UNIT = 1
#: Journal code, description, journal type. AFAS's example entries use 10, 20, 40, 50, 80, 82 and 95.
_JOURNALS = (
	("10", "Inkoopboek", "Inkoop"),
	("20", "Verkoopboek", "Verkoop"),
	("40", "Kas", "Kas"),
	("50", "Bank", "Bank"),
	("80", "Memoriaal", "Memoriaal"),
	("82", "Memoriaal transitorisch", "Memoriaal"),
	("90", "Memoriaal ERPNext", "Memoriaal"),
	("95", "Voorraadmutaties", "Memoriaal"),
)
#: Account, description, type (B = balance sheet, W = profit and loss), collect account (debtors/creditors).
_ACCOUNTS = (
	("0100", "Gebouwen", "B", False),
	("0200", "Inventaris", "B", False),
	("1000", "Kas", "B", False),
	("1100", "Bank", "B", False),
	("1300", "Debiteuren", "B", True),
	("1500", "Te vorderen btw", "B", False),
	("1510", "Af te dragen btw", "B", False),
	("1600", "Crediteuren", "B", True),
	("3000", "Voorraad", "B", False),
	("3020", "Voorraad onderweg", "B", False),
	("3030", "Voorraadverschillen", "B", False),
	("3300", "Nog te ontvangen facturen", "B", False),
	("4000", "Inkoopwaarde omzet", "W", False),
	("4210", "Huur", "W", False),
	("4320", "Kantoorkosten", "W", False),
	("4510", "Afschrijvingen", "W", False),
	("8000", "Omzet hoog tarief", "W", False),
	("8010", "Omzet laag tarief", "W", False),
	("8080", "Omzet projecten", "W", False),
	("8150", "Betalingsverschillen", "W", False),
)
_MONTHS = (
	"januari", "februari", "maart", "april", "mei", "juni",
	"juli", "augustus", "september", "oktober", "november", "december",
)  # fmt: skip
#: Years with monthly periods (AFAS's own example entries are booked in 2012–2023).
PERIOD_YEARS = range(2012, 2031)


def ledger_rows() -> dict[str, list[dict[str, Any]]]:
	"""Administration 1 with its journals, chart of accounts and monthly periods (none blocked)."""
	periods = []
	for year in PERIOD_YEARS:
		for month in range(1, 13):
			first = datetime(year, month, 1)
			last = (datetime(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)
			periods.append(
				{
					"Unit": DEMO_UNIT,
					"Year": year,
					"Period": month,
					"PeriodDesc": f"{_MONTHS[month - 1]} {year}",
					"DateFrom": first,
					"DateTo": last,
					"Blocked": False,
					"Periodtable": 1,
					"TableDesc": "Maanden",
				}
			)
	return {
		"Profit_Administrations": [
			{"AdminId": DEMO_UNIT, "AdminNm": "Voorbeeld B.V.", "AdminCd": str(DEMO_UNIT)}
		],
		"Profit_Journals": [
			{
				"UnitId": DEMO_UNIT,
				"JournalId": code,
				"Description": name,
				"JournalType": kind,
				"Blocked": False,
			}
			for code, name, kind in _JOURNALS
		],
		"Profit_Accounts": [
			{
				"Account": number,
				"Description": name,
				"Type": kind,
				"Sort": "Balans" if kind == "B" else "Winst en verlies",
				"Blocked": False,
				"CollectAccount": collect,
				"VatAllowed": kind == "W",
				"ToProject": "N",
			}
			for number, name, kind, collect in _ACCOUNTS
		],
		"Profit_periods_per_administration": periods,
	}


#: The payroll side of the ledger (issue 28), added by :func:`load_payroll` (``sim.load_payroll()``):
#: a payroll journal, its accounts, and AFAS Payroll's monthly entries. Not part of the default demo,
#: whose chart the ledger templates' tests count.
PAYROLL_JOURNAL = "60"
_PAYROLL_ACCOUNTS = (
	("4100", "Brutolonen", "W", False),
	("4110", "Sociale lasten", "W", False),
	("1700", "Af te dragen loonheffing", "B", False),
	("1710", "Te betalen nettolonen", "B", False),
)
#: Entry number, period (2024), lines: (account, debit, credit, cost centre, description).
_PAYROLL_ENTRIES = (
	(
		48101,
		1,
		(
			("4100", 30000.0, 0.0, "200", "Brutolonen januari 2024"),
			("4110", 6000.0, 0.0, "200", "Werkgeverslasten januari 2024"),
			("1700", 0.0, 12000.0, None, "Loonheffing januari 2024"),
			("1710", 0.0, 24000.0, None, "Nettolonen januari 2024"),
		),
	),
	(
		48102,
		2,
		(
			("4100", 30500.0, 0.0, "300", "Brutolonen februari 2024"),
			("4110", 6100.0, 0.0, "300", "Werkgeverslasten februari 2024"),
			("1700", 0.0, 12200.0, None, "Loonheffing februari 2024"),
			("1710", 0.0, 24400.0, None, "Nettolonen februari 2024"),
		),
	),
)


def payroll_transaction_rows(entries: tuple = _PAYROLL_ENTRIES, year: int = 2024) -> list[dict[str, Any]]:
	"""AFAS Payroll's entries as ``Profit_Transactions_Allocated`` rows (``Profit_Transactions``: the
	same without ``Omschrijving``, ``Type``, ``Collect_On`` and ``DimAx*``)."""
	types = {number: kind for number, _name, kind, _collect in _PAYROLL_ACCOUNTS}
	rows = []
	for number, period, lines in entries:
		day = datetime(year, period, 25)
		for seq, (account, debit, credit, cost_centre, description) in enumerate(lines, start=1):
			rows.append(
				{
					"UnitId": DEMO_UNIT,
					"EntryNo": number,
					"SeqNo": seq,
					"Year": year,
					"Period": period,
					"JournalId": PAYROLL_JOURNAL,
					"AccountNo": account,
					"Omschrijving": description,
					"AmtDebit": debit,
					"AmtCredit": credit,
					"EntryDate": day,
					"InvoiceId": None,
					"VoucherDate": day,
					"VoucherNo": f"SAL{year}{period:02d}",
					"VatCode": None,
					"VatAmt": None,
					"Description": description,
					"Created": day,
					"Modified": day,
					"Type": types.get(account),
					"Collect_On": None,
					"DimAx1": cost_centre,
				}
			)
	return rows


_ALLOCATED_ONLY = ("Omschrijving", "Type", "Collect_On", "DimAx1", "DimAx2", "DimAx3", "DimAx4", "DimAx5")


def load_payroll(store: Store, entries: tuple = _PAYROLL_ENTRIES, year: int = 2024) -> None:
	"""Add the payroll journal, its accounts (once) and ``entries`` as AFAS Payroll books them."""
	if not any(r.values.get("JournalId") == PAYROLL_JOURNAL for r in store.table("Profit_Journals").rows):
		store.add_rows(
			"Profit_Journals",
			[
				{
					"UnitId": DEMO_UNIT,
					"JournalId": PAYROLL_JOURNAL,
					"Description": "Salarisjournaalposten",
					"JournalType": "Memoriaal",
					"Blocked": False,
				}
			],
		)
		store.add_rows(
			"Profit_Accounts",
			[
				{
					"Account": number,
					"Description": name,
					"Type": kind,
					"Sort": "Balans" if kind == "B" else "Winst en verlies",
					"Blocked": False,
					"CollectAccount": collect,
					"VatAllowed": False,
					"ToProject": "N",
				}
				for number, name, kind, collect in _PAYROLL_ACCOUNTS
			],
		)
	rows = payroll_transaction_rows(entries, year)
	store.add_rows("Profit_Transactions_Allocated", rows)
	store.add_rows(
		"Profit_Transactions", [{k: v for k, v in r.items() if k not in _ALLOCATED_ONLY} for r in rows]
	)


def make_pdf(title: str = "") -> bytes:
	"""A small valid PDF (one empty page, with a cross-reference table, as PDF readers and ERPNext's
	upload check need); ``title`` makes its bytes differ."""
	objects = [
		b"<</Type/Catalog/Pages 2 0 R>>",
		b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
		b"<</Type/Page/MediaBox[0 0 200 200]/Parent 2 0 R>>",
		b"<</Title(" + title.encode("latin-1", "replace") + b")>>",
	]
	out = b"%PDF-1.4\n"
	offsets = []
	for number, body in enumerate(objects, start=1):
		offsets.append(len(out))
		out += b"%d 0 obj" % number + body + b"endobj\n"
	xref = len(out)
	out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
	out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
	out += b"trailer<</Size %d/Root 1 0 R/Info 4 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
	return out


MINI_PDF = make_pdf()
MINI_PNG = base64.b64decode(
	"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
DEMO_FILE_GUID = "6E4A1F0C-2B3D-4E5F-8A9B-0C1D2E3F4A5B"
DEMO_FILE_NAME = "Algemene voorwaarden.pdf"
DEMO_IMAGE_ID = "1001"
DEMO_SUBJECT_ID = "49946"
DEMO_SUBJECT_FILE_ID = "5C05A1B2C3D4E5F60718293A4B5C6D7E"
DEMO_REPORT_ID = "0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9"


# --- AFAS's standard connectors (Profit_*), for the mapping templates -----------------------------------------

_COUNTRY_NAMES = {"BE": "België", "DE": "Duitsland", "GB": "Verenigd Koninkrijk"}


def _address_lines(street: str, number: Any, zip_code: str, city: str, country: str) -> dict[str, Any]:
	"""AFAS's address lines as its standard GetConnectors render them: street and number, postcode and
	city, and the country (left out for the environment's own country, as AFAS prints addresses)."""
	if country == "NL" and len(zip_code) == 6:
		zip_code = f"{zip_code[:4]} {zip_code[4:]}"
	return {
		"line1": f"{street} {number}".strip(),
		"line3": f"{zip_code}  {city.upper()}".strip(),
		"line4": _COUNTRY_NAMES.get(country),
	}


def profit_debtor_rows() -> list[dict[str, Any]]:
	"""``Profit_Debtor``: the demo debtors (the same as ``ERP_Debtors``) in AFAS's standard columns."""
	rows = []
	for i, debtor in enumerate(debtor_rows()):
		lines = _address_lines(
			debtor["Street"], debtor["HouseNumber"], debtor["ZipCode"], debtor["City"], debtor["CountryId"]
		)
		rows.append(
			{
				"DebtorId": debtor["DebtorId"],
				"DebtorName": debtor["Name"],
				"BcCo": debtor["BcCo"],
				"SearchName": debtor["SearchName"],
				"AdressLine1": lines["line1"],
				"AdressLine3": lines["line3"],
				"AdressLine4": lines["line4"],
				"TelNr": debtor["Phone"],
				"Email": debtor["Email"],
				"IBAN": f"NL{20 + i:02d}RABO{3100000000 + i * 45677:010d}" if i % 4 else None,
				"VatNr": debtor["VatNumber"],
				"ChOfCommNr": debtor["CocNumber"],
				"CollectAccount": "1300",
				"PayCon": "30",
				"VatDuty": "1",
				"Blocked": debtor["Blocked"],
				"CreditLimit": debtor["CreditLimit"],
				"CurrencyId": debtor["Currency"],
				"AutoPayment": i % 5 == 0,
				"CreateDate": debtor["Modified"] - timedelta(days=30),
				"ModifiedDate": debtor["Modified"],
			}
		)
	return rows


def _ascii(text: str | None) -> str | None:
	"""An e-mail address without accents (``scandinavië`` → ``scandinavie``), as mail domains are written."""
	if text is None:
		return None
	return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def profit_creditor_rows() -> list[dict[str, Any]]:
	"""``Profit_Creditor``: the demo creditors (the same as ``ERP_Creditors``) in AFAS's standard columns."""
	rows = []
	for i, creditor in enumerate(creditor_rows()):
		number = 10 + (i * 7) % 90
		lines = _address_lines(
			"Industrieweg", number, f"{1000 + i * 411}AB", creditor["City"], creditor["CountryId"]
		)
		rows.append(
			{
				"CreditorId": creditor["CreditorId"],
				"CreditorName": creditor["Name"],
				"BcCo": creditor["BcCo"],
				"SearchName": creditor["SearchName"],
				"Adressline1": lines["line1"],
				"Adressline3": lines["line3"],
				"Adressline4": lines["line4"],
				"TelNr": creditor["Phone"],
				"Email": _ascii(creditor["Email"]),
				"IBAN": creditor["Iban"],
				"Btw-nummer": creditor["VatNumber"],
				"ChOfCommNr": f"{40000000 + i * 7654321 % 50000000:08d}"
				if creditor["CountryId"] == "NL"
				else None,
				"PaymentCondition": "30",
				"CreditLimit": 0.0,
				"TempBlocked": False,
				"VatDuty": "1",
				"AutoPayment": False,
				"Blocked": creditor["Blocked"],
				"CreateDate": creditor["Modified"] - timedelta(days=30),
				"ModifiedDate": creditor["Modified"],
			}
		)
	return rows


def profit_article_rows() -> list[dict[str, Any]]:
	"""``Profit_Article``: the demo items (the same as ``ERP_Items``) in AFAS's standard columns."""
	rows = []
	for i, item in enumerate(item_rows()):
		service = item["ItemGroup"] == "DIENST"
		rows.append(
			{
				"ItemCode": item["ItemCode"],
				"Description": item["Description"],
				"ExtraDescription": f"{item['Description']} ({item['ItemGroup'].lower()})",
				"UnitId": item["Unit"],
				"Factor": 1,
				"ArtGroup": item["ItemGroup"],
				"Blocked": item["Blocked"],
				"Barcode": f"87{1234500000 + i * 97:011d}" if not service else None,
				"VATGroup": "LAAG" if item["ItemGroup"] in ("BAKKERIJ", "ZUIVEL") else "HOOG",
				"ItemSortCode": "D" if service else "V",
				"ItemTypeCode": "Art",
				"Stock": not service,
				"BitDecimals": 2 if item["Unit"] == "kg" else 0,
				"PriceGroup": item["ItemGroup"][:4],
				"StockCode": "N" if service else "J",
				"StockDimId1": None,
				"StockDimId2": None,
				"CreateDate": item["Modified"] - timedelta(days=10),
				"ModifiedDate": item["Modified"],
			}
		)
	return rows


def _png(red: int, green: int, blue: int) -> bytes:
	"""A 2×2 PNG of one colour: a real image, different bytes per colour."""
	raw = b"".join(b"\x00" + bytes((red, green, blue)) * 2 for _ in range(2))

	def chunk(kind: bytes, data: bytes) -> bytes:
		body = kind + data
		return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

	header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
	return (
		b"\x89PNG\r\n\x1a\n"
		+ chunk(b"IHDR", header)
		+ chunk(b"IDAT", zlib.compress(raw))
		+ chunk(b"IEND", b"")
	)


#: Articles with a picture: item code → (AFAS image id, colour). ART-1001's is the seeded DEMO_IMAGE_ID.
ARTICLE_IMAGES = {
	"ART-1001": ("1001", (200, 150, 80)),
	"ART-2001": ("1002", (120, 120, 120)),
	"ART-3001": ("1003", (30, 30, 30)),
	"ART-4001": ("1004", (220, 40, 90)),
}


def article_image_rows() -> list[dict[str, Any]]:
	"""``Profit_Article_image``: which articles have a picture, with the id the ImageConnector serves it by."""
	return [
		{"ItemType": "Art", "ItemCodeId": code, "Filename": f"{code.lower()}.png", "Image": image_id}
		for code, (image_id, _colour) in ARTICLE_IMAGES.items()
	]


_CONTACT_FUNCTIONS = ("Directeur", "Inkoper", "Administrateur", "Projectleider", "Office manager")


def profit_contact_rows() -> list[dict[str, Any]]:
	"""``Profit_Contacts``: one or two contact persons at the first debtors and creditors, by their
	organisation's number (``OrgNumber`` is the debtor's or creditor's ``BcCo``)."""
	organisations = [(d["BcCo"], d["Name"], d["Email"]) for d in debtor_rows()[:8]]
	organisations += [(c["BcCo"], c["Name"], c["Email"]) for c in creditor_rows()[:3]]
	rows = []
	person = 0
	for o, (code, name, email) in enumerate(organisations):
		for _k in range(1 + o % 2):
			first, last, *_rest = _EMPLOYEES[person % len(_EMPLOYEES)]
			domain = email.split("@", 1)[1] if email else None
			rows.append(
				{
					"Type": "Persoon",
					"ContactId": 3001 + person,
					"Name": name,
					"OrgNumber": code,
					"PerNumber": str(2100001 + person),
					"Department": None,
					"Blocked": False,
					"AddressLine1": None,
					"AddressLine3": None,
					"AddressLine4": None,
					"TelWork": f"+31 {30 + person} {6660000 + person * 311}",
					"MobWork": f"+31 6 {20000000 + person * 7177}" if person % 3 else None,
					"MailWork": _email(first, last, domain) if domain else None,
					"Note": None,
					"Function": _CONTACT_FUNCTIONS[person % len(_CONTACT_FUNCTIONS)],
					"FunctionCard": _CONTACT_FUNCTIONS[person % len(_CONTACT_FUNCTIONS)],
					"FullName": f"{first} {last}",
					"Gender": "V" if person % 2 else "M",
					"TelPrivate": None,
					"MobPrivate": None,
					"MailPrivate": None,
					"CreateDate": _modified(person) - timedelta(days=5),
					"ModifiedDate": _modified(person + 1),
				}
			)
			person += 1
	return rows


#: Projects: id, description, the debtor (index in the demo debtors), start, completed.
_PROJECTS = (
	("P24-001", "Nieuwbouw bakkerij Utrecht", 0, "2024-02-01", False),
	("P24-002", "Installatie zonnepanelen Amersfoort", 1, "2024-03-15", False),
	("P24-003", "Verbouwing kantoor Rotterdam", 2, "2024-04-01", True),
	("P24-004", "Onderhoud kassen Haarlem", 3, "2024-05-20", False),
	("P24-005", "Interne ICT-migratie", None, "2024-06-01", False),
)


def profit_project_rows() -> list[dict[str, Any]]:
	"""``Profit_Projects``: a few projects, most for a demo debtor (by its number and organisation)."""
	debtors = debtor_rows()
	rows = []
	for i, (project, description, debtor, start, done) in enumerate(_PROJECTS):
		owner = debtors[debtor] if debtor is not None else None
		began = datetime.fromisoformat(start)
		rows.append(
			{
				"ProjectId": project,
				"Description": description,
				"UnitId": DEMO_UNIT,
				"ProjectGroup": "KLANT" if owner else "INTERN",
				"CheckedOut": done,
				"BcCo": owner["BcCo"] if owner else None,
				"DebtorId": owner["DebtorId"] if owner else None,
				"DateStart": began,
				"DateReady": began + timedelta(days=90) if done else None,
				"Chargeable": owner is not None,
				"CreateDate": began - timedelta(days=14),
				"ModifiedDate": _modified(i + 6),
			}
		)
	return rows


#: Employer 1's cost centres: code, description, blocked.
_COST_CENTRES = (
	("100", "Directie", False),
	("200", "Verkoop", False),
	("300", "Productie", False),
	("400", "ICT", False),
	("900", "Vervallen afdeling", True),
)
DEMO_EMPLOYER = "1"


def profit_cost_centre_rows() -> list[dict[str, Any]]:
	return [
		{
			"EmployerId": DEMO_EMPLOYER,
			"CostCentre": code,
			"Description": name,
			"Blocked": blocked,
			"ModifiedDate": _modified(i + 2),
		}
		for i, (code, name, blocked) in enumerate(_COST_CENTRES)
	]


#: VAT code, description, account, rate, duty, type (S = sales, P = purchases).
_VAT_CODES = (
	("0", "Geen btw", None, 0.0, "0", "S"),
	("1", "Btw hoog, verkopen 21%", "1510", 21.0, "1", "S"),
	("2", "Btw laag, verkopen 9%", "1510", 9.0, "1", "S"),
	("3", "Btw verlegd", "1510", 0.0, "3", "S"),
	("4", "Btw hoog, inkopen 21%", "1500", 21.0, "1", "P"),
	("5", "Btw laag, inkopen 9%", "1500", 9.0, "1", "P"),
	("6", "Leveringen naar landen binnen de EU", None, 0.0, "4", "S"),
)


def profit_vat_code_rows() -> list[dict[str, Any]]:
	return [
		{
			"VatCode": code,
			"Description": name,
			"AccountNr": account,
			"VatPerc": rate,
			"VatDuty": duty,
			"Blocked": False,
			"VatMethod": "Exclusief",
			"VatType": kind,
		}
		for code, name, account, rate, duty, kind in _VAT_CODES
	]


#: Dossier items with files: subject id, subject, project, organisation (debtor index), files
#: (file id, name, content). 49946 is the seeded DEMO_SUBJECT_ID; its file is DEMO_SUBJECT_FILE_ID.
_SUBJECTS = (
	(
		49946,
		"Offerte 2024-031",
		"P24-001",
		0,
		(
			(
				"5C05A1B2C3D4E5F60718293A4B5C6D7E",
				"offerte.txt",
				b"Offerte 2024-031 voor Bakkerij De Gouden Korenschoof.\n",
			),
		),
	),
	(
		49950,
		"Tekeningen installatie",
		"P24-002",
		1,
		(
			("7CEEE0F54965C99D90764BA09F7606A6", "plattegrond.pdf", None),
			("8D1F2A3B4C5D6E7F8091A2B3C4D5E6F7", "schema.png", None),
		),
	),
	(49951, "Opleverrapport", "P24-003", 2, (("9E2A3B4C5D6E7F8091A2B3C4D5E6F708", "oplevering.pdf", None),)),
	(
		49952,
		"Algemene correspondentie",
		None,
		4,
		(("AF3B4C5D6E7F8091A2B3C4D5E6F70819", "brief.txt", b"Beste klant,\n"),),
	),
	(
		49953,
		"Loonstrook november",
		None,
		None,
		(("B04C5D6E7F8091A2B3C4D5E6F708192A", "loonstrook.pdf", None),),
	),
)


def subject_rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[tuple[str, str], StoredFile]]:
	"""``Profit_Subjects``, ``Profit_Subject_Attachments`` and the files the SubjectConnector serves."""
	debtors = debtor_rows()
	subjects, attachments, files = [], [], {}
	attachment_id = 20171
	for i, (subject_id, subject, project, debtor, items) in enumerate(_SUBJECTS):
		owner = debtors[debtor] if debtor is not None else None
		subjects.append(
			{
				"TypeId": -2 if owner is None and project is None else 2,
				"SubjectId": subject_id,
				"DateCreated": _modified(i + 8),
				"Subject": subject,
				"OrgPersId": owner["BcCo"] if owner else None,
				"ToDebtor": owner is not None,
				"ToEmployee": owner is None and project is None,
				"Project": project,
			}
		)
		for file_id, name, content in items:
			attachment_id += 1
			attachments.append(
				{
					"attachment_id": attachment_id,
					"subject_id": subject_id,
					"file_id": file_id,
					"file_name": name,
				}
			)
			data = content if content is not None else (MINI_PNG if name.endswith(".png") else make_pdf(name))
			mimetype = (
				"text/plain"
				if name.endswith(".txt")
				else "image/png"
				if name.endswith(".png")
				else "application/pdf"
			)
			files[(str(subject_id), file_id.lower())] = StoredFile(name, mimetype, data)
	return subjects, attachments, files


def load_demo(store: Store, with_rows: bool = True) -> None:
	"""Define every demo connector and, unless ``with_rows`` is false, fill them."""
	for spec in GET_CONNECTORS:
		store.define_get_connector(spec)
	for spec in UPDATE_CONNECTORS:
		store.define_update_connector(spec)
	store.counter_floors.update({"SbId": 50000, "BcId": 500000, "EnNo": 48226})
	for connector, rows in ledger_rows().items():
		store.add_rows(connector, rows)
	if not with_rows:
		return
	store.add_rows("ERP_Debtors", debtor_rows())
	store.add_rows(
		"ERP_Debtors_Deleted",
		[
			{"DebtorId": "9998", "DeletedAt": datetime(2023, 11, 2, 14, 5, 33, 120000)},
			{"DebtorId": "9999", "DeletedAt": datetime(2023, 12, 20, 8, 41, 2, 870000)},
		],
	)
	store.add_rows("ERP_Creditors", creditor_rows())
	store.add_rows("ERP_Items", item_rows())
	store.add_rows("ERP_Employees", employee_rows())
	store.add_rows("ERP_Persons", person_rows())
	store.add_rows("ERP_OrgUnits", org_unit_rows())
	store.add_rows("ERP_Functions", function_rows())
	store.add_rows("Profit_Hourtype", hour_type_rows())
	store.add_rows("Profit_Worktype", work_type_rows())
	store.add_rows("Profit_Leaves", leave_rows())
	store.add_rows("Profit_Illness", illness_rows())
	store.files[(DEMO_FILE_GUID.lower(), DEMO_FILE_NAME)] = StoredFile(
		DEMO_FILE_NAME, "application/pdf", MINI_PDF
	)
	store.images[DEMO_IMAGE_ID] = StoredFile("artikel-1001.png", "image/png", MINI_PNG)
	store.subject_files[(DEMO_SUBJECT_ID, DEMO_SUBJECT_FILE_ID.lower())] = StoredFile(
		"offerte.txt", "text/plain", b"Offerte 2024-031 voor Bakkerij De Gouden Korenschoof.\n"
	)
	store.add_rows("Profit_Debtor", profit_debtor_rows())
	store.add_rows("Profit_Creditor", profit_creditor_rows())
	store.add_rows("Profit_Article", profit_article_rows())
	store.add_rows("Profit_Article_image", article_image_rows())
	for code, (image_id, colour) in ARTICLE_IMAGES.items():
		if image_id != DEMO_IMAGE_ID:
			store.images[image_id] = StoredFile(f"{code.lower()}.png", "image/png", _png(*colour))
	store.add_rows("Profit_Contacts", profit_contact_rows())
	store.add_rows("Profit_Projects", profit_project_rows())
	store.add_rows("Profit_CostCentre", profit_cost_centre_rows())
	store.add_rows("Profit_VAT_code", profit_vat_code_rows())
	subjects, attachments, files = subject_rows()
	store.add_rows("Profit_Subjects", subjects)
	store.add_rows("Profit_Subject_Attachments", attachments)
	store.subject_files.update(files)
	store.reports[DEMO_REPORT_ID.lower()] = StoredFile("Debiteurenlijst.pdf", "application/pdf", MINI_PDF)


# --- generator ---------------------------------------------------------------------------------------------

_SURNAMES = (
	"Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser", "Smit", "Meijer", "de Boer",
	"Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit",
	"Dijkstra", "Smits", "de Graaf", "van der Meer", "van der Linden", "Kok", "Jacobs", "de Haan", "Vermeulen",
	"van den Heuvel", "van der Veen", "van den Broek", "de Bruijn", "de Bruin", "van der Heijden", "Schouten",
	"van Beek", "Willems", "van Vliet", "van de Ven", "Hoekstra", "Maas", "Verhoeven", "Koster", "van Dam",
)  # fmt: skip
_TRADES = (
	"Bouw", "Installatietechniek", "Transport", "Advies", "Automatisering", "Bakkerij", "Schilderwerken", "Catering",
	"Logistiek", "Drukkerij", "Tuinen", "Elektro", "Kozijnen", "Accountants", "Makelaardij", "Zorg", "Techniek",
	"Metaal", "Dakwerken", "Fietsen",
)  # fmt: skip
_FORMS = ("B.V.", "B.V.", "B.V.", "V.O.F.", "", "& Zonen", "Groep B.V.", "N.V.")
_CITIES = (
	("Amsterdam", "10"), ("Rotterdam", "30"), ("Den Haag", "25"), ("Utrecht", "35"), ("Eindhoven", "56"),
	("Groningen", "97"), ("Tilburg", "50"), ("Almere", "13"), ("Breda", "48"), ("Nijmegen", "65"),
	("Apeldoorn", "73"), ("Haarlem", "20"), ("Arnhem", "68"), ("Enschede", "75"), ("Amersfoort", "38"),
	("Zwolle", "80"), ("Leiden", "23"), ("Maastricht", "62"), ("Dordrecht", "33"), ("Zoetermeer", "27"),
)  # fmt: skip
_STREETS = (
	"Dorpsstraat", "Kerkstraat", "Stationsweg", "Molenweg", "Schoolstraat", "Industrieweg", "Hoofdstraat",
	"Julianastraat", "Beatrixlaan", "Parallelweg", "Nieuwstraat", "Marktplein",
)  # fmt: skip
_LETTERS = "ABCDEFGHJKLMNPRSTVWXZ"


def generate_rows(spec: GetConnectorSpec, n: int, seed: int = 1) -> list[dict[str, Any]]:
	"""``n`` distinct, deterministic typed rows for ``spec`` (debtors realistic, others generic), fast."""
	if spec.id == "ERP_Debtors":
		return _generate_debtors(n, seed)
	return _generate_generic(spec, n, seed)


def _spread(rng: random.Random, n: int) -> list[datetime]:
	"""Modified stamps spread over two years, sub-second, in no particular order."""
	span = 2 * 365 * 24 * 3600
	base = datetime(2023, 1, 1)
	return [base + timedelta(seconds=rng.random() * span) for _ in range(n)]


def _generate_debtors(n: int, seed: int) -> list[dict[str, Any]]:
	rng = random.Random(seed)
	surnames = rng.choices(_SURNAMES, k=n)
	trades = rng.choices(_TRADES, k=n)
	forms = rng.choices(_FORMS, k=n)
	cities = rng.choices(_CITIES, k=n)
	streets = rng.choices(_STREETS, k=n)
	numbers = [rng.randint(1, 250) for _ in range(n)]
	limits = rng.choices((0.0, 1000.0, 2500.0, 5000.0, 10000.0, 25000.0, 50000.0), k=n)
	stamps = _spread(rng, n)
	rows = []
	for i in range(n):
		name = f"{surnames[i]} {trades[i]} {forms[i]}".strip()
		city, zip_prefix = cities[i]
		rows.append(
			{
				"DebtorId": str(100001 + i),
				"BcCo": str(3000001 + i),
				"Name": name,
				"SearchName": surnames[i].split()[-1].upper()[:10],
				"Email": f"info{i}@{surnames[i].replace(' ', '').lower()}-{trades[i].lower()}.nl"
				if i % 11
				else None,
				"Phone": f"+31 {zip_prefix} {1000000 + (i * 7919) % 9000000}",
				"CountryId": "NL",
				"City": city,
				"ZipCode": f"{zip_prefix}{i % 100:02d}{_LETTERS[i % 21]}{_LETTERS[(i // 21) % 21]}",
				"Street": streets[i],
				"HouseNumber": numbers[i],
				"VatNumber": f"NL{(100000000 + i * 7) % 1000000000:09d}B01",
				"CocNumber": f"{(50000000 + i) % 100000000:08d}",
				"Blocked": i % 97 == 0,
				"CreditLimit": limits[i],
				"Currency": "EUR",
				"Modified": stamps[i],
			}
		)
	return rows


def _generate_generic(spec: GetConnectorSpec, n: int, seed: int) -> list[dict[str, Any]]:
	rng = random.Random(seed)
	stamps = _spread(rng, n)
	rows = []
	for i in range(n):
		row: dict[str, Any] = {}
		for f in spec.fields:
			if f.id == spec.key:
				row[f.id] = str(100001 + i) if f.data_type == "string" else 100001 + i
			elif f.data_type == "string":
				row[f.id] = f"{f.label_nl} {i}"
			elif f.data_type == "int":
				row[f.id] = (i * 31) % 1000
			elif f.data_type == "decimal":
				row[f.id] = round((i * 37) % 100000 / 100, 2)
			elif f.data_type == "boolean":
				row[f.id] = i % 13 == 0
			else:
				row[f.id] = stamps[i]
		rows.append(row)
	return rows
