import { expect, it } from 'vitest';
import { redactUrl } from './log-redaction.js';

it('redacts token parameters under any spelling the query parser decodes to the same name', () => {
  expect(redactUrl('/a?token=s3cret')).toBe('/a?token=[redacted]');
  expect(redactUrl('/a?%74oken=s3cret')).toBe('/a?%74oken=[redacted]');
  expect(redactUrl('/a?a=b&tok%65n=s3cret&c=d')).toBe('/a?a=b&tok%65n=[redacted]&c=d');
  expect(redactUrl('/a?ACCESS_TOKEN=s3cret&owner%5Ftoken=s3cret')).toBe('/a?ACCESS_TOKEN=[redacted]&owner%5Ftoken=[redacted]');
  expect(redactUrl('/a?%E0%A4%A=1&token=s3cret')).toBe('/a?%E0%A4%A=1&token=[redacted]');
  expect(redactUrl('/a?tokens=kept&q=token')).toBe('/a?tokens=kept&q=token');
  expect(redactUrl('/no/query')).toBe('/no/query');
});
