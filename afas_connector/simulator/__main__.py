"""``python -m afas_connector.simulator``: serve a demo AFAS environment until Ctrl-C.

Refuses a non-loopback ``--host`` unless ``--allow-remote``: the simulator accepts a published demo token.
"""

from __future__ import annotations

import argparse
import ipaddress
import signal
import sys
import threading

from afas_connector.simulator.authenticator import (
	DEMO_CLIENT_ID,
	DEMO_CLIENT_SECRET,
	DEMO_TOKEN,
	token_header,
)
from afas_connector.simulator.server import AfasSimulator


def _is_loopback(host: str) -> bool:
	if host == "localhost":
		return True
	try:
		return ipaddress.ip_address(host).is_loopback
	except ValueError:
		return False


def main(argv: list[str] | None = None) -> int:
	"""Parse arguments, start the simulator and block until interrupted."""
	parser = argparse.ArgumentParser(prog="python -m afas_connector.simulator", description=__doc__)
	parser.add_argument("--port", type=int, default=8899)
	parser.add_argument("--host", default="127.0.0.1")
	parser.add_argument("--allow-remote", action="store_true", help="allow binding a non-loopback address")
	parser.add_argument("--rows", type=int, default=0, help="replace ERP_Debtors with N generated rows")
	parser.add_argument("--seed", type=int, default=1)
	parser.add_argument("--env-id", default="12345")
	parser.add_argument("--token-lifetime", type=float, default=3600, help="OAuth access token lifetime (s)")
	args = parser.parse_args(argv)
	if not _is_loopback(args.host) and not args.allow_remote:
		parser.error(f"refusing to listen on non-loopback host {args.host!r} without --allow-remote")
	sim = AfasSimulator(
		env_id=args.env_id, port=args.port, host=args.host, oauth_token_lifetime=args.token_lifetime
	)
	if args.rows:
		sim.generate_rows("ERP_Debtors", args.rows, args.seed)
	sim.start()
	print(
		f"AFAS simulator: {sim.base_url}  env {sim.env_id}  token {DEMO_TOKEN}  "
		f"oauth {DEMO_CLIENT_ID}/{DEMO_CLIENT_SECRET}",
		flush=True,
	)
	print(f"Authorization: {token_header(DEMO_TOKEN)}", flush=True)
	stopped = threading.Event()
	signal.signal(signal.SIGTERM, lambda *_: stopped.set())
	try:
		while not stopped.wait(0.5):
			pass
	except KeyboardInterrupt:
		pass
	finally:
		sim.stop()
	return 0


if __name__ == "__main__":
	sys.exit(main())
