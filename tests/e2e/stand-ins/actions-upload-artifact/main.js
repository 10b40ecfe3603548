// Stand-in for actions/upload-artifact (v4 and later): the same inputs and failures. Files go
// to $SLIPWAY_E2E_STATE/artifacts/<name>/, relative to the least common ancestor of the search
// paths. Hidden files (a path component starting with `.`) are left out unless
// include-hidden-files is true, so `path: .next/` uploads nothing, as on GitHub.
'use strict';
const fs = require('fs');
const path = require('path');
const l = require('./lib.js');

const name = l.input('name') || 'artifact';
const patterns = l.lines('path');
if (!patterns.length) l.fail('Input required and not supplied: path');
const ifNone = l.input('if-no-files-found') || 'warn';
if (!['warn', 'error', 'ignore'].includes(ifNone)) {
  l.fail(`Unrecognized if-no-files-found input. Provided: ${ifNone}. Available options: warn,error,ignore`);
}
for (const c of ['"', ':', '<', '>', '|', '*', '?', '\r', '\n', '\\', '/']) {
  if (name.includes(c)) {
    l.fail(`The artifact name is not valid: ${name}. Contains the following character: ${JSON.stringify(c)}`);
  }
}
const retention = l.input('retention-days');
if (retention && !/^\d+$/.test(retention)) l.fail(`Invalid retention, input must be a number: ${retention}`);
const hidden = l.bool('include-hidden-files');

const ws = l.workspace();
// Each search path's root: a directory as given, a file's directory, or a glob's part before
// its first wildcard (up to the last `/`).
const searchRoots = patterns.filter((p) => !p.startsWith('!')).map((p) => {
  const abs = (path.isAbsolute(p) ? p : path.join(ws, p)).replace(/\/+$/, '');
  const cut = abs.search(/[*?[]/);
  if (cut >= 0) return abs.slice(0, abs.lastIndexOf('/', cut)) || '/';
  return fs.existsSync(abs) && !fs.statSync(abs).isDirectory() ? path.dirname(abs) : abs;
});
let files = l.expand(patterns);
if (!hidden) {
  files = files.filter((f) => !path.relative(ws, f).split(path.sep).some((c) => c.startsWith('.') && c !== '..' && c !== '.'));
}
if (!files.length) {
  const msg = `No files were found with the provided path: ${patterns.join('\n')}. No artifacts will be uploaded.`;
  if (ifNone === 'error') l.fail(msg);
  if (ifNone === 'warn') l.warning(msg);
  else l.info(msg);
  process.exit(0);
}
// The least common ancestor of the search roots.
const split = searchRoots.map((r) => r.split('/'));
let common = split[0];
for (const s of split.slice(1)) {
  let i = 0;
  while (i < common.length && i < s.length && common[i] === s[i]) i++;
  common = common.slice(0, i);
}
const root = common.join('/') || '/';
const dest = path.join(l.stateDir('artifacts'), name);
if (fs.existsSync(dest)) {
  if (!l.bool('overwrite')) {
    l.fail('Failed to CreateArtifact: Received non-retryable error: Failed request: (409) Conflict: an artifact with this name already exists on the workflow run');
  }
  fs.rmSync(dest, { recursive: true, force: true });
}
for (const f of files) {
  const rel = path.relative(root, f);
  fs.mkdirSync(path.dirname(path.join(dest, rel)), { recursive: true });
  fs.copyFileSync(f, path.join(dest, rel));
}
l.info(`With the provided path, there will be ${files.length} files uploaded`);
l.info(`Artifact ${name} has been successfully uploaded! Final size is ${files.reduce((n, f) => n + fs.statSync(f).size, 0)} bytes.`);
l.output('artifact-id', String(Math.abs(name.split('').reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, 7))));
l.output('artifact-url', `${process.env.GITHUB_SERVER_URL || 'https://github.com'}/${process.env.GITHUB_REPOSITORY || 'owner/repo'}/actions/runs/${process.env.GITHUB_RUN_ID || '1'}/artifacts/1`);
l.output('artifact-digest', '');
