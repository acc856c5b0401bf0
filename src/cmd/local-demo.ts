/**
 * The demo `npm start` seeds (unless `--no-demo`):
 *
 * - a git repository on this machine (`<data-dir>/demo/git/demo.git`, edited through the working
 *   clone `<data-dir>/demo/work`), served over HTTPS on 127.0.0.1 with basic auth by
 *   local-git-server.ts, with its own self-signed certificate (trusted through
 *   `argocd-tls-certs-cm`) and a generated password;
 * - the repository Secret `argocd-ts-demo-repo` (label `argocd.argoproj.io/secret-type:
 *   repository`) with those credentials;
 * - the Application `demo` (a ConfigMap, a Service and a Deployment scaled to 0) with automated
 *   sync, so the controller syncs it to Synced and Healthy by itself;
 * - an SSO user in the bundled provider (`argocd-cm` `dex.config` static password, bcrypt), in the
 *   group bound to the demo role of `argocd-rbac-cm`; its password is generated once and kept in
 *   `<data-dir>/demo/sso-password`.
 *
 * A second start reuses every piece: the repository and its history, credentials, certificate,
 * Secret, Application and user (the URL follows the git server's port if it changed).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import {
  API_GROUP,
  API_VERSION,
  ConfigNames,
  DEFAULT_PROJECT,
  IN_CLUSTER_SERVER,
  Labels,
  SecretTypes,
  type Application,
} from '../apis/index.js';
import { hashPassword, verifyPassword } from '../auth/index.js';
import { isAlreadyExists, isNotFound, type KubeClient } from '../kube/index.js';
import { isRecord } from '../lib/index.js';
import { createSelfSignedCertificate, type PemPair } from '../tls/index.js';
import { runGit } from './local-git-server.js';
import {
  DEMO_GROUP,
  LOCAL_FIELD_MANAGER,
  patchConfigMap,
  readConfigMapData,
} from './local-install.js';
import { leafIsGood } from './local-pki.js';
import { LocalError } from './local-processes.js';

export const DEMO_APP = 'demo';
export const DEMO_REPO = 'demo';
export const DEMO_APP_PATH = 'apps/demo';
export const DEMO_REPO_SECRET = 'argocd-ts-demo-repo';
export const DEMO_GIT_USERNAME = 'demo-git';
/** The SSO demo user: its login name (Dex logs users in by email) and user name. */
export const DEMO_SSO_EMAIL = 'demo@example.com';
export const DEMO_SSO_USERNAME = 'demo';

const SECRETS = { group: '', version: 'v1', resource: 'secrets' } as const;
const APPS = { group: API_GROUP, version: API_VERSION, resource: 'applications' } as const;

/** The files of the demo repository. */
export function demoRepositoryFiles(): Record<string, string> {
  return {
    'README.md': [
      '# argocd-ts demo',
      '',
      `\`${DEMO_APP_PATH}\` is the \`${DEMO_APP}\` application that \`npm start\` registers: edit a`,
      'file here, commit, and watch `npx argocd app diff demo` and the automated sync pick it up.',
      '',
    ].join('\n'),
    [`${DEMO_APP_PATH}/configmap.yaml`]: [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: demo-config',
      'data:',
      '  greeting: hello from argocd-ts',
      '',
    ].join('\n'),
    [`${DEMO_APP_PATH}/service.yaml`]: [
      'apiVersion: v1',
      'kind: Service',
      'metadata:',
      '  name: demo',
      'spec:',
      '  selector:',
      '    app: demo',
      '  ports:',
      '    - port: 80',
      '      targetPort: 8080',
      '      protocol: TCP',
      '',
    ].join('\n'),
    [`${DEMO_APP_PATH}/deployment.yaml`]: [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: demo',
      'spec:',
      '  replicas: 0   # nothing runs: the local control plane has no nodes',
      '  selector:',
      '    matchLabels:',
      '      app: demo',
      '  template:',
      '    metadata:',
      '      labels:',
      '        app: demo',
      '    spec:',
      '      containers:',
      '        - name: web',
      '          image: nginxinc/nginx-unprivileged:1.27',
      '          ports:',
      '            - containerPort: 8080',
      '',
    ].join('\n'),
  };
}

