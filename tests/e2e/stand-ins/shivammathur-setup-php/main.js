// Stand-in for shivammathur/setup-php: the requested PHP must be the one installed here.
'use strict';
const fs = require('fs');
const path = require('path');
const l = require('./lib.js');
const t = require('./tools.js');

let spec = l.input('php-version');
const file = l.input('php-version-file') || '.php-version';
if (!spec) {
  const p = path.join(l.workspace(), file);
  if (fs.existsSync(p)) spec = fs.readFileSync(p, 'utf8').trim();
  else if (l.input('php-version-file')) l.fail(`Could not find '${file}' file.`);
}
if (!spec) spec = 'latest';
const found = t.resolve('php', spec, {
  aliases: ['latest', 'lowest', 'highest', 'nightly', 'pre-installed'],
  notFound: (s) => `PHP version ${s} is not supported on ubuntu-24.04 by this setup`,
});
const have = t.available('php')[0];
const exts = l.input('extensions').split(',').map((e) => e.trim()).filter((e) => e && !e.startsWith(':') && !e.startsWith('none'));
const loaded = l.sh('php', ['-m']).toLowerCase().split('\n');
for (const e of exts) {
  if (!loaded.includes(e.toLowerCase().replace(/^pdo_/, 'pdo_'))) l.warning(`stand-in: PHP extension ${e} is not installed here`);
}
for (const tool of l.input('tools').split(',').map((x) => x.trim()).filter(Boolean)) {
  const name = tool.split(':')[0];
  if (!t.which(name)) l.fail(`stand-in: tool ${name} is not installed here`);
}
l.addPath(found.bin);
l.info(`PHP ${have.version}`);
l.output('php-version', have.version);
