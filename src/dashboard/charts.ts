import { Resvg } from "@resvg/resvg-js";
import * as echarts from "echarts";
import type { Figure } from "./figures.js";

const PALETTE = ["#2f5d8a", "#c0504d", "#9bbb59", "#8064a2", "#f79646"];

/**
 * A figure as an SVG chart, drawn on the server by Apache ECharts (no browser, no animation), so
 * the same picture serves the dashboard, the evidence pack and chat (as PNG).
 */
export function chartSvg(figure: Figure, width = 560, height = 260): string {
  const key = JSON.stringify([figure, width, height]);
  const known = drawn.get(key);
  if (known) return known;
  const svg = draw(figure, width, height);
  // The same numbers give the same picture: the last few hundred are kept.
  if (drawn.size >= 500) drawn.clear();
  drawn.set(key, svg);
  return svg;
}
const drawn = new Map<string, string>();

function draw(figure: Figure, width: number, height: number): string {
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width, height });
  chart.setOption({
    animation: false,
    color: PALETTE,
    textStyle: { fontFamily: "DejaVu Sans, Arial, sans-serif" },
    title: { text: figure.title, left: 8, top: 4, textStyle: { fontSize: 13 } },
    legend: figure.series.length > 1 ? { top: 26, right: 8 } : undefined,
    grid: { left: 48, right: 16, top: 56, bottom: 48 },
    xAxis: {
      type: "category",
      data: figure.categories,
      axisLabel: { interval: 0, rotate: figure.categories.length > 6 ? 35 : 0, fontSize: 10 },
    },
    yAxis: { type: "value", minInterval: 1 },
    series: figure.series.map((s) => ({
      name: s.name,
      type: figure.kind,
      data: s.values,
      label: figure.kind === "bar" ? { show: true, position: "top", fontSize: 10 } : undefined,
      ...(s.name === "target" ? { lineStyle: { type: "dashed" }, symbol: "none" } : {}),
    })),
  });
  const svg = chart.renderToSVGString();
  chart.dispose();
  // ECharts numbers its style classes per chart instance in the process; renumbered in order of
  // appearance, the same numbers give the same bytes (the evidence pack is byte-identical).
  const ids = new Map<string, string>();
  return svg.replace(/\bzr\d+-[A-Za-z]+-?\d*\b/g, (id) => {
    if (!ids.has(id)) ids.set(id, `c${ids.size}`);
    return ids.get(id) ?? id;
  });
}

/** The same chart as PNG (for chat clients, which do not show SVG), rendered by resvg. */
export function chartPng(figure: Figure, width = 560, height = 260): Buffer {
  const png = new Resvg(chartSvg(figure, width, height), {
    background: "#ffffff",
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" },
  })
    .render()
    .asPng();
  return Buffer.from(png);
}
