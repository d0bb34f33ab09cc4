/* The dashboard charts (Chart.js), from a file: the Content-Security-Policy allows no inline script.
 * The numbers come from the page's <script type="application/json" id="dashboard-data"> (data, not code). */
(function () {
  "use strict";
  if (!window.Chart) { return; }  // the tables stay open: the page still reads without the charts
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  var palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
                 "#9c755f", "#bab0ac"];
  var color = function (i) { return palette[i % palette.length]; };
  var days = data.days.map(function (d) { return d.slice(5); });  // MM-DD on the axis
  var base = {
    responsive: true, maintainAspectRatio: false, animation: false,
    interaction: {mode: "index", intersect: false},
    plugins: {legend: {position: "bottom", labels: {boxWidth: 12}},
              tooltip: {callbacks: {title: function (items) { return data.days[items[0].dataIndex]; }}}}
  };
  var merge = function (a, b) { return Object.assign({}, a, b); };
  var stacked = function (id, series) {
    return new Chart(document.getElementById(id), {
      type: "bar",
      data: {labels: days, datasets: series.map(function (s, i) {
        return {label: s.label, data: s.data, backgroundColor: color(i), stack: "opened"};
      })},
      options: merge(base, {scales: {x: {stacked: true}, y: {stacked: true, beginAtZero: true, ticks: {precision: 0},
                                                            title: {display: true, text: "tickets"}}}})
    });
  };
  stacked("chart-tier", data.volume.by_tier);
  stacked("chart-type", data.volume.by_type);

  var sla = data.sla;
  new Chart(document.getElementById("chart-sla"), {
    data: {labels: days, datasets: [
      {type: "line", label: "First response in SLA (%)", data: sla.first_response.percent, borderColor: color(0),
       backgroundColor: color(0), spanGaps: true, yAxisID: "pct"},
      {type: "line", label: "Resolution in SLA (%)", data: sla.resolution.percent, borderColor: color(2),
       backgroundColor: color(2), spanGaps: true, yAxisID: "pct"},
      {type: "bar", label: "First response past due, open", data: sla.first_response.breached_open,
       backgroundColor: "rgba(225, 87, 89, 0.45)", yAxisID: "count", stack: "breached"},
      {type: "bar", label: "Resolution past due, open", data: sla.resolution.breached_open,
       backgroundColor: "rgba(176, 122, 161, 0.45)", yAxisID: "count", stack: "breached"}
    ]},
    options: merge(base, {scales: {
      pct: {position: "left", min: 0, max: 100, title: {display: true, text: "% in SLA"}},
      count: {position: "right", beginAtZero: true, stacked: true, ticks: {precision: 0}, grid: {drawOnChartArea: false},
              title: {display: true, text: "past due, open"}},
      x: {stacked: true}
    }})
  });

  new Chart(document.getElementById("chart-median"), {
    type: "line",
    data: {labels: days, datasets: [
      {label: "Median first response (min)", data: data.medians.first_response.minutes, borderColor: color(0),
       backgroundColor: color(0), spanGaps: true},
      {label: "Median resolution (min)", data: data.medians.resolution.minutes, borderColor: color(1),
       backgroundColor: color(1), spanGaps: true}
    ]},
    options: merge(base, {scales: {y: {beginAtZero: true, title: {display: true, text: "minutes"}}}})
  });

  var defl = data.deflection;
  new Chart(document.getElementById("chart-deflection"), {
    data: {labels: days, datasets: [
      {type: "bar", label: "Solved by self-serve", data: defl.solved, backgroundColor: color(2)},
      {type: "bar", label: "Tickets opened", data: defl.tickets_opened, backgroundColor: color(0)},
      {type: "line", label: "Self-serve command runs", data: defl.self_serve_runs, borderColor: color(1),
       backgroundColor: color(1)}
    ]},
    options: merge(base, {scales: {y: {beginAtZero: true, ticks: {precision: 0}}}})
  });

  // Charts drew: fold the number tables away (still one click from view, and open without JavaScript).
  Array.prototype.forEach.call(document.querySelectorAll("details.dashboard-numbers"), function (el) {
    el.open = false;
  });
  document.body.setAttribute("data-charts", "ready");
})();
