"""The README and the chapters in ``docs/`` say only what is there: every relative link reaches a file
(and a heading, for ``#anchor``), every chapter links back to the README, the README stays short,
every code fence closes, every project path in backticks exists, every ``bench --site S afas …``
command and option is one of ``commands.py``, every ``python -m afas_connector…`` module and option
exists, and every API method named (``/api/method/…``, ``frappe.call``, the API tables) is a
whitelisted function of the source. Read as text and with ``ast``: no frappe, nothing imported."""

from __future__ import annotations

import ast
import bisect
import functools
import pathlib
import re
import shlex
from dataclasses import dataclass, field

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[2]  # afas_connector/ (the Python package)
ROOT = PACKAGE.parent  # the checkout: README.md, docs/, .ci/
README = ROOT / "README.md"
CHAPTERS = sorted((ROOT / "docs").glob("*.md"))
DOCS = [README, *CHAPTERS]
README_MAX_LINES = 220

#: What a project path starts with: the checkout's folders (``.ci/``, ``docs/``, ``afas_connector/``)
#: and the package's (``binding/``, ``sync/``, ``devtools/``, ``tests/`` …), as the docs write them.
#: A path resolves against the checkout or against the package.
PATH_ROOTS = frozenset(
	p.name for base in (ROOT, PACKAGE) for p in base.iterdir() if p.is_dir() and p.name != "__pycache__"
) - {".git", ".venv", "node_modules", ".ruff_cache", ".pytest_cache"}
PLACEHOLDER = re.compile(r"[*<>{}$~…]")  # globs, <name>, {id}, $VAR, ~/, …: not one path


def rel(path: pathlib.Path) -> str:
	return str(path.relative_to(ROOT))


# ------------------------------------------------------------------ reading Markdown


FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")


@dataclass
class Page:
	"""A Markdown file read once: its prose (outside code fences), code lines, code spans and problems."""

	path: pathlib.Path
	lines: list[str]
	prose: list[tuple[int, str]] = field(default_factory=list)
	code: list[tuple[int, str]] = field(default_factory=list)
	fence_problems: list[str] = field(default_factory=list)
	spans: list[tuple[int, str]] = field(default_factory=list)  # (line, text) of each inline code span
	links: list[tuple[int, str]] = field(default_factory=list)  # (line, target)
	headings: list[tuple[int, int, str]] = field(default_factory=list)  # (line, level, text)


def read_page(path: pathlib.Path, text: str | None = None) -> Page:
	if text is None:
		text = path.read_text(encoding="utf-8")
	page = Page(path, text.splitlines())
	opened: tuple[int, str, int] | None = None  # (line, fence character, fence length)
	for number, line in enumerate(page.lines, 1):
		fence = FENCE.match(line)
		if opened is None:
			if fence and not (fence.group(1)[0] == "`" and "`" in fence.group(2)):
				opened = (number, fence.group(1)[0], len(fence.group(1)))
			else:
				page.prose.append((number, line))
			continue
		start, char, length = opened
		if (
			fence
			and fence.group(1)[0] == char
			and len(fence.group(1)) >= length
			and not fence.group(2).strip()
		):
			opened = None
			continue
		page.code.append((number, line))
		if fence:
			page.fence_problems.append(
				f"{rel(path)}:{number}: a fence with an info string inside the fence opened at line {start}"
			)
		elif line.startswith("## ") or line.startswith("**"):
			page.fence_problems.append(
				f"{rel(path)}:{number}: prose ({line[:50]!r}) inside the fence opened at line {start}"
			)
	if opened is not None:
		page.fence_problems.append(f"{rel(path)}:{opened[0]}: the code fence opened here never closes")

	# Inline code spans and links live in paragraphs of prose; a span may run over a line break.
	for paragraph in paragraphs(page.prose):
		numbers = [number for number, _ in paragraph]
		text = "\n".join(line for _, line in paragraph)
		breaks = [m.start() for m in re.finditer("\n", text)]

		def line_of(offset: int, numbers=numbers, breaks=breaks) -> int:
			return numbers[bisect.bisect_left(breaks, offset)]

		blanked = list(text)
		for span in CODE_SPAN.finditer(text):
			page.spans.append((line_of(span.start()), " ".join(span.group(2).split())))
			blanked[span.start() : span.end()] = " " * (span.end() - span.start())
		for link in LINK.finditer("".join(blanked)):
			page.links.append((line_of(link.start()), link.group(1)))
	for number, line in page.prose:
		heading = HEADING.match(line)
		if heading:
			page.headings.append((number, len(heading.group(1)), heading.group(2)))
	return page


