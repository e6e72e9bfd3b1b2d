/* Bar charts from data attributes (the CSP allows no inline script): <div class="chart"
   data-chart='{"type": "bar", "labels": [...], "values": [...], "max": 100}'>. The numbers are also
   in a table beside each chart, so nothing depends on this script. */
(function () {
  "use strict";
  if (!window.echarts) { return; }
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var spec;
    try { spec = JSON.parse(el.getAttribute("data-chart")); } catch (e) { return; }
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      grid: { left: 40, right: 16, top: 16, bottom: 60, containLabel: true },
      xAxis: { type: "category", data: spec.labels, axisLabel: { interval: 0, rotate: spec.labels.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", max: spec.max || null, minInterval: 1 },
      tooltip: { trigger: "axis" },
      series: [{ type: "bar", data: spec.values, itemStyle: { color: "#c62828" }, label: { show: true, position: "top" } }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
