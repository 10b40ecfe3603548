'use strict';
require('../codeql.js').init();
