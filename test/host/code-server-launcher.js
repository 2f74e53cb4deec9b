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

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const util = require('node:util');

const REPO = path.resolve(__dirname, '..', '..');
const HOST_DIR = path.join(REPO, '.vscode-test');
const NODE = path.join(HOST_DIR, 'node', 'bin', 'node'); // the Node code-server needs, linked by setup.sh
const CODE_SERVER = path.join(HOST_DIR, 'code-server', 'node_modules', 'code-server');
const CHROMIUM = process.env.CHARLENS_CHROMIUM || '/usr/bin/chromium';
const RESULTS_DIR = path.join(REPO, 'test-results');
const TIMEOUT_MS = Number(process.env.CHARLENS_TEST_TIMEOUT_MS) || 10 * 60 * 1000;
const VERBOSE = process.env.CHARLENS_TEST_VERBOSE === '1';

// Flags of the VS Code CLI that take a value, when given as `--flag value`.
const VALUE_FLAGS = new Set(['extensionDevelopmentPath', 'extensionTestsPath', 'user-data-dir', 'extensions-dir']);

// Routine output of the workbench and server on an offline machine. In test
// mode VS Code sends the extension host's console to the same log as the
// workbench's own messages, so the test output cannot be picked out by source;
// instead these known-harmless lines are left out of stdout (not of the log file).
const NOISE = [
  /^\[(AgentHost\w*|ChatModelSelection|AccountPolicyGate)[\]:]/,
  /^\[\d\d:\d\d:\d\d\] (\[AgentHostChannel\]|ServerAgentHostManager|\[127\.0\.0\.1\]\[\w+\]\[ManagementConnection\])/,
  /^\[\d\d:\d\d:\d\d\]\s*$|\[reconnection-grace-time\]/,
  /^\[IPC Library: Agent Host\]/,
  /open-vsx\.org|ERR_NAME_NOT_RESOLVED|ENOTFOUND|authentication provider 'github'/, // unreachable services
  /vsda/, // a Microsoft-only module code-server does not ship
  /^(Resolving|Resolved) connection token|^Creating a socket|^Creation of workbench contribution/,
  /^Canceled: Canceled/, // requests cut off when the extension host exits
];
// Frames inside the minified workbench say nothing useful about a test.
const WORKBENCH_FRAME = /^\s+at .*\/static\/out\/vs\/.*$\n?/gm;

let logFile;
let shuttingDown = false; // what code-server and Chromium say while being stopped is noise too
function emit(line, { always = false } = {}) {
  if (logFile?.writable) logFile.write(line + '\n');
  if (always || VERBOSE) return console.log(line);
  const text = line.replace(/^\[[\w:-]+\] /, ''); // the source tag
  if (shuttingDown || NOISE.some((re) => re.test(text))) return;
  console.log(line.replace(WORKBENCH_FRAME, '').trimEnd());
}
const log = (msg) => emit(`[code-server-launcher] ${msg}`, { always: true });

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

function forwardLines(stream, tag) {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop();
    for (const line of lines) if (line.trim()) emit(`${tag} ${line}`);
  });
  stream.on('end', () => { if (pending.trim()) emit(`${tag} ${pending}`); });
}

// VS Code logs to the browser console as console.log('%c INFO', 'color: #33f',
// message, ...args); the extension host's console calls (mocha's reporter
// among them) arrive the same way. Drop the styling, apply the format string.
async function formatConsoleMessage(msg) {
  try {
    let values = await Promise.all(msg.args().map((a) => a.jsonValue()));
    if (typeof values[0] === 'string' && /^%c\s*\w+$/.test(values[0])) values = values.slice(2);
    if (values.length > 0) return util.format(...values);
  } catch { /* page gone or a value that does not serialize */ }
  // e.g. "Failed to load resource: ... 404": the URL is only in the location.
  const { url } = msg.location();
  return url && msg.args().length === 0 ? `${msg.text()} (${url})` : msg.text();
}