def paragraphs(lines: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
	"""Runs of non-blank lines that follow one another in the file (a fence or a blank line ends one)."""
	found: list[list[tuple[int, str]]] = []
	for number, line in lines:
		if not line.strip():
			continue
		if found and found[-1][-1][0] == number - 1:
			found[-1].append((number, line))
		else:
			found.append([(number, line)])
	return found


def slug(heading: str) -> str:
	"""GitHub's anchor of a heading: the rendered text, lower case, without punctuation (letters,
	digits, ``_``, ``-`` and spaces stay), each space a ``-``."""
	text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link → its text
	text = re.sub(r"<[^>]+>", "", text).replace("`", "").replace("*", "")
	return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(page: Page) -> set[str]:
	"""Every heading's anchor; a repeated heading gets ``-1``, ``-2`` … as on GitHub."""
	seen: dict[str, int] = {}
	found = set()
	for _, _, text in page.headings:
		base = slug(text)
		count = seen.get(base, 0)
		seen[base] = count + 1
		found.add(base if count == 0 else f"{base}-{count}")
	return found


@functools.cache
def page(path: pathlib.Path) -> Page:
	return read_page(path)


def link_problems(source: Page) -> list[str]:
	problems = []
	for number, target in source.links:
		if not target or re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):  # http:, https:, mailto:
			continue
		where, _, anchor = target.partition("#")
		if not where:
			if anchor not in anchors(source):
				problems.append(f"{rel(source.path)}:{number}: {target} — no such heading here")
			continue
		resolved = (source.path.parent / where).resolve()
		if not resolved.exists():
			problems.append(f"{rel(source.path)}:{number}: {target} — no such file")
			continue
		if anchor:
			if resolved.suffix != ".md":
				problems.append(
					f"{rel(source.path)}:{number}: {target} — an anchor into a file that is not Markdown"
				)
			elif anchor not in anchors(page(resolved)):
				problems.append(
					f"{rel(source.path)}:{number}: {target} — {resolved.name} has no heading #{anchor}"
				)
	return problems


# ------------------------------------------------------------------ what the docs name


def project_path(token: str) -> str | None:
	"""A token that names a file or folder of the project (``binding/pull.py``, ``.ci/run``,
	``afas_connector/doctype/``), or None: it must have a ``/``, start with one of the checkout's or
	the package's folders, and be one path (no glob, placeholder or URL)."""
	token = token.strip().rstrip(".,:;")
	if "/" not in token or PLACEHOLDER.search(token) or "://" in token:
		return None
	return token if token.split("/", 1)[0] in PATH_ROOTS else None


def path_exists(path: str) -> bool:
	return any((base / path).exists() for base in (ROOT, PACKAGE))


TOKEN_SPLIT = re.compile(r"[\s()\[\]\"',;=`|]+")


def named_paths(source: Page) -> list[tuple[int, str]]:
	"""Project paths named in code spans and code blocks."""
	found = []
	for number, text in source.spans + source.code:
		for token in TOKEN_SPLIT.split(text):
			path = project_path(token)
			if path:
				found.append((number, path))
	return found


def code_texts(source: Page) -> list[tuple[int, str]]:
	"""Every piece of code the page shows: code spans and code block lines (shell comments cut)."""
	return source.spans + [(n, line.split(" # ")[0]) for n, line in source.code]


