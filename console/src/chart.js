// A line chart (plain SVG) of one numeric attribute over event time.

import { h } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 600;
const HEIGHT = 160;
const PAD = 30;
const LEFT = 52; // room for the value labels

function svg(tag, attrs = {}) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** Draws `points` (`[ts, value]`, oldest first) into a new SVG element. */
export function drawChart(points, label) {
  const root = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: "chart", role: "img", "aria-label": label });
  if (points.length === 0) {
    const t = svg("text", { x: WIDTH / 2, y: HEIGHT / 2, "text-anchor": "middle" });
    t.textContent = "no values yet";
    root.append(t);
    return root;
  }
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const x = (v) => LEFT + ((v - x0) / Math.max(x1 - x0, 1)) * (WIDTH - LEFT - PAD);
  const y = (v) => HEIGHT - PAD / 2 - ((v - y0) / (y1 - y0)) * (HEIGHT - PAD);
  root.append(svg("line", { x1: LEFT, y1: HEIGHT - PAD / 2, x2: WIDTH - PAD / 2, y2: HEIGHT - PAD / 2, class: "axis" }));
  root.append(svg("line", { x1: LEFT, y1: PAD / 2, x2: LEFT, y2: HEIGHT - PAD / 2, class: "axis" }));
  for (const [v, at] of [[y1, y(y1)], [y0, y(y0)]]) {
    const t = svg("text", { x: LEFT - 4, y: at + 4, "text-anchor": "end", class: "tick" });
    t.textContent = Number(v.toPrecision(4)).toString();
    root.append(t);
  }
  root.append(svg("polyline", { points: points.map((p) => `${x(p[0])},${y(p[1])}`).join(" "), class: "series" }));
  const last = points[points.length - 1];
  root.append(svg("circle", { cx: x(last[0]), cy: y(last[1]), r: 3, class: "series-dot" }));
  return root;
}

/** A chart holder with `add(ts, value)`, `clear()` and its element. */
export function createChart(label, limit = 200) {
  const element = h("div", { class: "chart-holder" });
  let points = [];
  let dirty = true;
  const redraw = () => {
    if (!dirty) return;
    dirty = false;
    element.replaceChildren(drawChart(points, label));
  };
  redraw();
  return {
    element,
    add(ts, value) {
      points.push([ts, value]);
      if (points.length > limit) points = points.slice(-limit);
      dirty = true;
      requestAnimationFrame(redraw);
    },
    clear() {
      points = [];
      dirty = true;
      redraw();
    },
  };
}
