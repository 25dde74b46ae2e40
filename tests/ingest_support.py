"""Helpers of the ingest tests: the fixture dataset, and a local SPARQL endpoint over pyoxigraph."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox
import yaml

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ingest"


def fixture_data(tmp_path: Path) -> Path:
    """A fresh copy of the fixture dataset (the loaders write into it)."""
    target = tmp_path / "data"
    shutil.copytree(FIXTURES / "data", target)
    return target


def read_yaml(path: Path) -> dict[str, list[dict[str, object]]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def records_by_id(path: Path) -> dict[str, dict[str, object]]:
    return {record["id"]: record for records in read_yaml(path).values() for record in records}  # type: ignore[misc]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of a folder and its bytes (to show that a command wrote nothing)."""
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


@dataclass
class Endpoint:
    """A SPARQL 1.1 protocol endpoint (GET and POST, JSON results) over a pyoxigraph store, in a thread."""

    url: str
    user_agents: list[str] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)  # HTTP statuses to answer first, with Retry-After: 0


@contextmanager
def sparql_endpoint(turtle: Path) -> Iterator[Endpoint]:
    store = ox.Store()
    store.load(path=str(turtle), format=ox.RdfFormat.TURTLE)
    endpoint = Endpoint(url="")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self._answer(parse_qs(urlsplit(self.path).query).get("query", [""])[0])

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode("utf-8")
            if self.headers.get("Content-Type", "").startswith("application/sparql-query"):
                self._answer(body)
            else:
                self._answer(parse_qs(body).get("query", [""])[0])

        def _answer(self, query: str) -> None:
            endpoint.user_agents.append(self.headers.get("User-Agent", ""))
            if endpoint.failures:
                self.send_response(endpoint.failures.pop(0))
                self.send_header("Retry-After", "0")
                self.end_headers()
                return
            try:
                solutions = store.query(query)
            except SyntaxError as exc:
                self.send_response(400)
                self.end_headers()
                self.wfile.write(str(exc).encode())
                return
            endpoint.queries.append(query)
            assert isinstance(solutions, ox.QuerySolutions)
            payload = solutions.serialize(format=ox.QueryResultsFormat.JSON)
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    endpoint.url = f"http://127.0.0.1:{server.server_address[1]}/sparql"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield endpoint
    finally:
        server.shutdown()
        server.server_close()
