/**
 * The one error an action call ends with when it does not succeed. Its message is written for the
 * model (the tool invoker feeds it back as the tool result), so it says what to do differently.
 */
export type ActionFailure = 'refused' | 'failed' | 'timeout';

export class ActionError extends Error {
  constructor(
    message: string,
    readonly reason: ActionFailure,
  ) {
    super(message);
    this.name = 'ActionError';
  }
}

export const refused = (message: string) => new ActionError(message, 'refused');
