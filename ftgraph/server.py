"""The server (``ftgraph serve``): a read-only SPARQL 1.1 endpoint and linked-data server over the embedded store.

Routes (see docs/server.md):

- ``/sparql``: the SPARQL 1.1 Protocol (GET, POST form, POST ``application/sparql-query``), results
  negotiated by ``Accept`` (q-values, several types) or the ``format`` parameter; without a query,
  the service description. Update, ``LOAD`` and ``SERVICE`` are refused (403), every query runs in
  a killable worker under a time limit, results are capped at ``max_rows`` (header
  ``X-SPARQL-MaxRows`` when cut) and requests at ``max_request_bytes``.
- ``/``: the query page (library queries in an editor, results table, CSV/JSON downloads).
- ``/static/...``: the pages' scripts and styles (nothing is loaded from elsewhere).
- any other path: the entity whose IRI is ``base_iri + path``: an HTML page for browsers, its
  description in Turtle, N-Triples, JSON-LD or RDF/XML for clients that ask (``Accept``, or a
  ``.ttl`` / ``.nt`` / ``.jsonld`` / ``.rdf`` / ``.html`` suffix), answered directly (no 303).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import jinja2
from starlette.applications import Starlette
from starlette.datastructures import MultiDict
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ftgraph.build import check_base_iri
from ftgraph.engine import bind_parameters, open_store
from ftgraph.errors import FtgraphError
from ftgraph.namespaces import DEFAULT_BASE_IRI
from ftgraph.progress import Progress
from ftgraph.query import library
from ftgraph.server_entity import EntityJob, EntityRdfJob
from ftgraph.server_pool import ClientError, Job, WorkerPool, default_workers
from ftgraph.server_sparql import (
    GRAPH_FORMATS,
    RESULT_FORMATS,
    SD_PREFIXES,
    Answer,
    Format,
    SparqlJob,
    negotiate,
    serialize_triples,
    service_description,
)

__all__ = ["LibraryEntry", "ServerConfig", "SparqlServer", "bind_socket", "library_entries", "serve", "url_of"]

log = logging.getLogger("ftgraph.server")

#: Browsers' format for entity pages; offered after the RDF formats, so ``*/*`` gets Turtle.
HTML = Format("html", ("text/html", "application/xhtml+xml"), ("html",), "", "HTML")
#: File-name suffixes of an entity path that choose the format (ids never contain a dot).
SUFFIXES = {".ttl": "turtle", ".nt": "ntriples", ".jsonld": "jsonld", ".rdf": "rdfxml", ".html": "html"}
_ENTITY_FORMATS = (*GRAPH_FORMATS, HTML)
_FORMAT_SUFFIX = {name: suffix for suffix, name in SUFFIXES.items()}

#: Pages load scripts and styles from this server only; data never becomes markup.
_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
_SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


@dataclass(frozen=True)
class ServerConfig:
    """The options of ``ftgraph serve`` (see docs/server.md)."""

    out_dir: Path
    base_iri: str = DEFAULT_BASE_IRI
    timeout: float = 30.0
    workers: int = field(default_factory=default_workers)
    max_rows: int = 100_000
    max_request_bytes: int = 256 * 1024
    max_links: int = 500  #: incoming links listed on an entity page
    worker_memory: int | None = None  #: bytes per query worker (None: half the RAM, shared among them)


@dataclass(frozen=True)
class LibraryEntry:
    """A library query as the query page offers it: its text with the default parameters bound."""

    name: str
    title: str
    question: str
    text: str
    required: tuple[str, ...]  #: parameters without a default, left unbound


def library_entries(base_iri: str) -> list[LibraryEntry]:
    """The query library as the query page (and the load run) use it."""
    try:
        queries = library()
    except FtgraphError as exc:  # a broken library file must not keep the endpoint down
        log.warning("query library not offered on the query page: %s", exc)
        return []
    entries = []
    for query in queries.values():
        required = tuple(p.name for p in query.params if p.default is None)
        defaults = {p.name: p.default for p in query.params if p.default is not None}
        try:
            bindings = {name: query.parameter(name).term(value, base_iri) for name, value in defaults.items()}
        except FtgraphError as exc:
            log.warning("library query %s not offered: %s", query.name, exc)
            continue
        entries.append(LibraryEntry(query.name, query.title, query.question,
                                    bind_parameters(query.sparql(base_iri), bindings), required))
    return entries


class SparqlServer:
    """The server's state (worker pool, library, templates) and its Starlette :attr:`app`.

    :meth:`start` opens (or first builds) the store and starts the workers, raising
    :class:`FtgraphError` with a clear message when it cannot; :meth:`close` stops the workers.
    """

    def __init__(self, config: ServerConfig) -> None:
        if not config.base_iri.endswith("/"):
            raise FtgraphError(f"--base-iri {config.base_iri!r}: the server maps paths under the base IRI, "
                               "so it must end with '/'")
        check_base_iri(config.base_iri)
        self.config = config
        self.pool = WorkerPool(config.out_dir, config.workers, config.worker_memory)
        self.triples = 0
        self.library: list[LibraryEntry] = []
        self.templates = jinja2.Environment(loader=jinja2.PackageLoader("ftgraph", "templates/server"),
                                            autoescape=True, undefined=jinja2.StrictUndefined)
        self.has_network_view = (Path(__file__).parent / "static" / "vis-network.min.js").is_file()
        self.app = Starlette(
            routes=[
                Route("/", self.query_page, methods=["GET"]),
                Route("/sparql", self.sparql, methods=["GET", "POST"]),
                Mount("/static", app=StaticFiles(packages=[("ftgraph", "static")]), name="static"),
                Route("/{path:path}", self.entity, methods=["GET"]),
            ],
            middleware=[Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST"],
                                   allow_headers=["Accept", "Content-Type"], expose_headers=["X-SPARQL-MaxRows"])],
            exception_handlers={ClientError: self._client_error, HTTPException: self._http_error,
                                Exception: self._internal_error},
            lifespan=self._lifespan,
        )

    def start(self) -> None:
        store = open_store(self.config.out_dir)  # builds the store when graph.nt changed; clear errors
        self.triples = len(store)
        del store
        self.library = library_entries(self.config.base_iri)
        self.pool.start()

    def close(self) -> None:
        self.pool.close()

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            self.close()

    # ----------------------------------------------------------------------------------- SPARQL

    async def sparql(self, request: Request) -> Response:
        """The SPARQL 1.1 Protocol endpoint."""
        params = await self._protocol_params(request)
        if params.getlist("update"):
            raise ClientError(403, "SPARQL Update is refused: this endpoint is read-only")
        queries = params.getlist("query")
        if not queries:
            if request.method == "POST":
                raise ClientError(400, "no query: send it as the 'query' parameter or as an "
                                       "application/sparql-query body")
            return self._service_description(request)
        if len(queries) > 1:
            raise ClientError(400, "give exactly one 'query' parameter")
        requested = params.getlist("format")
        accept = request.headers.get("accept")
        results, graph = negotiate(RESULT_FORMATS, accept, requested), negotiate(GRAPH_FORMATS, accept, requested)
        job = SparqlJob(queries[0], results.name if results else None, graph.name if graph else None,
                        self.config.max_rows, tuple(params.getlist("default-graph-uri")),
                        tuple(params.getlist("named-graph-uri")))
        answer: Answer = await self._run(request, job)
        return self._answer(answer, results if results and answer.format_name == results.name else graph)

    async def _run(self, request: Request, job: Job) -> Any:
        """Run ``job`` in a worker; stop it (killing its worker) if the client goes away first."""
        work = asyncio.ensure_future(self.pool.run(job, self.config.timeout))
        gone = asyncio.ensure_future(_disconnected(request))
        await asyncio.wait({work, gone}, return_when=asyncio.FIRST_COMPLETED)
        gone.cancel()
        if not work.done():
            work.cancel()
            with contextlib.suppress(asyncio.CancelledError, ClientError):
                await work
            raise ClientError(499, "the client closed the connection")  # nobody reads this answer
        return work.result()

    async def _protocol_params(self, request: Request) -> MultiDict:
        """The request's parameters: URL query string, plus the form body or the query body of a POST."""
        if len(request.scope.get("query_string", b"")) > self.config.max_request_bytes:
            raise ClientError(414, f"the request URL is longer than the server's limit of "
                                   f"{self.config.max_request_bytes} bytes; send the query with POST")
        pairs = list(request.query_params.multi_items())
        if request.method == "POST":
            media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            body = await self._body(request)
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                raise ClientError(400, "the request body is not UTF-8") from None
            if media_type == "application/x-www-form-urlencoded":
                pairs += parse_qsl(text, keep_blank_values=True)
            elif media_type == "application/sparql-query":
                pairs.append(("query", text))
            elif media_type == "application/sparql-update":
                raise ClientError(403, "SPARQL Update is refused: this endpoint is read-only")
            else:
                raise ClientError(415, "send the query as application/x-www-form-urlencoded (query=...) or "
                                       "application/sparql-query")
        return MultiDict(pairs)

    async def _body(self, request: Request) -> bytes:
        limit = self.config.max_request_bytes
        too_large = ClientError(413, f"the request body is larger than the server's limit of {limit} bytes")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise too_large
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
        return b"".join(chunks)

    def _service_description(self, request: Request) -> Response:
        fmt = negotiate((*GRAPH_FORMATS, HTML), request.headers.get("accept"), request.query_params.getlist("format"))
        if fmt is not None and fmt.name == HTML.name:
            return RedirectResponse("/", status_code=303)
        if fmt is None:
            raise ClientError(406, "the service description is available as "
                                   + ", ".join(f.media_type for f in GRAPH_FORMATS))
        endpoint = str(request.url.replace(query="", fragment=""))
        body = serialize_triples(service_description(endpoint, self.triples), fmt, SD_PREFIXES)
        return Response(body, headers={"Content-Type": fmt.content_type, "Vary": "Accept", **_SECURITY_HEADERS})

    @staticmethod
    def _answer(answer: Answer, fmt: Format | None, headers: dict[str, str] | None = None) -> Response:
        """A result as the response, labelled with the media type negotiated for its format."""
        assert fmt is not None and fmt.name == answer.format_name
        out = {"Content-Type": fmt.content_type, "Vary": "Accept", **_SECURITY_HEADERS, **(headers or {})}
        if answer.truncated_at is not None:
            out["X-SPARQL-MaxRows"] = str(answer.truncated_at)
        return Response(answer.body, headers=out)

    # ------------------------------------------------------------------------------------ pages

    def _html(self, template: str, status: int = 200, **context: Any) -> Response:
        body = self.templates.get_template(template).render(has_network_view=self.has_network_view, **context)
        return Response(body, status_code=status, headers={
            "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": _CSP, "Vary": "Accept",
            "X-Frame-Options": "DENY", **_SECURITY_HEADERS})

    async def query_page(self, request: Request) -> Response:
        """The query page: the library in an editor, results as a table, downloads."""
        library_data = [{"name": entry.name, "title": entry.title, "question": entry.question, "text": entry.text,
                         "required": list(entry.required)} for entry in self.library]
        return self._html("query.html.j2", title="SPARQL query", library=library_data,
                          page_data={"library": library_data, "base": self.config.base_iri,
                                     "maxRows": self.config.max_rows, "timeout": self.config.timeout},
                          base_iri=self.config.base_iri, triples=self.triples)

    async def entity(self, request: Request) -> Response:
        """The entity whose IRI is the base IRI followed by the request's path."""
        raw_path = request.scope.get("raw_path") or request.url.path.encode("utf-8")
        path = raw_path.decode("utf-8", "replace").lstrip("/")
        forced = next((name for suffix, name in SUFFIXES.items() if path.endswith(suffix)), None)
        if forced:
            path = path[: -len(_FORMAT_SUFFIX[forced])]
        fmt = (next(f for f in _ENTITY_FORMATS if f.name == forced) if forced
               else negotiate(_ENTITY_FORMATS, request.headers.get("accept")))
        if fmt is None:
            raise ClientError(406, "entity descriptions are available as "
                                   + ", ".join(f.media_type for f in _ENTITY_FORMATS))
        iri = self.config.base_iri + path
        alternates = ", ".join(f'</{quote(path, safe="/#")}{_FORMAT_SUFFIX[f.name]}>; rel="alternate"; '
                               f'type="{f.media_type}"' for f in _ENTITY_FORMATS)
        headers = {"Link": alternates, "Vary": "Accept"}
        if fmt.name == HTML.name:
            started = time.perf_counter()
            entity = await self._run(request, EntityJob(iri, self.config.base_iri, self.config.max_links))
            if entity is None:
                return self._html("not-found.html.j2", status=404, title="Not found", iri=iri)
            response = self._html("entity.html.j2", title=entity.link.label, entity=entity, iri=iri,
                                  path=path, formats=[(f.label, "/" + path + _FORMAT_SUFFIX[f.name])
                                                      for f in GRAPH_FORMATS],
                                  network_data=entity.network, base_iri=self.config.base_iri,
                                  elapsed=time.perf_counter() - started,
                                  incoming_query="/?query=" + quote(f"SELECT ?subject ?property WHERE {{ ?subject "
                                                                    f"?property <{iri}> }}"))
            response.headers.update(headers)
            return response
        answer = await self._run(request, EntityRdfJob(iri, self.config.base_iri, fmt.name, self.config.max_rows))
        if answer is None:
            raise ClientError(404, f"no entity <{iri}> in this graph")
        return self._answer(answer, fmt, {**headers, "Content-Location": "/" + path + _FORMAT_SUFFIX[fmt.name]})

    # ----------------------------------------------------------------------------------- errors

    def _error(self, request: Request, status: int, message: str, details: dict[str, Any] | None = None) -> Response:
        """A short error: JSON for clients that accept JSON, an HTML page for browsers off /sparql,
        else plain text. Never a traceback."""
        accept = request.headers.get("accept", "")
        if "json" in accept:
            body = json.dumps({"error": message, "status": status, **(details or {})}, ensure_ascii=False)
            return Response(body, status, headers={"Content-Type": "application/json", **_SECURITY_HEADERS})
        if "text/html" in accept and request.url.path != "/sparql":
            return self._html("error.html.j2", status=status, title=f"Error {status}", message=message)
        return Response(message + "\n", status, headers={"Content-Type": "text/plain; charset=utf-8",
                                                         **_SECURITY_HEADERS})

    async def _client_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ClientError)
        return self._error(request, exc.status, exc.message, exc.details)

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        response = self._error(request, exc.status_code, str(exc.detail))
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    async def _internal_error(self, request: Request, exc: Exception) -> Response:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return self._error(request, 500, "internal error")


