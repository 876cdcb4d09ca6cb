// The reports page's conversion chart (Chart.js from node_modules): per stage the deals that entered it,
// stacked as moved on, lost and open. A bar with a deal list behind it opens that list when clicked.
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var words = JSON.parse(document.getElementById("chart-labels").textContent);
  var keys = ["moved_on", "lost", "open"];
  var colours = { moved_on: "#2e9b57", lost: "#c62828", open: "#2f5bea" };
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.maintainAspectRatio = false;

  function linkAt(elements) {
    if (!elements.length) { return null; }
    var key = keys[elements[0].datasetIndex];
    return data.links[key][elements[0].index] || null;
  }

  var canvas = document.getElementById("conversion-chart");
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: keys.map(function (key) {
        return { label: words[key], data: data[key], backgroundColor: colours[key], stack: "entered" };
      })
    },
    options: {
      animation: false,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { position: "bottom" } },
      onHover: function (event, elements) {
        canvas.style.cursor = linkAt(elements) ? "pointer" : "default";
      },
      onClick: function (event, elements) {
        var link = linkAt(elements);
        if (link) { window.location.assign(link); }
      }
    }
  });
  document.body.dataset.charts = "drawn";
})();
