// A real VS Code workbench for tests: code-server (installed by setup.sh)
// served to headless Chromium driven by Playwright, with CharLens loaded in
// development mode from the page URL's payload. Shared by the integration
// test launcher (code-server-launcher.js) and the end-to-end tests (test/e2e).
// Background: /work/shared/notes/vscode-host.md.
//
// Everything a run starts or writes is its own: a scratch folder with HOME,
// XDG dirs, TMPDIR and browser profile, a free port, and process groups that
// close() stops by PID, whatever state the run was left in.
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
// Taken before start() points TMPDIR into a run's own scratch folder, which
// close() removes: a second workbench in the same process starts from here.
const TMP_BASE = os.tmpdir();

// Routine output of the workbench and server on an offline machine. VS Code
// sends the extension host's console to the same log as the workbench's own
// messages, so what a test prints cannot be picked out by source; instead
// these known-harmless lines are left out of stdout (not of the log file).
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

/**
 * Every line goes to `logPath` in full; stdout gets `[name]` lines always and
 * the rest unless it is noise (VERBOSE shows all). After quiet(), what the
 * processes say while being stopped is left out of stdout too.
 */
function createLogger({ name, logPath, verbose = process.env.CHARLENS_TEST_VERBOSE === '1' }) {
  fs.mkdirSync(path.dirname(logPath), { recursive: true });
  const file = fs.createWriteStream(logPath);
  let quiet = false;
  const emit = (line, { always = false } = {}) => {
    if (file.writable) file.write(line + '\n');
    if (always || verbose) return console.log(line);
    const text = line.replace(/^\[[\w:-]+\] /, ''); // the source tag
    if (quiet || NOISE.some((re) => re.test(text))) return;
    console.log(line.replace(WORKBENCH_FRAME, '').trimEnd());
  };
  return {
    logPath,
    emit,
    log: (msg) => emit(`[${name}] ${msg}`, { always: true }),
    quiet: () => { quiet = true; },
    close: () => new Promise((r) => (file.writable ? file.end(r) : r())),
  };
}

function forwardLines(stream, tag, logger) {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop();
    for (const line of lines) if (line.trim()) logger.emit(`${tag} ${line}`);
  });
  stream.on('end', () => { if (pending.trim()) logger.emit(`${tag} ${pending}`); });
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
  // Killed members linger as zombies until init reaps them; wait (bounded) so
  // that nothing of the run shows in `ps` once this resolves.
  const groupExists = () => { try { process.kill(-pid, 0); return true; } catch { return false; } };
  for (let i = 0; i < 50 && groupExists(); i++) await new Promise((r) => setTimeout(r, 100));
}

