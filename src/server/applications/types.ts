/** The objects the applications API keeps in its watch caches (shared by its modules). */
import type { Application, ApplicationSet } from '../../apis/index.js';
import type { RequestContext } from '../context.js';
import type { ApiRequest } from '../service.js';

/** An Application as the watch cache holds it. */
export type StoredApplication = Application & { apiVersion: string; kind: string };
export type StoredApplicationSet = ApplicationSet & { apiVersion: string; kind: string };

/**
 * What a handler of the applications API reads of a request. REST routes pass their request;
 * the gRPC/Connect methods (rpc.ts) build one from the protobuf message, so both run the same
 * handler.
 */
export type AppRequest = Pick<ApiRequest, 'params' | 'query' | 'body'>;

/** A handler shared by a REST route and its RPC. */
export type AppHandler = (ctx: RequestContext, req: AppRequest) => Promise<unknown>;