# ------------------------------------------------------------------ the source, read with ast


@functools.cache
def module_tree(path: pathlib.Path) -> ast.Module:
	return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def module_file(dotted: str) -> tuple[pathlib.Path | None, list[str]]:
	"""The source file of the longest module prefix of ``afas_connector.a.b.c`` and the names after it."""
	parts = dotted.split(".")
	for end in range(len(parts), 0, -1):
		base = ROOT.joinpath(*parts[:end])
		for candidate in (base.with_suffix(".py"), base / "__init__.py"):
			if candidate.is_file():
				return candidate, parts[end:]
	return None, parts


def top_level(tree: ast.Module) -> dict[str, ast.AST]:
	names: dict[str, ast.AST] = {}
	for node in tree.body:
		if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
			names[node.name] = node
		elif isinstance(node, ast.Assign | ast.AnnAssign):
			targets = node.targets if isinstance(node, ast.Assign) else [node.target]
			names.update({t.id: node for t in targets if isinstance(t, ast.Name)})
		elif isinstance(node, ast.ImportFrom | ast.Import):
			names.update({(a.asname or a.name).split(".")[0]: node for a in node.names})
	return names


def is_whitelisted(function: ast.AST) -> bool:
	"""Decorated with ``@frappe.whitelist`` (called or not)."""
	if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
		return False
	for decorator in function.decorator_list:
		target = decorator.func if isinstance(decorator, ast.Call) else decorator
		if ast.unparse(target) in ("frappe.whitelist", "whitelist"):
			return True
	return False


def whitelisted_problem(dotted: str) -> str | None:
	"""Why ``afas_connector.x.y`` is not a method a client may call, or None."""
	path, rest = module_file(dotted)
	if path is None or len(rest) != 1:
		return f"{dotted} is not a function of a module of the source"
	function = top_level(module_tree(path)).get(rest[0])
	if function is None:
		return f"{dotted}: {rel(path)} has no {rest[0]}"
	if not is_whitelisted(function):
		return f"{dotted} is not decorated with @frappe.whitelist"
	return None


API_PATH = re.compile(r"/api/method/([\w.]+)(?![\w.<])")
FRAPPE_CALL = re.compile(r"""\bmethod\s*:\s*["'`]([\w.]+)["'`]""")
API_TABLE_HEADER = re.compile(r"^\|\s*method\s*\|")


def named_methods(source: Page) -> list[tuple[int, str]]:
	"""API methods the page names: ``/api/method/…`` paths, ``frappe.call({method: …})``, ``api.x``
	code spans, and the first column of the API tables (``| method | HTTP | …``, ``afas_connector.api``)."""
	found = []
	for number, text in source.spans + source.code:
		found += [(number, m) for m in API_PATH.findall(text)]
		found += [(number, m) for m in FRAPPE_CALL.findall(text)]
	for number, text in source.spans:
		if re.fullmatch(r"api\.(?!py$)\w+", text):
			found.append((number, f"afas_connector.{text}"))
	in_table = False
	for number, line in source.prose:
		if API_TABLE_HEADER.match(line):
			in_table = True
			continue
		if not line.startswith("|"):
			in_table = False
		elif in_table and not line.startswith("| ---"):
			name = re.match(r"^\|\s*`(\w+)`\s*\|", line)
			assert name, f"{rel(source.path)}:{number}: an API table row without a `method` name"
			found.append((number, f"afas_connector.api.{name.group(1)}"))
	return found


@dataclass
class Command:
	name: str
	options: dict[str, bool]  # "--rows" → takes a value
	arguments: list[tuple[str, list[str] | None]]  # (name, the choices of a click.Choice)


