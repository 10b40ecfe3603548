// Stands in for actions that need a Docker engine or a download this machine cannot make
// (docker/*, aquasecurity/trivy-action): they fail, as the real ones would without an engine.
'use strict';
const l = require('./lib.js');
l.fail(`stand-in: ${process.env.GITHUB_ACTION_REPOSITORY || 'this action'} needs a Docker engine or a download, which this machine does not have`);
