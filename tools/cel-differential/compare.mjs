// compare.mjs: classifies every case of the differential test by what our
// engine (cel_diff) and @bufbuild/cel (cel_eval.mjs) did, explains the
// mismatches it can with known_differences.txt, and prints the rest.
//
//   node compare.mjs CASES_JSONL OURS_JSONL THEIRS_JSONL KNOWN_DIFFERENCES
//
// Exit status 1 when a mismatch is not explained, 0 otherwise.
//
// @bufbuild/cel has no type checker, so an expression our checker rejects
// is judged by our unchecked run of it (cel_diff's "unchecked"): it must
// fail at run time where theirs does, or give the same value. Two checks
// need no reference at all: checking must not change a result, and a
// result's runtime type must fit its checked static type.

import { readFileSync } from "node:fs";
import { sortEntries } from "./cel_eval.mjs";

function readJsonl(path) {
  return readFileSync(path, "utf8").split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l));
}

// known_differences.txt: blocks separated by blank lines; "id:", "reason:"
// and at least one of "expr:", "ours:", "theirs:", each a JavaScript
// regular expression that must match that side's description (describe()).
function readKnown(path) {
  const entries = [];
  let cur = null;
  const finish = () => {
    if (cur === null) return;
    if (!cur.id || !cur.reason || cur.tests.length === 0) {
      throw new Error(`${path}: entry ${cur.id ?? "(no id)"} needs id, reason and a pattern`);
    }
    entries.push(cur);
    cur = null;
  };
  for (const raw of readFileSync(path, "utf8").split("\n")) {
    const line = raw.trimEnd();
    if (line.startsWith("#")) continue;
    if (line.trim() === "") {
      finish();
      continue;
    }
    const m = /^(id|reason|expr|ours|theirs|category):\s?(.*)$/.exec(line);
    if (m === null) {
      // A continuation of the reason.
      if (cur?.reason && /^\s/.test(raw)) {
        cur.reason += " " + line.trim();
        continue;
      }
      throw new Error(`${path}: cannot read line: ${raw}`);
    }
    cur ??= { tests: [], hits: 0 };
    if (m[1] === "id" || m[1] === "reason") cur[m[1]] = m[2];
    else cur.tests.push([m[1], new RegExp(m[2])]);
  }
  finish();
  return entries;
}

// Re-sorts map entries (cel_diff sorts by UTF-8 bytes, JavaScript by UTF-16
// units; they differ only above the BMP) so equal values print equal.
function normalize(v) {
  if (v === null || typeof v !== "object") return v;
  if ("list" in v) return { list: v.list.map(normalize) };
  if ("map" in v) return { map: sortEntries(v.map.map(([k, x]) => [normalize(k), normalize(x)])) };
  return v;
}

