// `npm run package [-- --target linux-x64 ...]`: one .vsix per platform
// (vsce's --target), each carrying only that platform's Dawn addon in
// dist/dawn/ (see esbuild.config.mjs). Without --target: every platform.
import { execFileSync } from 'node:child_process';

const ALL = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64'];
const args = process.argv.slice(2);
const targets = args.flatMap((a, i) => (args[i - 1] === '--target' ? a.split(',') : []));
for (const target of targets.length > 0 ? targets : ALL) {
  if (!ALL.includes(target)) throw new Error(`Unknown target ${target}; choose from ${ALL.join(', ')}`);
  const out = `charlens-${target}.vsix`;
  // vsce runs vscode:prepublish (the production build), which reads the target from the environment.
  execFileSync('npx', ['vsce', 'package', '--no-dependencies', '--allow-missing-repository', '--target', target, '--out', out], {
    stdio: 'inherit',
    env: { ...process.env, CHARLENS_DAWN_TARGET: target },
  });
  console.log(`${out}: CharLens for ${target}`);
}
// Leave dist/ built for this machine, as `npm run build` would.
execFileSync('node', ['esbuild.config.mjs'], { stdio: 'inherit' });
