// Browser test of the console: a real `sluice serve` on 127.0.0.1 (with an API
// key), Debian's chromium driven by playwright-core. Types an app with an error
// and sees it at its line, fixes it, deploys, sends events with the form and the
// simulator, sees outputs in the live table, runs a query and sees its rows, sends
// a CSV batch, deactivates, activates and deletes the app, and asks for a
// forgotten API key once.
// Screenshots of each step go to $CONSOLE_TEST_OUT (default target/console-test).
//
//   SLUICE=target/debug/sluice node console/test/console.test.mjs

import { chromium } from "playwright-core";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(new URL("../..", import.meta.url).pathname);
const sluice = process.env.SLUICE || join(root, "target/debug/sluice");
const out = process.env.CONSOLE_TEST_OUT || join(root, "target/console-test");
const browserPath = process.env.CHROMIUM || "/usr/bin/chromium";
const API_KEY = "console-test-key";
const STEP_MS = 15000;

const BROKEN = `@app:name('console-demo')

define stream InStream (name string, value double);

@primaryKey('name')
define table Latest (name string, value double);

from InStream[value > 10.0]
select name, valeu * 2.0 as doubled
insert into OutStream;

from InStream
select name, value
update or insert into Latest
  on Latest.name == name;
`;
const FIXED = BROKEN.replace("valeu", "value");

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

