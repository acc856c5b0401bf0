/**
 * What argocd-server sets up at start-up when it is missing (Argo CD's `InitializeSettings`):
 * - `argocd-secret` itself;
 * - `server.secretkey`: the base64 text of 32 CSPRNG bytes (the token signing key);
 * - an admin password when the enabled admin has none: 16 random characters, stored as a bcrypt
 *   hash with its change time in `argocd-secret`, and in clear text in
 *   `argocd-initial-admin-secret` (`password`) for `argocd admin initial-password`
 *   (CVE-2020-8828: never derived from anything guessable);
 * - unless `--insecure`, a self-signed certificate persisted in `argocd-secret` (`tls.crt`,
 *   `tls.key`) when neither `argocd-server-tls` nor `argocd-secret` holds a usable pair.
 * Every write is a read-modify-write with the resourceVersion as precondition, so replicas
 * starting together agree: the first writer wins, the others see its values and write nothing.
 */
import {
  ConfigNames,
  Labels,
  decodeSecretData,
  parseArgoCdConfigMap,
  type ConfigMap,
  type Secret,
} from '../../apis/index.js';
import {
  SERVER_SECRET_KEY,
  generateInitialPassword,
  generateServerSecretKey,
  hashPassword,
  formatPasswordMtime,
  accountSecretKeys,
  ADMIN_USERNAME,
  type Random,
  cryptoRandom,
} from '../../auth/index.js';
import { isAlreadyExists, isConflict, isNotFound, type KubeClient } from '../../kube/index.js';
import { createComponentSelfSigned, selectServerCertificate } from '../../tls/index.js';
import type { ServerLogger } from '../logging.js';
import { CONFIGMAPS, SECRETS } from './settings-store.js';

export interface InitialSetupOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly insecure: boolean;
  readonly log: ServerLogger;
  readonly random?: Random;
  /** bcrypt cost of the generated admin password hash */
  readonly bcryptCost?: number;
  readonly now?: () => number;
}

export interface InitialSetupResult {
  readonly createdSecret: boolean;
  readonly generatedSecretKey: boolean;
  readonly generatedAdminPassword: boolean;
  readonly generatedCertificate: boolean;
}

const PART_OF = { [Labels.partOf]: 'argocd' };
const MAX_ATTEMPTS = 5;

