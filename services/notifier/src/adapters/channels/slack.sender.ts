import type { ChannelSender, OutgoingNotification } from '../../app/ports';
import { postJson } from './http-post';

const EMOJI = { info: ':information_source:', warning: ':warning:', critical: ':rotating_light:' } as const;

/** The Slack message of a notification: `text` (the fallback Slack shows in notifications) and Block Kit `blocks`. */
export function slackMessage(n: OutgoingNotification): { text: string; blocks: unknown[] } {
  const emoji = EMOJI[n.severity as keyof typeof EMOJI] ?? EMOJI.info;
  return {
    text: `${emoji} ${n.title}: ${n.text}`.slice(0, 3000),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: n.title.slice(0, 150), emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: n.text.slice(0, 3000) } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `${n.topic}${n.run_id ? ` · run ${n.run_id}` : ''} · delivery ${n.delivery_id}` }] },
    ],
  };
}

/** Slack incoming webhook: one POST of `{text, blocks}` to the webhook URL (a secret). */
export class SlackSender implements ChannelSender {
  constructor(private readonly url: string) {}

  send(n: OutgoingNotification, _attempt: number, signal: AbortSignal): Promise<string> {
    return postJson(this.url, JSON.stringify(slackMessage(n)), {}, signal);
  }
}
