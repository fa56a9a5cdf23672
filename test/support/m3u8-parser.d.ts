declare module 'm3u8-parser' {
  export interface ParsedManifest {
    playlists?: Array<{ uri: string; attributes: Record<string, unknown> }>;
    segments?: Array<{ uri: string; duration: number }>;
    endList?: boolean;
    targetDuration?: number;
  }
  export class Parser {
    push(text: string): void;
    end(): void;
    manifest: ParsedManifest;
  }
}