export interface DemoFiles {
  /** served root: holds `demo.git` */
  readonly gitRoot: string;
  /** working clone of the demo repository */
  readonly workDir: string;
  readonly gitUsername: string;
  readonly gitPassword: string;
  /** file holding the git password */
  readonly gitPasswordFile: string;
  readonly gitCertificate: PemPair;
  readonly ssoPassword: string;
  /** file holding the SSO demo user's password */
  readonly ssoPasswordFile: string;
}

async function secretFile(path: string): Promise<string> {
  if (existsSync(path)) {
    const v = (await readFile(path, 'utf8')).trim();
    if (v !== '') return v;
  }
  // 24 characters from [A-Za-z0-9_-]: within every password pattern, 144 bits
  const v = randomBytes(18).toString('base64url');
  await writeFile(path, `${v}\n`, { mode: 0o600 });
  return v;
}

async function gitCertificate(dir: string): Promise<PemPair> {
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  if (existsSync(certFile) && existsSync(keyFile)) {
    const pair = {
      certPem: await readFile(certFile, 'utf8'),
      keyPem: await readFile(keyFile, 'utf8'),
    };
    // self-signed: it is its own issuer
    if (leafIsGood(pair.certPem, pair.certPem)) return pair;
  }
  const pair = await createSelfSignedCertificate({
    commonName: 'argocd-ts demo git server',
    organization: 'argocd-ts demo',
    hosts: ['127.0.0.1', 'localhost'],
  });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(certFile, pair.certPem, { mode: 0o644 });
  await writeFile(keyFile, pair.keyPem, { mode: 0o600 });
  return pair;
}

/**
 * Creates (or reuses) the demo repository, its first commit, the credentials and the git server's
 * certificate under `<dataDir>/demo`.
 */
export async function ensureDemoFiles(dataDir: string): Promise<DemoFiles> {
  const base = join(dataDir, 'demo');
  const gitRoot = join(base, 'git');
  const bare = join(gitRoot, `${DEMO_REPO}.git`);
  const workDir = join(base, 'work');
  await mkdir(gitRoot, { recursive: true, mode: 0o700 });
  const [gitPassword, ssoPassword, cert] = await Promise.all([
    secretFile(join(base, 'git-password')),
    secretFile(join(base, 'sso-password')),
    gitCertificate(join(base, 'git-tls')),
  ]);
  if (!existsSync(join(bare, 'HEAD'))) {
    await mkdir(bare, { recursive: true });
    await runGit(bare, ['init', '--quiet', '--bare', '--initial-branch=main']);
  }
  if (!existsSync(join(workDir, '.git'))) {
    await mkdir(workDir, { recursive: true });
    await runGit(workDir, ['init', '--quiet', '--initial-branch=main']);
    await runGit(workDir, ['remote', 'add', 'origin', bare]);
  }
  const hasCommit = await runGit(bare, ['rev-parse', '--verify', '--quiet', 'main']).then(
    () => true,
    () => false,
  );
  if (!hasCommit) {
    for (const [path, content] of Object.entries(demoRepositoryFiles())) {
      await mkdir(join(workDir, path, '..'), { recursive: true });
      await writeFile(join(workDir, path), content);
    }
    await runGit(workDir, ['add', '--all']);
    await runGit(workDir, ['commit', '--quiet', '-m', 'demo application']);
    await runGit(workDir, ['push', '--quiet', 'origin', 'main']);
  }
  return {
    gitRoot,
    workDir,
    gitUsername: DEMO_GIT_USERNAME,
    gitPassword,
    gitPasswordFile: join(base, 'git-password'),
    gitCertificate: cert,
    ssoPassword,
    ssoPasswordFile: join(base, 'sso-password'),
  };
}

export interface DexStaticUser {
  readonly email: string;
  readonly username: string;
  readonly userID: string;
  readonly hash: string;
  readonly groups: readonly string[];
}

/**
 * `dex.config` with the demo user in `staticPasswords` (and `enablePasswordDB: true`), keeping
 * everything else as it was. The entry with the same email is replaced. Throws when the existing
 * text is not a YAML mapping (it is never overwritten).
 */
