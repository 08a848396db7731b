// cel_eval.mjs: the reference side of the differential test. Evaluates
// every case of a cases.jsonl (gen.mjs) with @bufbuild/cel and prints one
// result per line in cel_diff.cc's format and canonical value encoding:
//   {"compile_error": msg}   parse() or plan() threw
//   {"error": msg}           evaluation returned a CelError
//   {"threw": msg}           evaluation threw (a crash, not a CEL error)
//   {"type": name, "value": V}
//
//   node cel_eval.mjs CASES_JSONL > theirs.jsonl
//
// @bufbuild/cel 0.6.1 has no type checker (its check() knows constants and
// identifiers only), so every expression runs unchecked: a type error shows
// up as a "no matching overload" error value.

import { readFileSync } from "node:fs";
import {
  CelScalar, celEnv, celUint, isCelError, isCelList, isCelMap, isCelType, isCelUint, parse, plan,
} from "@bufbuild/cel";

const DECL_TYPES = {
  int: CelScalar.INT, uint: CelScalar.UINT, double: CelScalar.DOUBLE,
  string: CelScalar.STRING, bytes: CelScalar.BYTES, bool: CelScalar.BOOL,
};

function bindValue(type, value) {
  switch (type) {
    case "int": return BigInt(value);
    case "uint": return celUint(BigInt(value));
    case "double":
      if (value === "NaN") return NaN;
      if (value === "Infinity") return Infinity;
      if (value === "-Infinity") return -Infinity;
      if (value === "-0") return -0;
      return value;
    case "bytes": return new Uint8Array(Buffer.from(value, "base64"));
    default: return value;
  }
}

// JavaScript's toExponential() without digits is the shortest round-trip
// form; cel_diff.cc prints the same text ("1.5e+0").
export function canonicalDouble(x) {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  if (Object.is(x, -0)) return "-0e+0";
  return x.toExponential();
}

function canonical(v) {
  if (v === null) return { null: null };
  switch (typeof v) {
    case "bigint": return { int: v.toString() };
    case "number": return { double: canonicalDouble(v) };
    case "string": return { string: v };
    case "boolean": return { bool: v };
    default: break;
  }
  if (isCelUint(v)) return { uint: v.value.toString() };
  if (v instanceof Uint8Array) return { bytes: Buffer.from(v).toString("base64") };
  if (isCelType(v)) return { type: v.name };
  if (isCelList(v)) return { list: [...v].map(canonical) };
  if (isCelMap(v)) {
    const entries = [...v.entries()].map(([k, x]) => [canonical(k), canonical(x)]);
    return { map: sortEntries(entries) };
  }
  return { unknown: String(v) };
}

// Map entries in the order of their keys' JSON text: both sides print (and
// compare.mjs re-sorts) the same way.
export function sortEntries(entries) {
  const keyed = entries.map((e) => [JSON.stringify(e[0]), e]);
  keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return keyed.map((k) => k[1]);
}

const TYPE_OF_TAG = {
  null: "null_type", int: "int", uint: "uint", double: "double", string: "string",
  bytes: "bytes", bool: "bool", type: "type", list: "list", map: "map",
};

function evaluate(c) {
  const variables = {};
  const bindings = {};
  for (const v of c.vars) {
    variables[v.name] = DECL_TYPES[v.type];
    bindings[v.name] = bindValue(v.type, v.value);
  }
  let run;
  try {
    run = plan(celEnv({ variables }), parse(c.expr));
  } catch (e) {
    return { compile_error: String(e.message ?? e) };
  }
  let r;
  try {
    r = run(bindings);
  } catch (e) {
    return { threw: String(e.message ?? e) };
  }
  if (isCelError(r)) return { error: r.message };
  const value = canonical(r);
  return { type: TYPE_OF_TAG[Object.keys(value)[0]] ?? "unknown", value };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const lines = readFileSync(process.argv[2], "utf8").split("\n").filter((l) => l.length > 0);
  const out = lines.map((l) => JSON.stringify(evaluate(JSON.parse(l))));
  process.stdout.write(out.join("\n") + "\n");
}
