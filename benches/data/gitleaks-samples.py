"""Extracts the labelled samples of gitleaks' rule tests from a gitleaks git mirror.

    python3 gitleaks-samples.py GIT_DIR COMMIT OUT_DIR LABELS_TSV

Each rule in cmd/generate/config/rules/*.go ends with `utils.Validate(r, tps, fps)`: `tps` are
strings the rule must find, `fps` strings it must not. This reads those Go expressions with a
small evaluator (string literals, `+`, `[]string{...}`, `append`, `utils.GenerateSampleSecret(s)`
with the templates read from utils/generate.go, `secrets.NewSecret(regex)` and the regex helpers
of utils/patterns.go) and writes one file per sample, `OUT_DIR/<family>/<tp|fp>-<n>.txt`, where
the family is the rule file's name. LABELS_TSV gets: file, family, rule id, label (tp/fp),
origin (`literal`: the text is written out in the test; `synthesized`: some part is a random
string gitleaks' generator draws from a regex, drawn here with a fixed seed).

An expression it cannot evaluate (a loop, a helper it does not know) is counted and skipped.
"""

import os
import random
import re
import sre_constants
import sre_parse
import subprocess
import sys

git_dir, commit, out_dir, labels_path = sys.argv[1:5]
rng = random.Random(20261207)


def show(path):
    return subprocess.run(
        ["git", "--git-dir", git_dir, "show", f"{commit}:{path}"],
        check=True, capture_output=True, text=True,
    ).stdout


TOKEN = re.compile(
    r'(?P<ws>\s+)|(?P<comment>//[^\n]*|/\*.*?\*/)|(?P<raw>`[^`]*`)|(?P<str>"(?:\\.|[^"\\\n])*")'
    r"|(?P<rune>'(?:\\.|[^'\\])*')|(?P<ellipsis>\.\.\.)|(?P<op>:=|[-+*/%=(){}\[\],.:;<>!&|])"
    r"|(?P<ident>[A-Za-z_][A-Za-z0-9_]*)|(?P<num>[0-9]+)",
    re.S,
)


def unquote(s):
    """A Go interpreted string literal's value."""
    out, i, body = [], 0, s[1:-1]
    simple = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "'": "'", "a": "\a",
              "b": "\b", "f": "\f", "v": "\v"}
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        n = body[i + 1]
        if n in simple:
            out.append(simple[n])
            i += 2
        elif n == "x":
            out.append(chr(int(body[i + 2:i + 4], 16)))
            i += 4
        elif n == "u":
            out.append(chr(int(body[i + 2:i + 6], 16)))
            i += 6
        elif n == "U":
            out.append(chr(int(body[i + 2:i + 10], 16)))
            i += 10
        else:  # octal
            out.append(chr(int(body[i + 1:i + 4], 8)))
            i += 4
    return "".join(out)


def tokens(src):
    out = []
    for m in TOKEN.finditer(src):
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        text = m.group()
        if kind == "raw":
            out.append(("str", text[1:-1].replace("\r", "")))
        elif kind == "str":
            out.append(("str", unquote(text)))
        else:
            out.append((kind, text))
    return out


class Unknown(Exception):
    pass


