import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';

const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8'));

// VS Code disables an extension with a `main` in Restricted Mode unless it
// declares untrustedWorkspaces support. Extensions loaded in development mode
// (as the e2e test loads CharLens) are exempt, so the e2e cannot see this.
test('the manifest declares limited support for untrusted workspaces, restricting real settings', () => {
  const untrusted = manifest.capabilities?.untrustedWorkspaces;
  assert.equal(untrusted?.supported, 'limited');
  assert.match(untrusted.description, /Restricted Mode.*trusted workspace/s);
  const settings = Object.keys(manifest.contributes.configuration.properties);
  assert.ok(untrusted.restrictedConfigurations.length > 0);
  for (const key of untrusted.restrictedConfigurations) assert.ok(settings.includes(key), `${key} is a CharLens setting`);
});
