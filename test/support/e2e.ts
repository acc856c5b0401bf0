/**
 * End-to-end tests through the real CLI: `bin/argocd.js` run as a child process (stopped by PID
 * when it overstays), with its own HOME and config directory, against a real API server.
 *
 * The Given/When/Then fixture DSL of Argo CD's e2e tests (`test/e2e/fixture/app/*`), spelled
 * `given()` / `.when()` / `.expect()` because `then` is what `await` calls: each step is queued and
 * every builder is awaitable (awaiting runs the queue in order).
 *
 * @example
 * const fx = await cliFixture({ server: srv.url, caPem: srv.caPem, adminPassword: srv.adminPassword });
 * after(() => fx.close());
 * await given(fx).loggedIn()
 *   .when().argocd('proj', 'create', 'team-a', '-s', '*')
 *   .expect().success().stdout(/project 'team-a' created/);
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './kube.js';

export interface CliResult {
  readonly args: readonly string[];
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly stdin?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** kill the CLI (by PID) after this long; default 60 s */
  readonly timeoutMs?: number;
  /**
   * called with all of stderr so far each time the CLI writes to it, while it runs (to act on a
   * prompt or a printed URL, as `login --sso` prints the provider's login page)
   */
  readonly onStderr?: (stderrSoFar: string) => void;
}

export interface CliFixtureOptions {
  /** `host:port` or URL of the API server */
  readonly server: string;
  /** PEM that verifies the server's certificate (written to a file for --server-crt) */
  readonly caPem?: string | undefined;
  readonly adminPassword?: string | undefined;
  /** extra environment of every run */
  readonly env?: Readonly<Record<string, string>>;
}

/** A home directory, a config path and the server: everything a CLI run needs. */
export interface CliFixture {
  readonly home: string;
  /** the config file the CLI uses (`$ARGOCD_CONFIG_DIR/config`) */
  readonly configPath: string;
  /** `host:port` of the server */
  readonly server: string;
  /** a file with the server CA, for --server-crt */
  readonly caFile: string | undefined;
  readonly adminPassword: string | undefined;
  /** every run so far, oldest first */
  readonly runs: CliResult[];
  /** runs `argocd <args>` */
  run(args: readonly string[], options?: RunOptions): Promise<CliResult>;
  /** the config file's text ('' when absent) */
  readConfig(): Promise<string>;
  /** the auth token of the current context, read from the config file */
  currentToken(): Promise<string | undefined>;
  close(): Promise<void>;
}

/** Runs `node bin/argocd.js` with a fresh HOME; see the module comment. */
export async function cliFixture(options: CliFixtureOptions): Promise<CliFixture> {
  const home = await mkdtemp(join(tmpdir(), 'argocd-ts-cli-'));
  const configDir = join(home, 'argocd-config');
  let caFile: string | undefined;
  if (options.caPem !== undefined) {
    caFile = join(home, 'server-ca.crt');
    await writeFile(caFile, options.caPem);
  }
  const server = options.server.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  const runs: CliResult[] = [];
  const bin = join(repoRoot, 'bin', 'argocd.js');
  const run = (args: readonly string[], o: RunOptions = {}): Promise<CliResult> =>
    new Promise((resolve, reject) => {
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: home,
        ARGOCD_CONFIG_DIR: configDir,
        ...(options.env ?? {}),
        ...(o.env ?? {}),
      };
      const child = spawn(process.execPath, [bin, ...args], {
        cwd: home,
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => {
        stderr += c;
        o.onStderr?.(stderr);
      });
      const timer = setTimeout(() => {
        if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
      }, o.timeoutMs ?? 60_000);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        const r: CliResult = {
          args,
          code: code ?? (signal ? 128 : 1),
          stdout,
          stderr: signal ? `${stderr}\n(killed by ${signal})` : stderr,
        };
        runs.push(r);
        resolve(r);
      });
      child.stdin.end(o.stdin ?? '');
    });
  const configPath = join(configDir, 'config');
  const readConfig = async (): Promise<string> => {
    try {
      return await readFile(configPath, 'utf8');
    } catch {
      return '';
    }
  };
  return {
    home,
    configPath,
    server,
    caFile,
    adminPassword: options.adminPassword,
    runs,
    run,
    readConfig,
    async currentToken() {
      const { parse } = await import('yaml');
      const doc = parse(await readConfig()) as {
        'current-context'?: string;
        contexts?: { name: string; user: string }[];
        users?: { name: string; 'auth-token'?: string }[];
      } | null;
      const ctx = doc?.contexts?.find((c) => c.name === doc['current-context']);
      return doc?.users?.find((u) => u.name === ctx?.user)?.['auth-token'];
    },
    close: () => rm(home, { recursive: true, force: true }),
  };
}

/** File mode bits (`0o600`) of a path. */
export async function fileMode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

type Step = () => Promise<void>;

/** Shared state of one scenario: the queue and the last result. */
class Scenario {
  readonly steps: Step[] = [];
  last: CliResult | undefined;
  readonly fx: CliFixture;
  constructor(fx: CliFixture) {
    this.fx = fx;
  }

  async run(): Promise<void> {
    for (const s of this.steps.splice(0)) await s();
  }

  result(): CliResult {
    if (!this.last) throw new Error('no command has run yet: add a .when().argocd(...) step');
    return this.last;
  }
}

