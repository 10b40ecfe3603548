// Stand-in for actions/setup-python: the requested CPython must be among pyenv's versions here.
'use strict';
const fs = require('fs');
const path = require('path');
const l = require('./lib.js');
const t = require('./tools.js');

const ws = l.workspace();
let specs = l.lines('python-version');
const file = l.input('python-version-file');
const readFile = (f) => {
  const p = path.join(ws, f);
  if (!fs.existsSync(p)) return null;
  const text = fs.readFileSync(p, 'utf8');
  if (f.endsWith('pyproject.toml')) {
    const m = /^\s*requires-python\s*=\s*["']([^"']+)["']/m.exec(text);
    return m ? [m[1]] : [];
  }
  if (path.basename(f) === '.tool-versions') {
    const m = /^\s*python\s+(\S+)/m.exec(text);
    return m ? [m[1]] : [];
  }
  return text.split('\n').map((s) => s.trim()).filter((s) => s && !s.startsWith('#'));
};
if (!specs.length && file) {
  specs = readFile(file);
  if (specs === null) l.fail(`The specified python version file at: ${path.join(ws, file)} doesn't exist.`);
}
if (!specs.length) {
  const implicit = readFile('.python-version');
  if (implicit && implicit.length) specs = implicit;
}
if (!specs.length) {
  l.warning('Neither \'python-version\' nor \'python-version-file\' inputs were supplied. Attempting to find \'.python-version\' file.');
  l.warning('.python-version doesn\'t exist. The system Python is used.');
  process.exit(0);
}
let last;
for (const spec of specs) {
  if (/^(pypy|graalpy)/.test(spec) || /t$/.test(spec)) l.fail(`The version '${spec}' with architecture 'x64' was not found for this operating system.\nstand-in: only CPython from pyenv is available here`);
  last = t.resolve('python', spec, {
    aliases: ['3.x', 'x'],
    notFound: (s) => `The version '${s}' with architecture 'x64' was not found for this operating system.\nThe list of all available versions can be found here: https://raw.githubusercontent.com/actions/python-versions/main/versions-manifest.json`,
  });
  l.addPath(last.bin);
}
const cache = l.input('cache');
if (cache) {
  const pats = { pip: ['**/requirements*.txt', '**/pyproject.toml'], pipenv: ['**/Pipfile.lock'], poetry: ['**/poetry.lock'] }[cache];
  if (!pats) l.fail(`Caching for '${cache}' is not supported`);
  const dep = l.lines('cache-dependency-path');
  if (!l.expand(dep.length ? dep : pats).length) l.fail(`No file in ${ws} matched to [${pats.join(',')}], make sure you have checked out the target repository`);
}
const root = path.dirname(last.bin);
l.exportVar('pythonLocation', root);
l.exportVar('Python_ROOT_DIR', root);
l.exportVar('Python3_ROOT_DIR', root);
l.exportVar('PKG_CONFIG_PATH', path.join(root, 'lib', 'pkgconfig'));
l.info(`Successfully set up CPython (${last.version})`);
l.output('python-version', last.version);
l.output('python-path', path.join(last.bin, 'python'));
l.output('cache-hit', 'false');
