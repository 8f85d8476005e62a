// Leaves the CLI executable after a build, so `npx failsmall …` works in a checkout (tsc writes 0644).
import { chmodSync } from 'node:fs';
chmodSync(new URL('../dist/cli/main.js', import.meta.url), 0o755);
