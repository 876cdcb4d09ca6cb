// Render each .diagram[data-bpmn-url] with bpmn-js's NavigatedViewer (pan and zoom),
// marking open tasks, the path taken and a failed element.
(function () {
  "use strict";
  function list(el, name) {
    try { return JSON.parse(el.dataset[name] || "[]"); } catch (e) { return []; }
  }

  function markPath(viewer, done, active) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var passed = new Set(done.concat(active));
    done.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "highlight-done"); } });
    active.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "highlight-active"); } });
    // A start event leading to a passed element was passed too; so were flows between passed elements.
    registry.filter(function (e) { return e.type === "bpmn:StartEvent"; }).forEach(function (start) {
      (start.outgoing || []).forEach(function (flow) {
        if (flow.target && passed.has(flow.target.id)) { passed.add(start.id); canvas.addMarker(start.id, "highlight-done"); }
      });
    });
    registry.filter(function (e) { return e.type === "bpmn:SequenceFlow"; }).forEach(function (flow) {
      var source = flow.source && flow.source.id, target = flow.target && flow.target.id;
      if (passed.has(source) && passed.has(target) && active.indexOf(source) === -1) {
        canvas.addMarker(flow.id, "highlight-done");
      }
    });
  }

  // Give a long, flat process a short box and a tall one a taller box, so the model stays readable.
  function fitHeight(el, viewer, hasFocus) {
    var canvas = viewer.get("canvas");
    var inner = canvas.viewbox().inner;
    var max = parseInt(el.dataset.height, 10) || 360;
    var wanted = el.clientWidth * (inner.height + 80) / Math.max(inner.width + 80, 1);
    var isTiny = el.clientWidth / Math.max(inner.width + 80, 1) < READABLE;
    // Zoomed in on the open work, the box keeps its full height for context around it.
    el.style.height = Math.round(hasFocus && isTiny ? max : Math.min(max, Math.max(180, wanted))) + "px";
    canvas.resized();
    canvas.zoom("fit-viewport", "auto");
  }

  // A big model fitted into a small box is unreadable: zoom in on the open work instead
  // (the viewer still pans and zooms, and the whole model is one scroll away).
  var READABLE = 0.75;
  function focusActive(el, viewer, ids) {
    var canvas = viewer.get("canvas"), registry = viewer.get("elementRegistry");
    var shapes = ids.map(function (id) { return registry.get(id); }).filter(Boolean);
    if (!shapes.length || canvas.zoom() >= READABLE) { return; }
    var left = Math.min.apply(null, shapes.map(function (s) { return s.x; }));
    var top = Math.min.apply(null, shapes.map(function (s) { return s.y; }));
    var right = Math.max.apply(null, shapes.map(function (s) { return s.x + s.width; }));
    var bottom = Math.max.apply(null, shapes.map(function (s) { return s.y + s.height; }));
    var width = el.clientWidth / READABLE, height = el.clientHeight / READABLE;
    canvas.viewbox({ x: (left + right - width) / 2, y: (top + bottom - height) / 2, width: width, height: height });
  }

  async function show(el) {
    var loading = el.querySelector(".diagram-loading");
    if (typeof BpmnJS === "undefined") { loading.textContent = el.dataset.broken; return; }
    var viewer = new BpmnJS({ container: el });
    try {
      var response = await fetch(el.dataset.bpmnUrl, { credentials: "same-origin" });
      if (!response.ok) { throw new Error(response.status); }
      var result = await viewer.importXML(await response.text());
      var registry = viewer.get("elementRegistry");
      var shapes = registry.filter(function (e) { return e.type !== "label" && e.type !== "bpmn:Process" && e.type !== "bpmn:Collaboration"; });
      if (!shapes.length) { loading.textContent = el.dataset.empty; return; }
      loading.remove();
      var focus = list(el, "active").concat(list(el, "failed"));
      // A finished run has nothing open: the page may name where it ended instead.
      if (!focus.length) { focus = list(el, "focus"); }
      fitHeight(el, viewer, focus.length > 0);
      markPath(viewer, list(el, "done"), list(el, "active"));
      focusActive(el, viewer, focus);
      list(el, "failed").forEach(function (id) {
        if (registry.get(id)) { viewer.get("canvas").addMarker(id, "highlight-failed"); }
      });
      el.dataset.rendered = String(shapes.length);
      // A turned phone or a resized window gets the same fitting and focus again.
      var pending = null;
      window.addEventListener("resize", function () {
        clearTimeout(pending);
        pending = setTimeout(function () {
          fitHeight(el, viewer, focus.length > 0);
          focusActive(el, viewer, focus);
        }, 100);
      });
      if (result.warnings && result.warnings.length) { el.dataset.warnings = String(result.warnings.length); }
    } catch (err) {
      loading.textContent = /no diagram to display/i.test(String(err && err.message)) ? el.dataset.empty : el.dataset.broken;
      el.dataset.loadError = "true";
    }
  }

  document.querySelectorAll(".diagram[data-bpmn-url]").forEach(show);
})();
