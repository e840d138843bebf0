#!/usr/bin/env node
// The crashlens command line: the bundled engine (built by `npm run build:cli`, run on `npm install`).
import '../dist-cli/main.mjs';
