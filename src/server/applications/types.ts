/** The objects the applications API keeps in its watch caches (shared by its modules). */
import type { Application, ApplicationSet } from '../../apis/index.js';

/** An Application as the watch cache holds it. */
export type StoredApplication = Application & { apiVersion: string; kind: string };
export type StoredApplicationSet = ApplicationSet & { apiVersion: string; kind: string };
