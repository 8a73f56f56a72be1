import { BatonError } from '@baton/contracts';
import { z } from 'zod';
import type { AggregateSpec, CommandMetadata } from '../aggregate';
import { eventReader } from '../event-reader';

/** A tiny aggregate for the kernel's own tests: a counter with a ceiling. */
export type CounterEvent = { readonly type: 'Incremented'; readonly data: { readonly by: number; readonly at: string } } | { readonly type: 'Reset'; readonly data: { readonly at: string } };
export type CounterCommand =
  | { readonly type: 'Increment'; readonly data: { readonly by: number }; readonly metadata: CommandMetadata }
  | { readonly type: 'Reset'; readonly data: Record<string, never>; readonly metadata: CommandMetadata };
export interface CounterState {
  readonly value: number;
}

export const CounterEventSchemas = {
  Incremented: z.object({ by: z.number().int(), at: z.string() }),
  Reset: z.object({ at: z.string() }),
};

export const counterAggregate: AggregateSpec<CounterState, CounterCommand, CounterEvent, { readonly ceiling: number }> = {
  name: 'counter',
  streamId: (id) => `counter-${id}`,
  read: eventReader<CounterEvent>('counter', CounterEventSchemas),
  initialState: { value: 0 },
  evolve: (state, event) => {
    switch (event.type) {
      case 'Incremented':
        return { value: state.value + event.data.by };
      case 'Reset':
        return { value: 0 };
      default: {
        const never: never = event;
        return never;
      }
    }
  },
  decide: (command, state, env) => {
    switch (command.type) {
      case 'Increment':
        if (state.value + command.data.by > env.ceiling) throw new BatonError('CONFLICT', `counter would pass its ceiling ${env.ceiling}`);
        return [{ type: 'Incremented', data: { by: command.data.by, at: command.metadata.now } }];
      case 'Reset':
        return state.value === 0 ? [] : [{ type: 'Reset', data: { at: command.metadata.now } }];
      default: {
        const never: never = command;
        return never;
      }
    }
  },
  defaultActor: { kind: 'service', id: 'counter-test' },
};
