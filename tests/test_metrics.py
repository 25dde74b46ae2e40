"""Every measure on small graphs whose values are computed by hand in the comments."""

from __future__ import annotations

import math
import random
import statistics

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ftgraph import metrics as m

approx = pytest.approx


def star() -> nx.Graph:
    """Centre 0 and leaves 1..4: n = 5, m = 4."""
    return nx.star_graph(4)


def path() -> nx.Graph:
    """0 - 1 - 2 - 3: n = 4, m = 3."""
    return nx.path_graph(4)


def bridged_cliques() -> nx.Graph:
    """Two K4 (0-3 of class a, 4-7 of class b) joined by the bridge 3 - 4: n = 8, m = 13."""
    G = nx.barbell_graph(4, 0)
    nx.set_node_attributes(G, {v: "a" if v < 4 else "b" for v in G}, "kind")
    return G


def isolates() -> nx.Graph:
    return nx.empty_graph(5)


def single() -> nx.Graph:
    return nx.empty_graph(1)


def empty() -> nx.Graph:
    return nx.Graph()


# Size, density, cohesion --------------------------------------------------------------------------

def test_star_by_hand() -> None:
    G = star()
    assert m.mean_degree(G) == approx(8 / 5)
    assert m.density(G) == approx(4 / 10)
    assert m.largest_component_share(G) == 1.0
    # ordered pairs: 8 centre-leaf at distance 1, 12 leaf-leaf at distance 2 → (8 + 6) / 20
    assert m.efficiency(G) == approx(0.7)
    assert m.average_clustering(G) == 0.0
    assert m.transitivity(G) == 0.0
    assert m.degree_centralization(G) == approx(1.0)
    b = m.betweenness(G)
    assert b[0] == approx(1.0) and all(b[v] == 0 for v in range(1, 5))
    assert m.betweenness_centralization(G, b) == approx(1.0)
    assert m.hub_robustness(G, b) == approx(1 / 4)  # one leaf survives out of 5 - 1
    assert m.two_core_share(G) == 0.0
    assert m.max_core(G) == 1


def test_path_by_hand() -> None:
    G = path()
    assert m.mean_degree(G) == approx(1.5)
    assert m.density(G) == approx(0.5)
    # 3 pairs at distance 1, 2 at 2, 1 at 3: 2 × (3 + 1 + 1/3) / 12
    assert m.efficiency(G) == approx(13 / 18)
    assert m.degree_centralization(G) == approx(2 / 6)
    b = m.betweenness(G)
    # nodes 1 and 2 each lie on 2 of the 3 pairs that do not contain them
    assert [b[v] for v in range(4)] == approx([0, 2 / 3, 2 / 3, 0])
    assert m.betweenness_centralization(G, b) == approx((2 / 3 + 2 / 3) / 3)
    assert m.ranked_brokers(G, b)[:2] == [1, 2]
    # removing node 1 leaves {0} and {2, 3}
    assert m.hub_robustness(G, b) == approx(2 / 3)
    # removing 1 and 2 leaves three isolates
    assert m.hub_robustness(G, b, hubs=2) == approx(1 / 2)
    assert m.transitivity(G) == 0.0
    assert m.two_core_share(G) == 0.0


def test_bridged_cliques_by_hand() -> None:
    G = bridged_cliques()
    assert m.mean_degree(G) == approx(26 / 8)
    assert m.density(G) == approx(13 / 28)
    # 13 pairs at distance 1, 6 at 2 (bridge ends to the far clique), 9 at 3: 2 × (13 + 3 + 3) / 56
    assert m.efficiency(G) == approx(19 / 28)
    # six nodes of clustering 1, the two bridge ends 3 / 6
    assert m.average_clustering(G) == approx(7 / 8)
    # 8 triangles; connected triples: 6 × 3 + 2 × 6
    assert m.transitivity(G) == approx(3 * 8 / 30)
    assert m.degree_centralization(G) == approx(6 / 42)
    b = m.betweenness(G)
    # each bridge end lies on the 12 shortest paths between {0, 1, 2} or {5, 6, 7} and the far clique
    assert b[3] == approx(12 / 21) and b[4] == approx(12 / 21) and b[0] == 0
    assert m.betweenness_centralization(G, b) == approx(6 * (12 / 21) / 7)
    assert m.hub_robustness(G, b) == approx(4 / 7)  # without node 3: {0,1,2} and {4,...,7}
    assert m.two_core_share(G) == 1.0
    assert m.max_core(G) == 3


