import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fitToScreens, loadWindowState, saveWindowState } from './window-state.js';

const MIN = { width: 900, height: 600 };
const LAPTOP = { x: 0, y: 0, width: 1920, height: 1050 };
const RIGHT_MONITOR = { x: 1920, y: 0, width: 2560, height: 1400 };

describe('fitToScreens', () => {
  it('keeps bounds that are on a screen', () => {
    expect(fitToScreens({ x: 100, y: 50, width: 1200, height: 800 }, [LAPTOP], MIN)).toEqual({ x: 100, y: 50, width: 1200, height: 800 });
    expect(fitToScreens({ x: 2000, y: 10, width: 1200, height: 800 }, [LAPTOP, RIGHT_MONITOR], MIN)).toMatchObject({ x: 2000 });
  });

  it('forgets bounds on a monitor that is gone', () => {
    expect(fitToScreens({ x: 2000, y: 10, width: 1200, height: 800 }, [LAPTOP], MIN)).toBeNull();
    expect(fitToScreens({ x: 100, y: -500, width: 1200, height: 400 }, [LAPTOP], MIN)).toBeNull();
  });

  it('shrinks to the screen but never below the minimum size', () => {
    expect(fitToScreens({ x: 0, y: 0, width: 4000, height: 3000 }, [LAPTOP], MIN)).toEqual({ x: 0, y: 0, width: 1920, height: 1050 });
    expect(fitToScreens({ x: 0, y: 0, width: 300, height: 200 }, [LAPTOP], MIN)).toEqual({ x: 0, y: 0, width: 900, height: 600 });
  });
});

describe('window state file', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-window-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('remembers bounds and the maximized flag', () => {
    const file = path.join(dir, 'window-state.json');
    saveWindowState(file, { bounds: { x: 40, y: 30, width: 1000, height: 700 }, isMaximized: true });
    expect(loadWindowState(file, [LAPTOP], MIN)).toEqual({ bounds: { x: 40, y: 30, width: 1000, height: 700 }, isMaximized: true });
  });

  it('ignores a missing, corrupt or nonsensical file', () => {
    const file = path.join(dir, 'window-state.json');
    expect(loadWindowState(file, [LAPTOP], MIN)).toBeNull();
    for (const content of ['{', '[]', JSON.stringify({ bounds: { x: 'a', y: 0, width: 1, height: 1 } }), JSON.stringify({ bounds: { x: 0, y: 0, width: -5, height: 10 } }), JSON.stringify({ bounds: { x: 1e300, y: 0, width: 10, height: 10 } })]) {
      fs.writeFileSync(file, content);
      expect(loadWindowState(file, [LAPTOP], MIN), content).toBeNull();
    }
  });
});
