// The title of a thread is its first user message, as the user typed it. Rollouts hold it in
// several shapes, depending on the Codex version:
// - `event_msg` `{type:"user_message", message}` (older versions);
// - `event_msg` `{type:"item_completed", item:{type:"UserMessage", content:[{type:"text", text}]}}` (0.169);
// - `response_item` `{type:"message", role:"user", content:[{type:"input_text", text}]}` — but Codex
//   also sends context it injects itself as user messages (`<environment_context>`, AGENTS.md,
//   ...), which must not become titles;
// - very early rollouts: the response item itself, without the `response_item` wrapper.
import { isObject } from './sessionMeta';

const INJECTED = /^\s*(<(environment_context|user_instructions|permissions[^>]*|instructions|turn_aborted|user_shell_command|subagent_notification|skill)\b|# AGENTS\.md instructions)/i;

export const TITLE_MAX_LENGTH = 80;

export function firstUserMessageFromRecord(record: unknown): string | undefined {
  if (!isObject(record)) {
    return undefined;
  }
  const payload = record.payload;
  if (record.type === 'event_msg' && isObject(payload)) {
    if (payload.type === 'user_message' && typeof payload.message === 'string') {
      return nonInjected(payload.message);
    }
    if (payload.type === 'item_completed' && isObject(payload.item) && payload.item.type === 'UserMessage') {
      return nonInjected(joinText(payload.item.content));
    }
    return undefined;
  }
  const item = record.type === 'response_item' ? payload : record;
  if (isObject(item) && item.type === 'message' && item.role === 'user') {
    return nonInjected(joinText(item.content));
  }
  return undefined;
}

/** One line, at most `max` characters (an ellipsis marks a cut). */
export function shortenTitle(text: string, max = TITLE_MAX_LENGTH): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) {
    return flat;
  }
  let cut = flat.slice(0, max - 1);
  if (/[\uD800-\uDBFF]$/.test(cut)) {
    cut = cut.slice(0, -1); // do not split a surrogate pair
  }
  return cut.trimEnd() + '…';
}

function nonInjected(text: string | undefined): string | undefined {
  if (text === undefined || text.trim() === '' || INJECTED.test(text)) {
    return undefined;
  }
  return text;
}

function joinText(content: unknown): string | undefined {
  if (typeof content === 'string') {
    return content;
  }
  if (!Array.isArray(content)) {
    return undefined;
  }
  const parts = content
    .filter((c): c is { text: string } => isObject(c) && typeof c.text === 'string' && (c.type === undefined || /text/i.test(String(c.type))))
    .map((c) => c.text);
  return parts.length > 0 ? parts.join('\n') : undefined;
}
