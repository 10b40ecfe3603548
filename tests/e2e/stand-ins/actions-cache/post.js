'use strict';
const c = require('./cache.js');
const l = require('./lib.js');
const key = l.state('CACHE_KEY') || l.input('key');
if (l.state('CACHE_RESULT') === key) l.info(`Cache hit occurred on the primary key ${key}, not saving cache.`);
else if (l.bool('lookup-only')) l.info('Lookup only - skipping save');
else c.save(key);
