// Runs the integration suite (test/integration/suite) inside a real VS Code
// extension host. With internet, @vscode/test-electron downloads VS Code as
// usual. Where Microsoft's download hosts are unreachable (our CI), the same
// runTests call starts code-server instead, through test/host/code-server-launcher.js
// (installed by `bash test/host/setup.sh`, which `npm test` runs first).
//
// CHARLENS_VSCODE=code-server | download forces a choice; otherwise CI uses
// code-server, and elsewhere a VS Code download is tried first.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { downloadAndUnzipVSCode, runTests } from '@vscode/test-electron';

const root = path.resolve(__dirname, '..', '..', '..'); // out/test/integration -> repo root
const launcher = path.join(root, 'test', 'host', 'code-server-launcher.js');
const codeServerDir = path.join(root, '.vscode-test', 'code-server');

/** The VS Code executable to test in: a downloaded VS Code, or the code-server launcher. */
async function vscodeExecutable(): Promise<string> {
  const choice = process.env.CHARLENS_VSCODE;
  if (choice && choice !== 'code-server' && choice !== 'download') {
    throw new Error(`CHARLENS_VSCODE must be 'code-server' or 'download', not '${choice}'`);
  }
  if (choice === 'download' || (!choice && !process.env.CI)) {
    try {
      return await downloadAndUnzipVSCode();
    } catch (err) {
      if (choice === 'download') throw err;
      console.log(`No VS Code download (${err instanceof Error ? err.message : String(err)}); using code-server.`);
    }
  }
  if (!fs.existsSync(codeServerDir)) throw new Error('code-server is not installed; run: bash test/host/setup.sh');
  return launcher;
}

async function main(): Promise<void> {
  const executable = await vscodeExecutable();
  console.log(`Integration tests in ${executable === launcher ? 'code-server (test/host/code-server-launcher.js)' : executable}`);
  // A fresh profile each run: a model trained by an earlier run must not answer in this one.
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'charlens-user-data-'));
  try {
    await runTests({
      vscodeExecutablePath: executable,
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(__dirname, 'suite', 'index.js'),
      launchArgs: [path.join(root, 'test', 'fixtures', 'workspace'), '--disable-extensions', `--user-data-dir=${userDataDir}`],
      // The suite checks that this reaches the extension host.
      extensionTestsEnv: { CHARLENS_INTEGRATION_TEST: '1' },
    });
  } finally {
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`Integration tests failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
