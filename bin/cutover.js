#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx: no build step between a checkout and a migration.
require('tsx/cjs/api').register();
require('../src/cli/main.ts');
