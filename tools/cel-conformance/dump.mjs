// dump.mjs OUT_DIR
// Writes the CEL conformance tests of @bufbuild/cel-spec (pinned in
// package.json) as JSON for the C++ runner (cel_conformance.cc):
//   OUT_DIR/conformance.json  the CEL spec's simple-test suite
//                             (suite -> file -> section -> tests)
//   OUT_DIR/parsing.json      cel-go's parser cases (a flat list of tests)
// The package ships the data as JS object literals; it holds no bigints or
// binary values, so JSON.stringify is lossless.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tests as conformance } from "@bufbuild/cel-spec/testdata/conformance.js";
import { tests as parsing } from "@bufbuild/cel-spec/testdata/parsing.js";

const outDir = process.argv[2];
if (!outDir) {
  process.stderr.write("usage: node dump.mjs OUT_DIR\n");
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, "conformance.json"), JSON.stringify(conformance));
writeFileSync(join(outDir, "parsing.json"), JSON.stringify(parsing));
