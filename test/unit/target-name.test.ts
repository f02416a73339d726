import { test } from 'node:test';
import assert from 'node:assert/strict';
import { targetName, withTargetName } from '../../src/report/target-name.ts';
import { renderJunit } from '../../src/report/junit.ts';
import { loadChart, memoryChart } from '../../src/report/charts.ts';
import { reportContent } from '../../src/report/tables.ts';
import { summarise } from '../../src/analyse/summarise.ts';
import { readRunDir } from '../../src/rundir/read-run.ts';
import type { TargetInfo } from '../../src/rundir/schema.ts';
import { baseRunFile, leakingBurstRun, writeSyntheticRun } from '../helpers/synthetic-run.ts';

const url = 'http://127.0.0.1:8080/';
const id = (executable: string, cmdline: string[], runtime: 'go' | 'node' | 'python' | 'jvm' | 'other') => ({
  pid: 1,
  executable,
  cmdline,
  runtime,
  runtimeEvidence: 'test',
});

test("the report names the target by what it is: the user's label, else the process, never cmd or sample", () => {
  const cmd = (identity?: TargetInfo['identity'], command = './bin/server -addr :8080'): TargetInfo => ({
    kind: 'command',
    label: 'cmd',
    url,
    command,
    ...(identity && { identity }),
  });
  assert.equal(targetName(cmd(id('/srv/app/health-check', ['./health-check'], 'go'))), 'health-check');
  assert.equal(targetName(cmd()), 'server', 'no process read: the command word');
  assert.equal(
    targetName(
      cmd(
        id(
          '/usr/lib/jvm/java-17/bin/java',
          ['java', '-Xmx256m', '-cp', 'x:lib/*', 'leakbench.JvmServer', '--port', '1'],
          'jvm',
        ),
      ),
    ),
    'java leakbench.JvmServer',
  );
  assert.equal(targetName(cmd(id('/usr/bin/java', ['java', '-jar', '/opt/app.jar'], 'jvm'))), 'java -jar app.jar');
  assert.equal(
    targetName(cmd(id('/usr/bin/node', ['node', '--max-old-space-size=256', 'dist/server.js'], 'node'))),
    'node server.js',
  );
  assert.equal(
    targetName(cmd(id('/usr/bin/python3.12', ['python3', '-m', 'uvicorn', 'app:app'], 'python'))),
    'python3.12 -m uvicorn',
  );
  // `leakbench sample`: its default label is a placeholder; --label names it.
  const sample = (label: string, identity?: TargetInfo['identity']): TargetInfo => ({
    kind: 'attach',
    label,
    url: '',
    ...(identity && { identity, pid: identity.pid }),
  });
  assert.equal(targetName(sample('sample', id('/srv/api (deleted)', ['api'], 'go'))), 'api');
  assert.equal(targetName(sample('checkout-api', id('/srv/api', ['api'], 'go'))), 'checkout-api');
  assert.equal(targetName({ kind: 'attach', label: 'sample', url: '', pid: 77 }), 'process 77');
  assert.equal(targetName({ kind: 'attach', label: 'attach-9090', url: 'http://127.0.0.1:9090/' }), '127.0.0.1:9090');
  assert.equal(targetName({ kind: 'bundled', label: 'race', url, variant: 'race' }), 'race');
});

test('the title of a run against --cmd and of a sample', () => {
  const spec = leakingBurstRun();
  spec.run = baseRunFile({
    scenario: 'soak',
    target: {
      kind: 'command',
      label: 'cmd',
      url,
      command: 'java -jar app.jar',
      identity: id('/usr/bin/java', ['java', '-jar', 'app.jar'], 'jvm'),
    },
  });
  const data = readRunDir(writeSyntheticRun(spec));
  const summary = summarise(data);
  const content = reportContent(summary, data.run);
  assert.equal(content.title, 'leakbench: soak against java -jar app.jar');
  // The facts table, junit.xml's property and the charts' titles name it the same way.
  assert.equal(content.facts.find(([k]) => k === 'target')?.[1], 'java -jar app.jar, command');
  assert.match(renderJunit(summary, data.run), /<property name="target" value="java -jar app.jar"\/>/);
  const titles = [memoryChart(data, withTargetName(summary)), loadChart(data, withTargetName(summary))].map((c) =>
    JSON.stringify(c),
  );
  for (const t of titles) assert.match(t, /soak · java -jar app\.jar — /);
  assert.doesNotMatch(renderJunit(summary, data.run) + content.facts.flat().join(' '), /\bcmd\b/);
  spec.run = baseRunFile({
    scenario: 'sample',
    target: { kind: 'attach', label: 'sample', url: '', pid: 1, identity: id('/srv/api', ['api'], 'go') },
  });
  const sampled = readRunDir(writeSyntheticRun(spec));
  assert.equal(reportContent(summarise(sampled), sampled.run).title, 'leakbench: sample of api');
});
