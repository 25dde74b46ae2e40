"""The fast null models of ftgraph.metrics measure what the networkx versions measure, and every
result is the same from one run to the next whatever PYTHONHASHSEED."""

from __future__ import annotations

import csv
import io
import os
import random
import statistics
import subprocess
import sys
from collections import Counter
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from pytest import approx
from rdflib import Literal, namespace
from rdflib.namespace import PROV, RDF

from ftgraph import metrics as m
from ftgraph.namespaces import FT, SCHEMA

from .test_federation import world


def weighted_graph(seed: int) -> nx.Graph:
    """A random weighted graph whose node names sort in their numeric order (as metrics numbers them)."""
    rng = random.Random(seed)
    n = rng.randint(3, 50)
    G = nx.Graph()
    G.add_nodes_from(f"a{i:02d}" for i in range(n))
    pairs = sorted(tuple(sorted(e)) for e in nx.gnm_random_graph(n, rng.randint(2, 3 * n), seed=seed).edges)
    for u, v in pairs:
        G.add_edge(f"a{u:02d}", f"a{v:02d}", weight=rng.choice([1.0, 0.5, 1 / 3, 2.0]))
    return G


def compact(G: nx.Graph) -> m.Adjacency:
    return m._adjacency(*m._compact(G, "weight"))


# Louvain -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(40))
def test_louvain_is_networkx_louvain_step_for_step(seed: int) -> None:
    """Same graph (nodes and ties in sorted order), same seed: the very partition networkx finds."""
    G = weighted_graph(seed)
    if not G.number_of_edges():
        pytest.skip("no tie drawn")
    names = sorted(G)
    ours = {frozenset(names[i] for i in community) for community in m._louvain(compact(G), random.Random(seed))}
    theirs = {frozenset(c) for c in nx.community.louvain_communities(G, weight="weight", seed=seed)}
    assert ours == theirs
    q, count = m.louvain_modularity(G, seed)
    assert count == len(theirs)
    assert q == approx(nx.community.modularity(G, theirs, weight="weight"), abs=1e-12)