export function withDexStaticUser(existing: string | undefined, user: DexStaticUser): string {
  const parsed: unknown =
    existing === undefined || existing.trim() === '' ? {} : parseYaml(existing);
  if (!isRecord(parsed))
    throw new LocalError(
      'ERR_LOCAL_SETUP',
      'failed to add the SSO demo user: argocd-cm dex.config is not a YAML mapping; fix it or start with --no-demo',
    );
  const users = Array.isArray(parsed.staticPasswords)
    ? [...(parsed.staticPasswords as unknown[])]
    : [];
  const entry = {
    email: user.email,
    hash: user.hash,
    username: user.username,
    userID: user.userID,
    groups: [...user.groups],
  };
  const at = users.findIndex(
    (u) => isRecord(u) && typeof u.email === 'string' && u.email.toLowerCase() === user.email,
  );
  if (at >= 0) users[at] = entry;
  else users.push(entry);
  return toYaml({ ...parsed, enablePasswordDB: true, staticPasswords: users });
}

/** The demo user's entry in a `dex.config` text, when there is one. */
export function findDexStaticUser(
  text: string | undefined,
  email: string,
): { hash: string; userID: string } | undefined {
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || !Array.isArray(parsed.staticPasswords)) return undefined;
  for (const u of parsed.staticPasswords as unknown[]) {
    if (
      isRecord(u) &&
      typeof u.email === 'string' &&
      u.email.toLowerCase() === email &&
      typeof u.hash === 'string'
    )
      return { hash: u.hash, userID: typeof u.userID === 'string' ? u.userID : '' };
  }
  return undefined;
}

/** The demo Application. */
export function demoApplication(
  namespace: string,
  repoURL: string,
  destNamespace: string,
): Application {
  return {
    apiVersion: `${API_GROUP}/${API_VERSION}`,
    kind: 'Application',
    metadata: {
      name: DEMO_APP,
      namespace,
      labels: { 'app.kubernetes.io/managed-by': LOCAL_FIELD_MANAGER },
    },
    spec: {
      project: DEFAULT_PROJECT,
      source: { repoURL, path: DEMO_APP_PATH, targetRevision: 'HEAD' },
      destination: { server: IN_CLUSTER_SERVER, namespace: destNamespace },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        syncOptions: ['CreateNamespace=true'],
        retry: { limit: 5, backoff: { duration: '5s', factor: 2, maxDuration: '3m' } },
      },
    },
  };
}

export interface DemoSettingsOptions {
  readonly namespace: string;
  readonly repoUrl: string;
  readonly files: DemoFiles;
  readonly log: (line: string) => void;
}

/**
 * Writes what the components need to know before they start: the git server's CA in
 * `argocd-tls-certs-cm`, the repository Secret, the SSO user in `dex.config`.
 */
export async function ensureDemoSettings(k: KubeClient, o: DemoSettingsOptions): Promise<void> {
  const ns = o.namespace;
  const host = new URL(o.repoUrl).hostname;
  const certs = (await readConfigMapData(k, ns, ConfigNames.tlsCertsCm)) ?? {};
  if (certs[host] !== o.files.gitCertificate.certPem)
    await patchConfigMap(k, ns, ConfigNames.tlsCertsCm, {
      [host]: o.files.gitCertificate.certPem,
    });

  const repoSecret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: DEMO_REPO_SECRET,
      namespace: ns,
      labels: {
        [Labels.secretType]: SecretTypes.repository,
        'app.kubernetes.io/managed-by': LOCAL_FIELD_MANAGER,
      },
    },
    type: 'Opaque',
    stringData: {
      type: 'git',
      name: DEMO_REPO,
      url: o.repoUrl,
      username: o.files.gitUsername,
      password: o.files.gitPassword,
    },
  };
  try {
    await k.create({ ...SECRETS, namespace: ns }, repoSecret, {
      fieldManager: LOCAL_FIELD_MANAGER,
    });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    // the URL follows the git server's port; the credentials follow the password file
    await k.patch(
      { ...SECRETS, namespace: ns, name: DEMO_REPO_SECRET },
      { stringData: repoSecret.stringData },
      { fieldManager: LOCAL_FIELD_MANAGER },
    );
  }

  const cm = (await readConfigMapData(k, ns, ConfigNames.cm)) ?? {};
  const current = findDexStaticUser(cm['dex.config'], DEMO_SSO_EMAIL);
  if (current && (await verifyPassword(o.files.ssoPassword, current.hash))) return;
  const next = withDexStaticUser(cm['dex.config'], {
    email: DEMO_SSO_EMAIL,
    username: DEMO_SSO_USERNAME,
    userID: current?.userID !== undefined && current.userID !== '' ? current.userID : randomUUID(),
    hash: await hashPassword(o.files.ssoPassword),
    groups: [DEMO_GROUP],
  });
  await patchConfigMap(k, ns, ConfigNames.cm, { 'dex.config': next });
}

