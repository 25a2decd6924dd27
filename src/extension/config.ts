import * as vscode from 'vscode';
import { z } from 'zod';

/**
 * Each `paramloop.*` setting this build reads, with its schema and default. A setting that fails
 * its schema is reported by name and replaced by its default alone; the others keep their values.
 */
const settingSchemas = {
  'statusBar.enabled': { schema: z.boolean(), fallback: true },
  'store.keepDays': { schema: z.number().int().min(1).nullable(), fallback: null },
  'store.keepDecisions': { schema: z.number().int().min(1).nullable(), fallback: null },
  'store.includePromptText': { schema: z.boolean(), fallback: false },
} as const;

type SettingKey = keyof typeof settingSchemas;
type SettingValue<K extends SettingKey> = z.infer<(typeof settingSchemas)[K]['schema']>;

export interface Settings {
  statusBar: { enabled: boolean };
  store: {
    /** Keep raw decisions of the last N days (older ones are summarised); undefined: keep all. */
    keepDays: number | undefined;
    /** Keep at most the newest N raw decisions; undefined: keep all. */
    keepDecisions: number | undefined;
    includePromptText: boolean;
  };
}

/** What reading the settings produced: the settings to use, and the problems found on the way. */
export interface SettingsRead {
  settings: Settings;
  problems: string[];
}

/** Reads `paramloop.*` through the schemas; a malformed value never stops the extension. */
export function readSettings(): SettingsRead {
  const section = vscode.workspace.getConfiguration('paramloop');
  const problems: string[] = [];
  const read = <K extends SettingKey>(key: K): SettingValue<K> => {
    const { schema, fallback } = settingSchemas[key];
    const raw = section.get<unknown>(key, fallback);
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data as SettingValue<K>;
    const reason = parsed.error.issues.map((issue) => issue.message).join('; ');
    problems.push(`paramloop.${key}: ${JSON.stringify(raw)} is not valid (${reason}); using ${JSON.stringify(fallback)} instead`);
    return fallback as SettingValue<K>;
  };
  const settings: Settings = {
    statusBar: { enabled: read('statusBar.enabled') },
    store: {
      keepDays: read('store.keepDays') ?? undefined,
      keepDecisions: read('store.keepDecisions') ?? undefined,
      includePromptText: read('store.includePromptText'),
    },
  };
  return { settings, problems };
}
