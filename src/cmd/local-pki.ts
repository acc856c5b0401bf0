/**
 * The internal CA and component certificates of `npm start` (docs/tls.md, "Internal PKI"): made
 * once with `initInternalPki` and kept as the Secrets `argocd admin tls init` writes, then laid out
 * under `<data-dir>/tls/<secret>/<key>` for the programs that read mounted files (what a pod would
 * get from its volume mounts). The Secrets are the source of truth: a second start reuses them and
 * rewrites the files from them, reissuing only leaves that are missing, expire within 30 days, or
 * were not issued by the CA. Secrets that `argocd admin tls init` did not make are kept as they are.
 */
import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeSecretData, type Secret } from '../apis/index.js';
import { isNotFound, type KubeClient } from '../kube/index.js';
import {
  initInternalPki,
  pkiToSecrets,
  PkiSecretNames,
  type InternalPki,
  type PemPair,
} from '../tls/index.js';
import { LocalError } from './local-processes.js';

const SECRETS = { group: '', version: 'v1', resource: 'secrets' } as const;
const MANAGED_BY = 'app.kubernetes.io/managed-by';
const TLS_INIT = 'argocd-admin-tls-init';
const RENEW_BEFORE_MS = 30 * 24 * 3600_000;

/** Where each program finds its files (directories or files under `<data-dir>/tls`). */
export interface LocalPkiFiles {
  /** the internal CA certificate (also what the CLI trusts argocd-server with) */
  readonly caFile: string;
  /** argocd-server's certificate CA (`argocd-server-tls` ca.crt: what `argocd login --server-crt` takes) */
  readonly serverCaFile: string;
  readonly repoServerTlsDir: string;
  readonly repoServerClientCaFile: string;
  readonly dexServerTlsDir: string;
  readonly dexServerClientCaFile: string;
  readonly serverInternalTlsDir: string;
  readonly controllerInternalTlsDir: string;
}

export interface LocalPki {
  readonly files: LocalPkiFiles;
  readonly caPem: string;
  /** argocd-server's client certificate (for probes of servers that demand mutual TLS) */
  readonly probeClient: PemPair;
  /** what happened: 'created', 'reused', or 'renewed <names>' */
  readonly outcome: string;
}

function pairOf(secret: Secret | undefined): PemPair | undefined {
  if (!secret) return undefined;
  const d = decodeSecretData(secret);
  const certPem = d['tls.crt'];
  const keyPem = d['tls.key'];
  return certPem && keyPem ? { certPem, keyPem } : undefined;
}

/** True when `certPem` was issued by `caPem` and stays valid for 30 more days. */
export function leafIsGood(certPem: string, caPem: string, now: Date = new Date()): boolean {
  try {
    const leaf = new X509Certificate(certPem);
    const ca = new X509Certificate(caPem);
    if (!leaf.checkIssued(ca) || !leaf.verify(ca.publicKey)) return false;
    return new Date(leaf.validTo).getTime() - now.getTime() > RENEW_BEFORE_MS;
  } catch {
    return false;
  }
}

async function readSecret(
  k: KubeClient,
  namespace: string,
  name: string,
): Promise<Secret | undefined> {
  try {
    return await k.get<Secret>({ ...SECRETS, namespace, name });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Creates or reuses the internal PKI (see the module comment). */
export async function ensureLocalPki(
  k: KubeClient,
  namespace: string,
  dataDir: string,
  log: (line: string) => void,
): Promise<LocalPki> {
  const names = Object.values(PkiSecretNames);
  const existing = new Map<string, Secret>();
  await Promise.all(
    names.map(async (n) => {
      const s = await readSecret(k, namespace, n);
      if (s) existing.set(n, s);
    }),
  );
  const storedCa = pairOf(existing.get(PkiSecretNames.ca));
  const caUsable = storedCa !== undefined && leafIsGood(storedCa.certPem, storedCa.certPem);
  if (storedCa && !caUsable)
    log(
      `the internal CA in Secret ${PkiSecretNames.ca} expires within 30 days or is invalid: making a new one`,
    );
  const caPemNow = caUsable ? storedCa.certPem : undefined;
  /** whether an existing Secret can stay as it is */
  const keep = (name: string): boolean => {
    const have = existing.get(name);
    if (!have || caPemNow === undefined) return false;
    if (name === PkiSecretNames.ca) return true;
    const data = decodeSecretData(have);
    const leaf = data['tls.crt'];
    if (leaf !== undefined) return leafIsGood(leaf, caPemNow);
    return data['client-ca.crt'] === caPemNow;
  };
  const written: string[] = [];
  const final = new Map<string, Secret>();
  for (const name of names) if (keep(name)) final.set(name, existing.get(name) as Secret);
  let generated: InternalPki | undefined;
  if (final.size < names.length) {
    // something is missing or stale: issue what is needed (reusing the CA when it is usable)
    generated = await initInternalPki({ namespace, ...(caUsable ? { ca: storedCa } : {}) });
    for (const want of pkiToSecrets(generated, namespace)) {
      const name = want.metadata.name ?? '';
      if (final.has(name)) continue;
      const have = existing.get(name);
      if (have && have.metadata.labels?.[MANAGED_BY] !== TLS_INIT) {
        log(
          `kept Secret ${name}: it was not made by 'argocd admin tls init' and does not chain to the internal CA; links to that component may not verify`,
        );
        final.set(name, have);
        continue;
      }
      if (have)
        await k.replace(
          { ...SECRETS, namespace, name },
          {
            ...want,
            metadata: { ...want.metadata, resourceVersion: have.metadata.resourceVersion },
          },
        );
      else await k.create({ ...SECRETS, namespace }, want);
      written.push(name);
      final.set(name, want);
    }
  }
  const base = join(dataDir, 'tls');
  await mkdir(base, { recursive: true, mode: 0o700 });
  for (const [name, secret] of final) {
    const dir = join(base, name);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    for (const [key, value] of Object.entries(decodeSecretData(secret))) {
      const mode = key.endsWith('.key') ? 0o600 : 0o644;
      const p = join(dir, key);
      await writeFile(p, value, { mode });
      await chmod(p, mode);
    }
  }
  const caPem = pairOf(final.get(PkiSecretNames.ca))?.certPem ?? generated?.ca.certPem ?? '';
  const client =
    pairOf(final.get(PkiSecretNames.serverClient)) ?? generated?.clients['argocd-server'];
  if (caPem === '' || client === undefined)
    throw new LocalError(
      'ERR_LOCAL_SETUP',
      `failed to set up the internal PKI: Secrets ${PkiSecretNames.ca} and ${PkiSecretNames.serverClient} must hold tls.crt and tls.key`,
    );
  const outcome =
    written.length === 0
      ? 'reused'
      : written.length === names.length
        ? 'created'
        : `renewed ${written.join(', ')}`;
  return {
    caPem,
    probeClient: client,
    outcome,
    files: {
      caFile: join(base, PkiSecretNames.ca, 'ca.crt'),
      serverCaFile: join(base, PkiSecretNames.serverTls, 'ca.crt'),
      repoServerTlsDir: join(base, PkiSecretNames.repoServerTls),
      repoServerClientCaFile: join(base, PkiSecretNames.repoServerMtls, 'client-ca.crt'),
      dexServerTlsDir: join(base, PkiSecretNames.dexServerTls),
      dexServerClientCaFile: join(base, PkiSecretNames.dexServerMtls, 'client-ca.crt'),
      serverInternalTlsDir: join(base, PkiSecretNames.serverClient),
      controllerInternalTlsDir: join(base, PkiSecretNames.controllerClient),
    },
  };
}
