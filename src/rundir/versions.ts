import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { release, type } from 'node:os';
import { packageVersion } from '../package-paths.ts';

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
    leakbench: packageVersion(),
    node: process.version,
    autocannon: pkgVersion(require.resolve('autocannon/package.json')),
    ...(goVersion && { go: goVersion.replace(/^go version /, '') }),
    os: `${type()} ${release()}`,
  };
}
