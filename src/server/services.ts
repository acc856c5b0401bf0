/**
 * The services the API server mounts, in one list. A new service adds its `ApiService` here (or
 * is passed in `ApiServerDeps.services` by the composition root). See docs/server.md, "How to add
 * a service".
 */
import { accountService } from './account/routes.js';
import { applicationSetsService, applicationsService } from './applications/routes.js';
import { clustersService } from './clusters/routes.js';
import { projectsService } from './projects/routes.js';
import { repositoriesService } from './repositories/routes.js';
import type { ApiService } from './service.js';
import { sessionService } from './session/routes.js';
import { settingsService } from './settings/routes.js';
import { streamService } from './stream/routes.js';
import { uiService } from './ui/routes.js';
import { versionService } from './version/routes.js';
import { webhookService } from './webhook/routes.js';

export const defaultServices: readonly ApiService[] = [
  versionService,
  sessionService,
  settingsService,
  accountService,
  projectsService,
  repositoriesService,
  clustersService,
  applicationsService,
  applicationSetsService,
  streamService,
  webhookService,
  uiService,
];
