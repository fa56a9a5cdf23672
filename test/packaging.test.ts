import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Installers cannot be built here (electron-builder downloads Electron), so this checks what can be
 * checked offline: electron-builder itself loads and validates electron-builder.yml against its schema,
 * and the settings the desktop issue requires are the ones it will apply.
 */
const root = path.resolve(import.meta.dirname, '..');
// electron-builder's configuration loader lives in its app-builder-lib dependency (not re-exported).
const fromBuilder = createRequire(createRequire(import.meta.url).resolve('electron-builder'));
const { getConfig, validateConfiguration } = fromBuilder('app-builder-lib/out/util/config/config.js') as {
  getConfig(projectDir: string, configPath: string, configFromOptions: null): Promise<Record<string, unknown>>;
  validateConfiguration(config: Record<string, unknown>, debugLogger: { isEnabled: boolean }): Promise<void>;
};

type Config = {
  asar: boolean;
  asarUnpack: string[];
  npmRebuild: boolean;
  electronFuses: Record<string, boolean>;
  directories: { buildResources: string };
  linux: { target: string[]; icon: string };
  mac: { target: string[]; icon: string };
  win: { target: string[]; icon: string };
};

describe('electron-builder configuration', () => {
  it('passes electron-builder’s own schema validation', async () => {
    const config = await getConfig(root, 'electron-builder.yml', null);
    await expect(validateConfiguration(config, { isEnabled: false })).resolves.toBeUndefined();
    // The validator is not a no-op: an unknown option is refused.
    await expect(validateConfiguration({ ...config, notAnOption: true }, { isEnabled: false })).rejects.toThrow(/notAnOption/);
  });

  it('targets every platform, keeps native code and FFmpeg out of the archive, and sets the fuses', async () => {
    const config = (await getConfig(root, 'electron-builder.yml', null)) as unknown as Config;
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.asar).toBe(true);
    expect(config.asarUnpack).toEqual(expect.arrayContaining(['node_modules/ffmpeg-static/**', '**/*.node']));
    // better-sqlite3 is rebuilt for Electron by scripts/package.mjs, not by electron-builder (STACK.md).
    expect(config.npmRebuild).toBe(false);
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
    });
    for (const icon of [config.linux.icon, config.mac.icon, config.win.icon]) expect(fs.existsSync(path.join(root, icon)), icon).toBe(true);
  });

  it('ships ffmpeg-static as optional, so an install without its download still works', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    expect(pkg.optionalDependencies?.['ffmpeg-static']).toBeDefined();
    expect(pkg.dependencies?.['ffmpeg-static']).toBeUndefined();
  });
});
