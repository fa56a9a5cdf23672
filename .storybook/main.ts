import type { StorybookConfig } from '@storybook/react-vite';

const config: StorybookConfig = {
  stories: ['../src/renderer/src/**/*.stories.tsx'],
  framework: { name: '@storybook/react-vite', options: {} },
  // mockServiceWorker.js (from `msw init`) is served from here.
  staticDirs: ['./public'],
  addons: ['msw-storybook-addon'],
  core: { disableTelemetry: true, disableWhatsNewNotifications: true },
};

export default config;
