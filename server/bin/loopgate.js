#!/usr/bin/env node

// Thin launcher so the bin works right after `npm install` (the compiled CLI lives in dist/).
require('../dist/cli/main.js')
  .runCli(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
