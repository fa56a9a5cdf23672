import { useConnectionState } from '../lib/services';
import type { SocketClient } from '../lib/socket';
import { Banner } from '../ui/Banner';

/** Offline / reconnecting: say so, and that nothing typed is lost. */
export function ConnectionBanner({ socket }: { socket: SocketClient }) {
  const state = useConnectionState(socket);
  if (state === 'online' || state === 'connecting') return null;
  return (
    <Banner tone="warning" label="Connection">
      {state === 'offline' ? 'You are offline.' : 'Reconnecting to the server…'} Messages you write are kept and sent when the connection is back.
    </Banner>
  );
}
