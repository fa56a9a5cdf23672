import fs from 'node:fs';
import { DEFAULT_SETTINGS, type DesktopSettings, validateSettings } from '../shared/desktop-settings.js';
import { readJsonFile, writeFileAtomic } from './atomic-file.js';

const FORMAT_VERSION = 1;

export interface LoadedSettings {
  settings: DesktopSettings;
  /** Why the file was not used (then the defaults apply and the file is kept aside as `.invalid`). */
  problem: string | null;
}

/** `settings.json` in userData: `{ version, settings }`, validated on read and on write. */
export class SettingsStore {
  constructor(private readonly file: string) {}

  load(): LoadedSettings {
    const raw = readJsonFile(this.file);
    if (raw === undefined) return { settings: DEFAULT_SETTINGS, problem: null };
    let problem: string;
    if (raw instanceof Error) problem = `unreadable: ${raw.message}`;
    else if (typeof raw !== 'object' || raw === null || (raw as { version?: unknown }).version !== FORMAT_VERSION) {
      problem = `unknown format (expected version ${FORMAT_VERSION})`;
    } else {
      const result = validateSettings((raw as { settings?: unknown }).settings);
      if (result.ok) return { settings: result.settings, problem: null };
      problem = result.errors.map((e) => `${e.field} ${e.message}`).join('; ');
    }
    // Keep the bad file for the user to inspect instead of silently overwriting it on the next save.
    fs.renameSync(this.file, `${this.file}.invalid`);
    return { settings: DEFAULT_SETTINGS, problem };
  }

  save(settings: DesktopSettings): DesktopSettings {
    const result = validateSettings(settings);
    if (!result.ok) throw new Error(`invalid settings: ${result.errors.map((e) => `${e.field} ${e.message}`).join('; ')}`);
    writeFileAtomic(this.file, `${JSON.stringify({ version: FORMAT_VERSION, settings: result.settings }, null, 2)}\n`);
    return result.settings;
  }
}
