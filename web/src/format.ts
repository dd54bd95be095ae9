// Dates as the user reads them: in their own time zone and language.
export const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZoneName: 'short',
});

export const formatDateTime = (iso: string) => dateTime.format(new Date(iso));

const pad = (n: number) => String(n).padStart(2, '0');

/** An instant as a datetime-local input value (the user's wall-clock time, to the minute). */
export function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local value, read in the user's time zone, as RFC 3339 in UTC. */
export const fromLocalInput = (value: string) => new Date(value).toISOString();
