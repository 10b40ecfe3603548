'use strict';
require('../codeql.js').upload();
