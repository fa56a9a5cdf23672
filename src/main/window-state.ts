import { readJsonFile, writeFileAtomic } from './atomic-file.js';

export interface WindowBounds {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState {
  bounds: WindowBounds;
  isMaximized: boolean;
}

/** How much of the title bar must land on a screen for saved bounds to be reused. */
const TITLE_BAR_GRAB = { width: 100, height: 30 };

function isBounds(value: unknown): value is WindowBounds {
  if (typeof value !== 'object' || value === null) return false;
  const b = value as Record<string, unknown>;
  return ['x', 'y', 'width', 'height'].every((k) => typeof b[k] === 'number' && Number.isFinite(b[k]) && Math.abs(b[k]) < 1e6)
    && (b.width as number) > 0 && (b.height as number) > 0;
}

function overlap(a0: number, a1: number, b0: number, b1: number): number {
  return Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
}

/**
 * Saved bounds are reused only if enough of the title bar is on a current screen (a monitor may have
 * been unplugged since); the size is shrunk to that screen and never below the minimum.
 */
export function fitToScreens(
  bounds: WindowBounds,
  workAreas: readonly WindowBounds[],
  minSize: { width: number; height: number },
): WindowBounds | null {
  const titleBar = { x0: bounds.x, x1: bounds.x + bounds.width, y0: bounds.y, y1: bounds.y + TITLE_BAR_GRAB.height };
  const screen = workAreas.find(
    (area) =>
      overlap(titleBar.x0, titleBar.x1, area.x, area.x + area.width) >= TITLE_BAR_GRAB.width &&
      overlap(titleBar.y0, titleBar.y1, area.y, area.y + area.height) >= TITLE_BAR_GRAB.height,
  );
  if (!screen) return null;
  const width = Math.round(Math.max(minSize.width, Math.min(bounds.width, screen.width)));
  const height = Math.round(Math.max(minSize.height, Math.min(bounds.height, screen.height)));
  return { x: Math.round(bounds.x), y: Math.round(bounds.y), width, height };
}

/** The remembered window state fitted to today's screens, or null (then the window opens centred at the default size). */
export function loadWindowState(
  file: string,
  workAreas: readonly WindowBounds[],
  minSize: { width: number; height: number },
): WindowState | null {
  const raw = readJsonFile(file);
  if (typeof raw !== 'object' || raw === null || raw instanceof Error) return null;
  const { bounds, isMaximized } = raw as Record<string, unknown>;
  if (!isBounds(bounds)) return null;
  const fitted = fitToScreens(bounds, workAreas, minSize);
  return fitted ? { bounds: fitted, isMaximized: isMaximized === true } : null;
}

export function saveWindowState(file: string, state: WindowState): void {
  if (!isBounds(state.bounds)) return;
  writeFileAtomic(file, `${JSON.stringify({ bounds: state.bounds, isMaximized: state.isMaximized })}\n`);
}
