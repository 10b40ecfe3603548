'use strict';
const c = require('../cache.js');
const l = require('../lib.js');
c.restore({ lookupOnly: l.bool('lookup-only') });
