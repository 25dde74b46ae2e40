// ftgraph entity page: draws the entity and its labelled neighbours with vis-network (served by
// this server). Labels are drawn on a canvas as text; clicking a node opens its page.
(function () {
  "use strict";

  var container = document.getElementById("network");
  if (!container || typeof vis === "undefined") { return; }
  var data = JSON.parse(document.getElementById("network-data").textContent);
  var nodes = new vis.DataSet(data.nodes.map(function (node) {
    return {
      id: node.id,
      label: node.label.length > 40 ? node.label.slice(0, 39) + "…" : node.label,
      shape: node.center ? "box" : "dot",
      size: 10,
      color: node.center ? { background: "#1f4e79", border: "#1f4e79" } : { background: "#9ecae1", border: "#3182bd" },
      font: node.center ? { color: "#ffffff" } : { color: "#222222" }
    };
  }));
  // Edge labels (the properties) only where they stay readable.
  var labelled = data.edges.length <= 12;
  var edges = new vis.DataSet(data.edges.map(function (edge, index) {
    return { id: index, from: edge.from, to: edge.to, label: labelled ? edge.label : undefined, arrows: "to",
             font: { size: 10, align: "middle" } };
  }));
  var hrefs = new Map(data.nodes.map(function (node) { return [node.id, node.href]; }));
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, {
    physics: { stabilization: { iterations: 200 } },
    interaction: { hover: true }
  });
  network.once("stabilizationIterationsDone", function () { network.setOptions({ physics: false }); });
  network.on("click", function (event) {
    var href = event.nodes.length ? hrefs.get(event.nodes[0]) : null;
    if (href && href.charAt(0) === "/") { window.location.assign(href); }
  });
  container.setAttribute("data-drawn", String(data.nodes.length));
}());
