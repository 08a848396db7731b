// gen.mjs: the deterministic generator of random CEL cases for the
// differential test (run.sh).
//
//   node gen.mjs SEED COUNT > cases.jsonl
//
// Each line is {"expr": "...", "vars": [{"name", "type", "value"}]} in the
// format cel_diff.cc reads. Expressions are built top-down for a wanted
// static type, so most are well typed; a few nodes deliberately get the
// wrong type (ill-typed cases, which our checker must reject and which must
// then also fail at run time), and a few texts are mangled (syntax errors).
// The same SEED and COUNT always give the same file.

// xorshift32 with a multiplicative seed scramble: tiny, fast and stable
// across Node versions (Math.random is neither seedable nor stable).
function makeRng(seed) {
  let s = (Math.imul(seed >>> 0, 0x9e3779b1) ^ 0x5bd1e995) >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  return {
    int: (n) => next() % n,
    chance: (p) => next() / 4294967296 < p,
    pick: (arr) => arr[next() % arr.length],
  };
}

// Types: scalar names, or {list: T}, or {map: [K, V]}.
const SCALARS = ["int", "uint", "double", "string", "bytes", "bool"];
const KEY_TYPES = ["int", "uint", "string", "bool"];
const isList = (t) => typeof t === "object" && "list" in t;
const isMap = (t) => typeof t === "object" && "map" in t;

// Edge values first: the generator picks them often on purpose.
const INT_LITS = ["0", "1", "-1", "2", "3", "7", "42", "-42", "0x2a", "-0x10", "1000000007",
  "9223372036854775807", "-9223372036854775808", "4611686018427387904", "-4611686018427387905"];
const UINT_LITS = ["0u", "1u", "2u", "3u", "7u", "42u", "0x2au", "9223372036854775807u",
  "9223372036854775808u", "18446744073709551615u", "4294967296u"];
const DOUBLE_LITS = ["0.0", "-0.0", "1.0", "-1.0", "1.5", "0.1", "2.5e-3", "1e308", "-1e308",
  "1e-320", "3.0", "100.0", "9223372036854775807.0", "9223372036854775808.0",
  "18446744073709551616.0", "-9223372036854775809.0", "4.5", "(0.0/0.0)", "(1.0/0.0)", "(-1.0/0.0)"];
const STRING_LITS = ['""', '"a"', '"abc"', '"héllo"', '"a/b"', '"42"', '"-7"', '"1.5"', '"true"',
  '"False"', '"t"', "'x y'", '"日本"', '"\\n"', '"9223372036854775808"', '"NaN"', '"1e3"',
  '"18446744073709551615"', '"0x10"', "r\"\\d+\"", '"\\u00e9"', '"😀"'];
const BYTES_LITS = ['b""', 'b"a"', 'b"abc"', 'b"\\xff"', 'b"\\x00\\x01"', "b'h\\xc3\\xa9'",
  'b"\\xc3\\x28"', 'b"42"'];
const PATTERNS = ['"^a"', '"b$"', '"[0-9]+"', '"h.llo"', '""', '"a|b"', '"(ab)*c"', '"^$"',
  '"\\\\d"', '"[a-z]+"', '"é"', '"^.{3}$"'];
const FIELD_KEYS = ["a", "b", "c"];

// Variable values, edge values included; JSON as cel_diff.cc reads it.
const VAR_VALUES = {
  int: ["0", "1", "-1", "5", "42", "-100", "9223372036854775807", "-9223372036854775808", "3"],
  uint: ["0", "1", "5", "42", "9223372036854775808", "18446744073709551615", "3"],
  double: [0, "-0", 1, -1, 1.5, 0.1, 1e308, -2.5, "NaN", "Infinity", "-Infinity", 3,
    9223372036854775808, 5e-324],
  string: ["", "a", "abc", "héllo", "42", "true", "a/b", "日本語", "x\ny"],
  bytes: ["", "YQ==", "YWJj", "/w==", "AAE=", "aMOp"],  // "", a, abc, \xff, \x00\x01, hé
  bool: [true, false],
};
// Two variables of each type: names say the type, so expressions stay
// readable in a mismatch report.
const VARS = [["i", "int"], ["j", "int"], ["u", "uint"], ["v", "uint"], ["d", "double"],
  ["e", "double"], ["s", "string"], ["r", "string"], ["b", "bytes"], ["t", "bool"]];

class Gen {
  constructor(rng) {
    this.rng = rng;
    this.scope = [];  // macro variables: [name, type]
    this.macroDepth = 0;
  }

