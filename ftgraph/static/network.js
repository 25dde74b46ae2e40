// ftgraph network page: reads the page's JSON data block and draws it with vis-network.
// Every text from the data reaches the page through textContent or DOM properties, never as HTML.
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("ftgraph-data").textContent);
  var byId = new Map(data.nodes.map(function (node) { return [node.id, node]; }));

  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (className) { node.className = className; }
    return node;
  }

  // Only web links become anchors; any other scheme (javascript:, data:...) stays plain text.
  function sourceLink(index) {
    var source = data.sources[index];
    var label = source.title + (source.publisher ? " (" + source.publisher + (source.date ? ", " + source.date : "") + ")" : "");
    var url = null;
    try { url = new URL(source.url); } catch (e) { url = null; }
    if (url && (url.protocol === "https:" || url.protocol === "http:")) {
      var anchor = element("a", label);
      anchor.href = url.href;
      anchor.target = "_blank";
      anchor.rel = "noopener noreferrer";
      return anchor;
    }
    return element("span", label + " — " + source.url);
  }

  function formatValue(value) {
    if (typeof value === "number" && !Number.isInteger(value)) { return value.toFixed(3); }
    return value === null ? "n/a" : String(value);
  }

  function describeNode(node, container, maxSources) {
    container.appendChild(element("strong", node.label, "name"));
    container.appendChild(element("div", data.classes[node.cls].label, "class"));
    if (node.local !== null) { container.appendChild(element("div", node.local ? "local actor" : "outside actor", "dates")); }
    if (node.dates) { container.appendChild(element("div", node.dates, "dates")); }
    var table = element("table", null, "metrics");
    data.metrics.forEach(function (metric) {
      var row = element("tr");
      row.appendChild(element("th", metric.label));
      row.appendChild(element("td", formatValue(node.metrics[metric.key])));
      table.appendChild(row);
    });
    container.appendChild(table);
    if (node.sources.length) {
      container.appendChild(element("div", "Sources", "heading"));
      var list = element("ul", null, "sources");
      node.sources.slice(0, maxSources).forEach(function (index) {
        var item = element("li");
        item.appendChild(sourceLink(index));
        list.appendChild(item);
      });
      if (node.sources.length > maxSources) {
        list.appendChild(element("li", "… " + (node.sources.length - maxSources) + " more (click the node)"));
      }
      container.appendChild(list);
    }
    container.appendChild(element("div", node.iri || node.id, "iri"));
    return container;
  }

  function describeEdge(edge) {
    var container = element("div", null, "tooltip");
    container.appendChild(element("strong", byId.get(edge.from).label + " — " + byId.get(edge.to).label, "name"));
    edge.ties.slice(0, 8).forEach(function (tie) {
      var line = data.ties[tie.type].label + (tie.what ? ": " + tie.what : "") + (tie.dates ? " (" + tie.dates + ")" : "");
      container.appendChild(element("div", line, "class"));
    });
    if (edge.ties.length > 8) { container.appendChild(element("div", "… " + (edge.ties.length - 8) + " more ties", "dates")); }
    container.appendChild(element("div", "weight " + formatValue(edge.weight), "dates"));
    if (edge.sources.length) {
      var list = element("ul", null, "sources");
      edge.sources.slice(0, 5).forEach(function (index) {
        var item = element("li");
        item.appendChild(sourceLink(index));
        list.appendChild(item);
      });
      container.appendChild(list);
    }
    return container;
  }

  var nodes = new vis.DataSet(data.nodes.map(function (node) {
    return {
      id: node.id, label: node.label, x: node.x, y: node.y, size: node.size,
      shape: node.local === false ? "diamond" : "dot",
      color: { background: data.classes[node.cls].color, border: "#333333",
               highlight: { background: data.classes[node.cls].color, border: "#000000" } },
      title: describeNode(node, element("div", null, "tooltip"), 5),
      cls: node.cls
    };
  }));
  var edges = new vis.DataSet(data.edges.map(function (edge, index) {
    var style = data.ties[edge.types[0]];
    return {
      id: index, from: edge.from, to: edge.to, dashes: style.dashes, color: { color: style.color, opacity: 0.7 },
      width: Math.min(1 + 2 * Math.log(1 + edge.weight), 6), title: describeEdge(edge)
    };
  }));

  var large = data.nodes.length > 500;
  var network = new vis.Network(document.getElementById("network"), { nodes: nodes, edges: edges }, {
    physics: false,
    layout: { improvedLayout: false },
    interaction: { hover: !large, tooltipDelay: 150, hideEdgesOnDrag: large, hideEdgesOnZoom: large },
    nodes: { shape: "dot", font: { size: 14, face: "DejaVu Sans, Arial, sans-serif" }, borderWidth: 1 },
    edges: { smooth: false, selectionWidth: 2 }
  });

  var details = document.getElementById("details");
  var status = document.getElementById("search-status");

  function showDetails(id) {
    details.replaceChildren();
    var node = byId.get(id);
    if (node) { describeNode(node, details, Infinity); }
  }

  function focusNode(id) {
    network.selectNodes([id]);
    network.focus(id, { scale: 1.5, animation: { duration: 400, easingFunction: "easeInOutQuad" } });
    showDetails(id);
  }

  network.on("click", function (event) {
    if (event.nodes.length) { showDetails(event.nodes[0]); }
  });

  // Search: exact name first, then the first name containing the text (accents and case ignored).
  function fold(text) { return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim(); }
  var names = document.getElementById("ftgraph-names");
  data.nodes.slice().sort(function (a, b) { return a.label.localeCompare(b.label); }).forEach(function (node) {
    var option = document.createElement("option");
    option.value = node.label;
    names.appendChild(option);
  });
  document.getElementById("search").addEventListener("submit", function (event) {
    event.preventDefault();
    var wanted = fold(document.getElementById("search-text").value);
    if (!wanted) { return; }
    var match = data.nodes.find(function (node) { return fold(node.label) === wanted; }) ||
                data.nodes.find(function (node) { return fold(node.label).indexOf(wanted) >= 0; });
    if (!match) { status.textContent = "No actor matches."; return; }
    if (nodes.get(match.id).hidden) { status.textContent = match.label + " is hidden by the class filter."; return; }
    status.textContent = "";
    focusNode(match.id);
  });

  // Filter by class: the legend's check boxes hide or show every node of a class (and its ties).
  document.querySelectorAll("#legend input[data-class]").forEach(function (box) {
    box.addEventListener("change", function () {
      var cls = box.getAttribute("data-class");
      nodes.update(nodes.get({ filter: function (node) { return node.cls === cls; } }).map(function (node) {
        return { id: node.id, hidden: !box.checked };
      }));
    });
  });

  network.once("afterDrawing", function () { document.body.setAttribute("data-drawn", "true"); });
  window.ftgraph = { network: network, nodes: nodes, edges: edges, data: data, focusNode: focusNode };
})();
