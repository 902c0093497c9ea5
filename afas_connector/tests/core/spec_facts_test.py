"""The simulator's spec facts (``simulator/spec_facts.json``) are AFAS's specs, exactly: the data file is
what ``devtools/derive_spec_facts.py`` derives from the specs, with no hand edits (skipped, with a message,
where the specs are absent; see ``afas_oas.py``). Its shape is checked on any machine."""

from __future__ import annotations

import json
from importlib.resources import files

from afas_connector.devtools import derive_spec_facts
from afas_connector.simulator import spec_facts
from afas_connector.tests.core import afas_oas
from afas_connector.tests.core.afas_oas import COUNTS

TYPES = {"string", "int", "decimal", "boolean", "date"}


def test_spec_facts_file_is_derived_from_afas_specs():
	derived = derive_spec_facts.derive(afas_oas.require_specs())
	text = files("afas_connector.simulator").joinpath(spec_facts.DATA_FILE).read_text("utf-8")
	assert json.loads(text) == derived  # the facts; a difference here is a hand edit or new specs
	assert text == derive_spec_facts.render(derived)  # and the file as the script writes it
	COUNTS["spec facts derived from AFAS's specs (objects)"] = len(derived["objects"])


def test_spec_facts_load_as_the_simulator_reads_them():
	for key, (name, fields, subs) in spec_facts.OBJECTS.items():
		assert key.split(":")[0] == name
		assert all(s in spec_facts.OBJECTS for s in subs), key
		for field_id, data_type, length, label, codes in fields:
			assert data_type in TYPES and isinstance(length, int) and isinstance(label, str), field_id
			assert isinstance(codes, tuple) and all(isinstance(c, tuple) and len(c) == 2 for c in codes)
	assert set(spec_facts.UPDATE_CONNECTORS.values()) <= set(spec_facts.OBJECTS)
	assert set(spec_facts.UPDATE_CONNECTORS) == set(derive_spec_facts.UPDATE_CONNECTORS)
	assert list(spec_facts.GET_CONNECTORS) == list(derive_spec_facts.GET_CONNECTORS)
	for rows in spec_facts.GET_CONNECTORS.values():
		assert all(isinstance(row, tuple) and len(row) == 3 for row in rows)
