/**
 * gRPC, gRPC-Web and Connect on the API server's port: one @connectrpc/connect-fastify handler
 * serves the three protocols for every service that registered with `routes.rpc(...)` (see
 * service.ts). A service folder builds each method with `unary(deps, handler)` around the SAME
 * function its REST route calls, so an RPC and its REST endpoint cannot drift apart. What differs
 * is only the transport:
 * - the token comes from gRPC metadata `token`, `authorization: Bearer`, or the cookie;
 * - a renewed token is sent back in the `renew-token` response header (Argo CD's clients read it);
 * - every error goes through the same `mapError` (errors.ts) and leaves as the gRPC status code it
 *   names, with the same redacted message; internal errors are logged under a `logId`;
 * - objects that Argo CD sends as v1alpha1 messages (AppProject, Repository, Cluster) travel as
 *   `google.protobuf.Struct` holding the REST JSON (docs/adr/0005-grpc-objects-as-struct.md),
 *   converted by `toStruct` after `removeCredentialFields` (the last net of sensitive routes).
 *
 * Routing on the one port: Connect's handler picks the protocol by content type
 * (`application/grpc*` → gRPC, `application/grpc-web*` → gRPC-Web, `application/json` /
 * `application/proto` → Connect) on the paths `/<package>.<Service>/<Method>`; an unknown method
 * asked for over gRPC or gRPC-Web gets `Unimplemented` from the not-found handler (http-app.ts).
 * The paths are not under `/api/`, so the REST CSRF guard does not apply; Connect itself refuses
 * the content types a cross-site form or a simple request can send.
 */
import type { DescService } from '@bufbuild/protobuf';
import { fromJson, type JsonObject, type JsonValue } from '@bufbuild/protobuf';
import { StructSchema, type Struct } from '@bufbuild/protobuf/wkt';
import {
  Code,
  ConnectError,
  createContextKey,
  createContextValues,
  type HandlerContext,
  type ServiceImpl,
} from '@connectrpc/connect';
import { fastifyConnectPlugin } from '@connectrpc/connect-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isRecord } from '../lib/index.js';
import type { RequestContext } from './context.js';
import { ApiError, internalErrorDetail, mapError } from './errors.js';
import { removeCredentialFields } from './redact.js';
import type { ServiceDeps } from './service.js';

const kClientAddress = createContextKey<string>('unknown', { description: 'client address' });

/** A service and its methods, as registered by `routes.rpc`. */
export interface RpcServiceRegistration {
  readonly service: DescService;
  readonly impl: Partial<ServiceImpl<DescService>>;
}

/** The Connect enum member of a gRPC status number (the values are the same). */
function connectCode(n: number): Code {
  const name = Code[n] as keyof typeof Code | undefined;
  return name !== undefined ? Code[name] : Code.Internal;
}

/** Any error as the ConnectError the client sees (mapped and redacted by errors.ts). */
export function toConnectError(
  deps: Pick<ServiceDeps, 'log'>,
  err: unknown,
  rpc: string,
): ConnectError {
  const mapped = mapError(err);
  if (mapped.logId !== undefined)
    deps.log.error({ ...internalErrorDetail(err), logId: mapped.logId, rpc }, 'internal error');
  return new ConnectError(mapped.message, connectCode(mapped.grpcCode));
}

export interface UnaryOptions {
  /** `required` (default): Unauthenticated without a valid token; `optional`: anonymous allowed */
  readonly auth?: 'required' | 'optional';
}

/**
 * One unary method: authenticates the call (same token sources and rules as REST), runs `fn`
 * with the `RequestContext` and maps every error to its gRPC status.
 * @example
 * routes.rpc(ProjectService, {
 *   get: unary(deps, (ctx, req: { name: string }) => toStruct(getProject(deps, ctx, req.name))),
 * });
 */
export function unary<I, O>(
  deps: ServiceDeps,
  fn: (ctx: RequestContext, req: I, hc: HandlerContext) => Promise<O> | O,
  options: UnaryOptions = {},
): (req: I, hc: HandlerContext) => Promise<O> {
  const mode = options.auth ?? 'required';
  return async (req, hc) => {
    try {
      const header = (name: string): string | undefined => hc.requestHeader.get(name) ?? undefined;
      const { ctx, renewed } = await deps.authenticate(
        {
          authorization: header('authorization'),
          cookie: header('cookie'),
          grpcToken: header('token'),
        },
        hc.values.get(kClientAddress),
        mode,
        { rpc: `${hc.service.typeName}/${hc.method.name}` },
      );
      if (renewed) hc.responseHeader.set('renew-token', renewed.token);
      return await fn(ctx, req, hc);
    } catch (err) {
      throw toConnectError(deps, err, `${hc.service.typeName}/${hc.method.name}`);
    }
  };
}

/**
 * A REST JSON object as a `google.protobuf.Struct` (undefined members dropped, credential fields
 * removed as on sensitive REST routes).
 */
export function toStruct(value: unknown): Struct {
  const json = JSON.parse(JSON.stringify(removeCredentialFields(value ?? {}))) as JsonValue;
  if (!isRecord(json)) throw new TypeError('toStruct needs an object');
  return fromJson(StructSchema, json);
}

/** A list answer (`{metadata, items}`) as the `metadata`/`items` fields of a *List message. */
export function toListFields(page: { metadata?: unknown; items: readonly unknown[] }): {
  metadata: JsonObject;
  items: JsonObject[];
} {
  const clean = JSON.parse(JSON.stringify(removeCredentialFields(page))) as {
    metadata?: JsonObject;
    items: JsonObject[];
  };
  return { metadata: clean.metadata ?? {}, items: clean.items };
}

/**
 * The REST-style query of a list RPC (`limit`, `continue` and the given filters) as the raw
 * query object `QueryParams` reads; zero and empty values count as absent.
 */
export function rpcQuery(
  fields: Readonly<Record<string, string | bigint | boolean | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined || v === '' || v === false || v === 0n) continue;
    out[k] = typeof v === 'bigint' ? v.toString() : String(v);
  }
  return out;
}

/** An int64 request field as a safe JavaScript number (InvalidArgument beyond 2^53). */
export function int64Field(v: bigint, field: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
    throw new ApiError(
      'ERR_API_INVALID_ARGUMENT',
      `failed to read ${field}: ${v.toString()} is out of range`,
    );
  return Number(v);
}

/** Mounts the registered services on the fastify app. */
export async function registerConnect(
  app: FastifyInstance,
  deps: ServiceDeps,
  clientAddress: (req: FastifyRequest) => string,
  services: readonly RpcServiceRegistration[],
): Promise<void> {
  if (services.length === 0) return;
  // an encapsulated scope: Connect brings its own body parsers, including application/json,
  // which the REST scope keeps for itself
  await app.register(async (scope) => {
    scope.removeContentTypeParser(['application/json']);
    await scope.register(fastifyConnectPlugin, {
      routes: (router) => {
        for (const s of services) router.service(s.service, s.impl);
      },
      contextValues: (req) => createContextValues().set(kClientAddress, clientAddress(req)),
      // a request body as large as the REST API accepts
      readMaxBytes: deps.options.maxRequestBodyBytes,
      shutdownSignal: deps.shutdownSignal,
    });
  });
}
