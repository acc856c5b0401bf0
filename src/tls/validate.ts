/**
 * Checks run on every certificate before it is served or presented: the PEM parses, the key belongs
 * to the certificate, keys are strong enough (RSA >= 2048 bits, ECDSA P-256/P-384/P-521, Ed25519),
 * and OpenSSL accepts the pair. A content fingerprint (SHA-256 over the PEM text) identifies a
 * loaded pair so reloads happen only when the content really changed.
 */
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { errorMessage } from '../lib/index.js';
import { TlsError } from './errors.js';

/** A certificate (chain, leaf first) and its private key, as PEM, plus an optional CA bundle. */
export interface CertificatePair {
  readonly certPem: string;
  readonly keyPem: string;
  /** the CA bundle that issued the certificate (a Kubernetes TLS secret's `ca.crt`) */
  readonly caPem?: string | undefined;
}

/** What the module knows about one parsed certificate (no key material). */
export interface CertificateInfo {
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SHA-256 of the DER, colon-separated hex (as openssl prints it) */
  readonly sha256: string;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly isCa: boolean;
  /** 'ec' | 'rsa' | 'ed25519' | ... */
  readonly keyType: string;
  /** RSA modulus bits or EC curve bits */
  readonly keyBits?: number;
  readonly curve?: string;
}

/** A validated pair with its fingerprint and parsed certificates. */
export interface LoadedCertificate extends CertificatePair {
  /** SHA-256 (hex) over the PEM contents: equal content, equal fingerprint */
  readonly fingerprint: string;
  readonly leaf: CertificateInfo;
  /** the whole chain in certPem, leaf first */
  readonly chain: readonly CertificateInfo[];
  /** the certificates of caPem (empty without one) */
  readonly ca: readonly CertificateInfo[];
}

