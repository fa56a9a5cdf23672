import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint();

async function zoneErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer zones (eslint)', () => {
  it.each([
    ['server/features/x.ts', "import { app } from 'electron';"],
    ['server/features/x.ts', "import { a } from '../../src/main/index.js';"],
    ['server/features/x.ts', "import { a } from '../../src/renderer/src/app/App.js';"],
    ['src/renderer/src/app/x.ts', "import fs from 'node:fs';"],
    ['src/renderer/src/app/x.ts', "import { buildApp } from '../../../../server/app.js';"],
    ['src/renderer/src/app/x.ts', "import { ipcRenderer } from 'electron';"],
    ['src/shared/x.ts', "import path from 'node:path';"],
    ['src/shared/x.ts', "import { buildApp } from '../../server/app.js';"],
    ['src/preload/x.ts', "import { buildApp } from '../../server/app.js';"],
    ['src/main/x.ts', "import { App } from '../renderer/src/app/App.js';"],
    ['src/main/x.ts', "import { userRoom } from '../../server/infra/socket.js';"],
    ['src/main/x.ts', "import { buildApp } from '../../server/app.js';"],
    ['server/infra/x.ts', "import { chat } from '../features/chat/index.js';"],
    ['server/infra/db/x.ts', "import type { TrackRow } from '../../features/media/tracks/tracks.repository.js';"],
    ['server/features/presence/x.ts', "import { ChatService } from '../chat/chat.service.js';"],
    ['server/features/media/hls/x.ts', "import { ChatService } from '../../chat/chat.service.js';"],
    ['server/features/chat/search/x.ts', "import { HlsLayout } from '../../media/hls-layout.js';"],
    ['server/features/chat/x.ts', "import { app } from 'electron';"],
    ['server/app.ts', "import { ChatService } from './features/chat/chat.service.js';"],
  ])('%s may not: %s', async (file, code) => {
    expect(await zoneErrors(file, code)).toHaveLength(1);
  });

  it.each([
    ['server/features/x.ts', "import { API_PREFIX } from '../../src/shared/routes.js';"],
    ['src/renderer/src/app/x.ts', "import { API_PREFIX } from '../../../shared/routes';"],
    ['src/main/x.ts', "import { startServer } from '../../server/server-process.js';"],
    ['src/main/x.ts', "import { loadConfig } from '../../server/config.js';"],
    ['src/main/x.test.ts', "import { userRoom } from '../../server/infra/socket.js';"],
    ['src/preload/x.ts', "import { contextBridge } from 'electron';"],
    ['server/features/presence/x.ts', "import { chat } from '../chat/index.js';"],
    ['server/features/media/hls/x.ts', "import { chat } from '../../chat/index.js';"],
    ['server/features/media/hls/x.ts', "import { HlsLayout } from '../hls-layout.js';"],
    ['server/features/media/x.ts', "import { AppError } from '../../infra/errors.js';"],
    ['server/app.ts', "import { media } from './features/media/index.js';"],
    ['server/infra/x.test.ts', "import { chat } from '../features/chat/index.js';"],
  ])('%s may: %s', async (file, code) => {
    expect(await zoneErrors(file, code)).toEqual([]);
  });
});
