#!/usr/bin/env node
// Stands in for the VS Code executable that @vscode/test-electron's runTests
// spawns, on machines where VS Code cannot be downloaded. It runs the same
// extension tests in code-server (VS Code from the npm registry, installed by
// test/host/setup.sh) driven by headless Chromium, and exits with the test
// run's exit code. Background: /work/shared/notes/vscode-host.md.
//
// Usage (what runTests passes; unknown flags are ignored):
//   code-server-launcher.js --extensionDevelopmentPath=DIR --extensionTestsPath=FILE
//     [--user-data-dir=DIR] [--extensions-dir=DIR] [WORKSPACE_FOLDER]
// Environment:
//   CHARLENS_TEST_TIMEOUT_MS  whole run, default 10 minutes
//   CHARLENS_TEST_VERBOSE=1   also print the workbench's and server's routine chatter
//   CHARLENS_KEEP_SCRATCH=1   keep the scratch folder (HOME, TMPDIR, browser profile)
// The complete, unfiltered log of the last run is in test-results/code-server-launcher.log.
'use strict';

const path = require('node:path');
const { RESULTS_DIR, Workbench, createLogger, exitOnSignals } = require('./workbench');

const TIMEOUT_MS = Number(process.env.CHARLENS_TEST_TIMEOUT_MS) || 10 * 60 * 1000;

// Flags of the VS Code CLI that take a value, when given as `--flag value`.
const VALUE_FLAGS = new Set(['extensionDevelopmentPath', 'extensionTestsPath', 'user-data-dir', 'extensions-dir']);

let logger;
const log = (msg) => (logger ? logger.log(msg) : console.log(`[code-server-launcher] ${msg}`));

function parseArgs(argv) {
  const opts = { extensionDevelopmentPath: [], positional: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      opts.positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (!VALUE_FLAGS.has(name)) continue; // --no-sandbox, --disable-extensions, ...: meaningless here
    const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new Error(`${arg} needs a value`);
    if (name === 'extensionDevelopmentPath') opts.extensionDevelopmentPath.push(path.resolve(value));
    else opts[name] = path.resolve(value);
  }
  if (opts.extensionDevelopmentPath.length === 0) throw new Error('--extensionDevelopmentPath is required');
  if (!opts.extensionTestsPath) throw new Error('--extensionTestsPath is required');
  if (opts.positional.length > 1) throw new Error(`expected at most one workspace folder, got: ${opts.positional.join(' ')}`);
  return opts;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  logger = createLogger({ name: 'code-server-launcher', logPath: path.join(RESULTS_DIR, 'code-server-launcher.log') });
  const folder = opts.positional[0] && path.resolve(opts.positional[0]);
  let resolveExit;
  const testsDone = new Promise((r) => { resolveExit = r; });
  const workbench = new Workbench({
    logger,
    extensionDevelopmentPath: opts.extensionDevelopmentPath,
    extensionTestsPath: opts.extensionTestsPath,
    folder,
    userDataDir: opts['user-data-dir'],
    extensionsDir: opts['extensions-dir'],
    // Ours, which includes runTests' extensionTestsEnv, reaches the extension host.
    env: process.env,
    deadline: Date.now() + TIMEOUT_MS,
    deadlineMessage: `tests did not finish within ${TIMEOUT_MS} ms (CHARLENS_TEST_TIMEOUT_MS)`,
    // Called by the workbench when the extension host running the tests exits.
    beforeOpen: (page) => page.exposeFunction('codeAutomationExit', (code) => resolveExit(Number(code))),
  });
  const interrupted = exitOnSignals(() => workbench.close().then(logger.close), logger);

  let exitCode = 1;
  try {
    await workbench.start();
    try {
      exitCode = await Promise.race([testsDone, workbench.failed]);
      await workbench.flushConsole();
      log(`tests finished with exit code ${exitCode}`);
    } catch (err) {
      log(`ERROR: ${err.message}`);
      exitCode = 1;
    }
    if (exitCode !== 0) await workbench.screenshot(`vscode-failure-${new Date().toISOString().replace(/[:.]/g, '-')}.png`);
  } catch (err) {
    if (!interrupted()) log(`ERROR: ${err.message}`);
    exitCode = 1;
  } finally {
    await workbench.close();
    await logger.close();
  }
  return interrupted() ? 130 : exitCode;
}

main().then(
  (code) => process.exit(code),
  (err) => { log(`ERROR: ${err.message}`); process.exit(1); },
);
