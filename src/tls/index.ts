/**
 * tls: one module every program uses for TLS. Certificate generation (self-signed, internal CA,
 * issued leaves) lives here; server/client option builders, hot reload and expiry metrics join it.
 */
export {
  createSelfSignedCertificate,
  createCertificateAuthority,
  issueCertificate,
  generateKeyPairPem,
  type PemPair,
  type CertificateRequest,
  type KeyAlgorithm,
} from './certs.js';
