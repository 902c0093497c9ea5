"""Shim for tools that still call setup.py; the real metadata is in pyproject.toml (flit_core)."""

from setuptools import find_packages, setup

from afas_connector import __version__

setup(
	name="afas_connector",
	version=__version__,
	description="Sync ERPNext with AFAS Profit through AFAS's REST API",
	packages=find_packages(),
	include_package_data=True,
	# data the app reads at run time (the simulator's spec_facts.json, DocType JSON): flit ships every file in
	# the package; setuptools only what is named here
	package_data={"afas_connector": ["**/*.json"]},
	zip_safe=False,
	install_requires=["requests>=2.28", "croniter>=1.3"],
	extras_require={"test": ["pytest>=7", "jsonschema>=4"]},
	python_requires=">=3.10",
)
