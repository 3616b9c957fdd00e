/**
 * Ulwick's opportunity score (ODI): importance + max(importance − satisfaction, 0), both
 * on 0–10. An unmet important need scores up to 20; null when either part is missing.
 */
export function opportunity(importance: number | null, satisfaction: number | null): number | null {
  if (importance === null || satisfaction === null) return null;
  return importance + Math.max(importance - satisfaction, 0);
}
