// Stand-in for actions/download-artifact (v4 and later): by name (fails when it does not
// exist), or every artifact matching `pattern` (each in its own directory unless
// merge-multiple), from $SLIPWAY_E2E_STATE/artifacts. Other runs (`run-id`) are not reachable.
'use strict';
const fs = require('fs');
const path = require('path');
const l = require('./lib.js');

if (l.input('run-id')) l.fail('stand-in: downloads from another workflow run are not supported here');
const name = l.input('name');
const pattern = l.input('pattern');
const merge = l.bool('merge-multiple');
const dest = path.resolve(l.workspace(), (l.input('path') || '.').replace(/^~(?=\/|$)/, process.env.HOME || '~'));
const store = l.stateDir('artifacts');
const copy = (from, to) => fs.cpSync(from, to, { recursive: true });
if (name) {
  const src = path.join(store, name);
  if (!fs.existsSync(src)) l.fail(`Unable to download artifact(s): Artifact not found for name: ${name}\n        Please ensure that your artifact is not expired and the artifact was uploaded using a compatible version of toolkit/upload-artifact.`);
  copy(src, dest);
  l.info(`Artifact download completed successfully.`);
} else {
  const all = fs.readdirSync(store);
  const re = pattern ? new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`) : /.*/;
  const hits = all.filter((a) => re.test(a));
  l.info(`Found ${hits.length} artifact(s)`);
  for (const a of hits) copy(path.join(store, a), merge || hits.length === 1 && !pattern ? dest : path.join(dest, a));
  l.info('Total of ' + hits.length + ' artifact(s) downloaded');
}
l.output('download-path', dest);
