// Rewrites README.md's command-line option tables from the definitions that
// parse the options (src/cli/commandSpecs.ts), compiled by `tsc -p .`:
//   npm run readme:options
// test/unit/cli.test.ts fails while a table differs from its definitions.
import { createRequire } from 'module';
import * as path from 'path';
import { rewriteReadme, root } from './readme-sections.mjs';

const require = createRequire(import.meta.url);
const { COMMANDS } = require(path.join(root, 'out', 'src', 'cli', 'commandSpecs.js'));
const { optionTable } = require(path.join(root, 'out', 'src', 'cli', 'help.js'));
rewriteReadme(Object.fromEntries(COMMANDS.map((c) => [`options:${c.name}`, optionTable(c)])));