def test_bridged_cliques_mixing_by_hand() -> None:
    G = bridged_cliques()
    # EL = 1 (the bridge), IL = 12
    assert m.ei_index(G, "kind") == approx(-11 / 13)
    # P_int = 6 + 6 of 28 pairs: (16 - 12) / 28
    assert m.expected_ei_index(G, "kind") == approx(4 / 28)
    # (1/13) / (16/28)
    assert m.cross_class_mixing(G, "kind") == approx(7 / 52)
    # e_aa = e_bb = 12/26, a_i = b_i = 1/2: (24/26 - 1/2) / (1 - 1/2)
    assert m.attribute_assortativity(G, "kind") == approx(11 / 13)


def test_mixing_caps_and_undefined_cases() -> None:
    G = star()
    nx.set_node_attributes(G, {0: "association", 1: "startup", 2: "startup", 3: "investor", 4: "investor"}, "kind")
    # every tie crosses classes: 4/4 observed over 1 - (2 + 2) / 20 expected → capped at 1
    assert m.cross_class_mixing(G, "kind") == 1.0
    assert m.ei_index(G, "kind") == 1.0
    assert m.expected_ei_index(G, "kind") == approx((10 - 4) / 10)
    nx.set_node_attributes(G, "startup", "kind")
    assert m.cross_class_mixing(G, "kind") is None  # one class only: no expectation
    assert m.attribute_assortativity(G, "kind") is None  # 0/0
    assert m.ei_index(G, "kind") == -1.0


def test_modularity_of_bridged_cliques() -> None:
    G = bridged_cliques()
    q, communities = m.louvain_modularity(G, seed=1)
    # two communities, each with 6 of the 13 ties and half of the degree: 2 × (6/13 - 1/4)
    assert communities == 2
    assert q == approx(2 * (6 / 13 - 1 / 4))
    test = m.modularity_test(G, draws=30, seed=1)
    assert test.modularity == approx(q)
    assert test.null_mean is not None and test.null_mean < q
    assert test.z is not None and test.z > 2


def test_modularity_of_a_star_has_no_z_score() -> None:
    """A star cannot be rewired without multi-edges: the null is the star itself, sd = 0."""
    test = m.modularity_test(nx.star_graph(6), draws=5, seed=3)
    assert test.modularity is not None
    assert test.z is None


def test_weighted_modularity_uses_weights() -> None:
    G = bridged_cliques()
    for u, v in G.edges:
        G[u][v]["weight"] = 0.01 if (u, v) == (3, 4) else 1.0
    q_weighted, _ = m.louvain_modularity(G, seed=1)
    q_plain, _ = m.louvain_modularity(G, seed=1, weight=None)
    assert q_weighted > q_plain


def test_structural_holes_summaries() -> None:
    G = star()
    nx.set_node_attributes(G, {0: "hub", 1: "leaf", 2: "leaf", 3: "leaf", 4: "leaf"}, "kind")
    G.add_node(5, kind="leaf")  # an isolate: left out
    constraint = m.constraint_summary(G, "kind")
    # centre: 4 × (1/4)^2; leaves: 1
    assert constraint["median"] == 1.0
    assert constraint["mean"] == approx((0.25 + 4) / 5)
    assert constraint["median_by_class"] == {"hub": approx(0.25), "leaf": 1.0}
    size = m.effective_size_summary(G, "kind")
    assert size["median_by_class"] == {"hub": 4.0, "leaf": 1.0}
    assert size["mean"] == approx(8 / 5)


def test_constraint_matches_networkx() -> None:
    G = classed(nx.gnm_random_graph(30, 70, seed=9))
    G.add_node(99, kind="startup")
    expected = nx.constraint(G)
    tied = sorted(expected[v] for v in G if G.degree(v))
    summary = m.constraint_summary(G, "kind")
    assert summary["mean"] == approx(sum(tied) / len(tied))
    by_class = {cls: sorted(expected[v] for v in G if G.degree(v) and G.nodes[v]["kind"] == cls) for cls in CLASSES}
    assert summary["median_by_class"] == {cls: approx(statistics.median(vals)) for cls, vals in by_class.items()}


