/**
 * Plain text with the matched ranges wrapped in <mark>. Built from React text nodes, never from HTML:
 * a message like `<img onerror=…>` stays text.
 */
export function Highlight({ text, ranges }: { text: string; ranges: [number, number][] }) {
  const parts: React.ReactNode[] = [];
  let at = 0;
  const sorted = [...ranges].filter(([s, e]) => e > s && s >= 0 && e <= text.length).sort((a, b) => a[0] - b[0]);
  for (const [start, end] of sorted) {
    if (start < at) continue;
    if (start > at) parts.push(text.slice(at, start));
    parts.push(<mark key={start}>{text.slice(start, end)}</mark>);
    at = end;
  }
  if (at < text.length) parts.push(text.slice(at));
  return <>{parts}</>;
}
