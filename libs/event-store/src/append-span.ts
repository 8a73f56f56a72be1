import { SpanKind } from '@opentelemetry/api';
import { BatonAttributes, inSpan, tracingEnabled } from '@baton/telemetry';
import type { AppendResult } from './port';

/**
 * Runs one append in a CLIENT span `append` (`db.system.name` = the adapter's database, the
 * stream id and event count as attributes), a child of the active context: the command that
 * appends. Tracing off, it only calls `append`.
 */
export function appendInSpan(dbSystem: string, streamId: string, eventCount: number, append: () => Promise<AppendResult>): Promise<AppendResult> {
  if (!tracingEnabled()) return append();
  return inSpan(
    'append',
    {
      kind: SpanKind.CLIENT,
      attributes: () => ({ 'db.system.name': dbSystem, 'db.operation.name': 'append', [BatonAttributes.streamId]: streamId, 'baton.events.count': eventCount }),
    },
    async (span) => {
      const result = await append();
      span.setAttributes({ 'baton.append.duplicate': result.duplicate, 'baton.stream.revision': result.nextExpectedRevision });
      return result;
    },
  );
}
