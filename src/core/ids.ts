// Identifier shapes. Message ids are opaque to us, but their shape is checked with anchored,
// bounded patterns that admit no markdown, HTML or shell metacharacters, so an id can be
// printed anywhere (tables, logs, commit messages) without escaping surprises.

/** Postfix long queue id: letters and digits only. */
export const QUEUE_ID_SOURCE = '[0-9A-Za-z]{5,32}';
/** Cloudflare investigate id: `<queue id>-<YYYY-MM-DDTHH:MM:SS>-<number>`. */
export const MESSAGE_ID_SOURCE = `^${QUEUE_ID_SOURCE}(?:-[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}-[0-9]{1,20})?$`;
export const MESSAGE_ID_MAX_LENGTH = 80;
export const ACCOUNT_ID_SOURCE = '^[0-9a-f]{32}$';

const ACCOUNT_ID = new RegExp(ACCOUNT_ID_SOURCE);

export function isAccountId(value: unknown): value is string {
  return typeof value === 'string' && ACCOUNT_ID.test(value);
}

/**
 * The Postfix queue id a message id starts with. The bare form and the long form of the same
 * message share it, so it is the identity used to catch "the same message twice".
 */
export function queueIdOf(messageId: string): string {
  const dash = messageId.indexOf('-');
  return dash === -1 ? messageId : messageId.slice(0, dash);
}

/** Key of one message in one account; the unit the ledger and the planner reason about. */
export function messageKey(accountId: string, messageId: string): string {
  return `${accountId}/${messageId}`;
}
