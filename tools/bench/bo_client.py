"""A minimal hpsweep ask/tell client over HTTP/1.1 keep-alive, standard library
only: what an external program that tunes with hpsweep would write. It speaks
the documented API (proto/openapi.yaml) and nothing else.

One `Connection` per thread: http.client connections are not thread-safe.
Every call raises `ApiError` (with the HTTP status and the error body) on a
non-2xx answer, so a benchmark never mistakes an error for a result.
`run_clients` is the benchmarks' ask/evaluate/complete loop (bo_bench.py,
mo_bench.py); tools/bench/with_coordinator.sh starts the coordinator they
talk to.
"""
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from typing import Any, Callable, Dict, List, Optional, Tuple


class ApiError(RuntimeError):
    def __init__(self, method: str, path: str, status: int, body: str):
        super().__init__(f"{method} {path}: HTTP {status}: {body[:500]}")
        self.status = status
        self.body = body


class Connection:
    """One keep-alive connection to a coordinator. Not thread-safe."""

    def __init__(self, endpoint: str, token: str, timeout_s: float = 600.0):
        url = urllib.parse.urlsplit(endpoint if "://" in endpoint else "http://" + endpoint)
        self._host, self._port = url.hostname, url.port or 80
        self._token = token
        self._timeout_s = timeout_s
        self._conn: Optional[http.client.HTTPConnection] = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method: str, path: str, body=None) -> Tuple[int, str]:
        """Sends one request; reconnects once if the server closed an idle
        connection (never after the request reached it: asks are not replayed)."""
        payload = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {self._token}"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (0, 1):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout_s)
            try:
                self._conn.request(method, path, body=payload, headers=headers)
            except (ConnectionError, http.client.HTTPException):
                self.close()  # stale keep-alive connection: the request was not sent
                if attempt:
                    raise
                continue
            try:
                response = self._conn.getresponse()
            except (http.client.RemoteDisconnected, ConnectionResetError):
                # The server closed a keep-alive connection that sat idle past
                # its timeout as the request went out. Only a GET is safe to
                # send again: an ask may have been served.
                self.close()
                if attempt or method != "GET":
                    raise
                continue
            text = response.read().decode()
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            if not 200 <= response.status < 300:
                raise ApiError(method, path, response.status, text)
            return response.status, text
        raise AssertionError("unreachable")

    def call(self, method: str, path: str, body=None):
        return json.loads(self.request(method, path, body)[1])

    # --- The endpoints the benchmark uses --------------------------------------

    def create_sweep(self, spec: Dict) -> Dict:
        return self.call("POST", "/api/v1/sweeps", spec)

    def ask(self, sweep_id: int, client_id: str, lease_seconds: int = 600) -> Tuple[Dict, float]:
        """One trial of `sweep_id`, or an answer without trials. Returns the
        answer and the seconds it took (request sent to answer read)."""
        start = time.perf_counter()
        answer = self.call("POST", "/api/v1/ask", {"client_id": client_id, "count": 1, "kind": "client",
                                                   "sweep_id": sweep_id, "lease_seconds": lease_seconds})
        return answer, time.perf_counter() - start

    def complete(self, trial_id: int, client_id: str, values: Dict[str, float]) -> Dict:
        return self.call("POST", f"/api/v1/trials/{trial_id}/complete",
                         {"client_id": client_id, "values": values})

    def sweep(self, sweep_id: int) -> Dict:
        return self.call("GET", f"/api/v1/sweeps/{sweep_id}")

    def metrics(self) -> Dict[str, float]:
        """GET /metrics as {series: value} (Prometheus text, labels kept in the key)."""
        out = {}
        for line in self.request("GET", "/metrics")[1].splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.rpartition(" ")
                try:
                    out[key] = float(value)
                except ValueError:
                    pass
        return out


def run_clients(endpoint: str, token: str, sweep_id: int, name: str, evals: int, batch: int,
                evaluate: Callable[[Dict], Tuple[Dict[str, float], Any]], ask_timeout: float) -> Dict:
    """Runs `evals` trials of an external sweep with `batch` client threads,
    each with its own connection and client id `{name}-c{i}`: ask one trial
    (asking again after `retry_after_seconds` while the answer has none),
    `evaluate(trial)` -> (values to complete with, a record of the caller's),
    complete. The first error stops every thread; an ask answered `done`
    before `evals` trials is an error.

    Returns {"records": the records in completion order, "ask_s": every ask's
    latency, "empty_asks": asks answered without a trial, "wall_s", "errors":
    one line per thread that failed}. `evaluate` raising RuntimeError,
    ApiError or OSError is recorded as that thread's error."""
    lock = threading.Lock()
    state = {"issued": 0, "empty_asks": 0}
    records: List[Any] = []
    latencies: List[float] = []
    errors: List[str] = []

    def client(index: int) -> None:
        conn = Connection(endpoint, token, timeout_s=ask_timeout)
        client_id = f"{name}-c{index}"
        try:
            while True:
                with lock:
                    if state["issued"] >= evals or errors:
                        return
                    state["issued"] += 1
                while True:
                    answer, seconds = conn.ask(sweep_id, client_id)
                    with lock:
                        latencies.append(seconds)
                    if answer["trials"]:
                        break
                    if answer["done"]:
                        raise RuntimeError(f"ask answered done after {state['issued'] - 1} trials of {evals}")
                    with lock:
                        state["empty_asks"] += 1
                    time.sleep(answer.get("retry_after_seconds") or 0.05)
                trial = answer["trials"][0]["trial"]
                values, record = evaluate(trial)
                conn.complete(trial["id"], client_id, values)
                with lock:
                    records.append(record)
        except (ApiError, RuntimeError, OSError) as e:  # OSError: a socket timeout is a stalled ask
            with lock:
                errors.append(f"client {index}: {type(e).__name__}: {e}")
        finally:
            conn.close()

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(batch)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"records": records, "ask_s": latencies, "empty_asks": state["empty_asks"],
            "wall_s": time.perf_counter() - start, "errors": errors}


class OptunaChild:
    """The benchmarks' Optuna anchor runs in a child process while the
    hpsweep runs go through the coordinator: `script` is re-run with
    `--optuna-out FILE` and `flags`, and writes one JSON line per run with
    its "key". Keeps FILE when `out_path` names it (else a temporary file,
    removed after `collect`)."""

    def __init__(self, script: str, flags: List[str], prefix: str, out_path: Optional[str] = None):
        self.path = out_path or tempfile.NamedTemporaryFile(prefix=prefix, suffix=".jsonl", delete=False).name
        self._keep = out_path is not None
        self._child = subprocess.Popen([sys.executable, os.path.abspath(script), "--optuna-out", self.path] + flags)

    def kill(self) -> None:
        self._child.kill()

    def collect(self) -> Tuple[Dict[str, Dict], List[str]]:
        """Waits for the child; returns its runs by key and what went wrong."""
        defects = []
        if self._child.wait() != 0:
            defects.append(f"the Optuna child process exited {self._child.returncode}")
        runs = {}
        with open(self.path) as f:
            for line in f:
                r = json.loads(line)
                runs[r.pop("key")] = r
        if not self._keep:
            os.unlink(self.path)
        return runs, defects
