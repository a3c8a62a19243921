// The app editor: a textarea under a highlighted overlay, line numbers, the
// server's diagnostics (POST /v1/validate) as the user types, and completion of
// defined names, functions and windows.

import { api } from "./api.js";
import { h, fill } from "./dom.js";
import { highlight } from "./highlight.js";
import { completions } from "./language.js";

const VALIDATE_DELAY_MS = 300;

/** Creates an editor; `onChecked({valid, name, diagnostics})` follows each validation. */
export function createEditor({ onChecked }) {
  const gutter = h("div", { class: "gutter", "aria-hidden": "true" });
  const overlay = h("pre", { class: "overlay", "aria-hidden": "true" });
  const input = h("textarea", {
    class: "source",
    spellcheck: false,
    autocapitalize: "off",
    autocomplete: "off",
    "aria-label": "App text",
  });
  const popup = h("ul", { class: "completions", role: "listbox", hidden: true });
  const problems = h("ul", { class: "diagnostics", "aria-label": "Problems" });
  const element = h("div", { class: "editor-wrap" }, h("div", { class: "editor" }, gutter, overlay, input, popup), problems);

  let diagnostics = [];
  let timer = null;
  let inflight = null;
  let choice = 0;
  let options = [];

  function paint() {
    overlay.innerHTML = highlight(input.value, diagnostics);
    const lines = input.value.split("\n").length;
    const bad = new Set(diagnostics.map((d) => d.line));
    fill(gutter, Array.from({ length: lines }, (_, i) => h("div", { class: bad.has(i + 1) ? "bad" : "" }, String(i + 1))));
    overlay.scrollTop = input.scrollTop;
    overlay.scrollLeft = input.scrollLeft;
    gutter.scrollTop = input.scrollTop;
  }

  function list(valid) {
    fill(
      problems,
      diagnostics.map((d) =>
        h(
          "li",
          { class: d.severity, onclick: () => d.line && goTo(d.line, d.column) },
          h("span", { class: "where" }, d.line ? `${d.line}:${d.column}` : "app"),
          ` ${d.severity}: ${d.message}`,
        ),
      ),
      valid && !diagnostics.length ? h("li", { class: "ok" }, "No problems") : null,
    );
  }

  function goTo(line, column) {
    const lines = input.value.split("\n");
    let offset = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
    input.focus();
    input.setSelectionRange(offset + column - 1, offset + column - 1);
  }

  async function validate() {
    inflight?.abort();
    const controller = new AbortController();
    inflight = controller;
    const text = input.value;
    try {
      const resp = await api.validate(text, controller.signal);
      const body = await resp.json().catch(() => null);
      if (controller !== inflight) return;
      const warnings = ((resp.ok ? body.warnings : body?.error?.warnings) || []).map((w) => ({ ...w, severity: "warning" }));
      const errors = resp.ok
        ? []
        : (body?.error?.errors || [{ message: body?.error?.message || `HTTP ${resp.status}` }]).map((e) => ({ ...e, severity: "error" }));
      diagnostics = [...errors, ...warnings];
      paint();
      list(resp.ok);
      onChecked?.({ valid: resp.ok, name: resp.ok ? body.name : null, diagnostics });
    } catch (e) {
      if (e.name !== "AbortError") fill(problems, h("li", { class: "error" }, `validation failed: ${e.message}`));
    }
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(validate, VALIDATE_DELAY_MS);
  }

  function wordBeforeCaret() {
    const upto = input.value.slice(0, input.selectionStart);
    const m = /[A-Za-z_][A-Za-z0-9_]*$/.exec(upto);
    return m ? m[0] : "";
  }

  function showCompletions(force) {
    const word = wordBeforeCaret();
    options = word.length >= (force ? 1 : 2) ? completions(input.value, word) : [];
    choice = 0;
    if (!options.length) {
      popup.hidden = true;
      return;
    }
    const upto = input.value.slice(0, input.selectionStart);
    const line = upto.split("\n").length - 1;
    const column = upto.length - upto.lastIndexOf("\n") - 1;
    const style = getComputedStyle(input);
    const lineHeight = parseFloat(style.lineHeight) || 18;
    const charWidth = measureChar(style.font);
    popup.style.top = `${(line + 1) * lineHeight + parseFloat(style.paddingTop) - input.scrollTop}px`;
    popup.style.left = `${40 + column * charWidth + parseFloat(style.paddingLeft) - input.scrollLeft}px`;
    renderPopup();
    popup.hidden = false;
  }

  function renderPopup() {
    fill(
      popup,
      options.map((o, i) =>
        h(
          "li",
          { role: "option", class: i === choice ? "chosen" : "", onmousedown: (e) => (e.preventDefault(), accept(i)) },
          o.label,
          h("small", {}, o.kind),
        ),
      ),
    );
  }

  function accept(i) {
    const word = wordBeforeCaret();
    const at = input.selectionStart;
    input.setRangeText(options[i].label, at - word.length, at, "end");
    popup.hidden = true;
    paint();
    schedule();
  }

  input.addEventListener("input", () => {
    paint();
    schedule();
    showCompletions(false);
  });
  input.addEventListener("scroll", paint);
  input.addEventListener("blur", () => (popup.hidden = true));
  input.addEventListener("keydown", (e) => {
    if (!popup.hidden) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        choice = (choice + (e.key === "ArrowDown" ? 1 : options.length - 1)) % options.length;
        renderPopup();
        e.preventDefault();
        return;
      }
      if (e.key === "Enter" || e.key === "Tab") {
        accept(choice);
        e.preventDefault();
        return;
      }
      if (e.key === "Escape") {
        popup.hidden = true;
        e.preventDefault();
        return;
      }
    }
    if (e.key === " " && e.ctrlKey) {
      showCompletions(true);
      e.preventDefault();
    } else if (e.key === "Tab" && !e.shiftKey) {
      input.setRangeText("  ", input.selectionStart, input.selectionEnd, "end");
      paint();
      e.preventDefault();
    }
  });

  return {
    element,
    text: () => input.value,
    setText(text) {
      input.value = text;
      paint();
      validate();
    },
    validate,
  };
}

let measured = null;
function measureChar(font) {
  if (!measured || measured.font !== font) {
    const ctx = document.createElement("canvas").getContext("2d");
    ctx.font = font;
    measured = { font, width: ctx.measureText("M".repeat(10)).width / 10 };
  }
  return measured.width;
}
