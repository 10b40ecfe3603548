// Shared helpers of the stand-in actions: the runner's file commands, inputs, globs and the
// version matching of the setup actions. Node's standard library only.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

// An input as the runner passes it: INPUT_<NAME>, upper-cased, spaces as `_`.
function input(name, { required = false } = {}) {
  const v = (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] || '').trim();
  if (required && !v) fail(`Input required and not supplied: ${name}`);
  return v;
}

function bool(name, dflt = false) {
  const v = input(name);
  if (!v) return dflt;
  if (['true', 'True', 'TRUE'].includes(v)) return true;
  if (['false', 'False', 'FALSE'].includes(v)) return false;
  fail(`Input does not meet YAML 1.2 "Core Schema" specification: ${name}\nSupport boolean input list: \`true | True | TRUE | false | False | FALSE\``);
}

function lines(name) {
  return input(name).split('\n').map((s) => s.trim()).filter(Boolean);
}

function appendFile(variable, text) {
  const file = process.env[variable];
  if (!file) fail(`${variable} is not set`);
  fs.appendFileSync(file, text);
}

function output(name, value) {
  const delim = `ghadelimiter_${process.pid}_${Date.now()}`;
  appendFile('GITHUB_OUTPUT', `${name}<<${delim}\n${value}\n${delim}\n`);
}

function addPath(dir) {
  appendFile('GITHUB_PATH', `${dir}\n`);
}

function exportVar(name, value) {
  const delim = `ghadelimiter_${process.pid}_${Date.now()}`;
  appendFile('GITHUB_ENV', `${name}<<${delim}\n${value}\n${delim}\n`);
}

function saveState(name, value) {
  const file = process.env.GITHUB_STATE;
  if (file) {
    const delim = `ghadelimiter_${process.pid}_${Date.now()}`;
    fs.appendFileSync(file, `${name}<<${delim}\n${value}\n${delim}\n`);
  }
}

function state(name) {
  return process.env[`STATE_${name}`] || '';
}

function info(msg) {
  process.stdout.write(`${msg}\n`);
}

function warning(msg) {
  process.stdout.write(`::warning::${msg.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}\n`);
}

// Fails the step the way the real action does: an `::error::` line and exit 1.
function fail(msg) {
  process.stdout.write(`::error::${msg.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}\n`);
  process.exit(1);
}

function workspace() {
  return process.env.GITHUB_WORKSPACE || process.cwd();
}

// Where the stand-ins keep what a hosted service would (caches, artifacts, tool installs):
// SLIPWAY_E2E_STATE, set by the harness for the whole run.
function stateDir(sub) {
  const root = process.env.SLIPWAY_E2E_STATE;
  if (!root) fail('SLIPWAY_E2E_STATE is not set: run the workflow through scripts/try-pipeline');
  const dir = path.join(root, sub);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

// Expands the `path` patterns of the cache and artifact actions (globs with `**`, `!` to
// exclude), relative to the workspace. Returns absolute paths of files and directories matched.
function expand(patterns) {
  const ws = workspace();
  const include = [];
  const exclude = [];
  for (const raw of patterns) {
    const neg = raw.startsWith('!');
    const pat = neg ? raw.slice(1) : raw;
    const abs = path.isAbsolute(pat) ? pat : path.join(ws, pat.replace(/^~(?=\/|$)/, process.env.HOME || '~'));
    let found;
    if (/[*?[]/.test(pat)) {
      const out = execFileSync('bash', ['-O', 'globstar', '-O', 'dotglob', '-c', 'compgen -G "$PAT" || true'], {
        env: { ...process.env, PAT: abs },
        encoding: 'utf8',
      });
      found = out.split('\n').filter(Boolean);
    } else {
      const p = abs.replace(/\/+$/, '') || '/';
      found = fs.existsSync(p) ? [p] : [];
    }
    (neg ? exclude : include).push(...found);
  }
  const excluded = (p) => exclude.some((e) => p === e || p.startsWith(`${e}/`));
  const files = [];
  const walk = (p) => {
    if (excluded(p)) return;
    const st = fs.lstatSync(p);
    if (st.isDirectory()) {
      for (const e of fs.readdirSync(p)) walk(path.join(p, e));
    } else {
      files.push(p);
    }
  };
  for (const p of include) walk(p);
  return [...new Set(files)].sort();
}

// ---- versions -----------------------------------------------------------------------------

function parts(v) {
  return v.replace(/^v/, '').split(/[.+-]/).slice(0, 3).map((n) => (/^\d+$/.test(n) ? Number(n) : NaN));
}

function cmp(a, b) {
  for (let i = 0; i < 3; i++) {
    const x = a[i] || 0;
    const y = b[i] || 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

// Does `version` (`3.12.1`) satisfy `spec` as the setup actions read it: an exact or partial
// version (`3.12`, `3`), an x-range (`3.x`, `20.x`), or npm-style comparators separated by spaces
// (`>=3.9 <3.13`), `||` alternatives. Returns null when the spec is not of these forms.
function satisfies(version, spec) {
  const v = parts(version);
  if (v.some(Number.isNaN)) return false;
  // npm's range grammar allows a space after an operator (`>= 0.10`).
  const alternatives = spec.replace(/([<>=^~]+)\s+/g, '$1').split('||').map((s) => s.trim());
  let anyValid = false;
  for (const alt of alternatives) {
    const comps = alt.split(/\s+/).filter(Boolean);
    let ok = true;
    for (const c of comps) {
      const m = /^(>=|<=|>|<|=|\^|~)?v?(\d+|x|\*)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?$/.exec(c);
      if (!m) return null;
      anyValid = true;
      const [, op = '', ...nums] = m;
      const fixed = [];
      for (const n of nums) {
        if (n === undefined || n === 'x' || n === '*') break;
        fixed.push(Number(n));
      }
      const c3 = [fixed[0] || 0, fixed[1] || 0, fixed[2] || 0];
      const r = cmp(v, c3);
      const prefix = fixed.every((n, i) => v[i] === n);
      switch (op) {
        case '':
        case '=':
          ok = ok && prefix;
          break;
        case '>=':
          ok = ok && r >= 0;
          break;
        case '>':
          ok = ok && (fixed.length < 3 ? !prefix && r > 0 : r > 0);
          break;
        case '<':
          ok = ok && r < 0;
          break;
        case '<=':
          ok = ok && (r <= 0 || prefix);
          break;
        case '^':
          ok = ok && r >= 0 && v[0] === c3[0];
          break;
        case '~':
          ok = ok && r >= 0 && v[0] === c3[0] && (fixed.length < 2 || v[1] === c3[1]);
          break;
        default:
          return null;
      }
    }
    if (ok && comps.length) return true;
  }
  return anyValid ? false : null;
}

// The newest of `available` ([{version, ...}]) that satisfies `spec`, or null.
function pick(available, spec) {
  const hits = available.filter((a) => satisfies(a.version, spec) === true);
  hits.sort((a, b) => cmp(parts(b.version), parts(a.version)));
  return hits[0] || null;
}

function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', ...opts }).trim();
}

module.exports = {
  input, bool, lines, output, addPath, exportVar, saveState, state, info, warning, fail,
  workspace, stateDir, expand, satisfies, pick, parts, cmp, sh,
};
