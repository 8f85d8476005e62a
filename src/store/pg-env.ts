/**
 * Where the tests (and the CLI) find PostgreSQL: `FAILSMALL_PG_URL`, or the standard `PG*` variables
 * that `pg` reads by itself. `undefined` when neither is set.
 */
export function postgresFromEnv(env: NodeJS.ProcessEnv = process.env): { connectionString?: string } | undefined {
  const url = env.FAILSMALL_PG_URL;
  if (url !== undefined && url !== '') return { connectionString: url };
  if ((env.PGHOST ?? '') !== '' || (env.PGDATABASE ?? '') !== '') return {};
  return undefined;
}

/** The reason printed when PostgreSQL cases are skipped. */
export const POSTGRES_SKIP_REASON =
  'PostgreSQL was not available: set FAILSMALL_PG_URL (or PGHOST/PGDATABASE) to run these cases; .ci/run starts one';