  // A scalar or a small composite type for a sub-expression.
  anyType(depth) {
    const r = this.rng.int(10);
    if (r < 7 || depth <= 1) return this.rng.pick(SCALARS);
    if (r < 9) return { list: this.rng.pick(SCALARS) };
    return { map: [this.rng.pick(KEY_TYPES), this.rng.pick(SCALARS)] };
  }

  // An expression of type `t`; occasionally (ill-typed cases) of another.
  // `top`: never a bare leaf, which would test little.
  expr(t, depth, top = false) {
    if (depth > 0 && this.rng.chance(0.015)) t = this.anyType(depth);
    if (isList(t)) return this.list(t.list, depth);
    if (isMap(t)) return this.map(t.map[0], t.map[1], depth);
    if (t === "dyn") return this.dyn(depth);
    if (depth <= 0 || (!top && this.rng.chance(0.25))) return this.leaf(t);
    const common = this.common(t, depth);
    if (common !== null) return common;
    return this[t](depth - 1);
  }

  leaf(t) {
    const vars = this.scope.filter(([, vt]) => vt === t).map(([n]) => n)
      .concat(VARS.filter(([, vt]) => vt === t).map(([n]) => n));
    if (vars.length > 0 && this.rng.chance(0.45)) return this.rng.pick(vars);
    switch (t) {
      case "int": return this.rng.pick(INT_LITS);
      case "uint": return this.rng.pick(UINT_LITS);
      case "double": return this.rng.pick(DOUBLE_LITS);
      case "string": return this.rng.pick(STRING_LITS);
      case "bytes": return this.rng.pick(BYTES_LITS);
      case "bool": return this.rng.pick(["true", "false"]);
      default: return "null";
    }
  }

  // Forms that make any type: the conditional, indexing a list or a map
  // literal, and dyn() around an expression of the same type.
  common(t, depth) {
    const d = depth - 1;
    switch (this.rng.int(14)) {
      case 0: return `(${this.expr("bool", d)} ? ${this.expr(t, d)} : ${this.expr(t, d)})`;
      case 1: return `${this.list(t, d, 1)}[${this.index(d)}]`;
      case 2: {
        const k = this.rng.pick(KEY_TYPES);
        return `${this.map(k, t, d)}[${this.expr(k, d)}]`;
      }
      case 3: return `dyn(${this.expr(t, d)})`;
      default: return null;
    }
  }

  index(d) {
    // Mostly in range: an out-of-range index hides the rest of the case.
    const r = this.rng.int(14);
    if (r < 8) return "0";
    if (r < 10) return this.rng.pick(["1", "2", "-1", "i", "j"]);
    if (r < 7) return this.rng.pick(["0u", "1u", "u"]);
    if (r < 8) return this.rng.pick(["0.0", "1.0", "1.5"]);
    return this.expr("int", d);
  }

  int(d) {
    const a = () => this.expr("int", d);
    switch (this.rng.int(12)) {
      case 0: return `(${a()} + ${a()})`;
      case 1: return `(${a()} - ${a()})`;
      case 2: return `(${a()} * ${a()})`;
      case 3: return `(${a()} / ${a()})`;
      case 4: return `(${a()} % ${a()})`;
      case 5: return `-${a()}`;
      case 6: return `int(${this.expr(this.rng.pick(["uint", "double", "string", "int"]), d)})`;
      case 7: return `size(${this.expr(this.rng.pick(["string", "bytes"]), d)})`;
      case 8: return `${this.expr(this.rng.pick(["string", "bytes"]), d)}.size()`;
      case 9: return `size(${this.list(this.rng.pick(SCALARS), d)})`;
      case 10: return `size(${this.map(this.rng.pick(KEY_TYPES), "int", d)})`;
      default: {
        const x = this.macroVar();
        const range = this.list("int", d);
        return `${range}.filter(${x}, ${this.withVar(x, "int", () => `${x} > ${a()}`)}).size()`;
      }
    }
  }

  uint(d) {
    const a = () => this.expr("uint", d);
    switch (this.rng.int(7)) {
      case 0: return `(${a()} + ${a()})`;
      case 1: return `(${a()} - ${a()})`;
      case 2: return `(${a()} * ${a()})`;
      case 3: return `(${a()} / ${a()})`;
      case 4: return `(${a()} % ${a()})`;
      default: return `uint(${this.expr(this.rng.pick(["int", "double", "string", "uint"]), d)})`;
    }
  }

