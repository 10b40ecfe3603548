'use strict';
require('../codeql.js').analyze();
