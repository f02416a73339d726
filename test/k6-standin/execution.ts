/** Stand-in for `k6/execution`: the current scenario and VU, as the test sets them. */
import { state } from './state.ts';

const execution = {
  get scenario() {
    return { name: state.scenario, executor: 'stand-in', startTime: 0, progress: 0, iterationInInstance: state.iter, iterationInTest: state.iter };
  },
  get vu() {
    return { idInInstance: state.vu, idInTest: state.vu, iterationInInstance: state.iter, iterationInScenario: state.iter, tags: {}, metrics: { tags: {}, metadata: {} } };
  },
  instance: { iterationsInterrupted: 0, iterationsCompleted: 0, vusActive: 1, vusInitialized: 1, currentTestRunDuration: 0 },
  test: {
    abort(message?: string): never {
      throw new Error(`test aborted: ${message ?? ''}`);
    },
    fail(message?: string): void {
      throw new Error(`test failed: ${message ?? ''}`);
    },
    options: {},
  },
};

export default execution;