  double(d) {
    const a = () => this.expr("double", d);
    switch (this.rng.int(7)) {
      case 0: return `(${a()} + ${a()})`;
      case 1: return `(${a()} - ${a()})`;
      case 2: return `(${a()} * ${a()})`;
      case 3: return `(${a()} / ${a()})`;
      case 4: return `-${a()}`;
      default: return `double(${this.expr(this.rng.pick(["int", "uint", "string", "double"]), d)})`;
    }
  }

  string(d) {
    switch (this.rng.int(4)) {
      case 0: return `(${this.expr("string", d)} + ${this.expr("string", d)})`;
      case 1: return `string(${this.expr(this.rng.pick(SCALARS), d)})`;
      case 2: return `string(${this.expr("bytes", d)})`;
      default: return `${this.list("string", d, 1)}[0]`;
    }
  }

  bytes(d) {
    switch (this.rng.int(3)) {
      case 0: return `(${this.expr("bytes", d)} + ${this.expr("bytes", d)})`;
      case 1: return `bytes(${this.expr("string", d)})`;
      default: return `bytes(${this.expr("bytes", d)})`;
    }
  }

  bool(d) {
    const r = this.rng.int(20);
    if (r < 4) {
      const t = this.rng.pick(SCALARS);
      const op = this.rng.pick(["==", "!=", "<", "<=", ">", ">="]);
      return `(${this.expr(t, d)} ${op} ${this.expr(t, d)})`;
    }
    if (r < 6) {
      // Mixed numeric comparisons go through dyn(): the checker rejects
      // int == uint, but the runtime compares numbers by value.
      const [x, y] = [this.rng.pick(["int", "uint", "double"]), this.rng.pick(["int", "uint", "double"])];
      const op = this.rng.pick(["==", "!=", "<", "<=", ">", ">="]);
      const lhs = this.rng.chance(0.5) ? `dyn(${this.expr(x, d)})` : this.expr(x, d);
      return `(${lhs} ${op} dyn(${this.expr(y, d)}))`;
    }
    switch (r) {
      case 6: return `(${this.expr("bool", d)} && ${this.expr("bool", d)})`;
      case 7: return `(${this.expr("bool", d)} || ${this.expr("bool", d)})`;
      case 8: return `!${this.expr("bool", d)}`;
      case 9: {
        const f = this.rng.pick(["contains", "startsWith", "endsWith"]);
        return `${this.expr("string", d)}.${f}(${this.expr("string", d)})`;
      }
      case 10:
        return this.rng.chance(0.5)
          ? `${this.expr("string", d)}.matches(${this.rng.pick(PATTERNS)})`
          : `matches(${this.expr("string", d)}, ${this.rng.pick(PATTERNS)})`;
      case 11: {
        const t = this.rng.pick(SCALARS);
        return `(${this.expr(t, d)} in ${this.list(t, d)})`;
      }
      case 12: {
        const k = this.rng.pick(KEY_TYPES);
        return `(${this.expr(k, d)} in ${this.map(k, this.rng.pick(SCALARS), d)})`;
      }
      case 13: return `has(${this.map("string", this.rng.pick(SCALARS), d)}.${this.rng.pick(["a", "b", "c", "z"])})`;
      case 14: return this.macroBool(d);
      case 15: return this.macroBool(d);
      case 16: return `bool(${this.expr("string", d)})`;
      case 17: {
        const t = this.anyType(d);
        return `(${this.expr(t, d)} == ${this.expr(t, d)})`;
      }
      case 18: return `(type(${this.expr(this.anyType(d), d)}) == ${this.typeName()})`;
      default: {
        // Mixed-type lists and maps compare through dyn as well.
        return `(dyn(${this.expr(this.anyType(d), d)}) == dyn(${this.expr(this.anyType(d), d)}))`;
      }
    }
  }

  typeName() {
    return this.rng.pick(["int", "uint", "double", "string", "bytes", "bool", "list", "map",
      "null_type", "type", "type(1)", "type(dyn([]))"]);
  }

  macroVar() {
    return ["x", "y", "z"][this.macroDepth % 3];
  }

  // Runs `body` with the macro variable `name` of type `t` in scope.
  withVar(name, t, body) {
    this.scope.push([name, t]);
    this.macroDepth++;
    try {
      return body();
    } finally {
      this.macroDepth--;
      this.scope.pop();
    }
  }

  macroBool(d) {
    const t = this.rng.pick(SCALARS);
    const range = this.list(t, d);
    const x = this.macroVar();
    const m = this.rng.pick(["all", "exists", "exists_one"]);
    const pred = this.withVar(x, t, () => this.predicateOn(x, t, d));
    return `${range}.${m}(${x}, ${pred})`;
  }

