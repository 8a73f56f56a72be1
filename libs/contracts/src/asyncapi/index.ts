/**
 * The AsyncAPI 3.0 document of Baton's NATS interface, generated from the contracts
 * (`npm run gen:asyncapi` writes docs/asyncapi.yaml). Not exported from `@baton/contracts`:
 * only the generator script and its tests need it.
 */
export { buildAsyncApiDocument, type AsyncApiOptions } from './asyncapi';
export { eventCatalog, type CatalogEvent } from './event-catalog';
export { renderAsyncApiYaml } from './render';
