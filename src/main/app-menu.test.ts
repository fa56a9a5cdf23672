import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import { appMenuTemplate } from './app-menu.js';

function roles(items: MenuItemConstructorOptions[]): string[] {
  return items.flatMap((item) => [
    ...(item.role ? [item.role] : []),
    ...(Array.isArray(item.submenu) ? roles(item.submenu) : []),
  ]);
}

const base = { appName: 'Veza', openDataFolder: () => undefined, openHelp: () => undefined };

describe('appMenuTemplate', () => {
  it('uses the standard roles so every platform gets its usual shortcuts', () => {
    const linux = roles(appMenuTemplate({ ...base, platform: 'linux', isDevelopment: false }));
    expect(linux).toEqual(expect.arrayContaining(['quit', 'editMenu', 'reload', 'zoomIn', 'zoomOut', 'resetZoom', 'togglefullscreen', 'windowMenu']));
    const mac = roles(appMenuTemplate({ ...base, platform: 'darwin', isDevelopment: false }));
    expect(mac).toEqual(expect.arrayContaining(['appMenu', 'close', 'editMenu', 'windowMenu']));
    expect(mac).not.toContain('quit'); // on macOS quit lives in the app menu
  });

  it('offers developer tools only in development builds', () => {
    expect(roles(appMenuTemplate({ ...base, platform: 'linux', isDevelopment: false }))).not.toContain('toggleDevTools');
    expect(roles(appMenuTemplate({ ...base, platform: 'linux', isDevelopment: true }))).toContain('toggleDevTools');
  });

  it('wires the custom items', () => {
    let opened = 0;
    const template = appMenuTemplate({ ...base, platform: 'linux', isDevelopment: false, openDataFolder: () => opened++ });
    const file = template.find((item) => item.label === 'File')!.submenu as MenuItemConstructorOptions[];
    const item = file.find((entry) => entry.label === 'Open Data Folder')!;
    (item.click as () => void)();
    expect(opened).toBe(1);
  });
});
