// The on-time report's monthly trend: draws the rate per due month from the canvas's data-trend
// attribute (no inline script under the CSP). Without script, or without Chart.js, the figure
// stays hidden and the table beside it carries the same numbers.
(function () {
  'use strict';
  const canvas = document.getElementById('trend-chart');
  const box = canvas && canvas.closest('[data-chart-box]');
  if (!canvas || !box || typeof window.Chart !== 'function') return;
  let data;
  try {
    data = JSON.parse(canvas.dataset.trend || '');
  } catch {
    return;
  }
  box.hidden = false;
  // eslint-disable-next-line no-new
  new window.Chart(canvas, {
    type: 'line',
    data: {
      labels: data.labels,
      datasets: [{ label: 'On-time rate (%)', data: data.rates, borderColor: '#0b5d4b', backgroundColor: '#0b5d4b', spanGaps: true, tension: 0.2 }],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: { y: { min: 0, max: 100, ticks: { callback: (v) => `${v}%` } } },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { afterLabel: (ctx) => `${data.onTime[ctx.dataIndex]} of ${data.counted[ctx.dataIndex]} on time` } },
      },
    },
  });
})();
