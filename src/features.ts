import type { Feature } from './app.ts';
import { dataAccessFeature } from './modules/data/feature.ts';
import { embedFeature } from './modules/embed/feature.ts';
import { graphiqlFeature } from './modules/graphiql/feature.ts';
import { outboxFeature } from './modules/outbox/feature.ts';
import { sessionsFeature } from './modules/sessions/feature.ts';

/** The feature areas every Tessera process runs with, beyond the core user API. */
export function coreFeatures(): Feature[] {
  return [sessionsFeature(), dataAccessFeature(), embedFeature(), outboxFeature(), graphiqlFeature()];
}
