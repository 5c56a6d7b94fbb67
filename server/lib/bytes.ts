/** A size as people read it on the room page and in "too big" messages: MiB with one decimal. */
export function formatMiB(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;
}