def draw(regex):
    """A random string matching `regex` (what gitleaks' generator does for NewSecret)."""

    def gen(items):
        out = []
        for op, av in items:
            if op == sre_constants.LITERAL:
                out.append(chr(av))
            elif op == sre_constants.IN:
                chars = []
                for iop, iav in av:
                    if iop == sre_constants.LITERAL:
                        chars.append(chr(iav))
                    elif iop == sre_constants.RANGE:
                        chars.extend(chr(c) for c in range(iav[0], iav[1] + 1))
                    elif iop == sre_constants.CATEGORY and iav == sre_constants.CATEGORY_DIGIT:
                        chars.extend("0123456789")
                    elif iop == sre_constants.CATEGORY and iav == sre_constants.CATEGORY_WORD:
                        chars.extend("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
                    else:
                        raise Unknown(f"class {iop}")
                out.append(rng.choice(chars))
            elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
                lo, hi, sub = av
                hi = lo + 10 if hi == sre_constants.MAXREPEAT else hi
                for _ in range(rng.randint(lo, hi)):
                    out.append(gen(sub))
            elif op == sre_constants.SUBPATTERN:
                out.append(gen(av[-1]))
            elif op == sre_constants.BRANCH:
                out.append(gen(rng.choice(av[1])))
            elif op == sre_constants.ANY:
                out.append(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789"))
            elif op == sre_constants.AT:
                pass
            elif op == sre_constants.CATEGORY:
                out.append(rng.choice("0123456789" if av == sre_constants.CATEGORY_DIGIT else "abcdefghijklmnopqrstuvwxyz"))
            else:
                raise Unknown(f"regex op {op}")
        return "".join(out)

    try:
        return gen(sre_parse.parse(regex))
    except (re.error, Unknown) as e:
        raise Unknown(f"regex {regex!r}: {e}")


# The regex helpers of utils/patterns.go: name -> format with one `%s`.
HELPERS = {}
for m in re.finditer(r"func (\w+)\(size string\) string \{\s*return fmt\.Sprintf\(`([^`]*)`, size\)", show("cmd/generate/config/utils/patterns.go")):
    HELPERS[m.group(1)] = m.group(2)
for m in re.finditer(r"func (\w+)\(\) string \{\s*return `([^`]*)`", show("cmd/generate/config/utils/patterns.go")):
    HELPERS[m.group(1)] = m.group(2)

# The templates of utils.GenerateSampleSecrets, in the order written.
gen_src = show("cmd/generate/config/utils/generate.go")
body = gen_src[gen_src.index("func GenerateSampleSecrets("):]
body = body[body.index("map[string]string{") + len("map[string]string{"):]
body = body[:body.index("replacer")]
TEMPLATES = []
toks = tokens(body)
for i, (k, v) in enumerate(toks):
    if k == "str" and i + 2 < len(toks) and toks[i + 1] == ("op", ":") and toks[i + 2][0] == "str":
        TEMPLATES.append(toks[i + 2][1])


class Value:
    """A string or list of strings, and whether any part was drawn at random."""

    def __init__(self, v, synthesized=False):
        self.v, self.synthesized = v, synthesized


class Parser:
    def __init__(self, toks, env):
        self.t, self.i, self.env = toks, 0, env

    def peek(self, k=0):
        return self.t[self.i + k] if self.i + k < len(self.t) else ("eof", "")

    def take(self, text=None):
        tok = self.peek()
        if text is not None and tok[1] != text:
            raise Unknown(f"expected {text}, got {tok}")
        self.i += 1
        return tok

    def expr(self):
        left = self.term()
        while self.peek() == ("op", "+"):
            self.take()
            right = self.term()
            if not isinstance(left.v, str) or not isinstance(right.v, str):
                raise Unknown("+ on a list")
            left = Value(left.v + right.v, left.synthesized or right.synthesized)
        return left

    def args(self):
        self.take("(")
        out = []
        while self.peek()[1] != ")":
            v = self.expr()
            if self.peek()[0] == "ellipsis":
                self.take()
                v = Value(("spread", v.v), v.synthesized)
            out.append(v)
            if self.peek()[1] == ",":
                self.take()
        self.take(")")
        return out

    def term(self):
        kind, text = self.peek()
        if kind == "str":
            self.take()
            return Value(text)
        if text == "[":
            self.take("[")
            self.take("]")
            self.take("string")
            self.take("{")
            items = []
            while self.peek()[1] != "}":
                items.append(self.expr())
                if self.peek()[1] == ",":
                    self.take()
            self.take("}")
            return Value([x for x in items], False)
        if kind == "ident":
            name = self.take()[1]
            while self.peek()[1] == "." and self.peek(1)[0] == "ident":
                self.take()
                name += "." + self.take()[1]
            if self.peek()[1] != "(":
                if name in self.env:
                    return self.env[name]
                raise Unknown(f"variable {name}")
            a = self.args()
            return self.call(name, a)
        raise Unknown(f"token {text!r}")

    def call(self, name, a):
        syn = any(x.synthesized for x in a)
        short = name.split(".")[-1]
        if name == "append":
            out = list(a[0].v)
            for x in a[1:]:
                if isinstance(x.v, tuple):
                    out.extend(x.v[1])
                else:
                    out.append(x)
            return Value(out)
        if short == "GenerateSampleSecrets":
            s = a[1].v
            i = a[0].v
            return Value([Value(t.replace("{i}", i).replace("{I}", i.upper()).replace("{s}", s), a[1].synthesized) for t in TEMPLATES])
        if short == "GenerateSampleSecret":
            return Value(f'{a[0].v}_api_token = "{a[1].v}"', syn)
        if short == "NewSecret":
            return Value(draw(a[0].v), True)
        if short in HELPERS:
            fmt = HELPERS[short]
            return Value(fmt.replace("%s", a[0].v) if a else fmt)
        if name == "strings.Repeat":
            return Value(a[0].v * int(self.env.get("__num", 0) or 0), syn)
        raise Unknown(f"call {name}")


def flatten(v):
    """Each sample as (text, synthesized)."""
    if isinstance(v.v, str):
        return [(v.v, v.synthesized)]
    out = []
    for x in v.v:
        out.extend(flatten(x) if isinstance(x, Value) else [(x, v.synthesized)])
    return out


names = subprocess.run(
    ["git", "--git-dir", git_dir, "ls-tree", "--name-only", commit, "cmd/generate/config/rules/"],
    check=True, capture_output=True, text=True,
).stdout.split()
rows, skipped, count = [], [], 0
for path in sorted(names):
    if not path.endswith(".go"):
        continue
    family = os.path.basename(path)[:-3]
    toks = tokens(show(path))
    # Split into top-level functions.
    i = 0
    while i < len(toks):
        if toks[i] != ("ident", "func"):
            i += 1
            continue
        j = i
        while j < len(toks) and toks[j][1] != "{":
            j += 1
        depth, k = 0, j
        while k < len(toks):
            if toks[k][1] == "{":
                depth += 1
            elif toks[k][1] == "}":
                depth -= 1
                if depth == 0:
                    break
            k += 1
        fn = toks[i:k + 1]
        fname = toks[i + 1][1]
        i = k + 1
        rule_id = next((fn[n + 2][1] for n in range(len(fn) - 2) if fn[n] == ("ident", "RuleID") and fn[n + 1][1] == ":" and fn[n + 2][0] == "str"), None)
        if rule_id is None or not any(t == ("ident", "Validate") or t == ("ident", "ValidateWithPaths") for t in fn):
            continue
        env = {}
        # Statements `tps := …`, `tps = …`, `fps := …`, `fps = …`.
        n = 0
        while n < len(fn):
            kind, text = fn[n]
            if kind == "ident" and text in ("tps", "fps") and n + 1 < len(fn) and fn[n + 1][1] in (":=", "=") and (n == 0 or fn[n - 1][1] not in (",", ".")):
                p = Parser(fn[n + 2:], env)
                try:
                    env[text] = p.expr()
                except (Unknown, IndexError, ValueError, KeyError) as e:
                    skipped.append(f"{family}/{fname} {text}: {e}")
                    env[text] = env.get(text, Value([]))
                n += 2 + max(p.i, 1)
                continue
            n += 1
        for label in ("tps", "fps"):
            if label not in env:
                continue
            for text, synthesized in flatten(env[label]):
                count += 1
                rel = f"{family}/{label[:2]}-{count}.txt"
                os.makedirs(os.path.join(out_dir, family), exist_ok=True)
                with open(os.path.join(out_dir, rel), "w", encoding="utf-8") as f:
                    f.write(text + "\n")
                rows.append((rel, family, rule_id, label[:2], "synthesized" if synthesized else "literal"))

with open(labels_path, "w", encoding="utf-8") as f:
    for r in rows:
        f.write("\t".join(r) + "\n")
print(f"gitleaks samples: {len(rows)} ({sum(r[3] == 'tp' for r in rows)} tp, {sum(r[3] == 'fp' for r in rows)} fp); {len(skipped)} expressions not evaluated", file=sys.stderr)
for s in skipped:
    print(f"  not evaluated: {s}", file=sys.stderr)