@functools.cache
def cli_commands() -> dict[str, Command]:
	"""The ``afas`` group's commands in ``commands.py``: ``@afas.command("name")`` with their
	``@click.option`` and ``@click.argument`` decorators."""
	commands = {}
	for node in module_tree(PACKAGE / "commands.py").body:
		if not isinstance(node, ast.FunctionDef):
			continue
		name = None
		options: dict[str, bool] = {"--help": False}
		arguments: list[tuple[str, list[str] | None]] = []
		for decorator in node.decorator_list:
			if not isinstance(decorator, ast.Call):
				continue
			called = ast.unparse(decorator.func)
			strings = [
				a.value for a in decorator.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
			]
			keywords = {k.arg: k.value for k in decorator.keywords}
			if called == "afas.command":
				name = strings[0] if strings else node.name.replace("_", "-")
			elif called == "click.option":
				flag = isinstance(keywords.get("is_flag"), ast.Constant) and keywords["is_flag"].value is True
				options.update({s: not flag for s in strings if s.startswith("-")})
			elif called == "click.argument":
				kind = keywords.get("type")
				choices = None
				if isinstance(kind, ast.Call) and ast.unparse(kind.func) == "click.Choice":
					choices = [e.value for e in kind.args[0].elts]  # type: ignore[attr-defined]
				arguments.append((strings[0], choices))
		if name:
			commands[name] = Command(name, options, arguments)
	return commands


CLI = re.compile(r"\bbench(?:\s+--site\s+\S+|\s+…)*\s+afas\s+([a-z][\w-]*)([^\n#|&;`]*)")


def cli_problems(number: int, text: str, where: str) -> list[str]:
	problems = []
	for match in CLI.finditer(text):
		command = cli_commands().get(match.group(1))
		said = f"{where}:{number}: `{match.group(0).strip()}`"
		if command is None:
			problems.append(f"{said}: commands.py has no afas command {match.group(1)!r}")
			continue
		try:
			tokens = shlex.split(match.group(2))
		except ValueError:
			tokens = match.group(2).split()
		positional, waiting_value = [], False
		for token in tokens:
			if waiting_value:
				waiting_value = False
			elif token.startswith("--"):
				option = token.split("=", 1)[0]
				if option not in command.options:
					problems.append(f"{said}: afas {command.name} has no option {option}")
				waiting_value = command.options.get(option, True) and "=" not in token
			elif token != "…":
				positional.append(token)
		if len(positional) > len(command.arguments):
			problems.append(f"{said}: afas {command.name} takes {len(command.arguments)} argument(s)")
		for value, (argument, choices) in zip(positional, command.arguments):
			if choices is not None and value not in choices:
				problems.append(f"{said}: {argument} must be one of {choices}, not {value!r}")
	return problems


PYTHON_M = re.compile(r"\bpython3?\s+-m\s+(afas_connector[\w.]*)([^\n#|&;`]*)")


def argparse_options(path: pathlib.Path) -> set[str]:
	options = {"--help", "-h"}
	for node in ast.walk(module_tree(path)):
		if (
			isinstance(node, ast.Call)
			and isinstance(node.func, ast.Attribute)
			and node.func.attr == "add_argument"
		):
			options.update(
				a.value for a in node.args if isinstance(a, ast.Constant) and str(a.value).startswith("-")
			)
	return options


def python_m_problems(number: int, text: str, where: str) -> list[str]:
	problems = []
	for match in PYTHON_M.finditer(text):
		module = match.group(1)
		path, rest = module_file(module)
		if path is not None and path.name == "__init__.py" and not rest:
			path = path.parent / "__main__.py"
		if path is None or rest or not path.is_file():
			problems.append(f"{where}:{number}: python -m {module}: no such module to run")
			continue
		known = argparse_options(path)
		for token in match.group(2).split():
			if token.startswith("-") and token.split("=", 1)[0] not in known:
				problems.append(f"{where}:{number}: python -m {module} has no option {token}")
	return problems


DOTTED = re.compile(r"^(afas_connector(?:\.\w+)+)(?:\(.*\))?$")


