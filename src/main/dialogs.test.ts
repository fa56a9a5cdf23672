import { describe, expect, it } from 'vitest';
import { AUDIO_EXTENSIONS } from '../shared/audio-files.js';
import { chooseAudioFiles, confirmSettingsChange, type NativeDialogs } from './dialogs.js';

function dialogsAnswering(answer: { canceled?: boolean; filePaths?: string[]; response?: number }) {
  const asked: Array<{ owner: string | null; options: Electron.OpenDialogOptions | Electron.MessageBoxOptions }> = [];
  const dialogs: NativeDialogs<string> = {
    showOpenDialog: async (owner, options) => {
      asked.push({ owner, options });
      return { canceled: answer.canceled ?? false, filePaths: answer.filePaths ?? [] };
    },
    showMessageBox: async (owner, options) => {
      asked.push({ owner, options });
      return { response: answer.response ?? 0 };
    },
  };
  return { dialogs, asked };
}

describe('native dialogs', () => {
  it('the upload picker offers the accepted audio types and several files, attached to the window', async () => {
    const { dialogs, asked } = dialogsAnswering({ filePaths: ['/music/a.wav', '/music/b.flac'] });
    expect(await chooseAudioFiles(dialogs, 'main-window')).toEqual(['/music/a.wav', '/music/b.flac']);
    const options = asked[0]!.options as Electron.OpenDialogOptions;
    expect(asked[0]!.owner).toBe('main-window');
    expect(options.properties).toContain('multiSelections');
    expect(options.filters?.[0]?.extensions).toEqual([...AUDIO_EXTENSIONS]);
  });

  it('a cancelled picker uploads nothing, even if the dialog still lists paths', async () => {
    const { dialogs } = dialogsAnswering({ canceled: true, filePaths: ['/music/a.wav'] });
    expect(await chooseAudioFiles(dialogs, null)).toEqual([]);
  });

  it('switching servers needs the Switch button; Cancel is the default and Escape', async () => {
    const yes = dialogsAnswering({ response: 0 });
    expect(await confirmSettingsChange(yes.dialogs, null, { mode: 'team-remote', serverUrl: 'https://veza.example.org' })).toBe(true);
    const options = yes.asked[0]!.options as Electron.MessageBoxOptions;
    expect(options.message).toBe('Switch Veza to Team mode?');
    expect(options.buttons?.[options.defaultId!]).toBe('Cancel');
    expect(options.cancelId).toBe(options.defaultId);
    const no = dialogsAnswering({ response: 1 });
    expect(await confirmSettingsChange(no.dialogs, null, { mode: 'solo', dataDir: null })).toBe(false);
  });
});
