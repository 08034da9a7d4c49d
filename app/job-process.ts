/**
 * Jobs inside the packaged app run in Electron's utilityProcess (a Node process without the browser), so the app
 * does not need ELECTRON_RUN_AS_NODE and ships with that fuse off (electron-builder.yml). The server's job runner
 * gets this as its `spawnProcess`.
 *
 *   startServer({ corpus, jobs: { spawnProcess: utilityJobProcess } });
 */
import { utilityProcess } from 'electron';
import type { JobProcess } from '../src/server/jobs.js';

/** `file` is the Node binary the runner would use; the module to run is the first argument (bin/aunn.js). */
export function utilityJobProcess(_file: string, args: string[], env: NodeJS.ProcessEnv): JobProcess {
  const [modulePath, ...rest] = args;
  if (!modulePath) throw new Error('a job needs the module to run');
  const child = utilityProcess.fork(modulePath, rest, { stdio: 'pipe', env, serviceName: 'Scroll AUNN job' });
  let exited = false;
  return {
    stdout: child.stdout,
    stderr: child.stderr,
    onExit: (l) =>
      void child.on('exit', (code) => {
        exited = true;
        l(code);
      }),
    onError: (l) => void child.on('error', (type, location) => l(new Error(`${type} at ${location}`))),
    // A utility process takes its worker threads with it; SIGKILL is the runner's second try.
    kill: () => void (exited || child.kill()),
  };
}
