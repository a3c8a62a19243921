// Talks to the server's /v1 API. With `sluice serve --api-key`, the key is asked
// for once (on the first 401) and kept in session storage for the tab's life.

const KEY_SLOT = "sluice.apiKey";

/** The error of a failed request: the server's `{error: {code, message, …}}`. */
export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || "http";
    this.details = e;
  }
}

/** The API key of this tab, if one was given. */
export function apiKey() {
  return sessionStorage.getItem(KEY_SLOT);
}

// Set when the user dismissed the prompt: no more asking until `askAgain()`.
let declined = false;

/** Whether the user dismissed the key prompt (requests go without a key). */
export function keyDeclined() {
  return declined;
}

/** Drops the stored key and lets the next refused request ask again. */
export function forgetKey() {
  sessionStorage.removeItem(KEY_SLOT);
  declined = false;
}

function askKey() {
  const key = window.prompt("This server needs an API key (sluice serve --api-key):");
  if (key && key.trim()) sessionStorage.setItem(KEY_SLOT, key.trim());
  else declined = true;
  return !declined;
}

function headers(extra) {
  const h = { ...extra };
  const key = apiKey();
  if (key) h.authorization = `Bearer ${key}`;
  return h;
}

/**
 * Sends a request; on 401 retries with a key another request obtained meanwhile,
 * or asks the user for one (unless they declined). Resolves to the raw response.
 */
export async function send(method, path, { body, type, signal } = {}) {
  for (let attempt = 0; ; attempt++) {
    const used = apiKey();
    const init = { method, headers: headers(type ? { "content-type": type } : {}), signal };
    if (body !== undefined) init.body = body;
    const resp = await fetch(path, init);
    if (resp.status === 401 && attempt < 2 && (apiKey() !== used || (!declined && askKey()))) continue;
    return resp;
  }
}

/** Sends a request and decodes its JSON answer; throws `ApiError` on failure. */
export async function call(method, path, options) {
  const resp = await send(method, path, options);
  const text = await resp.text();
  const body = text ? JSON.parse(text) : null;
  if (!resp.ok) throw new ApiError(resp.status, body);
  return body;
}

const app = (name) => `/v1/apps/${encodeURIComponent(name)}`;

/** The API's routes, one function each. */
export const api = {
  list: () => call("GET", "/v1/apps"),
  describe: (name) => call("GET", app(name)),
  validate: (text, signal) => send("POST", "/v1/validate", { body: text, type: "text/plain", signal }),
  create: (text) => call("POST", "/v1/apps", { body: text, type: "text/plain" }),
  activate: (name) => call("POST", `${app(name)}/activate`),
  deactivate: (name) => call("POST", `${app(name)}/deactivate`),
  remove: (name) => call("DELETE", app(name)),
  push: (name, stream, body, type) =>
    call("POST", `${app(name)}/streams/${encodeURIComponent(stream)}`, { body, type }),
  query: (name, text) => call("POST", `${app(name)}/query`, { body: JSON.stringify({ query: text }), type: "application/json" }),
};

/**
 * Follows a stream over SSE (read with fetch so the API key can travel in a
 * header). Calls `onEvent(event)` per event and `onLagged(n)` when events were
 * lost; resolves when the subscription ends or `signal` aborts.
 */
export async function follow(name, stream, { onEvent, onLagged, signal }) {
  const resp = await send("GET", `${app(name)}/streams/${encodeURIComponent(stream)}/events`, { signal });
  if (!resp.ok) throw new ApiError(resp.status, await resp.json().catch(() => null));
  const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  let kind = "message";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      pending += value;
      let end;
      while ((end = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, end).replace(/\r$/, "");
        pending = pending.slice(end + 1);
        if (line.startsWith("event:")) kind = line.slice(6).trim();
        else if (line.startsWith("data:")) {
          const data = line.slice(5);
          if (kind === "lagged") onLagged?.(Number(data));
          else onEvent(JSON.parse(data));
          kind = "message";
        }
      }
    }
  } catch (e) {
    if (e.name !== "AbortError") throw e;
  }
}
