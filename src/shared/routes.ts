/** URL prefix of every API route. Kept apart from the schemas so the renderer imports no TypeBox. */
export const API_PREFIX = '/api/v1';
