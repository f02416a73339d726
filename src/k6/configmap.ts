/**
 * The ConfigMap that k6-operator's TestRun reads its script from (`spec.script.configMap`),
 * made from dist/k6: one key per bundle and per source map, so a runner pod sees
 * /test/<scenario>.js with its map beside it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LeakbenchError, UsageError } from '../errors.ts';

/** The API server refuses ConfigMaps over 1 MiB (data plus metadata); leave room for the metadata. */
export const CONFIGMAP_MAX_BYTES = 1_000_000;

export interface ConfigMapSpec {
  name: string;
  namespace?: string;
  files: Record<string, string>;
}

export function readK6Dist(dir: string): Record<string, string> {
  if (!existsSync(dir)) throw new LeakbenchError(`${dir} does not exist: run npm run build:k6 first`);
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.js') || f.endsWith('.js.map'))
    .sort();
  if (!names.some((f) => f.endsWith('.js')))
    throw new LeakbenchError(`${dir} has no .js bundles: run npm run build:k6 first`);
  return Object.fromEntries(names.map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

/**
 * YAML whose every string is a JSON string: JSON's escapes are a subset of YAML's double-quoted
 * ones, so the bundles go in byte for byte without a YAML library or block-scalar pitfalls.
 */
export function configMapYaml(spec: ConfigMapSpec): string {
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(spec.name))
    throw new UsageError(
      `--name: ${JSON.stringify(spec.name)} is not a valid Kubernetes object name (lower-case letters, digits, - and .)`,
    );
  const bytes = Object.values(spec.files).reduce((n, v) => n + Buffer.byteLength(v), 0);
  if (bytes > CONFIGMAP_MAX_BYTES)
    throw new LeakbenchError(`dist/k6 holds ${bytes} bytes, more than a ConfigMap can (about 1 MiB)`);
  const q = (s: string) => JSON.stringify(s);
  const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', `  name: ${q(spec.name)}`];
  if (spec.namespace !== undefined) lines.push(`  namespace: ${q(spec.namespace)}`);
  lines.push('  labels:', '    app.kubernetes.io/part-of: leakbench', 'data:');
  for (const [key, value] of Object.entries(spec.files)) lines.push(`  ${q(key)}: ${q(value)}`);
  return lines.join('\n') + '\n';
}
