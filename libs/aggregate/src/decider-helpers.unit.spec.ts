import { errorCodeOf } from '@baton/contracts';
import { decideByType, existingState } from './decider-helpers';

type Command = { readonly type: 'Add'; readonly data: { readonly by: number } } | { readonly type: 'Clear'; readonly data: Record<string, never> };
type Event = { readonly type: 'Added'; readonly data: { readonly by: number; readonly cap: number } } | { readonly type: 'Cleared'; readonly data: { readonly from: number } };

const decide = decideByType<Command, number, Event, { readonly cap: number }>('tally', {
  Add: (command, _state, env) => [{ type: 'Added', data: { by: command.data.by, cap: env.cap } }],
  Clear: (_command, state) => (state === 0 ? [] : [{ type: 'Cleared', data: { from: state } }]),
});

describe('decideByType', () => {
  it('hands each command to the handler of its type, with the state and the environment', () => {
    expect(decide({ type: 'Add', data: { by: 2 } }, 0, { cap: 5 })).toEqual([{ type: 'Added', data: { by: 2, cap: 5 } }]);
    expect(decide({ type: 'Clear', data: {} }, 3, { cap: 5 })).toEqual([{ type: 'Cleared', data: { from: 3 } }]);
    expect(decide({ type: 'Clear', data: {} }, 0, { cap: 5 })).toEqual([]);
  });

  it.each(['Multiply', 'toString'])('a command of a type with no handler (%s) is INTERNAL, naming it', (type) => {
    const stray = { type, data: {} } as unknown as Command;
    let thrown: unknown;
    try {
      decide(stray, 0, { cap: 5 });
    } catch (err) {
      thrown = err;
    }
    expect(errorCodeOf(thrown)).toBe('INTERNAL');
    expect((thrown as Error).message).toBe(`unhandled tally command ${type}`);
  });
});

describe('existingState', () => {
  type State = { readonly exists: false } | { readonly exists: true; readonly count: number };

  it('gives the state of an aggregate that exists, narrowed', () => {
    const state: State = { exists: true, count: 2 };
    expect(existingState(state, 'Counted', 'Opened').count).toBe(2);
  });

  it('is INTERNAL, naming both event types, before the stream\'s first event', () => {
    const none: State = { exists: false };
    expect(() => existingState(none, 'Counted', 'Opened')).toThrow(expect.objectContaining({ code: 'INTERNAL', message: 'Counted before Opened' }));
  });
});
