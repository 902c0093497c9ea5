"""The app's imports have a direction (issue 27 §1): no module imports one above it, and there is no
import cycle — imports inside functions and under ``TYPE_CHECKING`` included.

The layers, bottom to top (a module may import its own layer and those below; cycles are refused
everywhere):

* **pure** — ``afas/``, ``sync/``, ``simulator/``: no frappe, no ``binding/``;
* **base** — what every frappe-side module may use: constants, argument checks, access rules, the
  language of jobs, and ``facts`` (where a flow tells what happened);
* **services** — the AFAS client and settings (``connection``), Sync Logs, Record Links, usage, the
  trust model;
* **flows** — what moves data: inbound runs (``pull``), pushes and the outbox, the ledger, open items,
  attachments, document events, templates, transfer, Fetch Fields and the mapping checks per kind;
* **observers** — ``alerts`` and ``monitoring``: they read what the flows wrote and are *told* facts
  (``binding/facts.py``, registered in ``hooks.py``), never called from the middle of a flow;
* **shell** — what Frappe calls: ``api``, ``commands``, ``hooks``, ``install``, the DocType
  controllers, ``devtools/`` and ``patches/``.

An import inside a function is allowed only where Frappe requires it (a CLI command module Frappe
imports for every ``bench`` command, say), with a ``# lazy:`` comment that says why.
"""

from __future__ import annotations

import ast
import pathlib
from collections.abc import Iterable

import pytest

APP = pathlib.Path(__file__).resolve().parents[2]
PACKAGE = APP.name  # afas_connector

#: (layer, module prefixes), bottom to top. A module belongs to the layer of its longest prefix.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
	("pure", ("afas_connector", "afas_connector.afas", "afas_connector.sync", "afas_connector.simulator")),
	(
		"base",
		(
			"afas_connector.binding",
			"afas_connector.binding.constants",
			"afas_connector.binding.arguments",
			"afas_connector.binding.access",
			"afas_connector.binding.language",
			"afas_connector.binding.facts",
		),
	),
	(
		"services",
		(
			"afas_connector.binding.connection",
			"afas_connector.binding.usage",
			"afas_connector.binding.sync_log",
			"afas_connector.binding.record_links",
			"afas_connector.binding.write_rules",
			"afas_connector.binding.app_fields",
		),
	),
	(
		"flows",
		(
			"afas_connector.binding.attachments",
			"afas_connector.binding.hours",
			"afas_connector.binding.ledger",
			"afas_connector.binding.matching",
			"afas_connector.binding.open_items",
			"afas_connector.binding.payroll_journal",
			"afas_connector.binding.per_day",
			"afas_connector.binding.submitting",
			"afas_connector.binding.push",
			"afas_connector.binding.pull",
			"afas_connector.binding.outbox",
			"afas_connector.binding.doc_events",
			"afas_connector.binding.templates",
			"afas_connector.binding.transfer",
			"afas_connector.binding.suggestions",
			"afas_connector.binding.mapping_checks",
			"afas_connector.binding.webhooks",
			"afas_connector.binding.*_mapping",  # each mapping kind's checks, next to its flow
		),
	),
	("observers", ("afas_connector.binding.alerts", "afas_connector.binding.monitoring")),
	(
		"shell",
		(
			"afas_connector.api",
			"afas_connector.commands",
			"afas_connector.hooks",
			"afas_connector.install",
			"afas_connector.afas_connector",
			"afas_connector.devtools",
			"afas_connector.patches",
		),
	),
)
#: Packages whose prefix names only the package itself: their modules are each placed in a layer.
EXACT = {"afas_connector", "afas_connector.binding"}
#: Modules of the pure layer never import these (they run where frappe is not installed).
FRAPPE_SIDE = ("frappe", "afas_connector.binding", "afas_connector.api", "afas_connector.afas_connector")


# ------------------------------------------------------------------ reading the imports


def module_name(path: pathlib.Path) -> str:
	parts = list(path.relative_to(APP.parent).with_suffix("").parts)
	if parts[-1] == "__init__":
		parts.pop()
	return ".".join(parts)


