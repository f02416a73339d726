/**
 * Reading a recorded Go build (run.json's target.identity.go) the way `go version -m` shows it:
 * pure accessors of the run directory's contract, for the analysis and the report.
 */
import type { GoBuildInfo } from './schema.ts';

export function buildSetting(info: GoBuildInfo, key: string): string | undefined {
  return info.settings.find((s) => s.key === key)?.value;
}

export function depVersion(info: GoBuildInfo, path: string): string | undefined {
  const d = info.deps.find((m) => m.path === path);
  return d ? d.replacedBy?.version || d.version : undefined;
}

/** The line as `go version -m` shows it, tabs as spaces: "build -race=true". */
export function settingLine(key: string, value: string): string {
  return `build ${key}=${/[\s"]/.test(value) ? JSON.stringify(value) : value}`;
}
