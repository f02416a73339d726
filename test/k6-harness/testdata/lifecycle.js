// The harness's own k6 semantics, checked by test/integration/k6-harness.test.ts: init and VU
// context rules, a module instance per VU, setup data, executors, thresholds, handleSummary.
// Every line the script logs is JSON, for the test to read.
/* global __VU, __ITER, open -- k6 globals */
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter } from 'k6/metrics';

const initVU = __VU;
const self = open('./lifecycle.js');
const calls = new Counter('calls');
let callsHere = 0;

function messageOf(fn) {
  try {
    fn();
    return 'no error';
  } catch (e) {
    return String(e && e.message !== undefined ? e.message : e);
  }
}

const initErrors = {
  http: messageOf(() => http.get('http://127.0.0.1:1/')),
  check: messageOf(() => check(1, { one: (v) => v === 1 })),
  scenario: messageOf(() => exec.scenario.name),
};
console.log(JSON.stringify({ kind: 'init', vu: initVU, opened: self.includes('messageOf'), initErrors }));

export const options = {
  scenarios: {
    perVU: { executor: 'per-vu-iterations', vus: 2, iterations: 3, exec: 'perVU' },
    paced: {
      executor: 'constant-arrival-rate',
      rate: 10,
      timeUnit: '1s',
      duration: '1s',
      preAllocatedVUs: 1,
      maxVUs: 1,
      exec: 'slow',
    },
    stuck: {
      executor: 'shared-iterations',
      vus: 1,
      iterations: 1,
      maxDuration: '500ms',
      gracefulStop: '200ms',
      exec: 'stuck',
    },
  },
  thresholds: {
    'calls{scenario:perVU}': ['count==6'],
    'iterations{scenario:stuck}': ['count==0'],
    checks: ['rate==1'],
  },
};

export function setup() {
  return { from: 'setup', vu: __VU };
}

export function perVU(data) {
  callsHere++;
  calls.add(1);
  check(callsHere, { 'counts only this VU': (n) => n === __ITER + 1 });
  console.log(
    JSON.stringify({
      kind: 'iteration',
      vu: __VU,
      initVU,
      iter: __ITER,
      callsHere,
      data,
      scenario: exec.scenario.name,
      vuErrors: { open: messageOf(() => open('./lifecycle.js')), metric: messageOf(() => new Counter('late')) },
    }),
  );
}

export function slow() {
  sleep(0.25);
}

export function stuck() {
  sleep(5);
}

export function handleSummary(data) {
  return { 'summary.json': JSON.stringify(data) };
}