def dotted_problems(source: Page) -> list[str]:
	"""``afas_connector.devtools.samples.sales_order_mapping(…)``: a module, and a name defined in it."""
	problems = []
	for number, text in source.spans:
		match = DOTTED.match(text)
		if not match:
			continue
		path, rest = module_file(match.group(1))
		if path is None:
			problems.append(f"{rel(source.path)}:{number}: `{text}` — no such module")
		elif rest and rest[0] not in top_level(module_tree(path)):
			problems.append(f"{rel(source.path)}:{number}: `{text}` — {rel(path)} has no {rest[0]}")
	return problems


def where_things_live_problems(readme: Page) -> list[str]:
	"""The files named in the README's "Where things live" table are in the row's folder(s)."""
	problems, inside = [], False
	for number, line in readme.prose:
		heading = HEADING.match(line)
		if heading:
			inside = heading.group(2) == "Where things live"
			continue
		cells = [cell.strip() for cell in line.strip().strip("|").split("|")] if line.startswith("|") else []
		if not inside or len(cells) < 3 or cells[0] in ("layer", "---"):
			continue
		places = re.findall(r"`([^`]+)`", cells[1])
		missing = [p for p in places if not path_exists(p)]
		problems += [f"README.md:{number}: {p} — no such file or folder" for p in missing]
		folders = [base / p for p in places for base in (ROOT, PACKAGE) if (base / p).is_dir()]
		folders += [PACKAGE for p in places if (PACKAGE / p).is_file()]
		for name in re.findall(r"`([\w.]+\.(?:py|json|js))`", cells[2]):
			if not any(next(folder.rglob(name), None) for folder in folders):
				problems.append(f"README.md:{number}: {name} is in none of {', '.join(places)}")
	return problems


# ------------------------------------------------------------------ the tests


def test_the_docs_are_there():
	assert README.is_file()
	assert len(CHAPTERS) >= 10, [p.name for p in CHAPTERS]


def test_the_readme_is_what_a_newcomer_reads_first():
	lines = README.read_text(encoding="utf-8").splitlines()
	assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; move detail into docs/"
	headings = {text for _, _, text in page(README).headings}
	for needed in ("Install", "Test", "Where things live"):
		assert needed in headings, needed
	assert any(h.startswith("Try it") for h in headings)
	text = "\n".join(lines)
	# the two commands on a fresh machine: the demo on the embedded simulator, and the tests
	assert "bench --site your.site afas demo" in text
	assert "bash .ci/run" in text
	# issue 26 §6: what a newcomer meets before the desk opens (the bench test test_first_hour reads these too)
	assert "setup wizard" in text[: text.index("## Try it")]
	assert "bench build --app afas_connector" in text


def test_the_readme_links_every_chapter():
	linked = {(README.parent / target.partition("#")[0]).resolve() for _, target in page(README).links}
	assert [rel(p) for p in CHAPTERS if p.resolve() not in linked] == []


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_every_chapter_starts_with_a_link_back_to_the_readme(chapter):
	first = next(line for line in chapter.read_text(encoding="utf-8").splitlines() if line.strip())
	targets = [m.group(1) for m in LINK.finditer(first)]
	assert "../README.md" in targets, f"{rel(chapter)} starts with {first!r}"


@pytest.mark.parametrize("doc", DOCS, ids=rel)
def test_every_code_fence_closes(doc):
	assert page(doc).fence_problems == []


@pytest.mark.parametrize("doc", DOCS, ids=rel)
def test_every_relative_link_reaches_a_file_and_heading(doc):
	assert link_problems(page(doc)) == []


@pytest.mark.parametrize("doc", DOCS, ids=rel)
def test_every_project_path_exists(doc):
	source = page(doc)
	missing = [f"{rel(doc)}:{n}: {p}" for n, p in named_paths(source) if not path_exists(p)]
	assert missing + dotted_problems(source) == []


def test_where_things_live_names_files_that_are_there():
	assert where_things_live_problems(page(README)) == []


@pytest.mark.parametrize("doc", DOCS, ids=rel)
def test_every_afas_command_and_option_exists(doc):
	problems = []
	for number, text in code_texts(page(doc)):
		problems += cli_problems(number, text, rel(doc))
		problems += python_m_problems(number, text, rel(doc))
	assert problems == []


