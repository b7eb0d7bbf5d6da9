// Validates AsyncAPI documents with the AsyncAPI Initiative's own parser (@asyncapi/parser,
// pinned in package.json): the spec's JSON Schema and its Spectral rules. One line per finding
// and one verdict line per document; exits 1 if any document has an error.
//
//   node scripts/validate-asyncapi.mjs docs/asyncapi.yaml [more.yaml ...]
import { readFileSync } from "node:fs";
import { Parser, DiagnosticSeverity } from "@asyncapi/parser";

const paths = process.argv.slice(2).length ? process.argv.slice(2) : ["docs/asyncapi.yaml"];
const parser = new Parser();
const severity = ["error", "warning", "info", "hint"];
let failed = false;
for (const path of paths) {
  const { document, diagnostics } = await parser.parse(readFileSync(path, "utf8"), { source: path });
  for (const d of diagnostics) {
    console.log(`${path}: ${severity[d.severity]} ${d.code} at ${d.path.join(".")}: ${d.message}`);
  }
  const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
  if (!document || errors.length) {
    failed = true;
    console.log(`${path}: INVALID, ${errors.length} error(s)`);
  } else {
    const messages = document.allMessages().length;
    console.log(`${path}: valid AsyncAPI ${document.version()}, ${messages} messages`);
  }
}
process.exit(failed ? 1 : 0);
