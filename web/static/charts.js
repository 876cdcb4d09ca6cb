// The pipeline's two charts with Chart.js (served from node_modules): stage conversion and forecast.
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var words = JSON.parse(document.getElementById("chart-labels").textContent);
  var blue = "#2f5bea", green = "#2e9b57", red = "#c62828", amber = "#e0a100", soft = "rgba(47, 91, 234, .25)";
  var money = new Intl.NumberFormat(document.documentElement.lang, { maximumFractionDigits: 0 });
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.maintainAspectRatio = false;

  var conversion = data.conversion;
  new Chart(document.getElementById("conversion-chart"), {
    data: {
      labels: conversion.labels,
      datasets: [
        { type: "bar", label: words.entered, data: conversion.entered, backgroundColor: soft, borderColor: blue, borderWidth: 1 },
        { type: "bar", label: words.moved_on, data: conversion.moved_on, backgroundColor: green },
        { type: "bar", label: words.lost, data: conversion.lost, backgroundColor: red },
        { type: "line", label: words.rate, data: conversion.rate, borderColor: amber, backgroundColor: amber,
          yAxisID: "rate", spanGaps: true, tension: .25 }
      ]
    },
    options: {
      animation: false,
      scales: {
        y: { beginAtZero: true, ticks: { precision: 0 } },
        rate: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false },
                ticks: { callback: function (v) { return v + "%"; } } }
      },
      plugins: { legend: { position: "bottom" } },
      // A lost bar (the third dataset) opens the deals lost at its stage.
      onHover: function (event, elements) {
        event.native.target.style.cursor = lostLink(elements) ? "pointer" : "default";
      },
      onClick: function (event, elements) {
        var link = lostLink(elements);
        if (link) { window.location.assign(link); }
      }
    }
  });

  function lostLink(elements) {
    return elements.length && elements[0].datasetIndex === 2 ? conversion.lost_links[elements[0].index] : null;
  }

  var forecast = data.forecast;
  new Chart(document.getElementById("forecast-chart"), {
    type: "bar",
    data: {
      labels: forecast.labels,
      datasets: [
        { label: words.amount, data: forecast.amount, backgroundColor: soft, borderColor: blue, borderWidth: 1 },
        { label: words.weighted, data: forecast.weighted, backgroundColor: blue }
      ]
    },
    options: {
      animation: false,
      scales: { y: { beginAtZero: true, ticks: { callback: function (v) { return "¥" + money.format(v); } } } },
      plugins: {
        legend: { position: "bottom" },
        tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": ¥" + money.format(c.parsed.y); } } }
      }
    }
  });
  document.body.dataset.charts = "drawn";
})();
