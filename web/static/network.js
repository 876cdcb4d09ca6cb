// A company's network drawn with Cytoscape.js (served from node_modules): companies and contacts as nodes,
// links as edges labelled with their kind and percent. The kinds filter asks the server again, since the
// depth counts links of the chosen kinds only. Every label is canvas text: no data becomes HTML.
(function () {
  "use strict";
  var box = document.getElementById("network");
  if (!box || typeof cytoscape === "undefined") { return; }
  var status = document.getElementById("network-status");
  var words = JSON.parse(document.getElementById("network-words").textContent);
  var boxes = Array.prototype.slice.call(document.querySelectorAll(".kinds input[name=kind]"));
  var cy = cytoscape({
    container: box, minZoom: 0.2, maxZoom: 3,
    style: [
      { selector: "node", style: { "label": "data(label)", "font-size": 11, "text-valign": "bottom",
        "text-margin-y": 4, "text-wrap": "ellipsis", "text-max-width": 140, "background-color": "#2f5bea",
        "width": 22, "height": 22, "color": "#1f2430" } },
      { selector: "node[type = 'contact']", style: { "shape": "round-rectangle", "background-color": "#2e9b57",
        "width": 16, "height": 16 } },
      { selector: "node[?hidden]", style: { "background-color": "#b8bdc9", "color": "#6b7280" } },
      { selector: "node[?root]", style: { "background-color": "#e0a100", "width": 30, "height": 30,
        "font-weight": "bold" } },
      { selector: "edge", style: { "label": "data(label)", "font-size": 9, "curve-style": "bezier",
        "target-arrow-shape": "triangle", "width": 1.5, "line-color": "#9aa3b5", "target-arrow-color": "#9aa3b5",
        "text-background-color": "#fff", "text-background-opacity": 0.8, "text-rotation": "autorotate",
        "color": "#4b5363" } },
      { selector: "edge[kind = 'shareholder']", style: { "line-color": "#2f5bea", "target-arrow-color": "#2f5bea" } },
      { selector: "edge[kind = 'works_at']", style: { "line-style": "dotted", "target-arrow-shape": "none",
        "width": 1, "line-color": "#c9ced9" } },
      { selector: "edge[kind = 'competitor']", style: { "line-style": "dashed", "line-color": "#c62828",
        "target-arrow-color": "#c62828" } }
    ]
  });
  window.dealflowNetwork = cy;  // for the browser tests and the curious
  var prefixes = { company: box.dataset.companyPrefix, contact: box.dataset.contactPrefix };

  function say(text) { status.textContent = text; }

  function elements(graph) {
    var nodes = graph.nodes.map(function (n) {
      return { group: "nodes", data: { id: n.id, type: n.type, record_id: n.record_id, root: !!n.root,
        hidden: !!n.hidden, label: n.hidden || n.label === null ? words.hidden : n.label } };
    });
    var edges = graph.edges.map(function (e) {
      var label = words.kinds[e.kind] || e.kind;
      if (e.percent !== null && e.percent !== undefined) { label += " " + e.percent + "%"; }
      return { group: "edges", data: { id: e.id, source: e.from, target: e.to, kind: e.kind, label: label } };
    });
    // A contact hangs off its company by a thin line, so the decision chain sits beside the company it is in.
    var shown = new Set(graph.nodes.map(function (n) { return n.id; }));
    graph.nodes.forEach(function (n) {
      if (n.type === "contact" && shown.has("company:" + n.company_id)) {
        edges.push({ group: "edges", data: { id: "works_at:" + n.record_id, source: n.id,
                                             target: "company:" + n.company_id, kind: "works_at", label: "" } });
      }
    });
    return nodes.concat(edges);
  }

  function draw(graph) {
    cy.elements().remove();
    cy.add(elements(graph));
    // Rings around the company, one per link away: the same picture every time, no node on another.
    var layout = cy.layout({ name: "breadthfirst", roots: cy.nodes("[?root]"), circle: true, directed: false,
                             animate: false, padding: 30, spacingFactor: 1.1, avoidOverlap: true,
                             nodeDimensionsIncludeLabels: true });
    layout.one("layoutstop", function () {
      cy.fit(undefined, 30);
      var links = graph.edges.length;
      box.dataset.nodes = String(cy.nodes().length);
      box.dataset.edges = String(links);
      box.dataset.drawn = "true";
      say(links ? words.drawn.replace("{nodes}", cy.nodes().length).replace("{edges}", links)
                  + (graph.truncated ? " " + words.truncated : "") : words.empty);
    });
    layout.run();
  }

  var asked = 0;  // the answer to an older question (a box ticked since) is dropped

  function load() {
    var question = ++asked;
    var kinds = boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
    delete box.dataset.drawn;
    var url = box.dataset.url + "?depth=2&kinds=" + encodeURIComponent(kinds.join(","));
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (graph) { if (question === asked) { draw(graph); } })
      .catch(function () { box.dataset.loadError = "true"; say(words.failed); });
  }

  cy.on("tap", "node", function (event) {
    var node = event.target.data();
    if (node.hidden || node.root || !prefixes[node.type]) { return; }
    window.location.href = prefixes[node.type] + node.record_id;
  });
  boxes.forEach(function (b) {
    b.addEventListener("change", function () {
      // No kind at all would draw the company alone: keep the last box ticked.
      if (!boxes.some(function (other) { return other.checked; })) { b.checked = true; return; }
      load();
    });
  });
  load();
})();
