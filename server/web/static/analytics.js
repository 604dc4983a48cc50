// Analytics charts, drawn by Chart.js (served from the server as /static/chart.js) from each canvas's
// data-chart attribute. The numbers are also in the table after each chart, which is what screen
// readers and browsers without scripts get. Labels (agent and queue names) are drawn on the canvas
// as text, never parsed as HTML. Plain script, no inline code (the page's CSP).
(() => {
  const Chart = window.Chart;
  if (!Chart) return;
  // Distinct colours, each also told apart by its point shape and dash, so colour is never the only signal.
  const COLOURS = ['#1f5fbf', '#c2410c', '#15803d', '#7e22ce', '#b91c1c', '#0f766e'];
  const POINTS = ['circle', 'rect', 'triangle', 'rectRot', 'star', 'crossRot'];
  const DASHES = [[], [6, 3], [2, 2], [8, 3, 2, 3], [], [4, 4]];
  // Long names (agent ids, queue names) are cut on the canvas only; the table beside it has them whole.
  const short = (text) => (typeof text === 'string' && text.length > 28 ? `${text.slice(0, 27)}…` : text);
  const reduceMotion = window.matchMedia?.('(prefers-reduced-motion: reduce)').matches;

  for (const canvas of document.querySelectorAll('canvas[data-chart]')) {
    let spec;
    try {
      spec = JSON.parse(canvas.dataset.chart);
    } catch {
      continue;
    }
    const percent = spec.unit === 'percent';
    const datasets = spec.datasets.map((set, index) => {
      const colour = COLOURS[index % COLOURS.length];
      return {
        label: short(set.label),
        data: percent ? set.data.map((value) => (value === null ? null : Math.round(value * 1000) / 10)) : set.data,
        backgroundColor: colour,
        borderColor: colour,
        borderDash: spec.type === 'line' ? DASHES[index % DASHES.length] : undefined,
        pointStyle: POINTS[index % POINTS.length],
        pointRadius: spec.type === 'line' ? 4 : undefined,
        spanGaps: true,
      };
    });
    new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels.map(short), datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reduceMotion ? false : { duration: 300 },
        plugins: {
          legend: { position: 'bottom', labels: { usePointStyle: true } },
          tooltip: {
            callbacks: percent ? { label: (item) => `${item.dataset.label}: ${item.formattedValue} %` } : {},
          },
        },
        scales: {
          x: { stacked: spec.stacked === true },
          y: {
            stacked: spec.stacked === true,
            beginAtZero: true,
            max: percent ? 100 : undefined,
            ticks: percent ? { callback: (value) => `${value} %` } : { precision: 0 },
          },
        },
      },
    });
    canvas.dataset.drawn = 'true';
  }
})();
