/**
 * `version.VersionService`: `GET /api/version`. A caller that is not logged in gets ONLY
 * `{"Version": ...}`: Argo CD's UI decides that authentication is disabled when an anonymous reply
 * carries tool versions, so anything more would skip the login page (and tell attackers what runs).
 * Logged-in callers (or every caller under `--disable-auth`) get the whole `VersionMessage`.
 * The same handler serves `version.VersionService/Version` over gRPC, gRPC-Web and Connect (there
 * the other fields are empty strings for anonymous callers).
 */
import { VERSION } from '../../config/index.js';
import { unary } from '../connect.js';
import type { RequestContext } from '../context.js';
import { VersionService } from '../gen/argocd/server/version/version_pb.js';
import type { ApiService } from '../service.js';

/** The swagger `versionVersionMessage` (every field present; unknown tool versions are ''). */
export interface VersionMessage {
  readonly Version: string;
  readonly BuildDate: string;
  readonly GitCommit: string;
  readonly GitTag: string;
  readonly GitTreeState: string;
  readonly GoVersion: string;
  readonly Compiler: string;
  readonly Platform: string;
  readonly KustomizeVersion: string;
  readonly HelmVersion: string;
  readonly KubectlVersion: string;
  readonly JsonnetVersion: string;
  readonly ExtraBuildInfo: string;
}

export const SERVER_VERSION = `v${VERSION}`;

export function fullVersion(): VersionMessage {
  return {
    Version: SERVER_VERSION,
    BuildDate: '',
    GitCommit: '',
    GitTag: '',
    GitTreeState: '',
    GoVersion: '',
    Compiler: 'node',
    Platform: `${process.platform}/${process.arch}`,
    KustomizeVersion: '',
    HelmVersion: '',
    KubectlVersion: '',
    JsonnetVersion: '',
    ExtraBuildInfo: `argocd-ts on Node.js ${process.version}`,
  };
}

/** The handler shared by REST and Connect. */
export function getVersion(
  ctx: RequestContext,
  disableAuth: boolean,
): VersionMessage | { Version: string } {
  return ctx.caller.loggedIn || disableAuth ? fullVersion() : { Version: SERVER_VERSION };
}

export const versionService: ApiService = {
  name: 'version',
  register(routes, deps) {
    routes.route({
      method: 'GET',
      path: '/api/version',
      auth: 'optional',
      handler: (ctx) => getVersion(ctx, deps.options.disableAuth),
    });
    routes.rpc(VersionService, {
      version: unary(
        deps,
        (ctx) => {
          const v = getVersion(ctx, deps.options.disableAuth);
          return 'BuildDate' in v ? v : { Version: v.Version };
        },
        { auth: 'optional' },
      ),
    });
  },
};
