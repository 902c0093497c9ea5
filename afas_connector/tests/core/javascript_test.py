"""Every form and list script parses: a syntax error stops the whole form in the desk, and only the
browser tests (which need built assets) would notice otherwise."""

import pathlib
import shutil
import subprocess

import pytest

APP = pathlib.Path(__file__).resolve().parents[2]
SCRIPTS = sorted(p for p in APP.rglob("*.js") if "node_modules" not in p.parts)


@pytest.mark.skipif(not shutil.which("node"), reason="no Node.js to parse the scripts with")
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(APP)))
def test_script_parses(script):
	done = subprocess.run(["node", "--check", str(script)], capture_output=True, text=True, timeout=60)
	assert done.returncode == 0, done.stderr


def test_there_are_scripts():
	assert len(SCRIPTS) >= 5
