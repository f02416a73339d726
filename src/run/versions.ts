import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { release, type } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../target/bundled-build.ts';

const require = createRequire(import.meta.url);

function pkgVersion(pkgJson: string): string {
  try {
    return (JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function toolVersions(goVersion?: string) {
  return {
    leakbench: pkgVersion(join(REPO_ROOT, 'package.json')),
    node: process.version,
    autocannon: pkgVersion(require.resolve('autocannon/package.json')),
    ...(goVersion && { go: goVersion.replace(/^go version /, '') }),
    os: `${type()} ${release()}`,
  };
}