// Chromium's crashpad handlers daemonize into process groups of their own, out
// of reach of stopProcessGroup. They exit once the browser is gone, but only
// eventually; they are found by this run's scratch folder, which their
// command line names (--database under XDG_CONFIG_HOME).
async function stopProcessesNaming(dir) {
  const needle = Buffer.from(dir + path.sep);
  const pids = [];
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (!pid || pid === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`).includes(needle)) pids.push(pid);
    } catch { /* exited meanwhile, or not ours to read */ }
  }
  for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ } }
  // Until reaped they linger as zombies; wait (bounded) so `ps` shows none afterwards.
  for (let i = 0; i < 50 && pids.some((pid) => fs.existsSync(`/proc/${pid}`)); i++) await new Promise((r) => setTimeout(r, 100));
}

function checkHostInstalled() {
  for (const [what, p] of [['Node', NODE], ['code-server', CODE_SERVER], ['Chromium', CHROMIUM]]) {
    if (!fs.existsSync(p)) throw new Error(`${what} not found at ${p}; run: bash test/host/setup.sh`);
  }
}

/**
 * One code-server + Chromium page. Construct it first and hook close() to
 * signals, then start(): close() stops whatever start() got to, even midway.
 */
class Workbench {
  /**
   * @param {object} o
   * @param {ReturnType<typeof createLogger>} o.logger
   * @param {string[]} [o.extensionDevelopmentPath] absolute paths, loaded in development mode
   * @param {string} [o.extensionTestsPath] absolute path of a test module to run in the extension host
   * @param {string} [o.folder] workspace folder to open
   * @param {string} [o.userDataDir] default: fresh, in the scratch folder
   * @param {string} [o.extensionsDir] default: fresh, in the scratch folder
   * @param {object} [o.userSettings] written to the profile's settings.json before the start
   * @param {boolean} [o.workspaceTrust] keep VS Code's workspace trust on (default off, as @vscode/test-electron runs it)
   * @param {NodeJS.ProcessEnv} [o.env] environment for code-server and so the extension host (default: ours)
   * @param {(page: import('playwright-core').Page) => Promise<void>} [o.beforeOpen] runs before the page loads
   * @param {number} [o.deadline] Date.now()-based time by which `failed` rejects
   * @param {string} [o.deadlineMessage] its error message
   */
  constructor(o) {
    this.o = o;
    this.logger = o.logger;
    this.scratch = undefined;
    this.server = undefined; // code-server's ChildProcess
    this.browserServer = undefined; // Playwright's handle on the Chromium process
    this.browser = undefined;
    this.page = undefined;
    this.origin = undefined;
    // Rejects when the run can no longer succeed: page crash, server exit, deadline.
    this.failed = new Promise((_, reject) => { this.fail = reject; });
    this.failed.catch(() => {}); // may still fire during shutdown, after a race is decided
    this.consoleQueue = Promise.resolve(); // formatting is async; keep the messages in order
    this.closed = undefined;
  }

  async start() {
    const { logger } = this;
    if (this.closed) throw new Error('the workbench was closed before it started');
    checkHostInstalled();
    // HOME, XDG dirs and TMPDIR of their own: code-server writes its config and
    // state under HOME, and VS Code leaves sockets in TMPDIR. Kept under a short
    // temp dir: unix socket paths are limited to 107 bytes and VS Code's socket
    // names (vscode-ipc-<uuid>.sock) take 52 of them.
    const tmpBase = TMP_BASE.length <= 40 ? TMP_BASE : '/tmp';
    this.scratch = fs.mkdtempSync(path.join(tmpBase, 'charlens-vscode-'));
    const dirs = {};
    for (const d of ['home', 'config', 'data', 'cache', 'state', 'tmp']) {
      dirs[d] = path.join(this.scratch, d);
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

    const userDataDir = this.o.userDataDir || path.join(this.scratch, 'user-data');
    if (this.o.userSettings) {
      fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
      fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(this.o.userSettings, null, 2));
    }

    const { chromium } = require('playwright-core');
    const port = await freePort();
    this.origin = `http://127.0.0.1:${port}`;
    const csArgs = [
      CODE_SERVER,
      '--bind-addr', `127.0.0.1:${port}`,
      '--auth', 'none',
      '--config', path.join(dirs.config, 'code-server.yaml'), // never the user's CODE_SERVER_CONFIG
      '--disable-telemetry',
      '--disable-update-check',
      ...(this.o.workspaceTrust ? [] : ['--disable-workspace-trust']),
      '--disable-getting-started-override',
      '--ignore-last-opened',
      '--user-data-dir', userDataDir,
      '--extensions-dir', this.o.extensionsDir || path.join(this.scratch, 'extensions'),
      // Lets the workbench take extensionDevelopmentPath/extensionTestsPath from the URL's payload.
      '--vscode-option', 'enable-smoke-test-driver',
    ];
    // The extension host inherits code-server's environment, minus what would
    // make code-server talk to a VS Code this process may be running inside.
    const env = { ...(this.o.env || process.env), ...isolatedEnv };
    for (const k of Object.keys(env)) if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE') delete env[k];

    logger.log(`starting code-server on ${this.origin}`);
    this.server = spawn(NODE, csArgs, { env, cwd: dirs.home, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    forwardLines(this.server.stdout, '[code-server]', logger);
    forwardLines(this.server.stderr, '[code-server]', logger);
    this.server.once('exit', (code, sig) => this.fail(new Error(`code-server exited during the run (code ${code}, signal ${sig})`)));
    const deadline = this.o.deadline ?? Infinity;
    if (Number.isFinite(deadline)) {
      setTimeout(() => this.fail(new Error(this.o.deadlineMessage || 'the run did not finish in time')), deadline - Date.now()).unref();
    }
    await waitForListen(port, this.server, Math.min(deadline, Date.now() + 60_000));

    // launchServer rather than launch: it exposes the browser's PID, which the
    // cleanup needs if closing it politely hangs.
    this.browserServer = await chromium.launchServer({
      executablePath: CHROMIUM,
      headless: true,
      // The caller's signal handlers stop everything; Playwright's would exit before that.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      env: { ...process.env, ...isolatedEnv },
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    // A signal while Chromium started: close() has run without seeing it.
    if (this.closed) {
      await stopProcessGroup(this.browserServer.process().pid);
      throw new Error('the workbench was closed while it started');
    }
    this.browser = await chromium.connect(this.browserServer.wsEndpoint());
    const page = await this.browser.newPage({ viewport: { width: 1280, height: 800 } });
    this.page = page;
    page.on('console', (msg) => {
      this.consoleQueue = this.consoleQueue.then(async () => logger.emit(`[browser:${msg.type()}] ${await formatConsoleMessage(msg)}`));
    });
    page.on('pageerror', (err) => logger.emit(`[browser:pageerror] ${err.message}`));
    page.on('crash', () => this.fail(new Error('the browser page crashed')));
    if (this.o.beforeOpen) await this.o.beforeOpen(page);

    const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
    const payload = (this.o.extensionDevelopmentPath || []).map((p) => ['extensionDevelopmentPath', remote(p)]);
    if (this.o.extensionTestsPath) payload.push(['extensionTestsPath', remote(this.o.extensionTestsPath)]);
    const query = new URLSearchParams({ payload: JSON.stringify(payload) });
    if (this.o.folder) query.set('folder', this.o.folder);
    logger.log(`opening ${this.origin}${this.o.folder ? ` with folder ${this.o.folder}` : ''}`);
    await page.goto(`${this.origin}/?${query}`, { waitUntil: 'domcontentloaded' });
    return page;
  }

  /** Waits (bounded) for console messages still being formatted. */
  flushConsole(ms = 2000) {
    return Promise.race([this.consoleQueue, new Promise((r) => setTimeout(r, ms))]);
  }

  /** Screenshot into test-results/; resolves to its path, or undefined (logged) when there is no page to shoot. */
  async screenshot(name) {
    if (!this.page) return undefined;
    const file = path.join(RESULTS_DIR, name);
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    try {
      await this.page.screenshot({ path: file, timeout: 10_000 });
      this.logger.log(`screenshot: ${path.relative(process.cwd(), file)}`);
      return file;
    } catch (err) {
      this.logger.log(`no screenshot: ${err.message}`);
      return undefined;
    }
  }

  /** Stops Chromium and code-server (process groups, by PID) and removes the scratch folder. Idempotent. */
  close() {
    this.closed ??= (async () => {
      this.logger.quiet();
      const browserPid = this.browserServer?.process().pid;
      await Promise.race([
        (async () => { await this.browser?.close(); await this.browserServer?.close(); })().catch(() => {}),
        new Promise((r) => setTimeout(r, 5000)),
      ]);
      await stopProcessGroup(browserPid);
      await stopProcessGroup(this.server?.pid);
      if (!this.scratch) return;
      await stopProcessesNaming(this.scratch);
      if (process.env.CHARLENS_KEEP_SCRATCH) this.logger.log(`scratch kept: ${this.scratch}`);
      else {
        try { fs.rmSync(this.scratch, { recursive: true, force: true, maxRetries: 3 }); } catch (err) { this.logger.log(`could not remove ${this.scratch}: ${err.message}`); }
      }
    })();
    return this.closed;
  }
}

/**
 * On SIGINT (runTests forwards Ctrl+C), SIGTERM or SIGHUP (CI): run `cleanup`
 * once, then exit 130. Returns a function that says whether a signal came.
 */
function exitOnSignals(cleanup, logger) {
  let interrupted = false;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      logger.log(`received ${sig}, shutting down`);
      interrupted = true;
      Promise.resolve().then(cleanup).finally(() => process.exit(130));
    });
  }
  return () => interrupted;
}

module.exports = {
  REPO,
  RESULTS_DIR,
  Workbench,
  createLogger,
  exitOnSignals,
  freePort,
  stopProcessGroup,
};
