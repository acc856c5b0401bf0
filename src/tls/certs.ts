/**
 * Certificate generation on Node's WebCrypto with @peculiar/x509: self-signed server certificates,
 * a small internal CA, and leaf certificates it issues (server and/or client usage, DNS and IP SANs).
 * ECDSA P-256 is the default key (fast handshakes); RSA 2048 on request.
 */
import 'reflect-metadata';
import { webcrypto, randomBytes, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type EcKeyGenParams = webcrypto.EcKeyGenParams;
type RsaHashedKeyGenParams = webcrypto.RsaHashedKeyGenParams;

export type KeyAlgorithm = 'ecdsa-p256' | 'rsa-2048';

export interface PemPair {
  /** PEM certificate (for a chain, leaf first) */
  readonly certPem: string;
  /** PEM PKCS#8 private key */
  readonly keyPem: string;
}

export interface CertificateRequest {
  readonly commonName: string;
  /** Subject O; Argo CD requires one ("Argo CD") */
  readonly organization?: string;
  /** DNS names and IP addresses for the subjectAltName; IPs are detected and encoded as such */
  readonly hosts?: readonly string[];
  readonly serverAuth?: boolean;
  readonly clientAuth?: boolean;
  readonly validityDays?: number;
  readonly keyAlgorithm?: KeyAlgorithm;
  /** Clock for notBefore (tests); defaults to now */
  readonly now?: Date;
}

const ECDSA: EcKeyGenParams & { hash: string } = {
  name: 'ECDSA',
  namedCurve: 'P-256',
  hash: 'SHA-256',
};
const RSA: RsaHashedKeyGenParams = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
};

function algorithm(alg: KeyAlgorithm): EcKeyGenParams | RsaHashedKeyGenParams {
  return alg === 'rsa-2048' ? RSA : ECDSA;
}

async function generateKeys(alg: KeyAlgorithm): Promise<CryptoKeyPair> {
  return await webcrypto.subtle.generateKey(algorithm(alg), true, ['sign', 'verify']);
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  return toPem(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

/** A random positive 128-bit serial number, as hex. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  if (bytes[0] === 0) bytes[0] = 1;
  return bytes.toString('hex');
}

function subjectName(req: CertificateRequest): string {
  const esc = (s: string): string => s.replace(/([,+"\\<>;=])/g, '\\$1');
  const parts = [`CN=${esc(req.commonName)}`];
  if (req.organization) parts.push(`O=${esc(req.organization)}`);
  return parts.join(', ');
}

function sanExtension(hosts: readonly string[]): x509.Extension | undefined {
  if (hosts.length === 0) return undefined;
  return new x509.SubjectAlternativeNameExtension(
    hosts.map((h) =>
      isIP(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h },
    ),
  );
}

function validity(req: CertificateRequest): { notBefore: Date; notAfter: Date } {
  const now = req.now ?? new Date();
  // one minute of slack for clocks that disagree slightly
  const notBefore = new Date(now.getTime() - 60_000);
  const notAfter = new Date(now.getTime() + (req.validityDays ?? 365) * 86_400_000);
  return { notBefore, notAfter };
}

function leafExtensions(req: CertificateRequest, alg: KeyAlgorithm): x509.Extension[] {
  const usages: string[] = [];
  if (req.serverAuth ?? true) usages.push(x509.ExtendedKeyUsage.serverAuth);
  if (req.clientAuth) usages.push(x509.ExtendedKeyUsage.clientAuth);
  let keyUsage = x509.KeyUsageFlags.digitalSignature;
  if (alg === 'rsa-2048') keyUsage |= x509.KeyUsageFlags.keyEncipherment;
  const exts: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(keyUsage, true),
    new x509.ExtendedKeyUsageExtension(usages, false),
  ];
  const san = sanExtension(req.hosts ?? []);
  if (san) exts.push(san);
  return exts;
}

/**
 * A self-signed leaf certificate, as Argo CD generates when nothing is configured.
 * @example
 * const { certPem, keyPem } = await createSelfSignedCertificate({
 *   commonName: 'argocd-repo-server', organization: 'Argo CD', hosts: ['localhost', '127.0.0.1'],
 * });
 */
export async function createSelfSignedCertificate(req: CertificateRequest): Promise<PemPair> {
  const alg = req.keyAlgorithm ?? 'ecdsa-p256';
  const keys = await generateKeys(alg);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: subjectName(req),
    ...validity(req),
    keys,
    signingAlgorithm: algorithm(alg),
    extensions: [
      ...leafExtensions(req, alg),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportKeyPem(keys.privateKey) };
}

/** A CA certificate (BasicConstraints CA:true, keyCertSign) with its key. */
export async function createCertificateAuthority(
  req: Omit<CertificateRequest, 'hosts' | 'serverAuth' | 'clientAuth'>,
): Promise<PemPair> {
  const alg = req.keyAlgorithm ?? 'ecdsa-p256';
  const keys = await generateKeys(alg);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: subjectName(req),
    ...validity({ ...req, validityDays: req.validityDays ?? 3650 }),
    keys,
    signingAlgorithm: algorithm(alg),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign |
          x509.KeyUsageFlags.cRLSign |
          x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportKeyPem(keys.privateKey) };
}

async function importPrivateKey(keyPem: string, alg: KeyAlgorithm): Promise<CryptoKey> {
  const b64 = keyPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return webcrypto.subtle.importKey('pkcs8', Buffer.from(b64, 'base64'), algorithm(alg), false, [
    'sign',
  ]);
}

function keyAlgorithmOf(certPem: string): KeyAlgorithm {
  const c = new X509Certificate(certPem);
  return c.publicKey.asymmetricKeyType === 'rsa' ? 'rsa-2048' : 'ecdsa-p256';
}

/**
 * A leaf certificate signed by `ca`, for server and/or client use.
 * @example
 * const ca = await createCertificateAuthority({ commonName: 'argocd-ts internal CA' });
 * const client = await issueCertificate(ca, { commonName: 'argocd-server', clientAuth: true, serverAuth: false });
 */
export async function issueCertificate(ca: PemPair, req: CertificateRequest): Promise<PemPair> {
  const alg = req.keyAlgorithm ?? 'ecdsa-p256';
  const caAlg = keyAlgorithmOf(ca.certPem);
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await importPrivateKey(ca.keyPem, caAlg);
  const keys = await generateKeys(alg);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: subjectName(req),
    issuer: caCert.subject,
    ...validity(req),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: algorithm(caAlg),
    extensions: [
      ...leafExtensions(req, alg),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportKeyPem(keys.privateKey) };
}

/** A bare key pair as PEM (PKCS#8 private, SPKI public), e.g. for service-account token signing. */
export async function generateKeyPairPem(
  alg: KeyAlgorithm = 'ecdsa-p256',
): Promise<{ privateKeyPem: string; publicKeyPem: string }> {
  const keys = await generateKeys(alg);
  return {
    privateKeyPem: await exportKeyPem(keys.privateKey),
    publicKeyPem: toPem(await webcrypto.subtle.exportKey('spki', keys.publicKey), 'PUBLIC KEY'),
  };
}
