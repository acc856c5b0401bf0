/**
 * Who logged in, independent of how: the password database or an upstream connector produce an
 * `Identity`; the provider turns it into claims. The subject is Dex's: the URL-safe base64 (no
 * padding) of the protobuf message `{1: user_id, 2: connector_id}`, so RBAC policies and tokens
 * written against Dex keep naming the same users.
 */

export interface Identity {
  /** `local` for the password database, else the connector id */
  readonly connectorId: string;
  readonly userId: string;
  /** display name, the `name` claim */
  readonly username: string;
  readonly preferredUsername: string;
  readonly email: string | undefined;
  readonly emailVerified: boolean;
  readonly groups: readonly string[];
}

export const LOCAL_CONNECTOR_ID = 'local';

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

function field(tag: number, value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  return Buffer.concat([Buffer.from([tag, ...varint(bytes.length)]), bytes]);
}

/**
 * Dex's `sub` for a user of a connector.
 * @example
 * dexSubject('08a8684b-db88-4b73-90a9-3cd1661f5466', 'local')
 * // 'CiQwOGE4Njg0Yi1kYjg4LTRiNzMtOTBhOS0zY2QxNjYxZjU0NjYSBWxvY2Fs'
 */
export function dexSubject(userId: string, connectorId: string): string {
  return Buffer.concat([field(0x0a, userId), field(0x12, connectorId)]).toString('base64url');
}

/** Every claim the provider may release for an identity (scopes then filter them). */
export function identityClaims(identity: Identity): Record<string, unknown> & { sub: string } {
  return {
    sub: dexSubject(identity.userId, identity.connectorId),
    name: identity.username,
    preferred_username: identity.preferredUsername,
    ...(identity.email === undefined
      ? {}
      : { email: identity.email, email_verified: identity.emailVerified }),
    groups: [...identity.groups],
    federated_claims: { connector_id: identity.connectorId, user_id: identity.userId },
  };
}