def app_sources() -> dict[str, str]:
	"""``{module: source}`` of every module of the app but its tests."""
	return {
		module_name(path): path.read_text(encoding="utf-8")
		for path in sorted(APP.rglob("*.py"))
		if "tests" not in path.relative_to(APP).parts
	}


def _resolve(target: str, modules: Iterable[str]) -> str | None:
	"""The app module ``target`` names (``from a.b import c`` may name module ``a.b.c`` or a name in
	``a.b``), or None for anything outside the app."""
	known = set(modules)
	while target and target not in known:
		target = target.rpartition(".")[0]
	return target or None


def imports_of(module: str, source: str, modules: Iterable[str]) -> list[tuple[str, int, bool]]:
	"""``[(imported module, line, inside a function)]`` of one module: every Import and ImportFrom,
	at any depth, relative ones resolved."""
	tree = ast.parse(source)
	inner = {
		id(node)
		for fn in ast.walk(tree)
		if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
		for node in ast.walk(fn)
	}
	found: list[tuple[str, int, bool]] = []
	package = module if source and module.count(".") == 0 else module.rpartition(".")[0]
	for node in ast.walk(tree):
		targets: list[str] = []
		if isinstance(node, ast.Import):
			targets = [alias.name for alias in node.names]
		elif isinstance(node, ast.ImportFrom):
			base = node.module or ""
			if node.level:
				anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
				base = ".".join([*anchor, base] if base else anchor)
			targets = [f"{base}.{alias.name}" for alias in node.names]
		for target in targets:
			if target.split(".")[0] == "frappe":
				found.append(("frappe", node.lineno, id(node) in inner))
				continue
			resolved = _resolve(target, modules)
			if resolved and resolved != module and (resolved, node.lineno, id(node) in inner) not in found:
				found.append((resolved, node.lineno, id(node) in inner))
	return found


def layer_of(module: str) -> int | None:
	"""The index in :data:`LAYERS` of ``module``'s layer (longest prefix wins), or None if undeclared."""
	best: tuple[int, int] | None = None  # (prefix length, layer)
	for index, (_name, prefixes) in enumerate(LAYERS):
		for prefix in prefixes:
			if prefix.endswith("*_mapping"):
				parent = prefix.rsplit(".", 1)[0]
				hit = (
					module.startswith(parent + ".")
					and module.endswith("_mapping")
					and module.count(".") == parent.count(".") + 1
				)
			elif prefix in EXACT:
				hit = module == prefix
			else:
				hit = module == prefix or module.startswith(prefix + ".")
			if hit and (best is None or len(prefix) > best[0]):
				best = (len(prefix), index)
	return best[1] if best else None


# ------------------------------------------------------------------ the checks


def problems(sources: dict[str, str]) -> list[str]:
	"""Every import that breaks the direction, every cycle, every unexplained import inside a function
	and every module without a layer; empty when the house is in order."""
	found: list[str] = []
	graph: dict[str, set[str]] = {module: set() for module in sources}
	for module, source in sources.items():
		mine = layer_of(module)
		if mine is None:
			found.append(f"{module}: no layer — declare it in LAYERS (import_direction_test.py)")
			continue
		lines = source.splitlines()
		for target, line, inside in imports_of(module, source, sources):
			if target == "frappe":
				if LAYERS[mine][0] == "pure":
					found.append(f"{module}:{line} imports frappe: the pure layer runs without it")
				continue
			graph[module].add(target)
			theirs = layer_of(target)
			if theirs is not None and theirs > mine:
				found.append(
					f"{module}:{line} imports {target}: {LAYERS[mine][0]} may not import {LAYERS[theirs][0]}"
				)
			if LAYERS[mine][0] == "pure" and target.startswith(FRAPPE_SIDE[1:]):
				found.append(
					f"{module}:{line} imports {target}: the pure layer never imports the frappe side"
				)
			if inside and not _explained(lines, line):
				found.append(f"{module}:{line} imports {target} inside a function without a '# lazy:' reason")
	found += [f"import cycle: {' → '.join(cycle)}" for cycle in cycles(graph)]
	return found


