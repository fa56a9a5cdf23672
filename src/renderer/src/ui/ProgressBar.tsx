interface ProgressBarProps {
  /** 0–1 */
  value: number;
  label: string;
  tone?: 'upload' | 'transcode';
}

/** A labelled progressbar (the label is its accessible name; the percentage is its value). */
export function ProgressBar({ value, label, tone = 'upload' }: ProgressBarProps) {
  const percent = Math.round(Math.max(0, Math.min(1, value)) * 100);
  return (
    <div className={`progress progress-${tone}`} role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
      <div className="progress-fill" style={{ width: `${percent}%` }} />
    </div>
  );
}
