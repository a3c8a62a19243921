// The State panel: a query box (on-demand or SQL) with the result as a table and
// its `as_of`, and tables / named windows watched live (queried every 2 s).

import { api } from "./api.js";
import { h, fill, section, table } from "./dom.js";

const WATCH_MS = 2000;

function asOf(r) {
  const a = r.as_of;
  return a && typeof a === "object" ? `as of ts ${a.ts}, seq ${a.seq}` : `as of ${JSON.stringify(a)}`;
}

/** Runs `text` against `app` and shows the answer (or the error) in `out`. */
async function runInto(app, text, out) {
  try {
    const r = await api.query(app, text);
    fill(
      out,
      h("p", { class: "as-of" }, `${r.rows.length} row${r.rows.length === 1 ? "" : "s"}, ${asOf(r)}`),
      table(r.columns, r.rows, { "aria-label": "Query result" }),
    );
  } catch (err) {
    fill(out, h("pre", { class: "result error" }, err.message));
  }
}

/** The State section for app `app` described by `description`. */
export function queryPanel(app, description) {
  const relations = description.relations.filter((r) => r.kind === "table" || r.kind === "window");
  const first = relations[0];
  const box = h("textarea", {
    class: "query",
    rows: 3,
    "aria-label": "Query",
    value: first ? `from ${first.name} select *` : "",
    placeholder: "from T on x > 1 select a, b   or   SELECT a, count(*) AS n FROM T GROUP BY a",
  });
  const out = h("div", { class: "query-result" });
  const run = () => runInto(app, box.value, out);
  box.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      run();
    }
  });

  const watched = h("div", { class: "watched" });
  let timer = null;
  const watch = (name) => {
    clearInterval(timer);
    const refresh = () => runInto(app, `from ${name} select *`, watched);
    refresh();
    timer = setInterval(refresh, WATCH_MS);
  };
  const picker = relations.length
    ? h(
        "label",
        {},
        "Watch ",
        h(
          "select",
          { "aria-label": "Watched relation", onchange: (e) => (e.target.value ? watch(e.target.value) : (clearInterval(timer), fill(watched))) },
          h("option", { value: "" }, "(none)"),
          relations.map((r) => h("option", { value: r.name }, `${r.kind} ${r.name}`)),
        ),
      )
    : h("p", {}, "This app defines no table or named window to watch.");

  const element = section(
    "State",
    "state",
    box,
    h("div", { class: "toolbar" }, h("button", { onclick: run }, "Run query"), h("small", {}, "Ctrl+Enter")),
    out,
    h("h3", {}, "Live view"),
    picker,
    watched,
  );
  return { element, stop: () => clearInterval(timer) };
}
