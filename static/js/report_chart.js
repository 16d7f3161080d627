// A report's chart (templates/reports/report.html, the dashboard's trends): draws each element
// with class "report-chart" from the chart spec in the json_script named by its id + "-data"
// (apps/reports/registry.py: {type: bar|line|stacked_bar, title, categories, series: [{name, data}],
// unit: count|percent|seconds}). The CSP allows no inline script; the table under the chart stays
// the accessible copy and the fallback when ECharts is not installed.
(function () {
  "use strict";
  if (typeof window.echarts === "undefined") return;
  var css = getComputedStyle(document.documentElement);
  var muted = (css.getPropertyValue("--muted") || "").trim() || "#64748b";
  var palette = ["#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#0969da", "#bc4c00"];

  function suffix(box, unit) {
    if (unit === "percent") return box.getAttribute("data-unit-percent") || "%";
    if (unit === "seconds") return " " + (box.getAttribute("data-unit-seconds") || "s");
    return "";
  }

  function draw(box) {
    var source = document.getElementById(box.id + "-data");
    if (!source) return;
    var spec = JSON.parse(source.textContent);
    if (!spec || !spec.categories || !spec.categories.length) return;
    var unit = suffix(box, spec.unit);
    var stacked = spec.type === "stacked_bar";
    var type = spec.type === "line" ? "line" : "bar";
    box.hidden = false;
    var chart = window.echarts.init(box, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      color: palette,
      grid: { left: 48, right: 16, top: 36, bottom: 48, containLabel: true },
      legend: { top: 0, textStyle: { color: muted } },
      tooltip: {
        trigger: "axis",
        valueFormatter: function (value) {
          return value === null || value === undefined ? "—" : value + unit;
        },
      },
      xAxis: { type: "category", data: spec.categories, axisLabel: { color: muted, hideOverlap: true } },
      yAxis: {
        type: "value",
        max: spec.unit === "percent" ? 100 : null,
        axisLabel: {
          color: muted,
          formatter: function (value) {
            return value + unit;
          },
        },
      },
      series: spec.series.map(function (series) {
        return {
          name: series.name,
          type: type,
          stack: stacked ? "total" : undefined,
          showSymbol: spec.categories.length < 40,
          connectNulls: false,
          data: series.data,
        };
      }),
    });
    window.addEventListener("resize", function () {
      chart.resize();
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll(".report-chart"), draw);
})();