async def _disconnected(request: Request) -> None:
    """Return when the client has closed the connection (the request body is already read)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


# ------------------------------------------------------------------------------------------- CLI

def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket (``port`` 0: any free port), or FtgraphError saying why not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family, _, _, _, address = infos[0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        raise FtgraphError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/"


def serve(config: ServerConfig, host: str, port: int, *, quiet: bool = False, progress: Progress | None = None) -> None:
    """Run the server until interrupted (Ctrl-C / SIGTERM), printing its URL on stdout once it answers."""
    import uvicorn

    server = SparqlServer(config)
    sock = bind_socket(host, port)
    try:
        with (progress or Progress(quiet=True)).step(f"open the store and start {config.workers} query workers"):
            server.start()
        url = url_of(sock)
        print(f"ftgraph server: {url} (SPARQL endpoint {url}sparql, base IRI {config.base_iri})", flush=True)
        # h11, not httptools: httptools keeps headers of any size in memory (a client sending an endless
        # header grows the server without bound, ~1 MB per MB sent); h11 refuses a request line and headers
        # longer than its limit (400).
        uvicorn_config = uvicorn.Config(server.app, log_level="warning" if quiet else "info", lifespan="on",
                                        server_header=False, http="h11",
                                        h11_max_incomplete_event_size=config.max_request_bytes + 16 * 1024)
        uvicorn.Server(uvicorn_config).run(sockets=[sock])
    finally:
        server.close()
        sock.close()
