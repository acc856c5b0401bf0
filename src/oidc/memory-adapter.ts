/**
 * The provider's storage: a bounded in-memory store with expiry, one partition per model
 * (Session, Interaction, AuthorizationCode, AccessToken, RefreshToken, Grant, ...). Each partition
 * holds at most `maxEntriesPerModel` entries and drops its oldest when full, so a flood of
 * unauthenticated authorization requests (Interaction) can never push out sessions or refresh
 * tokens. Codes, sessions and tokens die with the process, as in Dex with in-memory storage; the
 * signing keys are not kept here (see keys.ts), so a restart does not invalidate issued ID tokens.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';

export interface MemoryStoreOptions {
  /** default 10 000 */
  readonly maxEntriesPerModel?: number;
  /** clock in milliseconds (tests); default Date.now */
  readonly now?: () => number;
  /** extra lifetime given to entries, in seconds, to absorb clock skew; default 15 */
  readonly clockToleranceSec?: number;
}

interface Entry {
  payload: AdapterPayload;
  /** epoch ms; Infinity when the provider gave no expiry */
  expiresAt: number;
}

/** Models whose entries belong to a grant (revoked together by `revokeByGrantId`). */
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

class Partition {
  readonly entries = new Map<string, Entry>();
  /** secondary index: Session uid → id, userCode → id */
  readonly byUid = new Map<string, string>();
  readonly byUserCode = new Map<string, string>();
  readonly model: string;
  private readonly store: MemoryStore;

  constructor(model: string, store: MemoryStore) {
    this.model = model;
    this.store = store;
  }

  get(id: string, now: number): Entry | undefined {
    const e = this.entries.get(id);
    if (e === undefined) return undefined;
    if (e.expiresAt <= now) {
      this.remove(id);
      return undefined;
    }
    return e;
  }

  set(id: string, payload: AdapterPayload, expiresAt: number, max: number): void {
    if (this.entries.has(id)) this.remove(id);
    this.entries.set(id, { payload, expiresAt });
    if (typeof payload.uid === 'string' && this.model === 'Session')
      this.byUid.set(payload.uid, id);
    if (typeof payload.userCode === 'string') this.byUserCode.set(payload.userCode, id);
    if (GRANTABLE.has(this.model) && typeof payload.grantId === 'string')
      this.store.indexGrant(payload.grantId, this.model, id);
    while (this.entries.size > max) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.remove(oldest.value);
    }
  }

  remove(id: string): void {
    const e = this.entries.get(id);
    if (e === undefined) return;
    this.entries.delete(id);
    const { uid, userCode, grantId } = e.payload;
    if (typeof uid === 'string' && this.byUid.get(uid) === id) this.byUid.delete(uid);
    if (typeof userCode === 'string' && this.byUserCode.get(userCode) === id)
      this.byUserCode.delete(userCode);
    if (typeof grantId === 'string') this.store.unindexGrant(grantId, this.model, id);
  }

  sweep(now: number): void {
    for (const [id, e] of this.entries) if (e.expiresAt <= now) this.remove(id);
  }
}

/**
 * The store; `adapterFactory` is what oidc-provider's `adapter` option takes.
 * @example
 * const store = new MemoryStore({ maxEntriesPerModel: 10_000 });
 * new Provider(issuer, { adapter: store.adapterFactory, ... });
 */
export class MemoryStore {
  private readonly partitions = new Map<string, Partition>();
  /** grantId → "model\0id" of every entry issued under it */
  private readonly grants = new Map<string, Set<string>>();
  private readonly max: number;
  private readonly now: () => number;
  private readonly toleranceMs: number;
  private writes = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.max = options.maxEntriesPerModel ?? 10_000;
    if (!Number.isInteger(this.max) || this.max < 1)
      throw new TypeError('maxEntriesPerModel must be a positive integer');
    this.now = options.now ?? Date.now;
    this.toleranceMs = (options.clockToleranceSec ?? 15) * 1000;
  }

  /** oidc-provider calls this once per model name. */
  readonly adapterFactory = (model: string): Adapter =>
    new MemoryAdapter(this.partition(model), this);

  /** Number of live entries of a model (expired ones may be counted until the next sweep). */
  count(model: string): number {
    return this.partitions.get(model)?.entries.size ?? 0;
  }

  /** Drops every expired entry now (also done every 1000 writes). */
  sweep(): void {
    const now = this.now();
    for (const p of this.partitions.values()) p.sweep(now);
  }

  /** @internal */
  partition(model: string): Partition {
    let p = this.partitions.get(model);
    if (p === undefined) {
      p = new Partition(model, this);
      this.partitions.set(model, p);
    }
    return p;
  }

  /** @internal */
  indexGrant(grantId: string, model: string, id: string): void {
    let members = this.grants.get(grantId);
    if (members === undefined) {
      members = new Set();
      this.grants.set(grantId, members);
    }
    members.add(`${model}\0${id}`);
  }

  /** @internal */
  unindexGrant(grantId: string, model: string, id: string): void {
    const members = this.grants.get(grantId);
    if (members === undefined) return;
    members.delete(`${model}\0${id}`);
    if (members.size === 0) this.grants.delete(grantId);
  }

  /** @internal */
  upsert(p: Partition, id: string, payload: AdapterPayload, expiresIn: number | undefined): void {
    const now = this.now();
    const expiresAt =
      typeof expiresIn === 'number' ? now + expiresIn * 1000 + this.toleranceMs : Infinity;
    p.set(id, structuredClone(payload), expiresAt, this.max);
    if (++this.writes % 1000 === 0) this.sweep();
  }

  /** @internal */
  find(p: Partition, id: string): AdapterPayload | undefined {
    const e = p.get(id, this.now());
    return e === undefined ? undefined : structuredClone(e.payload);
  }

  /** @internal */
  consume(p: Partition, id: string): void {
    const e = p.get(id, this.now());
    if (e !== undefined) e.payload.consumed = Math.floor(this.now() / 1000);
  }

  /** @internal */
  revokeByGrantId(grantId: string): void {
    const members = this.grants.get(grantId);
    if (members === undefined) return;
    for (const key of [...members]) {
      const sep = key.indexOf('\0');
      this.partitions.get(key.slice(0, sep))?.remove(key.slice(sep + 1));
    }
    this.grants.delete(grantId);
  }
}

class MemoryAdapter implements Adapter {
  private readonly p: Partition;
  private readonly store: MemoryStore;

  constructor(p: Partition, store: MemoryStore) {
    this.p = p;
    this.store = store;
  }

  upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void> {
    this.store.upsert(this.p, id, payload, expiresIn);
    return Promise.resolve();
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return Promise.resolve(this.store.find(this.p, id));
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = this.p.byUid.get(uid);
    return Promise.resolve(id === undefined ? undefined : this.store.find(this.p, id));
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const id = this.p.byUserCode.get(userCode);
    return Promise.resolve(id === undefined ? undefined : this.store.find(this.p, id));
  }

  consume(id: string): Promise<void> {
    this.store.consume(this.p, id);
    return Promise.resolve();
  }

  destroy(id: string): Promise<void> {
    this.p.remove(id);
    return Promise.resolve();
  }

  revokeByGrantId(grantId: string): Promise<void> {
    this.store.revokeByGrantId(grantId);
    return Promise.resolve();
  }
}
