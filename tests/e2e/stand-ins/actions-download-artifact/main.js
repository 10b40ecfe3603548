// Stand-in for actions/download-artifact (v4 and later): by name (fails when it does not
// exist), or every artifact matching `pattern` (each in its own directory unless
// merge-multiple). Without `github-token`, from this run: $SLIPWAY_E2E_STATE/artifacts. With
// it, as the real action does through the API, from run `run-id` of `repository`:
// $SLIPWAY_E2E_STATE/runs/<owner>/<repo>/<run-id>/artifacts (this run's own store when those
// name this run).
'use strict';
const fs = require('fs');
const path = require('path');
const l = require('./lib.js');

const name = l.input('name');
const pattern = l.input('pattern');
const merge = l.bool('merge-multiple');
const dest = path.resolve(l.workspace(), (l.input('path') || '.').replace(/^~(?=\/|$)/, process.env.HOME || '~'));
let store = l.stateDir('artifacts');
const token = l.input('github-token');
if (token) {
  const repository = l.input('repository') || process.env.GITHUB_REPOSITORY || '';
  const [owner, repo] = repository.split('/');
  if (!owner || !repo) l.fail(`Invalid repository: '${repository}'. Must be in format owner/repo`);
  const run = parseInt(l.input('run-id') || process.env.GITHUB_RUN_ID || '', 10);
  if (String(run) !== (process.env.GITHUB_RUN_ID || '') || repository !== process.env.GITHUB_REPOSITORY) {
    // The API answers 404 for a run that does not exist: the toolkit reports no artifact.
    store = path.join(process.env.SLIPWAY_E2E_STATE || l.stateDir('.'), 'runs', owner, repo, String(run), 'artifacts');
    l.info(`Downloading from run ${run} of ${repository}`);
  }
}
const copy = (from, to) => fs.cpSync(from, to, { recursive: true });
if (name) {
  const src = path.join(store, name);
  if (!fs.existsSync(src)) l.fail(`Unable to download artifact(s): Artifact not found for name: ${name}\n        Please ensure that your artifact is not expired and the artifact was uploaded using a compatible version of toolkit/upload-artifact.`);
  copy(src, dest);
  l.info(`Artifact download completed successfully.`);
} else {
  const all = fs.existsSync(store) ? fs.readdirSync(store) : [];
  const re = pattern ? new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`) : /.*/;
  const hits = all.filter((a) => re.test(a));
  l.info(`Found ${hits.length} artifact(s)`);
  for (const a of hits) copy(path.join(store, a), merge || hits.length === 1 && !pattern ? dest : path.join(dest, a));
  l.info('Total of ' + hits.length + ' artifact(s) downloaded');
}
l.output('download-path', dest);
