export function handler(event, context) {
  return event;
}
