/**
 * The one CSP of the app's pages: the server sends it on HTML, and Electron main sets it again on every
 * response of the app's origin. Scripts and styles only from this origin, media from blob: (hls.js
 * feeds MediaSource), no framing, no plugins. TypeBox-free, so main imports it without the server.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');
