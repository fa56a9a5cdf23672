import type { Meta, StoryObj } from '@storybook/react-vite';
import { http, HttpResponse } from 'msw';
import { conversation, names, readyTrack } from '../../stories-support/fixtures';
import { Highlight } from './Highlight';
import { MessageList } from './MessageList';

const meta: Meta<typeof MessageList> = {
  title: 'Chat/MessageList',
  component: MessageList,
  decorators: [
    (Story) => (
      <div className="panel" style={{ height: 480, width: 560 }}>
        <Story />
      </div>
    ),
  ],
  args: {
    messages: conversation,
    pending: [],
    currentUserId: 'u-ada',
    nameOf: (id: string) => names[id] ?? id,
    trackTitleOf: (id: string) => (id === readyTrack.id ? readyTrack.title : null),
    lastReadSeq: 2,
    hasOlder: true,
    onLoadOlder: async () => false,
    onEdit: () => undefined,
    onDelete: () => undefined,
    onRetry: () => undefined,
    onDiscard: () => undefined,
    onPlayAt: () => undefined,
  },
  parameters: {
    msw: { handlers: [http.get('/api/v1/tracks/:id', () => HttpResponse.json(readyTrack))] },
  },
};
export default meta;
type Story = StoryObj<typeof MessageList>;

/** A conversation with a new-messages divider, an "at 1:23" chip, an edited HTML-looking message (text), a deleted one. */
export const Conversation: Story = {};

export const Empty: Story = { args: { messages: [], hasOlder: false } };

/** Optimistic sends: one on its way, one waiting for the connection, one refused (retry/discard). */
export const Pending: Story = {
  args: {
    lastReadSeq: 6,
    pending: [
      { room_id: 'room-1', client_id: 'p1', content: 'Sending this now', created_at: '2026-01-05T10:08:00.000Z', state: 'sending', error: null },
      { room_id: 'room-1', client_id: 'p2', content: 'Typed while offline', created_at: '2026-01-05T10:08:10.000Z', state: 'waiting', error: null },
      { room_id: 'room-1', client_id: 'p3', content: 'Too long?', created_at: '2026-01-05T10:08:20.000Z', state: 'failed', error: 'Message too long' },
    ],
  },
};

/** Search results mark the matched words with <mark>, built from text nodes. */
export const SearchHighlight: StoryObj<typeof Highlight> = {
  render: () => (
    <p style={{ padding: '1rem' }}>
      <Highlight text="The snare gets buried right here: <b>not bold</b>" ranges={[[4, 9], [33, 36]]} />
    </p>
  ),
};
