// Stand-in for ruby/setup-ruby: the requested Ruby must be the one installed here (Debian's).
// `bundler-cache: true` runs `bundle install` as the real action does.
'use strict';
const fs = require('fs');
const path = require('path');
const l = require('./lib.js');
const t = require('./tools.js');

const dir = path.join(l.workspace(), l.input('working-directory') || '.');
let spec = l.input('ruby-version') || 'default';
if (spec === 'default') {
  for (const f of ['.ruby-version', '.tool-versions', 'mise.toml']) {
    const p = path.join(dir, f);
    if (!fs.existsSync(p)) continue;
    const text = fs.readFileSync(p, 'utf8');
    const m = f === '.ruby-version' ? /^\s*(?:ruby-)?(\S+)/.exec(text) : /^\s*ruby\s*=?\s*"?([\d.]+)/m.exec(text);
    if (m) {
      spec = m[1];
      break;
    }
  }
}
if (spec === 'default') l.fail(`input ruby-version needs to be specified if no .ruby-version or .tool-versions file exists`);
const found = t.resolve('ruby', spec.replace(/^ruby-/, ''), {
  aliases: ['ruby', 'latest'],
  notFound: (s) => `Unknown version ${s} for ruby on ubuntu-24.04\n        available versions for ruby on ubuntu-24.04: (see the action's ruby-builder-versions.json)`,
});
l.addPath(found.bin);
if (l.bool('bundler-cache')) {
  l.info('bundle install');
  l.sh('bundle', ['install', '--jobs', '4'], { cwd: dir, stdio: 'inherit' });
}
l.info(`Ruby ${found.version} from ${found.bin}`);
l.output('ruby-prefix', path.dirname(found.bin));
