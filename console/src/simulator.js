// The event simulator: sends generated events to one stream at a chosen rate,
// each attribute random within its range (numbers) or among its choices (strings).

import { api } from "./api.js";
import { h } from "./dom.js";

const TICK_MS = 100;

/** A random value of `type` from the range `min..max` or the comma-separated `choices`. */
export function randomValue(type, { min, max, choices }) {
  const t = type.toLowerCase();
  if (t === "bool") return Math.random() < 0.5;
  if (t === "int" || t === "long") return Math.floor(min + Math.random() * (max - min + 1));
  if (t === "float" || t === "double") return Math.round((min + Math.random() * (max - min)) * 100) / 100;
  const list = choices.split(",").map((c) => c.trim()).filter(Boolean);
  return list.length ? list[Math.floor(Math.random() * list.length)] : null;
}

/** A simulator for `stream` of app `app`: `{element, stop}`. */
export function createSimulator(app, stream) {
  const ranges = stream.attributes.map((a) => {
    const t = a.type.toLowerCase();
    if (t === "bool") return { attr: a, read: () => ({}), inputs: [h("span", {}, "true / false")] };
    if (["int", "long", "float", "double"].includes(t)) {
      const min = h("input", { type: "number", step: "any", value: "0", "aria-label": `${a.name} min` });
      const max = h("input", { type: "number", step: "any", value: "100", "aria-label": `${a.name} max` });
      return { attr: a, read: () => ({ min: Number(min.value), max: Number(max.value) }), inputs: [min, " to ", max] };
    }
    const choices = h("input", { type: "text", value: "a,b,c", "aria-label": `${a.name} choices` });
    return { attr: a, read: () => ({ choices: choices.value }), inputs: [choices] };
  });
  const rate = h("input", { type: "number", min: "1", max: "10000", value: "5", "aria-label": "Events per second" });
  const button = h("button", { onclick: () => (timer ? stop() : start()) }, "Start simulator");
  const status = h("output", { class: "result" }, "stopped");
  let timer = null;
  let sent = 0;
  let owed = 0;

  async function tick() {
    owed += (Number(rate.value) || 1) * (TICK_MS / 1000);
    const n = Math.floor(owed);
    if (n < 1) return;
    owed -= n;
    const specs = ranges.map((r) => r.read());
    const batch = Array.from({ length: n }, () =>
      Object.fromEntries(ranges.map((r, i) => [r.attr.name, randomValue(r.attr.type, specs[i])])),
    );
    try {
      const r = await api.push(app, stream.name, JSON.stringify(batch), "application/json");
      sent += r.accepted;
      status.textContent = `running: ${sent} events sent`;
      status.className = "result ok";
    } catch (err) {
      status.textContent = `${err.message} (${sent} sent)`;
      status.className = "result error";
      if (err.status !== 429) stop();
    }
  }

  function start() {
    sent = 0;
    owed = 0;
    timer = setInterval(tick, TICK_MS);
    button.textContent = "Stop simulator";
    status.textContent = "running";
  }

  function stop() {
    clearInterval(timer);
    timer = null;
    button.textContent = "Start simulator";
    if (!status.classList.contains("error")) status.textContent = `stopped: ${sent} events sent`;
  }

  const element = h(
    "div",
    { class: "simulator" },
    h("h3", {}, "Simulator"),
    h("table", {}, h("tbody", {}, ranges.map((r) => h("tr", {}, h("td", {}, r.attr.name, " ", h("small", {}, r.attr.type)), h("td", {}, r.inputs))))),
    h("label", {}, "Events/s ", rate),
    button,
    status,
  );
  return { element, stop };
}
