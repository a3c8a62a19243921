// The console's entry: the apps list, and for the chosen app the editor and
// the Events, Live and State panels.

import { api, apiKey, forgetKey, keyDeclined } from "./api.js";
import { h, fill, section } from "./dom.js";
import { createEditor } from "./editor.js";
import { eventsPanel } from "./events.js";
import { livePanel } from "./live.js";
import { queryPanel } from "./query.js";

const LIST_MS = 2000;
const DESCRIBE_MS = 1000;
const TEMPLATE = `@app:name('my-app')

-- Readings come in here.
define stream InStream (name string, value double);

from InStream[value > 10.0]
select name, value
insert into OutStream;
`;

const nav = document.getElementById("apps");
const main = document.getElementById("main");
const status = document.getElementById("status");
const keyButton = document.getElementById("key");

let selected = null; // the chosen app's name, null for a new app
let panels = [];
let describeTimer = null;
let lastState = null;

function say(text, kind = "") {
  status.textContent = text;
  status.className = kind;
}

/** The header's key button: forget a stored key, or ask again after a dismissed prompt. */
function showKeyButton() {
  keyButton.hidden = !apiKey() && !keyDeclined();
  keyButton.textContent = apiKey() ? "Forget API key" : "Enter API key";
}

async function refreshList() {
  try {
    const { apps } = await api.list();
    const details = await Promise.all(apps.map((a) => api.describe(a.name).catch(() => null)));
    fill(
      nav,
      h("button", { class: "new-app", onclick: () => open(null) }, "+ New app"),
      h(
        "ul",
        {},
        apps.map((a, i) => {
          const d = details[i];
          const total = (k) => (d ? d.streams.reduce((n, s) => n + (s[k] || 0), 0) : 0);
          return h(
            "li",
            { class: a.name === selected ? "chosen" : "" },
            h("a", { href: `#${encodeURIComponent(a.name)}`, onclick: (e) => (e.preventDefault(), open(a.name)) }, a.name),
            h("span", { class: `state ${a.state}` }, a.state),
            h("small", {}, `${total("events_in")} in · ${total("events_out")} out`),
          );
        }),
      ),
      apps.length ? null : h("p", {}, "No apps yet."),
    );
  } catch (err) {
    say(`cannot list apps: ${err.message}`, "error");
  }
  showKeyButton();
}

function stopPanels() {
  panels.forEach((p) => p.stop?.());
  panels = [];
  clearInterval(describeTimer);
}

/**
 * Puts the streams no query inserts into first (the app's inputs) and names the
 * others in `outputs`.
 */
function inputsFirst(description) {
  const inserted = new Set([...description.definition.matchAll(/\binsert\s+into\s+(\w+)/gi)].map((m) => m[1]));
  const streams = [...description.streams].sort((a, b) => inserted.has(a.name) - inserted.has(b.name));
  return { ...description, streams, outputs: streams.filter((s) => inserted.has(s.name)).map((s) => s.name) };
}

async function lifecycle(action, name) {
  try {
    if (action === "delete") {
      if (!window.confirm(`Delete app '${name}'?`)) return;
      await api.remove(name);
      say(`deleted ${name}`, "ok");
      location.hash = "";
      await refreshList();
      return open(null);
    }
    const r = await api[action](name);
    say(`${r.name} is ${r.state}`, "ok");
    await refreshList();
    return open(name);
  } catch (err) {
    say(err.message, "error");
  }
}

/** Creates the app from `text`, replacing app `replacing` (restored if the new text is refused). */
async function deploy(text, replacing) {
  try {
    let old = null;
    if (replacing) {
      old = await api.describe(replacing);
      await api.remove(replacing);
    }
    let created;
    try {
      created = await api.create(text);
    } catch (err) {
      if (old) await api.create(old.definition).catch(() => null);
      throw err;
    }
    const warn = created.warnings.length ? ` with ${created.warnings.length} warning(s)` : "";
    say(`deployed ${created.name}${warn}`, "ok");
    location.hash = encodeURIComponent(created.name);
    await refreshList();
    return open(created.name);
  } catch (err) {
    say(`deploy failed: ${err.message}`, "error");
  }
}

async function open(name) {
  stopPanels();
  selected = name;
  lastState = null;
  const verdict = h("output", { class: "verdict" });
  const editor = createEditor({
    onChecked: ({ valid, name: appName }) => {
      verdict.textContent = valid ? `valid: ${appName}` : "the app has problems";
      verdict.className = `verdict ${valid ? "ok" : "error"}`;
    },
  });
  const actions = h(
    "div",
    { class: "toolbar" },
    h("button", { class: "deploy", onclick: () => deploy(editor.text(), name) }, name ? "Deploy changes" : "Deploy"),
  );
  let description = null;
  if (name) {
    try {
      description = inputsFirst(await api.describe(name));
    } catch (err) {
      say(err.message, "error");
      return open(null);
    }
    const active = description.state !== "inactive";
    actions.append(
      h("button", { onclick: () => lifecycle(active ? "deactivate" : "activate", name) }, active ? "Deactivate" : "Activate"),
      h("button", { class: "danger", onclick: () => lifecycle("delete", name) }, "Delete"),
      h("span", { class: `state ${description.state}` }, description.state),
    );
    if (description.failure) actions.append(h("span", { class: "error" }, description.failure));
  }
  actions.append(verdict);
  const title = name ? `App ${name}` : "New app";
  const parts = [section(title, "editor", actions, editor.element)];
  if (description && description.state === "active") {
    const events = eventsPanel(name, description);
    const live = livePanel(name, description);
    const state = queryPanel(name, description);
    panels = [events, live, state];
    parts.push(events.element, live.element, state.element);
    lastState = description.state;
    describeTimer = setInterval(async () => {
      try {
        const next = await api.describe(name);
        live.updateRates(next);
        if (next.state !== lastState) open(name);
      } catch {
        clearInterval(describeTimer);
      }
    }, DESCRIBE_MS);
  }
  fill(main, parts);
  editor.setText(description ? description.definition : TEMPLATE);
  refreshList();
}

keyButton.addEventListener("click", () => {
  const had = apiKey();
  forgetKey();
  say(had ? "API key forgotten" : "");
  if (!had) refreshList().then(() => open(selected));
  showKeyButton();
});

const initial = decodeURIComponent(location.hash.slice(1));
refreshList().then(() => open(initial || null));
setInterval(refreshList, LIST_MS);