// Bytes values read as text in a description (\xNN for bytes that are not
// printable ASCII), so a pattern can see what a byte string says.
function readable(v) {
  if (v === null || typeof v !== "object") return v;
  if ("bytes" in v) {
    const text = [...Buffer.from(v.bytes, "base64")]
      .map((c) => (c >= 0x20 && c < 0x7f && c !== 0x5c ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, "0")}`))
      .join("");
    return { bytes: text };
  }
  if ("list" in v) return { list: v.list.map(readable) };
  if ("map" in v) return { map: v.map.map(([k, x]) => [readable(k), readable(x)]) };
  return v;
}

function describe(r) {
  if ("compile_error" in r) return `compile_error: ${r.compile_error}`;
  if ("error" in r) return `error: ${r.error}`;
  if ("threw" in r) return `threw: ${r.threw}`;
  return `${r.type} ${JSON.stringify(readable(normalize(r.value)))}`;
}

const isError = (r) => "error" in r || "threw" in r;
const isValue = (r) => "value" in r;
const sameValue = (a, b) => a.type === b.type && JSON.stringify(normalize(a.value)) === JSON.stringify(normalize(b.value));

// Whether a runtime type name fits a checked type ("list(int)" fits "list").
function fitsStatic(runtime, stat) {
  if (stat === "dyn" || stat.includes("_T") || stat.startsWith("T")) return true;
  if (stat === "null_type") return runtime === "null_type";
  const head = stat.replace(/\(.*$/, "");
  return runtime === head;
}

// The category of one case, and whether it is a mismatch.
function classify(ours, theirs) {
  if ("bad_case" in ours) return ["generator error (malformed case)", true];
  if ("compile_error" in ours) {
    const dyn = ours.unchecked;
    if ("compile_error" in dyn) {
      return "compile_error" in theirs
        ? ["ok: both reject the syntax", false]
        : ["mismatch: ours rejects the syntax, theirs parses", true];
    }
    if ("compile_error" in theirs) return ["mismatch: theirs rejects the syntax, ours parses", true];
    if (isError(dyn) && isError(theirs)) return ["ok: ill-typed (our checker rejects; both fail at run time)", false];
    if (isValue(dyn) && isValue(theirs) && sameValue(dyn, theirs)) {
      return ["ok: ill-typed (our checker rejects; unchecked, both give the same value)", false];
    }
    return ["mismatch: ill-typed, unchecked results differ", true];
  }
  const unchecked = ours.unchecked;
  const consistent = isError(ours) ? isError(unchecked) : isValue(unchecked) && sameValue(ours, unchecked);
  if (!consistent) return ["mismatch: ours, checked and unchecked runs differ", true];
  if (isValue(ours) && !fitsStatic(ours.type, ours.static_type)) {
    return ["mismatch: ours, runtime type does not fit the checked type", true];
  }
  if ("compile_error" in theirs) return ["mismatch: theirs rejects, ours compiles", true];
  if (isError(ours) && isError(theirs)) {
    return ["threw" in theirs ? "ok: both fail at run time (theirs threw)" : "ok: both fail at run time", false];
  }
  if (isValue(ours) && isValue(theirs) && sameValue(ours, theirs)) return ["ok: equal values", false];
  if (isError(ours)) return ["mismatch: ours fails, theirs gives a value", true];
  if (isError(theirs)) return ["mismatch: ours gives a value, theirs fails", true];
  return ["mismatch: different values", true];
}

function explain(known, category, c, ours, theirs) {
  // An expression our checker rejects is described by both runs, so a
  // pattern can name the checker's message or the unchecked outcome.
  const sides = {
    expr: c.expr,
    category,
    ours: "compile_error" in ours
      ? `checker: ${ours.compile_error}; unchecked: ${describe(ours.unchecked)}`
      : describe(ours),
    theirs: describe(theirs),
  };
  for (const k of known) {
    if (k.tests.every(([side, re]) => re.test(sides[side]))) {
      k.hits++;
      return [k, sides];
    }
  }
  return [null, sides];
}

function main() {
  const [casesPath, oursPath, theirsPath, knownPath] = process.argv.slice(2);
  const cases = readJsonl(casesPath);
  const ours = readJsonl(oursPath);
  const theirs = readJsonl(theirsPath);
  if (ours.length !== cases.length || theirs.length !== cases.length) {
    console.error(`compare: ${cases.length} cases but ${ours.length} ours and ${theirs.length} theirs results`);
    process.exit(2);
  }
  const known = readKnown(knownPath);
  const counts = new Map();
  const unexplained = [];
  let explainedCount = 0;
  for (let n = 0; n < cases.length; n++) {
    const [category, mismatch] = classify(ours[n], theirs[n]);
    let label = category;
    if (mismatch) {
      const [k, sides] = explain(known, category, cases[n], ours[n], theirs[n]);
      if (k !== null) {
        label = `known: ${k.id}`;
        explainedCount++;
      } else {
        unexplained.push({ n: n + 1, category, sides, vars: cases[n].vars });
      }
    }
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  for (const u of unexplained) {
    const vars = u.vars.map((v) => `${v.name}=${JSON.stringify(v.value)}`).join(" ");
    console.log(`UNEXPLAINED (case ${u.n}, ${u.category})\n  expr:   ${u.sides.expr}\n  vars:   ${vars}` +
      `\n  ours:   ${u.sides.ours}\n  theirs: ${u.sides.theirs}`);
  }
  const labels = [...counts.keys()].sort();
  for (const l of labels) console.log(`compare: ${String(counts.get(l)).padStart(6)}  ${l}`);
  for (const k of known) {
    if (k.hits === 0) console.log(`compare: note: known difference ${k.id} did not occur in this run`);
  }
  console.log(`compare: ${cases.length} cases, ${explainedCount} known differences, ` +
    `${unexplained.length} unexplained mismatches`);
  process.exit(unexplained.length > 0 ? 1 : 0);
}

main();
