// Words of the stream-worker language in both spellings: keywords for the
// highlighter, built-in functions and windows for completion, and the names an
// app defines (streams, tables, windows, triggers, functions).

/** Keywords of both spellings (matched case-insensitively). */
export const KEYWORDS = new Set(
  `define create stream table window trigger function aggregation from select insert into delete update
   or and not on as join left right full outer inner unidirectional every within having group by order asc
   desc limit offset output first last all events event snapshot partition with begin end of is null in for
   at return current expired raw set true false where index global per interval unique sink source values
   range string int long float double bool object millisecond milliseconds ms sec secs second seconds
   min mins minute minutes hour hours day days week weeks month months year years`
    .split(/\s+/)
    .filter(Boolean),
);

/** Built-in functions as users write them (aggregates and scalar core functions). */
export const FUNCTIONS = [
  "sum", "avg", "stdDev", "count", "distinctCount", "min", "max", "minForever", "maxForever", "and", "or",
  "unionSet", "ifThenElse", "cast", "convert", "coalesce", "default", "instanceOfBoolean", "instanceOfDouble",
  "instanceOfFloat", "instanceOfInteger", "instanceOfLong", "instanceOfString", "maximum", "minimum", "UUID",
  "eventTimestamp", "currentTimeMillis", "createSet", "sizeOfSet",
];

/** Window names of both spellings. */
export const WINDOWS = [
  "length", "lengthBatch", "time", "timeBatch", "timeLength", "externalTime", "externalTimeBatch", "expression",
  "expressionBatch", "batch", "session", "sort", "cron", "delay", "frequent", "lossyFrequent", "SLIDING_LENGTH",
  "TUMBLING_LENGTH", "SLIDING_TIME", "TUMBLING_TIME", "SLIDING_TIME_LENGTH", "SLIDING_EXTERNAL_TIME",
  "TUMBLING_EXTERNAL_TIME", "SLIDING_EXPRESSION", "TUMBLING_EXPRESSION",
];

const DEFINITION =
  /\b(?:define|create)\s+(stream|table|window|trigger|function|aggregation)\s+([A-Za-z_][A-Za-z0-9_]*)/gi;

/**
 * The names `text` defines, `{name, kind}` in order of appearance, plus the
 * streams that queries insert into without defining them (kind `stream`).
 */
export function definedNames(text) {
  const seen = new Map();
  for (const m of text.matchAll(DEFINITION)) {
    if (!seen.has(m[2])) seen.set(m[2], m[1].toLowerCase());
  }
  for (const m of text.matchAll(/\binsert\s+into\s+([A-Za-z_][A-Za-z0-9_]*)/gi)) {
    if (!seen.has(m[1])) seen.set(m[1], "stream");
  }
  return [...seen].map(([name, kind]) => ({ name, kind }));
}

/** Completion candidates for the word `prefix`: defined names first, then functions and windows. */
export function completions(text, prefix) {
  if (!prefix) return [];
  const lower = prefix.toLowerCase();
  const out = [];
  const add = (label, kind) => {
    if (label.toLowerCase().startsWith(lower) && label !== prefix && !out.some((o) => o.label === label)) {
      out.push({ label, kind });
    }
  };
  for (const d of definedNames(text)) add(d.name, d.kind);
  for (const f of FUNCTIONS) add(f, "function");
  for (const w of WINDOWS) add(w, "window");
  return out.slice(0, 12);
}
