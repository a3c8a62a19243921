// Builds the console into dist/ (committed; the server embeds it). With --check,
// builds in memory and fails when dist/ differs, so CI catches a stale bundle.
import { build } from "esbuild";
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";

const check = process.argv.includes("--check");
const here = new URL(".", import.meta.url).pathname;

const result = await build({
  entryPoints: [here + "src/main.js", here + "src/style.css"],
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2020",
  legalComments: "none",
  outdir: here + "dist",
  entryNames: "console",
  write: false,
  logLevel: "warning",
});

const outputs = result.outputFiles.map((f) => ({ path: f.path, text: f.text }));
outputs.push({ path: here + "dist/index.html", text: readFileSync(here + "src/index.html", "utf8") });

let stale = [];
for (const { path, text } of outputs) {
  if (check) {
    if (!existsSync(path) || readFileSync(path, "utf8") !== text) stale.push(path);
  } else {
    mkdirSync(here + "dist", { recursive: true });
    writeFileSync(path, text);
  }
}
if (stale.length) {
  console.error("console/dist is stale, run `npm run build` in console/:\n  " + stale.join("\n  "));
  process.exit(1);
}
const total = outputs.reduce((n, o) => n + Buffer.byteLength(o.text), 0);
console.log(`${check ? "checked" : "built"} ${outputs.length} files, ${total} bytes`);
