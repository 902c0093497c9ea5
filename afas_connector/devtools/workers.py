"""Real RQ worker processes of this bench, for the tests and benchmarks of parallel pushes: the same
``frappe worker`` a bench's Procfile or supervisor starts, on the same Redis queue and database.

A bench's queues are shared by all its sites, and ``frappe worker`` has no way to serve one site only:
workers started here also run other sites' jobs, and other workers may run this site's. So the tests
and benchmarks count what reaches their own simulator, and never drop another site's jobs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import frappe


def start_workers(count: int, *, queue: str = "default") -> list[subprocess.Popen]:
	"""Start ``count`` ``frappe worker --queue <queue>`` processes (``queue``: one or more queue names,
	comma-separated, as ``bench worker --queue`` takes them), each in its own process group (so
	:func:`kill_worker` can take its forked work horse down with it). Their output goes to a file in
	the temp folder, named in the process's ``log`` attribute."""
	sites = os.path.abspath(frappe.local.sites_path)
	procs = []
	for _i in range(count):
		log = tempfile.NamedTemporaryFile(prefix="afas-worker-", suffix=".log", delete=False)  # noqa: SIM115
		proc = subprocess.Popen(
			[sys.executable, "-m", "frappe.utils.bench_helper", "frappe", "worker", "--queue", queue],
			cwd=sites,
			stdout=log,
			stderr=subprocess.STDOUT,
			start_new_session=True,
		)
		proc.log = log.name  # type: ignore[attr-defined]
		procs.append(proc)
	return procs


def stop_workers(procs: list[subprocess.Popen], timeout: float = 20) -> None:
	"""SIGTERM to each worker (RQ's warm shutdown: the current job finishes, the worker deregisters),
	then SIGKILL what is left after ``timeout`` seconds, work horse included."""
	for proc in procs:
		if proc.poll() is None:
			proc.terminate()
	deadline = time.monotonic() + timeout
	for proc in procs:
		try:
			proc.wait(timeout=max(0.1, deadline - time.monotonic()))
		except subprocess.TimeoutExpired:
			kill_worker(proc)


def kill_worker(proc: subprocess.Popen) -> None:
	"""SIGKILL a worker and its work horse at once, as the OOM killer or a lost machine would. Its
	registration in Redis is taken back too, so no later check counts a dead worker as live."""
	try:
		os.killpg(proc.pid, signal.SIGKILL)
	except ProcessLookupError:
		return
	proc.wait(timeout=10)
	_forget(proc.pid)


def _forget(pid: int) -> None:
	from frappe.utils.background_jobs import get_redis_conn
	from rq import Worker

	for worker in Worker.all(connection=get_redis_conn()):
		if worker.pid == pid:
			worker.register_death()


def empty_queue(queue: str = "default") -> int:
	"""Drop this site's jobs waiting in ``queue`` (left by earlier tests whose workers never ran), as
	``bench --site S purge-jobs --queue Q`` does; other sites' jobs stay. Returns the jobs dropped."""
	from frappe.utils.doctor import purge_pending_jobs

	return purge_pending_jobs(site=frappe.local.site, queue=queue)


def wait_listening(procs: list[subprocess.Popen], timeout: float = 60) -> None:
	"""Wait until the started workers are registered in Redis and so listen on their queue (a
	benchmark does not time their start-up; a test does not race it). Raises if they do not."""
	from frappe.utils.background_jobs import get_redis_conn
	from rq import Worker

	pids = {proc.pid for proc in procs}

	def listening() -> bool:
		return pids <= {worker.pid for worker in Worker.all(connection=get_redis_conn())}

	if not wait_until(listening, timeout, 0.2):
		raise RuntimeError(f"{len(procs)} workers did not start in {timeout} s\n{worker_output(procs)}")


def wait_idle(procs: list[subprocess.Popen], queue: str = "default", timeout: float = 120) -> bool:
	"""Wait until ``queue`` holds no job and none of ``procs`` runs one: the jobs other sites left in
	the bench's shared queue run first (a queue is first in, first out), and a test or benchmark should
	not time them. Returns whether it got there (other sites may keep the queue busy)."""
	from frappe.utils.background_jobs import get_queue, get_redis_conn
	from rq import Worker

	pids = {proc.pid for proc in procs}

	def idle() -> bool:
		if get_queue(queue).count:
			return False
		workers = [w for w in Worker.all(connection=get_redis_conn()) if w.pid in pids]
		return all(worker.get_state() != "busy" for worker in workers)

	return wait_until(idle, timeout, 0.2)


def wait_until(check: Callable[[], bool], timeout: float, step: float = 0.2) -> bool:
	"""Poll ``check`` (which reads committed data: each poll starts a fresh transaction) until it holds
	or ``timeout`` seconds pass; returns whether it held."""
	deadline = time.monotonic() + timeout
	while time.monotonic() < deadline:
		frappe.db.rollback()
		if check():
			return True
		time.sleep(step)
	frappe.db.rollback()
	return check()


def worker_output(procs: list[subprocess.Popen], tail: int = 3000) -> str:
	"""The end of each worker's output, for a failing test's message."""
	parts = []
	for proc in procs:
		path = getattr(proc, "log", None)
		if path and os.path.exists(path):
			with open(path, encoding="utf-8", errors="replace") as handle:
				parts.append(f"--- worker {proc.pid}\n{handle.read()[-tail:]}")
	return "\n".join(parts)