function isAlive(pid) {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

// code-server and Chromium each lead their own process group (both are spawned
// detached), so one signal to -pid also reaches what they fork: extension
// host, pty host, file watcher, agent host; renderers, GPU and zygote processes.
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
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  logFile = fs.createWriteStream(path.join(RESULTS_DIR, 'code-server-launcher.log'));

  // HOME, XDG dirs and TMPDIR of their own: code-server writes its config and
  // state under HOME, and VS Code leaves sockets in TMPDIR. Kept under a short
  // temp dir: unix socket paths are limited to 107 bytes and VS Code's socket
  // names (vscode-ipc-<uuid>.sock) take 52 of them.
  const tmpBase = os.tmpdir().length <= 40 ? os.tmpdir() : '/tmp';
  const scratch = fs.mkdtempSync(path.join(tmpBase, 'charlens-vscode-'));
  const dirs = {};
  for (const d of ['home', 'config', 'data', 'cache', 'state', 'tmp']) {
    dirs[d] = path.join(scratch, d);
    fs.mkdirSync(dirs[d]);
  }
  const isolatedEnv = {
    HOME: dirs.home,
    XDG_CONFIG_HOME: dirs.config,
    XDG_DATA_HOME: dirs.data,
    XDG_CACHE_HOME: dirs.cache,
    XDG_STATE_HOME: dirs.state,
    TMPDIR: dirs.tmp,
  };
  // Playwright makes Chromium's fresh profile (--user-data-dir) under os.tmpdir().
  process.env.TMPDIR = dirs.tmp;

  let server; // code-server's ChildProcess
  let browserServer; // Playwright's handle on the Chromium process
  let browser;
  let exitCode = 1;
  let interrupted = false;
  let stopped; // one shutdown, awaited by both the normal path and signal handlers
  const cleanup = () => (stopped ??= stopAll());
  const stopAll = async () => {
    shuttingDown = true;
    const browserPid = browserServer?.process().pid;
    await Promise.race([
      (async () => { await browser?.close(); await browserServer?.close(); })().catch(() => {}),
      new Promise((r) => setTimeout(r, 5000)),
    ]);
    await stopProcessGroup(browserPid);
    await stopProcessGroup(server?.pid);
    if (process.env.CHARLENS_KEEP_SCRATCH) log(`scratch kept: ${scratch}`);
    else {
      try { fs.rmSync(scratch, { recursive: true, force: true, maxRetries: 3 }); } catch (err) { log(`could not remove ${scratch}: ${err.message}`); }
    }
    await new Promise((r) => logFile.end(r));
  };
  // runTests forwards Ctrl+C as SIGINT; CI may send SIGTERM.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      log(`received ${sig}, shutting down`);
      interrupted = true;
      cleanup().finally(() => process.exit(130));
    });
  }

  try {
    const { chromium } = require('playwright-core');
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
      '--user-data-dir', opts['user-data-dir'] || path.join(scratch, 'user-data'),
      '--extensions-dir', opts['extensions-dir'] || path.join(scratch, 'extensions'),
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
    forwardLines(server.stdout, '[code-server]');
    forwardLines(server.stderr, '[code-server]');
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

    // launchServer rather than launch: it exposes the browser's PID, which the
    // cleanup needs if closing it politely hangs.
    browserServer = await chromium.launchServer({
      executablePath: CHROMIUM,
      headless: true,
      // Our own handlers stop everything; Playwright's would exit before that.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      env: { ...process.env, ...isolatedEnv },
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    browser = await chromium.connect(browserServer.wsEndpoint());
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });

    let resolveExit;
    const testsDone = new Promise((r) => { resolveExit = r; });
    // Called by the workbench when the extension host running the tests exits.
    await page.exposeFunction('codeAutomationExit', (code) => resolveExit(Number(code)));
    let consoleQueue = Promise.resolve(); // formatting is async; keep the messages in order
    page.on('console', (msg) => {
      consoleQueue = consoleQueue.then(async () => emit(`[browser:${msg.type()}] ${await formatConsoleMessage(msg)}`));
    });
    page.on('pageerror', (err) => emit(`[browser:pageerror] ${err.message}`));
    const failed = new Promise((_, reject) => {
      page.on('crash', () => reject(new Error('the browser page crashed')));
      server.once('exit', (code, sig) => reject(new Error(`code-server exited during the run (code ${code}, signal ${sig})`)));
      setTimeout(() => reject(new Error(`tests did not finish within ${TIMEOUT_MS} ms (CHARLENS_TEST_TIMEOUT_MS)`)),
        deadline - Date.now()).unref();
    });
    failed.catch(() => {}); // may still fire during shutdown, after the race is decided

    log(`opening ${origin} with the test payload${opts.positional[0] ? ` and folder ${opts.positional[0]}` : ''}`);
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    try {
      exitCode = await Promise.race([testsDone, failed]);
      await Promise.race([consoleQueue, new Promise((r) => setTimeout(r, 2000))]);
      log(`tests finished with exit code ${exitCode}`);
    } catch (err) {
      log(`ERROR: ${err.message}`);
      exitCode = 1;
    }
    if (exitCode !== 0) {
      const shot = path.join(RESULTS_DIR, `vscode-failure-${new Date().toISOString().replace(/[:.]/g, '-')}.png`);
      await page.screenshot({ path: shot, timeout: 10_000 })
        .then(() => log(`screenshot: ${path.relative(process.cwd(), shot)}`))
        .catch((err) => log(`no screenshot: ${err.message}`));
    }
  } catch (err) {
    if (!interrupted) log(`ERROR: ${err.message}`);
    exitCode = 1;
  } finally {
    await cleanup();
  }
  return interrupted ? 130 : exitCode;
}

main().then(
  (code) => process.exit(code),
  (err) => { log(`ERROR: ${err.message}`); process.exit(1); },
);