/**
 * Creates the demo Application, or points an existing one at the current repository URL when it
 * still names an earlier address of the demo git server. Anything else about it is left alone.
 */
export async function ensureDemoApplication(
  k: KubeClient,
  namespace: string,
  repoUrl: string,
  destNamespace: string,
): Promise<'created' | 'updated' | 'reused'> {
  const app = demoApplication(namespace, repoUrl, destNamespace);
  try {
    await k.create({ ...APPS, namespace }, app, { fieldManager: LOCAL_FIELD_MANAGER });
    return 'created';
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  const live = await k.get<Application>({ ...APPS, namespace, name: DEMO_APP });
  const old = live.spec.source?.repoURL;
  if (old === undefined || old === repoUrl) return 'reused';
  let oldUrl: URL | undefined;
  try {
    oldUrl = new URL(old);
  } catch {
    return 'reused';
  }
  if (oldUrl.hostname !== new URL(repoUrl).hostname || oldUrl.pathname !== `/${DEMO_REPO}.git`)
    return 'reused';
  await k.patch(
    { ...APPS, namespace, name: DEMO_APP },
    { spec: { source: { repoURL: repoUrl } } },
    { fieldManager: LOCAL_FIELD_MANAGER },
  );
  return 'updated';
}

/** What the demo app looks like now (for progress lines). */
export function describeApp(app: Application | undefined): string {
  if (!app) return 'not found';
  const sync = app.status?.sync?.status ?? 'Unknown';
  const health = app.status?.health?.status ?? 'Unknown';
  const op = app.status?.operationState?.phase;
  return `${sync}, ${health}${op ? `, last sync ${op}` : ''}`;
}

/**
 * Waits until the demo app is Synced and Healthy; resolves with its last state, or throws
 * LocalError with the app's conditions when it is not there within `timeoutMs`.
 */
export async function waitForDemoApp(
  k: KubeClient,
  namespace: string,
  timeoutMs: number,
  signal?: AbortSignal,
  /** the status must come from a reconciliation at or after this time (not one from a previous run) */
  notBefore?: Date,
): Promise<Application> {
  const deadline = Date.now() + timeoutMs;
  // reconciledAt has whole seconds
  const since = notBefore ? Math.floor(notBefore.getTime() / 1000) * 1000 : 0;
  const fresh = (a: Application): boolean =>
    since === 0 || Date.parse(a.status?.reconciledAt ?? '') >= since;
  let last: Application | undefined;
  for (;;) {
    if (signal?.aborted) throw signal.reason;
    try {
      last = await k.get<Application>({ ...APPS, namespace, name: DEMO_APP });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      last = undefined;
    }
    if (
      last?.status?.sync?.status === 'Synced' &&
      last.status.health?.status === 'Healthy' &&
      fresh(last)
    )
      return last;
    if (Date.now() > deadline) {
      const conditions = (last?.status?.conditions ?? [])
        .map((c) => `${c.type}: ${c.message}`)
        .join('; ');
      const op = last?.status?.operationState?.message;
      throw new LocalError(
        'ERR_LOCAL_SETUP',
        `the demo application is not Synced and Healthy after ${Math.round(timeoutMs / 1000)} s (${describeApp(last)}${conditions ? `; ${conditions}` : ''}${op ? `; last sync: ${op}` : ''}); see the controller's log`,
      );
    }
    await sleep(100);
  }
}
