import { formatBitrate } from '../../lib/format';
import type { QualityLevel } from './quality';

export interface QualitySelectorProps {
  levels: QualityLevel[];
  currentLevel: number;
  pinnedLevel: number;
  bandwidthEstimate: number;
  onSelect(index: number): void;
}

/** Auto + one entry per HLS level; shows what plays now and the bandwidth estimate. Hidden without HLS levels. */
export function QualitySelector({ levels, currentLevel, pinnedLevel, bandwidthEstimate, onSelect }: QualitySelectorProps) {
  if (levels.length === 0) return null;
  const playing = levels.find((level) => level.index === currentLevel)?.label ?? '…';
  return (
    <div className="quality" role="group" aria-label="Quality">
      <div className="quality-options" role="radiogroup" aria-label="Stream quality">
        <button type="button" role="radio" aria-checked={pinnedLevel === -1} className="chip" onClick={() => onSelect(-1)}>
          Auto
        </button>
        {levels.map((level) => (
          <button
            key={level.index}
            type="button"
            role="radio"
            aria-checked={pinnedLevel === level.index}
            className="chip"
            title={`${formatBitrate(level.bitrate)} advertised`}
            onClick={() => onSelect(level.index)}
          >
            {level.label}
          </button>
        ))}
      </div>
      <span className="quality-now muted" aria-label="Playing quality" data-level={playing}>
        {playing} · <span aria-label="Bandwidth estimate">{formatBitrate(bandwidthEstimate)}</span>
      </span>
    </div>
  );
}
