// Runs the integration suite (test/integration/suite) inside a real VS Code
// extension host. With internet, @vscode/test-electron downloads VS Code as
// usual. Where Microsoft's download hosts are unreachable (our CI), the same
// runTests call starts code-server instead, through test/host/code-server-launcher.js
// (installed by `bash test/host/setup.sh`).
//
// CHARLENS_VSCODE=code-server | download forces a choice; otherwise
// code-server is used when it is installed or when CI is set.
import * as fs from 'fs';
import * as path from 'path';
import { runTests } from '@vscode/test-electron';

const root = path.resolve(__dirname, '..', '..', '..'); // out/test/integration -> repo root
const launcher = path.join(root, 'test', 'host', 'code-server-launcher.js');
const codeServerDir = path.join(root, '.vscode-test', 'code-server');

function useCodeServer(): boolean {
  const choice = process.env.CHARLENS_VSCODE;
  if (choice === 'code-server') return true;
  if (choice === 'download') return false;
  if (choice) throw new Error(`CHARLENS_VSCODE must be 'code-server' or 'download', not '${choice}'`);
  return fs.existsSync(codeServerDir) || !!process.env.CI;
}

async function main(): Promise<void> {
  const codeServer = useCodeServer();
  if (codeServer && !fs.existsSync(codeServerDir)) throw new Error('code-server is not installed; run: bash test/host/setup.sh');
  console.log(`Integration tests in ${codeServer ? 'code-server (test/host/code-server-launcher.js)' : 'VS Code from @vscode/test-electron'}`);
  await runTests({
    vscodeExecutablePath: codeServer ? launcher : undefined,
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(__dirname, 'suite', 'index.js'),
    launchArgs: [path.join(root, 'test', 'fixtures', 'workspace'), '--disable-extensions'],
    // The suite checks that this reaches the extension host.
    extensionTestsEnv: { CHARLENS_INTEGRATION_TEST: '1' },
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`Integration tests failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
