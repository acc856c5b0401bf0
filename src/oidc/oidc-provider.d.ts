/**
 * Types for the parts of oidc-provider 9 that src/oidc uses. The package ships no types (the
 * DefinitelyTyped package is not a dependency of this project); these declarations cover exactly
 * the surface we call, nothing more, so a library upgrade that changes it fails type checking here.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export type UnknownRecord = Record<string, unknown>;

  export interface OidcClient {
    readonly clientId: string;
    readonly clientName?: string;
    readonly applicationType: 'web' | 'native';
    readonly clientAuthMethod: string;
    readonly redirectUris: readonly string[];
  }

  export interface OidcSession {
    readonly accountId?: string;
    readonly uid: string;
  }

  export interface OidcContext {
    readonly route: string;
    readonly issuer: string;
    readonly client?: OidcClient;
    readonly session?: OidcSession;
    readonly params?: UnknownRecord;
    readonly result?: InteractionResults;
    readonly entities: UnknownRecord;
  }

  /** The Koa context oidc-provider passes to configuration helpers. */
  export interface KoaContextWithOIDC {
    readonly oidc: OidcContext;
    readonly method: string;
    readonly path: string;
    readonly host: string;
    type: string;
    body: unknown;
    status: number;
    set(field: string, value: string): void;
    get(field: string): string;
  }

  export interface ClaimsRecord {
    readonly sub: string;
    readonly [claim: string]: unknown;
  }

  export interface Account {
    readonly accountId: string;
    claims(use: string, scope: string): ClaimsRecord | Promise<ClaimsRecord>;
  }

  export interface InteractionResults {
    login?: { accountId: string; remember?: boolean; amr?: string[]; acr?: string };
    consent?: { grantId?: string };
    error?: string;
    error_description?: string;
    [key: string]: unknown;
  }

  export interface PromptDetail {
    readonly name: string;
    readonly reasons: readonly string[];
    readonly details: UnknownRecord;
  }

  export interface Interaction {
    readonly uid: string;
    readonly prompt: PromptDetail;
    readonly params: UnknownRecord;
    readonly session?: { readonly accountId?: string; readonly uid?: string };
    readonly grantId?: string;
    readonly returnTo: string;
    readonly exp: number;
    readonly lastSubmission?: InteractionResults;
  }

  export interface Grant {
    readonly jti: string;
    readonly accountId?: string;
    readonly clientId?: string;
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: readonly string[]): void;
    getOIDCScope(): string;
    save(ttl?: number): Promise<string>;
  }

  export interface GrantConstructor {
    new (properties: { accountId: string; clientId: string }): Grant;
    find(id: string): Promise<Grant | undefined>;
  }

  export interface AdapterPayload extends UnknownRecord {
    readonly jti?: string;
    readonly grantId?: string;
    readonly uid?: string;
    readonly userCode?: string;
    consumed?: number;
  }

  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export interface JsonWebKey extends UnknownRecord {
    readonly kty: string;
    readonly kid?: string;
    readonly alg?: string;
    readonly use?: string;
  }

  export interface ClientMetadata extends UnknownRecord {
    client_id: string;
  }

  // eslint-disable-next-line @typescript-eslint/no-extraneous-class -- declares the library's class, whose instances are opaque to us
  export class Check {
    static readonly REQUEST_PROMPT: true;
    static readonly NO_NEED_TO_PROMPT: false;
    constructor(
      reason: string,
      description: string,
      check: (ctx: KoaContextWithOIDC) => boolean | Promise<boolean>,
    );
  }

  export interface PromptChecks extends Array<Check> {
    add(check: Check, index?: number): void;
    get(reason: string): Check | undefined;
    remove(reason: string): void;
  }

  export interface Prompt {
    readonly name: string;
    readonly checks: PromptChecks;
  }

  export interface Policy extends Array<Prompt> {
    get(name: string): Prompt | undefined;
  }

  export const interactionPolicy: {
    base(): Policy;
    Check: typeof Check;
  };

  export type Configuration = UnknownRecord;

  export class Provider {
    constructor(issuer: string, configuration: Configuration);
    readonly issuer: string;
    proxy: boolean;
    readonly Grant: GrantConstructor;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<Interaction>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: InteractionResults,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    interactionResult(
      req: IncomingMessage,
      res: ServerResponse,
      result: InteractionResults,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<string>;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  export const errors: {
    readonly SessionNotFound: new (description?: string) => Error;
  };
}