def test_sampled_clustering_and_transitivity() -> None:
    G = classed(nx.gnm_random_graph(80, 300, seed=4))
    assert m.average_clustering(G, sample=80) == approx(nx.average_clustering(G))
    assert m.transitivity(G, sample=80) == approx(nx.transitivity(G))
    nodes = sorted(random.Random(2).sample(sorted(G, key=str), 20), key=str)
    assert m.average_clustering(G, sample=20, seed=2) == approx(nx.average_clustering(G, nodes=nodes))
    triangles = sum(nx.triangles(G, nodes).values())
    triples = sum(k * (k - 1) / 2 for _, k in G.degree(nodes))
    assert m.transitivity(G, sample=20, seed=2) == approx(triangles / triples)


def test_effective_size_matches_networkx() -> None:
    G = classed(nx.gnm_random_graph(30, 70, seed=9))
    G.add_node(99, kind="startup")
    expected = nx.effective_size(G)
    tied = [expected[v] for v in G if G.degree(v)]
    summary = m.effective_size_summary(G, "kind")
    assert summary["mean"] == approx(sum(tied) / len(tied))
    assert summary["median"] == approx(sorted(tied)[len(tied) // 2] if len(tied) % 2 else
                                       (sorted(tied)[len(tied) // 2 - 1] + sorted(tied)[len(tied) // 2]) / 2)


def test_brokerage_share() -> None:
    G = path()
    b = m.betweenness(G)
    assert m.brokerage_share(b, [1]) == approx(0.5)
    assert m.brokerage_share(b, [0, 3]) == 0.0
    assert m.brokerage_share(m.betweenness(isolates()), [0]) is None


def test_sampled_betweenness_is_seeded_and_exact_when_the_sample_covers_the_graph() -> None:
    G = nx.gnm_random_graph(60, 150, seed=5)
    exact = m.betweenness(G)
    assert m.betweenness(G, sample=60, seed=1) == exact
    sampled = m.betweenness(G, sample=20, seed=1)
    assert sampled == m.betweenness(G, sample=20, seed=1)
    assert sampled != exact


def test_sampled_efficiency_and_constraint() -> None:
    G = classed(nx.gnm_random_graph(80, 200, seed=3))
    assert m.efficiency(G, sample=80, seed=1) == m.efficiency(G)
    estimate = m.efficiency(G, sample=30, seed=1)
    assert estimate == m.efficiency(G, sample=30, seed=1)
    assert estimate == approx(m.efficiency(G), rel=0.1) and estimate != m.efficiency(G)
    # one source: the mean inverse distance from it
    source = random.Random(1).sample(sorted(G, key=str), 1)[0]
    inverse = [1 / d for d in nx.single_source_shortest_path_length(G, source).values() if d]
    assert m.efficiency(G, sample=1, seed=1) == approx(sum(inverse) / 79)
    assert m.constraint_summary(G, "kind", sample=80, seed=1) == m.constraint_summary(G, "kind")
    sampled = m.constraint_summary(G, "kind", sample=20, seed=1)
    assert sampled == m.constraint_summary(G, "kind", sample=20, seed=1)
    assert sampled["median"] == approx(m.constraint_summary(G, "kind")["median"], rel=0.25)


# Degenerate graphs: defined results, never NaN ---------------------------------------------------

ALL_NONE_ON_EMPTY = [m.mean_degree, m.density, m.largest_component_share, m.efficiency, m.average_clustering,
                     m.transitivity, m.degree_centralization, m.two_core_share, m.max_core]


def test_empty_graph() -> None:
    G = empty()
    assert all(measure(G) is None for measure in ALL_NONE_ON_EMPTY)
    assert m.isolate_count(G) == 0
    assert m.hub_robustness(G, {}) is None
    assert m.ei_index(G, "kind") is None and m.expected_ei_index(G, "kind") is None
    assert m.modularity_test(G, draws=3, seed=0).modularity is None
    assert m.federation_index(G, "kind", draws=3, seed=0).index is None
    assert m.constraint_summary(G, "kind") == {"median": None, "mean": None, "median_by_class": {}}


def test_single_node() -> None:
    G = single()
    assert m.mean_degree(G) == 0.0
    assert m.density(G) is None
    assert m.largest_component_share(G) == 1.0
    assert m.efficiency(G) is None
    assert m.degree_centralization(G) is None
    assert m.betweenness_centralization(G, m.betweenness(G)) is None
    assert m.hub_robustness(G, m.betweenness(G)) is None
    assert m.two_core_share(G) == 0.0 and m.max_core(G) == 0
    assert m.federation_index(G, "kind", draws=3, seed=0).index is None


def test_isolates() -> None:
    G = isolates()
    nx.set_node_attributes(G, "startup", "kind")
    assert m.mean_degree(G) == 0.0
    assert m.density(G) == 0.0
    assert m.largest_component_share(G) == approx(1 / 5)
    assert m.isolate_count(G) == 5
    assert m.efficiency(G) == 0.0
    assert m.transitivity(G) is None
    assert m.degree_centralization(G) == 0.0
    assert m.hub_robustness(G, m.betweenness(G)) is None
    assert m.relative_efficiency(G, draws=3, seed=0) is None
    assert m.attribute_assortativity(G, "kind") is None
    assert m.louvain_modularity(G, seed=0) == (None, 0)
    fi = m.federation_index(G, "kind", draws=3, seed=0)
    assert fi.cohesion == approx(1 / 5) and fi.robustness is None and fi.index is None


# Federation Index -------------------------------------------------------------------------------

CLASSES = ("startup", "investor", "school")


def classed(G: nx.Graph) -> nx.Graph:
    nx.set_node_attributes(G, {v: CLASSES[v % 3] for v in G}, "kind")
    return G


def test_federation_index_star_below_mesh() -> None:
    star30 = classed(nx.star_graph(29))
    mesh30 = classed(nx.gnm_random_graph(30, 60, seed=7))
    fi_star = m.federation_index(star30, "kind", draws=20, seed=1)
    fi_mesh = m.federation_index(mesh30, "kind", draws=20, seed=1)
    assert fi_star.cohesion == 1.0
    assert fi_star.robustness == approx(1 / 29)
    assert fi_star.index is not None and fi_mesh.index is not None
    assert fi_star.index < fi_mesh.index
    assert fi_mesh.index > 0.8 and fi_star.index < 0.5


def test_federation_index_is_the_geometric_mean_of_its_components() -> None:
    G = bridged_cliques()
    fi = m.federation_index(G, "kind", draws=10, seed=2)
    parts = [fi.cohesion, fi.robustness, fi.mixing, fi.efficiency]
    assert all(part is not None for part in parts)
    assert fi.cohesion == 1.0 and fi.robustness == approx(4 / 7) and fi.mixing == approx(7 / 52)
    assert fi.index == approx(math.prod(p for p in parts if p is not None) ** 0.25)


def test_component_floor() -> None:
    G = nx.complete_graph(4)
    nx.set_node_attributes(G, "same", "kind")
    fi = m.federation_index(G, "kind", draws=5, seed=0, mixing_graph=nx.Graph([(0, 1)]))
    assert fi.mixing is None and fi.index is None
    no_cross = nx.Graph([(0, 1), (2, 3)])
    nx.set_node_attributes(no_cross, {0: "a", 1: "a", 2: "b", 3: "b"}, "kind")
    fi = m.federation_index(G, "kind", draws=5, seed=0, mixing_graph=no_cross)
    assert fi.mixing == 0.0
    assert fi.index == approx((1.0 * 1.0 * m.COMPONENT_FLOOR * 1.0) ** 0.25)


def test_seeded_reproducibility() -> None:
    G = classed(nx.gnm_random_graph(40, 70, seed=11))
    assert m.federation_index(G, "kind", draws=15, seed=4) == m.federation_index(G, "kind", draws=15, seed=4)
    assert m.modularity_test(G, draws=15, seed=4) == m.modularity_test(G, draws=15, seed=4)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 12), density_=st.floats(0, 1), seed=st.integers(0, 10_000))
def test_measures_never_leak_nan(n: int, density_: float, seed: int) -> None:
    G = classed(nx.gnm_random_graph(n, int(density_ * n * (n - 1) / 2), seed=seed))
    b = m.betweenness(G)
    values = [measure(G) for measure in ALL_NONE_ON_EMPTY]
    values += [m.betweenness_centralization(G, b) if G else None, m.hub_robustness(G, b),
               m.ei_index(G, "kind"), m.expected_ei_index(G, "kind"), m.cross_class_mixing(G, "kind"),
               m.attribute_assortativity(G, "kind"), m.relative_efficiency(G, 3, seed),
               m.brokerage_share(b, list(G)[:2])]
    values += list(m.constraint_summary(G, "kind").values())[:2]
    fi = m.federation_index(G, "kind", draws=3, seed=seed, b=b)
    values += [fi.cohesion, fi.robustness, fi.mixing, fi.efficiency, fi.index]
    values += [m.modularity_test(G, draws=3, seed=seed).z]
    assert all(v is None or math.isfinite(v) for v in values)
    assert all(v is None or 0 <= v <= 1 for v in (fi.cohesion, fi.robustness, fi.mixing, fi.efficiency, fi.index))
