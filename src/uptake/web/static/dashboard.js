// uptake dashboard: progressive enhancement of server-rendered pages. Without this script the
// pages still show every number (tables, KPI cards); with it, charts are drawn, tables sort,
// and the segment filter offers the values of the chosen property. No inline script anywhere:
// the Content-Security-Policy allows scripts from this server only.
(function () {
  "use strict";

  // Charts: each [data-chart] element names a <script type="application/json"> block with a
  // Plotly figure ({data, layout}). <html data-charts="ready"> once all are drawn.
  function drawCharts() {
    var holders = document.querySelectorAll("[data-chart]");
    var root = document.documentElement;
    if (!holders.length) {
      root.dataset.charts = "ready";
      return;
    }
    if (typeof window.Plotly === "undefined") {
      root.dataset.charts = "unavailable";
      return;
    }
    var drawing = Array.prototype.map.call(holders, function (holder) {
      var block = document.getElementById(holder.dataset.chart);
      var figure = JSON.parse(block.textContent);
      var config = {
        responsive: true,
        displaylogo: false,
        modeBarButtonsToRemove: ["select2d", "lasso2d"],
        toImageButtonOptions: {filename: holder.dataset.chart}
      };
      return window.Plotly.newPlot(holder, figure.data, figure.layout, config);
    });
    Promise.all(drawing).then(function () { root.dataset.charts = "ready"; });
  }

  // Sortable tables: a heading's button sorts by that column (numbers as numbers, empty
  // values last), again to reverse. The state is told to screen readers with aria-sort.
  function sortBy(table, index, th) {
    var body = table.tBodies[0];
    var numeric = th.dataset.type === "number";
    var descending = th.getAttribute("aria-sort") !== "descending" && (numeric || th.getAttribute("aria-sort") === "ascending");
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) { cell.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", descending ? "descending" : "ascending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[index].dataset.sort, y = b.cells[index].dataset.sort;
      if (x === undefined && y === undefined) { return 0; }
      if (x === undefined) { return 1; }
      if (y === undefined) { return -1; }
      var order = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
      return descending ? -order : order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function sortableTables() {
    document.querySelectorAll("table.sortable").forEach(function (table) {
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
        var button = th.querySelector("button.sort");
        if (button) {
          button.addEventListener("click", function () { sortBy(table, index, th); });
        }
      });
    });
  }

  // Segment filter: choosing a property fetches its values into the value list.
  function segmentFilter() {
    var property = document.getElementById("f-segment");
    var value = document.getElementById("f-segment-value");
    if (!property || !value) { return; }
    property.addEventListener("change", function () {
      while (value.options.length > 1) { value.remove(1); }
      value.disabled = true;
      if (!property.value) { return; }
      var url = property.dataset.valuesUrl + "?property=" + encodeURIComponent(property.value);
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) {
          if (!response.ok) { throw new Error("segment values: HTTP " + response.status); }
          return response.json();
        })
        .then(function (values) {
          values.forEach(function (text) { value.add(new Option(text, text)); });
          value.disabled = false;
          value.dataset.loaded = property.value;
        })
        .catch(function (error) { console.warn(error.message); });
    });
  }

  // Leave empty fields out of the URL, so links stay short and say only what was chosen.
  function cleanFilterForm() {
    var form = document.querySelector("form.filters");
    if (!form) { return; }
    form.addEventListener("submit", function () {
      var segment = form.elements.segment;
      Array.prototype.forEach.call(form.elements, function (el) {
        if (el.name && !el.value) { el.disabled = true; }
      });
      if (segment && !segment.value && form.elements.segment_value) {
        form.elements.segment_value.disabled = true;
      }
    });
    // Coming back with the browser's Back button shows the page as it was left: usable again.
    window.addEventListener("pageshow", function () {
      Array.prototype.forEach.call(form.elements, function (el) {
        if (el.name && el.name !== "segment_value") { el.disabled = false; }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    sortableTables();
    segmentFilter();
    cleanFilterForm();
    drawCharts();
  });
})();
