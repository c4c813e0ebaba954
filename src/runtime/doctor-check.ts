/** One line of `tim doctor`: a thing checked, whether it is fine, and what was found or how to fix it. */
export interface DoctorCheck {
  ok: boolean;
  what: string;
  detail: string;
}

/** A section's checks as indented `ok`/`no` lines. */
export function checkLines(checks: readonly DoctorCheck[]): string[] {
  const width = Math.max(0, ...checks.map((c) => c.what.length));
  return checks.map((c) => `    ${c.ok ? 'ok  ' : 'no  '}${c.what.padEnd(width)}  ${c.detail}`);
}
