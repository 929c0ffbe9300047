// Obvious health-data patterns in free text (DESIGN.md §8.6): the product is not for HIPAA data,
// so a match makes the form ask the user to confirm before saving. Deliberately plain: it catches
// the obvious (a US SSN, "medical record number", "diagnosed with") and says which kind it saw.

export type SensitiveKind = 'ssn' | 'medical-record' | 'diagnosis';

const PATTERNS: Array<{ kind: SensitiveKind; pattern: RegExp }> = [
  // 123-45-6789 or 123 45 6789 (not the never-issued 000/666/9xx areas, 00 groups or 0000 serials),
  // or nine digits right after "SSN" / "social security".
  { kind: 'ssn', pattern: /\b(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}\b/ },
  { kind: 'ssn', pattern: /\b(ssn|social security(\s+(no|number|#))?)\b[\s:#.]*\d{9}\b/i },
  { kind: 'medical-record', pattern: /\b(mrn|medical\s+record(\s+(no|number|#))?|patient\s+(id|number|no))\b/i },
  { kind: 'diagnosis', pattern: /\b(diagnos(is|es|ed|e)|prognosis|icd-?(9|10)(-cm)?)\b/i },
];

export const SENSITIVE_KIND_LABELS: Record<SensitiveKind, string> = {
  ssn: 'a US Social Security number',
  'medical-record': 'medical record number wording',
  diagnosis: 'diagnosis wording',
};

/** The kinds of health-data pattern found in any of the texts (empty when none), each once. */
export function findSensitiveData(...texts: Array<string | null | undefined>): SensitiveKind[] {
  const found = new Set<SensitiveKind>();
  for (const text of texts) {
    if (!text) continue;
    for (const { kind, pattern } of PATTERNS) if (pattern.test(text)) found.add(kind);
  }
  return [...found];
}

/** The warning shown above a form, naming what was seen (never quoting it). */
export function sensitiveDataWarning(kinds: SensitiveKind[]): string {
  const seen = kinds.map((k) => SENSITIVE_KIND_LABELS[k]);
  const list = seen.length > 1 ? `${seen.slice(0, -1).join(', ')} and ${seen[seen.length - 1]}` : seen[0];
  return `This looks like it may contain health information (${list}). PlanTRAK is not for health (HIPAA) data: please remove it, or tick the box to confirm it is not health data and save anyway.`;
}
