// Stand-in for actions/setup-node: the requested Node.js must be on this machine.
'use strict';
const fs = require('fs');
const path = require('path');
const l = require('./lib.js');
const t = require('./tools.js');

const ws = l.workspace();
let spec = l.input('node-version');
const file = l.input('node-version-file');
if (!spec && file) {
  const p = path.join(ws, file);
  if (!fs.existsSync(p)) l.fail(`The specified node version file at: ${p} does not exist`);
  const text = fs.readFileSync(p, 'utf8');
  if (file.endsWith('package.json')) {
    const j = JSON.parse(text);
    spec = (j.volta && j.volta.node) || (j.devEngines && j.devEngines.runtime && j.devEngines.runtime.version) || (j.engines && j.engines.node) || '';
  } else if (path.basename(file) === '.tool-versions') {
    const m = /^\s*(?:nodejs|node)\s+(\S+)/m.exec(text);
    spec = m ? m[1] : '';
  } else {
    spec = text.trim().split('\n')[0].trim().replace(/^v/, '');
  }
}
let found;
if (!spec) {
  l.warning('The `node-version` input is not set. The version of Node.js on the PATH is used.');
  found = t.available('node')[0];
  if (!found) l.fail('no Node.js on PATH');
} else {
  const lts = { iron: '20', jod: '22', krypton: '24', hydrogen: '18' };
  const m = /^lts\/(\w+)$/.exec(spec);
  if (m && lts[m[1]]) spec = lts[m[1]];
  found = t.resolve('node', spec.replace(/^v/, ''), {
    aliases: ['lts/*', 'node', 'latest', 'current', '*'],
    notFound: (s) => `Unable to find Node version '${s}' for platform linux and architecture x64.`,
  });
}
const cache = l.input('cache');
if (cache) {
  const locks = { npm: ['package-lock.json', 'npm-shrinkwrap.json'], yarn: ['yarn.lock'], pnpm: ['pnpm-lock.yaml'] }[cache];
  if (!locks) l.fail(`Caching for '${cache}' is not supported`);
  const dep = l.input('cache-dependency-path');
  const hit = dep ? l.expand(l.lines('cache-dependency-path')).length > 0 : locks.some((f) => fs.existsSync(path.join(ws, f)));
  if (!hit) l.fail(`Dependencies lock file is not found in ${ws}. Supported file patterns: ${locks.join(',')}`);
}
l.addPath(found.bin);
l.info(`Node.js ${found.version} from ${found.bin}`);
l.output('node-version', `v${found.version}`);
l.output('cache-hit', 'false');
