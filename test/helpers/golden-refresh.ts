/**
 * `npm run test:golden` runs the report's golden tests; `npm run test:golden -- --update`
 * rewrites test/golden/ from what the report renders now (review the diff before committing).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const update = process.argv.slice(2).includes('--update');
const test = fileURLToPath(new URL('../unit/report-golden.test.ts', import.meta.url));
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', test], {
  stdio: 'inherit',
  env: { ...process.env, ...(update && { LEAKBENCH_UPDATE_GOLDEN: '1' }) },
});
process.exitCode = r.status ?? 1;