def test_modularity_of_a_known_partition() -> None:
    """Two triangles joined by one tie, split into the triangles: Q = 2 (3/7 − (7/14)²) = 5/14."""
    G = nx.Graph([(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (3, 5), (2, 3)])
    adjacency = m._adjacency(*m._compact(G, None))
    assert m._modularity(adjacency, m._strengths(adjacency), [[0, 1, 2], [3, 4, 5]]) == approx(5 / 14)


def test_modularity_test_ignores_the_order_the_graph_was_built_in() -> None:
    G = weighted_graph(7)
    edges = list(G.edges(data=True))
    random.Random(1).shuffle(edges)
    H = nx.Graph()
    H.add_nodes_from(reversed(list(G)))
    H.add_edges_from(edges)
    assert m.modularity_test(H, draws=10, seed=3) == m.modularity_test(G, draws=10, seed=3)


# Degree-preserving rewiring ------------------------------------------------------------------------


def test_rewirings_keep_degrees_weights_and_simplicity() -> None:
    """Every null graph keeps each node's degree and the multiset of weights, has neither loops nor
    multi-edges (an adjacency holds each neighbour once), and the chain does move."""
    G = weighted_graph(11)
    n, edges, weights = m._compact(G, "weight")
    observed = m._adjacency(n, edges, weights)
    degrees = [len(neighbours) for neighbours in observed]
    nulls = list(m._rewirings(n, edges, weights, random.Random(5), draws=20))
    assert len(nulls) == 20
    for H in nulls:
        assert [len(neighbours) for neighbours in H] == degrees
        assert all(u not in H[u] for u in range(n))
        assert all(H[v][u] == w for u in range(n) for v, w in H[u].items())  # undirected, one weight per tie
        assert Counter(w for u in range(n) for v, w in H[u].items() if u < v) == Counter(weights)
    tie_sets = [frozenset((u, v) for u in range(n) for v in H[u] if u < v) for H in nulls]
    assert tie_sets[0] != frozenset(edges) and len(set(tie_sets)) == 20


def test_a_star_admits_no_rewiring() -> None:
    G = nx.star_graph(6)
    n, edges, weights = m._compact(G, None)
    star = m._adjacency(n, edges, weights)
    assert all(null == star for null in m._rewirings(n, edges, weights, random.Random(0), 3))
    neighbours = [set(G[v]) for v in range(n)]
    assert not m._switchable(edges, neighbours)
    assert m._switchable([(0, 1), (1, 2), (2, 3)], [{1}, {0, 2}, {1, 3}, {2}])  # a path: 0–1, 2–3 → 0–2, 1–3


# Erdős–Rényi efficiency ---------------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 3, 7, 40])
def test_pair_positions(n: int) -> None:
    tails, heads = m._pair_of_index(np.arange(n * (n - 1) // 2), n)
    expected = np.triu_indices(n, 1)
    assert (tails == expected[0]).all() and (heads == expected[1]).all()


def test_pair_positions_of_a_large_graph() -> None:
    n = 200_000
    last = n * (n - 1) // 2 - 1
    tails, heads = m._pair_of_index(np.array([0, n - 2, n - 1, last]), n)
    assert tails.tolist() == [0, 0, 1, n - 2] and heads.tolist() == [1, n - 1, 2, n - 1]


@pytest.mark.parametrize("seed", range(8))
def test_efficiency_equals_networkx(seed: int) -> None:
    G = nx.gnm_random_graph(25, 30, seed=seed)  # often disconnected
    assert m.efficiency(G) == approx(nx.global_efficiency(G), abs=1e-12)


def test_breadth_first_passes_bound_memory_not_results(monkeypatch: pytest.MonkeyPatch) -> None:
    """Split into passes of a few sources and graphs, the searches give the same efficiencies."""
    G = nx.gnm_random_graph(120, 200, seed=5)
    ties = np.array([list(G.edges)] * 3)
    whole = m._mean_inverse_distances(120, ties, None)
    monkeypatch.setattr(m, "BFS_CELLS", 500)  # 4 sources and 1 graph per pass
    assert m._mean_inverse_distances(120, ties, None) == approx(whole, abs=1e-12)
    assert whole == approx([nx.global_efficiency(G)] * 3, abs=1e-12)


def test_random_graph_efficiency_has_the_distribution_of_gnm() -> None:
    """Same mean as networkx's G(n, m) graphs, within the Monte Carlo error of both."""
    n, edges, draws = 30, 45, 400
    ours = m.random_graph_efficiency(n, edges, draws, seed=1)
    rng = random.Random(2)
    theirs = [nx.global_efficiency(nx.gnm_random_graph(n, edges, seed=rng)) for _ in range(draws)]
    error = statistics.stdev(theirs) / draws**0.5
    assert abs(ours - statistics.fmean(theirs)) < 4 * 2**0.5 * error
    assert ours == m.random_graph_efficiency(n, edges, draws, seed=1)
    assert ours != m.random_graph_efficiency(n, edges, draws, seed=3)


def test_sampled_random_graph_efficiency_estimates_the_exact_one() -> None:
    exact = m.random_graph_efficiency(60, 120, 50, seed=4)
    assert m.random_graph_efficiency(60, 120, 50, seed=4, sample=20) == approx(exact, rel=0.05)


def test_assortativity_equals_networkx() -> None:
    rng = random.Random(3)
    G = nx.gnm_random_graph(30, 60, seed=3)
    nx.set_node_attributes(G, {v: rng.choice(["Startup", "School", "Investor"]) for v in G}, "kind")
    assert m.attribute_assortativity(G, "kind") == approx(nx.attribute_assortativity_coefficient(G, "kind"), abs=1e-12)


# Same bytes whatever PYTHONHASHSEED ----------------------------------------------------------------

WRITE_METRICS = """
import sys
from pathlib import Path
from ftgraph import federation
from ftgraph.engine import engine_for
from ftgraph.projection import load_actor_data
data = load_actor_data(engine_for(Path(sys.argv[1])))
federation.write_metrics(data, Path(sys.argv[2]), "https://w3id.org/ftgraph/", federation.Settings(null_draws=20))
"""


def test_metrics_files_do_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    """The three metropoles of test_federation, plus outside shareholders (so that a metropole's local
    actors are a small part of its graph) and meetings (ties of weight 1/(k−1)), measured in two
    processes with different string hashing: every file is byte-identical."""
    w = world()
    for j in range(20):
        w.org(f"outside-{j}", "Investor")
        w.role(f"star-{1 + j % 11}", f"outside-{j}", "role-shareholder")
        w.role(f"mesh-{j % 12}", f"outside-{(j + 3) % 20}", "role-shareholder", start="2016")
    for e in range(8):
        event = w.node("event", f"meeting-{e}")
        w.add(event, RDF.type, FT.Event)
        w.add(event, SCHEMA.startDate, Literal(f"2016-0{1 + e}-01", datatype=namespace.XSD.date))
        agents = [f"star-{1 + (e + i) % 11}" for i in range(2 + e % 4)] + [f"mesh-{(5 * e + i) % 12}" for i in range(3)]
        for k, agent in enumerate(agents):
            association = w.node("association", f"meeting-{e}-{k}")
            w.add(event, PROV.qualifiedAssociation, association)
            w.add(association, PROV.agent, w.node("org", agent))
            w.add(association, PROV.hadRole, w.node("concept", "event-role-participant"))
    graph_dir = tmp_path / "graph"
    graph_dir.mkdir()
    (graph_dir / "graph.nt").write_text(w.graph.serialize(format="nt"), encoding="utf-8")
    runs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"run-{hash_seed}"
        subprocess.run([sys.executable, "-c", WRITE_METRICS, str(graph_dir), str(out)], check=True,
                       env={**os.environ, "PYTHONHASHSEED": hash_seed}, timeout=300)
        runs.append({path.name: path.read_bytes() for path in sorted((out / "metrics").iterdir())})
    assert runs[0].keys() == {"metropoles.csv", "metropoles.json", "timeline.csv", "observations.ttl", "graph.nt"}
    assert runs[0] == runs[1]
    rows = list(csv.DictReader(io.StringIO(runs[0]["metropoles.csv"].decode())))
    assert [row["modularity_z"] != "" for row in rows if row["scope"] in ("ft-mesh", "ft-star")] == [True, True]
