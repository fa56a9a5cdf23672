/**
 * The desktop's native dialogs, worded in one place: the file picker for uploads and the confirmation
 * before the embedded server switches. Each takes Electron's `dialog` (structural) and the window to
 * attach to, so the wording and the answer's meaning are tested without Electron.
 */
import { AUDIO_EXTENSIONS } from '../shared/audio-files.js';
import type { DesktopSettings } from '../shared/desktop-settings.js';

interface OpenDialogResult {
  canceled: boolean;
  filePaths: string[];
}

/** The part of Electron's `dialog` these dialogs use; `owner` is the window they attach to, when there is one. */
export interface NativeDialogs<Owner> {
  showOpenDialog(owner: Owner | null, options: Electron.OpenDialogOptions): Promise<OpenDialogResult>;
  showMessageBox(owner: Owner | null, options: Electron.MessageBoxOptions): Promise<{ response: number }>;
}

/** Electron's `dialog` takes the window first only when there is one. */
export function nativeDialogs(dialog: Electron.Dialog): NativeDialogs<Electron.BrowserWindow> {
  return {
    showOpenDialog: (owner, options) => (owner ? dialog.showOpenDialog(owner, options) : dialog.showOpenDialog(options)),
    showMessageBox: (owner, options) => (owner ? dialog.showMessageBox(owner, options) : dialog.showMessageBox(options)),
  };
}

/** Audio files to upload; [] when the user cancels. */
export async function chooseAudioFiles<Owner>(dialogs: NativeDialogs<Owner>, owner: Owner | null): Promise<string[]> {
  const result = await dialogs.showOpenDialog(owner, {
    title: 'Add tracks',
    properties: ['openFile', 'multiSelections'],
    filters: [{ name: 'Audio', extensions: [...AUDIO_EXTENSIONS] }],
  });
  return result.canceled ? [] : result.filePaths;
}

const SWITCH = 0;

/** Whether the user agrees to restart the server on `next`; Cancel is the default and what Escape answers. */
export async function confirmSettingsChange<Owner>(dialogs: NativeDialogs<Owner>, owner: Owner | null, next: DesktopSettings): Promise<boolean> {
  const { response } = await dialogs.showMessageBox(owner, {
    type: 'question',
    buttons: ['Switch', 'Cancel'],
    defaultId: 1,
    cancelId: 1,
    message: `Switch Veza to ${next.mode === 'solo' ? 'Solo' : 'Team'} mode?`,
    detail: 'The server restarts and the window reloads. Uploads in progress are interrupted; transcodes resume later.',
  });
  return response === SWITCH;
}
