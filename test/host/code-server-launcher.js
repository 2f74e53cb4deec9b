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
// Environment: CHARLENS_TEST_TIMEOUT_MS (default 10 minutes),
//   CHARLENS_KEEP_SCRATCH=1 keeps the scratch folder (HOME, TMPDIR, browser profile).
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..', '..');
const HOST_DIR = path.join(REPO, '.vscode-test');
const NODE_VERSION = '24.21.0'; // keep in step with test/host/setup.sh
const NODE = path.join(HOST_DIR, `node-v${NODE_VERSION}`, 'bin', 'node');
const CODE_SERVER = path.join(HOST_DIR, 'code-server', 'node_modules', 'code-server');
const CHROMIUM = process.env.CHARLENS_CHROMIUM || '/usr/bin/chromium';
const RESULTS_DIR = path.join(REPO, 'test-results');
const TIMEOUT_MS = Number(process.env.CHARLENS_TEST_TIMEOUT_MS) || 10 * 60 * 1000;

// Flags of the VS Code CLI that take a value, when given as `--flag value`.
const VALUE_FLAGS = new Set(['extensionDevelopmentPath', 'extensionTestsPath', 'user-data-dir', 'extensions-dir']);

const log = (msg) => console.log(`[code-server-launcher] ${msg}`);

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

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForListen(port, server, deadline) {
  while (Date.now() < deadline) {
    if (server.exitCode !== null || server.signalCode !== null) {
      throw new Error(`code-server exited early (code ${server.exitCode}, signal ${server.signalCode})`);
    }
    const up = await new Promise((resolve) => {
      const sock = net.connect(port, '127.0.0.1', () => { sock.destroy(); resolve(true); });
      sock.on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`code-server did not listen on 127.0.0.1:${port} in time`);
}

// Prefix every line of a child's output so the test log says where it came from.
function forwardLines(stream, prefix) {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop();
    for (const line of lines) if (line.trim()) console.log(`${prefix}${line}`);
  });
  stream.on('end', () => { if (pending.trim()) console.log(`${prefix}${pending}`); });
}