function describe(r: CliResult): string {
  return `argocd ${r.args.join(' ')} -> exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** Base of the three builders: awaiting any of them runs the queued steps. */
abstract class Phase implements PromiseLike<void> {
  protected readonly s: Scenario;
  constructor(s: Scenario) {
    this.s = s;
  }

  then<R1 = void, R2 = never>(
    // eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- PromiseLike<void>'s own signature: awaiting a builder yields nothing
    onFulfilled?: ((value: void) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): PromiseLike<R1 | R2> {
    return this.s.run().then(onFulfilled, onRejected);
  }

  protected add(step: Step): this {
    this.s.steps.push(step);
    return this;
  }
}

/** Preconditions: set up state through the CLI (each must succeed). */
export class Given extends Phase {
  /** `argocd login` as `username` (default admin with the fixture's password), CA from the fixture */
  loggedIn(username = 'admin', password?: string, extra: readonly string[] = []): this {
    return this.add(async () => {
      const pw = password ?? this.s.fx.adminPassword;
      if (pw === undefined)
        throw new Error('loggedIn: no password (pass one or set adminPassword)');
      const caArgs = this.s.fx.caFile ? ['--server-crt', this.s.fx.caFile] : [];
      const r = await this.s.fx.run(
        ['login', this.s.fx.server, '--username', username, ...caArgs, ...extra],
        { stdin: `${pw}\n` },
      );
      assert.equal(r.code, 0, `login failed: ${describe(r)}`);
    });
  }

  /** Any setup command that must succeed. */
  argocd(...args: string[]): this {
    return this.add(async () => {
      const r = await this.s.fx.run(args);
      assert.equal(r.code, 0, `setup failed: ${describe(r)}`);
    });
  }

  /** Custom setup. */
  step(fn: (fx: CliFixture) => Promise<void>): this {
    return this.add(() => fn(this.s.fx));
  }

  when(): When {
    return new When(this.s);
  }
}

/** The action under test. */
export class When extends Phase {
  /** runs `argocd <args>`; the result is what `.expect()` checks */
  argocd(...args: string[]): this {
    return this.add(async () => {
      this.s.last = await this.s.fx.run(args);
    });
  }

  /** runs `argocd <args>` with `stdin` */
  argocdWithStdin(stdin: string, ...args: string[]): this {
    return this.add(async () => {
      this.s.last = await this.s.fx.run(args, { stdin });
    });
  }

  /** runs `argocd <args>` with run options (stdin, env, timeout, a stderr listener) */
  argocdWith(options: RunOptions, ...args: string[]): this {
    return this.add(async () => {
      this.s.last = await this.s.fx.run(args, options);
    });
  }

  /** runs `argocd <args>` with extra environment variables */
  argocdWithEnv(env: Readonly<Record<string, string>>, ...args: string[]): this {
    return this.add(async () => {
      this.s.last = await this.s.fx.run(args, { env });
    });
  }

  /** something else happens (through the API, in git, ...) */
  step(fn: (fx: CliFixture) => Promise<void>): this {
    return this.add(() => fn(this.s.fx));
  }

  expect(): Expect {
    return new Expect(this.s);
  }

  /** another action right away (no checks on the previous one) */
  when(): this {
    return this;
  }
}

/** Assertions on the last command ("Then"). */
export class Expect extends Phase {
  success(): this {
    return this.add(() => {
      const r = this.s.result();
      assert.equal(r.code, 0, `expected success: ${describe(r)}`);
      return Promise.resolve();
    });
  }

  /** a non-zero exit, `code` exactly when given */
  failure(code?: number): this {
    return this.add(() => {
      const r = this.s.result();
      if (code === undefined) assert.notEqual(r.code, 0, `expected a failure: ${describe(r)}`);
      else assert.equal(r.code, code, `expected exit ${code}: ${describe(r)}`);
      return Promise.resolve();
    });
  }

  stdout(pattern: RegExp | string): this {
    return this.add(() => {
      const r = this.s.result();
      const ok = typeof pattern === 'string' ? r.stdout.includes(pattern) : pattern.test(r.stdout);
      assert.ok(ok, `stdout does not match ${String(pattern)}: ${describe(r)}`);
      return Promise.resolve();
    });
  }

  stderr(pattern: RegExp | string): this {
    return this.add(() => {
      const r = this.s.result();
      const ok = typeof pattern === 'string' ? r.stderr.includes(pattern) : pattern.test(r.stderr);
      assert.ok(ok, `stderr does not match ${String(pattern)}: ${describe(r)}`);
      return Promise.resolve();
    });
  }

  /** neither stream contains `text` (a password, a token) */
  notInOutput(text: string): this {
    return this.add(() => {
      const r = this.s.result();
      assert.ok(
        !r.stdout.includes(text) && !r.stderr.includes(text),
        `output contains a secret: ${r.args.join(' ')}`,
      );
      return Promise.resolve();
    });
  }

  /** parses stdout as JSON and hands it to `check` */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- a typed view of the parsed output, chosen by the test
  json<T>(check: (value: T) => void): this {
    return this.add(() => {
      const r = this.s.result();
      let v: T;
      try {
        v = JSON.parse(r.stdout) as T;
      } catch {
        assert.fail(`stdout is not JSON: ${describe(r)}`);
      }
      check(v);
      return Promise.resolve();
    });
  }

  /** any other check on the result */
  check(fn: (r: CliResult, fx: CliFixture) => void | Promise<void>): this {
    return this.add(async () => {
      await fn(this.s.result(), this.s.fx);
    });
  }

  /** another action in the same scenario */
  when(): When {
    return new When(this.s);
  }
}

/** Starts a scenario on a fixture. */
export function given(fx: CliFixture): Given {
  return new Given(new Scenario(fx));
}
