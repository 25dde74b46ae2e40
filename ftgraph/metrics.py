"""Network measures of how federated a set of actors is.

Every function takes an undirected :class:`networkx.Graph` (the collapsed actor graph of
:mod:`ftgraph.projection`) and returns a plain number, or ``None`` when the measure is undefined on
that graph (empty graph, single node, no edges, one class only...). ``None`` is the only way a
measure says "undefined": no ``NaN`` ever leaves this module.

Randomised measures (community detection, null models, sampled betweenness) take a ``seed``; the
same graph and the same seed give the same numbers.

The formulas and the design of the Federation Index are documented in ``docs/metrics.md``.
"""

from __future__ import annotations

import functools
import math
import random
import statistics
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
from scipy.sparse import csr_array

#: Lower bound of each component in the geometric mean of the Federation Index (avoids log 0).
COMPONENT_FLOOR = 0.01

Betweenness = Mapping[Any, float]


# Size, density, cohesion -------------------------------------------------------------------------


def mean_degree(G: nx.Graph) -> float | None:
    """Mean degree of ``G``.

    .. math:: \\langle k \\rangle = 2m / n

    Unlike the density it does not fall mechanically with the number of actors, so it compares
    networks of different sizes better (Anderson, Butts & Carley 1999, *Social Networks* 21:239).

    Returns ``None`` for the empty graph.
    """
    n = G.number_of_nodes()
    return 2 * G.number_of_edges() / n if n else None


def density(G: nx.Graph) -> float | None:
    """Density: the share of possible ties that exist.

    .. math:: d = 2m / (n(n-1))

    Returns ``None`` when ``G`` has fewer than two nodes (no possible tie). See :func:`networkx.density`.
    """
    return nx.density(G) if G.number_of_nodes() > 1 else None


def largest_component_share(G: nx.Graph) -> float | None:
    """Share of the actors in the largest connected component, ``S``.

    .. math:: S = |C_{max}| / n

    S = 1 when every actor can reach every other through the ties: the actors form one federated
    block. Isolates (actors with no known tie) lower S. Returns ``None`` for the empty graph.
    """
    n = G.number_of_nodes()
    return len(_largest_component(G)) / n if n else None


def isolate_count(G: nx.Graph) -> int:
    """Number of actors without any tie (often a sign of thin coverage rather than isolation)."""
    return nx.number_of_isolates(G)


def efficiency(G: nx.Graph, sample: int | None = None, seed: int = 0) -> float | None:
    """Global efficiency: mean inverse shortest-path length over all ordered pairs.

    .. math:: E = \\frac{1}{n(n-1)} \\sum_{i \\neq j} 1 / d_{ij}

    with :math:`1/d_{ij} = 0` for unreachable pairs, so it is defined on disconnected graphs. E = 1 in
    a complete graph. Unweighted (every tie has length 1). Exact when ``sample`` is ``None`` or not
    smaller than n; otherwise estimated from the distances of ``sample`` source nodes drawn with
    ``seed`` (an unbiased estimate). Returns ``None`` for fewer than two nodes.

    References
    ----------
    Latora, V. & Marchiori, M. (2001). Efficient behavior of small-world networks.
    *Physical Review Letters* 87:198701. Equal to :func:`networkx.global_efficiency` (breadth-first
    searches in :func:`scipy.sparse.csgraph.shortest_path`).
    """
    n = G.number_of_nodes()
    if n < 2:
        return None
    nodes = sorted(G, key=str)
    index = {v: i for i, v in enumerate(nodes)}
    sources = None if sample is None or sample >= n else [index[v] for v in random.Random(seed).sample(nodes, sample)]
    pairs = np.array([(index[u], index[v]) for u, v in G.edges], dtype=np.int64).reshape(1, -1, 2)
    return float(_mean_inverse_distances(n, pairs, sources)[0])


#: Most (node, source) cells one breadth-first pass holds (memory: about 6 bytes each).
BFS_CELLS = 10_000_000


