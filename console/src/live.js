// The Live panel: follow a stream's events (SSE) as a table of the newest rows
// with pause and clear, a chart of a numeric attribute, and events/s per stream.

import { follow } from "./api.js";
import { h, fill, section, table, show } from "./dom.js";
import { createChart } from "./chart.js";

const KEEP_ROWS = 100;
const NUMERIC = new Set(["int", "long", "float", "double"]);

/** The Live section for app `app` described by `description`. */
export function livePanel(app, description) {
  const streams = description.streams;
  const first = description.outputs[0] || streams[0]?.name;
  const picker = h(
    "select",
    { "aria-label": "Followed stream", onchange: () => start() },
    streams.map((s) => h("option", { value: s.name, selected: s.name === first }, s.name)),
  );
  const attrPicker = h("select", { "aria-label": "Charted attribute", onchange: () => chart.clear() });
  const pause = h("button", { onclick: () => togglePause() }, "Pause");
  const clear = h("button", { onclick: () => ((rows = []), chart.clear(), render()) }, "Clear");
  const note = h("output", { class: "result" });
  const holder = h("div", { class: "live-table" });
  const chart = createChart("chart");
  const rates = h("div", { class: "rates" });
  let rows = [];
  let paused = false;
  let controller = null;
  let pending = false;
  let received = 0;

  function columns() {
    return streams.find((s) => s.name === picker.value)?.attributes.map((a) => a.name) || [];
  }

  function render() {
    pending = false;
    if (paused) return;
    const cols = columns();
    fill(holder, table(["ts", ...cols], rows.map((e) => [e.ts, ...cols.map((c) => e.data[c])]), { "aria-label": "Live events" }));
  }

  function togglePause() {
    paused = !paused;
    pause.textContent = paused ? "Resume" : "Pause";
    render();
  }

  function onEvent(e) {
    received++;
    rows.unshift(e);
    if (rows.length > KEEP_ROWS) rows.length = KEEP_ROWS;
    const v = e.data[attrPicker.value];
    if (!paused && typeof v === "number") chart.add(e.ts, v);
    note.textContent = `${received} events received`;
    if (!pending) {
      pending = true;
      requestAnimationFrame(render);
    }
  }

  function start() {
    controller?.abort();
    controller = new AbortController();
    rows = [];
    received = 0;
    chart.clear();
    const numeric = (streams.find((s) => s.name === picker.value)?.attributes || []).filter((a) => NUMERIC.has(a.type.toLowerCase()));
    // The last numeric attribute is most often the measure (the first, a key).
    fill(attrPicker, numeric.map((a, i) => h("option", { value: a.name, selected: i === numeric.length - 1 }, a.name)));
    note.textContent = "following";
    note.className = "result";
    render();
    if (description.state !== "active") {
      note.textContent = `app is ${description.state}; activate it to follow streams`;
      return;
    }
    const mine = controller;
    follow(app, picker.value, {
      onEvent,
      onLagged: (n) => (note.textContent = `${n} events lost (too slow)`),
      signal: controller.signal,
    })
      .then(() => mine === controller && (note.textContent = "subscription ended"))
      .catch((err) => {
        note.textContent = err.message;
        note.className = "result error";
      });
  }

  let last = null;
  /** Shows events/s per stream from two successive descriptions' counters. */
  function updateRates(next) {
    const now = performance.now();
    if (last) {
      const secs = Math.max((now - last.at) / 1000, 0.001);
      const before = new Map(last.streams.map((s) => [s.name, s]));
      const rate = (s, k) => (((s[k] || 0) - (before.get(s.name)?.[k] || 0)) / secs).toFixed(1);
      fill(
        rates,
        table(
          ["stream", "in/s", "out/s", "events in", "events out"],
          next.streams.map((s) => [s.name, rate(s, "events_in"), rate(s, "events_out"), show(s.events_in ?? 0), show(s.events_out ?? 0)]),
          { "aria-label": "Stream rates" },
        ),
      );
    }
    last = { at: now, streams: next.streams };
  }

  start();
  const element = section(
    "Live",
    "live",
    h("div", { class: "toolbar" }, h("label", {}, "Stream ", picker), pause, clear, h("label", {}, "Chart ", attrPicker), note),
    chart.element,
    holder,
    h("h3", {}, "Events per second"),
    rates,
  );
  return { element, updateRates, stop: () => controller?.abort() };
}
