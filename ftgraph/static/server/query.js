// ftgraph query page: runs the editor's query on /sparql and shows the results.
// Every value from the data reaches the page through textContent or DOM properties, never as HTML.
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("page-data").textContent);
  var form = document.getElementById("query-form");
  var editor = document.getElementById("query");
  var picker = document.getElementById("library");
  var question = document.getElementById("question");
  var statusLine = document.getElementById("status");
  var results = document.getElementById("results");
  var byName = new Map(data.library.map(function (entry) { return [entry.name, entry]; }));
  var SHOWN_ROWS = 2000;

  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (className) { node.className = className; }
    return node;
  }

  // Entity IRIs of this graph open on this server; other web IRIs open in a new tab; nothing else is a link.
  function iriLink(iri) {
    if (iri.indexOf(data.base) === 0) {
      var local = element("a", iri);
      local.href = "/" + iri.slice(data.base.length);
      return local;
    }
    var url = null;
    try { url = new URL(iri); } catch (e) { url = null; }
    if (url && (url.protocol === "http:" || url.protocol === "https:")) {
      var external = element("a", iri, "external");
      external.href = url.href;
      external.target = "_blank";
      external.rel = "noopener noreferrer";
      return external;
    }
    return element("span", iri);
  }

  function termText(term) {
    if (term.type === "triple") {
      return "<< " + [term.value.subject, term.value.predicate, term.value.object].map(termText).join(" ") + " >>";
    }
    return term.type === "bnode" ? "_:" + term.value : term.value;
  }

  function cell(term) {
    var td = element("td");
    if (!term) { return td; }
    if (term.type === "uri") {
      td.appendChild(iriLink(term.value));
    } else {
      td.appendChild(element("span", termText(term), term.type === "literal" ? "literal" : "bnode"));
      var note = term["xml:lang"] ? "@" + term["xml:lang"] : (term.datatype ? term.datatype.replace("http://www.w3.org/2001/XMLSchema#", "xsd:") : "");
      if (note) { td.appendChild(document.createTextNode(" ")); td.appendChild(element("span", note, "note")); }
    }
    return td;
  }

  function showTable(json) {
    var vars = json.head.vars;
    var rows = json.results.bindings;
    var table = element("table", null, "results");
    var head = element("tr");
    vars.forEach(function (name) { var th = element("th", name); th.scope = "col"; head.appendChild(th); });
    table.appendChild(element("thead")).appendChild(head);
    var body = element("tbody");
    rows.slice(0, SHOWN_ROWS).forEach(function (row) {
      var tr = element("tr");
      vars.forEach(function (name) { tr.appendChild(cell(row[name])); });
      body.appendChild(tr);
    });
    table.appendChild(body);
    results.appendChild(table);
    if (rows.length > SHOWN_ROWS) {
      results.appendChild(element("p", "The first " + SHOWN_ROWS + " rows are shown; download the results for all " + rows.length + ".", "hint"));
    }
    return rows.length;
  }

  function showError(status, text) {
    var message = text;
    var detail = null;
    try { detail = JSON.parse(text); message = detail.error || text; } catch (e) { detail = null; }
    results.appendChild(element("p", "Error " + status + ": " + message, "error"));
    if (detail && detail.line && detail.column) { selectPosition(detail.line, detail.column); }
  }

  function selectPosition(line, column) {
    var lines = editor.value.split("\n");
    var offset = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i += 1) { offset += lines[i].length + 1; }
    offset += Math.max(0, column - 1);
    editor.focus();
    editor.setSelectionRange(offset, Math.min(offset + 1, editor.value.length));
  }

  function request(format, accept) {
    var body = new URLSearchParams();
    body.set("query", editor.value);
    if (format) { body.set("format", format); }
    return fetch("/sparql", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": accept },
      body: body
    });
  }

  function run() {
    var started = performance.now();
    results.replaceChildren();
    statusLine.textContent = "Running…";
    // SELECT/ASK answer in SPARQL JSON, CONSTRUCT/DESCRIBE in Turtle: one combined Accept header.
    return request(null, "application/sparql-results+json, text/turtle;q=0.9").then(function (response) {
      return response.text().then(function (text) {
        var seconds = ((performance.now() - started) / 1000).toFixed(2);
        if (!response.ok) { statusLine.textContent = "Failed after " + seconds + " s."; showError(response.status, text); return; }
        var cut = response.headers.get("X-SPARQL-MaxRows");
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/sparql-results+json") === 0) {
          var json = JSON.parse(text);
          if (typeof json.boolean === "boolean") {
            results.appendChild(element("p", json.boolean ? "true" : "false", "boolean"));
            statusLine.textContent = "ASK answered in " + seconds + " s.";
          } else {
            var count = showTable(json);
            statusLine.textContent = count + " row" + (count === 1 ? "" : "s") + " in " + seconds + " s.";
          }
        } else {
          results.appendChild(element("pre", text, "graph"));
          statusLine.textContent = "Graph result in " + seconds + " s.";
        }
        if (cut) { results.insertBefore(element("p", "The server cut the result at " + cut + " rows: add LIMIT/OFFSET to page through it.", "warning"), results.firstChild); }
      });
    }).catch(function (error) {
      statusLine.textContent = "";
      results.replaceChildren(element("p", "The request failed: " + error.message, "error"));
    });
  }

  function download(format, extension) {
    statusLine.textContent = "Preparing the " + extension.toUpperCase() + " file…";
    return request(format, "*/*").then(function (response) {
      if (!response.ok) {
        return response.text().then(function (text) { results.replaceChildren(); showError(response.status, text); statusLine.textContent = ""; });
      }
      return response.blob().then(function (blob) {
        var anchor = document.createElement("a");
        anchor.href = URL.createObjectURL(blob);
        anchor.download = (picker.value || "results") + "." + extension;
        document.body.appendChild(anchor);
        anchor.click();
        anchor.remove();
        setTimeout(function () { URL.revokeObjectURL(anchor.href); }, 10000);
        statusLine.textContent = "Downloaded " + anchor.download + ".";
      });
    });
  }

  function pick(name) {
    var entry = byName.get(name);
    question.textContent = "";
    if (!entry) { return; }
    picker.value = name;
    editor.value = entry.text;
    question.textContent = entry.question;
    if (entry.required.length) {
      question.textContent += " Required parameters (bind them with VALUES): " + entry.required.join(", ") + ".";
    }
  }

  picker.addEventListener("change", function () { pick(picker.value); });
  form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
  document.getElementById("download-csv").addEventListener("click", function () { download("csv", "csv"); });
  document.getElementById("download-json").addEventListener("click", function () { download("json", "json"); });
  editor.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); run(); }
    if (event.key === "Tab" && !event.shiftKey) {
      event.preventDefault();
      editor.setRangeText("  ", editor.selectionStart, editor.selectionEnd, "end");
    }
  });

  var params = new URLSearchParams(window.location.search);
  if (params.get("query")) {
    editor.value = params.get("query");
  } else if (params.get("name") && byName.has(params.get("name"))) {
    pick(params.get("name"));
  } else if (data.library.length) {
    pick(data.library[0].name);
  }
  if (params.get("query") || params.get("run")) { run(); }
}());
