// Horizontal bar charts in plain SVG: each chart has a title and a description for screen readers
// (role="img"), and the view keeps the same figures in a table next to it.

const SVG = "http://www.w3.org/2000/svg";

export interface Bar {
  label: string;
  value: number;
  // Shown at the bar's end, e.g. "12.4 km" or "80%".
  text?: string;
  // Marks a bar below the target, e.g. a missed stop.
  warn?: boolean;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) element.setAttribute(k, String(v));
  return element;
}

export function barChart(title: string, bars: Bar[], options: { max?: number; target?: number } = {}): SVGSVGElement {
  const rowHeight = 24;
  const labelWidth = 150;
  const width = 560;
  const barArea = width - labelWidth - 70;
  const height = Math.max(1, bars.length) * rowHeight + 24;
  const max = options.max ?? Math.max(1e-9, ...bars.map((b) => b.value));
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "chart", width: "100%" });
  const titleId = `chart-${Math.random().toString(36).slice(2, 9)}`;
  chart.setAttribute("aria-labelledby", titleId);
  const titleElement = svg("title", { id: titleId });
  titleElement.textContent = `${title}：${bars.map((b) => `${b.label} ${b.text ?? b.value}`).join("，")}`;
  chart.append(titleElement);
  bars.forEach((bar, i) => {
    const y = 12 + i * rowHeight;
    const label = svg("text", { x: labelWidth - 8, y: y + 15, "text-anchor": "end", class: "chart-label" });
    label.textContent = bar.label;
    const length = Math.max(0, Math.min(1, bar.value / max)) * barArea;
    const rect = svg("rect", {
      x: labelWidth,
      y: y + 3,
      width: Math.max(1, length),
      height: rowHeight - 8,
      rx: 3,
      class: bar.warn ? "chart-bar warn" : "chart-bar",
    });
    const value = svg("text", { x: labelWidth + length + 6, y: y + 15, class: "chart-value" });
    value.textContent = bar.text ?? String(bar.value);
    chart.append(label, rect, value);
  });
  if (options.target !== undefined) {
    const x = labelWidth + Math.min(1, options.target / max) * barArea;
    chart.append(svg("line", { x1: x, x2: x, y1: 6, y2: height - 6, class: "chart-target" }));
  }
  return chart;
}