def test_the_demos_options_are_the_demos():
	"""The README's "Try it" names the demo's options on their own (`--rows 5000`, `--serve`, `--port`)."""
	readme = page(README)
	start = next(n for n, _, text in readme.headings if text.startswith("Try it"))
	end = min([n for n, _, _ in readme.headings if n > start] + [len(readme.lines) + 1])
	named = {text.split()[0] for n, text in readme.spans if start < n < end and text.startswith("--")}
	assert named >= {"--rows", "--serve", "--port"}
	assert named <= set(cli_commands()["demo"].options)


@pytest.mark.parametrize("doc", DOCS, ids=rel)
def test_every_api_method_named_is_whitelisted(doc):
	problems = [f"{rel(doc)}:{n}: {p}" for n, m in named_methods(page(doc)) if (p := whitelisted_problem(m))]
	assert problems == []


def test_the_docs_name_commands_and_methods():
	"""The checks above look at something: the docs name the CLI, python -m and API methods."""
	texts = [text for doc in DOCS for _, text in code_texts(page(doc))]
	assert {m.group(1) for t in texts for m in CLI.finditer(t)} >= {"demo", "sync", "benchmark"}
	assert any(PYTHON_M.search(t) for t in texts)
	methods = {m for doc in DOCS for _, m in named_methods(page(doc))}
	assert {
		"afas_connector.api.sync_now",
		"afas_connector.api.health",
		"afas_connector.api.import_mappings",
	} <= methods
	assert sum(1 for doc in DOCS for _ in named_paths(page(doc))) > 50


# ------------------------------------------------------------------ the checks fail where they should


BROKEN = """[← README](../README.md)

# A chapter

See [the ledger](ledger.md#no-such-heading), [nothing](missing.md) and [fine](#a-chapter).
The code is in `binding/no_such_module.py` and `afas/dates.py`.

```bash
bench --site S afas frobnicate
bench --site S afas benchmark sideways --rows 5 --colour red
python -m afas_connector.simulator --port 1 --no-such-option
curl "$SITE/api/method/afas_connector.api.limited"
```

```
=== unclosed
## Which runner sees which tests
"""


def test_the_checks_find_what_is_broken():
	broken = read_page(ROOT / "docs" / "broken.md", BROKEN)
	assert [p.split(": ", 1)[1] for p in link_problems(broken)] == [
		"ledger.md#no-such-heading — ledger.md has no heading #no-such-heading",
		"missing.md — no such file",
	]
	assert [p for _, p in named_paths(broken) if not path_exists(p)] == ["binding/no_such_module.py"]
	assert len(broken.fence_problems) == 2  # prose inside, and never closed
	problems = []
	for number, text in code_texts(broken):
		problems += cli_problems(number, text, "broken.md") + python_m_problems(number, text, "broken.md")
	expected = [
		"commands.py has no afas command 'frobnicate'",
		"afas benchmark has no option --colour",
		"which must be one of ['inbound', 'outbound', 'ledger', 'push', 'templates'], not 'sideways'",
		"python -m afas_connector.simulator has no option --no-such-option",
	]
	assert len(problems) == len(expected), problems
	assert all(problem.endswith(said) for problem, said in zip(problems, expected)), problems
	assert [whitelisted_problem(m) for _, m in named_methods(broken)] == [
		"afas_connector.api.limited is not decorated with @frappe.whitelist"
	]


def test_github_anchor_slugs():
	assert slug("Throughput at AFAS's speed") == "throughput-at-afass-speed"
	assert slug("Running it in production: what must run") == "running-it-in-production-what-must-run"
	assert slug("Try it (one command)") == "try-it-one-command"
	assert slug("The `afas_connector` CLI") == "the-afas_connector-cli"
	repeated = read_page(ROOT / "docs" / "x.md", "# A\n\n## Notes\n\n## Notes\n")
	assert anchors(repeated) == {"a", "notes", "notes-1"}
