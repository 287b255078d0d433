// Draws every <figure data-chart> from the JSON its template embedded (insights/_chart.html).
// Chart.js (node_modules, pinned in package.json) is loaded before this file.
(function () {
  const PALETTE = ["#1c6ea4", "#c2571a", "#2e8540", "#7a4fa3", "#b8860b", "#5f6b7a"];
  const FAINT = "rgba(95, 107, 122, 0.35)";

  function dataset(series, index, kind) {
    const colour = series.style === "faint" ? FAINT : PALETTE[index % PALETTE.length];
    return {
      label: series.label,
      data: series.values,
      borderColor: colour,
      backgroundColor: kind === "line" ? colour : colour + "cc",
      borderDash: series.style === "dashed" ? [6, 4] : [],
      borderWidth: series.style === "faint" ? 1 : 2,
      pointRadius: series.style === "main" ? 3 : 0,
      spanGaps: true,
      tension: series.style === "dashed" ? 0.35 : 0,
      order: series.style === "main" ? 0 : 1,
    };
  }

  function draw(figure) {
    // The JSON sits in a <template>, where htmx's script stripping does not reach it.
    const holder = figure.querySelector("template[data-chart-config]");
    const data = (holder ? holder.content : figure).querySelector('script[type="application/json"]');
    const canvas = figure.querySelector("canvas");
    if (!data || !canvas || figure.chart) return;
    const config = JSON.parse(data.textContent);
    const stacked = config.kind === "stacked-bar";
    const kind = stacked ? "bar" : config.kind;
    figure.chart = new Chart(canvas, {
      type: kind,
      data: {
        labels: config.labels,
        datasets: config.series.map((series, i) => dataset(series, i, kind)),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { stacked, title: { display: true, text: config.x_label } },
          y: {
            stacked,
            min: config.y_min ?? undefined,
            max: config.y_max ?? undefined,
            title: { display: true, text: config.y_label },
          },
        },
        plugins: { legend: { position: "bottom" } },
      },
    });
    figure.dataset.drawn = "true";
  }

  function drawAll(root) {
    if (typeof Chart === "undefined") return;
    root.querySelectorAll("figure[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", () => drawAll(document));
  // Fragments swapped in by htmx (filters, comparisons) bring their own charts. After an
  // outerHTML swap event.detail.elt is the element that was replaced, no longer in the page, so
  // look at the whole document: draw() skips figures already drawn.
  document.addEventListener("htmx:afterSettle", () => drawAll(document));
})();
