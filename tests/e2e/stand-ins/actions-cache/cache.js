// Stand-in for actions/cache (restore, save, and the combined action with its post step).
// Entries live under $SLIPWAY_E2E_STATE/cache, scoped like the hosted cache: an entry is
// found only with the same `path` list; exact key first, then each restore key as a prefix
// (newest first). Saving a key that exists is a warning, as it is on GitHub; saving nothing
// is a warning too.
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const l = require('./lib.js');

function version(paths) {
  return crypto.createHash('sha256').update(paths.join('|')).digest('hex').slice(0, 16);
}

function entries(paths) {
  const dir = l.stateDir('cache');
  const v = version(paths);
  return fs.readdirSync(dir)
    .map((e) => path.join(dir, e, 'meta.json'))
    .filter((m) => fs.existsSync(m))
    .map((m) => ({ ...JSON.parse(fs.readFileSync(m, 'utf8')), dir: path.dirname(m) }))
    .filter((e) => e.version === v)
    .sort((a, b) => b.created - a.created);
}

function restore({ lookupOnly = false } = {}) {
  const key = l.input('key', { required: true });
  const paths = l.lines('path');
  if (!paths.length) l.fail('Input required and not supplied: path');
  const restoreKeys = l.lines('restore-keys');
  if (key.includes(',') || key.length > 512) l.fail(`Key Validation Error: ${key} cannot contain commas.`);
  const all = entries(paths);
  let hit = all.find((e) => e.key === key);
  if (!hit) {
    for (const prefix of restoreKeys) {
      hit = all.find((e) => e.key.startsWith(prefix));
      if (hit) break;
    }
  }
  l.output('cache-primary-key', key);
  l.saveState('CACHE_KEY', key);
  if (!hit) {
    l.output('cache-hit', 'false');
    if (l.bool('fail-on-cache-miss')) {
      l.fail(`Failed to restore cache entry. Exiting as fail-on-cache-miss is set. Input key: ${key}`);
    }
    l.info(`Cache not found for input keys: ${[key, ...restoreKeys].join(', ')}`);
    return false;
  }
  if (!lookupOnly) {
    // Paths in the workspace are kept relative to it (each job's workspace is the same place on
    // a hosted runner, a different one per job under act); others as absolute paths.
    for (const [tar, dir] of [['workspace.tar', l.workspace()], ['absolute.tar', '/']]) {
      const f = path.join(hit.dir, tar);
      if (fs.existsSync(f)) l.sh('tar', ['-xf', f, '-C', dir]);
    }
  }
  l.saveState('CACHE_RESULT', hit.key);
  l.output('cache-matched-key', hit.key);
  l.output('cache-hit', String(hit.key === key));
  l.info(`Cache restored from key: ${hit.key}`);
  return hit.key === key;
}

function save(key) {
  const paths = l.lines('path');
  if (!key) l.fail('Input required and not supplied: key');
  if (!paths.length) l.fail('Input required and not supplied: path');
  const files = l.expand(paths);
  if (!files.length) {
    l.warning('Path Validation Error: Path(s) specified in the action for caching do(es) not exist, hence no cache is being saved.');
    return;
  }
  if (entries(paths).some((e) => e.key === key)) {
    l.warning(`Failed to save: Unable to reserve cache with key ${key}, another job may be creating this cache.`);
    return;
  }
  const dir = path.join(l.stateDir('cache'), crypto.createHash('sha256').update(key + version(paths)).digest('hex'));
  fs.mkdirSync(dir, { recursive: true });
  const ws = l.workspace();
  const inWs = files.filter((f) => f.startsWith(`${ws}/`));
  const outside = files.filter((f) => !f.startsWith(`${ws}/`));
  for (const [tar, base, group] of [['workspace.tar', ws, inWs], ['absolute.tar', '/', outside]]) {
    if (!group.length) continue;
    const list = path.join(dir, `${tar}.files`);
    fs.writeFileSync(list, group.map((f) => path.relative(base, f)).join('\n') + '\n');
    l.sh('tar', ['-cf', path.join(dir, tar), '-C', base, '-T', list]);
  }
  fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ key, version: version(paths), created: Date.now() }));
  l.info(`Cache saved with key: ${key}`);
}

module.exports = { restore, save };

