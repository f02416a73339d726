/**
 * Every phase kind with its Node runner: importing this registers the kinds (kinds.ts) and
 * their runners. A new kind's runner is its <kind>.run.ts plus one line here.
 */
import './kinds.ts';
import './idle.run.ts';
import './burst.run.ts';
import './steady.run.ts';
import './watched.run.ts';

export { phaseRunnerOf, type PhaseRunContext } from './runner-registry.ts';
