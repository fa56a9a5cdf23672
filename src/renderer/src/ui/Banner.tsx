import type { ReactNode } from 'react';

interface BannerProps {
  tone: 'info' | 'warning' | 'error';
  children: ReactNode;
  label?: string;
}

/** A status line that screen readers announce (role=status; alerts for errors). */
export function Banner({ tone, children, label }: BannerProps) {
  return (
    <div className={`banner banner-${tone}`} role={tone === 'error' ? 'alert' : 'status'} aria-label={label}>
      {children}
    </div>
  );
}
