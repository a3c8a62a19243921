// The Events panel: a typed form per input stream, a JSON / CSV batch box, and
// the simulator.

import { api } from "./api.js";
import { h, fill, section } from "./dom.js";
import { createSimulator } from "./simulator.js";

const INTEGER = new Set(["int", "long"]);
const DECIMAL = new Set(["float", "double"]);

/** One form field for an attribute of `type`. */
function field(attr) {
  const t = attr.type.toLowerCase();
  if (t === "bool") return h("input", { type: "checkbox", name: attr.name });
  if (INTEGER.has(t)) return h("input", { type: "number", step: "1", name: attr.name, value: "0" });
  if (DECIMAL.has(t)) return h("input", { type: "number", step: "any", name: attr.name, value: "0" });
  return h("input", { type: "text", name: attr.name, placeholder: t === "object" ? "JSON" : "" });
}

/** The event the form's fields describe: `{attr: value}` with typed values. */
function readForm(attributes, inputs) {
  const event = {};
  attributes.forEach((a, i) => {
    const el = inputs[i];
    const t = a.type.toLowerCase();
    if (t === "bool") event[a.name] = el.checked;
    else if (el.value === "") event[a.name] = null;
    else if (INTEGER.has(t) || DECIMAL.has(t)) event[a.name] = Number(el.value);
    else if (t === "object") event[a.name] = JSON.parse(el.value);
    else event[a.name] = el.value;
  });
  return event;
}

/** The Events section for app `app` described by `description` (GET /v1/apps/{app}). */
export function eventsPanel(app, description) {
  const inputs = description.streams.filter((s) => s.accepts_events);
  if (!inputs.length) return section("Events", "events", h("p", {}, "This app has no stream that accepts events."));
  const picker = h(
    "select",
    { "aria-label": "Input stream", onchange: () => show() },
    inputs.map((s) => h("option", { value: s.name }, s.name)),
  );
  const body = h("div", {});
  const simulators = [];

  function show() {
    simulators.forEach((s) => s.stop());
    simulators.length = 0;
    const stream = inputs.find((s) => s.name === picker.value);
    const simulator = createSimulator(app, stream);
    simulators.push(simulator);
    fill(body, formFor(app, stream), batchFor(app, stream), simulator.element);
  }
  show();
  const element = section("Events", "events", h("label", {}, "Stream ", picker), body);
  return { element, stop: () => simulators.forEach((s) => s.stop()) };
}

function formFor(app, stream) {
  const inputs = stream.attributes.map(field);
  const result = h("output", { class: "result" });
  const form = h(
    "form",
    {
      class: "event-form",
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          const event = readForm(stream.attributes, inputs);
          const r = await api.push(app, stream.name, JSON.stringify(event), "application/json");
          result.textContent = `sent (${r.accepted} accepted)`;
          result.className = "result ok";
        } catch (err) {
          result.textContent = err.message;
          result.className = "result error";
        }
      },
    },
    h("h3", {}, "One event"),
    h(
      "div",
      { class: "fields" },
      stream.attributes.map((a, i) => h("label", {}, `${a.name} `, h("small", {}, a.type), inputs[i])),
    ),
    h("button", { type: "submit" }, "Send event"),
    result,
  );
  return form;
}

function batchFor(app, stream) {
  const format = h(
    "select",
    { "aria-label": "Batch format" },
    h("option", { value: "application/json" }, "JSON / NDJSON"),
    h("option", { value: "text/csv" }, "CSV"),
  );
  const names = stream.attributes.map((a) => a.name);
  const box = h("textarea", {
    class: "batch",
    rows: 4,
    "aria-label": "Batch",
    placeholder: `[{${names.map((n) => `"${n}": …`).join(", ")}}, …]  or CSV: ${names.join(",")}`,
  });
  const result = h("output", { class: "result" });
  const send = async () => {
    try {
      const r = await api.push(app, stream.name, box.value, format.value);
      result.textContent = `sent (${r.accepted} accepted)`;
      result.className = "result ok";
    } catch (err) {
      const where = err.details?.index !== undefined ? ` (event ${err.details.index})` : "";
      result.textContent = err.message + where;
      result.className = "result error";
    }
  };
  return h("div", { class: "batch-box" }, h("h3", {}, "Batch"), format, box, h("button", { onclick: send }, "Send batch"), result);
}
