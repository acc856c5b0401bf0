/**
 * `npm start`: the whole system on this machine. Uses the cluster in KUBECONFIG when one answers,
 * else starts (or reuses) the project's own control plane in `<data-dir>/kube`; installs the
 * namespace, CRDs, settings and internal PKI; runs argocd-repo-server, argocd-dex-server,
 * argocd-server and argocd-application-controller as separate processes on 127.0.0.1 with verified
 * mutual TLS between them; seeds a demo application from a git repository served on this machine;
 * prints how to use it and writes `<data-dir>/local.env`. Ctrl-C stops every process it started.
 *
 * This entry only parses the options (so `--help` is quick) and loads the runner, local-run.ts.
 * Guide: docs/getting-started.md.
 */
import { errorMessage } from '../lib/index.js';
import { parseLocalOptions } from './local-options.js';
import { LOCAL_DIR } from './paths.js';

const cmd = parseLocalOptions(process.argv.slice(2), {
  cwd: process.env.INIT_CWD ?? process.cwd(),
  defaultDataDir: LOCAL_DIR,
  stdout: process.stdout,
  stderr: process.stderr,
});
if (cmd.kind === 'exit') {
  process.exitCode = cmd.code;
} else {
  try {
    const { runLocal } = await import('./local-run.js');
    process.exitCode = await runLocal(cmd.options);
  } catch (err) {
    process.stderr.write(`[argocd-ts] ${errorMessage(err)}\n`);
    process.exitCode = 1;
  }
}
