import type { MenuItemConstructorOptions } from 'electron';

export interface AppMenuOptions {
  platform: NodeJS.Platform;
  appName: string;
  /** Developer tools only in unpackaged builds. */
  isDevelopment: boolean;
  openDataFolder(): void;
  openHelp(): void;
}

/** The app menu: standard roles, so every platform gets its usual shortcuts (copy/paste, zoom, quit…). */
export function appMenuTemplate(options: AppMenuOptions): MenuItemConstructorOptions[] {
  const isMac = options.platform === 'darwin';
  const view: MenuItemConstructorOptions[] = [
    { role: 'reload' },
    { role: 'forceReload' },
    ...(options.isDevelopment ? ([{ role: 'toggleDevTools' }] as const) : []),
    { type: 'separator' },
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ];
  return [
    ...(isMac ? [{ label: options.appName, role: 'appMenu' } as const] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Open Data Folder', click: () => options.openDataFolder() },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    { label: 'View', submenu: view },
    { role: 'windowMenu' },
    { role: 'help', submenu: [{ label: 'Veza Help', click: () => options.openHelp() }] },
  ];
}
