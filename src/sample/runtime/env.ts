/**
 * Extending a user's own launch variables: a probe adds its setting and keeps theirs, so a
 * target started by the pack behaves as the user configured it.
 */

/** GODEBUG-style comma list: appends `setting` unless the user already set that key (theirs wins). */
export function extendCommaList(current: string | undefined, setting: string): string {
  if (!current) return setting;
  const key = setting.split('=')[0];
  const has = current.split(',').some((s) => s.split('=')[0]!.trim() === key);
  return has ? current : `${current},${setting}`;
}

/** PATH-style list: `dir` first, then the user's entries, unchanged. */
export function prependPathList(current: string | undefined, dir: string): string {
  return current ? `${dir}:${current}` : dir;
}

/** Space-separated options (NODE_OPTIONS, JAVA_TOOL_OPTIONS): appends `flag` unless present. */
export function extendOptionList(current: string | undefined, flag: string): string {
  if (!current) return flag;
  return current.split(/\s+/).includes(flag) ? current : `${current} ${flag}`;
}

/**
 * The environment of a started target: the user's, with every probe's additions applied in
 * order (each sees what the previous ones made, so two probes extending one variable both count).
 */
export function launchEnvironment(
  userEnv: NodeJS.ProcessEnv,
  probes: readonly { launchEnv?(env: NodeJS.ProcessEnv): Record<string, string> }[],
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...userEnv };
  for (const p of probes) Object.assign(env, p.launchEnv?.(env));
  return env;
}
