import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { cacheRoot, REPO_ROOT } from '../../src/target/bundled-build.ts';

const run = promisify(execFile);
export const JVM_FIXTURE_DIR = join(REPO_ROOT, 'test', 'fixtures', 'jvm-servers');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'target') return [];
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

/**
 * Builds test/fixtures/jvm-servers with Maven once per source or JDK change, like the Go
 * fixtures: classes and the dependency jars into `.cache/fixture-jvm-servers-<hash>/`, so a run
 * needs neither Maven nor ~/.m2 after the first build. Returns the command that starts the server
 * (a shell command line: the class path's `lib/*` is Java's wildcard, so it is quoted).
 */
export async function ensureJvmFixture(jvmOptions = ''): Promise<string> {
  const { stderr: javaVersion } = await run('java', ['-version']);
  const h = createHash('sha256').update(javaVersion).update('\0');
  for (const f of files(JVM_FIXTURE_DIR).sort())
    h.update(relative(JVM_FIXTURE_DIR, f)).update('\0').update(readFileSync(f)).update('\0');
  const dir = join(cacheRoot(), `fixture-jvm-servers-${h.digest('hex').slice(0, 16)}`);
  if (!existsSync(join(dir, 'lib'))) {
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    await run('mvn', ['-B', '-q', 'compile', 'dependency:copy-dependencies', `-Dfixture.out=${tmp}`], {
      cwd: JVM_FIXTURE_DIR,
      maxBuffer: 16 * 2 ** 20,
    });
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  }
  return `java ${jvmOptions} -cp '${join(dir, 'classes')}:${join(dir, 'lib', '*')}' leakbench.JvmServer`;
}
