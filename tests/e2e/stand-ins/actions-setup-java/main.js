// Stand-in for actions/setup-java: a known distribution, and a JDK of the requested version
// installed here (/usr/lib/jvm).
'use strict';
const fs = require('fs');
const path = require('path');
const l = require('./lib.js');
const t = require('./tools.js');

const ws = l.workspace();
const distribution = l.input('distribution', { required: true });
const known = ['temurin', 'adopt', 'adopt-hotspot', 'adopt-openj9', 'zulu', 'liberica', 'microsoft', 'corretto', 'semeru', 'oracle', 'dragonwell', 'sapmachine', 'graalvm', 'jetbrains', 'kona', 'jdkfile'];
if (!known.includes(distribution)) l.fail(`No supported distribution was found for input ${distribution}`);
let spec = l.input('java-version');
const file = l.input('java-version-file');
if (!spec && file) {
  const p = path.join(ws, file);
  if (!fs.existsSync(p)) l.fail(`The specified java version file at: ${p} does not exist`);
  const text = fs.readFileSync(p, 'utf8');
  const m = /(?:^|\n)\s*(?:java\s+|java=)?(?:[a-z-]+-)?(\d+(?:\.\d+)*)/.exec(text);
  spec = m ? m[1] : '';
}
if (!spec) l.fail('java-version or java-version-file input expected');
const found = t.resolve('java', spec, {
  aliases: [],
  notFound: (s) => `Could not find satisfied version for SemVer '${s}'.`,
});
const cache = l.input('cache');
if (cache) {
  const pats = { maven: ['**/pom.xml'], gradle: ['**/*.gradle*', '**/gradle-wrapper.properties', 'buildSrc/**/Versions.kt', 'buildSrc/**/Dependencies.kt', 'gradle/*.versions.toml', '**/versions.properties'], sbt: ['**/*.sbt'] }[cache];
  if (!pats) l.fail(`Caching for '${cache}' is not supported`);
  if (!l.expand(pats).length) l.fail(`No file in ${ws} matched to [${pats.join(',')}], make sure you have checked out the target repository`);
}
const major = found.version.split('.')[0];
l.exportVar('JAVA_HOME', found.root);
l.exportVar(`JAVA_HOME_${major}_X64`, found.root);
l.addPath(found.bin);
l.info(`Java ${found.version} (${distribution}) from ${found.root}`);
l.output('distribution', distribution);
l.output('version', found.version);
l.output('path', found.root);
l.output('cache-hit', 'false');
