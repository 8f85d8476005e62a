/**
 * failsmall: keep Node services up when a cloud control plane, DNS or a managed dependency fails or
 * lies. The root entry re-exports the light layers; heavier ones have their own subpath
 * (`failsmall/dns`, `failsmall/client`, `failsmall/chaos`, …).
 */
export * from './core/index.js';
