/**
 * failsmall: keep Node services up when a cloud control plane, DNS or a managed dependency fails or
 * lies. The root entry re-exports the light layers (`failsmall/core` and `failsmall/policy`), so
 * `import { retry } from 'failsmall'` works; the others have their own subpath (`failsmall/dns`,
 * `failsmall/client`, `failsmall/chaos`, `failsmall/testing`, …).
 */
export * from './core/index.js';
export * from './policy/index.js';
