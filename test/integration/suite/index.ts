/// <reference types="mocha" />
// Entry point that VS Code loads in the extension host (extensionTestsPath):
// runs every *.test.js beside it with mocha and reports failures through the
// returned promise, which VS Code turns into its exit code.
// CHARLENS_TEST_GREP=<text or regexp> runs only the matching tests.
import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({
    ui: 'tdd',
    color: !process.env.CI,
    timeout: Number(process.env.CHARLENS_MOCHA_TIMEOUT_MS) || 60_000,
    grep: process.env.CHARLENS_TEST_GREP || undefined,
  });
  const files = fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort();
  for (const f of files) mocha.addFile(path.join(__dirname, f));

  return new Promise((resolve, reject) => {
    try {
      mocha.run((failures) => {
        if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
        else resolve();
      });
    } catch (err) {
      reject(err);
    }
  });
}
