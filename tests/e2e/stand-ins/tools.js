// What this machine can provide to the setup stand-ins: the toolchains installed on it, found
// where Debian, pyenv and the JDK packages put them. A version that is not here cannot be set
// up, and the stand-in fails as the real action fails for a version it cannot find.
'use strict';
const fs = require('fs');
const path = require('path');
const l = require('./lib.js');

function ls(dir) {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function which(cmd) {
  for (const d of (process.env.PATH || '').split(':')) {
    const p = path.join(d, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {}
  }
  return null;
}

function run(bin, args) {
  try {
    return l.sh(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return '';
  }
}

const finders = {
  node() {
    const bin = which('node');
    if (!bin) return [];
    return [{ version: run(bin, ['--version']).replace(/^v/, ''), bin: path.dirname(fs.realpathSync(bin)) }];
  },
  python() {
    const root = process.env.PYENV_ROOT || path.join(require('os').userInfo().homedir, '.pyenv');
    return ls(path.join(root, 'versions'))
      .filter((v) => /^\d+\.\d+\.\d+$/.test(v))
      .map((v) => ({ version: v, bin: path.join(root, 'versions', v, 'bin') }));
  },
  go() {
    return ls('/usr/lib')
      .filter((d) => /^go-\d/.test(d))
      .map((d) => {
        const bin = path.join('/usr/lib', d, 'bin');
        const m = /go(\d+\.\d+(?:\.\d+)?)/.exec(run(path.join(bin, 'go'), ['version']));
        return m ? { version: m[1], bin, root: path.join('/usr/lib', d) } : null;
      })
      .filter(Boolean);
  },
  java() {
    const out = [];
    for (const d of ls('/usr/lib/jvm')) {
      const home = path.join('/usr/lib/jvm', d);
      let st;
      try {
        st = fs.lstatSync(home);
      } catch {
        continue;
      }
      if (st.isSymbolicLink()) continue;
      let release = '';
      try {
        release = fs.readFileSync(path.join(home, 'release'), 'utf8');
      } catch {
        continue;
      }
      const m = /JAVA_VERSION="([^"]+)"/.exec(release);
      if (m) out.push({ version: m[1].replace(/^1\.8\.0_/, '8.0.'), bin: path.join(home, 'bin'), root: home });
    }
    return out;
  },
  ruby() {
    const bin = which('ruby');
    if (!bin) return [];
    const m = /ruby (\d+\.\d+\.\d+)/.exec(run(bin, ['--version']));
    return m ? [{ version: m[1], bin: path.dirname(bin) }] : [];
  },
  php() {
    const bin = which('php');
    if (!bin) return [];
    const m = /PHP (\d+\.\d+\.\d+)/.exec(run(bin, ['--version']));
    return m ? [{ version: m[1], bin: path.dirname(bin) }] : [];
  },
  dotnet() {
    const bin = which('dotnet');
    if (!bin) return [];
    return run(bin, ['--list-sdks']).split('\n').filter(Boolean).map((s) => ({ version: s.split(' ')[0], bin: path.dirname(bin) }));
  },
};

function available(tool) {
  return finders[tool]();
}

// Resolves `spec` for `tool`; aliases the real action resolves to its newest release
// (`lts/*`, `stable`, `latest`) are served by the newest version here, with a notice. A spec
// nothing here satisfies fails the step with the real action's message.
function resolve(tool, spec, { aliases = [], notFound }) {
  const have = available(tool);
  const list = have.map((h) => h.version).join(', ') || 'none';
  if (aliases.includes(spec)) {
    const newest = have.sort((a, b) => l.cmp(l.parts(b.version), l.parts(a.version)))[0];
    if (!newest) l.fail(notFound(spec));
    l.info(`stand-in: \`${spec}\` is served by ${tool} ${newest.version}, the newest on this machine`);
    return newest;
  }
  const match = l.satisfies('0.0.0', spec) === null ? null : l.pick(have, spec);
  if (match) return match;
  // A substitute the run declared (`try-pipeline --substitute python:3.14=3.13`): the version a
  // hosted runner would install is not on this machine, and the run says so in every job.
  for (const sub of (process.env.SLIPWAY_E2E_SUBSTITUTE || '').split(/\s+/).filter(Boolean)) {
    const m = /^([a-z]+):([^=]+)=(.+)$/.exec(sub);
    if (m && m[1] === tool && m[2] === spec) {
      const alt = l.pick(have, m[3]);
      if (alt) {
        l.warning(`stand-in: ${tool} ${spec} is not on this machine; ${alt.version} stands in for it (declared substitute)`);
        return alt;
      }
    }
  }
  l.fail(`${notFound(spec)}\nstand-in: this machine has ${tool} ${list}`);
}

module.exports = { available, resolve, which };
