// Stand-in for actions/setup-dotnet: the requested SDK must be installed here.
'use strict';
const fs = require('fs');
const path = require('path');
const l = require('./lib.js');
const t = require('./tools.js');

let specs = l.lines('dotnet-version');
const gj = l.input('global-json-file');
if (gj) {
  const p = path.join(l.workspace(), gj);
  if (!fs.existsSync(p)) l.fail(`The specified global.json file '${gj}' does not exist`);
  specs.push(JSON.parse(fs.readFileSync(p, 'utf8')).sdk.version);
}
if (!specs.length) l.fail('dotnet-version or global-json-file input expected');
for (const spec of specs) {
  const found = t.resolve('dotnet', spec.replace(/\.x$/, ''), {
    aliases: [],
    notFound: (s) => `Failed to install dotnet ${s}.\nstand-in: no .NET SDK is installed on this machine`,
  });
  l.addPath(found.bin);
  l.output('dotnet-version', found.version);
}
