"""Loaders that bring new material into ``data/`` as sourced records (``ftgraph ingest ...``).

- :mod:`ftgraph.ingest.csv`: a researcher's table, through a declarative column mapping;
- :mod:`ftgraph.ingest.sparql`: organisations and people of the graph's cities from a Wikidata-shaped endpoint;
- :mod:`ftgraph.ingest.article`: French press articles, through spaCy, into a review file;
- :mod:`ftgraph.ingest.review`: the review file a curator edits, merged into ``data/`` by ``accept``;
- :mod:`ftgraph.ingest.common`: matching on ids / identifiers / names, idempotent atomic merge into ``data/``.

Every loader writes ``data/ingested/<name>.yaml`` (records) and ``data/sources/ingested-<name>.yaml``
(their sources), re-validated with :func:`ftgraph.loader.load_dataset` before anything is written.
"""
