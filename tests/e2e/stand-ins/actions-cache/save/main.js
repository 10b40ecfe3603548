'use strict';
const c = require('../cache.js');
const l = require('../lib.js');
c.save(l.input('key', { required: true }));
