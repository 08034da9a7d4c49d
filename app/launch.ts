/**
 * `npm start [-- --corpus DIR]`: builds the UI and the Electron bundles, then launches Electron. Where the Electron
 * binary is missing (installed with ELECTRON_SKIP_BINARY_DOWNLOAD=1, as on build machines), it says so and falls
 * back to `aunn serve`, printing the URL to open in a browser.
 *
 *   npm start -- --corpus ./corpus
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { buildElectron, ensureUiBuilt, REPO_ROOT } from '../src/server/build-ui.js';
import { corpusFromArgv } from './corpus-arg.js';

/** The Electron binary's path, or undefined (with the reason) when it was never downloaded. */
export function electronBinary(): { path?: string; reason?: string } {
  try {
    const bin = createRequire(import.meta.url)('electron') as unknown;
    return typeof bin === 'string' ? { path: bin } : { reason: 'the electron module did not give a binary path' };
  } catch (e) {
    return { reason: (e as Error).message.split('\n')[0] };
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  await ensureUiBuilt();
  const electron = electronBinary();
  if (electron.path) {
    const { main: mainJs } = await buildElectron();
    const child = spawn(electron.path, [mainJs, ...argv], { stdio: 'inherit' });
    child.on('exit', (code) => process.exit(code ?? 0));
    return;
  }
  console.error(`Electron cannot start here (${electron.reason}).`);
  console.error('Falling back to `aunn serve`: open the URL below in a browser.');
  const corpus = corpusFromArgv(argv) ?? 'corpus';
  const child = spawn(
    process.execPath,
    [
      path.join(REPO_ROOT, 'bin/aunn.js'),
      'serve',
      '--corpus',
      corpus,
      ...argv.filter((a, i) => a !== '--corpus' && argv[i - 1] !== '--corpus' && !a.startsWith('--corpus=')),
    ],
    { stdio: 'inherit' },
  );
  child.on('exit', (code) => process.exit(code ?? 0));
}

void main().catch((e) => {
  console.error(`npm start: ${(e as Error).message}`);
  process.exit(1);
});
