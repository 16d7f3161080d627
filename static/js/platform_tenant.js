// The platform console's tenant page: seats over time as an ECharts step line.
// Data comes from the page's json_script (#seat-chart-data; the CSP allows no inline script);
// the seat-day table under the chart stays the accessible copy and the fallback without ECharts.
(function () {
  "use strict";
  var box = document.getElementById("seat-chart");
  var source = document.getElementById("seat-chart-data");
  if (!box || !source || typeof window.echarts === "undefined") return;
  var data = JSON.parse(source.textContent);
  var label = box.getAttribute("aria-label") || "";
  var css = getComputedStyle(document.documentElement);
  var accent = (css.getPropertyValue("--brand") || "").trim() || "#1f6feb";
  var muted = (css.getPropertyValue("--muted") || "").trim() || "#64748b";
  box.hidden = false;
  var chart = window.echarts.init(box, null, { renderer: "svg" });
  chart.setOption({
    animation: false,
    grid: { left: 40, right: 16, top: 16, bottom: 32 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "time", axisLabel: { color: muted, hideOverlap: true } },
    yAxis: { type: "value", minInterval: 1, axisLabel: { color: muted } },
    series: [{
      name: label,
      type: "line",
      step: "end",
      showSymbol: data.days.length < 40,
      connectNulls: false,
      lineStyle: { color: accent, width: 2 },
      itemStyle: { color: accent },
      areaStyle: { color: accent, opacity: 0.12 },
      data: data.days.map(function (day, i) { return [day, data.seats[i]]; })
    }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
