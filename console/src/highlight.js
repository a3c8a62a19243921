// Highlights app text (both spellings) as HTML for the editor's overlay, and
// marks the places of diagnostics.

import { KEYWORDS } from "./language.js";

const TOKEN =
  /(--[^\n]*|\/\*[\s\S]*?(?:\*\/|$))|('(?:[^'\\\n]|\\.)*'?|"(?:[^"\\\n]|\\.)*"?)|(@[A-Za-z_][\w.:]*)|(\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[lLfFdD]?\b)|([A-Za-z_][A-Za-z0-9_]*)(\s*\()?|(`[^`\n]*`?)/g;

const escape = (s) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Splits `text` into `[start, end, class]` spans (class "" for plain text). */
export function spans(text) {
  const out = [];
  let at = 0;
  for (const m of text.matchAll(TOKEN)) {
    if (m.index > at) out.push([at, m.index, ""]);
    let cls = "";
    let end = m.index + m[0].length;
    if (m[1]) cls = "tok-comment";
    else if (m[2]) cls = "tok-string";
    else if (m[3]) cls = "tok-annotation";
    else if (m[4]) cls = "tok-number";
    else if (m[5]) {
      end = m.index + m[5].length;
      if (KEYWORDS.has(m[5].toLowerCase())) cls = "tok-keyword";
      else if (m[6]) cls = "tok-function";
      else cls = "tok-name";
    } else if (m[7]) cls = "tok-name";
    out.push([m.index, end, cls]);
    at = end;
  }
  if (at < text.length) out.push([at, text.length, ""]);
  return out;
}

/** The offset in `text` of 1-based `line` and `column` (clamped to the text). */
export function offsetOf(text, line, column) {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf("\n", offset);
    if (nl < 0) return text.length;
    offset = nl + 1;
  }
  const lineEnd = text.indexOf("\n", offset);
  const limit = lineEnd < 0 ? text.length : lineEnd;
  return Math.min(offset + Math.max(column - 1, 0), limit);
}

/** The extent of the marked problem at `offset`: its word, or one character. */
function markExtent(text, offset) {
  const word = /^[\w@.:'"`]+/.exec(text.slice(offset));
  return [offset, offset + Math.max(word ? word[0].length : 1, 1)];
}

/**
 * The highlighted HTML of `text`, with each diagnostic (`{line, column, message}`)
 * underlined where it points (class `mark-error` or `mark-warning`).
 */
export function highlight(text, diagnostics = []) {
  const marks = diagnostics
    .filter((d) => d.line)
    .map((d) => [...markExtent(text, offsetOf(text, d.line, d.column)), d.severity === "warning" ? "mark-warning" : "mark-error", d.message]);
  const cuts = new Set([0, text.length]);
  for (const [s, e] of spans(text)) cuts.add(s).add(e);
  for (const [s, e] of marks) cuts.add(s).add(e);
  const points = [...cuts].sort((a, b) => a - b);
  const classes = spans(text);
  let html = "";
  let k = 0;
  for (let i = 0; i + 1 < points.length; i++) {
    const [s, e] = [points[i], points[i + 1]];
    while (k < classes.length && classes[k][1] <= s) k++;
    const cls = [k < classes.length && classes[k][0] <= s ? classes[k][2] : ""];
    const mark = marks.find(([ms, me]) => ms <= s && e <= me);
    if (mark) cls.push(mark[2]);
    const c = cls.filter(Boolean).join(" ");
    const body = escape(text.slice(s, e));
    html += c ? `<span class="${c}"${mark ? ` title="${escape(mark[3])}"` : ""}>${body}</span>` : body;
  }
  // A trailing newline needs content after it to keep the overlay as tall as the textarea.
  return html + "\n";
}