async function waitForHealth(base, server) {
  for (let i = 0; i < 100; i++) {
    if (server.exitCode !== null) throw new Error(`sluice serve exited with ${server.exitCode}`);
    try {
      if ((await fetch(`${base}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("sluice serve did not answer /health");
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

let step = 0;
async function shot(page, name) {
  step++;
  const file = join(out, `${String(step).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`ok ${step} ${name} (${file})`);
}

async function main() {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), "sluice-console-data-"));
  const profile = mkdtempSync(join(tmpdir(), "sluice-console-profile-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(
    sluice,
    ["serve", "--listen", `127.0.0.1:${port}`, "--data-dir", dataDir, "--workers", "1", "--api-key", API_KEY],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  let context = null;
  try {
    await waitForHealth(base, server);
    context = await chromium.launchPersistentContext(profile, {
      executablePath: browserPath,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    const page = context.pages()[0] || (await context.newPage());
    page.setDefaultTimeout(STEP_MS);
    const outside = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(base)) outside.push(r.url());
    });
    let asked = 0;
    let dismissPrompts = false;
    page.on("dialog", (d) => {
      if (d.type() !== "prompt") return d.accept();
      asked++;
      return dismissPrompts ? d.dismiss() : d.accept(API_KEY);
    });
    const pageErrors = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));

    // 1. The console opens, asks for the key once, and shows the empty app list.
    await page.goto(base + "/");
    await page.getByText("No apps yet.").waitFor();
    check(asked === 1, `expected one API-key prompt, saw ${asked}`);
    await shot(page, "open");

    // 2. An app with an error: the error is listed and marked at line 9, column 14.
    const source = page.getByLabel("App text");
    await source.fill(BROKEN);
    const problem = page.locator(".diagnostics li.error").first();
    await problem.waitFor();
    const problemText = await problem.textContent();
    check(problemText.startsWith("9:14 error:") && problemText.includes("valeu"), `wrong problem: ${problemText}`);
    check((await page.locator(".gutter .bad").textContent()) === "9", "line 9 is not marked in the gutter");
    check((await page.locator(".overlay .mark-error").textContent()) === "valeu", "the error is not underlined at 'valeu'");
    await shot(page, "error-at-line");

    // 3. Completion offers the streams the app defines.
    await source.press("Control+End");
    await source.pressSequentially("\nfrom InS");
    const offered = page.locator(".completions li", { hasText: "InStream" });
    await offered.waitFor();
    const onTop = await offered.evaluate((li) => {
      const r = li.getBoundingClientRect();
      return li.contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2));
    });
    check(onTop, "the completion list is not visible on top of the page");
    await shot(page, "completion");
    await source.press("Escape");

    // 4. Fixed: no problems left.
    await source.fill(FIXED);
    await page.locator(".diagnostics li.ok", { hasText: "No problems" }).waitFor();
    await shot(page, "fixed");

    // 5. Deploy: the app is listed as active and its panels appear.
    await page.getByRole("button", { name: "Deploy", exact: true }).click();
    await page.locator("#apps li", { hasText: "console-demo" }).locator(".state.active").waitFor();
    await page.getByRole("region", { name: "Events" }).waitFor();
    check((await page.getByLabel("Followed stream").inputValue()) === "OutStream", "Live does not follow OutStream");
    await shot(page, "deployed");

    // 6. One event with the form: its output arrives in the live table.
    const live = page.getByLabel("Live events");
    const form = page.locator("form.event-form");
    await form.locator('input[name="name"]').fill("sensor-1");
    await form.locator('input[name="value"]').fill("42.5");
    await page.getByRole("button", { name: "Send event" }).click();
    await live.locator("tr", { hasText: "sensor-1" }).locator("td", { hasText: /^85$/ }).waitFor();
    await shot(page, "form-event");

    // 7. The simulator sends generated events (values 20..30 pass the filter).
    await page.getByLabel("name choices").fill("sim-a,sim-b");
    await page.getByLabel("value min").fill("20");
    await page.getByLabel("value max").fill("30");
    await page.getByLabel("Events per second").fill("20");
    await page.getByRole("button", { name: "Start simulator" }).click();
    await page.waitForFunction(
      () => document.querySelectorAll('[aria-label="Live events"] tbody tr').length >= 10,
      null,
      { timeout: STEP_MS },
    );
    await page.getByRole("button", { name: "Stop simulator" }).click();
    const simulated = await live.locator("tbody tr", { hasText: /sim-[ab]/ }).count();
    check(simulated >= 9, `expected simulated outputs in the live table, saw ${simulated}`);
    await page.locator(".chart .series").waitFor();
    await shot(page, "simulator");

    // 8. A query over the table: its rows and as_of.
    check((await page.getByLabel("Query").inputValue()) === "from Latest select *", "the query box does not start on the table");
    await page.getByLabel("Query").fill("from Latest on value > 40.0 select name, value");
    await page.getByRole("button", { name: "Run query" }).click();
    const result = page.getByLabel("Query result");
    await result.locator("tr", { hasText: "sensor-1" }).waitFor();
    const rows = await result.locator("tbody tr").count();
    check(rows === 1, `expected 1 row (only sensor-1 is above 40), saw ${rows}`);
    check(/as of ts \d+/.test(await page.locator(".as-of").first().textContent()), "no as_of shown");
    await shot(page, "query");

    // 9. A CSV batch from the batch box.
    await page.getByLabel("Batch format").selectOption("text/csv");
    await page.getByLabel("Batch", { exact: true }).fill("name,value\nbatch-1,50\nbatch-2,5\n");
    await page.getByRole("button", { name: "Send batch" }).click();
    await page.locator(".batch-box .result.ok", { hasText: "sent (2 accepted)" }).waitFor();
    await live.locator("tr", { hasText: "batch-1" }).waitFor();
    check((await live.locator("tr", { hasText: "batch-2" }).count()) === 0, "batch-2 (5.0) passed the filter");
    await shot(page, "batch");

    // 10. Deactivate, activate and delete from the console.
    const entry = page.locator("#apps li", { hasText: "console-demo" });
    await page.getByRole("button", { name: "Deactivate" }).click();
    await entry.locator(".state.inactive").waitFor();
    await page.getByRole("button", { name: "Activate" }).click();
    await entry.locator(".state.active").waitFor();
    await page.getByRole("region", { name: "Live" }).waitFor();
    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByText("No apps yet.").waitFor();
    await shot(page, "deleted");

    // 11. A forgotten key is asked for once; dismissed, the console stops asking
    // (the list keeps polling) until "Enter API key".
    dismissPrompts = true;
    await page.getByRole("button", { name: "Forget API key" }).click();
    await page.locator("#status", { hasText: "cannot list apps" }).waitFor();
    await page.waitForTimeout(4500);
    check(asked === 2, `expected one more prompt after forgetting the key, saw ${asked - 1}`);
    dismissPrompts = false;
    await page.getByRole("button", { name: "Enter API key" }).click();
    await page.getByRole("button", { name: "Forget API key" }).waitFor();
    check(asked === 3, `expected a prompt after "Enter API key", saw ${asked - 2}`);
    await shot(page, "key-again");

    check(outside.length === 0, `requests left the server: ${outside.join(", ")}`);
    check(pageErrors.length === 0, `page errors: ${pageErrors.join("; ")}`);
    console.log(`console test passed: ${step} steps, screenshots in ${out}`);
  } finally {
    await context?.close().catch(() => {});
    server.kill("SIGTERM");
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`console test failed at step ${step + 1}: ${e.stack || e}`);
  process.exit(1);
});
