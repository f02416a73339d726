/**
 * Every phase kind the pack knows, registered by importing its file. A new kind is its file
 * plus one line here (and one in runners.ts for its Node runner).
 */
import './idle.ts';
import './burst.ts';
import './steady.ts';
import './watched.ts';

export { findPhaseKind, phaseKindList, phaseKindNames, phaseKindOf, type PhaseKindDecl } from './registry.ts';
