/* Member statistics charts: every [data-zb-chart] element draws the JSON rows of its data-zb-source
   (a json_script element: [{key, label, value}]) as a pie or a bar chart with the vendored ECharts. */
(function () {
  "use strict";
  if (!window.echarts) return;
  var COLORS = ["#c8161d", "#1f5fbf", "#e6a23c", "#17694a", "#7a4fb3", "#2aa3b8", "#9a5200", "#6c757d"];
  var charts = [];

  function pie(rows) {
    return {
      color: COLORS,
      tooltip: { trigger: "item", formatter: "{b}：{c}人（{d}%）" },
      legend: { bottom: 0, type: "scroll", itemWidth: 12, itemHeight: 12 },
      series: [{
        type: "pie",
        radius: ["38%", "68%"],
        center: ["50%", "44%"],
        avoidLabelOverlap: true,
        label: { formatter: "{c}", fontSize: 12 },
        data: rows.filter(function (r) { return r.value > 0; }).map(function (r) {
          return { name: r.label, value: r.value };
        })
      }]
    };
  }

  function bar(rows) {
    return {
      color: [COLORS[0]],
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: function (v) { return v + "人"; } },
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      xAxis: {
        type: "category",
        data: rows.map(function (r) { return r.label; }),
        axisLabel: { interval: 0, hideOverlap: false, fontSize: 11, overflow: "break", width: 60 }
      },
      yAxis: { type: "value", minInterval: 1 },
      series: [{
        type: "bar",
        barMaxWidth: 36,
        label: { show: true, position: "top", fontSize: 11 },
        data: rows.map(function (r) { return r.value; })
      }]
    };
  }

  document.querySelectorAll("[data-zb-chart]").forEach(function (el) {
    var source = document.getElementById(el.getAttribute("data-zb-source"));
    if (!source) return;
    var rows = JSON.parse(source.textContent);
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption(el.getAttribute("data-zb-chart") === "pie" ? pie(rows) : bar(rows));
    charts.push(chart);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
})();
