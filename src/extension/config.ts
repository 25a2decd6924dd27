import * as vscode from 'vscode';
import { z } from 'zod';
import type { LearnerSettingsInput } from '../service/learnerSettings';
import type { ProviderSettings } from './providers';

/**
 * Each `paramloop.*` setting this build reads, with its schema and default. A setting that fails
 * its schema is reported by name and replaced by its default alone; the others keep their values.
 */
const settingSchemas = {
  'statusBar.enabled': { schema: z.boolean(), fallback: true },
  'store.keepDays': { schema: z.number().int().min(1).nullable(), fallback: null },
  'store.keepDecisions': { schema: z.number().int().min(1).nullable(), fallback: null },
  'store.includePromptText': { schema: z.boolean(), fallback: false },
  'feedback.waitSeconds': { schema: z.number().int().min(5).max(86_400), fallback: 300 },
  'request.timeoutSeconds': { schema: z.number().int().min(5).max(3600), fallback: 60 },
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
  feedback: { waitSeconds: number };
  request: { timeoutSeconds: number };
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
    feedback: { waitSeconds: read('feedback.waitSeconds') },
    request: { timeoutSeconds: read('request.timeoutSeconds') },
  };
  return { settings, problems };
}

const providerIds = ['openai-compatible', 'anthropic', 'vscode-lm'] as const;
const httpUrl = z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' });

/**
 * The provider settings. Base URLs, the provider and the model are read from the user's settings
 * only (`inspect().globalValue`): in any workspace, trusted or not, a workspace's settings cannot
 * redirect the user's API key elsewhere (package.json also lists them as restricted).
 */
export function readProviderSettings(): { settings: ProviderSettings; problems: string[] } {
  const section = vscode.workspace.getConfiguration('paramloop');
  const problems: string[] = [];
  const user = <T>(key: string, schema: z.ZodType<T>, fallback: T): T => {
    const inspected = section.inspect<unknown>(key);
    const raw = inspected?.globalValue ?? inspected?.defaultValue ?? fallback;
    if (inspected?.workspaceValue !== undefined || inspected?.workspaceFolderValue !== undefined) {
      problems.push(`paramloop.${key} is set in the workspace; Paramloop reads it from your user settings only, so the workspace value is ignored`);
    }
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    problems.push(`paramloop.${key}: ${JSON.stringify(raw)} is not valid (${parsed.error.issues.map((i) => i.message).join('; ')}); using ${JSON.stringify(fallback)} instead`);
    return fallback;
  };
  const settings: ProviderSettings = {
    provider: user('provider', z.enum(providerIds), 'openai-compatible'),
    model: user('model', z.string().trim().min(1), 'llama3.2'),
    openaiBaseUrl: user('openaiCompatible.baseUrl', httpUrl, 'http://localhost:11434/v1').replace(/\/+$/, ''),
    anthropicBaseUrl: user('anthropic.baseUrl', httpUrl, 'https://api.anthropic.com').replace(/\/+$/, ''),
    modelConstraints: user('modelConstraints', z.array(z.unknown()), []),
  };
  return { settings, problems };
}

/** The learner's settings as written (checked section by section by the learner's module). */
export function readLearnerInput(): LearnerSettingsInput {
  const section = vscode.workspace.getConfiguration('paramloop');
  const value = (key: string): unknown => {
    const inspected = section.inspect<unknown>(key);
    return inspected?.globalValue ?? undefined;
  };
  return { baseline: value('baseline'), space: value('space'), policy: value('policy'), reward: value('reward'), rollout: value('rollout'), budget: value('budget') };
}