  // A predicate that mentions the macro variable most of the time.
  predicateOn(x, t, d) {
    if (this.rng.chance(0.3)) return this.expr("bool", d);
    const op = this.rng.pick(["==", "!=", "<", ">"]);
    return `(${x} ${op} ${this.expr(t, d)})`;
  }

  list(t, depth, minSize = 0) {
    const d = depth - 1;
    if (depth > 0 && this.rng.chance(0.3)) {
      switch (this.rng.int(5)) {
        case 0: return `(${this.list(t, d)} + ${this.list(t, d)})`;
        case 1: {
          // map(): source elements of any scalar type, transformed to `t`.
          const src = this.rng.pick(SCALARS);
          const x = this.macroVar();
          const range = this.list(src, d);
          const body = this.withVar(x, src, () => this.expr(t, d));
          return this.rng.chance(0.3)
            ? `${range}.map(${x}, ${this.withVar(x, src, () => this.predicateOn(x, src, d))}, ${body})`
            : `${range}.map(${x}, ${body})`;
        }
        case 2: {
          const x = this.macroVar();
          const range = this.list(t, d);
          return `${range}.filter(${x}, ${this.withVar(x, t, () => this.predicateOn(x, t, d))})`;
        }
        case 3: return `(${this.expr("bool", d)} ? ${this.list(t, d)} : ${this.list(t, d)})`;
        default: break;
      }
    }
    if (minSize === 0 && depth <= 0 && t === "int" && this.rng.chance(0.2)) return "[]";
    const n = minSize + this.rng.int(4 - minSize);
    const elems = [];
    for (let k = 0; k < n; k++) elems.push(this.expr(t, Math.min(d, 1)));
    return `[${elems.join(", ")}]`;
  }

  map(k, v, depth) {
    const d = Math.min(depth - 1, 1);
    // Bool keys have two values: more entries would mostly be conflicts.
    const n = this.rng.int(k === "bool" ? 3 : 4);
    const entries = [];
    for (let i = 0; i < n; i++) {
      // String keys are mostly field-like names, so has() and m.a can hit.
      const key = k === "string" && this.rng.chance(0.7) ? `"${this.rng.pick(FIELD_KEYS)}"` : this.expr(k, d);
      entries.push(`${key}: ${this.expr(v, d)}`);
    }
    return `{${entries.join(", ")}}`;
  }

  dyn(depth) {
    const d = depth - 1;
    if (depth <= 0) return `dyn(${this.leaf(this.rng.pick(SCALARS))})`;
    switch (this.rng.int(3)) {
      case 0: return `[${this.expr(this.rng.pick(SCALARS), d)}, ${this.expr(this.rng.pick(SCALARS), d)}]`;
      case 1: return `{${this.expr("string", 0)}: ${this.expr(this.rng.pick(SCALARS), d)}, "k": ${this.expr(this.rng.pick(SCALARS), d)}}`;
      default: return `dyn(${this.expr(this.anyType(d), d)})`;
    }
  }
}

// A syntax error: a character dropped, doubled or an unbalanced one added.
function mangle(rng, text) {
  const at = rng.int(text.length + 1);
  switch (rng.int(3)) {
    case 0: return text.slice(0, at) + text.slice(at + 1);
    case 1: return text.slice(0, at) + rng.pick(["(", ")", "]", ",", "+", ".", "?"]) + text.slice(at);
    default: return text + rng.pick([")", " +", " &&", "[", "."]);
  }
}

function randomVars(rng) {
  return VARS.map(([name, type]) => ({ name, type, value: rng.pick(VAR_VALUES[type]) }));
}

export function generate(seed, count) {
  const rng = makeRng(seed);
  const gen = new Gen(rng);
  const cases = [];
  for (let n = 0; n < count; n++) {
    const r = rng.int(100);
    const want = r < 10 ? gen.anyType(3) : r < 15 ? "dyn" : rng.pick(SCALARS);
    let expr = gen.expr(want, 1 + rng.int(5), /*top=*/true);
    if (rng.chance(0.02)) expr = mangle(rng, expr);
    cases.push({ expr, vars: randomVars(rng) });
  }
  return cases;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const seed = Number(process.argv[2] ?? 1);
  const count = Number(process.argv[3] ?? 4000);
  const out = generate(seed, count).map((c) => JSON.stringify(c)).join("\n");
  process.stdout.write(out + "\n");
}
