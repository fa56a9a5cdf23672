/** URL prefix of every API route. Kept apart from the schemas so the renderer imports no TypeBox. */
export const API_PREFIX = '/api/v1';

/** Where socket.io listens: the server, the renderer and the desktop's notifier all connect here. */
export const SOCKET_PATH = `${API_PREFIX}/ws`;