function isAlive(pid) {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

// code-server and Chromium each lead their own process group (spawned
// detached), so one signal to -pid also reaches the extension host, pty host,
// file watcher, renderers and GPU process they fork.
async function stopProcessGroup(pid) {
  if (!pid) return;
  const signalGroup = (sig) => { try { process.kill(-pid, sig); } catch { /* already gone */ } };
  if (isAlive(pid)) {
    signalGroup('SIGTERM');
    for (let i = 0; i < 50 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  }
  signalGroup('SIGKILL'); // stragglers whose leader already exited
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  for (const [what, p] of [['Node', NODE], ['code-server', CODE_SERVER], ['Chromium', CHROMIUM]]) {
    if (!fs.existsSync(p)) throw new Error(`${what} not found at ${p}; run: bash test/host/setup.sh`);
  }
  const { chromium } = require('playwright-core');

  // HOME, XDG dirs and TMPDIR of their own: code-server writes its config and
  // state under HOME, and VS Code leaves sockets in TMPDIR. Kept under the
  // system temp dir because unix socket paths are limited to ~107 bytes.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'charlens-vscode-'));
  const dirs = {};
  for (const d of ['home', 'config', 'data', 'cache', 'state', 'tmp']) {
    dirs[d] = path.join(scratch, d);
    fs.mkdirSync(dirs[d]);
  }
  const userDataDir = opts['user-data-dir'] || path.join(scratch, 'user-data');
  const extensionsDir = opts['extensions-dir'] || path.join(scratch, 'extensions');
  const isolatedEnv = {
    HOME: dirs.home,
    XDG_CONFIG_HOME: dirs.config,
    XDG_DATA_HOME: dirs.data,
    XDG_CACHE_HOME: dirs.cache,
    XDG_STATE_HOME: dirs.state,
    TMPDIR: dirs.tmp,
  };
  // Playwright puts Chromium's fresh profile (--user-data-dir) under os.tmpdir().
  process.env.TMPDIR = dirs.tmp;

  let server;
  let browser;
  let exitCode = 1;
  let stopping = false;
  const cleanup = async () => {
    if (stopping) return;
    stopping = true;
    const browserPid = browser?.process()?.pid;
    await Promise.race([browser?.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
    await stopProcessGroup(browserPid);
    await stopProcessGroup(server?.pid);
    if (process.env.CHARLENS_KEEP_SCRATCH) log(`scratch kept: ${scratch}`);
    else fs.rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  };
  // runTests forwards Ctrl+C as SIGINT; CI may send SIGTERM.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      log(`received ${sig}, shutting down`);
      cleanup().finally(() => process.exit(130));
    });
  }

  try {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const csArgs = [
      CODE_SERVER,
      '--bind-addr', `127.0.0.1:${port}`,
      '--auth', 'none',
      '--config', path.join(dirs.config, 'code-server.yaml'), // never the user's CODE_SERVER_CONFIG
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      '--user-data-dir', userDataDir,
      '--extensions-dir', extensionsDir,
      // Lets the workbench take extensionDevelopmentPath/extensionTestsPath from the URL's payload.
      '--vscode-option', 'enable-smoke-test-driver',
    ];
    // The extension host inherits code-server's environment: pass ours (which
    // includes runTests' extensionTestsEnv) through, minus what would make
    // code-server talk to a VS Code this process may be running inside.
    const env = { ...process.env, ...isolatedEnv };
    for (const k of Object.keys(env)) if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE') delete env[k];

    log(`starting code-server on ${origin}`);
    server = spawn(NODE, csArgs, { env, cwd: dirs.home, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    forwardLines(server.stdout, '[code-server] ');
    forwardLines(server.stderr, '[code-server] ');
    const deadline = Date.now() + TIMEOUT_MS;
    await waitForListen(port, server, Math.min(deadline, Date.now() + 60_000));

    const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
    const payload = [
      ...opts.extensionDevelopmentPath.map((p) => ['extensionDevelopmentPath', remote(p)]),
      ['extensionTestsPath', remote(opts.extensionTestsPath)],
    ];
    const query = new URLSearchParams({ payload: JSON.stringify(payload) });
    if (opts.positional[0]) query.set('folder', path.resolve(opts.positional[0]));
    const url = `${origin}/?${query}`;

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      env: { ...process.env, ...isolatedEnv },
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });

    let resolveExit;
    const testsDone = new Promise((r) => { resolveExit = r; });
    // Called by the workbench when the extension host running the tests exits.
    await page.exposeFunction('codeAutomationExit', (code) => resolveExit(Number(code)));
    page.on('console', (msg) => console.log(`[browser:${msg.type()}] ${msg.text()}`));
    page.on('pageerror', (err) => console.log(`[browser:pageerror] ${err.message}`));
    const failed = new Promise((_, reject) => {
      page.on('crash', () => reject(new Error('the browser page crashed')));
      server.once('exit', (code, sig) => reject(new Error(`code-server exited during the run (code ${code}, signal ${sig})`)));
      setTimeout(() => reject(new Error(`tests did not finish within ${TIMEOUT_MS} ms (CHARLENS_TEST_TIMEOUT_MS)`)),
        deadline - Date.now()).unref();
    });
    failed.catch(() => {}); // may still fire during shutdown, after the race is decided

    log(`opening ${url}`);
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    try {
      exitCode = await Promise.race([testsDone, failed]);
      log(`tests finished with exit code ${exitCode}`);
    } catch (err) {
      log(`ERROR: ${err.message}`);
      exitCode = 1;
    }
    if (exitCode !== 0) {
      fs.mkdirSync(RESULTS_DIR, { recursive: true });
      const shot = path.join(RESULTS_DIR, `vscode-failure-${new Date().toISOString().replace(/[:.]/g, '-')}.png`);
      await page.screenshot({ path: shot, timeout: 10_000 })
        .then(() => log(`screenshot: ${path.relative(process.cwd(), shot)}`))
        .catch((err) => log(`no screenshot: ${err.message}`));
    }
  } catch (err) {
    log(`ERROR: ${err.message}`);
    exitCode = 1;
  } finally {
    await cleanup();
  }
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (err) => { log(`ERROR: ${err.message}`); process.exit(1); },
);
