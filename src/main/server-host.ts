import path from 'node:path';
import type { Config } from '../../server/config.js';
import { loadConfig } from '../../server/config.js';
import type { DesktopSettings, SoloSettings, TeamEmbeddedSettings } from '../shared/desktop-settings.js';
import type { ConnectionInfo } from '../shared/ipc.js';

export type EmbeddedSettings = SoloSettings | TeamEmbeddedSettings;

/** What ServerHost needs from server/server-process.ts `RunningServer`. */
export interface HostedServer {
  url: string;
  ownerToken: string;
  /** Stops accepting, lets running work checkpoint, closes stores. */
  stop(): Promise<void>;
}

export interface ServerHostOptions {
  startServer(config: Config): Promise<HostedServer>;
  configFor(settings: EmbeddedSettings): Config;
}

export interface ConfigContext {
  /** userData/data: the solo data dir unless the settings name another. */
  defaultDataDir: string;
  rendererDir: string | null;
  ffmpegPath: string | null;
  /** Passed through for operator knobs (VEZA_LOG_LEVEL, VEZA_HLS, VEZA_FFMPEG_PATH); the settings win for the rest. */
  env: Record<string, string | undefined>;
}

/**
 * The embedded server's config: loopback only, any free port, stores from the settings. Settings
 * override the environment so a stray VEZA_DATABASE_URL cannot turn Solo into Team.
 */
export function embeddedServerConfig(settings: EmbeddedSettings, context: ConfigContext): Config {
  const team = settings.mode === 'team-embedded' ? settings : null;
  return loadConfig(
    {
      ...context.env,
      VEZA_DATA_DIR: settings.dataDir ?? context.defaultDataDir,
      VEZA_DATABASE_URL: team?.databaseUrl ?? '',
      VEZA_REDIS_URL: team?.redisUrl ?? '',
      VEZA_HOST: '127.0.0.1',
      VEZA_PORT: '0',
      VEZA_PUBLIC_HOSTS: '',
    },
    {
      rendererDir: context.rendererDir,
      ...(context.ffmpegPath && !context.env.VEZA_FFMPEG_PATH ? { ffmpegPath: context.ffmpegPath } : {}),
    },
  );
}

interface Hosted {
  settings: DesktopSettings;
  server: HostedServer | null;
  config: Config | null;
}

/**
 * Owns the embedded server's lifecycle: start, stop, and switching settings (stop the old server fully
 * before the new one opens the stores). Calls are serialized, so a quit during a switch waits for it.
 */
export class ServerHost {
  private current: Hosted | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: ServerHostOptions) {}

  get connection(): ConnectionInfo | null {
    if (!this.current) return null;
    const { settings, server } = this.current;
    if (settings.mode === 'team-remote') return { url: settings.serverUrl, token: null, mode: settings.mode };
    if (!server) return null;
    // The owner token signs in the one local user; on a shared team database each person signs in as themselves.
    return { url: server.url, token: settings.mode === 'solo' ? server.ownerToken : null, mode: settings.mode };
  }

  get settings(): DesktopSettings | null {
    return this.current?.settings ?? null;
  }

  /** Data dir of the embedded server (null with a remote server or when stopped). */
  get dataDir(): string | null {
    return this.current?.config?.dataDir ?? null;
  }

  get server(): HostedServer | null {
    return this.current?.server ?? null;
  }

  /** Starts with these settings (stopping whatever ran before). */
  start(settings: DesktopSettings): Promise<ConnectionInfo> {
    return this.serialize(async () => {
      await this.stopCurrent();
      return this.startWith(settings);
    });
  }

  /**
   * Switches to new settings. If the new server does not start (PostgreSQL unreachable, data dir not
   * writable), the previous settings are started again and the error is rethrown.
   */
  switchTo(settings: DesktopSettings): Promise<ConnectionInfo> {
    return this.serialize(async () => {
      const previous = this.current?.settings ?? null;
      await this.stopCurrent();
      try {
        return await this.startWith(settings);
      } catch (error) {
        if (previous) await this.startWith(previous);
        throw error;
      }
    });
  }

  stop(): Promise<void> {
    return this.serialize(() => this.stopCurrent());
  }

  private async startWith(settings: DesktopSettings): Promise<ConnectionInfo> {
    if (settings.mode === 'team-remote') {
      this.current = { settings, server: null, config: null };
    } else {
      const config = this.options.configFor(settings);
      const server = await this.options.startServer(config);
      this.current = { settings, server, config };
    }
    return this.connection!;
  }

  private async stopCurrent(): Promise<void> {
    const hosted = this.current;
    this.current = null;
    await hosted?.server?.stop();
  }

  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** A binary inside app.asar cannot be spawned; electron-builder's asarUnpack puts it next to the archive. */
export function unpackedAsarPath(file: string, sep: string = path.sep): string {
  return file.replace(`${sep}app.asar${sep}`, `${sep}app.asar.unpacked${sep}`);
}
