import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarise } from '../../src/analyse/summarise.ts';
import { escapeXml, readVerdicts, renderJunit } from '../../src/report/junit.ts';
import { readRunDir } from '../../src/rundir/read-run.ts';

import { BURST_RESULT, baseRunFile, leakingBurstRun, writeSyntheticRun } from '../helpers/synthetic-run.ts';
import type { SummaryFile } from '../../src/analyse/summary-file.ts';

function leakingSummary(): { summary: SummaryFile; run: ReturnType<typeof baseRunFile> } {
  const data = readRunDir(writeSyntheticRun(leakingBurstRun()));
  return { summary: summarise(data), run: data.run };
}

const cases = (xml: string) =>
  [...xml.matchAll(/<testcase classname="([^"]*)" name="([^"]*)"[^>]*?(\/>|>\s*<(failure|skipped)[^>]*>)/g)].map(
    (m) => ({ classname: m[1], name: m[2], outcome: m[4] ?? 'pass' }),
  );

test('one case per load check and phase, a skipped verdict case when there is no diagnosis', () => {
  const { summary, run } = leakingSummary();
  const { diagnosis: _dropped, ...older } = summary;
  const xml = renderJunit(older, run);
  assert.match(
    xml,
    /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="leakbench" tests="5" failures="1" errors="0" skipped="1" time="\d+\.\d{3}">/,
  );
  assert.deepEqual(cases(xml), [
    { classname: 'leakbench.burst.race.run', name: 'run completed', outcome: 'pass' },
    { classname: 'leakbench.burst.race.load.burst', name: 'errors == 0', outcome: 'failure' },
    { classname: 'leakbench.burst.race.load.burst', name: 'non-2xx == 0', outcome: 'pass' },
    { classname: 'leakbench.burst.race.load.burst', name: 'sent == requested', outcome: 'pass' },
    { classname: 'leakbench.burst.race.memory', name: 'verdict', outcome: 'skipped' },
  ]);
  // BURST_RESULT has 10 errors, 4 of them timeouts: the failure says so.
  assert.match(
    xml,
    /<failure type="errors" message="10 requests failed \(4 of them timeouts\)">burst \(burst\): requested 1,000,000, sent 1,000,000, completed 999,990, errors 10/,
  );
  assert.match(xml, /<skipped message="this summary has no verdict"\/>/);
  assert.equal(xml.match(/<testcase /g)?.length, 5);
});

test('a growth verdict fails with its summary as the message and its evidence as the body; a stable one passes', () => {
  const { summary, run } = leakingSummary();
  const verdict = summary.diagnosis!.verdict;
  assert.equal(verdict.kind, 'growth-outside-go-runtime', "the synthetic leak is diagnosed as the report's");
  const xml = renderJunit(summary, run);
  const failure =
    /<testcase classname="leakbench\.burst\.race\.memory" name="verdict: growth-outside-go-runtime" time="[\d.]+">\n\s*<failure type="growth-outside-go-runtime" message="([^"]*)">([^<]*)<\/failure>/.exec(
      xml,
    );
  assert.ok(failure, xml);
  assert.equal(failure[1], escapeXml(verdict.summary));
  assert.equal(failure[2], escapeXml([summary.headline, verdict.summary, ...verdict.evidence].join('\n')));
  assert.deepEqual(readVerdicts(summary), [
    { kind: verdict.kind, text: [verdict.summary, ...verdict.evidence].join('\n') },
  ]);

  const stable: SummaryFile = {
    ...summary,
    diagnosis: {
      ...summary.diagnosis!,
      verdict: { ...verdict, kind: 'stable', summary: 'No figure grows.', evidence: ['RSS +0.2 MiB'] },
    },
  };
  const ok = renderJunit(stable, run);
  assert.match(ok, /<testcase classname="leakbench\.burst\.race\.memory" name="verdict: stable" time="[\d.]+"\/>/);
  assert.doesNotMatch(ok, /<skipped/);
});

test('failed runs, short sends and non-2xx fail their cases', () => {
  const { summary, run } = leakingSummary();
  const bad: SummaryFile = {
    ...summary,
    status: 'failed',
    load: [{ ...BURST_RESULT, sent: 500, errors: 0, timeouts: 0, non2xx: 3, statusCodes: { '200': 497, '503': 3 } }],
  };
  const xml = renderJunit(bad, { ...run, status: 'failed', endReason: 'the target exited with code 2 during the run' });
  assert.match(xml, /<failure type="failed" message="the run failed: the target exited with code 2 during the run">/);
  assert.match(xml, /<failure type="non-2xx" message="3 responses were not 2xx: 503 × 3">/);
  assert.match(xml, /<failure type="sent" message="sent 500 of 1,000,000 requested">/);
  // The leaking run's growth verdict is the fourth failure.
  assert.match(xml, /tests="5" failures="4"/);
});

test('hostile text is escaped, and characters XML cannot hold are dropped', () => {
  assert.equal(
    escapeXml(`<a b="c" d='e'> & \u0001\u0008 ok\t\n\uD800 x 😀`),
    '&lt;a b=&quot;c&quot; d=&apos;e&apos;&gt; &amp;  ok\t\n x 😀',
  );
  const { summary, run } = leakingSummary();
  const hostile: SummaryFile = {
    ...summary,
    scenario: '"><x>',
    target: { ...summary.target, label: 'a&b' },
    warnings: ['</system-out><evil/>'],
  };
  const xml = renderJunit(hostile, run);
  assert.match(xml, /<testsuite name="leakbench\.&quot;&gt;&lt;x&gt;\.a&amp;b"/);
  assert.match(xml, /<system-out>[^<]*warning: &lt;\/system-out&gt;&lt;evil\/&gt;<\/system-out>/);
  // Every < in the document starts a tag of the JUnit vocabulary (or the XML declaration).
  for (const m of xml.matchAll(/<\/?([A-Za-z?][\w-]*)/g))
    assert.ok(
      [
        '?xml',
        'testsuites',
        'testsuite',
        'properties',
        'property',
        'testcase',
        'failure',
        'skipped',
        'system-out',
      ].includes(m[1]!),
      m[0],
    );
});
