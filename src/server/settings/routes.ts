/**
 * `settings.SettingsService`:
 * - `GET /api/v1/settings`: what the UI and CLI need from argocd-cm. Works without login (the login
 *   page reads it) with a reduced set; the banner, password pattern, controller namespace and
 *   installation id only for logged-in callers (Argo CD's split). Never a secret: OIDC client
 *   secrets, Dex connector configs and `$`-references are never resolved or returned.
 * - `GET /api/v1/settings/plugins`: config management plugins (none are served by this repo
 *   server: `{plugins: []}`).
 *
 * The same handlers serve Argo CD's `cluster.SettingsService` (Get, GetPlugins: Argo CD declares
 * the settings service in package `cluster`) over gRPC, gRPC-Web and Connect; the REST JSON is read
 * into the `Settings` message by its proto3 JSON names.
 */
import { fromJson, type JsonValue } from '@bufbuild/protobuf';
import { parse as parseYaml } from 'yaml';
import { isRecord } from '../../lib/index.js';
import { unary } from '../connect.js';
import type { RequestContext } from '../context.js';
import { SettingsSchema, SettingsService } from '../gen/argocd/server/settings/settings_pb.js';
import type { ApiService, ServiceDeps } from '../service.js';

interface Connector {
  id?: string;
  name?: string;
  type?: string;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' && !v.startsWith('$') ? v : undefined;
}

function yamlObject(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    const v: unknown = parseYaml(text);
    return isRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** `dex.config` reduced to what the login page shows: connector id, name and type. */
export function dexConnectors(dexConfig: string | undefined): Connector[] {
  const cfg = yamlObject(dexConfig);
  const list = cfg?.connectors;
  if (!Array.isArray(list)) return [];
  return list.filter(isRecord).map((c) => {
    const out: Connector = {};
    const id = str(c.id);
    const name = str(c.name);
    const type = str(c.type);
    if (id) out.id = id;
    if (name) out.name = name;
    if (type) out.type = type;
    return out;
  });
}

/** `oidc.config` without the client secret (Argo CD's OIDCConfig message). */
export function publicOidcConfig(
  oidcConfig: string | undefined,
): Record<string, unknown> | undefined {
  const cfg = yamlObject(oidcConfig);
  if (!cfg) return undefined;
  const out: Record<string, unknown> = {};
  for (const k of ['name', 'issuer', 'clientID', 'cliClientID'] as const) {
    const v = str(cfg[k]);
    if (v !== undefined) out[k] = v;
  }
  if (Array.isArray(cfg.requestedScopes))
    out.scopes = cfg.requestedScopes.filter((s): s is string => typeof s === 'string');
  if (isRecord(cfg.requestedIDTokenClaims)) out.idTokenClaims = cfg.requestedIDTokenClaims;
  if (typeof cfg.enablePKCEAuthentication === 'boolean')
    out.enablePKCEAuthentication = cfg.enablePKCEAuthentication;
  return out;
}

function bool(v: string | undefined): boolean {
  return v?.trim().toLowerCase() === 'true';
}

/** The settings answer (shared by REST and Connect). */
export function getSettings(deps: ServiceDeps, ctx: RequestContext): Record<string, unknown> {
  const cm = deps.store.argocdCm()?.data ?? {};
  const settings = deps.store.settings();
  const loginEnabled = deps.accounts
    .list()
    .some((a) => a.enabled && a.capabilities.includes('login'));
  const binaryUrls: Record<string, string> = {};
  for (const [k, v] of Object.entries(cm)) {
    const m = /^help\.download\.(.+)$/.exec(k);
    if (m?.[1] !== undefined && /^https?:\/\//i.test(v)) binaryUrls[m[1]] = v;
  }
  const kustomizeVersions = Object.keys(cm)
    .map((k) => /^kustomize\.version\.(.+)$/.exec(k)?.[1])
    .filter((v): v is string => v !== undefined)
    .sort();
  const out: Record<string, unknown> = {
    url: settings.url ?? '',
    additionalUrls: settings.additionalUrls,
    appLabelKey: settings.instanceLabelKey,
    trackingMethod: settings.trackingMethod,
    userLoginsDisabled: !loginEnabled,
    statusBadgeEnabled: settings.statusBadgeEnabled,
    ...(cm['statusbadge.url'] ? { statusBadgeRootUrl: cm['statusbadge.url'] } : {}),
    googleAnalytics: {
      trackingID: cm['ga.trackingid'] ?? '',
      anonymizeUsers: cm['ga.anonymizeusers'] === undefined ? true : bool(cm['ga.anonymizeusers']),
    },
    help: {
      chatUrl: cm['help.chatUrl'] ?? '',
      chatText: cm['help.chatText'] ?? '',
      binaryUrls,
    },
    kustomizeVersions,
    uiCssURL: cm['ui.cssurl'] ?? '',
    uiLoginButtonText: cm['ui.loginButtonText'] ?? '',
    execEnabled: settings.execEnabled,
    resourceViewEnabled:
      cm['ui.resourceViewEnabled'] === undefined ? true : bool(cm['ui.resourceViewEnabled']),
    appsInAnyNamespaceEnabled: false,
    impersonationEnabled: bool(cm['application.sync.impersonation.enabled']),
    hydratorEnabled: bool(cm['hydrator.enabled']),
    syncWithReplaceAllowed:
      cm['application.sync.replace.allowed'] === undefined
        ? true
        : bool(cm['application.sync.replace.allowed']),
  };
  const connectors = dexConnectors(settings.dexConfig);
  if (settings.dexConfig !== undefined) {
    out.dexConfig = {
      connectors,
      ...(cm['dex.auth.connectorId'] ? { dexAuthConnectorID: cm['dex.auth.connectorId'] } : {}),
    };
  }
  const oidc = publicOidcConfig(settings.oidcConfig);
  if (oidc) out.oidcConfig = oidc;
  if (ctx.caller.loggedIn || deps.options.disableAuth) {
    out.uiBannerContent = cm['ui.bannercontent'] ?? '';
    out.uiBannerURL = cm['ui.bannerurl'] ?? '';
    out.uiBannerPermanent = bool(cm['ui.bannerpermanent']);
    out.uiBannerPosition = cm['ui.bannerposition'] ?? '';
    out.passwordPattern = settings.passwordPattern;
    out.controllerNamespace = deps.namespace;
    out.installationID = cm.installationID ?? '';
    out.kustomizeOptions = { buildOptions: settings.kustomizeBuildOptions ?? '' };
  }
  return out;
}

export const settingsService: ApiService = {
  name: 'settings',
  register(routes, deps) {
    routes.route({
      method: 'GET',
      path: '/api/v1/settings',
      auth: 'optional',
      sensitive: true,
      handler: (ctx) => getSettings(deps, ctx),
    });
    routes.route({
      method: 'GET',
      path: '/api/v1/settings/plugins',
      handler: () => ({ plugins: [] }),
    });
    routes.rpc(SettingsService, {
      get: unary(
        deps,
        (ctx) =>
          fromJson(
            SettingsSchema,
            JSON.parse(JSON.stringify(getSettings(deps, ctx))) as JsonValue,
            {
              ignoreUnknownFields: true,
            },
          ),
        { auth: 'optional' },
      ),
      getPlugins: unary(deps, () => ({ plugins: [] })),
    });
  },
};