def _explained(lines: list[str], line: int) -> bool:
	"""A ``# lazy:`` comment on the import's line or in the comment lines just above it."""
	if "# lazy:" in lines[line - 1]:
		return True
	index = line - 2
	while index >= 0 and lines[index].strip().startswith("#"):
		if "# lazy:" in lines[index]:
			return True
		index -= 1
	return False


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
	"""The strongly connected components of more than one module (Tarjan), each as a closed path."""
	index: dict[str, int] = {}
	low: dict[str, int] = {}
	stack: list[str] = []
	on_stack: set[str] = set()
	found: list[list[str]] = []

	def visit(node: str) -> None:
		index[node] = low[node] = len(index)
		stack.append(node)
		on_stack.add(node)
		for succ in sorted(graph.get(node, ())):
			if succ not in index:
				visit(succ)
				low[node] = min(low[node], low[succ])
			elif succ in on_stack:
				low[node] = min(low[node], index[succ])
		if low[node] == index[node]:
			component = []
			while True:
				member = stack.pop()
				on_stack.discard(member)
				component.append(member)
				if member == node:
					break
			if len(component) > 1:
				found.append([*sorted(component), sorted(component)[0]])

	for node in sorted(graph):
		if node not in index:
			visit(node)
	return found


# ------------------------------------------------------------------ the tests


def test_the_app_has_a_direction_and_no_cycle():
	assert problems(app_sources()) == []


def test_the_walk_sees_the_layers_and_the_imports_inside_functions():
	sources = app_sources()
	assert {"afas_connector.api", "afas_connector.binding.pull", "afas_connector.simulator.server"} <= set(
		sources
	)
	layers = {LAYERS[layer_of(m)][0] for m in sources}
	assert layers == {name for name, _ in LAYERS}
	commands = imports_of("afas_connector.commands", sources["afas_connector.commands"], sources)
	assert any(inside for _target, _line, inside in commands), "commands imports inside its functions"


@pytest.mark.parametrize(
	"sources, expected",
	[
		(  # a cycle made on purpose
			{
				"afas_connector.binding.pull": "from afas_connector.binding.push import x\n",
				"afas_connector.binding.push": "def f():\n\t# lazy: only to show the cycle\n\tfrom afas_connector.binding.pull import y\n",
			},
			[
				"import cycle: afas_connector.binding.pull → afas_connector.binding.push → afas_connector.binding.pull"
			],
		),
		(  # a flow that calls an observer
			{
				"afas_connector.binding.push": "from afas_connector.binding.alerts import credentials_refused\n",
				"afas_connector.binding.alerts": "",
			},
			[
				"afas_connector.binding.push:1 imports afas_connector.binding.alerts: flows may not import observers"
			],
		),
		(  # the pure layer reaching for frappe
			{"afas_connector.sync.mapping": "import frappe\n"},
			["afas_connector.sync.mapping:1 imports frappe: the pure layer runs without it"],
		),
		(  # an import inside a function that says nothing
			{
				"afas_connector.api": "def f():\n\tfrom afas_connector.binding.pull import x\n",
				"afas_connector.binding.pull": "",
			},
			[
				"afas_connector.api:2 imports afas_connector.binding.pull inside a function without a '# lazy:' reason"
			],
		),
		(  # a new module nobody placed
			{"afas_connector.binding.gadgets": ""},
			["afas_connector.binding.gadgets: no layer — declare it in LAYERS (import_direction_test.py)"],
		),
	],
)
def test_the_check_fails_on_what_it_forbids(sources, expected):
	assert problems(sources) == expected


def test_a_mapping_kind_module_is_a_flow():
	assert LAYERS[layer_of("afas_connector.binding.ledger_mapping")][0] == "flows"
	assert layer_of("afas_connector.binding.sub.x_mapping") != layer_of(
		"afas_connector.binding.ledger_mapping"
	)
