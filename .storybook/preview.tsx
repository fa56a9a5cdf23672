import type { Preview } from '@storybook/react-vite';
import { setupWorker } from 'msw/browser';
import { mswLoader } from 'msw-storybook-addon/csf3';
import '../src/renderer/src/app/theme.css';

const preview: Preview = {
  // Requests the stories make (the player's hls/info, /stream…) are answered by their MSW handlers.
  loaders: [
    mswLoader(async () => {
      const worker = setupWorker();
      await worker.start({ onUnhandledRequest: 'bypass', quiet: true });
      return worker;
    }),
  ],
  parameters: { layout: 'fullscreen' },
  decorators: [
    (Story) => (
      <div style={{ minHeight: '100vh', background: 'var(--bg)', padding: '1rem' }}>
        <Story />
      </div>
    ),
  ],
};

export default preview;
