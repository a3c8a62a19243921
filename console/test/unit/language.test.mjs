// Unit tests of the console's pure parts: highlighting, places of diagnostics,
// defined names and completion, and the simulator's random values.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spans, offsetOf, highlight } from "../../src/highlight.js";
import { definedNames, completions } from "../../src/language.js";
import { randomValue } from "../../src/simulator.js";

const CLASSIC = `@app:name('a')
define stream Readings (name string, v double); -- readings
from Readings#window.length(5) select name, avg(v) as m insert into Out;`;
const SQL = `CREATE STREAM In (name string, v double);
INSERT INTO Out SELECT name FROM In WINDOW SLIDING_LENGTH(5);`;

const classes = (text) => spans(text).map(([s, e, c]) => [text.slice(s, e), c]).filter(([, c]) => c);

test("both spellings' keywords, strings, numbers, comments, annotations and calls are classed", () => {
  const classic = classes(CLASSIC);
  for (const [word, cls] of [
    ["@app:name", "tok-annotation"],
    ["'a'", "tok-string"],
    ["define", "tok-keyword"],
    ["double", "tok-keyword"],
    ["-- readings", "tok-comment"],
    ["5", "tok-number"],
    ["avg", "tok-function"],
    ["insert", "tok-keyword"],
    ["Readings", "tok-name"],
  ]) {
    assert.ok(classic.some(([w, c]) => w === word && c === cls), `${word} as ${cls} in ${JSON.stringify(classic)}`);
  }
  const sql = classes(SQL);
  for (const word of ["CREATE", "STREAM", "INSERT", "INTO", "SELECT", "FROM", "WINDOW"]) {
    assert.ok(sql.some(([w, c]) => w === word && c === "tok-keyword"), word);
  }
  assert.ok(sql.some(([w, c]) => w === "SLIDING_LENGTH" && c === "tok-function"));
});

test("spans cover the text exactly, in order", () => {
  for (const text of [CLASSIC, SQL, "'unterminated", "/* open comment", ""]) {
    let at = 0;
    for (const [s, e] of spans(text)) {
      assert.equal(s, at);
      assert.ok(e > s);
      at = e;
    }
    assert.equal(at, text.length);
  }
});

test("line and column are 1-based and clamped to the line", () => {
  const text = "ab\ncdef\n";
  assert.equal(offsetOf(text, 1, 1), 0);
  assert.equal(offsetOf(text, 2, 3), 5);
  assert.equal(offsetOf(text, 2, 99), 7);
  assert.equal(offsetOf(text, 9, 1), text.length);
});

test("a diagnostic underlines the word it points at, and text is escaped", () => {
  const html = highlight("select a < b, valeu", [{ line: 1, column: 15, message: "no 'valeu'", severity: "error" }]);
  assert.match(html, /<span class="tok-name mark-error" title="no 'valeu'">valeu<\/span>/);
  assert.match(html, / &lt; /);
  assert.doesNotMatch(highlight("x", [{ message: "no place" }]), /mark-/);
});

test("defined names in both spellings, and streams only inserted into", () => {
  assert.deepEqual(definedNames(CLASSIC), [
    { name: "Readings", kind: "stream" },
    { name: "Out", kind: "stream" },
  ]);
  assert.deepEqual(definedNames("CREATE TABLE T (a int);\ndefine window W (a int) length(2);"), [
    { name: "T", kind: "table" },
    { name: "W", kind: "window" },
  ]);
});

test("completion offers defined names first, then functions and windows, case-insensitively", () => {
  const text = "define stream Sensors (v double);\ndefine table Stock (v double);";
  assert.deepEqual(
    completions(text, "s").map((c) => c.label).slice(0, 4),
    ["Sensors", "Stock", "sum", "stdDev"],
  );
  assert.ok(completions(text, "sliding").some((c) => c.label === "SLIDING_TIME" && c.kind === "window"));
  assert.deepEqual(completions(text, ""), []);
  assert.ok(!completions(text, "Stock").some((c) => c.label === "Stock"), "the word itself is not offered");
});

test("simulated values stay within their ranges and choices", () => {
  for (let i = 0; i < 500; i++) {
    const n = randomValue("int", { min: 3, max: 5 });
    assert.ok(Number.isInteger(n) && n >= 3 && n <= 5, String(n));
    const d = randomValue("double", { min: 1.5, max: 2.5 });
    assert.ok(d >= 1.5 && d <= 2.5, String(d));
    assert.ok(["x", "y"].includes(randomValue("string", { choices: "x, y" })));
    assert.equal(typeof randomValue("bool", {}), "boolean");
  }
  assert.equal(randomValue("string", { choices: " , " }), null);
});
