"""An AFAS Profit REST simulator (stdlib only, no frappe): real HTTP on 127.0.0.1 for tests and benchmarks.

``AfasSimulator(port=0).start()``; see :mod:`afas_connector.simulator.server` for the API and
``python -m afas_connector.simulator --help`` for the command line.
"""

from afas_connector.simulator.authenticator import (
	DEMO_CLIENT_ID,
	DEMO_CLIENT_SECRET,
	DEMO_TOKEN,
	token_header,
)
from afas_connector.simulator.faults import Fault, FaultPlan
from afas_connector.simulator.server import AfasSimulator, RequestRecord

__all__ = [
	"DEMO_CLIENT_ID",
	"DEMO_CLIENT_SECRET",
	"DEMO_TOKEN",
	"AfasSimulator",
	"Fault",
	"FaultPlan",
	"RequestRecord",
	"token_header",
]
