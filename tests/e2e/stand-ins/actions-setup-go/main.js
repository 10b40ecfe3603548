// Stand-in for actions/setup-go: the requested Go must be installed here (Debian's golang-1.N).
'use strict';
const fs = require('fs');
const path = require('path');
const l = require('./lib.js');
const t = require('./tools.js');

const ws = l.workspace();
let spec = l.input('go-version');
const file = l.input('go-version-file');
if (!spec && file) {
  const p = path.join(ws, file);
  if (!fs.existsSync(p)) l.fail(`The specified go version file at: ${p} does not exist`);
  const text = fs.readFileSync(p, 'utf8');
  if (/go\.(mod|work)$/.test(file)) {
    const tc = /^toolchain\s+go(\S+)/m.exec(text);
    const go = /^go\s+(\d+(?:\.\d+)*)/m.exec(text);
    spec = tc ? tc[1] : go ? go[1] : '';
  } else if (path.basename(file) === '.tool-versions') {
    const m = /^\s*golang\s+(\S+)/m.exec(text);
    spec = m ? m[1] : '';
  } else {
    spec = text.trim().replace(/^go/, '');
  }
}
if (!spec) {
  l.warning('Neither go-version nor go-version-file inputs were supplied. The Go on the PATH is used.');
  process.exit(0);
}
const found = t.resolve('go', spec.replace(/^v/, ''), {
  aliases: ['stable', 'oldstable'],
  notFound: (s) => `Unable to find Go version '${s}' for platform linux and architecture x64.`,
});
const cache = l.input('cache');
if (cache === 'true' || cache === '') {
  const dep = l.lines('cache-dependency-path');
  if (!l.expand(dep.length ? dep : ['go.sum']).length) {
    l.warning('Restore cache failed: Dependencies file is not found in ' + ws + '. Supported file pattern: go.sum');
  }
}
l.addPath(found.bin);
l.exportVar('GOROOT', found.root);
l.info(`Successfully set up Go version ${found.version}`);
l.output('go-version', found.version);
l.output('cache-hit', 'false');
