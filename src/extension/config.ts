import * as vscode from 'vscode';
import { z } from 'zod';

/** The `paramloop.*` settings this build reads, validated in one place. */
export const settingsSchema = z.object({
  statusBar: z.object({ enabled: z.boolean() }),
});
export type Settings = z.infer<typeof settingsSchema>;

const defaults: Settings = { statusBar: { enabled: true } };

/** What reading the settings produced: the settings to use, and the problems found on the way. */
export interface SettingsRead {
  settings: Settings;
  problems: string[];
}

/**
 * Reads `paramloop.*` once through the schema. A malformed value is reported by its setting name
 * and replaced by its default, so a typo in settings.json never stops the extension.
 */
export function readSettings(): SettingsRead {
  const section = vscode.workspace.getConfiguration('paramloop');
  const raw = { statusBar: { enabled: section.get<unknown>('statusBar.enabled', defaults.statusBar.enabled) } };
  const parsed = settingsSchema.safeParse(raw);
  if (parsed.success) return { settings: parsed.data, problems: [] };
  const problems = parsed.error.issues.map(
    (issue) => `paramloop.${issue.path.join('.')}: ${issue.message}; using the default instead`,
  );
  return { settings: defaults, problems };
}
