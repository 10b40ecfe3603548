// Stand-in for github/codeql-action (init, analyze, upload-sarif). CodeQL itself does not run
// on this machine: init checks the languages as CodeQL does and records them; analyze fails
// without init in the same job, as the real one does, and says plainly that nothing was
// analysed; upload-sarif checks that the file exists and is SARIF 2.1.0 with runs.
'use strict';
const fs = require('fs');
const path = require('path');
const l = require('./lib.js');

const LANGUAGES = ['actions', 'c-cpp', 'csharp', 'go', 'java-kotlin', 'javascript-typescript', 'python', 'ruby', 'rust', 'swift'];
const ALIASES = { c: 'c-cpp', cpp: 'c-cpp', 'c#': 'csharp', java: 'java-kotlin', kotlin: 'java-kotlin', javascript: 'javascript-typescript', typescript: 'javascript-typescript' };
const marker = () => path.join(process.env.RUNNER_TEMP || '/tmp', `codeql-init-${process.env.GITHUB_JOB || 'job'}`);

function init() {
  const langs = l.input('languages').split(/[\s,]+/).filter(Boolean).map((x) => ALIASES[x] || x);
  if (!langs.length) l.fail('Did not detect any languages to analyze. Please update input in workflow.');
  for (const x of langs) {
    if (!LANGUAGES.includes(x)) l.fail(`Did not recognize the following languages: ${x}`);
  }
  const mode = l.input('build-mode');
  if (mode && !['none', 'autobuild', 'manual'].includes(mode)) l.fail(`Invalid build mode: '${mode}'`);
  fs.writeFileSync(marker(), langs.join(','));
  l.info(`stand-in: CodeQL initialised for ${langs.join(', ')} (CodeQL itself does not run on this machine)`);
}

function analyze() {
  if (!fs.existsSync(marker())) l.fail('Config file could not be found at expected location. Has the \'init\' action been called?');
  l.info(`stand-in: nothing analysed for ${fs.readFileSync(marker(), 'utf8')}: CodeQL does not run on this machine`);
  l.output('sarif-output', '');
}

function upload() {
  const file = l.input('sarif_file', { required: true });
  const p = path.resolve(l.workspace(), file);
  if (!fs.existsSync(p)) l.fail(`Path does not exist: ${file}`);
  const files = fs.statSync(p).isDirectory() ? fs.readdirSync(p).filter((f) => f.endsWith('.sarif')).map((f) => path.join(p, f)) : [p];
  if (!files.length) l.fail(`No SARIF files found to upload in "${file}".`);
  for (const f of files) {
    let doc;
    try {
      doc = JSON.parse(fs.readFileSync(f, 'utf8'));
    } catch (e) {
      l.fail(`Invalid SARIF. JSON syntax error: ${e.message}`);
    }
    if (doc.version !== '2.1.0') l.fail(`Invalid SARIF. Unsupported version: ${doc.version}`);
    if (!Array.isArray(doc.runs)) l.fail('Invalid SARIF. Missing \'runs\' array.');
    for (const run of doc.runs) {
      if (!run.tool || !run.tool.driver || !run.tool.driver.name) l.fail('Invalid SARIF. run.tool.driver.name is required');
    }
    l.info(`stand-in: ${path.basename(f)} is valid SARIF 2.1.0 with ${doc.runs.length} run(s); not uploaded (no code scanning here)`);
  }
  l.output('sarif-id', 'stand-in');
}

module.exports = { init, analyze, upload };
