import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureGoBinary } from '../test/helpers/go-fixture.ts';
import { ensureBundledBinary, REPO_ROOT, type BundledBinary } from '../src/target/bundled-build.ts';
import { freePort } from '../src/target/free-port.ts';
import { launchTarget, type LaunchedTarget } from '../src/target/launch.ts';

export interface BenchTarget {
  binary: BundledBinary;
  launched: LaunchedTarget;
  baseUrl: URL;
  /** The path every load tool hits: the report's health check. */
  url: URL;
  metricsUrl: URL;
  pid: number;
  stop(): Promise<void>;
}

/**
 * The bundled plain build of the report's server, started the way the pack starts it. Plain,
 * not race: the race build's memory grows with every request, so the same burst would not cost
 * the same on the second round as on the first, and rounds could not be compared.
 */
export async function startPlainTarget(log: (line: string) => void): Promise<BenchTarget> {
  const binary = await ensureBundledBinary('plain', log);
  const port = await freePort();
  const baseUrl = new URL(`http://127.0.0.1:${port}/`);
  const dir = mkdtempSync(join(tmpdir(), 'leakbench-bench-target-'));
  const launched = await launchTarget({
    command: { file: binary.path, args: ['-addr', `127.0.0.1:${port}`] },
    readyUrl: new URL('/health_check', baseUrl),
    readyTimeoutMs: 15_000,
    logFile: join(dir, 'target.log'),
  });
  return {
    binary,
    launched,
    baseUrl,
    url: new URL('/health_check', baseUrl),
    metricsUrl: new URL('/metrics', baseUrl),
    pid: launched.pid,
    async stop() {
      await launched.stop(3000);
    },
  };
}

/** A second target that is not Gin, so a ratio to wrk is not one framework's artefact. */
export interface PlainGoTarget {
  url: URL;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Go's net/http alone: the HTTP/1.1 conformance suite's server (test/fixtures/http1-servers/go),
 * its `/cl` path (200 with a Content-Length body), built once per source change.
 */
export async function startNetHttpTarget(): Promise<PlainGoTarget> {
  const bin = await ensureGoBinary(
    join(REPO_ROOT, 'test', 'fixtures', 'http1-servers', 'go'),
    'fixture-http1-go',
    'http1-server',
  );
  const port = await freePort();
  const baseUrl = new URL(`http://127.0.0.1:${port}/`);
  const dir = mkdtempSync(join(tmpdir(), 'leakbench-bench-nethttp-'));
  const launched = await launchTarget({
    command: { file: bin, args: ['-addr', `127.0.0.1:${port}`] },
    readyUrl: new URL('/cl', baseUrl),
    readyTimeoutMs: 15_000,
    logFile: join(dir, 'target.log'),
  });
  return {
    url: new URL('/cl', baseUrl),
    pid: launched.pid,
    async stop() {
      await launched.stop(3000);
    },
  };
}
