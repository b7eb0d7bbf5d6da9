// Validates an AsyncAPI document with the AsyncAPI Initiative's own parser (@asyncapi/parser,
// pinned in package.json): the spec's JSON Schema, its Spectral rules and every message example
// against its payload. Prints one line per finding; exits 1 if any is an error.
//
//   node scripts/validate-asyncapi.mjs docs/asyncapi.yaml
import { readFileSync } from "node:fs";
import { Parser, DiagnosticSeverity } from "@asyncapi/parser";

const path = process.argv[2] ?? "docs/asyncapi.yaml";
const parser = new Parser();
const { document, diagnostics } = await parser.parse(readFileSync(path, "utf8"), { source: path });
const severity = ["error", "warning", "info", "hint"];
for (const d of diagnostics) {
  console.log(`${severity[d.severity]} ${d.code} at ${d.path.join(".")}: ${d.message}`);
}
const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
if (!document || errors.length) {
  console.log(`${path}: ${errors.length} error(s)`);
  process.exit(1);
}
console.log(`${path}: valid AsyncAPI ${document.version()}, ${document.allMessages().length} messages`);