/** A validated CA bundle (trust anchors: client CAs, server CAs). */
export interface LoadedCaBundle {
  readonly pem: string;
  readonly fingerprint: string;
  readonly certificates: readonly CertificateInfo[];
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const CURVE_BITS: Readonly<Record<string, number>> = {
  prime256v1: 256,
  secp384r1: 384,
  secp521r1: 521,
};
export const MIN_RSA_BITS = 2048;

/** SHA-256 hex over the given strings (separated, so ['ab','c'] and ['a','bc'] differ). */
export function contentFingerprint(parts: readonly (string | undefined)[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(p ?? '\u0000none');
    h.update('\u0000');
  }
  return h.digest('hex');
}

/** Splits a PEM bundle into its certificate blocks. */
export function splitPemCertificates(pem: string): string[] {
  return pem.match(PEM_CERT) ?? [];
}

function keyStrength(key: KeyObject, what: string): { keyBits?: number; curve?: string } {
  const type: string = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails ?? {};
  switch (type) {
    case 'rsa':
    case 'rsa-pss': {
      const bits = details.modulusLength ?? 0;
      if (bits < MIN_RSA_BITS)
        throw new TlsError(
          'ERR_TLS_WEAK_KEY',
          `failed to accept ${what}: its RSA key has ${bits} bits; at least ${MIN_RSA_BITS} are required (issue a new certificate with a 2048-bit RSA or an ECDSA P-256 key)`,
        );
      return { keyBits: bits };
    }
    case 'ec': {
      const curve = details.namedCurve ?? 'unknown';
      const bits = CURVE_BITS[curve];
      if (bits === undefined)
        throw new TlsError(
          'ERR_TLS_WEAK_KEY',
          `failed to accept ${what}: its EC key uses curve ${curve}; use P-256, P-384 or P-521`,
        );
      return { keyBits: bits, curve };
    }
    case 'ed25519':
      return { keyBits: 256 };
    default:
      throw new TlsError(
        'ERR_TLS_WEAK_KEY',
        `failed to accept ${what}: its ${type} key type is not supported; use RSA (2048 bits or more), ECDSA or Ed25519`,
      );
  }
}

function sanList(cert: X509Certificate, prefix: string): string[] {
  const san = cert.subjectAltName ?? '';
  return san
    .split(/,\s*/)
    .filter((s) => s.startsWith(prefix))
    .map((s) => s.slice(prefix.length));
}

function describe(cert: X509Certificate, what: string): CertificateInfo {
  const strength = keyStrength(cert.publicKey, what);
  return {
    subject: cert.subject.replace(/\n/g, ', '),
    issuer: cert.issuer.replace(/\n/g, ', '),
    serialNumber: cert.serialNumber,
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    sha256: cert.fingerprint256,
    dnsNames: sanList(cert, 'DNS:'),
    ipAddresses: sanList(cert, 'IP Address:'),
    isCa: cert.ca,
    keyType: cert.publicKey.asymmetricKeyType ?? 'unknown',
    ...strength,
  };
}

/** Parses every certificate of a PEM bundle; throws ERR_TLS_INVALID_CERTIFICATE or ERR_TLS_WEAK_KEY. */
export function parseCertificates(pem: string, what: string): X509Certificate[] {
  const blocks = splitPemCertificates(pem);
  if (blocks.length === 0)
    throw new TlsError(
      'ERR_TLS_INVALID_CERTIFICATE',
      `failed to parse ${what}: no PEM "CERTIFICATE" block found`,
    );
  return blocks.map((b, i) => {
    try {
      return new X509Certificate(b);
    } catch (err) {
      throw new TlsError(
        'ERR_TLS_INVALID_CERTIFICATE',
        `failed to parse ${what}: certificate ${i + 1} is not valid X.509 (${errorMessage(err)})`,
        { cause: err },
      );
    }
  });
}

/**
 * Parses and checks a CA bundle (one or more PEM certificates).
 * @param what names the bundle in errors, e.g. "client CA /app/config/reposerver/mtls/client-ca.crt"
 */
export function validateCaBundle(pem: string, what = 'CA bundle'): LoadedCaBundle {
  const certs = parseCertificates(pem, what);
  return {
    pem,
    fingerprint: contentFingerprint([pem]),
    certificates: certs.map((c, i) => describe(c, `${what} (certificate ${i + 1})`)),
  };
}

/**
 * Validates a certificate/key pair (and its CA bundle when present): every PEM parses, the key
 * matches the leaf certificate, keys are strong enough, and OpenSSL accepts the pair. Throws a
 * TlsError (ERR_TLS_INVALID_CERTIFICATE, ERR_TLS_INVALID_KEY, ERR_TLS_KEY_MISMATCH,
 * ERR_TLS_WEAK_KEY) that never contains key material.
 * @param what names the pair in errors, e.g. "certificate in /app/config/reposerver/tls"
 */
export function validateCertificatePair(
  pair: CertificatePair,
  what = 'certificate',
): LoadedCertificate {
  const chain = parseCertificates(pair.certPem, what);
  const leaf = chain[0];
  if (!leaf)
    throw new TlsError('ERR_TLS_INVALID_CERTIFICATE', `failed to parse ${what}: it is empty`);
  let key: KeyObject;
  try {
    key = createPrivateKey(pair.keyPem);
  } catch (err) {
    // OpenSSL's message is about the format only; it never echoes the key
    throw new TlsError(
      'ERR_TLS_INVALID_KEY',
      `failed to parse the private key of ${what}: ${errorMessage(err)} (expected an unencrypted PEM key: PKCS#8, PKCS#1 or SEC1)`,
      { cause: err },
    );
  }
  const infos = chain.map((c, i) =>
    describe(c, i === 0 ? what : `${what} (chain certificate ${i + 1})`),
  );
  keyStrength(key, `the private key of ${what}`);
  if (!leaf.checkPrivateKey(key))
    throw new TlsError(
      'ERR_TLS_KEY_MISMATCH',
      `failed to accept ${what}: the private key does not belong to the certificate (${infos[0]?.subject ?? ''}); check that tls.crt and tls.key come from the same issuance`,
    );
  const ca =
    pair.caPem !== undefined && pair.caPem.trim() !== ''
      ? validateCaBundle(pair.caPem, `CA of ${what}`)
      : undefined;
  try {
    createSecureContext({ cert: pair.certPem, key: pair.keyPem });
  } catch (err) {
    throw new TlsError(
      'ERR_TLS_INVALID_CERTIFICATE',
      `failed to accept ${what}: OpenSSL refused the pair (${errorMessage(err)})`,
      { cause: err },
    );
  }
  const [first] = infos;
  if (!first) throw new TlsError('ERR_TLS_INVALID_CERTIFICATE', `failed to parse ${what}`);
  return {
    certPem: pair.certPem,
    keyPem: pair.keyPem,
    caPem: ca ? pair.caPem : undefined,
    fingerprint: contentFingerprint([pair.certPem, pair.keyPem, ca ? pair.caPem : undefined]),
    leaf: first,
    chain: infos,
    ca: ca ? ca.certificates : [],
  };
}