async function getOrUndefined<T>(
  client: KubeClient,
  ref: Parameters<KubeClient['get']>[0],
): Promise<T | undefined> {
  try {
    return await client.get<T>(ref);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/**
 * Sets `values` on argocd-secret for the keys that are still missing when written (checked again
 * under the resourceVersion precondition). Returns the keys this call wrote.
 */
async function setMissing(
  client: KubeClient,
  namespace: string,
  values: Readonly<Record<string, string>>,
  stillMissing: (data: Readonly<Record<string, string>>) => boolean,
): Promise<boolean> {
  const ref = { ...SECRETS, namespace, name: ConfigNames.secret };
  for (let attempt = 1; ; attempt++) {
    const secret = await client.get<Secret>(ref);
    if (!stillMissing(decodeSecretData(secret))) return false;
    const data = { ...(secret.data ?? {}) };
    for (const [k, v] of Object.entries(values)) data[k] = b64(v);
    const { stringData: _s, ...rest } = secret;
    try {
      await client.replace(ref, { ...rest, data });
      return true;
    } catch (err) {
      if (!isConflict(err) || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}

/** Runs the start-up initialisation (see the module comment). */
export async function initializeSettings(o: InitialSetupOptions): Promise<InitialSetupResult> {
  const { client, namespace, log } = o;
  const random = o.random ?? cryptoRandom;
  const now = o.now ?? Date.now;
  const secretRef = { ...SECRETS, namespace, name: ConfigNames.secret };

  let createdSecret = false;
  let secret = await getOrUndefined<Secret>(client, secretRef);
  if (!secret) {
    try {
      secret = await client.create<Secret>(
        { ...SECRETS, namespace },
        {
          apiVersion: 'v1',
          kind: 'Secret',
          type: 'Opaque',
          metadata: {
            name: ConfigNames.secret,
            namespace,
            labels: { ...PART_OF, 'app.kubernetes.io/name': ConfigNames.secret },
          },
          data: {},
        },
      );
      createdSecret = true;
      log.info({ secret: ConfigNames.secret }, 'created argocd-secret');
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      secret = await client.get<Secret>(secretRef);
    }
  }

  // signing key
  const generatedSecretKey = await setMissing(
    client,
    namespace,
    { [SERVER_SECRET_KEY]: generateServerSecretKey(random).toString('utf8') },
    (d) => (d[SERVER_SECRET_KEY] ?? '') === '',
  );
  if (generatedSecretKey) log.info({}, `generated ${SERVER_SECRET_KEY} in argocd-secret`);

  // admin password
  const cm = await getOrUndefined<ConfigMap>(client, {
    ...CONFIGMAPS,
    namespace,
    name: ConfigNames.cm,
  });
  const { settings } = parseArgoCdConfigMap(cm?.data);
  const adminKeys = accountSecretKeys(ADMIN_USERNAME);
  let generatedAdminPassword = false;
  const noAdminPassword = (d: Readonly<Record<string, string>>): boolean =>
    (d[adminKeys.password] ?? '').trim() === '';
  if (settings.adminEnabled && noAdminPassword(decodeSecretData(secret))) {
    const password = generateInitialPassword(random);
    const hash = await hashPassword(password, o.bcryptCost);
    generatedAdminPassword = await setMissing(
      client,
      namespace,
      { [adminKeys.password]: hash, [adminKeys.passwordMtime]: formatPasswordMtime(now()) },
      noAdminPassword,
    );
    if (generatedAdminPassword) {
      await writeInitialAdminSecret(client, namespace, password);
      log.info(
        { secret: ConfigNames.initialAdminSecret },
        `generated the admin password; read it from ${ConfigNames.initialAdminSecret} (argocd admin initial-password) and change it`,
      );
    }
  }

  // serving certificate
  let generatedCertificate = false;
  if (!o.insecure) {
    const serverTls = await getOrUndefined<Secret>(client, {
      ...SECRETS,
      namespace,
      name: ConfigNames.serverTls,
    });
    const current = await client.get<Secret>(secretRef);
    const choice = selectServerCertificate({ serverTlsSecret: serverTls, argocdSecret: current });
    for (const p of choice.problems) log.warn({}, `tls: ${p}`);
    if (choice.origin === 'none') {
      const pair = await createComponentSelfSigned({ component: 'argocd-server', namespace });
      generatedCertificate = await setMissing(
        client,
        namespace,
        { 'tls.crt': pair.certPem, 'tls.key': pair.keyPem },
        (d) => selectServerCertificate({ argocdSecret: { data: encode(d) } }).origin === 'none',
      );
      if (generatedCertificate)
        log.info(
          {},
          'no certificate in argocd-server-tls or argocd-secret: generated a self-signed one and stored it in argocd-secret',
        );
    }
  }
  return { createdSecret, generatedSecretKey, generatedAdminPassword, generatedCertificate };
}

function encode(d: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(d).map(([k, v]) => [k, b64(v)]));
}

/** Creates or replaces `argocd-initial-admin-secret` with the generated password. */
async function writeInitialAdminSecret(
  client: KubeClient,
  namespace: string,
  password: string,
): Promise<void> {
  const body: Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: { name: ConfigNames.initialAdminSecret, namespace, labels: { ...PART_OF } },
    data: { password: b64(password) },
  };
  try {
    await client.create({ ...SECRETS, namespace }, body);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const ref = { ...SECRETS, namespace, name: ConfigNames.initialAdminSecret };
    const existing = await client.get<Secret>(ref);
    await client.replace(ref, {
      ...body,
      metadata: { ...body.metadata, resourceVersion: existing.metadata.resourceVersion },
    });
  }
}
