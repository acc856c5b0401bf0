/**
 * `npm test`: static checks (types, lint, layering, format, generated files), then every test file
 * with Node's test runner in one run, against one real Kubernetes control plane shared by all
 * integration tests (started here, stopped here by PID).
 *
 *   npm test                      everything
 *   npm test -- --unit            only unit tests (*.test.ts that are not *.int.test.ts), no checks
 *   npm test -- --integration     only integration tests (*.int.test.ts)
 *   npm test -- --no-checks       skip the static checks
 *   npm test -- path/to/x.test.ts run the named files
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startKubeEnv, type KubeEnv } from '../src/kubeenv/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const only = args.filter((a) => !a.startsWith('--'));
const unitOnly = args.includes('--unit');
const intOnly = args.includes('--integration');
const runChecks = !args.includes('--no-checks') && !unitOnly && !intOnly && only.length === 0;

function run(
  cmd: string,
  cmdArgs: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, cmdArgs, { cwd: root, stdio: 'inherit', env });
    child.on('exit', (code, signal) => {
      resolve(code ?? (signal ? 1 : 0));
    });
    child.on('error', () => {
      resolve(127);
    });
  });
}

function findTests(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.') || name === 'dist' || name === 'coverage')
      continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
}

const bin = (name: string): string => join(root, 'node_modules', '.bin', name);
const failures: string[] = [];

if (runChecks) {
  const checks: [string, string, string[]][] = [
    ['typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']],
    ['lint', bin('eslint'), ['--max-warnings', '0', '.']],
    ['layering', bin('depcruise'), ['--config', '.dependency-cruiser.cjs', 'src', 'examples']],
    ['format', bin('prettier'), ['--check', '--log-level', 'warn', '.']],
    ['generated CRDs are current', bin('tsx'), ['scripts/gen-crds.ts', '--check']],
    ['API reports are current', bin('tsx'), ['scripts/api-report.ts', '--check']],
    ['generated protobuf code is current', 'bash', ['scripts/gen-proto.sh', '--check']],
  ];
  for (const [name, cmd, cmdArgs] of checks) {
    const t0 = Date.now();
    process.stdout.write(`\n=== ${name}\n`);
    const code = await run(cmd, cmdArgs);
    process.stdout.write(
      `=== ${name}: ${code === 0 ? 'ok' : `FAILED (exit ${code})`} in ${((Date.now() - t0) / 1000).toFixed(1)}s\n`,
    );
    if (code !== 0) failures.push(name);
  }
}

let files: string[] = [];
if (only.length > 0) files = only.map((f) => join(root, f));
else {
  for (const d of ['src', 'test', 'bench', 'examples', 'scripts']) {
    try {
      findTests(join(root, d), files);
    } catch {
      // folder absent
    }
  }
  if (unitOnly) files = files.filter((f) => !f.endsWith('.int.test.ts'));
  if (intOnly) files = files.filter((f) => f.endsWith('.int.test.ts'));
}
files.sort();

let env: KubeEnv | undefined;
const needsCluster = files.some((f) => f.endsWith('.int.test.ts'));
const childEnv: NodeJS.ProcessEnv = { ...process.env };
const stopAll = async (): Promise<void> => {
  if (env) {
    const e = env;
    env = undefined;
    await e.stop();
  }
};
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    void stopAll().then(() => process.exit(130));
  });
}

let testCode: number;
const reportDir = mkdtempSync(join(tmpdir(), 'argocd-ts-test-'));
try {
  if (needsCluster && !process.env.ARGOCD_TS_TEST_KUBECONFIG) {
    if (process.env.ARGOCD_TS_TEST_USE_KUBECONFIG === '1' && process.env.KUBECONFIG) {
      process.stdout.write(`\n=== integration tests use KUBECONFIG=${process.env.KUBECONFIG}\n`);
      childEnv.ARGOCD_TS_TEST_KUBECONFIG = process.env.KUBECONFIG.split(':')[0];
    } else {
      const t0 = Date.now();
      process.stdout.write(
        '\n=== starting the shared Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager)\n',
      );
      env = await startKubeEnv({ log: (l) => process.stdout.write(`    ${l}\n`) });
      childEnv.ARGOCD_TS_TEST_KUBECONFIG = env.kubeconfigPath;
      process.stdout.write(
        `=== control plane ready in ${((Date.now() - t0) / 1000).toFixed(1)}s at ${env.server}\n`,
      );
    }
  }
  const concurrency =
    process.env.ARGOCD_TS_TEST_CONCURRENCY ?? String(Math.max(2, availableParallelism()));
  process.stdout.write(`\n=== ${files.length} test files (concurrency ${concurrency})\n`);
  const tap = join(reportDir, 'report.tap');
  testCode = await run(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      `--test-concurrency=${concurrency}`,
      '--test-timeout=600000',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      ...files.map((f) => relative(root, f)),
    ],
    childEnv,
  );
  let pass = 0;
  let fail = 0;
  let skipped = 0;
  let todo = 0;
  try {
    const text = readFileSync(tap, 'utf8');
    const num = (k: string): number =>
      Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(text)?.[1] ?? '0');
    pass = num('pass');
    fail = num('fail') + num('cancelled');
    skipped = num('skipped');
    todo = num('todo');
  } catch {
    fail = Math.max(fail, testCode === 0 ? 0 : 1);
  }
  if (testCode !== 0 && fail === 0) fail = 1;
  if (failures.length > 0) process.stdout.write(`\nstatic checks failed: ${failures.join(', ')}\n`);
  process.stdout.write(`\n${pass} passed, ${fail} failed, ${skipped + todo} skipped\n`);
} finally {
  await stopAll();
  rmSync(reportDir, { recursive: true, force: true });
}
process.exitCode = failures.length > 0 || testCode !== 0 ? 1 : 0;