def _mean_inverse_distances(n: int, ties: np.ndarray, sources: Sequence[int] | None) -> np.ndarray:
    """For each of several graphs on the nodes 0..n−1, the mean of 1/d(s, j) over the ``sources`` s
    (every node when ``None``) and the n − 1 other nodes j (0 when unreachable).

    ``ties[g]`` holds the m ties of graph g as pairs of nodes. Breadth-first searches from many
    sources in many graphs at once (see :func:`_inverse_distance_sums`), in passes of at most
    :data:`BFS_CELLS` cells.
    """
    starts = np.arange(n) if sources is None else np.asarray(sources, dtype=np.int64)
    sources_per_pass = max(1, min(len(starts), BFS_CELLS // n))
    graphs_per_pass = max(1, BFS_CELLS // (n * sources_per_pass))
    totals = np.zeros(len(ties))
    for g in range(0, len(ties), graphs_per_pass):
        for s in range(0, len(starts), sources_per_pass):
            totals[g:g + graphs_per_pass] += _inverse_distance_sums(n, ties[g:g + graphs_per_pass],
                                                                   starts[s:s + sources_per_pass])
    return totals / (len(starts) * (n - 1))


def _inverse_distance_sums(n: int, ties: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Σ 1/d(s, j) over the ``starts`` s and the nodes j ≠ s they reach, for each graph of ``ties``: the
    graphs are the blocks of one block-diagonal sparse matrix, whose product with the frontier (one
    column per source) gives the nodes at the next distance."""
    graphs = len(ties)
    offsets = np.arange(graphs)[:, None] * n
    tails, heads = (ties[:, :, 0] + offsets).ravel(), (ties[:, :, 1] + offsets).ravel()
    size = graphs * n
    adjacency = csr_array((np.ones(2 * len(tails), dtype=np.float32),
                           (np.concatenate([tails, heads]), np.concatenate([heads, tails]))), shape=(size, size))
    frontier = np.zeros((size, len(starts)), dtype=bool)
    frontier[(offsets + starts).ravel(), np.tile(np.arange(len(starts)), graphs)] = True
    reached = frontier.copy()
    totals = np.zeros(graphs)
    distance = 0
    while frontier.any():
        distance += 1
        frontier = (adjacency @ frontier.astype(np.float32) > 0) & ~reached
        reached |= frontier
        totals += frontier.reshape(graphs, -1).sum(axis=1) / distance
    return totals


def average_clustering(G: nx.Graph, sample: int | None = None, seed: int = 0) -> float | None:
    """Mean local clustering coefficient, nodes of degree < 2 counting as 0.

    .. math:: C = \\frac{1}{n} \\sum_i \\frac{2 T_i}{k_i (k_i - 1)}

    where :math:`T_i` is the number of triangles through i. Unweighted. Event co-participation
    creates cliques that raise it. With ``sample``, the mean over that many nodes drawn with ``seed``
    (hub nodes make the exact value slow on large graphs). Returns ``None`` for the empty graph.
    See :func:`networkx.average_clustering` (Watts & Strogatz 1998, *Nature* 393:440).
    """
    if not G.number_of_nodes():
        return None
    return nx.average_clustering(G, nodes=_sampled_nodes(G, sample, seed))


def transitivity(G: nx.Graph, sample: int | None = None, seed: int = 0) -> float | None:
    """Transitivity: the share of connected triples that are closed.

    .. math:: T = 3 \\times \\text{triangles} / \\text{connected triples}
              = \\sum_i T_i / \\sum_i k_i (k_i - 1) / 2

    With ``sample``, the ratio of the two sums over that many nodes drawn with ``seed`` (a consistent
    estimate). Returns ``None`` when there is no connected triple (0/0).
    See :func:`networkx.transitivity`.
    """
    nodes = _sampled_nodes(G, sample, seed)
    triples = sum(k * (k - 1) for _, k in G.degree(nodes)) // 2
    if not triples:
        return None
    return sum(nx.triangles(G, nodes).values()) / triples


def _sampled_nodes(G: nx.Graph, sample: int | None, seed: int) -> list[Any]:
    """Every node, or ``sample`` of them drawn with ``seed`` (in a deterministic order)."""
    nodes = sorted(G, key=str)
    return random.Random(seed).sample(nodes, sample) if sample is not None and sample < len(nodes) else nodes


# Centralization and brokerage --------------------------------------------------------------------


def degree_centralization(G: nx.Graph) -> float | None:
    """Freeman's degree centralization.

    .. math:: C_D = \\frac{\\sum_i (k_{max} - k_i)}{(n-1)(n-2)}

    The denominator is the value of the numerator in a star of n nodes, the most centralized graph,
    so C_D = 1 for a star around one coordinator and 0 when every actor has the same degree.
    Returns ``None`` for fewer than three nodes.

    References
    ----------
    Freeman, L. C. (1978). Centrality in social networks: conceptual clarification.
    *Social Networks* 1:215–239.
    """
    n = G.number_of_nodes()
    if n < 3:
        return None
    degrees = [k for _, k in G.degree()]
    return sum(max(degrees) - k for k in degrees) / ((n - 1) * (n - 2))


def betweenness(G: nx.Graph, sample: int | None = None, seed: int = 0) -> dict[Any, float]:
    """Normalised betweenness centrality of every node.

    .. math:: b(v) = \\frac{2}{(n-1)(n-2)} \\sum_{s \\neq v \\neq t} \\sigma_{st}(v) / \\sigma_{st}

    where :math:`\\sigma_{st}` counts shortest s–t paths and :math:`\\sigma_{st}(v)` those through v:
    the share of shortest paths an actor brokers. Exact when ``sample`` is ``None`` or not smaller
    than n; otherwise estimated from ``sample`` source nodes drawn with ``seed`` (Brandes & Pich
    2007), which is how the national graph is measured. Unweighted.

    References
    ----------
    Freeman, L. C. (1977). A set of measures of centrality based on betweenness. *Sociometry* 40:35–41.
    Brandes, U. (2001). A faster algorithm for betweenness centrality. *J. Math. Sociol.* 25:163–177.
    """
    k = sample if sample is not None and sample < G.number_of_nodes() else None
    return nx.betweenness_centrality(G, k=k, normalized=True, seed=seed if k else None)


def betweenness_centralization(G: nx.Graph, b: Betweenness) -> float | None:
    """Freeman's betweenness centralization, from normalised betweenness ``b``.

    .. math:: C_B = \\frac{\\sum_i (b_{max} - b_i)}{n - 1}

    1 for a star (all brokerage on the centre), 0 when brokerage is even. Returns ``None`` for fewer
    than three nodes (normalised betweenness is undefined).

    References
    ----------
    Freeman, L. C. (1978). Centrality in social networks. *Social Networks* 1:215–239.
    """
    n = G.number_of_nodes()
    if n < 3:
        return None
    top = max(b.values())
    return sum(top - value for value in b.values()) / (n - 1)


def ranked_brokers(G: nx.Graph, b: Betweenness) -> list[Any]:
    """Nodes by decreasing betweenness; ties broken by decreasing degree, then by node name."""
    return sorted(G.nodes, key=lambda v: (-b.get(v, 0.0), -G.degree(v), str(v)))


def brokerage_share(b: Betweenness, holders: Iterable[Any]) -> float | None:
    """Share of all brokerage held by ``holders`` (e.g. startups and their founders).

    .. math:: B_L = \\sum_{v \\in L} b(v) / \\sum_v b(v)

    Feld's "networks over hierarchies": in an entrepreneur-led community, entrepreneurs hold a
    large share of the brokerage. Returns ``None`` when nobody brokers (total betweenness 0).

    References
    ----------
    Feld, B. (2012). *Startup Communities*. Wiley.
    """
    total = math.fsum(b.values())
    if total <= 0:
        return None
    return math.fsum(b.get(v, 0.0) for v in set(holders)) / total  # fsum: exact whatever the set's order


def constraint_summary(G: nx.Graph, attribute: str, sample: int | None = None, seed: int = 0) -> dict[str, Any]:
    """Median and mean of Burt's constraint over non-isolated actors, and its median per class.

    .. math:: c_i = \\sum_{j \\neq i} \\Big(p_{ij} + \\sum_{q \\neq i,j} p_{iq} p_{qj}\\Big)^2

    with :math:`p_{ij}` the share of i's ties that go to j (unweighted). Low constraint: the actor
    bridges structural holes between otherwise unconnected contacts (a broker, e.g. a federating
    association). High mean constraint: actors sit in closed cliques. Isolates (undefined
    constraint) are left out. With ``sample``, summarised over that many actors drawn with ``seed``.
    Values are ``None`` when no actor has a tie.

    References
    ----------
    Burt, R. S. (1992). *Structural Holes: The Social Structure of Competition*. Harvard UP.
    """
    def burt(H: nx.Graph, nodes: list[Any]) -> dict[Any, float]:
        # unweighted: p_ij = 1/k_i, so c_i = sum_j (1/k_i (1 + sum_{q in N(i) ∩ N(j)} 1/k_q))^2. Equal to
        # networkx.constraint, which rescales every neighbour's ties for every pair (hours with hubs).
        # fsum over the common contacts: exact, so the order of the set does not show in the digits.
        values = {}
        for i in nodes:
            contacts = H[i].keys()
            values[i] = sum((1 + math.fsum(1 / len(H[q]) for q in contacts & H[j].keys())) ** 2
                            for j in contacts) / len(contacts) ** 2
        return values

    return _per_node_summary(G, attribute, burt, sample, seed)


def effective_size_summary(G: nx.Graph, attribute: str, sample: int | None = None, seed: int = 0) -> dict[str, Any]:
    """Median and mean of Burt's effective size over non-isolated actors, and its median per class.

    .. math:: e_i = n_i - 2 t_i / n_i

    (Borgatti's form for unweighted graphs: :math:`n_i` contacts, :math:`t_i` ties among them, i.e.
    the triangles through i): the number of non-redundant contacts. Equal to
    :func:`networkx.effective_size` without weights, which copies the whole graph for every actor.
    Isolates are left out; ``sample`` as in :func:`constraint_summary`.

    References
    ----------
    Burt, R. S. (1992). *Structural Holes*. Harvard UP. Borgatti, S. P. (1997). Structural holes:
    unpacking Burt's redundancy measures. *Connections* 20(1):35–38.
    """
    def borgatti(H: nx.Graph, nodes: list[Any]) -> dict[Any, float]:
        triangles = nx.triangles(H, nodes)
        return {v: H.degree(v) - 2 * triangles[v] / H.degree(v) for v in nodes}

    return _per_node_summary(G, attribute, borgatti, sample, seed)


def _per_node_summary(G: nx.Graph, attribute: str, measure: Callable[..., dict[Any, float]],
                      sample: int | None, seed: int) -> dict[str, Any]:
    connected = _sampled_nodes(G.subgraph(v for v in G if G.degree(v) > 0), sample, seed)
    values = measure(G, connected) if connected else {}
    by_class: dict[str, list[float]] = {}
    for v, value in values.items():
        by_class.setdefault(str(G.nodes[v].get(attribute)), []).append(value)
    return {
        "median": statistics.median(values.values()) if values else None,
        "mean": statistics.fmean(values.values()) if values else None,
        "median_by_class": {cls: statistics.median(vals) for cls, vals in sorted(by_class.items())},
    }


# Mixing between classes ---------------------------------------------------------------------------


def ei_index(G: nx.Graph, attribute: str) -> float | None:
    """Krackhardt and Stern's E-I index of the groups given by a node attribute.

    .. math:: EI = (EL - IL) / (EL + IL)

    with EL the ties between different groups (external) and IL those within a group (internal).
    −1: all ties inside groups (silos); +1: all ties across groups. Depends on group sizes: read it
    next to :func:`expected_ei_index`. Returns ``None`` without ties.

    References
    ----------
    Krackhardt, D. & Stern, R. N. (1988). Informal networks and organizational crises: an
    experimental simulation. *Social Psychology Quarterly* 51(2):123–140.
    """
    external, internal = _external_internal(G, attribute)
    return (external - internal) / (external + internal) if external + internal else None


def expected_ei_index(G: nx.Graph, attribute: str) -> float | None:
    """The E-I index expected if ties fell on random pairs of actors (random mixing).

    .. math:: EI_{exp} = (P_{ext} - P_{int}) / (P_{ext} + P_{int}), \\quad
              P_{int} = \\sum_g n_g (n_g - 1) / 2, \\quad P_{ext} = n(n-1)/2 - P_{int}

    where :math:`n_g` is the number of actors in group g: the E-I index of the complete graph.
    Returns ``None`` for fewer than two nodes.

    References
    ----------
    Krackhardt & Stern (1988); Everett, M. G. & Borgatti, S. P. (2012). Categorical attribute based
    centrality: E–I and G–F centrality. *Social Networks* 34(4):562–569.
    """
    internal, pairs = _pair_counts(G, attribute)
    return (pairs - 2 * internal) / pairs if pairs else None


def cross_class_mixing(G: nx.Graph, attribute: str) -> float | None:
    """Cross-class mixing ``X``: the observed share of cross-class ties over its random expectation,
    capped at 1.

    .. math:: X = \\min\\Big(1, \\frac{EL / (EL + IL)}{1 - \\sum_g n_g (n_g - 1) / (n(n-1))}\\Big)

    X = 1 when actors of different classes (startups, investors, schools, public bodies...) are tied
    at least as often as random mixing would tie them; X → 0 when ties stay inside classes. The E-I
    index rescaled by its expectation (:func:`ei_index`, :func:`expected_ei_index`). Returns
    ``None`` without ties or when every actor has the same class.

    References
    ----------
    Krackhardt & Stern (1988); the cross-role relations of Startup Genome's "Local Connectedness".
    """
    external, internal = _external_internal(G, attribute)
    same_pairs, pairs = _pair_counts(G, attribute)
    if not external + internal or not pairs or same_pairs == pairs:
        return None
    return min(1.0, (external / (external + internal)) / (1 - same_pairs / pairs))


def attribute_assortativity(G: nx.Graph, attribute: str) -> float | None:
    """Newman's assortativity coefficient of a categorical node attribute.

    .. math:: r = \\frac{\\sum_i e_{ii} - \\sum_i a_i b_i}{1 - \\sum_i a_i b_i}

    where :math:`e_{ij}` is the share of ties between classes i and j. r > 0: actors tie within
    their class (silos); r < 0: across classes. Returns ``None`` without ties or when r is 0/0 (one
    class only).

    References
    ----------
    Newman, M. E. J. (2003). Mixing patterns in networks. *Physical Review E* 67:026126.
    See :func:`networkx.attribute_assortativity_coefficient`.
    """
    if not G.number_of_edges():
        return None
    # classes in sorted order: networkx numbers them in the order of a set, which shows in the last digits
    mapping = {cls: i for i, cls in enumerate(sorted({cls for _, cls in G.nodes(data=attribute)}, key=str))}
    e = nx.attribute_mixing_matrix(G, attribute, mapping=mapping)
    ab = float((e @ e).sum())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r = (float(e.trace()) - ab) / (1 - ab) if ab != 1 else math.nan
    return r if math.isfinite(r) else None


def _external_internal(G: nx.Graph, attribute: str) -> tuple[int, int]:
    groups = nx.get_node_attributes(G, attribute)
    external = sum(1 for u, v in G.edges if groups.get(u) != groups.get(v))
    return external, G.number_of_edges() - external


def _pair_counts(G: nx.Graph, attribute: str) -> tuple[int, int]:
    """(pairs of actors in the same group, all pairs of actors)."""
    sizes = Counter(G.nodes[v].get(attribute) for v in G)
    n = G.number_of_nodes()
    return sum(s * (s - 1) // 2 for s in sizes.values()), n * (n - 1) // 2


# Communities and cores ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ModularityTest:
    """Modularity of a seeded Louvain partition, against degree-preserving rewirings of the graph."""

    modularity: float | None
    communities: int
    null_mean: float | None
    null_sd: float | None
    z: float | None
    draws: int
    seed: int


#: A compact weighted graph: node i (0..n−1) → {neighbour j: tie weight}; a self-loop is i in ``adjacency[i]``.
Adjacency = list[dict[int, float]]


def louvain_modularity(G: nx.Graph, seed: int, weight: str | None = "weight") -> tuple[float | None, int]:
    """Modularity of the partition found by the Louvain method, and its number of communities.

    .. math:: Q = \\frac{1}{2m} \\sum_{ij} \\Big[A_{ij} - \\frac{k_i k_j}{2m}\\Big] \\delta(c_i, c_j)

    High Q: the actors fall into weakly connected sub-communities (silos). Weighted by ``weight``
    (co-participation ties carry Newman's 1/(k−1) weights). Louvain is randomised: ``seed`` fixes it,
    and the nodes are visited from their sorted order, so the result depends on the graph only, not
    on the order it was built in. Returns ``(None, 0)`` without ties.

    References
    ----------
    Newman, M. E. J. (2006). Modularity and community structure in networks. *PNAS* 103:8577–8582.
    Blondel, V. D. et al. (2008). Fast unfolding of communities in large networks. *J. Stat. Mech.*
    P10008. Same moves as :func:`networkx.community.louvain_communities` (see :func:`_louvain`).
    """
    if not G.number_of_edges():
        return None, 0
    n, edges, weights = _compact(G, weight)
    return _louvain_modularity(_adjacency(n, edges, weights), seed)


def modularity_test(G: nx.Graph, draws: int, seed: int, weight: str | None = "weight") -> ModularityTest:
    """Louvain modularity and its z-score against degree-preserving random rewirings.

    .. math:: Q_z = (Q - \\overline{Q_{null}}) / sd(Q_{null})

    Each null graph keeps the degree of every actor (double-edge swaps, see :func:`_rewirings`), its
    tie weights shuffled over the new ties; its modularity is that of its own seeded Louvain partition.
    Random sparse graphs already reach high Q, so only Q_z says whether the observed communities
    are more marked than chance (Guimerà, Sales-Pardo & Amaral 2004, *PRE* 70:025101). ``z`` is
    ``None`` when the graph cannot be rewired (e.g. a star) or the null modularities do not vary.

    References
    ----------
    Maslov, S. & Sneppen, K. (2002). Specificity and stability in topology of protein networks.
    *Science* 296:910–913.
    """
    observed, communities = louvain_modularity(G, seed, weight)
    null: list[float] = []
    if observed is not None:
        n, edges, weights = _compact(G, weight)
        rng = random.Random(seed)
        null = [_louvain_modularity(H, rng.randrange(2**31))[0] for H in _rewirings(n, edges, weights, rng, draws)]
    mean = statistics.fmean(null) if null else None
    sd = statistics.stdev(null) if len(null) > 1 else None
    z = (observed - mean) / sd if observed is not None and mean is not None and sd else None
    return ModularityTest(observed, communities, mean, sd, z, draws, seed)


def _compact(G: nx.Graph, weight: str | None) -> tuple[int, list[tuple[int, int]], list[float]]:
    """``G`` on the nodes 0..n−1 numbered in sorted order: n, its ties as sorted pairs (i ≤ j), their weights."""
    index = {v: i for i, v in enumerate(sorted(G, key=str))}
    ties = sorted((min(index[u], index[v]), max(index[u], index[v]), 1.0 if weight is None else w)
                  for u, v, w in G.edges(data=weight or "weight", default=1.0))
    return len(index), [(u, v) for u, v, _ in ties], [w for _, _, w in ties]


def _adjacency(n: int, edges: Iterable[tuple[int, int]], weights: Iterable[float]) -> Adjacency:
    adjacency: Adjacency = [{} for _ in range(n)]
    for (u, v), w in zip(edges, weights, strict=True):
        adjacency[u][v] = adjacency[v][u] = w
    return adjacency


def _rewirings(n: int, edges: list[tuple[int, int]], weights: list[float], rng: random.Random,
               draws: int) -> Iterator[Adjacency]:
    """``draws`` degree-preserving randomisations of a simple graph, weights shuffled over the ties.

    Maslov–Sneppen edge switching: two ties a–b, c–d drawn uniformly become a–d, c–b unless that
    would create a loop or a multi-edge (up to 100 tries per switch; a star admits none, and once a
    draw finds no switch, :func:`_switchable` tells whether any exists before trying again). The first
    graph is the observed one after 10·m switches, each next one the previous after m more (a Markov
    chain whose successive states are nearly independent). Every graph keeps each node's degree and
    the multiset of weights. Same method as :func:`networkx.double_edge_swap`, written out on integer
    nodes because that function is two orders of magnitude slower on hub-dominated graphs, where
    most proposed switches fail.
    """
    edges, weights = list(edges), list(weights)
    neighbours: list[set[int]] = [set() for _ in range(n)]
    for u, v in edges:
        neighbours[u].add(v)
        neighbours[v].add(u)
    m, uniform = len(edges), rng.random
    frozen = m < 2
    for draw in range(draws):
        wanted = (10 if draw == 0 else 1) * m
        done = tries = 0
        while not frozen and done < wanted and tries < 100 * wanted:
            tries += 1
            i, j = int(uniform() * m), int(uniform() * m)
            a, b = edges[i]
            c, d = edges[j] if uniform() < 0.5 else edges[j][::-1]
            if a in (b, c, d) or c in (b, d) or b == d or d in neighbours[a] or b in neighbours[c]:
                continue
            for u, v, new in ((a, b, d), (c, d, b)):
                neighbours[u].discard(v)
                neighbours[v].discard(u)
                neighbours[u].add(new)
                neighbours[new].add(u)
            edges[i], edges[j] = (a, d), (c, b)
            done += 1
        frozen = frozen or (not done and not _switchable(edges, neighbours))
        rng.shuffle(weights)
        yield _adjacency(n, edges, weights)


def _switchable(edges: list[tuple[int, int]], neighbours: list[set[int]]) -> bool:
    """Whether any switch of two ties keeps the graph simple. Checked once a draw found none: a star
    or a dense graph admitting no switch then stops drawing proposals that all fail."""
    for i, (a, b) in enumerate(edges):
        for c, d in edges[i + 1:]:
            if len({a, b, c, d}) == 4 and ((d not in neighbours[a] and b not in neighbours[c])
                                           or (c not in neighbours[a] and b not in neighbours[d])):
                return True
    return False


def _louvain_modularity(adjacency: Adjacency, seed: int) -> tuple[float, int]:
    """Modularity and number of the communities found by :func:`_louvain` with ``seed``."""
    communities = _louvain(adjacency, random.Random(seed))
    return _modularity(adjacency, _strengths(adjacency), communities), len(communities)


def _louvain(adjacency: Adjacency, rng: random.Random, threshold: float = 1e-7) -> list[list[int]]:
    """The communities found by the Louvain method on a compact graph with at least one tie.

    Each level moves nodes, in an order shuffled with ``rng``, to the neighbouring community of best
    modularity gain until no move helps, then merges each community into one node; it stops when a
    level gains less than ``threshold``. This is :func:`networkx.community.louvain_communities`
    (resolution 1) step for step, on lists of integers: the same moves and draws from ``rng``, hence
    the same partition for the same graph and seed (the tests check it), several times faster on the
    small graphs of the null models, where networkx spends its time building graph objects.
    """
    graph, strengths = adjacency, _strengths(adjacency)
    m = sum(strengths) / 2
    members: list[list[int]] = [[v] for v in range(len(adjacency))]  # original nodes of each node of this level
    modularity = _modularity(graph, strengths, members)
    communities, moved = _one_level(graph, strengths, m, rng)
    while True:
        found = [[v for u in community for v in members[u]] for community in communities]
        gained = _modularity(graph, strengths, communities)
        if gained - modularity <= threshold:
            return found
        modularity, members = gained, found
        graph = _merged(graph, communities)
        strengths = _strengths(graph)
        communities, moved = _one_level(graph, strengths, m, rng)
        if not moved:
            return found


def _one_level(graph: Adjacency, strengths: list[float], m: float, rng: random.Random) -> tuple[list[list[int]], bool]:
    """One Louvain level: the communities (lists of this level's nodes) and whether any node moved."""
    n = len(graph)
    community = list(range(n))
    totals = list(strengths)  # total strength of each community
    neighbours = [{v: w for v, w in graph[u].items() if v != u} for u in range(n)]
    order = list(range(n))
    rng.shuffle(order)
    scale = 2 * m**2
    moved, moves = False, 1
    while moves:
        moves = 0
        for u in order:
            best_gain: float = 0
            best = current = community[u]
            towards: defaultdict[int, float] = defaultdict(float)  # weight from u to each neighbouring community
            for v, w in neighbours[u].items():
                towards[community[v]] += w
            k = strengths[u]
            totals[current] -= k
            remove_cost = -towards[current] / m + (totals[current] * k) / scale
            for candidate, w in towards.items():
                gain = remove_cost + w / m - (totals[candidate] * k) / scale
                if gain > best_gain:
                    best_gain, best = gain, candidate
            totals[best] += k
            if best != current:
                community[u] = best
                moved, moves = True, moves + 1
    groups: list[list[int]] = [[] for _ in range(n)]
    for u in range(n):
        groups[community[u]].append(u)
    return [group for group in groups if group], moved


def _merged(graph: Adjacency, communities: list[list[int]]) -> Adjacency:
    """The graph of communities: one node per community, tie weights summed (internal ties: self-loops)."""
    of = [0] * len(graph)
    for i, members in enumerate(communities):
        for u in members:
            of[u] = i
    merged: Adjacency = [{} for _ in communities]
    for u in range(len(graph)):
        for v, w in graph[u].items():
            if v >= u:  # each tie once, in networkx's edge order
                a, b = of[u], of[v]
                merged[a][b] = merged[b][a] = w + merged[a].get(b, 0)
    return merged


def _strengths(graph: Adjacency) -> list[float]:
    """Weighted degree of each node, a self-loop counting twice."""
    return [sum(neighbours.values()) + neighbours.get(u, 0) for u, neighbours in enumerate(graph)]


def _modularity(graph: Adjacency, strengths: list[float], communities: list[list[int]]) -> float:
    """Newman's modularity of a partition of a compact graph, summed in a fixed order (see
    :func:`louvain_modularity` for the formula; same as :func:`networkx.community.modularity`)."""
    total = sum(strengths)
    m, norm = total / 2, 1 / total**2
    q: float = 0
    for community in communities:
        inside = set(community)
        internal = sum(w for u in community for v, w in graph[u].items() if v >= u and v in inside)
        strength = sum(strengths[u] for u in community)
        q += internal / m - strength * strength * norm
    return q


def two_core_share(G: nx.Graph) -> float | None:
    """Share of the actors in the 2-core, ``K2``: those not hanging on a single tie.

    .. math:: K_2 = |\\{v : \\text{core}(v) \\geq 2\\}| / n

    The k-core is the largest subgraph where every actor has at least k ties inside it.
    Returns ``None`` for the empty graph.

    References
    ----------
    Seidman, S. B. (1983). Network structure and minimum degree. *Social Networks* 5:269–287.
    See :func:`networkx.core_number`.
    """
    n = G.number_of_nodes()
    if not n:
        return None
    return sum(1 for core in nx.core_number(G).values() if core >= 2) / n


def max_core(G: nx.Graph) -> int | None:
    """Largest k such that the k-core is not empty (``None`` for the empty graph)."""
    return max(nx.core_number(G).values()) if G.number_of_nodes() else None


# Federation Index ---------------------------------------------------------------------------------


def hub_robustness(G: nx.Graph, b: Betweenness, hubs: int = 1) -> float | None:
    """Robustness ``R``: the share of the largest component that stays connected without its top
    broker(s).

    .. math:: R = |C_{max}(C - H)| / (|C| - |H|), \\quad C = C_{max}(G)

    where H holds the ``hubs`` nodes of the largest component C with the highest betweenness ``b``
    (ties broken by degree, then name). R ≈ 0 for a star around one coordinator (federation rests on
    a single feeder), R ≈ 1 in a meshed network. Returns ``None`` when the largest component has no
    more than ``hubs`` nodes.
    """
    component = _largest_component(G)
    if len(component) <= hubs:
        return None
    removed = ranked_brokers(G.subgraph(component), b)[:hubs]
    rest = G.subgraph(set(component) - set(removed))
    return len(_largest_component(rest)) / (len(component) - hubs)


def relative_efficiency(G: nx.Graph, draws: int, seed: int, sample: int | None = None) -> float | None:
    """Global efficiency over that of random graphs of the same size and density, capped at 1.

    .. math:: \\hat{E} = \\min\\big(1, E(G) / \\overline{E(G_{n,m})}\\big)

    where :math:`G_{n,m}` are ``draws`` Erdős–Rényi graphs with the same number of nodes and edges
    (:func:`random_graph_efficiency`). Ê = 1: actors reach each other as easily as in a random network
    with the same number of ties. With ``sample``, every efficiency is estimated from that many source
    nodes (:func:`efficiency`). Returns ``None`` without ties.

    References
    ----------
    Latora & Marchiori (2001), *PRL* 87:198701.
    """
    n, m = G.number_of_nodes(), G.number_of_edges()
    observed = efficiency(G, sample, seed)
    if observed is None or not m:
        return None
    null = random_graph_efficiency(n, m, draws, seed, sample)
    return min(1.0, observed / null) if null else None


@functools.lru_cache(maxsize=4096)
def random_graph_efficiency(n: int, m: int, draws: int, seed: int, sample: int | None = None) -> float:
    """Mean global efficiency of ``draws`` Erdős–Rényi graphs G(n, m) drawn with ``seed``.

    Each graph is m pairs of nodes drawn uniformly without replacement among the n(n−1)/2 (the
    distribution of :func:`networkx.gnm_random_graph`). With ``sample`` < n, each efficiency is
    estimated from the distances of the first ``sample`` nodes: the nodes of a random graph are
    exchangeable, so they are a random sample. A function of its arguments only, hence cached:
    the metropoles and label-wave dates sharing a size share their null model.
    """
    rng = np.random.default_rng(seed)
    tails, heads = _pair_of_index(np.stack([rng.choice(n * (n - 1) // 2, size=m, replace=False)
                                            for _ in range(draws)]), n)
    sources = None if sample is None or sample >= n else list(range(sample))
    return statistics.fmean(_mean_inverse_distances(n, np.stack([tails, heads], axis=2), sources).tolist())


def _pair_of_index(k: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The pairs (i, j), i < j, at the positions ``k`` of the row-major list of pairs of 0..n−1."""
    def start(i: np.ndarray) -> np.ndarray:  # position of the pair (i, i + 1)
        return i * (2 * n - i - 1) // 2

    i = np.floor(n - 0.5 - np.sqrt((n - 0.5) ** 2 - 2 * k.astype(np.float64))).astype(np.int64)
    i = np.where(start(i) > k, i - 1, i)  # the square root rounds: settle the row on the exact integers
    i = np.where(start(i + 1) <= k, i + 1, i)
    return i, k - start(i) + i + 1


@dataclass(frozen=True)
class FederationIndex:
    """The Federation Index and its four components, each in [0, 1] or ``None`` if undefined."""

    cohesion: float | None
    robustness: float | None
    mixing: float | None
    efficiency: float | None
    index: float | None


def federation_index(G: nx.Graph, attribute: str, *, draws: int, seed: int, b: Betweenness | None = None,
                     mixing_graph: nx.Graph | None = None, sample: int | None = None) -> FederationIndex:
    """The Federation Index: geometric mean of cohesion, robustness, cross-class mixing and efficiency.

    .. math:: FI = (S \\cdot R \\cdot X \\cdot \\hat{E})^{1/4}

    - S, :func:`largest_component_share`: the actors form one block ("fédérés");
    - R, :func:`hub_robustness`: the block does not rest on a single broker;
    - X, :func:`cross_class_mixing` of ``attribute`` on ``mixing_graph`` (default ``G``): classes of
      actors are tied to each other;
    - Ê, :func:`relative_efficiency` (``draws`` random graphs, ``seed``, ``sample`` source nodes):
      actors reach each other.

    Each component is floored at 0.01 in the product. The geometric mean does not let one strong
    component make up for a weak one (a star around one association has S = 1 but R ≈ 0). The
    index is ``None`` when a component is undefined. ``b`` is the betweenness of ``G`` (computed
    exactly when not given).

    References
    ----------
    Nardo, M. et al. (2008). *Handbook on Constructing Composite Indicators*. OECD/JRC.
    Stam, E. & van de Ven, A. (2021). Entrepreneurial ecosystem elements. *Small Bus. Econ.* 56:809–832.
    """
    b = b if b is not None else betweenness(G)
    parts = (largest_component_share(G), hub_robustness(G, b),
             cross_class_mixing(mixing_graph if mixing_graph is not None else G, attribute),
             relative_efficiency(G, draws, seed, sample))
    index = None
    if all(part is not None for part in parts):
        index = math.prod(max(COMPONENT_FLOOR, part) for part in parts if part is not None) ** (1 / len(parts))
    return FederationIndex(*parts, index)


def _largest_component(G: nx.Graph) -> Collection[Any]:
    if not G.number_of_nodes():
        return set()
    return max(nx.connected_components(G), key=lambda c: (len(c), sorted(map(str, c))))
