// The module Zapier runs. Its CommonJS runtime wrapper (zapierwrapper.js, which `zapier-platform build`
// puts next to this file) requires index.js at the app's root, not the package's main (which the CLI's
// local commands load), and the CLI's file detection starts from here. Both reach dist/index.js, the
// bundle scripts/build.mjs makes.
module.exports = require('./dist/index.js');
